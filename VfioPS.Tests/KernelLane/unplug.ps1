# unplug.ps1 - the kernel lane's device-removal scenario (run-lane.sh --unplug; unplug.sh runs it in real pwsh):
# QEMU hot-unplugs a vfio-pci device (device_del, asked for with vfio-vm --hotplug's console line) while this
# process holds it with IRQs bound, and the kernel asks for the device back through the REQ index's eventfd.
#   cooperative: REQ arrives soon after the request; calls on the device still succeed while the release is
#                pending; after Close-VfioDevice the device leaves /sys/bus/pci/devices within seconds.
#   idle:        a holder that does nothing sees REQ again about every 10 s and the device stays while it lives;
#                unplug.sh checks that it is gone soon after this process exits (so this script exits holding it).
# Prints "unplug: ok ..." / "unplug: FAIL ..." per check and "unplug: figure ..." lines; unplug.sh counts them.
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $Cooperative,      # address of the device for the cooperative case
    [Parameter(Mandatory)] [string] $CooperativeId,    # its QEMU id (device_del)
    [Parameter(Mandatory)] [string] $Idle,
    [Parameter(Mandatory)] [string] $IdleId,
    [int] $IdleSignals = 3                             # REQ signals the idle holder waits for (gaps: one fewer)
)

$ErrorActionPreference = 'Stop'
$started = [Diagnostics.Process]::GetCurrentProcess().StartTime
Import-Module $ModulePath
[Console]::Out.WriteLine(('unplug: figure pwsh start and Import-Module {0:0.0} s' -f ([datetime]::Now - $started).TotalSeconds))

function Say([string] $Text) { [Console]::Out.WriteLine($Text); [Console]::Out.Flush() }
function Check([bool] $Condition, [string] $What) {
    if ($Condition) { Say "unplug: ok   $What" } else { Say "unplug: FAIL $What" }
}
function Present([string] $Address) { Test-Path -LiteralPath "/sys/bus/pci/devices/$Address" }
function Request-Unplug([string] $Id) { Say "== vfio-vm device_del $Id" }
# Waits up to $Seconds for the device to leave sysfs; returns the seconds it took, or -1.
function Wait-Gone([string] $Address, [double] $Seconds) {
    $sw = [Diagnostics.Stopwatch]::StartNew()
    while ($sw.Elapsed.TotalSeconds -lt $Seconds) {
        if (-not (Present $Address)) { return [math]::Round($sw.Elapsed.TotalSeconds, 2) }
        Start-Sleep -Milliseconds 50
    }
    -1
}

# ---------------------------------------------------------------- cooperative: wait for REQ, then close
Say "unplug: cooperative: $Cooperative ($CooperativeId), MSI and REQ bound"
$dev = Open-VfioDevice $Cooperative
$msi = New-VfioEventFd
$req = New-VfioEventFd
Set-VfioIrq $dev MSI -EventFd $msi -Confirm:$false
Set-VfioIrq $dev REQ -EventFd $req -Confirm:$false
$early = @(Wait-VfioEventFd $req -Timeout 0.5 -ErrorAction SilentlyContinue)
Check ($early.Count -eq 0) 'cooperative: no REQ before the unplug is requested'

$sw = [Diagnostics.Stopwatch]::StartNew()
Request-Unplug $CooperativeId
$fired = @(Wait-VfioEventFd $req -Timeout 30 -ErrorAction SilentlyContinue)
$latency = [math]::Round($sw.Elapsed.TotalSeconds, 2)
Check ($fired.Count -eq 1 -and $fired[0].Index -eq 4 -and $fired[0].Device -eq $Cooperative) "cooperative: REQ fired (index $($fired.Index), device $($fired.Device))"
Check ($fired.Count -eq 1 -and $latency -le 10) "cooperative: REQ within 10 s of the request ($latency s)"
Say "unplug: figure cooperative REQ latency $latency s"

