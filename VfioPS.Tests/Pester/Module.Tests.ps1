BeforeAll { . (Join-Path $PSScriptRoot 'common.ps1') }

BeforeDiscovery {
    # One implementation Tmds.LibC.dll per Linux architecture the module loads on (VfioPS.csproj TmdsLibCRuntime,
    # resolved at import by VfioPS.Loading.NativeDependencyResolver).
    $runtimeIdentifiers = @('linux-x64', 'linux-arm64', 'linux-arm')

    $formattedTypes = @('VfioPS.VfioDevice', 'VfioPS.VfioIrqInfo', 'VfioPS.VfioIrqCapability', 'VfioPS.VfioEventFd', 'VfioPS.VfioEventFdFiring', 'VfioPS.VfioIrqState', 'VfioPS.VfioPciDevice')

    # about_VfioPS says the schema ships next to the built-in profiles.
    $mockProfileFiles = @('e1000e.json', 'edu.json', 'gvt-vgpu.json', 'pci-testdev.json', 'virtio-net.json', 'vfio-mock-profile.schema.json')
}

Describe 'VfioPS module' {
    BeforeAll {
        # The repository-root manifest has no DLL beside it, so it is read as data, not with Test-ModuleManifest.
        $manifest = Import-PowerShellDataFile -LiteralPath (Join-Path $VfioRepoRoot 'VfioPS.psd1')
        $module = Get-Module -Name VfioPS
    }

    Context 'Manifest (VfioPS.psd1 at the repository root)' {
        It 'lists CmdletsToExport explicitly, without wildcards' {
            $manifest.CmdletsToExport | Should -Not -BeNullOrEmpty
            foreach ($name in $manifest.CmdletsToExport) {
                [System.Management.Automation.WildcardPattern]::ContainsWildcardCharacters($name) |
                    Should -BeFalse -Because "'$name' in CmdletsToExport must be spelled out"
            }
        }

        It 'lists exactly the cmdlets the module exports' {
            $declared = @($manifest.CmdletsToExport | Sort-Object) -join ','
            $exported = @((Get-Command -Module VfioPS -CommandType Cmdlet).Name | Sort-Object) -join ','
            $exported | Should -BeExactly $declared
        }

        It 'exports no functions, variables or aliases' {
            @($manifest.FunctionsToExport) | Should -HaveCount 0
            @($manifest.VariablesToExport) | Should -HaveCount 0
            @($manifest.AliasesToExport) | Should -HaveCount 0
        }

        It "is for PowerShell Core only (CompatiblePSEditions 'Core')" {
            (@($manifest.CompatiblePSEditions) -join ',') | Should -BeExactly 'Core'
        }

        It 'requires PowerShell 7.4' {
            [version]$manifest.PowerShellVersion | Should -Be ([version]'7.4')
        }

        It 'loads VfioPS.Format.ps1xml' {
            $manifest.FormatsToProcess | Should -Contain 'VfioPS.Format.ps1xml'
        }

        It 'has VfioPS.dll as its root module' {
            $manifest.RootModule | Should -BeExactly 'VfioPS.dll'
        }
    }

    Context 'Imported module' {
        It 'is imported once' {
            Get-Module -Name VfioPS | Should -HaveCount 1
        }

        It 'is the build under output/, not a copy from elsewhere' {
            $outputPrefix = [System.IO.Path]::GetFullPath($VfioOutputRoot).TrimEnd([System.IO.Path]::DirectorySeparatorChar) +
                [System.IO.Path]::DirectorySeparatorChar
            $location = [System.IO.Path]::GetFullPath($module.ImplementingAssembly.Location)
            $location.StartsWith($outputPrefix, [System.StringComparison]::Ordinal) |
                Should -BeTrue -Because "VfioPS.dll was loaded from '$location', which must be under '$outputPrefix'"
        }

        It 'has the version of the manifest, and lives in output/VfioPS/ModuleVersion' {
            $module.Version | Should -Be ([version]$manifest.ModuleVersion)
            Split-Path -Leaf $module.ModuleBase | Should -BeExactly $manifest.ModuleVersion
            Split-Path -Leaf (Split-Path -Parent $module.ModuleBase) | Should -BeExactly 'VfioPS'
        }

        It 'loads VfioPS.dll from the module folder' {
            Split-Path -Parent $module.ImplementingAssembly.Location | Should -Be $module.ModuleBase
        }

        It 'registers a view for <_>' -ForEach $formattedTypes {
            Get-FormatData -TypeName $_ | Should -Not -BeNullOrEmpty
        }
    }

    Context 'Built module folder' {
        It 'ships runtimes/<_>/Tmds.LibC.dll' -ForEach $runtimeIdentifiers {
            Join-Path $module.ModuleBase 'runtimes' $_ 'Tmds.LibC.dll' | Should -Exist
        }

        It 'has no Tmds.LibC.dll at its root (the loader picks one per architecture)' {
            Test-Path -LiteralPath (Join-Path $module.ModuleBase 'Tmds.LibC.dll') | Should -BeFalse
        }

        It 'ships MockProfiles/<_>' -ForEach $mockProfileFiles {
            Join-Path $module.ModuleBase 'MockProfiles' $_ | Should -Exist
        }

        It 'ships en-US/about_VfioPS.help.txt' {
            Join-Path $module.ModuleBase 'en-US' 'about_VfioPS.help.txt' | Should -Exist
        }

        It 'has a manifest that passes Test-ModuleManifest' {
            { Test-ModuleManifest -Path (Join-Path $module.ModuleBase 'VfioPS.psd1') -ErrorAction Stop } | Should -Not -Throw
        }
    }

    Context 'CHANGELOG.md' {
        BeforeAll {
            $changelogPath = Join-Path $VfioRepoRoot 'CHANGELOG.md'
            # Keep a Changelog headings: '## [Unreleased]' and '## [0.1.0] - 2025-01-31', newest first.
            $headings = @(
                if (Test-Path -LiteralPath $changelogPath -PathType Leaf) {
                    foreach ($line in Get-Content -LiteralPath $changelogPath) {
                        if ($line -match '^##\s+\[(?<heading>[^\]]+)\]') { $Matches['heading'] }
                    }
                }
            )
        }

        It 'exists at the repository root' {
            $changelogPath | Should -Exist
        }

        It "has '## [Unreleased]' or '## [ModuleVersion]' as its newest heading" {
            $headings | Should -Not -BeNullOrEmpty
            $headings[0] | Should -BeIn @('Unreleased', $manifest.ModuleVersion) -Because (
                "the newest CHANGELOG.md heading is '## [$($headings[0])]' and ModuleVersion is $($manifest.ModuleVersion)")
        }

        It 'has no released version above ModuleVersion' {
            $moduleVersion = [version]$manifest.ModuleVersion
            foreach ($heading in $headings) {
                if ($heading -eq 'Unreleased') { continue }
                $released = [version]($heading -replace '-.*$', '')
                $released | Should -BeLessOrEqual $moduleVersion -Because "CHANGELOG.md has '## [$heading]'"
            }
        }
    }
}
