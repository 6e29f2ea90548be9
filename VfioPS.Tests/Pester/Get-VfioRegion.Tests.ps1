BeforeAll { . (Join-Path $PSScriptRoot 'common.ps1') }

BeforeDiscovery {
    # The lane's readings of Debian's 6.1 (the built-in profiles hold them): size, flags, capabilities per region.
    $measured = @(
        @{ DeviceProfile = 'e1000e'; Index = 2; Name = 'BAR2'; Size = 0x20; Flags = 3; Caps = '' }
        @{ DeviceProfile = 'e1000e'; Index = 3; Name = 'BAR3'; Size = 0x4000; Flags = 15; Caps = 'MsixMappable' }
        @{ DeviceProfile = 'e1000e'; Index = 6; Name = 'ROM'; Size = 0x40000; Flags = 1; Caps = '' }
        @{ DeviceProfile = 'e1000e'; Index = 7; Name = 'CONFIG'; Size = 0x1000; Flags = 3; Caps = '' }
        @{ DeviceProfile = 'edu'; Index = 0; Name = 'BAR0'; Size = 0x100000; Flags = 7; Caps = '' }
        @{ DeviceProfile = 'edu'; Index = 1; Name = 'BAR1'; Size = 0; Flags = 0; Caps = '' }
        @{ DeviceProfile = 'virtio-net'; Index = 1; Name = 'BAR1'; Size = 0x1000; Flags = 15; Caps = 'MsixMappable' }
        @{ DeviceProfile = 'pci-testdev'; Index = 7; Name = 'CONFIG'; Size = 0x100; Flags = 3; Caps = '' }
        @{ DeviceProfile = 'gvt-vgpu'; Index = 2; Name = 'BAR2'; Size = 0x10000000; Flags = 15; Caps = 'SparseMmap' }
        @{ DeviceProfile = 'gvt-vgpu'; Index = 9; Name = 'PCI-8086/IGD-OPREGION'; Size = 0x2000; Flags = 9; Caps = 'Type' }
        @{ DeviceProfile = 'gvt-vgpu'; Index = 10; Name = 'GFX/EDID'; Size = 0x1000; Flags = 11; Caps = 'Type,Unknown' }
    )
}