# The kernel waits for the release; the device still answers meanwhile.
$info = @(Get-VfioIrqInfo $dev)
Check ($info.Count -eq 5 -and ($info | Where-Object Index -eq 4).Count -eq 1) "cooperative: Get-VfioIrqInfo while the release is pending ($($info.Count) indexes, REQ count $(($info | Where-Object Index -eq 4).Count))"
$cfg = Get-VfioPciConfig $dev
Check ($cfg.VendorId -eq 0x1234 -and $cfg.DeviceId -eq 0x11e8) ('cooperative: Get-VfioPciConfig while pending (vendor 0x{0:x4}, device 0x{1:x4})' -f $cfg.VendorId, $cfg.DeviceId)
Set-VfioIrq $dev MSI -Trigger -Confirm:$false
$loop = @(Wait-VfioEventFd $msi -Timeout 5 -ErrorAction SilentlyContinue)
Check ($loop.Count -eq 1 -and $loop[0].Index -eq 1) 'cooperative: the MSI loopback (Set-VfioIrq -Trigger) still signals its eventfd while pending'
Check (Present $Cooperative) 'cooperative: the device stays in /sys/bus/pci/devices while it is open'

Close-VfioDevice $dev -Confirm:$false
$gone = Wait-Gone $Cooperative 15
Check ($gone -ge 0) "cooperative: the device left /sys/bus/pci/devices after Close-VfioDevice ($gone s)"
Say "unplug: figure cooperative gone after close $gone s"
Close-VfioEventFd $msi, $req

# ---------------------------------------------------------------- idle: keep the device, count the REQ signals
Say "unplug: idle: $Idle ($IdleId), INTx and REQ bound, never closed"
$dev = Open-VfioDevice $Idle
$intx = New-VfioEventFd
$req = New-VfioEventFd
Set-VfioIrq $dev INTx -EventFd $intx -Confirm:$false
Set-VfioIrq $dev REQ -EventFd $req -Confirm:$false
$sw = [Diagnostics.Stopwatch]::StartNew()
Request-Unplug $IdleId
$times = [Collections.Generic.List[double]]::new()
$stayed = 0; $answered = 0
Wait-VfioEventFd $req -Stream -MaxEvents $IdleSignals -Timeout (12 * $IdleSignals + 10) -ErrorAction SilentlyContinue |
    ForEach-Object {
        $times.Add($sw.Elapsed.TotalSeconds)
        Say ('unplug: idle: REQ #{0} at {1:0.00} s (counter {2})' -f $times.Count, $sw.Elapsed.TotalSeconds, $_.Counter)
        if (Present $Idle) { $stayed++ }
        if (@(Get-VfioIrqInfo $dev -Index REQ).Count -eq 1) { $answered++ }
    }
Check ($times.Count -ge 2) "idle: REQ signalled repeatedly ($($times.Count) signals, wanted $IdleSignals)"
if ($times.Count -ge 1) {
    Check ($times[0] -le 10) ('idle: first REQ within 10 s of the request ({0:0.00} s)' -f $times[0])
    Say ('unplug: figure idle REQ latency {0:0.00} s' -f $times[0])
}
$gaps = @(for ($i = 1; $i -lt $times.Count; $i++) { [math]::Round($times[$i] - $times[$i - 1], 2) })
if ($gaps.Count -gt 0) {
    # The kernel re-signals 10 s after the previous signal; a reading delayed on a loaded machine lengthens one gap
    # and shortens the next, so the mean must be about 10 s and each gap only roughly so.
    $mean = [math]::Round(($times[$times.Count - 1] - $times[0]) / $gaps.Count, 2)
    Check ($mean -ge 8 -and $mean -le 12.5 -and @($gaps | Where-Object { $_ -lt 5 -or $_ -gt 15 }).Count -eq 0) "idle: REQ about every 10 s (gaps $($gaps -join ' s, ') s, mean $mean s)"
    Say "unplug: figure idle REQ gaps $($gaps -join ' ') s"
}
Check ($stayed -eq $times.Count -and (Present $Idle)) "idle: the device stays in /sys/bus/pci/devices while the holder lives ($stayed of $($times.Count) signals, and now)"
Check ($answered -eq $times.Count) "idle: Get-VfioIrqInfo answers after every REQ ($answered of $($times.Count))"
Say 'unplug: idle: exiting with the device still open'
exit 0
