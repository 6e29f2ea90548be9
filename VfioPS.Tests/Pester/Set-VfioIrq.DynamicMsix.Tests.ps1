# Adding vectors to an enabled MSI-X index: what the index's flags allow. Debian's 6.1 answers MSI-X with NORESIZE
# (the module refuses before any ioctl, saying how to get the vectors); 6.12 answers it without (dynamic MSI-X, since
# 6.5: the vectors are added and the others keep running). On the mock with both kernels' built-in readings, and,
# tagged RealDevice, on e1000e of whichever kernel the lane booted.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')

    function Get-VfioMsixInterruptLine {
        param([Parameter(Mandatory)][string] $Address)
        @([System.IO.File]::ReadAllLines('/proc/interrupts') | Where-Object { $_ -match "vfio-msix\[\d+\]\($([regex]::Escape($Address))\)" })
    }
}

Describe 'New-VfioMockDevice -Kernel' {
    It 'opens the readings of the kernel series asked for, named after them' {
        $old = New-VfioMockDevice -Profile e1000e
        $new = New-VfioMockDevice -Profile e1000e -Kernel 6.12
        try {
            $old.Name | Should -Match '^mock:e1000e/\d+$'
            $new.Name | Should -Match '^mock:e1000e-6\.12/\d+$'
            (Get-VfioIrqInfo -Device $old -Index MSI-X).Flags | Should -Be 'EventFd, NoResize'
            (Get-VfioIrqInfo -Device $new -Index MSI-X).Flags | Should -Be 'EventFd'
        }
        finally {
            Close-VfioDevice -Device $old, $new -Confirm:$false
        }
    }

    It 'says which kernels have readings when the one asked for has none' {
        $out = New-VfioMockDevice -Profile gvt-vgpu -Kernel 6.12 -ErrorAction SilentlyContinue -ErrorVariable err
        $out | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'MockProfileNotFound,VfioPS.Commands.NewVfioMockDeviceCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].Exception.Message | Should -BeLike '*6.1.0-56-amd64 (gvt-vgpu)*'
    }

    It 'refuses a kernel that is no release with MockKernelInvalid' {
        $null = New-VfioMockDevice -Profile e1000e -Kernel latest -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'MockKernelInvalid,VfioPS.Commands.NewVfioMockDeviceCommand'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }
}

Describe 'Set-VfioIrq adding vectors to an enabled MSI-X index (mock)' {
    BeforeEach {
        $fds = New-VfioEventFd -Count 5
    }
    AfterEach {
        $fds | Close-VfioEventFd
    }

    It 'adds them where MSI-X has no NORESIZE (6.12 readings), and every vector fires' {
        $d = New-VfioMockDevice -Profile e1000e -Kernel 6.12
        try {
            Set-VfioIrq $d MSI-X -EventFd $fds[0..1] -Confirm:$false
            $state = Set-VfioIrq $d MSI-X -EventFd $fds[2..4] -Start 2 -PassThru -Confirm:$false
            $state.Enabled | Should -BeTrue
            $state.AllocatedVectors | Should -Be 5
            ($state.Vectors | ForEach-Object Vector) | Should -Be @(0, 1, 2, 3, 4)
            foreach ($vector in 0..4) {
                Set-VfioIrq $d MSI-X -Trigger -Start $vector -Count 1 -Confirm:$false
                $fired = @(Wait-VfioEventFd -EventFd $fds -Timeout 2)
                $fired.Count | Should -Be 1
                $fired[0].Vector | Should -Be $vector
            }
        }
        finally {
            Close-VfioDevice -Device $d -Confirm:$false
        }
    }

    It 'says in -WhatIf that the call adds vectors to the enabled index, and sends nothing' {
        # -WhatIf text goes to the host: a child pwsh shows it on its standard output.
        $run = Invoke-VfioChildPwsh -Command ('$d = New-VfioMockDevice -Profile virtio-net -Kernel 6.12; $e = New-VfioEventFd -Count 2; ' +
            'Set-VfioIrq $d MSI-X -EventFd $e[0] -Confirm:$false; Set-VfioIrq $d MSI-X -EventFd $e[1] -Start 3 -WhatIf; ' +
            '"calls: " + $d.IoctlCounts[''VFIO_DEVICE_SET_IRQS'']')
        $run.ExitCode | Should -Be 0 -Because $run.Errors
        $run.Output | Should -BeLike '*adds vector 3 to the enabled index (no NORESIZE: the other vectors keep running)*'
        $run.Output | Should -BeLike '*calls: 1*'
    }

    It 'refuses them where MSI-X has NORESIZE (6.1 readings) before any ioctl, and the enabled vectors keep working' {
        $d = New-VfioMockDevice -Profile e1000e
        try {
            Set-VfioIrq $d MSI-X -EventFd $fds[0..1] -Confirm:$false
            $calls = $d.IoctlCounts['VFIO_DEVICE_SET_IRQS']
            $out = Set-VfioIrq $d MSI-X -EventFd $fds[2] -Start 2 -PassThru -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioIrqNoResize,VfioPS.Commands.SetVfioIrqCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
            $err[0].TargetObject | Should -BeExactly $d.Name
            $err[0].Exception.Message | Should -BeLike '*enabled with vectors 0-1*NORESIZE*Set-VfioIrq -Disable*'
            $d.IoctlCounts['VFIO_DEVICE_SET_IRQS'] | Should -Be $calls
            Set-VfioIrq $d MSI-X -Trigger -Start 0 -Count 2 -Confirm:$false
            @(Wait-VfioEventFd -EventFd $fds -Timeout 2 | ForEach-Object Vector) | Sort-Object | Should -Be @(0, 1)
            # The way the message gives: disable, then enable with every vector.
            Set-VfioIrq $d MSI-X -Disable -Confirm:$false
            (Set-VfioIrq $d MSI-X -EventFd $fds[0..2] -PassThru -Confirm:$false).AllocatedVectors | Should -Be 3
        }
        finally {
            Close-VfioDevice -Device $d -Confirm:$false
        }
    }
}

