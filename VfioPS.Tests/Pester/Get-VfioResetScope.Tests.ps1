BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')

    # A slot of two functions in two IOMMU groups: the device (group 21) and a sibling (group 22), and a profile
    # standing for the sibling's group.
    $slotProfile = Join-Path $TestDrive 'slot2.json'
    Set-Content -LiteralPath $slotProfile -Value @'
{ "name": "slot2", "device": { "flags": ["Pci", "Reset"], "numRegions": 9, "numIrqs": 5 }, "irqs": [],
  "reset": { "methods": ["flr", "bus"], "iommuGroup": 21,
             "hotReset": { "devices": [ { "address": "0000:05:00.0", "group": 21 }, { "address": "0000:05:00.1", "group": 22 } ] } } }
'@
    $siblingProfile = Join-Path $TestDrive 'slot2-fn1.json'
    Set-Content -LiteralPath $siblingProfile -Value '{ "name": "slot2-fn1", "device": { "flags": ["Pci"], "numRegions": 9, "numIrqs": 5 }, "irqs": [], "reset": { "methods": [], "iommuGroup": 22 } }'
}

Describe 'Get-VfioResetScope' {
    Context 'on mock devices' {
        It 'says "no slot or bus reset" for a root-bus device, without an error' {
            $edu = New-VfioMockDevice -Profile edu
            try {
                $scope = Get-VfioResetScope -Device $edu -ErrorVariable err
                $err | Should -HaveCount 0
                $scope | Should -BeOfType ([VfioPS.VfioResetScope])
                $scope.HotReset | Should -BeFalse
                $scope.HotResetNote | Should -BeExactly 'no slot or bus reset'
                $scope.Devices | Should -HaveCount 0
                $scope.OwnsAll | Should -BeNullOrEmpty
                $scope.FunctionReset | Should -BeFalse
                $edu.IoctlCounts['VFIO_DEVICE_GET_PCI_HOT_RESET_INFO'] | Should -Be 1
            }
            finally { $edu | Close-VfioTestDevice }
        }

        It 'lists the slot of e1000e-port with the ENOSPC retry, owned through the group the mock holds' {
            $port = New-VfioMockDevice -Profile e1000e-port
            try {
                $scope = Get-VfioResetScope -Device $port.Name
                $scope.HotReset | Should -BeTrue
                ($scope.Devices | ForEach-Object { "$_" }) | Should -Be @('0000:01:00.0 (group 15)', '0000:01:00.1 (group 15)')
                $scope.OwnsAll | Should -BeTrue
                $scope.ResetMethods | Should -Be @('pm', 'bus')
                $scope.FunctionReset | Should -BeTrue
                $port.IoctlCounts['VFIO_DEVICE_GET_PCI_HOT_RESET_INFO'] | Should -Be 2
            }
            finally { $port | Close-VfioTestDevice }
        }

        It 'owns a slot of two groups only while a device of each group is open' {
            $device = New-VfioMockDevice -Path $slotProfile
            try {
                $alone = Get-VfioResetScope -Device $device
                ($alone.Devices | ForEach-Object Owned) | Should -Be @($true, $false)
                $alone.OwnsAll | Should -BeFalse
                $sibling = New-VfioMockDevice -Path $siblingProfile
                try { (Get-VfioResetScope -Device $device).OwnsAll | Should -BeTrue }
                finally { $sibling | Close-VfioTestDevice }
                (Get-VfioResetScope -Device $device).OwnsAll | Should -BeFalse
            }
            finally { $device | Close-VfioTestDevice }
        }

        It 'takes devices from the pipeline and writes one error per device it cannot find' {
            $edu = New-VfioMockDevice -Profile edu
            try {
                $out = @($edu.Name, 'mock:edu/999' | Get-VfioResetScope -ErrorAction SilentlyContinue -ErrorVariable err)
                $out | Should -HaveCount 1
                $err | Should -HaveCount 1
                $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceNotFound,VfioPS.Commands.GetVfioResetScopeCommand'
            }
            finally { $edu | Close-VfioTestDevice }
        }
    }
}

