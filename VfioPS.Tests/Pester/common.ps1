# Shared setup for the VfioPS Pester files. Each *.Tests.ps1 dot-sources it from its top-level BeforeAll:
#     BeforeAll { . (Join-Path $PSScriptRoot 'common.ps1') }
# so everything defined here exists during the Run phase only; data for -ForEach/-Skip belongs in BeforeDiscovery.
#
# It imports the BUILT module, never the source: the manifest named by $env:VFIOPS_TEST_MODULE (set by
# Invoke-PesterSuite.ps1) or else the newest output/VfioPS/<version>/VfioPS.psd1 of this repository.

$VfioRepoRoot = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..'))
$VfioOutputRoot = [System.IO.Path]::Combine($VfioRepoRoot, 'output')

if (-not [string]::IsNullOrWhiteSpace($env:VFIOPS_TEST_MODULE)) {
    $VfioModulePath = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($env:VFIOPS_TEST_MODULE)
    if (-not (Test-Path -LiteralPath $VfioModulePath -PathType Leaf)) {
        throw "VFIOPS_TEST_MODULE names '$VfioModulePath', which does not exist. Run ./build.ps1 -Task Build first."
    }
}
else {
    $builtRoot = [System.IO.Path]::Combine($VfioOutputRoot, 'VfioPS')
    $newest = Get-ChildItem -LiteralPath $builtRoot -Directory -ErrorAction SilentlyContinue |
        Where-Object { $null -ne ($_.Name -as [version]) -and (Test-Path -LiteralPath (Join-Path $_.FullName 'VfioPS.psd1') -PathType Leaf) } |
        Sort-Object -Property { [version]$_.Name } -Descending |
        Select-Object -First 1
    if ($null -eq $newest) {
        throw "No built VfioPS module was found under '$builtRoot'. Run ./build.ps1 -Task Build first."
    }
    $VfioModulePath = Join-Path $newest.FullName 'VfioPS.psd1'
}

Import-Module -Name $VfioModulePath -Force -ErrorAction Stop

# The real-kernel lane (VfioPS.Tests/KernelLane) boots a VM whose devices sit at fixed addresses and lists them in
# the file $env:VFIO_VM_DEVICES names ("<address> <vendor:device> <name> group=<n> <node>" per line). Tests tagged
# RealDevice run only there; elsewhere they skip with $VfioRealDeviceSkipReason.
$VfioLaneDevices = @()
if (-not [string]::IsNullOrWhiteSpace($env:VFIO_VM_DEVICES) -and (Test-Path -LiteralPath $env:VFIO_VM_DEVICES -PathType Leaf)) {
    $VfioLaneDevices = @(Get-Content -LiteralPath $env:VFIO_VM_DEVICES | Where-Object { $_ -match ' group=\d+ ' } | ForEach-Object {
            $address, $id, $name, $group, $node = -split $_
            [pscustomobject]@{ Address = $address; Id = $id; Name = $name; Group = [int]($group -replace '^group=', ''); Node = $node }
        })
}
$VfioInKernelLane = $VfioLaneDevices.Count -gt 0
$VfioRealDeviceSkipReason = 'it needs the real-kernel lane''s devices bound to vfio-pci (./build.ps1 -Task Lane runs it in a VM)'

# A mock profile whose display IRQ (index 5) has a malformed capability chain, given as raw bytes from offset 20
# of the vfio_irq_info answer: 4 bytes of pad, then a TYPE capability (id 3, version 1) at offset 24 whose next
# field is 0x18 = 24, i.e. points back at itself, with type 1 and subtype 1. The walk reads that capability once
# and then stops at the cycle. Indexes 1..4 have no entry, so the mock refuses them with EINVAL.
$VfioCyclicChainProfileJson = @'
{
  "name": "cyclic-chain",
  "description": "Written by the VfioPS Pester suite: a TYPE capability whose next field points back at itself.",
  "device": { "flags": ["Pci"], "numRegions": 9, "numIrqs": 6 },
  "irqs": [
    { "index": 0, "flags": ["EventFd", "Maskable", "AutoMasked"], "count": 1 },
    {
      "index": 5,
      "flags": ["EventFd", "Caps"],
      "count": 1,
      "rawCapabilities": { "capOffset": 24, "bytes": "00000000 0300 0100 18000000 01000000 01000000" }
    }
  ]
}
'@

function Close-VfioTestDevice {
    # Disposes every VfioPS.VfioDevice it is given (nulls, arrays and other objects are fine): for AfterAll/AfterEach.
    param([Parameter(ValueFromPipeline)][AllowNull()][object] $InputObject)
    process {
        foreach ($item in @($InputObject)) {
            if ($item -is [VfioPS.VfioDevice]) { $item.Dispose() }
        }
    }
}

function Remove-AnsiEscape {
    # Format-Table may colour its header (PSStyle); strip the escape sequences before matching rendered text.
    param([Parameter(Mandatory, ValueFromPipeline)][AllowEmptyString()][string] $Text)
    process { $Text -replace '\x1b\[[0-9;?]*[A-Za-z]', '' }
}

function Close-VfioTestEventFd {
    # Closes every VfioPS.VfioEventFd it is given, also inside nested arrays and lists (nulls and other objects are
    # fine): for AfterAll/AfterEach.
    param([Parameter(ValueFromPipeline)][AllowNull()][object] $InputObject)
    process {
        # foreach, not @(): @() of a List[object] that came down the pipeline fails ("Argument types do not match").
        foreach ($item in $InputObject) {
            if ($item -is [VfioPS.VfioEventFd]) { $item.Dispose() }
            elseif ($item -is [System.Collections.IList]) { $item | Close-VfioTestEventFd }
        }
    }
}

function Get-VfioOpenFdCount {
    # How many fds this process has open (/proc/self/fd), counted after finalizers ran so that handles dropped
    # earlier do not close in the middle of a comparison.
    [System.GC]::Collect()
    [System.GC]::WaitForPendingFinalizers()
    [System.GC]::Collect()
    [System.IO.Directory]::GetFileSystemEntries('/proc/self/fd').Length
}

function Start-VfioChildPwsh {
    # A fresh pwsh (the one running these tests) that imports the built module, then runs $Command; its standard
    # output and error are redirected to the caller.
    param([Parameter(Mandatory)][string] $Command)
    $pwsh = Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })
    $start = [System.Diagnostics.ProcessStartInfo]::new($pwsh)
    foreach ($argument in '-NoProfile', '-NonInteractive', '-Command', "Import-Module '$VfioModulePath' -ErrorAction Stop; $Command") {
        $start.ArgumentList.Add($argument)
    }
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    [System.Diagnostics.Process]::Start($start)
}

function Invoke-VfioChildPwsh {
    # Start-VfioChildPwsh, waited for: its exit code, standard output and standard error.
    param([Parameter(Mandatory)][string] $Command)
    $child = Start-VfioChildPwsh -Command $Command
    try {
        $errorTask = $child.StandardError.ReadToEndAsync()
        $output = $child.StandardOutput.ReadToEnd()
        $child.WaitForExit()
        [pscustomobject]@{ ExitCode = $child.ExitCode; Output = $output; Errors = $errorTask.Result }
    }
    finally {
        $child.Dispose()
    }
}
