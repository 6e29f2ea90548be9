BeforeAll { . (Join-Path $PSScriptRoot 'common.ps1') }

Describe 'Reset-VfioDevice' {
    Context 'on mock devices' {
        It 'resets a device that reports VFIO_DEVICE_FLAGS_RESET with one VFIO_DEVICE_RESET' {
            $nic = New-VfioMockDevice -Profile e1000e
            try {
                Reset-VfioDevice -Device $nic -Confirm:$false | Should -BeNullOrEmpty
                $nic.IoctlCounts['VFIO_DEVICE_RESET'] | Should -Be 1
                (Reset-VfioDevice -Device $nic.Name -PassThru -Confirm:$false) | Should -Be $nic
                $nic.IoctlCounts['VFIO_DEVICE_RESET'] | Should -Be 2
            }
            finally { $nic | Close-VfioTestDevice }
        }

        It 'sends nothing with -WhatIf' {
            $nic = New-VfioMockDevice -Profile e1000e
            try {
                Reset-VfioDevice -Device $nic -WhatIf
                $nic.IoctlCounts.ContainsKey('VFIO_DEVICE_RESET') | Should -BeFalse
            }
            finally { $nic | Close-VfioTestDevice }
        }

        It 'refuses a device without the reset flag with VfioDeviceResetNotSupported, before any ioctl' {
            $edu = New-VfioMockDevice -Profile edu
            try {
                Reset-VfioDevice -Device $edu -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
                $err | Should -HaveCount 1
                $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceResetNotSupported,VfioPS.Commands.ResetVfioDeviceCommand'
                $err[0].CategoryInfo.Category | Should -Be 'NotImplemented'
                $err[0].TargetObject | Should -BeExactly $edu.Name
                $err[0].Exception.Message | Should -Match "It has no reset method: its mock profile 'edu' lists none\."
                $edu.IoctlCounts.ContainsKey('VFIO_DEVICE_RESET') | Should -BeFalse
            }
            finally { $edu | Close-VfioTestDevice }
        }

        It 'keeps the IRQ record and the bound eventfds across the reset, as vfio-pci does' {
            $nic = New-VfioMockDevice -Profile e1000e
            $fds = New-VfioEventFd -Count 5
            try {
                Set-VfioIrq -Device $nic -Index MSI-X -EventFd $fds -Confirm:$false
                Reset-VfioDevice -Device $nic -Confirm:$false
                $state = Set-VfioIrq -Device $nic -Index MSI-X -Trigger -Start 3 -Count 1 -PassThru -Confirm:$false
                $state.Enabled | Should -BeTrue
                $state.Vectors.Count | Should -Be 5
                $fired = @(Wait-VfioEventFd -EventFd $fds -Timeout 2)
                $fired.Count | Should -Be 1
                $fired[0].Vector | Should -Be 3
            }
            finally {
                $fds | Close-VfioTestEventFd
                $nic | Close-VfioTestDevice
            }
        }

        It 'goes on with the next device after one that cannot be reset' {
            $edu = New-VfioMockDevice -Profile edu
            $nic = New-VfioMockDevice -Profile e1000e
            try {
                $out = @($edu, $nic | Reset-VfioDevice -PassThru -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err)
                $out | Should -HaveCount 1
                $out[0] | Should -Be $nic
                $err | Should -HaveCount 1
            }
            finally {
                $edu | Close-VfioTestDevice
                $nic | Close-VfioTestDevice
            }
        }

        It 'writes VfioDeviceNotFound for a name that is not open, and VfioDeviceClosed for a closed object' {
            Reset-VfioDevice -Device 'mock:e1000e/999' -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceNotFound,VfioPS.Commands.ResetVfioDeviceCommand'
            $nic = New-VfioMockDevice -Profile e1000e
            $nic.Dispose()
            Reset-VfioDevice -Device $nic -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err2
            $err2[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceClosed,VfioPS.Commands.ResetVfioDeviceCommand'
        }
    }
}

Describe 'Reset-VfioDevice on real vfio-pci devices' -Tag 'RealDevice' {
    BeforeEach {
        if (-not $VfioInKernelLane) { Set-ItResult -Skipped -Because $VfioRealDeviceSkipReason }
    }

    It 'resets e1000e (PM reset, no FLR) and its MSI-X vectors stay bound and loop back' {
        if (-not $VfioInKernelLane) { return }
        (Get-VfioDevice -Address 0000:00:10.0).ResetMethods | Should -Be @('pm')
        $nic = Open-VfioDevice -Address 0000:00:10.0 -ErrorAction Stop
        $fds = New-VfioEventFd -Count 5
        try {
            $nic.Flags.HasFlag([VfioPS.Abi.VfioDeviceFlags]::Reset) | Should -BeTrue
            Set-VfioIrq -Device $nic -Index MSI-X -EventFd $fds -Confirm:$false
            Reset-VfioDevice -Device $nic -Confirm:$false -ErrorAction Stop
            $nic.IoctlCounts['VFIO_DEVICE_RESET'] | Should -Be 1
            @([System.IO.File]::ReadAllLines('/proc/interrupts') -match 'vfio-msix\[\d+\]\(0000:00:10\.0\)').Count | Should -Be 5
            foreach ($vector in 0, 4) {
                Set-VfioIrq -Device $nic -Index MSI-X -Trigger -Start $vector -Count 1 -Confirm:$false
                $fired = @(Wait-VfioEventFd -EventFd $fds -Timeout 5)
                $fired.Count | Should -Be 1
                $fired[0].Vector | Should -Be $vector
            }
            Get-VfioIrqInfo -Device $nic -Index MSI-X | Set-VfioIrq -Disable -Confirm:$false
        }
        finally {
            $fds | Close-VfioEventFd
            Close-VfioDevice -Device $nic -Confirm:$false
        }
    }

    It 'refuses edu on the root bus, which has no reset method, with the clear error and no ioctl' {
        if (-not $VfioInKernelLane) { return }
        (Get-VfioDevice -Address 0000:00:11.0).ResetMethods | Should -HaveCount 0
        Test-Path -LiteralPath /sys/bus/pci/devices/0000:00:11.0/reset_method | Should -BeFalse
        $edu = Open-VfioDevice -Address 0000:00:11.0 -ErrorAction Stop
        try {
            Reset-VfioDevice -Device $edu -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceResetNotSupported,VfioPS.Commands.ResetVfioDeviceCommand'
            $err[0].CategoryInfo.Category | Should -Be 'NotImplemented'
            $err[0].Exception.Message | Should -Match 'It has no reset method: sysfs has no reset_method for it'
            $edu.IoctlCounts.ContainsKey('VFIO_DEVICE_RESET') | Should -BeFalse
        }
        finally { Close-VfioDevice -Device $edu -Confirm:$false }
    }
}
