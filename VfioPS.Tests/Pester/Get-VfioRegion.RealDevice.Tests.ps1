# Get-VfioRegion on the real vfio-pci driver. Tagged RealDevice: the real-kernel lane runs this file in its VM; anywhere
# else every test skips and says why.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    # The mock profile that holds the lane's readings of each device, by vendor:device.
    $VfioProfileOf = @{ '8086:10d3' = 'e1000e'; '1234:11e8' = 'edu'; '1af4:1000' = 'virtio-net'; '1b36:0005' = 'pci-testdev' }

    function Format-VfioRegionReading {
        param([Parameter(ValueFromPipeline)] $Region)
        process {
            '{0} {1} size 0x{2:x} offset 0x{3:x} flags {4} supported {5} caps {6}' -f $Region.Index, $Region.Name, $Region.Size, $Region.Offset,
            $Region.Flags, $Region.Supported, (($Region.Capabilities | ForEach-Object { "$($_.Id)v$($_.Version)@$($_.Offset):$([System.Convert]::ToHexString($_.Data))" }) -join ' ')
        }
    }
}

Describe 'Get-VfioRegion on real vfio-pci devices' -Tag 'RealDevice' {
    BeforeEach {
        if (-not $VfioInKernelLane) {
            Set-ItResult -Skipped -Because $VfioRealDeviceSkipReason
        }
    }

    It 'reads every region of every lane device by address, as its mock profile answers' {
        if (-not $VfioInKernelLane) { return }
        foreach ($lane in $VfioLaneDevices) {
            $real = @(Get-VfioRegion -Device $lane.Address -ErrorVariable err)
            $err.Count | Should -Be 0 -Because "reading $($lane.Address) writes no error"
            $real.Count | Should -Be 9
            $mock = New-VfioMockDevice -Profile $VfioProfileOf[$lane.Id]
            try {
                ($real | Format-VfioRegionReading) | Should -Be (Get-VfioRegion $mock | Format-VfioRegionReading) -Because "$($lane.Address) is a $($lane.Name)"
            }
            finally { $mock.Dispose() }
        }
    }

    It 'shows VGA as not supported on every device, with the kernel''s EINVAL as the reason' {
        if (-not $VfioInKernelLane) { return }
        $vga = @($VfioLaneDevices | ForEach-Object Address | Get-VfioRegion -Index VGA)
        $vga.Count | Should -Be $VfioLaneDevices.Count
        $vga | ForEach-Object { $_.Supported | Should -BeFalse; $_.UnsupportedReason | Should -BeLike '*EINVAL*' }
    }

    It 'finds MSIX_MAPPABLE on the MSI-X BAR of e1000e in two ioctls, and no device-info capabilities' {
        if (-not $VfioInKernelLane) { return }
        $nic = Open-VfioDevice -Address 0000:00:10.0 -ErrorAction Stop
        try {
            $before = [long]$nic.IoctlCounts['VFIO_DEVICE_GET_REGION_INFO']
            $bar3 = Get-VfioRegion -Device $nic -Index BAR3
            $bar3.MsixMappable | Should -BeTrue
            $bar3.Capabilities[0].Offset | Should -Be 32
            $nic.IoctlCounts['VFIO_DEVICE_GET_REGION_INFO'] - $before | Should -Be 2
            $nic.Capabilities.Count | Should -Be 0
            $nic.CapabilityFault | Should -BeNullOrEmpty
        }
        finally { Close-VfioDevice -Device $nic -Confirm:$false }
    }
}
