# The concurrency workload Concurrency.Tests.ps1 (mock devices) and Concurrency.RealDevice.Tests.ps1 (the kernel
# lane's edu) share. Dot-sourced after common.ps1; defines:
#   New-VfioConcurrencyState   - the synchronized state every runspace sees: the device, how to reopen it, counters
#   $VfioConcurrencyWorker      - one runspace's share: N random cmdlet operations on the shared device
#   Invoke-VfioConcurrencyPool  - 8 runspaces of a RunspacePool, in rounds, with a watchdog
#   Invoke-VfioConcurrencyParallel - the same through ForEach-Object -Parallel -ThrottleLimit 8 (-TimeoutSeconds)
#   Test-VfioRecordMatchesDevice - at a quiescent point: the module's IRQ record against the device's real state
# The operations: Read-VfioRegion, Get-VfioIrqInfo, Set-VfioIrq -EventFd (bind, New-VfioEventFd's fds) and -1
# (unbind), Set-VfioIrq -Trigger (loopback), Send-VfioMockInterrupt (mock) or an edu register read (real),
# Wait-VfioEventFd -Timeout, Set-VfioIrq -Disable, and rarely Close-VfioDevice followed by a reopen. Each is done, or
# refused with one of $VfioConcurrencyAllowedIds (what a caller racing another runspace, or a close, may be told).

$VfioConcurrencyAllowedIds = @(
    'VfioDeviceClosed'          # the device was closed by another runspace before or during the call
    'VfioSetIrqsInvalid'        # EINVAL: another of INTx/MSI/MSI-X is enabled, or a trigger on an index not enabled
    'VfioIrqNoResize'           # a bind past the vectors another runspace's enable allocated
    'VfioIrqVectorsUnavailable'
)

function New-VfioConcurrencyState {
    param([Parameter(Mandatory)] $Device, [string] $Profile, [string] $Address)
    $indexes = @(Get-VfioIrqInfo -Device $Device -ErrorAction Stop | Where-Object { $_.Count -gt 0 -and $_.Index -le 4 } |
            ForEach-Object { [pscustomobject]@{ Index = [int]$_.Index; Count = [int]$_.Count } })
    $state = [hashtable]::Synchronized(@{
            Device = $Device; Profile = $Profile; Address = $Address; Indexes = $indexes; Gate = [object]::new(); Closes = 0
            # The IRQ operations in the order they ended, for the message when the record and the device differ.
            Log = [System.Collections.Concurrent.ConcurrentQueue[string]]::new()
        })
    $state
}

