#Requires -Version 7.4
<#
.SYNOPSIS
    Builds and tests VfioPS: the one entry point for developers and CI.

.DESCRIPTION
    Runs the given tasks in the order given:

      Clean  removes output/ and runs dotnet clean on VfioPS.sln.
      Build  runs dotnet build on VfioPS.sln, which lays out the importable module in
             output/VfioPS/<ModuleVersion>/, and checks that the manifest landed there.
      Test   runs dotnet test on VfioPS.sln (the xunit tests), then the Pester suite in a child
             pwsh against output/VfioPS/<ModuleVersion>/VfioPS.psd1. Needs Pester 5 or later.
      Docs   writes en-US/VfioPS.dll-Help.xml (the MAML Get-Help reads) from the PlatyPS pages in docs/:
             with Microsoft.PowerShell.PlatyPS 1.x, Measure-PlatyPSMarkdown | Import-MarkdownCommandHelp |
             Export-MamlCommandHelp in a child pwsh, then the file is copied into en-US/. Without PlatyPS, the
             repository's Markdig-based generator (VfioPS.Docs) writes the same file; PlatyPS is the reference,
             and the xunit test TheCommittedMamlIsWhatPlatyPSWritesForDocs fails if the two ever differ.

    ModuleVersion is read from VfioPS.psd1 at the repository root, the one place the version lives.

.EXAMPLE
    ./build.ps1

    Builds the Debug configuration.

.EXAMPLE
    ./build.ps1 -Task Clean, Build, Test -Configuration Release
#>
[CmdletBinding()]
param(
    [ValidateSet('Clean', 'Build', 'Test', 'Docs')]
    [string[]] $Task = @('Build'),

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Debug'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
# Exit codes of dotnet and pwsh are checked by hand below, so that each failure says which step failed.
$PSNativeCommandUseErrorActionPreference = $false

$RepoRoot = $PSScriptRoot
$Solution = Join-Path $RepoRoot 'VfioPS.sln'
$ManifestPath = Join-Path $RepoRoot 'VfioPS.psd1'
$OutputRoot = Join-Path $RepoRoot 'output'
$PesterSuite = Join-Path $RepoRoot 'VfioPS.Tests' 'Pester' 'Invoke-PesterSuite.ps1'
$TestResultsPath = Join-Path $OutputRoot 'TestResults' 'Pester.xml'

function Write-Step {
    param([Parameter(Mandatory)][string] $Message)
    Write-Information -MessageData "==> $Message" -InformationAction Continue
}

function Assert-Dotnet {
    if (-not (Get-Command -Name dotnet -CommandType Application -ErrorAction SilentlyContinue)) {
        throw 'The .NET SDK (dotnet) was not found on PATH. Install the .NET SDK and run the build again.'
    }
    if (-not (Test-Path -LiteralPath $Solution -PathType Leaf)) {
        throw "The solution '$Solution' does not exist."
    }
}

function Get-ModuleVersion {
    $version = (Import-PowerShellDataFile -LiteralPath $ManifestPath).ModuleVersion
    if (-not $version) {
        throw "ModuleVersion could not be read from '$ManifestPath'."
    }
    $version
}

function Get-BuiltManifestPath {
    Join-Path $OutputRoot 'VfioPS' (Get-ModuleVersion) 'VfioPS.psd1'
}

function Invoke-CleanTask {
    Assert-Dotnet
    if (Test-Path -LiteralPath $OutputRoot) {
        Write-Step "Removing $OutputRoot"
        Remove-Item -LiteralPath $OutputRoot -Recurse -Force
    }
    Write-Step "dotnet clean $Solution -c $Configuration"
    & dotnet clean $Solution -c $Configuration
    if ($LASTEXITCODE -ne 0) {
        throw "dotnet clean failed with exit code $LASTEXITCODE."
    }
}

function Invoke-BuildTask {
    Assert-Dotnet
    Write-Step "dotnet build $Solution -c $Configuration"
    & dotnet build $Solution -c $Configuration
    if ($LASTEXITCODE -ne 0) {
        throw "dotnet build failed with exit code $LASTEXITCODE."
    }

    $builtManifest = Get-BuiltManifestPath
    if (-not (Test-Path -LiteralPath $builtManifest -PathType Leaf)) {
        throw "The build succeeded but did not lay out the module: '$builtManifest' does not exist."
    }
    Write-Step "Module laid out at $(Split-Path -Parent $builtManifest)"
}

function Invoke-TestTask {
    Assert-Dotnet

    # Checked first, so a missing Pester fails in seconds rather than after the xunit run.
    $pester = Get-Module -Name Pester -ListAvailable |
        Where-Object { $_.Version -ge [version]'5.0' } |
        Sort-Object -Property Version -Descending |
        Select-Object -First 1
    if (-not $pester) {
        throw ('The Test task needs Pester 5 or later, and none is installed. Install it with:' +
            [Environment]::NewLine + '    Install-Module -Name Pester -MinimumVersion 5.5 -Scope CurrentUser' +
            [Environment]::NewLine + '(on Windows, where Pester 3.4 ships with the OS, add -SkipPublisherCheck), then run the Test task again.')
    }

    Write-Step "dotnet test $Solution -c $Configuration"
    & dotnet test $Solution -c $Configuration
    if ($LASTEXITCODE -ne 0) {
        throw "dotnet test failed with exit code $LASTEXITCODE."
    }

    $builtManifest = Get-BuiltManifestPath
    if (-not (Test-Path -LiteralPath $builtManifest -PathType Leaf)) {
        throw "There is no built module at '$builtManifest'. Run ./build.ps1 -Task Build first."
    }

    # A child pwsh, so the build session never loads (and locks) VfioPS.dll, and the tests see a fresh process.
    $pwsh = Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })
    if (-not (Test-Path -LiteralPath $pwsh -PathType Leaf)) {
        $pwsh = (Get-Command -Name pwsh -CommandType Application -ErrorAction Stop | Select-Object -First 1).Source
    }

    Write-Step "Pester $($pester.Version) suite against $builtManifest"
    & $pwsh -NoProfile -NonInteractive -File $PesterSuite -ModulePath $builtManifest -OutputPath $TestResultsPath
    if ($LASTEXITCODE -ne 0) {
        throw "The Pester suite failed (exit code $LASTEXITCODE). Results: $TestResultsPath"
    }
    Write-Step "Pester suite passed. Results: $TestResultsPath"
}

