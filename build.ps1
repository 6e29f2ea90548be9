#Requires -Version 7.4
<#
.SYNOPSIS
    Builds and tests VfioPS: the one entry point for developers and CI.

.DESCRIPTION
    Runs the given tasks in the order given:

      Clean  removes output/ and runs dotnet clean on VfioPS.sln.
      Build  runs dotnet build on VfioPS.sln, which lays out the importable module in
             output/VfioPS/<ModuleVersion>/, and checks that the manifest landed there.
      Test   runs dotnet test on VfioPS.sln (the xunit tests), then the Pester suite under this pwsh in a child
             process against output/VfioPS/<ModuleVersion>/VfioPS.psd1. The Pester run is killed and fails the
             task after -PesterTimeoutSeconds (a hang, e.g. a symlink cycle under TestDrive, fails rather than
             blocks). Pester 5 (>= 5.5, < 6) is used if importable; otherwise Pester 5.9.1 is restored from the
             machine's configured NuGet sources into .modules/ (ignored by git), which this script puts first on
             PSModulePath.
      Lane   runs the real-kernel lane (VfioPS.Tests/KernelLane/run-lane.sh): Debian's kernel under QEMU with
             emulated PCI devices bound to vfio-pci, and in it the fidelity program, the engine smoke script,
             the help's real-device examples and the Pester suite's RealDevice tests under real pwsh; then, in a
             small VM of its own, the device-removal scenario (run-lane.sh --unplug: QEMU hot-unplugs devices
             VfioPS holds, REQ asks for them back). Needs root (it installs Debian packages) and a Build of the
             same configuration. It runs once per kernel of -LaneKernel (default: Debian's 6.1 and 6.12, one
             after the other, suite then unplug for each; see the lane README for the times).
      Fuzz   runs the coverage-guided fuzzing of the parsers (VfioPS.Fuzz/run-fuzz.sh): builds VfioPS.Fuzz, instruments
             its copy of VfioPS.dll with SharpFuzz and runs AFL++'s afl-fuzz on each target for an equal share of
             -FuzzSeconds (default 300 in all), from the seed corpora in VfioPS.Fuzz/corpus/. Fails on any crash or
             hang (the inputs are left in output/fuzz/findings/). AFL++ comes from Debian (afl++); as root, the
             script installs it when missing. Always the Release build of the harnesses.
      Docs   writes en-US/VfioPS.dll-Help.xml (the MAML Get-Help reads) from the PlatyPS pages in docs/:
             with Microsoft.PowerShell.PlatyPS 1.x, Measure-PlatyPSMarkdown | Import-MarkdownCommandHelp |
             Export-MamlCommandHelp in a child pwsh, then the file is copied into en-US/. Without PlatyPS, the
             repository's Markdig-based generator (VfioPS.Docs) writes the same file; PlatyPS 1.0.3 is the
             reference, and the xunit test TheCommittedMamlIsWhatPlatyPSWritesForDocs fails if the two ever differ.

    -Task takes an array (-Task Build, Test) or one comma-separated string (pwsh -File build.ps1 -Task Build,Test,
    where the comma list arrives as one string).

    ModuleVersion is read from VfioPS.psd1 at the repository root, the one place the version lives.

    Without a system pwsh, the repository's tool manifest provides one:
        dotnet tool restore
        dotnet pwsh -NoProfile -File ./build.ps1 -Task Build,Test,Fuzz,Lane

.EXAMPLE
    ./build.ps1

    Builds the Release configuration (the module users import).

.EXAMPLE
    ./build.ps1 -Task Clean, Build, Test -Configuration Debug

.EXAMPLE
    dotnet tool restore; dotnet pwsh -NoProfile -File ./build.ps1 -Task Build,Test,Fuzz,Lane

    Everything CI runs (.ci/run calls exactly this).

.EXAMPLE
    ./build.ps1 -Task Fuzz -FuzzSeconds 3600

    A longer fuzzing campaign: an hour in all, shared equally by the targets.
