# The help of every exported cmdlet, as Get-Help serves it from en-US/VfioPS.dll-Help.xml, against the PlatyPS
# pages in docs/ and the cmdlets themselves; and every example of the help, run in a fresh pwsh.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'HelpPages.ps1')

    # The common parameters as PlatyPS 1.x leaves them out of the pages (WhatIf and Confirm are documented).
    $platyPSCommon = @('Debug', 'ErrorAction', 'ErrorVariable', 'InformationAction', 'InformationVariable', 'OutBuffer',
        'OutVariable', 'PipelineVariable', 'ProgressAction', 'Verbose', 'WarningAction', 'WarningVariable')
    $pages = @{}
    foreach ($page in Get-VfioHelpPage) { $pages[$page.Name] = $page }

    # Runs an example's code in a fresh pwsh with only the built module imported (mock names start at /1 there),
    # rendered at 120 columns; returns the exit code and the text.
    $exampleHost = Join-Path ([System.IO.Path]::GetTempPath()) "vfiops-example-host-$PID.ps1"
    Set-Content -LiteralPath $exampleHost -Value @'
param([string] $ModulePath, [string] $CodePath)
$PSStyle.OutputRendering = 'PlainText'
Import-Module -Name $ModulePath -ErrorAction Stop
$code = [System.IO.File]::ReadAllText($CodePath)
# Errors the example catches stay quiet; errors it writes go to stderr, which the caller checks.
$text = & { . ([scriptblock]::Create($code)) } | Out-String -Width 120
[Console]::Out.Write($text)
'@
    $pwsh = Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })
    function Invoke-VfioHelpExample {
        param([Parameter(Mandatory)][string] $Code)
        $codePath = Join-Path ([System.IO.Path]::GetTempPath()) "vfiops-example-$PID-$([guid]::NewGuid()).ps1"
        $errorPath = "$codePath.err"
        Set-Content -LiteralPath $codePath -Value $Code
        try {
            $out = & $pwsh -NoProfile -NonInteractive -File $exampleHost -ModulePath $VfioModulePath -CodePath $codePath 2>$errorPath
            [pscustomobject]@{
                ExitCode = $LASTEXITCODE
                Text     = ($out | ForEach-Object { "$_" }) -join "`n"
                Errors   = if (Test-Path -LiteralPath $errorPath) { (Get-Content -LiteralPath $errorPath -Raw) } else { '' }
            }
        }
        finally {
            Remove-Item -LiteralPath $codePath, $errorPath -ErrorAction SilentlyContinue
        }
    }
}

AfterAll {
    Remove-Item -LiteralPath $exampleHost -ErrorAction SilentlyContinue
}

BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'HelpPages.ps1')
    $helpPages = @(Get-VfioHelpPage)
    $cmdletCases = @($helpPages | ForEach-Object { @{ Name = $_.Name } })
    $exampleCases = @($helpPages | ForEach-Object { $_.Examples } | ForEach-Object {
        @{ Command = $_.Command; Number = $_.Number; Title = $_.Title; Code = $_.Code; Output = $_.Output; Lane = $_.Lane }
    })
}

Describe 'Help of <Name>' -ForEach $cmdletCases {
    BeforeAll {
        $command = Get-Command -Name $Name -Module VfioPS
        $help = Get-Help -Name $Name -Full
        $page = $pages[$Name]
        $parameters = @($command.Parameters.Values | Where-Object { $platyPSCommon -notcontains $_.Name })
    }

    It 'has a synopsis that is a sentence, not the generated syntax' {
        $help.Synopsis.Trim() | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match '\[-'
        $help.Synopsis.Trim() | Should -Not -BeLike "$Name*"
        $help.Synopsis.Trim() | Should -BeExactly $page.Synopsis
    }

    It 'has a description' {
        ($help.description.Text -join "`n").Length | Should -BeGreaterThan 200
    }

    It 'describes every parameter except the common ones' {
        foreach ($parameter in $parameters) {
            $text = (Get-Help -Name $Name -Parameter $parameter.Name).description.Text -join "`n"
            $text.Length | Should -BeGreaterThan 20 -Because "-$($parameter.Name) needs a description"
            if ((Get-Help -Name $Name -Parameter $parameter.Name).pipelineInput -like 'true*') {
                $text | Should -Match 'pipeline|property name' -Because "-$($parameter.Name) takes pipeline input and must say how"
            }
        }
    }

    It 'has at least two examples' {
        @($help.examples.example).Count | Should -BeGreaterOrEqual 2
    }

    It 'names the real output types' {
        foreach ($type in $command.OutputType) {
            @($help.returnValues.returnValue.type.name) | Should -Contain $type.Name
        }
    }

    It 'documents exactly the parameters the cmdlet has, with their types' {
        @($page.Parameters.Name | Sort-Object) | Should -Be @($parameters.Name | Sort-Object)
        @($help.parameters.parameter.name | Sort-Object) | Should -Be @($parameters.Name | Sort-Object)
        foreach ($parameter in $parameters) {
            $documented = $page.Parameters | Where-Object Name -eq $parameter.Name
            $type = $parameter.ParameterType
            $expected = if ($type.IsGenericType) {
                $definition = $type.GetGenericTypeDefinition().FullName
                $definition.Substring(0, $definition.IndexOf('`')) + '`' + $type.GetGenericArguments().Count + '[' + (($type.GenericTypeArguments | ForEach-Object FullName) -join ',') + ']'
            }
            else { $type.FullName }
            $documented.Type | Should -BeExactly $expected -Because "-$($parameter.Name) is $expected"
            $documented.DontShow | Should -Be ([bool]($parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and $_.DontShow }))
        }
    }

    It 'has one syntax block per parameter set, in Get-Help and in docs' {
        @($help.syntax.syntaxItem).Count | Should -Be $command.ParameterSets.Count
        @($page.SyntaxSets | Sort-Object) | Should -Be @($command.ParameterSets.Name | Sort-Object)
    }
}

