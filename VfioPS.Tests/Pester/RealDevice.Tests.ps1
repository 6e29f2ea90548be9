# The cmdlets on the real vfio-pci driver, as a pwsh user sees them. Tagged RealDevice: the real-kernel lane runs
# this file in its VM (Invoke-PesterSuite.ps1 -Tag RealDevice) with the devices listed in $env:VFIO_VM_DEVICES;
# anywhere else every test skips and says why.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')

    function Get-VfioMsixInterruptLine {
        param([Parameter(Mandatory)][string] $Address)
        @([System.IO.File]::ReadAllLines('/proc/interrupts') | Where-Object { $_ -match "vfio-msix\[\d+\]\($([regex]::Escape($Address))\)" })
    }
}

Describe 'Real vfio-pci devices' -Tag 'RealDevice' {
    BeforeEach {
        if (-not $VfioInKernelLane) {
            Set-ItResult -Skipped -Because $VfioRealDeviceSkipReason
        }
    }

    It 'Get-VfioDevice lists every device the lane bound, in the IOMMU group the kernel gave it, usable' {
        if (-not $VfioInKernelLane) { return }
        $found = @(Get-VfioDevice -Driver vfio-pci)
        ($found | ForEach-Object Address) | Should -Be @($VfioLaneDevices | ForEach-Object Address)
        foreach ($lane in $VfioLaneDevices) {
            $device = $found | Where-Object Address -eq $lane.Address
            $device.Id | Should -BeExactly $lane.Id
            $device.IommuGroup | Should -Be $lane.Group
            $device.GroupPath | Should -BeExactly $lane.Node
            $device.Usable | Should -BeTrue -Because $device.UnusableReason
        }
    }

    It 'reads five IRQ indexes of every device by address, without capabilities on a mainline kernel' {
        if (-not $VfioInKernelLane) { return }
        $infos = @(Get-VfioDevice -Driver vfio-pci | Get-VfioIrqInfo)
        $infos.Count | Should -Be (5 * $VfioLaneDevices.Count)
        @($infos | Where-Object IsDeviceSpecific) | Should -BeNullOrEmpty
        @($infos | Where-Object { $_.Capabilities.Count -gt 0 }) | Should -BeNullOrEmpty
        # Every vfio-pci function has the REQ index with one vector.
        @($infos | Where-Object { $_.Index -eq 4 -and $_.Count -eq 1 }).Count | Should -Be $VfioLaneDevices.Count
    }

    It 'loops back every MSI-X vector of e1000e through Set-VfioIrq and Wait-VfioEventFd' {
        if (-not $VfioInKernelLane) { return }
        $nic = Open-VfioDevice -Address 0000:00:10.0 -ErrorAction Stop
        $fds = New-VfioEventFd -Count 5
        try {
            $state = Set-VfioIrq -Device $nic -Index MSI-X -EventFd $fds -PassThru -Confirm:$false
            $state.Enabled | Should -BeTrue
            $state.Vectors.Count | Should -Be 5
            (Get-VfioMsixInterruptLine -Address 0000:00:10.0).Count | Should -Be 5
            foreach ($vector in 0..4) {
                Set-VfioIrq -Device $nic -Index MSI-X -Trigger -Start $vector -Count 1 -Confirm:$false
                $fired = @(Wait-VfioEventFd -EventFd $fds -Timeout 5)
                $fired.Count | Should -Be 1
                $fired[0].Vector | Should -Be $vector
                $fired[0].Counter | Should -Be 1
            }
            Get-VfioIrqInfo -Device $nic -Index MSI-X | Set-VfioIrq -Disable -Confirm:$false
            (Get-VfioMsixInterruptLine -Address 0000:00:10.0).Count | Should -Be 0
        }
        finally {
            $fds | Close-VfioEventFd
            Close-VfioDevice -Device $nic -Confirm:$false
        }
    }

    It 'opens both functions of a shared IOMMU group in one process' {
        if (-not $VfioInKernelLane) { return }
        $first = Open-VfioDevice -Address 0000:00:14.0 -ErrorAction Stop
        try {
            $second = Open-VfioDevice -Address 0000:00:14.1 -ErrorAction Stop
            try {
                $first.IsOpen | Should -BeTrue
                (Get-VfioDevice -Address 0000:00:14.0).IommuGroup | Should -Be (Get-VfioDevice -Address 0000:00:14.1).IommuGroup
                (Get-VfioIrqInfo -Device $second -Index INTx).Count | Should -Be 1
            }
            finally { Close-VfioDevice -Device $second -Confirm:$false }
        }
        finally { Close-VfioDevice -Device $first -Confirm:$false }
    }

    It 'refuses a second process with VfioDeviceBusy naming this process' {
        if (-not $VfioInKernelLane) { return }
        $edu = Open-VfioDevice -Address 0000:00:11.0 -ErrorAction Stop
        try {
            $child = Invoke-VfioChildPwsh -Command 'Open-VfioDevice -Address 0000:00:11.0'
            $child.ExitCode | Should -Not -Be 0
            $child.Errors | Should -Match "in use by process $PID "
        }
        finally { Close-VfioDevice -Device $edu -Confirm:$false }
    }
}