#>
[CmdletBinding()]
param(
    # Validated below, after a comma-separated string is split: ValidateSet would refuse "Build,Test".
    [ArgumentCompleter({
            param($commandName, $parameterName, $wordToComplete)
            'Clean', 'Build', 'Test', 'Fuzz', 'Lane', 'Docs' | Where-Object { $_ -like "$wordToComplete*" }
        })]
    [string[]] $Task = @('Build'),

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # The whole Pester run (a child pwsh) is killed after this long and the Test task fails.
    [ValidateRange(30, 7200)]
    [int] $PesterTimeoutSeconds = 900,

    # The kernel lane's VM is killed after this long (run-lane.sh --timeout), per kernel.
    [ValidateRange(60, 7200)]
    [int] $LaneTimeoutSeconds = 1800,

    # The Fuzz task's fuzzing time in all, shared equally by the targets (run-fuzz.sh --total-seconds).
    [ValidateRange(45, 604800)]
    [int] $FuzzSeconds = 300,

    # The kernels the Lane task boots, one lane run each (run-lane.sh --kernel): 6.1, 6.12, newest (the newest 6.12
    # apt serves) or a linux-image package. Default: $env:KERNEL_LANE_KERNELS, else 6.1 and 6.12.
    [ValidateNotNullOrEmpty()]
    [string[]] $LaneKernel = @(if ($env:KERNEL_LANE_KERNELS) { $env:KERNEL_LANE_KERNELS -split '[,\s]+' | Where-Object { $_ } } else { '6.1', '6.12' })
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
# Exit codes of dotnet and pwsh are checked by hand below, so that each failure says which step failed.
$PSNativeCommandUseErrorActionPreference = $false

$KnownTasks = @('Clean', 'Build', 'Test', 'Fuzz', 'Lane', 'Docs')
$Tasks = @($Task | ForEach-Object { $_ -split ',' } | ForEach-Object { $_.Trim() } | Where-Object { $_ })
foreach ($name in $Tasks) {
    if ($name -notin $KnownTasks) {
        throw "Unknown task '$name'. The tasks are: $($KnownTasks -join ', ') (an array, or one comma-separated string)."
    }
}
if ($Tasks.Count -eq 0) {
    throw "No task given. The tasks are: $($KnownTasks -join ', ')."
}

$RepoRoot = $PSScriptRoot
$Solution = Join-Path $RepoRoot 'VfioPS.sln'
$ManifestPath = Join-Path $RepoRoot 'VfioPS.psd1'
$OutputRoot = Join-Path $RepoRoot 'output'
$PesterSuite = Join-Path $RepoRoot 'VfioPS.Tests' 'Pester' 'Invoke-PesterSuite.ps1'
$TestResultsPath = Join-Path $OutputRoot 'TestResults' 'Pester.xml'
$LaneScript = Join-Path $RepoRoot 'VfioPS.Tests' 'KernelLane' 'run-lane.sh'
$FuzzScript = Join-Path $RepoRoot 'VfioPS.Fuzz' 'run-fuzz.sh'
# Modules the build restores for itself (Pester), first on PSModulePath for this run and its children.
$ModulesRoot = Join-Path $RepoRoot '.modules'
$PesterVersion = '5.9.1'
$PesterMinimum = [version]'5.5'
$PesterBelow = [version]'6.0'
# Set by the Build task: Test and Lane then use that build instead of building again.
$script:Built = $false

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

function Get-PwshPath {
    # The pwsh running this script: the system one, or the tool manifest's (dotnet pwsh), whose $PSHOME has a
    # pwsh.dll but no apphost. Children are started the same way.
    $apphost = Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })
    if (Test-Path -LiteralPath $apphost -PathType Leaf) {
        return , @($apphost)
    }
    $dll = Join-Path $PSHOME 'pwsh.dll'
    if (Test-Path -LiteralPath $dll -PathType Leaf) {
        $dotnet = (Get-Command -Name dotnet -CommandType Application -ErrorAction Stop | Select-Object -First 1).Source
        return , @($dotnet, $dll)
    }
    , @((Get-Command -Name pwsh -CommandType Application -ErrorAction Stop | Select-Object -First 1).Source)
}

function Find-Pester {
    Get-Module -Name Pester -ListAvailable |
        Where-Object { $_.Version -ge $PesterMinimum -and $_.Version -lt $PesterBelow } |
        Sort-Object -Property Version -Descending |
        Select-Object -First 1
}