# One runspace's share. Runs in a runspace of its own: no script block of the caller's runspace is called from it
# (that would marshal back to a runspace that is busy waiting for this one).
$VfioConcurrencyWorker = {
    param($State, [int] $Seed, [int] $Ops, [string[]] $Allowed)
    $ErrorActionPreference = 'Stop'
    $random = [System.Random]::new($Seed)
    $fds = @(New-VfioEventFd; New-VfioEventFd; New-VfioEventFd)
    $done = 0
    $refused = @{}
    $unexpected = [System.Collections.Generic.List[string]]::new()
    $indexes = $State.Indexes
    $isMock = -not [string]::IsNullOrEmpty($State.Profile)
    try {
        for ($i = 0; $i -lt $Ops; $i++) {
            $device = $State.Device
            $irq = $indexes[$random.Next($indexes.Count)]
            $start = $random.Next($irq.Count)
            $count = $random.Next(1, $irq.Count - $start + 1)
            $op = $random.Next(100)
            try {
                if ($op -lt 25) { $null = Read-VfioRegion $device CONFIG ($random.Next(16) * 4) -Width 4 }
                elseif ($op -lt 35) { $null = Get-VfioIrqInfo $device $irq.Index }
                elseif ($op -lt 55) {
                    $use = @(for ($k = 0; $k -lt $count; $k++) { $fds[$random.Next($fds.Count)] })
                    Set-VfioIrq $device $irq.Index -EventFd $use -Start $start -Confirm:$false
                }
                elseif ($op -lt 65) { Set-VfioIrq $device $irq.Index -EventFd (@(-1) * $count) -Start $start -Confirm:$false }
                elseif ($op -lt 75) { Set-VfioIrq $device $irq.Index -Trigger -Start $start -Count $count -Confirm:$false }
                elseif ($op -lt 80) {
                    if ($isMock) { Send-VfioMockInterrupt $device $irq.Index -Vector $start }
                    else { $null = Read-VfioRegion $device BAR0 0 -Width 4 }
                }
                elseif ($op -lt 90) {
                    # A wait that times out is an answer, not a refusal: nothing had fired.
                    $null = Wait-VfioEventFd -EventFd $fds -Timeout 0.001 -ErrorAction SilentlyContinue -ErrorVariable waitErrors
                    foreach ($e in $waitErrors) { if ($e.FullyQualifiedErrorId -notlike 'VfioEventFdWaitTimeout*') { throw $e } }
                }
                elseif ($op -lt 99) { Set-VfioIrq $device $irq.Index -Disable -Confirm:$false }
                else {
                    # Close, and the closer reopens (once: a runspace that closed an already replaced device is done).
                    [System.Threading.Monitor]::Enter($State.Gate)
                    try {
                        if ([object]::ReferenceEquals($State.Device, $device) -and $device.IsOpen) {
                            Close-VfioDevice $device
                            $State.Closes++
                            $State.Device = if ($isMock) { [VfioPS.Mock.MockDevices]::OpenBuiltIn($State.Profile) }
                            else { Open-VfioDevice -Address $State.Address }
                        }
                    }
                    finally { [System.Threading.Monitor]::Exit($State.Gate) }
                }
                $done++
                if ($op -ge 35 -and $op -lt 75 -or $op -ge 90) { $State.Log.Enqueue("$($device.Name) op $op index $($irq.Index) start $start count ${count}: done") }
            }
            catch {
                $id = ($_.FullyQualifiedErrorId -split ',')[0]
                if ($op -ge 35 -and $op -lt 75 -or $op -ge 90) { $State.Log.Enqueue("$($device.Name) op $op index $($irq.Index) start $start count ${count}: $id $($_.Exception.Message)") }
                if ($Allowed -contains $id) { $refused[$id] = 1 + [int]$refused[$id] }
                else { $unexpected.Add("op $op on $($device.Name): $id $($_.Exception.Message)") }
            }
        }
    }
    finally { $fds | ForEach-Object { $_.Dispose() } }
    [pscustomobject]@{ Seed = $Seed; Done = $done; Refused = $refused; Unexpected = $unexpected.ToArray() }
}

# The module's record of each index (internal: VFIO has no ioctl that reads IRQ state back).
function Get-VfioRecordVectors {
    param($Device, [int] $Index)
    $flags = [System.Reflection.BindingFlags]'NonPublic,Instance'
    $record = [VfioPS.VfioDevice].GetProperty('IrqRecord', $flags).GetValue($Device)
    $snapshot = $record.GetType().GetMethod('Snapshot').Invoke($record, @($Device.Name, [uint32]$Index, ''))
    [pscustomobject]@{ Enabled = $snapshot.Enabled; Vectors = (@($snapshot.Vectors | ForEach-Object { $_.Vector }) -join ','); Allocated = $snapshot.AllocatedVectors }
}