function Invoke-DocsTask {
    $docs = Join-Path $RepoRoot 'docs'
    $target = Join-Path $RepoRoot 'en-US' 'VfioPS.dll-Help.xml'
    $platyPS = Get-Module -Name Microsoft.PowerShell.PlatyPS -ListAvailable |
        Where-Object { $_.Version -ge [version]'1.0' } |
        Sort-Object -Property Version -Descending |
        Select-Object -First 1
    if (-not $platyPS) {
        Assert-Dotnet
        Write-Warning ('Microsoft.PowerShell.PlatyPS 1.x is not installed (Install-Module Microsoft.PowerShell.PlatyPS -Scope CurrentUser); ' +
            'writing the MAML with the repository generator VfioPS.Docs instead. PlatyPS is the reference.')
        & dotnet run --project (Join-Path $RepoRoot 'VfioPS.Docs') -c $Configuration -- maml
        if ($LASTEXITCODE -ne 0) {
            throw "VfioPS.Docs failed with exit code $LASTEXITCODE."
        }
        return
    }

    # A child pwsh, so this session never loads PlatyPS's assemblies (YamlDotNet, Markdig) next to others.
    $outFolder = Join-Path $OutputRoot 'maml'
    if (Test-Path -LiteralPath $outFolder) {
        Remove-Item -LiteralPath $outFolder -Recurse -Force
    }
    $pwsh = Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })
    Write-Step "PlatyPS $($platyPS.Version): docs/*.md -> $outFolder"
    $script = {
        param($PlatyPSPath, $Docs, $OutFolder)
        $ErrorActionPreference = 'Stop'
        Import-Module -Name $PlatyPSPath
        $pages = Measure-PlatyPSMarkdown -Path (Join-Path $Docs '*.md') | Where-Object Filetype -match 'CommandHelp'
        $help = $pages | Import-MarkdownCommandHelp -Path { $_.FilePath }
        $errors = @($help | ForEach-Object { $_.Diagnostics.Messages } | Where-Object { "$($_.Severity)" -eq 'Error' })
        if ($errors) {
            $errors | ForEach-Object { Write-Error -Message ($_ | Out-String).Trim() -ErrorAction Continue }
            exit 1
        }
        $help | Export-MamlCommandHelp -OutputFolder $OutFolder -Force | Out-Null
    }
    & $pwsh -NoProfile -NonInteractive -Command $script -args $platyPS.Path, $docs, $outFolder
    if ($LASTEXITCODE -ne 0) {
        throw "PlatyPS could not convert docs/ (exit code $LASTEXITCODE); see the messages above."
    }
    $written = Join-Path $outFolder 'VfioPS' 'VfioPS.dll-Help.xml'
    if (-not (Test-Path -LiteralPath $written -PathType Leaf)) {
        throw "Export-MamlCommandHelp did not write '$written'."
    }
    Copy-Item -LiteralPath $written -Destination $target -Force
    Write-Step "Wrote $target. Run the Build task to ship it in output/, and dotnet test to compare it with VfioPS.Docs."
}

foreach ($name in $Task) {
    Write-Step "Task $name ($Configuration)"
    switch ($name) {
        'Clean' { Invoke-CleanTask }
        'Build' { Invoke-BuildTask }
        'Test' { Invoke-TestTask }
        'Docs' { Invoke-DocsTask }
    }
}