Describe 'Set-VfioIrq adding vectors to an enabled MSI-X index (real vfio-pci)' -Tag 'RealDevice' {
    BeforeEach {
        if (-not $VfioInKernelLane) {
            Set-ItResult -Skipped -Because $VfioRealDeviceSkipReason
        }
    }

    It 'adds vectors 2-4 to e1000e''s enabled MSI-X where the kernel answers it without NORESIZE' {
        if (-not $VfioInKernelLane) { return }
        $nic = Open-VfioDevice -Address 0000:00:10.0 -ErrorAction Stop
        $fds = New-VfioEventFd -Count 5
        try {
            $info = Get-VfioIrqInfo -Device $nic -Index MSI-X
            if ($info.Flags -band [VfioPS.Abi.VfioIrqFlags]::NoResize) {
                Set-ItResult -Skipped -Because "kernel $([System.IO.File]::ReadAllText('/proc/sys/kernel/osrelease').Trim()) answers MSI-X with NORESIZE (dynamic MSI-X came in 6.5)"
                return
            }
            Set-VfioIrq -Device $nic -Index MSI-X -EventFd $fds[0..1] -Confirm:$false
            (Get-VfioMsixInterruptLine -Address 0000:00:10.0).Count | Should -Be 2
            $state = Set-VfioIrq -Device $nic -Index MSI-X -EventFd $fds[2..4] -Start 2 -PassThru -Confirm:$false
            $state.AllocatedVectors | Should -Be 5
            (Get-VfioMsixInterruptLine -Address 0000:00:10.0).Count | Should -Be 5
            foreach ($vector in 0..4) {
                Set-VfioIrq -Device $nic -Index MSI-X -Trigger -Start $vector -Count 1 -Confirm:$false
                $fired = @(Wait-VfioEventFd -EventFd $fds -Timeout 5)
                $fired.Count | Should -Be 1
                $fired[0].Vector | Should -Be $vector
            }
            Set-VfioIrq -Device $nic -Index MSI-X -Disable -Confirm:$false
            (Get-VfioMsixInterruptLine -Address 0000:00:10.0).Count | Should -Be 0
        }
        finally {
            $fds | Close-VfioEventFd
            Close-VfioDevice -Device $nic -Confirm:$false
        }
    }

    It 'refuses to add a vector to e1000e''s enabled MSI-X where the kernel answers it with NORESIZE' {
        if (-not $VfioInKernelLane) { return }
        $nic = Open-VfioDevice -Address 0000:00:10.0 -ErrorAction Stop
        $fds = New-VfioEventFd -Count 3
        try {
            $info = Get-VfioIrqInfo -Device $nic -Index MSI-X
            if (-not ($info.Flags -band [VfioPS.Abi.VfioIrqFlags]::NoResize)) {
                Set-ItResult -Skipped -Because "kernel $([System.IO.File]::ReadAllText('/proc/sys/kernel/osrelease').Trim()) answers MSI-X without NORESIZE: vectors can be added (the test above)"
                return
            }
            Set-VfioIrq -Device $nic -Index MSI-X -EventFd $fds[0..1] -Confirm:$false
            $null = Set-VfioIrq -Device $nic -Index MSI-X -EventFd $fds[2] -Start 2 -ErrorAction SilentlyContinue -ErrorVariable err
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioIrqNoResize,VfioPS.Commands.SetVfioIrqCommand'
            (Get-VfioMsixInterruptLine -Address 0000:00:10.0).Count | Should -Be 2
            Set-VfioIrq -Device $nic -Index MSI-X -Trigger -Start 1 -Count 1 -Confirm:$false
            @(Wait-VfioEventFd -EventFd $fds -Timeout 5 | ForEach-Object Vector) | Should -Be @(1)
        }
        finally {
            $fds | Close-VfioEventFd
            Close-VfioDevice -Device $nic -Confirm:$false
        }
    }
}
