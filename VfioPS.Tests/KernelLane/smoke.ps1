# The kernel lane's smoke test through the PowerShell engine and the BUILT module (run by vfiops-run inside the VM,
# against the real vfio-pci driver). Every check throws on failure, so the runner exits non-zero.
# Expected values: vfio-abi.md §7, measured on Debian's 6.1 kernel; on 6.5 and later (the lane's 6.12) MSI-X with
# vectors is answered without NORESIZE (dynamic MSI-X), the one reading that differs.
param()

$ErrorActionPreference = 'Stop'
$checks = 0
function Assert-That([bool] $Condition, [string] $What) {
    if (-not $Condition) { throw "kernel lane smoke: FAILED: $What" }
    $script:checks++
}

$devices = @(Get-VfioDevice -Driver vfio-pci)
# run-lane.sh says how many it bound (six on the root bus, two behind the root port).
$bound = if ($env:KERNEL_LANE_NDEV) { [int]$env:KERNEL_LANE_NDEV } else { 8 }
Assert-That ($devices.Count -eq $bound) "$bound devices bound to vfio-pci (got $($devices.Count))"
Assert-That (@($devices | Where-Object { -not $_.Usable }).Count -eq 0) 'every vfio-pci device is usable'

# Get-VfioDevice output pipes into the read cmdlets, which open each device for the call.
$piped = @(Get-VfioDevice | Where-Object Driver -eq 'vfio-pci' | Get-VfioIrqInfo -Index REQ)
Assert-That ($piped.Count -eq $bound -and @($piped | Where-Object Count -eq 1).Count -eq $bound) "REQ of all $bound devices through the pipeline (got $($piped.Count))"

$release = [System.IO.File]::ReadAllText('/proc/sys/kernel/osrelease').Trim()
$msixFlags = if ([version]($release -replace '^(\d+\.\d+).*', '$1') -ge [version]'6.5') { 1 } else { 9 }
$expected = @{
    '8086:10d3' = @{ Counts = 1, 1, 5, 1, 1; Flags = 7, 9, $msixFlags, 9, 9; ErrSupported = $true }
    '1234:11e8' = @{ Counts = 1, 1, 0, 0, 1; Flags = 7, 9, 9, 0, 9; ErrSupported = $false }
    '1af4:1000' = @{ Counts = 1, 0, 4, 0, 1; Flags = 7, 9, $msixFlags, 0, 9; ErrSupported = $false }
    '1b36:0005' = @{ Counts = 0, 0, 0, 0, 1; Flags = 7, 9, 9, 0, 9; ErrSupported = $false }
}
foreach ($device in $devices) {
    $want = $expected[$device.Id]
    # A PCI address string opens the device for the call and closes it afterwards.
    $infos = @(Get-VfioIrqInfo -Device $device.Address)
    Assert-That ($infos.Count -eq 5) "$($device.Address): five IRQ indexes"
    for ($i = 0; $i -lt 5; $i++) {
        Assert-That ($infos[$i].Count -eq $want.Counts[$i]) "$($device.Address) index ${i}: count $($infos[$i].Count), expected $($want.Counts[$i])"
        Assert-That ([int]$infos[$i].Flags -eq $want.Flags[$i]) "$($device.Address) index ${i}: flags $([int]$infos[$i].Flags), expected $($want.Flags[$i])"
        Assert-That (-not $infos[$i].IsDeviceSpecific -and $infos[$i].Capabilities.Count -eq 0) "$($device.Address) index ${i}: no capabilities on a mainline kernel"
    }
    Assert-That ($infos[3].Supported -eq $want.ErrSupported) "$($device.Address): ERR supported is $($infos[3].Supported)"
}

# The loopback through Set-VfioIrq and Wait-VfioEventFd on every MSI-X vector of e1000e, and /proc/interrupts.
$nic = Open-VfioDevice 0000:00:10.0
$fds = New-VfioEventFd -Count 5
try {
    $state = Set-VfioIrq $nic -Index MSI-X -EventFd $fds -PassThru
    Assert-That ($state.Enabled -and $state.Vectors.Count -eq 5) 'MSI-X enabled with five vectors in the record'
    $lines = @([System.IO.File]::ReadAllLines('/proc/interrupts') | Where-Object { $_ -match 'vfio-msix\[\d+\]\(0000:00:10\.0\)' })
    Assert-That ($lines.Count -eq 5) "/proc/interrupts shows five vfio-msix lines (got $($lines.Count))"
    for ($v = 0; $v -lt 5; $v++) {
        Set-VfioIrq $nic MSI-X -Trigger -Start $v -Count 1
        $fired = @(Wait-VfioEventFd $fds -Timeout 5)
        Assert-That ($fired.Count -eq 1 -and $fired[0].Vector -eq $v -and $fired[0].Counter -eq 1) "MSI-X vector $v loops back alone"
    }
    # While this process holds the group, another one is refused with EBUSY, and the message names the holder.
    $runner = [System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'VfioPS.Runner', 'bin', 'Release', 'net10.0', 'vfiops-run.dll')
    $start = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    $start.ArgumentList.Add($runner); $start.ArgumentList.Add('-Command'); $start.ArgumentList.Add('Open-VfioDevice 0000:00:10.0')
    $start.RedirectStandardError = $true; $start.RedirectStandardOutput = $true
    $child = [System.Diagnostics.Process]::Start($start)
    $childErrors = $child.StandardError.ReadToEnd(); $null = $child.StandardOutput.ReadToEnd(); $child.WaitForExit()
    Assert-That ($child.ExitCode -eq 1) "a second process opening the device fails (exit $($child.ExitCode))"
    Assert-That ($childErrors -match "is in use by process $PID ") "the busy error names this process ($PID): $childErrors"

    # A user without access to the group node is told which file and what to do (the lane runs as root, so the
    # child drops to nobody with util-linux's setpriv).
    $setpriv = [System.Diagnostics.ProcessStartInfo]::new('setpriv')
    foreach ($a in '--reuid=65534', '--regid=65534', '--clear-groups', 'dotnet', $runner, '-Command', 'Open-VfioDevice 0000:00:11.0') { $setpriv.ArgumentList.Add($a) }
    $setpriv.RedirectStandardError = $true; $setpriv.RedirectStandardOutput = $true
    $setpriv.Environment['HOME'] = '/tmp'; $setpriv.Environment['DOTNET_CLI_HOME'] = '/tmp'
    $denied = [System.Diagnostics.Process]::Start($setpriv)
    $deniedErrors = $denied.StandardError.ReadToEnd(); $null = $denied.StandardOutput.ReadToEnd(); $denied.WaitForExit()
    Assert-That ($denied.ExitCode -eq 1) "an unprivileged user's open fails (exit $($denied.ExitCode))"
    Assert-That ($deniedErrors -match 'Permission denied opening /dev/vfio/\d+') "the EACCES error names the group file: $deniedErrors"

    Get-VfioIrqInfo -Device $nic -Index MSI-X | Set-VfioIrq -Disable
    $lines = @([System.IO.File]::ReadAllLines('/proc/interrupts') | Where-Object { $_ -match 'vfio-msix' })
    Assert-That ($lines.Count -eq 0) '/proc/interrupts has no vfio-msix line after -Disable'
}
finally {
    $fds | Close-VfioEventFd
    Close-VfioDevice $nic
}
"kernel lane smoke: $checks passed, 0 failed"
