# Many runspaces on one mock device: a RunspacePool of 8 runspaces (e1000e) and ForEach-Object -Parallel
# -ThrottleLimit 8 (e1000e, edu), each 8 x 1000 random cmdlet operations (see concurrency-workload.ps1), with a watchdog, the module's record checked
# against the mock's real state after every round, and the fd count of the pwsh process the same before and after.
# The figures (ops/s, refusals by id) are written to the output.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'concurrency-workload.ps1')
}

Describe 'Concurrency on one mock device' {
    It '<Driver> on <Profile>: 8 x 1000 mixed operations, each done or cleanly refused, record in step with the device, no fd leaked' -ForEach @(
        @{ Driver = 'RunspacePool'; Profile = 'e1000e' }
        @{ Driver = 'ForEach-Object -Parallel'; Profile = 'e1000e' }
        @{ Driver = 'ForEach-Object -Parallel'; Profile = 'edu' }
    ) {
        # Warm-up: what the process keeps after the first run (the module in a runspace, JIT) is not a leak.
        $warm = [VfioPS.Mock.MockDevices]::OpenBuiltIn($Profile)
        $null = Invoke-VfioConcurrencyPool (New-VfioConcurrencyState $warm -Profile $Profile) -Runspaces 2 -Ops 8 -Rounds 1
        $null = Invoke-VfioConcurrencyParallel (New-VfioConcurrencyState $warm -Profile $Profile) -Runspaces 2 -Ops 8 -Rounds 1
        $warm.Dispose()
        $fdsBefore = Get-VfioFdMap

        $state = New-VfioConcurrencyState ([VfioPS.Mock.MockDevices]::OpenBuiltIn($Profile)) -Profile $Profile
        try {
            $result = if ($Driver -eq 'RunspacePool') { Invoke-VfioConcurrencyPool $state -Ops 1000 -Rounds 4 }
            else { Invoke-VfioConcurrencyParallel $state -Ops 1000 -Rounds 4 }
        }
        finally { $state.Device.Dispose() }
        $fdsAfter = Get-VfioFdMap
        Write-Host (Format-VfioConcurrencyResult "concurrency mock $Profile ($Driver)" $result $fdsBefore.Count $fdsAfter.Count)

        $result.TimedOut | Should -BeFalse -Because 'the watchdog (120 s per round) fires only on a deadlock'
        $result.Unexpected | Should -BeNullOrEmpty
        $result.Mismatches | Should -BeNullOrEmpty
        ($result.Done + $result.Refused) | Should -Be 8000
        $result.Done | Should -BeGreaterThan 4000 -Because 'most operations are done; refusals are the races the mix provokes'
        Compare-VfioFdMap $fdsBefore $fdsAfter | Should -BeNullOrEmpty -Because 'every fd a runspace opened (eventfds, device fds, the mock''s duplicates) is closed'
    }
}