Describe 'Get-VfioResetScope on real vfio-pci devices' -Tag 'RealDevice' {
    BeforeAll {
        # The lane's devices behind the PCIe root port: every bound device off the root bus.
        $portDevices = @($VfioLaneDevices | Where-Object { $_.Address -notlike '0000:00:*' } | Sort-Object Address)
    }

    BeforeEach {
        if (-not $VfioInKernelLane) { Set-ItResult -Skipped -Because $VfioRealDeviceSkipReason }
    }

    It 'shows "no slot or bus reset" for root-bus devices (the kernel answers ENODEV), not an error' {
        if (-not $VfioInKernelLane) { return }
        $nic = Open-VfioDevice -Address 0000:00:10.0 -ErrorAction Stop
        $edu = Open-VfioDevice -Address 0000:00:11.0 -ErrorAction Stop
        try {
            $scopes = @(Get-VfioResetScope -Device $nic, $edu -ErrorVariable err)
            $err | Should -HaveCount 0
            $scopes | Should -HaveCount 2
            foreach ($scope in $scopes) {
                $scope.HotReset | Should -BeFalse
                $scope.HotResetNote | Should -BeExactly 'no slot or bus reset'
                $scope.Devices | Should -HaveCount 0
            }
            $scopes[0].FunctionReset | Should -BeTrue
            $scopes[0].ResetMethods | Should -Be @('pm')
            $scopes[1].FunctionReset | Should -BeFalse
            $scopes[1].ResetMethods | Should -HaveCount 0
            $nic.IoctlCounts['VFIO_DEVICE_GET_PCI_HOT_RESET_INFO'] | Should -Be 1
        }
        finally {
            Close-VfioDevice -Device $nic -Confirm:$false
            Close-VfioDevice -Device $edu -Confirm:$false
        }
    }

    It 'lists the device behind the root port and its slot sibling with their groups, and who owns them' {
        if (-not $VfioInKernelLane) { return }
        $portDevices | Should -HaveCount 2 -Because 'run-lane.sh puts a two-function e1000e behind the root port'
        $fn0, $fn1 = $portDevices
        $first = Open-VfioDevice -Address $fn0.Address -ErrorAction Stop
        try {
            $scope = Get-VfioResetScope -Device $first
            $first.IoctlCounts['VFIO_DEVICE_GET_PCI_HOT_RESET_INFO'] | Should -Be 2 -Because 'the header alone gets ENOSPC with the count, then the retry'
            $scope.HotReset | Should -BeTrue
            ($scope.Devices | ForEach-Object Address) | Should -Be @($fn0.Address, $fn1.Address)
            ($scope.Devices | ForEach-Object IommuGroup) | Should -Be @($fn0.Group, $fn1.Group)
            ($scope.Devices | ForEach-Object IsDevice) | Should -Be @($true, $false)
            # With one function open, this process holds only the first function's group.
            ($scope.Devices | ForEach-Object Owned) | Should -Be @($true, ($fn1.Group -eq $fn0.Group))
            $scope.OwnsAll | Should -Be ($fn1.Group -eq $fn0.Group)
            $second = Open-VfioDevice -Address $fn1.Address -ErrorAction Stop
            try {
                (Get-VfioResetScope -Device $first).OwnsAll | Should -BeTrue
                $fromSecond = Get-VfioResetScope -Device $second
                ($fromSecond.Devices | ForEach-Object Address) | Should -Be @($fn0.Address, $fn1.Address)
                ($fromSecond.Devices | ForEach-Object IsDevice) | Should -Be @($false, $true)
            }
            finally { Close-VfioDevice -Device $second -Confirm:$false }
        }
        finally { Close-VfioDevice -Device $first -Confirm:$false }
    }
}
