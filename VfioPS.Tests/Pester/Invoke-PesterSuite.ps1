#Requires -Version 7.4
<#
.SYNOPSIS
    Runs the VfioPS Pester suite against one built module.

.DESCRIPTION
    Meant to run in its own pwsh process (build.ps1 -Task Test starts it with -NoProfile -NonInteractive), so
    the module under test is loaded fresh and never into the build session.

    Every *.Tests.ps1 file in this folder imports the module through common.ps1, which reads the
    VFIOPS_TEST_MODULE environment variable this script sets, so the suite tests exactly -ModulePath.
    Writes NUnit XML to -OutputPath (default output/TestResults/Pester.xml) and exits 0 only when every test
    passed, non-zero otherwise.

.PARAMETER ModulePath
    The built manifest to test, e.g. output/VfioPS/0.1.0/VfioPS.psd1.

.PARAMETER OutputPath
    Where to write the NUnit XML results. Default: output/TestResults/Pester.xml under the repository root.

.PARAMETER Path
    The test files to run. Default: every *.Tests.ps1 in this folder. The real-kernel lane names only the files
    that have RealDevice tests, so discovery (which runs every file's BeforeDiscovery) stays short in its VM.

.PARAMETER Tag
    Runs only the tests with one of these tags. The real-kernel lane runs -Tag RealDevice in its VM.

.PARAMETER ExcludeTag
    Leaves out the tests with one of these tags.

.PARAMETER Label
    The first word of the closing count line: "<Label>: N passed, N failed, N skipped" (CI sums these lines).

.EXAMPLE
    pwsh -NoProfile -NonInteractive -File VfioPS.Tests/Pester/Invoke-PesterSuite.ps1 -ModulePath output/VfioPS/0.1.0/VfioPS.psd1
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [string] $ModulePath,

    [string] $OutputPath,

    [string[]] $Path,

    [string[]] $Tag,

    [string[]] $ExcludeTag,

    [string] $Label = 'pester'
)

# No $ErrorActionPreference = 'Stop' here on purpose: the test scripts run in scopes below this one and would
# inherit it. Each setup step below passes -ErrorAction Stop itself.

$repoRoot = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..'))

$resolvedModulePath = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($ModulePath)
if (-not (Test-Path -LiteralPath $resolvedModulePath -PathType Leaf)) {
    throw "The module manifest '$resolvedModulePath' does not exist. Run ./build.ps1 -Task Build first."
}

if ([string]::IsNullOrWhiteSpace($OutputPath)) {
    $OutputPath = [System.IO.Path]::Combine($repoRoot, 'output', 'TestResults', 'Pester.xml')
}
$OutputPath = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutputPath)
$null = New-Item -ItemType Directory -Path (Split-Path -Parent $OutputPath) -Force -ErrorAction Stop

try {
    # The suite is written for Pester 5; 6.x is also published and changes behaviour.
    Import-Module -Name Pester -MinimumVersion 5.5 -MaximumVersion 5.999 -ErrorAction Stop
}
catch {
    throw ("Pester 5 (>= 5.5, < 6) is required: $($_.Exception.Message)" + [Environment]::NewLine +
        'Run the suite through ./build.ps1 -Task Test, which restores Pester 5.9.1 into .modules/.')
}

$runtime = [System.Runtime.InteropServices.RuntimeInformation]
Write-Information -InformationAction Continue -MessageData (
    "PowerShell $($PSVersionTable.PSVersion) ($($PSVersionTable.OS)); " +
    "OS architecture $($runtime::OSArchitecture), process architecture $($runtime::ProcessArchitecture)")
Write-Information -InformationAction Continue -MessageData "Pester $((Get-Module -Name Pester).Version)"
Write-Information -InformationAction Continue -MessageData "Module under test: $resolvedModulePath"
Write-Information -InformationAction Continue -MessageData "Test results: $OutputPath"

# common.ps1 imports exactly this build.
$env:VFIOPS_TEST_MODULE = $resolvedModulePath

$configuration = New-PesterConfiguration
# A comma list arrives as one string through pwsh -File (as the lane passes it).
$testPaths = @($Path | ForEach-Object { $_ -split ',' } | Where-Object { $_ } |
        ForEach-Object { $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($_.Trim()) })
$configuration.Run.Path = if ($testPaths) { $testPaths } else { $PSScriptRoot }
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
# Plain text into a log (CI, the lane's console): no ANSI colour codes between the words.
if ([Console]::IsOutputRedirected) { $configuration.Output.RenderMode = 'Plaintext' }
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputFormat = 'NUnitXml'
$configuration.TestResult.OutputPath = $OutputPath
if ($Tag) { $configuration.Filter.Tag = $Tag }
if ($ExcludeTag) { $configuration.Filter.ExcludeTag = $ExcludeTag }

$result = Invoke-Pester -Configuration $configuration

# Any failed test, block (BeforeAll/AfterAll) or container (discovery), a run that did not pass, or a run that
# found nothing to test fails the suite. Exit 1 rather than the failure count: exit codes wrap at 256.
if ($null -eq $result) {
    Write-Information -InformationAction Continue -MessageData 'Pester returned no result: the run did not complete.'
    exit 1
}
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
# The closing line CI sums over all runs (failed blocks and containers count as failures).
Write-Information -InformationAction Continue -MessageData "$($Label): $($result.PassedCount) passed, $failed failed, $($result.SkippedCount) skipped"
if ($failed -gt 0 -or $result.Result -ne 'Passed') {
    Write-Information -InformationAction Continue -MessageData (
        "Pester run $($result.Result): $($result.FailedCount) failed tests, $($result.FailedBlocksCount) failed blocks, " +
        "$($result.FailedContainersCount) failed containers.")
    exit 1
}
if ($result.PassedCount -eq 0) {
    Write-Information -InformationAction Continue -MessageData "Pester found no tests to run in '$PSScriptRoot'."
    exit 1
}
exit 0