# At a quiescent point: what differs between the module's record and the device. Mock: the mock's own state. Real:
# the vectors vfio-pci requested a host IRQ for (/proc/interrupts through Get-VfioDeviceInterrupt: an MSI vector shows
# there exactly while it has a trigger bound; INTx, on kernels with the persistent INTx handler, while INTx is enabled).
# Returns the differences (none when they agree).
function Test-VfioRecordMatchesDevice {
    param($State)
    $device = $State.Device
    if (-not $device.IsOpen) { return }
    if ($device.Profile) {
        $flags = [System.Reflection.BindingFlags]'NonPublic,Instance'
        $mock = [VfioPS.VfioDevice].GetProperty('MockChannel', $flags).GetValue($device)
        $stateOf = $mock.GetType().GetMethod('IrqState', $flags)
    }
    else {
        $hostIrqs = @(Get-VfioDeviceInterrupt -Address $State.Address -ErrorAction Stop)
    }
    foreach ($irq in $State.Indexes) {
        $record = Get-VfioRecordVectors $device $irq.Index
        if ($device.Profile) {
            $real = $stateOf.Invoke($mock, @([uint32]$irq.Index))
            $realVectors = @($real.BoundVectors) -join ','
            if ($record.Vectors -ne $realVectors -or $record.Enabled -ne $real.Enabled -or ($irq.Index -in 1, 2 -and $record.Allocated -ne $real.Allocated)) {
                "$($device.Name) index $($irq.Index): record enabled=$($record.Enabled) vectors=[$($record.Vectors)] allocated=$($record.Allocated), device enabled=$($real.Enabled) vectors=[$realVectors] allocated=$($real.Allocated)"
            }
        }
        elseif ($irq.Index -le 2) {
            # INTx, MSI, MSI-X only: ERR and REQ triggers have no host IRQ line to see.
            # Only the vectors with vfio-pci's handler: an MSI vector allocated at enable with no eventfd is listed
            # too (from msi_irqs/), without a handler and without a vector number.
            $realVectors = @($hostIrqs | Where-Object { $_.Index -eq $irq.Index -and $_.Handler } |
                    ForEach-Object { if ($null -eq $_.Vector -or $_.Vector -lt 0) { 0 } else { $_.Vector } } | Sort-Object) -join ','
            # INTx with no eventfd bound: kernels with vfio-pci's persistent INTx handler (6.9, and 6.1.84 on in the
            # 6.1 series) request the host IRQ when INTx is enabled and keep it while no trigger is bound; older ones
            # request it only with a trigger. Either is what the device has when the record says "enabled, no vector".
            $intxEnabledUnbound = $irq.Index -eq 0 -and $record.Enabled -and $record.Vectors -eq '' -and $realVectors -in '', '0'
            if ($record.Vectors -ne $realVectors -and -not $intxEnabledUnbound) {
                "$($device.Name) index $($irq.Index): record vectors=[$($record.Vectors)], host IRQs requested by vfio-pci for vectors [$realVectors]"
            }
        }
    }
}

function Get-VfioFdCount {
    @((Get-VfioFdMap).Keys).Count
}

# The process's open fds: number -> what it names, leaving out what pwsh itself opens on its own schedule (an
# assembly or native library it maps on first use, a socket of its own): VfioPS opens neither, and a test would
# otherwise count pwsh loading System.Net.Security.dll as a leak.
function Get-VfioFdMap {
    [GC]::Collect(); [GC]::WaitForPendingFinalizers()
    $map = @{}
    foreach ($fd in Get-ChildItem -LiteralPath /proc/self/fd -Force -ErrorAction SilentlyContinue) {
        $target = try { [string]$fd.LinkTarget } catch { '?' }
        if ($target -match '\.(dll|so(\.[0-9.]+)?)$|^socket:') { continue }
        $map[$fd.Name] = $target
    }
    $map
}

# What is open after and was not before, by kind (an fd may come back under another number): "+2 anon_inode:[eventfd]".
function Compare-VfioFdMap {
    param($Before, $After)
    $counts = @{}
    foreach ($side in @(@{ Map = $Before; Sign = -1 }, @{ Map = $After; Sign = 1 })) {
        foreach ($t in $side.Map.Values) {
            $k = if ([string]::IsNullOrEmpty($t)) { '(unnamed)' } else { $t -replace ':\[\d+\]$', ':[*]' }
            $counts[$k] = [int]$counts[$k] + $side.Sign
        }
    }
    foreach ($k in $counts.Keys | Sort-Object) { if ($counts[$k] -ne 0) { '{0:+#;-#} {1}' -f $counts[$k], $k } }
}