function Install-PesterFromNuGet {
    # A throwaway project whose PackageDownload makes dotnet restore fetch the package through the machine's
    # configured NuGet sources (no URL here); the module is under tools/ in the package.
    Assert-Dotnet
    $work = Join-Path $ModulesRoot 'restore'
    $packages = Join-Path $work 'packages'
    $null = New-Item -ItemType Directory -Path $work -Force
    $project = Join-Path $work 'PesterDownload.csproj'
    Set-Content -LiteralPath $project -Value @"
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net$([Environment]::Version.Major).0</TargetFramework>
    <ImportDirectoryBuildProps>false</ImportDirectoryBuildProps>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="Pester" Version="[$PesterVersion]" />
  </ItemGroup>
</Project>
"@
    Write-Step "Restoring Pester $PesterVersion from the configured NuGet sources into $ModulesRoot"
    # Out-Host: restore's lines must not become this function's output (callers get only the module).
    & dotnet restore $project --packages $packages | Out-Host
    if ($LASTEXITCODE -ne 0) {
        throw "dotnet restore could not get Pester $PesterVersion (exit code $LASTEXITCODE); see the messages above."
    }
    $tools = Join-Path $packages 'pester' $PesterVersion 'tools'
    if (-not (Test-Path -LiteralPath (Join-Path $tools 'Pester.psd1') -PathType Leaf)) {
        throw "The Pester $PesterVersion package has no tools/Pester.psd1 under '$tools'."
    }
    $target = Join-Path $ModulesRoot 'Pester' $PesterVersion
    if (Test-Path -LiteralPath $target) {
        Remove-Item -LiteralPath $target -Recurse -Force
    }
    $null = New-Item -ItemType Directory -Path $target -Force
    Copy-Item -Path (Join-Path $tools '*') -Destination $target -Recurse -Force
    Remove-Item -LiteralPath $work -Recurse -Force
}

function Initialize-Pester {
    # .modules/ first on PSModulePath, for this process and the child pwsh that runs the suite.
    $separator = [IO.Path]::PathSeparator
    if (-not (($env:PSModulePath -split $separator) -contains $ModulesRoot)) {
        $env:PSModulePath = $ModulesRoot + $separator + $env:PSModulePath
    }
    $pester = Find-Pester
    if (-not $pester) {
        $null = Install-PesterFromNuGet
        $pester = Find-Pester
        if (-not $pester) {
            throw "Pester $PesterVersion was restored into $ModulesRoot but is not importable from there."
        }
    }
    $pester
}

function Invoke-WithTimeout {
    # Runs a program with this console as its stdout/stderr and kills its whole process tree after
    # $TimeoutSeconds. Returns the exit code, or $null when it was killed.
    param(
        [Parameter(Mandatory)][string[]] $Command,
        [Parameter(Mandatory)][int] $TimeoutSeconds
    )
    $startInfo = [System.Diagnostics.ProcessStartInfo]::new($Command[0])
    foreach ($argument in $Command[1..($Command.Count - 1)]) {
        $startInfo.ArgumentList.Add($argument)
    }
    $startInfo.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($startInfo)
    try {
        if ($process.WaitForExit($TimeoutSeconds * 1000)) {
            $process.WaitForExit()
            return $process.ExitCode
        }
        $process.Kill($true)
        $process.WaitForExit()
        $null
    }
    finally {
        $process.Dispose()
    }
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
    $script:Built = $true
    Write-Step "Module laid out at $(Split-Path -Parent $builtManifest)"
}

function Invoke-TestTask {
    Assert-Dotnet

    # Found (or restored) first, so a missing Pester fails in seconds rather than after the xunit run.
    $pester = Initialize-Pester

    $noBuild = @(if ($script:Built) { '--no-build' })
    Write-Step "dotnet test $Solution -c $Configuration $noBuild"
    & dotnet test $Solution -c $Configuration @noBuild
    if ($LASTEXITCODE -ne 0) {
        throw "dotnet test failed with exit code $LASTEXITCODE."
    }

    $builtManifest = Get-BuiltManifestPath
    if (-not (Test-Path -LiteralPath $builtManifest -PathType Leaf)) {
        throw "There is no built module at '$builtManifest'. Run ./build.ps1 -Task Build first."
    }

    # A child pwsh, so the build session never loads (and locks) VfioPS.dll, and the tests see a fresh process.
    # RealDevice tests skip here, saying why; the Lane task runs them in its VM.
    $pwsh = Get-PwshPath
    Write-Step "Pester $($pester.Version) suite against $builtManifest (limit ${PesterTimeoutSeconds}s)"
    $exitCode = Invoke-WithTimeout -TimeoutSeconds $PesterTimeoutSeconds -Command (@($pwsh) + @(
            '-NoProfile', '-NonInteractive', '-File', $PesterSuite, '-ModulePath', $builtManifest,
            '-OutputPath', $TestResultsPath))
    if ($null -eq $exitCode) {
        # The closing line CI sums, so a hang counts as a failure there too.
        Write-Information -InformationAction Continue -MessageData 'pester: 0 passed, 1 failed (the run did not finish in time)'
        throw ("The Pester suite did not finish within ${PesterTimeoutSeconds}s and was killed. A hang before any " +
            'test fails is often a symlink cycle under TestDrive (Pester lists TestDrive recursively).')
    }
    if ($exitCode -ne 0) {
        throw "The Pester suite failed (exit code $exitCode). Results: $TestResultsPath"
    }
    Write-Step "Pester suite passed. Results: $TestResultsPath"
}

