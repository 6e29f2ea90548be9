# Many runspaces on one real device: the kernel lane's edu (vfio-pci) under a RunspacePool of 8 runspaces and
# ForEach-Object -Parallel -ThrottleLimit 8, with the same mixed cmdlet operations as Concurrency.Tests.ps1 (see
# concurrency-workload.ps1). After every round the module's record is held against the vectors vfio-pci requested a
# host IRQ for (/proc/interrupts through Get-VfioDeviceInterrupt); a watchdog fails on a deadlock; the fd count of the
# pwsh process is the same before and after. The operations per runspace are $env:VFIOPS_LANE_CONCURRENCY_OPS
# (default 1000: 8 x 1000 per driver, in two rounds; under the lane's TCG emulation 190-250 ops/s, so 35-50 s per
# driver on a quiet host, 2-4x that on a loaded one); the figures are written to the output. Tagged RealDevice:
# elsewhere every test skips and says why.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'concurrency-workload.ps1')
    $script:LaneOps = if ($env:VFIOPS_LANE_CONCURRENCY_OPS -as [int]) { [int]$env:VFIOPS_LANE_CONCURRENCY_OPS } else { 1000 }
    $script:Edu = $VfioLaneDevices | Where-Object Id -EQ '1234:11e8' | Select-Object -First 1
}

Describe 'Concurrency on one real vfio-pci device (edu)' -Tag 'RealDevice' {
    BeforeEach {
        if (-not $VfioInKernelLane) { Set-ItResult -Skipped -Because $VfioRealDeviceSkipReason }
        elseif ($null -eq $Edu) { Set-ItResult -Skipped -Because 'the lane lists no edu device (1234:11e8)' }
    }

    It '<Driver>: 8 runspaces of mixed operations on edu, each done or cleanly refused, record in step with the host IRQs, no fd leaked' -ForEach @(
        @{ Driver = 'RunspacePool' }
        @{ Driver = 'ForEach-Object -Parallel' }
    ) {
        if (-not $VfioInKernelLane -or $null -eq $Edu) { return }
        $fdsBefore = Get-VfioFdMap
        $state = New-VfioConcurrencyState (Open-VfioDevice -Address $Edu.Address -ErrorAction Stop) -Address $Edu.Address
        try {
            $result = if ($Driver -eq 'RunspacePool') { Invoke-VfioConcurrencyPool $state -Ops $LaneOps -Rounds 2 -WatchdogSeconds 600 }
            else { Invoke-VfioConcurrencyParallel $state -Ops $LaneOps -Rounds 2 -WatchdogSeconds 600 }
        }
        finally { $state.Device.Dispose() }
        $fdsAfter = Get-VfioFdMap
        Write-Host (Format-VfioConcurrencyResult "concurrency real edu $($Edu.Address) ($Driver)" $result $fdsBefore.Count $fdsAfter.Count)

        $result.TimedOut | Should -BeFalse -Because 'the watchdog (600 s per round) fires only on a deadlock'
        $result.Unexpected | Should -BeNullOrEmpty
        ($result.Done + $result.Refused) | Should -Be (8 * [int]($LaneOps / 2) * 2)
        $result.Done | Should -BeGreaterThan (($result.Done + $result.Refused) / 2)
        Compare-VfioFdMap $fdsBefore $fdsAfter | Should -BeNullOrEmpty -Because 'every fd a runspace opened (eventfds, the device fd, its group and container) is closed'
        $result.Mismatches | Should -BeNullOrEmpty -Because 'after each round the record equals the host IRQs vfio-pci requested for the device'
    }
}
