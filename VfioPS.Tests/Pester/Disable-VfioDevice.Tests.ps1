BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'binding-tree.ps1')
    $root = New-VfioBindingTree
    $roots = @{ SysfsRoot = Join-Path $root 'sys'; DevRoot = Join-Path $root 'dev'; EtcRoot = Join-Path $root 'etc'; ProcRoot = Join-Path $root 'proc' }
}

AfterAll {
    if ($root -and (Test-Path -LiteralPath $root)) { Remove-Item -LiteralPath $root -Recurse -Force }
}

Describe 'Disable-VfioDevice' {
    It 'lists every write in order with -WhatIf and makes none' {
        $text = Invoke-VfioChildPwsh "Disable-VfioDevice 0000:00:12.0 -WhatIf -SysfsRoot '$($roots.SysfsRoot)' -DevRoot '$($roots.DevRoot)' -EtcRoot '$($roots.EtcRoot)' -ProcRoot '$($roots.ProcRoot)'"
        $text | Should -Match ([regex]::Escape("What if: Give back 0000:00:12.0 (1af4:1000, on vfio-pci) to its host driver: 1) write '\n' to $($roots.SysfsRoot)/bus/pci/devices/0000:00:12.0/driver_override; 2) write '0000:00:12.0' to $($roots.SysfsRoot)/bus/pci/devices/0000:00:12.0/driver/unbind; 3) write '0000:00:12.0' to $($roots.SysfsRoot)/bus/pci/drivers_probe; 4) read the driver link"))
        Get-Content -LiteralPath (Join-Path $roots.SysfsRoot 'bus/pci/devices/0000:00:12.0/driver_override') -Raw | Should -BeExactly "vfio-pci`n"
        Get-Content -LiteralPath (Join-Path $roots.SysfsRoot 'bus/pci/drivers/vfio-pci/unbind') -Raw | Should -BeNullOrEmpty
    }

    It 'leaves a device on a host driver without override alone and says so' {
        $verbose = Disable-VfioDevice @roots 0000:00:1f.2 -Confirm:$false -Verbose 4>&1
        ($verbose | Out-String) | Should -Match 'nothing to write'
        Get-Content -LiteralPath (Join-Path $roots.SysfsRoot 'bus/pci/drivers/ahci/unbind') -Raw | Should -BeNullOrEmpty
    }

    It 'refuses a device whose group node a process holds with VfioDeviceInUse naming it' {
        $proc = Join-Path $roots.ProcRoot '4242'
        New-Item -ItemType Directory -Path (Join-Path $proc 'fd') -Force | Out-Null
        Set-Content -LiteralPath (Join-Path $proc 'comm') -Value 'qemu-system-x86'
        [System.IO.File]::WriteAllText((Join-Path $proc 'cmdline'), "qemu-system-x86_64`0-name`0vm1`0")
        New-Item -ItemType SymbolicLink -Path (Join-Path $proc 'fd/5') -Target (Join-Path $roots.DevRoot 'vfio/5') | Out-Null
        try {
            Disable-VfioDevice @roots 0000:00:12.0 -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceInUse,VfioPS.Commands.DisableVfioDeviceCommand'
            $err[0].CategoryInfo.Category | Should -Be 'ResourceBusy'
            $err[0].TargetObject | Should -BeExactly '0000:00:12.0'
            $err[0].Exception.Message | Should -Match '4242 \(qemu-system-x86_64 -name vm1\)'
            Get-Content -LiteralPath (Join-Path $roots.SysfsRoot 'bus/pci/devices/0000:00:12.0/driver_override') -Raw | Should -BeExactly "vfio-pci`n"
        }
        finally { Remove-Item -LiteralPath $proc -Recurse -Force }
    }

    It 'refuses what is not a PCI address with VfioPciAddressInvalid' {
        Disable-VfioDevice @roots 'zz:00.0' -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioPciAddressInvalid,VfioPS.Commands.DisableVfioDeviceCommand'
    }

    It 'reports an absent address with VfioDeviceNotFound' {
        Disable-VfioDevice @roots 0000:00:05.0 -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceNotFound,VfioPS.Commands.DisableVfioDeviceCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }
}
