BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'binding-tree.ps1')
    # A static tree: no kernel reacts to the writes, so the sysfs files keep what is written and driver links stay.
    $root = New-VfioBindingTree
    $roots = @{ SysfsRoot = Join-Path $root 'sys'; DevRoot = Join-Path $root 'dev'; EtcRoot = Join-Path $root 'etc'; ProcRoot = Join-Path $root 'proc' }
    # Get-VfioDevice has no -ProcRoot: it never looks at processes.
    $getRoots = @{ SysfsRoot = $roots.SysfsRoot; DevRoot = $roots.DevRoot; EtcRoot = $roots.EtcRoot }
}

AfterAll {
    if ($root -and (Test-Path -LiteralPath $root)) { Remove-Item -LiteralPath $root -Recurse -Force }
}

Describe 'Enable-VfioDevice' {
    It 'lists every write in order with -WhatIf and makes none' {
        $text = Invoke-VfioChildPwsh "Enable-VfioDevice 0000:00:10.0 -WhatIf -SysfsRoot '$($roots.SysfsRoot)' -DevRoot '$($roots.DevRoot)'"
        $text | Should -Match ([regex]::Escape("What if: Hand 0000:00:10.0 (8086:10d3, on e1000e) to vfio-pci: 1) write 'vfio-pci' to $($roots.SysfsRoot)/bus/pci/devices/0000:00:10.0/driver_override; 2) write '0000:00:10.0' to $($roots.SysfsRoot)/bus/pci/devices/0000:00:10.0/driver/unbind; 3) write '0000:00:10.0' to $($roots.SysfsRoot)/bus/pci/drivers_probe; 4) read the driver link"))
        Get-Content -LiteralPath (Join-Path $roots.SysfsRoot 'bus/pci/devices/0000:00:10.0/driver_override') -Raw | Should -BeExactly "(null)`n"
        Get-Content -LiteralPath (Join-Path $roots.SysfsRoot 'bus/pci/drivers_probe') -Raw | Should -BeNullOrEmpty
    }

    It 'leaves a device already on vfio-pci with its override alone and says so' {
        $before = Get-Content -LiteralPath (Join-Path $roots.SysfsRoot 'bus/pci/devices/0000:00:11.0/driver_override') -Raw
        $verbose = Enable-VfioDevice @roots 0000:00:11.0 -Confirm:$false -Verbose 4>&1
        ($verbose | Out-String) | Should -Match 'nothing to write'
        Get-Content -LiteralPath (Join-Path $roots.SysfsRoot 'bus/pci/devices/0000:00:11.0/driver_override') -Raw | Should -BeExactly $before
        Get-Content -LiteralPath (Join-Path $roots.SysfsRoot 'bus/pci/drivers_probe') -Raw | Should -BeNullOrEmpty
    }

    It 'fails with VfioDriverNotBound when no driver takes the device, and puts the override back' {
        Enable-VfioDevice @roots 0000:00:10.0 -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDriverNotBound,VfioPS.Commands.EnableVfioDeviceCommand'
        $err[0].CategoryInfo.Category | Should -Be 'DeviceError'
        $err[0].TargetObject | Should -BeExactly '0000:00:10.0'
        $err[0].Exception.Message | Should -Match 'journalctl -k'
        $err[0].Exception.Message | Should -Match '0000:00:10.0 restored \(on e1000e'
        # The kernel would show "(null)" again; the static file keeps the newline that cleared it.
        Get-Content -LiteralPath (Join-Path $roots.SysfsRoot 'bus/pci/devices/0000:00:10.0/driver_override') -Raw | Should -Not -Match 'vfio-pci'
        Get-Content -LiteralPath (Join-Path $roots.SysfsRoot 'bus/pci/drivers/e1000e/unbind') -Raw | Should -BeExactly '0000:00:10.0'
        (Get-VfioDevice @getRoots 0000:00:10.0).Driver | Should -BeExactly 'e1000e'
    }

    It 'takes Get-VfioDevice output from the pipeline' {
        $out = Get-VfioDevice @getRoots -Driver vfio-pci | Enable-VfioDevice @roots -Confirm:$false -PassThru
        ($out | ForEach-Object Address) | Should -Be @('0000:00:11.0', '0000:00:12.0')
        $out[0] | Should -BeOfType ([VfioPS.VfioPciDevice])
        $out[0].DriverOverride | Should -BeExactly 'vfio-pci'
    }

    It 'refuses what is not a PCI address with VfioPciAddressInvalid' {
        Enable-VfioDevice @roots '../../etc' -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioPciAddressInvalid,VfioPS.Commands.EnableVfioDeviceCommand'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'writes the udev rule and modules-load.d file with -Persistent, and Disable-VfioDevice removes them' {
        $rules = Join-Path $roots.EtcRoot 'udev/rules.d/61-vfiops-vfio-pci.rules'
        $modules = Join-Path $roots.EtcRoot 'modules-load.d/vfiops-vfio-pci.conf'
        Enable-VfioDevice @roots 0000:00:11.0 -Persistent -Confirm:$false
        $lines = @(Get-Content -LiteralPath $rules | Where-Object { $_ -notlike '#*' })
        $lines | Should -HaveCount 1
        $lines[0] | Should -BeLike 'ACTION=="add", SUBSYSTEM=="pci", KERNEL=="0000:00:11.0", ATTR{driver_override}="vfio-pci", RUN+=*'
        (Get-Content -LiteralPath $modules | Where-Object { $_ -notlike '#*' }) | Should -BeExactly 'vfio-pci'
        (Get-VfioDevice @getRoots 0000:00:11.0).PersistentOverride | Should -BeTrue

        Disable-VfioDevice @roots 0000:00:11.0 -Confirm:$false -WarningAction SilentlyContinue
        Test-Path -LiteralPath $rules | Should -BeFalse
        Test-Path -LiteralPath $modules | Should -BeFalse
        (Get-VfioDevice @getRoots 0000:00:11.0).PersistentOverride | Should -BeFalse
    }
}