Describe 'docs/ and en-US/VfioPS.dll-Help.xml' {
    It 'ship one page per exported cmdlet and nothing else' {
        @($pages.Keys | Sort-Object) | Should -Be @((Get-Command -Module VfioPS).Name | Sort-Object)
    }

    It 'Get-Help finds about_VfioPS once the module is imported' {
        $topic = Get-Help -Name about_VfioPS | Out-String
        $topic | Should -Match 'about_VfioPS'
        $topic | Should -Match 'TROUBLESHOOTING'
    }

    It 'en-US/VfioPS.dll-Help.xml is, byte for byte, what PlatyPS 1.0.3 exports from docs/' {
        # The MAML is pinned to the released 1.0.3 (other 1.0.x releases write other bytes).
        if (-not (Get-Module -Name Microsoft.PowerShell.PlatyPS -ListAvailable | Where-Object Version -eq ([version]'1.0.3'))) {
            Set-ItResult -Skipped -Because ('Microsoft.PowerShell.PlatyPS 1.0.3 is not installed; the xunit test ' +
                'TheCommittedMamlIsWhatPlatyPSWritesForDocs holds the MAML to VfioPS.Docs, which writes the same bytes')
            return
        }
        Import-Module -Name Microsoft.PowerShell.PlatyPS -RequiredVersion 1.0.3
        $out = Join-Path $TestDrive 'maml'
        Measure-PlatyPSMarkdown -Path (Join-Path $VfioDocsRoot '*.md') | Where-Object Filetype -match 'CommandHelp' |
            Import-MarkdownCommandHelp -Path { $_.FilePath } | Export-MamlCommandHelp -OutputFolder $out -Force | Out-Null
        $exported = [System.IO.File]::ReadAllBytes((Join-Path $out 'VfioPS' 'VfioPS.dll-Help.xml'))
        $committed = [System.IO.File]::ReadAllBytes((Join-Path $VfioRepoRoot 'en-US' 'VfioPS.dll-Help.xml'))
        # Compared as text first, so a failure shows the first differing line rather than two byte arrays.
        [System.Text.Encoding]::UTF8.GetString($committed) | Should -BeExactly ([System.Text.Encoding]::UTF8.GetString($exported))
        [System.Linq.Enumerable]::SequenceEqual($committed, $exported) | Should -BeTrue -Because 'the encoding and BOM must match too'
    }
}

Describe '<Command> <Title>' -ForEach @($exampleCases | Where-Object Lane -ne 'RealDevice') {
    It 'runs against the mock and prints what the help shows' {
        $Code | Should -Not -BeNullOrEmpty
        $run = Invoke-VfioHelpExample -Code $Code
        $run.ExitCode | Should -Be 0 -Because $run.Errors
        "$($run.Errors)".Trim() | Should -BeNullOrEmpty -Because 'an example must run without writing an error'
        if ($null -ne $Output) {
            ConvertTo-VfioNormalizedOutput $run.Text | Should -BeExactly (ConvertTo-VfioNormalizedOutput $Output)
        }
    }
}

# The examples that need real devices: HelpExamples.RealDevice.Tests.ps1.