Describe 'Get-VfioRegion' {
    # BeforeEach, It and AfterEach share a scope in Pester 5: every device a test opened is closed after it.
    AfterEach { $dev, $a, $b | Close-VfioTestDevice }

    It 'reads <DeviceProfile> region <Index> as <Name>, size <Size>, flags <Flags>' -TestCases $measured {
        param($DeviceProfile, $Index, $Name, $Size, $Flags, $Caps)
        $dev = New-VfioMockDevice -Profile $DeviceProfile
        $region = Get-VfioRegion -Device $dev -Index $Index
        $region | Should -BeOfType ([VfioPS.VfioRegionInfo])
        $region.Name | Should -BeExactly $Name
        $region.Size | Should -Be $Size
        [uint32]$region.Flags | Should -Be $Flags
        ($region.Capabilities.Name -join ',') | Should -BeExactly $Caps
        $region.Device | Should -BeExactly $dev.Name
    }

    It 'reads every region in index order, size-0 regions included' {
        $dev = New-VfioMockDevice -Profile edu
        $regions = @(Get-VfioRegion $dev)
        ($regions | ForEach-Object Index) | Should -Be (0..8)
        @($regions | Where-Object Size -eq 0).Count | Should -Be 7   # BAR1..BAR5, ROM and the refused VGA
    }

    It 'shows VGA, which vfio-pci refuses, as not supported without an error' {
        $dev = New-VfioMockDevice -Profile e1000e
        $vga = Get-VfioRegion $dev -Index VGA -ErrorVariable err -Verbose 4>&1
        $verbose = @($vga | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
        $region = $vga | Where-Object { $_ -is [VfioPS.VfioRegionInfo] }
        $err.Count | Should -Be 0
        $region.Supported | Should -BeFalse
        $region.UnsupportedReason | Should -BeLike '*EINVAL*'
        $verbose.Count | Should -Be 1
        $verbose[0].Message | Should -BeLike '*region 8 (VGA) is not supported*'
    }

    It 'takes region names in any case and reads each index once, in order' {
        $dev = New-VfioMockDevice -Profile e1000e
        (Get-VfioRegion $dev -Index config, 'bar3', 3, 0x7 | ForEach-Object Index) | Should -Be @(3, 7)
    }

    It 'decodes the sparse mmap areas and keeps an unknown capability raw' {
        $dev = New-VfioMockDevice -Profile gvt-vgpu
        $bar2 = Get-VfioRegion $dev -Index BAR2
        $bar2.SparseMmapAreas.Count | Should -Be 1
        $bar2.SparseMmapAreas[0].Offset | Should -Be 0x4000000
        $bar2.SparseMmapAreas[0].Size | Should -Be 0x4000000
        $unknown = (Get-VfioRegion $dev -Index 10).Capabilities | Where-Object Name -eq 'Unknown'
        $unknown.Id | Should -Be 99
        [System.Convert]::ToHexString($unknown.Data) | Should -BeExactly '63000100000000000102030400000000'
    }

    It 'asks twice for a region whose chain does not fit the 32-byte struct' {
        $dev = New-VfioMockDevice -Profile e1000e
        $null = Get-VfioRegion $dev -Index BAR0
        $dev.IoctlCounts['VFIO_DEVICE_GET_REGION_INFO'] | Should -Be 1
        $null = Get-VfioRegion $dev -Index BAR3
        $dev.IoctlCounts['VFIO_DEVICE_GET_REGION_INFO'] | Should -Be 3
    }

    It 'writes VfioRegionIndexInvalid for <Spelling> and goes on with the other indexes' -TestCases @(
        @{ Spelling = 'BAR6' }, @{ Spelling = 'MSI-X' }, @{ Spelling = '-1' }) {
        param($Spelling)
        $dev = New-VfioMockDevice -Profile e1000e
        $out = @(Get-VfioRegion $dev -Index $Spelling, ROM -ErrorAction SilentlyContinue -ErrorVariable err)
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioRegionIndexInvalid,VfioPS.Commands.GetVfioRegionCommand'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err[0].TargetObject | Should -BeExactly $dev.Name
        $out.Name | Should -Be 'ROM'
    }

    It 'writes VfioRegionIndexOutOfRange past num_regions' {
        $dev = New-VfioMockDevice -Profile e1000e
        $out = @(Get-VfioRegion $dev -Index 9 -ErrorAction SilentlyContinue -ErrorVariable err)
        $out.Count | Should -Be 0
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioRegionIndexOutOfRange,VfioPS.Commands.GetVfioRegionCommand'
    }

    It 'writes VfioDeviceNotFound for a name that is not open' {
        $null = Get-VfioRegion 'mock:nothing/9' -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceNotFound,VfioPS.Commands.GetVfioRegionCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'writes VfioCapabilityChainMalformed after the region when its chain has a cycle' {
        $json = '{ "name": "region-cycle", "device": { "flags": ["Pci"], "numRegions": 9, "numIrqs": 5 }, "irqs": [], ' +
            '"regions": [ { "index": 0, "flags": ["Read", "Caps"], "size": 16, "rawCapabilities": { "capOffset": 32, "bytes": "0300 0100 20000000" } } ] }'
        $path = Join-Path $TestDrive 'region-cycle.json'
        Set-Content -LiteralPath $path -Value $json
        $dev = New-VfioMockDevice -Path $path
        $out = @(Get-VfioRegion $dev -Index 0 -ErrorAction SilentlyContinue -ErrorVariable err)
        $out.Count | Should -Be 1
        $out[0].MsixMappable | Should -BeTrue
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioCapabilityChainMalformed,VfioPS.Commands.GetVfioRegionCommand'
        $err[0].Exception.Message | Should -BeLike '*region 0*Cycle*'
    }

    It 'takes devices from the pipeline, by value and by the Device property' {
        $a = New-VfioMockDevice -Profile edu
        $b = New-VfioMockDevice -Profile pci-testdev
        @($a, $b | Get-VfioRegion -Index CONFIG).Count | Should -Be 2
        @(Get-VfioIrqInfo $a -Index 0 | Get-VfioRegion -Index BAR0).Device | Should -Be $a.Name
    }

    It 'fails with VfioDeviceClosed for a disposed device' {
        $dev = New-VfioMockDevice -Profile edu
        $dev.Dispose()
        $null = Get-VfioRegion $dev -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceClosed,VfioPS.Commands.GetVfioRegionCommand'
    }
}