function Invoke-LaneTask {
    Assert-Dotnet
    if (-not $script:Built -and -not (Test-Path -LiteralPath (Get-BuiltManifestPath) -PathType Leaf)) {
        throw "There is no built module at '$(Get-BuiltManifestPath)'. Run ./build.ps1 -Task Build,Lane."
    }
    # Pester for the guest's RealDevice run: the repository (and so .modules/) is shared with the guest.
    $null = Initialize-Pester
    $kernels = @($LaneKernel | ForEach-Object { $_ -split ',' } | ForEach-Object { $_.Trim() } | Where-Object { $_ })
    Write-Step "Kernel lane ($Configuration build, kernels $($kernels -join ', '), limit ${LaneTimeoutSeconds}s per kernel)"
    # The guest's Pester step runs on this very pwsh (its pwsh.dll; run-lane.sh shares the folder).
    $env:KERNEL_LANE_PWSH = Join-Path $PSHOME 'pwsh.dll'
    & bash $LaneScript --kernel ($kernels -join ',') --timeout $LaneTimeoutSeconds --configuration $Configuration --suite --unplug
    if ($LASTEXITCODE -ne 0) {
        throw "The kernel lane failed (exit code $LASTEXITCODE; 125 means the VM itself failed). See the output above."
    }
}

function Invoke-FuzzTask {
    Assert-Dotnet
    # run-fuzz.sh prints each target's executions, edges, crashes and hangs, and "fuzz: N passed, N failed" for CI.
    Write-Step "Fuzzing (SharpFuzz + AFL++): ${FuzzSeconds}s in all across the targets"
    & bash $FuzzScript --total-seconds $FuzzSeconds
    if ($LASTEXITCODE -ne 0) {
        throw "Fuzzing failed (exit code $LASTEXITCODE): a crash or hang, or afl-fuzz did not start. See the output above."
    }
}

function Invoke-DocsTask {
    $docs = Join-Path $RepoRoot 'docs'
    $target = Join-Path $RepoRoot 'en-US' 'VfioPS.dll-Help.xml'
    # The MAML is pinned to what the released PlatyPS 1.0.3 writes; other 1.0.x releases write other bytes
    # (1.0.0-1.0.2 split descriptions into paragraphs; 1.0.0/1.0.1 write command:uri), so only 1.0.3 is used.
    $available = @(Get-Module -Name Microsoft.PowerShell.PlatyPS -ListAvailable)
    $platyPS = $available | Where-Object { $_.Version -eq [version]'1.0.3' } | Select-Object -First 1
    if (-not $platyPS) {
        Assert-Dotnet
        $found = if ($available) { "only $(($available.Version | Sort-Object -Unique) -join ', ') is installed" } else { 'it is not installed' }
        Write-Warning ("Microsoft.PowerShell.PlatyPS 1.0.3 is the reference for the MAML and $found " +
            '(Install-Module Microsoft.PowerShell.PlatyPS -RequiredVersion 1.0.3 -Scope CurrentUser); ' +
            'writing it with the repository generator VfioPS.Docs, which writes the same bytes.')
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
    $pwsh = Get-PwshPath
    Write-Step "PlatyPS $($platyPS.Version): docs/*.md -> $outFolder"
    # A script file, not a script block: a block is passed encoded only to a command named pwsh, and under the
    # tool manifest the child is "dotnet pwsh.dll".
    $null = New-Item -ItemType Directory -Path $outFolder -Force
    $exportScript = Join-Path $outFolder 'Export-VfioPSMaml.ps1'
    Set-Content -LiteralPath $exportScript -Value @'
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
'@
    & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -File $exportScript -PlatyPSPath $platyPS.Path -Docs $docs -OutFolder $outFolder
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

foreach ($name in $Tasks) {
    Write-Step "Task $name ($Configuration)"
    switch ($name) {
        'Clean' { Invoke-CleanTask }
        'Build' { Invoke-BuildTask }
        'Test' { Invoke-TestTask }
        'Fuzz' { Invoke-FuzzTask }
        'Lane' { Invoke-LaneTask }
        'Docs' { Invoke-DocsTask }
    }
}
