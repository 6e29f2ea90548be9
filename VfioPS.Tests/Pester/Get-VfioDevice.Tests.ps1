BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')

    # A fake sysfs and /dev laid out as the kernel lays them out, with real symlinks for driver and iommu_group.
    function New-FakePciDevice {
        param(
            [Parameter(Mandatory)][string] $Root,
            [Parameter(Mandatory)][string] $Address,
            [Parameter(Mandatory)][string] $Id,
            [Parameter(Mandatory)][string] $Class,
            [string] $Driver,
            [int] $Group = -1,
            [string] $ResetMethod
        )
        $sys = Join-Path $Root 'sys'
        $dir = Join-Path $sys "bus/pci/devices/$Address"
        New-Item -ItemType Directory -Path $dir -Force | Out-Null
        $vendor, $device = $Id -split ':'
        Set-Content -LiteralPath (Join-Path $dir 'vendor') -Value "0x$vendor"
        Set-Content -LiteralPath (Join-Path $dir 'device') -Value "0x$device"
        Set-Content -LiteralPath (Join-Path $dir 'class') -Value "0x$Class"
        # The kernel shows reset_method only for a device that has a reset method.
        if ($ResetMethod) { Set-Content -LiteralPath (Join-Path $dir 'reset_method') -Value $ResetMethod }
        if ($Driver) {
            $driverDir = Join-Path $sys "bus/pci/drivers/$Driver"
            New-Item -ItemType Directory -Path $driverDir -Force | Out-Null
            New-Item -ItemType SymbolicLink -Path (Join-Path $dir 'driver') -Target $driverDir | Out-Null
        }
        if ($Group -ge 0) {
            $groupDir = Join-Path $sys "kernel/iommu_groups/$Group"
            New-Item -ItemType Directory -Path (Join-Path $groupDir 'devices') -Force | Out-Null
            New-Item -ItemType SymbolicLink -Path (Join-Path $dir 'iommu_group') -Target $groupDir | Out-Null
            New-Item -ItemType SymbolicLink -Path (Join-Path $groupDir "devices/$Address") -Target $dir | Out-Null
            $vfio = Join-Path $Root 'dev/vfio'
            New-Item -ItemType Directory -Path $vfio -Force | Out-Null
            Set-Content -LiteralPath (Join-Path $vfio $Group) -Value ''
        }
    }

    # The fake sysfs has the real one's symlink cycles (<device>/iommu_group -> the group, <group>/devices/<address>
    # -> the device). Pester lists TestDrive recursively, following directory links, before and after each block,
    # so a cycle inside TestDrive hangs the run: the tree lives in a temp folder of its own, removed in AfterAll.
    $root = Join-Path ([System.IO.Path]::GetTempPath()) "vfiops-pester-sysfs-$PID-$([guid]::NewGuid().ToString('N'))"
    New-FakePciDevice -Root $root -Address '0000:00:10.0' -Id '8086:10d3' -Class '020000' -Driver 'vfio-pci' -Group 3 -ResetMethod 'flr pm'
    New-FakePciDevice -Root $root -Address '0000:00:11.0' -Id '1234:11e8' -Class '00ff00' -Driver 'vfio-pci' -Group 4
    New-FakePciDevice -Root $root -Address '0000:01:00.0' -Id '10de:1b80' -Class '030000' -Driver 'vfio-pci' -Group 7
    New-FakePciDevice -Root $root -Address '0000:01:00.1' -Id '10de:10f0' -Class '040300' -Driver 'snd_hda_intel' -Group 7
    $roots = @{ SysfsRoot = Join-Path $root 'sys'; DevRoot = Join-Path $root 'dev' }
}

AfterAll {
    # Remove-Item -Recurse deletes symlinks without following them.
    if ($root -and (Test-Path -LiteralPath $root)) { Remove-Item -LiteralPath $root -Recurse -Force }
}