# Sums the workers' results into one object; Mismatches and Unexpected are what fails a test.
function Merge-VfioConcurrencyResults {
    param($Results, [int] $Expected, $State, [double] $Seconds, [string[]] $Mismatches, [bool] $TimedOut)
    $refused = @{}
    foreach ($r in $Results) { foreach ($k in $r.Refused.Keys) { $refused[$k] = [int]$refused[$k] + $r.Refused[$k] } }
    $done = ($Results | Measure-Object Done -Sum).Sum
    $refusedTotal = ($refused.Values | Measure-Object -Sum).Sum
    [pscustomobject]@{
        Workers    = @($Results).Count
        Done       = [int]$done
        Refused    = [int]$refusedTotal
        RefusedBy  = (($refused.GetEnumerator() | Sort-Object Key | ForEach-Object { "$($_.Key) $($_.Value)" }) -join ', ')
        Unexpected = @($Results | ForEach-Object { $_.Unexpected })
        Mismatches = @($Mismatches)
        Expected   = $Expected
        Closes     = $State.Closes
        Seconds    = $Seconds
        OpsPerSec  = if ($Seconds -gt 0) { [math]::Round(($done + $refusedTotal) / $Seconds) } else { 0 }
        TimedOut   = $TimedOut
    }
}

# 8 runspaces of one RunspacePool (the module imported once per runspace), $Rounds rounds of $Ops/$Rounds
# operations each; after each round (a quiescent point) the record is checked against the device. A round that
# does not finish within $WatchdogSeconds stops the pool: the result says TimedOut.
function Invoke-VfioConcurrencyPool {
    param($State, [int] $Runspaces = 8, [int] $Ops = 1000, [int] $Rounds = 4, [int] $WatchdogSeconds = 120, [int] $Seed = 1)
    $iss = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
    $iss.ImportPSModule($VfioModulePath)
    $pool = [runspacefactory]::CreateRunspacePool(1, $Runspaces, $iss, $Host)
    $pool.Open()
    $results = [System.Collections.Generic.List[object]]::new()
    $mismatches = [System.Collections.Generic.List[string]]::new()
    $timedOut = $false
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    try {
        for ($round = 0; $round -lt $Rounds -and -not $timedOut; $round++) {
            if (-not $State.Device.IsOpen) { $State.Device = Open-VfioConcurrencyDevice $State }
            $jobs = foreach ($w in 1..$Runspaces) {
                $ps = [powershell]::Create()
                $ps.RunspacePool = $pool
                $null = $ps.AddScript($VfioConcurrencyWorker.ToString()).AddArgument($State).AddArgument($Seed * 1000 + $round * 100 + $w).
                AddArgument([int]($Ops / $Rounds)).AddArgument([string[]]$VfioConcurrencyAllowedIds)
                [pscustomobject]@{ PowerShell = $ps; Async = $ps.BeginInvoke() }
            }
            $deadline = [datetime]::UtcNow.AddSeconds($WatchdogSeconds)
            foreach ($job in $jobs) {
                $left = [math]::Max(0, ($deadline - [datetime]::UtcNow).TotalMilliseconds)
                if (-not $job.Async.AsyncWaitHandle.WaitOne([int]$left)) { $timedOut = $true }
            }
            foreach ($job in $jobs) {
                if ($timedOut) { $job.PowerShell.Stop() }
                else {
                    foreach ($r in $job.PowerShell.EndInvoke($job.Async)) { $results.Add($r) }
                    foreach ($e in $job.PowerShell.Streams.Error) { $results.Add([pscustomobject]@{ Done = 0; Refused = @{}; Unexpected = @("worker error: $e") }) }
                }
                $job.PowerShell.Dispose()
            }
            if (-not $timedOut) {
                $found = @(Test-VfioRecordMatchesDevice $State)
                foreach ($m in $found) { $mismatches.Add("round $round ($Runspaces runspaces): $m") }
                if ($found.Count -gt 0) { Write-Host "record and device differ; the last IRQ operations:`n$(@($State.Log.ToArray() | Select-Object -Last 40) -join "`n")" }
            }
            $State.Log.Clear()
        }
    }
    finally { $pool.Close(); $pool.Dispose() }
    $clock.Stop()
    Merge-VfioConcurrencyResults $results ($Ops / $Rounds * $Rounds * $Runspaces) $State $clock.Elapsed.TotalSeconds $mismatches $timedOut
}

# The same through ForEach-Object -Parallel -ThrottleLimit 8; its -TimeoutSeconds is the watchdog (a worker that
# did not finish returns no result, so the count of results says so).
function Invoke-VfioConcurrencyParallel {
    param($State, [int] $Runspaces = 8, [int] $Ops = 1000, [int] $Rounds = 4, [int] $WatchdogSeconds = 120, [int] $Seed = 2)
    $results = [System.Collections.Generic.List[object]]::new()
    $mismatches = [System.Collections.Generic.List[string]]::new()
    $timedOut = $false
    $worker = $VfioConcurrencyWorker.ToString()
    $allowed = [string[]]$VfioConcurrencyAllowedIds
    $perRound = [int]($Ops / $Rounds)
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    for ($round = 0; $round -lt $Rounds -and -not $timedOut; $round++) {
        if (-not $State.Device.IsOpen) { $State.Device = Open-VfioConcurrencyDevice $State }
        $module = $VfioModulePath
        $roundResults = @(1..$Runspaces | ForEach-Object -ThrottleLimit $Runspaces -TimeoutSeconds $WatchdogSeconds -Parallel {
                Import-Module $using:module
                & ([scriptblock]::Create($using:worker)) $using:State ($using:Seed * 1000 + $using:round * 100 + $_) $using:perRound $using:allowed
            })
        if ($roundResults.Count -lt $Runspaces) { $timedOut = $true }
        foreach ($r in $roundResults) { $results.Add($r) }
        if (-not $timedOut) {
            $found = @(Test-VfioRecordMatchesDevice $State)
            foreach ($m in $found) { $mismatches.Add("round $round (parallel): $m") }
            if ($found.Count -gt 0) { Write-Host "record and device differ; the last IRQ operations:`n$(@($State.Log.ToArray() | Select-Object -Last 40) -join "`n")" }
        }
        $State.Log.Clear()
    }
    $clock.Stop()
    Merge-VfioConcurrencyResults $results ($perRound * $Rounds * $Runspaces) $State $clock.Elapsed.TotalSeconds $mismatches $timedOut
}

# A device the main runspace reopens when the one in use was closed (by a worker's runspace ending, which closes
# what it opened).
function Open-VfioConcurrencyDevice {
    param($State)
    if ($State.Profile) { [VfioPS.Mock.MockDevices]::OpenBuiltIn($State.Profile) } else { Open-VfioDevice -Address $State.Address -ErrorAction Stop }
}

function Format-VfioConcurrencyResult {
    param($Label, $Result, [int] $FdsBefore, [int] $FdsAfter)
    "${Label}: $($Result.Workers) workers, $($Result.Done + $Result.Refused) of $($Result.Expected) ops in $([math]::Round($Result.Seconds, 2)) s " +
    "($($Result.OpsPerSec) ops/s); done $($Result.Done), refused $($Result.Refused) ($($Result.RefusedBy)); closes $($Result.Closes); fds $FdsBefore -> $FdsAfter"
}
