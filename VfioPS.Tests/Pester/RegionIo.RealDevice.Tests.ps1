# Region I/O and config space on the real vfio-pci driver (the kernel lane's e1000e at 0000:00:10.0 and edu at
# 0000:00:11.0). Tagged RealDevice: elsewhere every test skips and says why.
BeforeAll { . (Join-Path $PSScriptRoot 'common.ps1') }

Describe 'Region I/O and config space on real vfio-pci devices' -Tag 'RealDevice' {
    BeforeEach {
        if (-not $VfioInKernelLane) {
            Set-ItResult -Skipped -Because $VfioRealDeviceSkipReason
        }
    }

    It 'Get-VfioPciConfig shows e1000e''s MSI-X capability: 5 vectors, table and PBA in BAR3' {
        if (-not $VfioInKernelLane) { return }
        $config = Get-VfioPciConfig -Device 0000:00:10.0 -ErrorAction Stop
        $config.Length | Should -Be 4096
        '{0:x4}:{1:x4}' -f $config.VendorId, $config.DeviceId | Should -BeExactly '8086:10d3'
        $config.MsiX.TableSize | Should -Be 5
        $config.MsiX.TableBir | Should -Be 3
        $config.MsiX.PbaBir | Should -Be 3
        $config.Express.DevicePortTypeName | Should -BeExactly 'RootComplexIntegratedEndpoint'
        $config.Aer | Should -Not -BeNullOrEmpty
        $config.Faults | Should -BeNullOrEmpty
    }

    It 'Get-VfioPciConfig shows edu''s MSI: 64-bit, one vector, not enabled' {
        if (-not $VfioInKernelLane) { return }
        $config = Get-VfioPciConfig -Device 0000:00:11.0 -ErrorAction Stop
        $config.Length | Should -Be 256
        $config.Capabilities.Name | Should -Be @('MSI')
        $config.Msi.Is64Bit | Should -BeTrue
        $config.Msi.MultipleMessageCapable | Should -Be 1
        $config.Msi.Enabled | Should -BeFalse
    }

    It 'reads edu''s identification register (BAR0 0x00) as 0x010000ed and its liveness register back inverted' {
        if (-not $VfioInKernelLane) { return }
        $edu = Open-VfioDevice -Address 0000:00:11.0 -ErrorAction Stop
        try {
            (Read-VfioRegion $edu BAR0 0 -ErrorAction Stop).Value | Should -Be 0x010000ed
            Write-VfioRegion $edu BAR0 4 0x12345678 -Confirm:$false -ErrorAction Stop
            (Read-VfioRegion $edu BAR0 4 -ErrorAction Stop).Value | Should -Be 0xedcba987u
        }
        finally { $edu.Dispose() }
    }

    It 'raises edu''s MSI through BAR0 (0x60) exactly as often as it was written' {
        if (-not $VfioInKernelLane) { return }
        $edu = Open-VfioDevice -Address 0000:00:11.0 -ErrorAction Stop
        $fd = New-VfioEventFd
        try {
            Set-VfioIrq $edu MSI -EventFd $fd -Confirm:$false -ErrorAction Stop
            1..3 | ForEach-Object {
                Write-VfioRegion $edu BAR0 0x60 1 -Confirm:$false -ErrorAction Stop
                Write-VfioRegion $edu BAR0 0x64 1 -Confirm:$false -ErrorAction Stop
            }
            $total = 0
            $deadline = [DateTime]::UtcNow.AddSeconds(10)
            while ($total -lt 3 -and [DateTime]::UtcNow -lt $deadline) {
                $total += (@(Wait-VfioEventFd -EventFd $fd -Timeout 2) | Measure-Object Counter -Sum).Sum
            }
            $total | Should -Be 3
        }
        finally {
            $edu.Dispose()
            $fd.Dispose()
        }
    }

    It 'shows a config write that vfio-pci drops (edu''s vendor id) and one it keeps (the interrupt line)' {
        if (-not $VfioInKernelLane) { return }
        $edu = Open-VfioDevice -Address 0000:00:11.0 -ErrorAction Stop
        try {
            $dropped = Set-VfioPciConfig $edu 0 0xffff -Width 2 -Confirm:$false -WarningAction SilentlyContinue -ErrorAction Stop
            $dropped.Kept | Should -BeFalse
            $dropped.After | Should -Be 0x1234
            $line = (Get-VfioPciConfig $edu).InterruptLine
            $kept = Set-VfioPciConfig $edu 0x3c 0x55 -Width 1 -Confirm:$false -ErrorAction Stop
            $kept.Kept | Should -BeTrue
            Set-VfioPciConfig $edu 0x3c $line -Width 1 -Confirm:$false | Out-Null
        }
        finally { $edu.Dispose() }
    }

    It 'refuses a BAR read while memory decoding is off with EIO, as the mock does' {
        if (-not $VfioInKernelLane) { return }
        $edu = Open-VfioDevice -Address 0000:00:11.0 -ErrorAction Stop
        try {
            $command = (Read-VfioRegion $edu CONFIG 4 -Width 2).Value
            Set-VfioPciConfig $edu 4 ($command -band 0xfffd) -Width 2 -Confirm:$false | Out-Null
            Read-VfioRegion $edu BAR0 0 -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioRegionReadFailed,VfioPS.Commands.ReadVfioRegionCommand'
            $err[0].Exception.Errno | Should -Be 'EIO'
            Set-VfioPciConfig $edu 4 $command -Width 2 -Confirm:$false | Out-Null
            (Read-VfioRegion $edu BAR0 0).Value | Should -Be 0x010000ed
        }
        finally { $edu.Dispose() }
    }
}