Describe 'Get-VfioDevice' {
    It 'lists every PCI device in address order' {
        $all = Get-VfioDevice @roots
        # ForEach-Object, not $all.Address: every array has an Address() method, which member enumeration finds first.
        (($all | ForEach-Object Address) -join ',') | Should -BeExactly '0000:00:10.0,0000:00:11.0,0000:01:00.0,0000:01:00.1'
        $all[0] | Should -BeOfType ([VfioPS.VfioPciDevice])
    }

    It 'reads ids, class, driver, group and the group node' {
        $e1000e = Get-VfioDevice @roots -Address 0000:00:10.0
        $e1000e.Id | Should -BeExactly '8086:10d3'
        $e1000e.Class | Should -Be 0x020000
        $e1000e.Driver | Should -BeExactly 'vfio-pci'
        $e1000e.IommuGroup | Should -Be 3
        $e1000e.GroupPath | Should -BeExactly (Join-Path $roots.DevRoot 'vfio/3')
        $e1000e.Usable | Should -BeTrue
    }

    It 'reads the reset methods from reset_method, and none where the file is missing' {
        (Get-VfioDevice @roots -Address 0000:00:10.0).ResetMethods | Should -Be @('flr', 'pm')
        $edu = Get-VfioDevice @roots -Address 0000:00:11.0
        $edu.ResetMethods.GetType() | Should -Be ([string[]])
        $edu.ResetMethods | Should -HaveCount 0
    }

    It 'filters by address wildcards, with or without the domain' {
        (Get-VfioDevice @roots -Address '00:1*.0' | ForEach-Object Address) | Should -Be @('0000:00:10.0', '0000:00:11.0')
        (Get-VfioDevice @roots -Address '0000:01:*' | ForEach-Object Address) | Should -Be @('0000:01:00.0', '0000:01:00.1')
    }

    It 'filters by driver' {
        (Get-VfioDevice @roots -Driver 'snd*').Address | Should -BeExactly '0000:01:00.1'
    }

    It 'says why a device in a group with a host-driver device is not usable' {
        $gpu = Get-VfioDevice @roots -Address 0000:01:00.0
        $gpu.Usable | Should -BeFalse
        $gpu.UnusableReason | Should -Match '0000:01:00.1'
        $gpu.UnusableReason | Should -Match 'snd_hda_intel'
    }

    It 'refuses what is not a PCI address with VfioPciAddressInvalid' {
        $out = Get-VfioDevice @roots -Address '../../etc' -ErrorAction SilentlyContinue -ErrorVariable err
        $out | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioPciAddressInvalid,VfioPS.Commands.GetVfioDeviceCommand'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'reports an absent address with VfioDeviceNotFound' {
        Get-VfioDevice @roots -Address 0000:00:05.0 -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceNotFound,VfioPS.Commands.GetVfioDeviceCommand'
    }
}

Describe 'Open-VfioDevice' {
    It 'says how to bind a device that is not on vfio-pci' {
        Open-VfioDevice @roots -Address 0000:01:00.1 -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceNotBound,VfioPS.Commands.OpenVfioDeviceCommand'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
        $err[0].Exception.Message | Should -Match 'driver_override'
    }

    It 'says the VFIO driver is not loaded when there is no container node' {
        Open-VfioDevice @roots -Address 0000:00:10.0 -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioNotAvailable,VfioPS.Commands.OpenVfioDeviceCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].TargetObject | Should -BeExactly '0000:00:10.0'
    }

    It 'refuses -Path Cdev for a device without a VFIO cdev with VfioCdevNotAvailable' {
        Open-VfioDevice @roots -Address 0000:00:10.0 -Path Cdev -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioCdevNotAvailable,VfioPS.Commands.OpenVfioDeviceCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'takes Get-VfioDevice output from the pipeline' {
        Get-VfioDevice @roots -Driver vfio-pci | Open-VfioDevice @roots -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
        $err | Should -HaveCount 3
    }
}

Describe 'Close-VfioDevice' {
    It 'closes a device and a second close is an error naming it' {
        $d = New-VfioMockDevice -Profile e1000e
        Close-VfioDevice $d
        $d.IsOpen | Should -BeFalse
        Close-VfioDevice $d -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceClosed,VfioPS.Commands.CloseVfioDeviceCommand'
    }

    It 'sends nothing and closes nothing with -WhatIf' {
        $d = New-VfioMockDevice -Profile e1000e
        Close-VfioDevice $d -WhatIf
        $d.IsOpen | Should -BeTrue
        $d.Dispose()
    }
}
