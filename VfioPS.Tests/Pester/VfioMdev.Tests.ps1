# Get-VfioMdevType, Get-VfioMdev, New-VfioMdev and Remove-VfioMdev, and Open-VfioDevice by UUID, on a static fake
# sysfs (mdev-tree.ps1): nothing reacts to a write, so a write is seen in its file, and a create or remove that the
# "kernel" never carries out ends in the error that says so. The real driver: VfioMdev.RealDevice.Tests.ps1.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'binding-tree.ps1')
    . (Join-Path $PSScriptRoot 'mdev-tree.ps1')
    $root = New-VfioMdevTree
    $roots = @{ SysfsRoot = Join-Path $root 'sys'; DevRoot = Join-Path $root 'dev' }
    $typeDir = Join-Path $roots.SysfsRoot 'class/mdev_bus/seed0/mdev_supported_types'
    $uuid = $VfioMdevTreeInstance
    $newUuid = '9e1c2a5d-4b1f-4c7e-9a53-6f0d2b8e7c41'
}

AfterAll {
    if ($root -and (Test-Path -LiteralPath $root)) { Remove-Item -LiteralPath $root -Recurse -Force }
}

Describe 'Get-VfioMdevType' {
    It 'lists each type of each parent with its attributes and instances' {
        $types = @(Get-VfioMdevType @roots)
        $types | Should -HaveCount 2
        $types[0] | Should -BeOfType ([VfioPS.VfioMdevType])
        ($types | ForEach-Object { "$($_.Parent)/$($_.TypeId)" }) | Should -Be @('seed0/seed_mdev-chain', 'seed0/seed_mdev-display')
        $display = $types[1]
        $display.Name | Should -BeExactly 'display'
        $display.Description | Should -BeExactly 'seed display: GFX/DISPLAY IRQ at index 5'
        $display.AvailableInstances | Should -Be 2
        $display.DeviceApi | Should -BeExactly 'vfio-pci'
        $display.Instances | Should -BeNullOrEmpty
        $types[0].Instances | Should -Be @($uuid)
    }

    It 'filters by -Parent and -TypeId with wildcards' {
        @(Get-VfioMdevType @roots -TypeId '*-disp*').TypeId | Should -Be @('seed_mdev-display')
        @(Get-VfioMdevType @roots -Parent 'seed*' -TypeId 'SEED_MDEV-CHAIN').TypeId | Should -Be @('seed_mdev-chain')
        Get-VfioMdevType @roots -Parent 'other*' | Should -BeNullOrEmpty
    }

    It 'reads the sysfs root from VFIOPS_SYSFS_ROOT' {
        $saved = $env:VFIOPS_SYSFS_ROOT
        try {
            $env:VFIOPS_SYSFS_ROOT = $roots.SysfsRoot
            @(Get-VfioMdevType).Count | Should -Be 2
        }
        finally { $env:VFIOPS_SYSFS_ROOT = $saved }
    }

    It 'shows the table view' {
        $text = Get-VfioMdevType @roots | Out-String -Width 120
        $text | Should -Match 'Parent\s+TypeId\s+Name\s+Available\s+DeviceApi\s+Instances'
        $text | Should -Match "seed0\s+seed_mdev-chain\s+chain\s+0\s+vfio-pci\s+$uuid"
    }
}

Describe 'Get-VfioMdev' {
    It 'lists the instances with parent, type, group and driver' {
        $all = @(Get-VfioMdev @roots)
        $all | Should -HaveCount 1
        $all[0] | Should -BeOfType ([VfioPS.VfioMdev])
        $all[0].Uuid | Should -BeExactly $uuid
        $all[0].Parent | Should -BeExactly 'seed0'
        $all[0].TypeId | Should -BeExactly 'seed_mdev-chain'
        $all[0].TypeName | Should -BeExactly 'chain'
        $all[0].IommuGroup | Should -Be 20
        $all[0].Driver | Should -BeExactly 'seed_mdev'
        (Get-VfioMdev @roots | Out-String -Width 140) | Should -Match "$uuid\s+seed0\s+seed_mdev-chain\s+chain\s+20\s+seed_mdev"
    }

    It 'filters by -Uuid (any case, wildcards) and -Parent' {
        (Get-VfioMdev @roots $uuid.ToUpperInvariant()).Uuid | Should -BeExactly $uuid
        (Get-VfioMdev @roots '3b1f*').Uuid | Should -BeExactly $uuid
        Get-VfioMdev @roots -Parent 'other' | Should -BeNullOrEmpty
    }

    It 'writes VfioMdevNotFound for a UUID with no instance and VfioMdevUuidInvalid for text that is not one' {
        Get-VfioMdev @roots $newUuid -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioMdevNotFound,VfioPS.Commands.GetVfioMdevCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].TargetObject | Should -BeExactly $newUuid
        Get-VfioMdev @roots 'not-a-uuid' -ErrorAction SilentlyContinue -ErrorVariable err2 | Should -BeNullOrEmpty
        $err2[0].FullyQualifiedErrorId | Should -BeExactly 'VfioMdevUuidInvalid,VfioPS.Commands.GetVfioMdevCommand'
        $err2[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }
}

Describe 'New-VfioMdev' {
    It 'lists the write with -WhatIf and makes none, also for types from the pipeline' {
        $text = Invoke-VfioChildPwsh "Get-VfioMdevType -TypeId seed_mdev-display -SysfsRoot '$($roots.SysfsRoot)' | New-VfioMdev -Uuid $newUuid -WhatIf -SysfsRoot '$($roots.SysfsRoot)'"
        $text | Should -Match ([regex]::Escape("What if: Create seed0/seed_mdev-display instance $newUuid`: write '$newUuid' to $typeDir/seed_mdev-display/create."))
        Get-Content -LiteralPath "$typeDir/seed_mdev-display/create" -Raw | Should -BeNullOrEmpty
    }

    It 'returns the instance that exists with that UUID, parent and type, without a write' {
        $out = New-VfioMdev @roots seed0 seed_mdev-chain $uuid -Confirm:$false -Verbose 4>&1
        ($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | Out-String) | Should -Match 'exists already: nothing to write'
        @($out | Where-Object { $_ -is [VfioPS.VfioMdev] }).Uuid | Should -BeExactly $uuid
        Get-Content -LiteralPath "$typeDir/seed_mdev-chain/create" -Raw | Should -BeNullOrEmpty
    }

    It 'refuses that UUID for another type with VfioMdevUuidInUse' {
        New-VfioMdev @roots seed0 seed_mdev-display $uuid -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioMdevUuidInUse,VfioPS.Commands.NewVfioMdevCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        $err[0].TargetObject | Should -BeExactly $uuid
        Get-Content -LiteralPath "$typeDir/seed_mdev-display/create" -Raw | Should -BeNullOrEmpty
    }

    It 'refuses a type with no available instance before the write' {
        New-VfioMdev @roots seed0 seed_mdev-chain -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioMdevNoInstancesAvailable,VfioPS.Commands.NewVfioMdevCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $err[0].Exception.Message | Should -Match 'available_instances is 0'
        Get-Content -LiteralPath "$typeDir/seed_mdev-chain/create" -Raw | Should -BeNullOrEmpty
    }

    It 'refuses a parent or type sysfs does not list with a NotFound id' {
        New-VfioMdev @roots '../../..' seed_mdev-display -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioMdevParentNotFound,VfioPS.Commands.NewVfioMdevCommand'
        New-VfioMdev @roots seed0 nope -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err2
        $err2[0].FullyQualifiedErrorId | Should -BeExactly 'VfioMdevTypeNotFound,VfioPS.Commands.NewVfioMdevCommand'
        $err2[0].Exception.Message | Should -Match 'seed_mdev-chain, seed_mdev-display'
    }

    It 'writes the UUID to the create file, and says so when no instance appears' {
        try {
            New-VfioMdev @roots -Parent seed0 -TypeId seed_mdev-display -Uuid $newUuid.ToUpperInvariant() -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err |
                Should -BeNullOrEmpty
            Get-Content -LiteralPath "$typeDir/seed_mdev-display/create" -Raw | Should -BeExactly $newUuid
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioMdevNotCreated,VfioPS.Commands.NewVfioMdevCommand'
            $err[0].CategoryInfo.Category | Should -Be 'DeviceError'
        }
        finally { Set-Content -LiteralPath "$typeDir/seed_mdev-display/create" -Value '' -NoNewline }
    }
}

Describe 'Remove-VfioMdev' {
    It 'lists the write with -WhatIf and makes none, for instances from the pipeline' {
        $text = Invoke-VfioChildPwsh "Get-VfioMdev -SysfsRoot '$($roots.SysfsRoot)' | Remove-VfioMdev -WhatIf -SysfsRoot '$($roots.SysfsRoot)'"
        $text | Should -Match ([regex]::Escape("What if: Remove $uuid (seed0/seed_mdev-chain): write '1' to $($roots.SysfsRoot)/bus/mdev/devices/$uuid/remove."))
        Get-Content -LiteralPath (Join-Path $roots.SysfsRoot "bus/mdev/devices/$uuid/remove") -Raw | Should -BeNullOrEmpty
    }

    It 'is no error for an instance that is already gone, and says so with -Verbose' {
        $out = Remove-VfioMdev @roots $newUuid -Confirm:$false -Verbose -ErrorVariable err 4>&1
        $err | Should -BeNullOrEmpty
        ($out | Out-String) | Should -Match "There is no mediated device $newUuid`: nothing to remove"
    }

    It 'writes 1 to the remove file, and says so when the instance does not go' {
        $remove = Join-Path $roots.SysfsRoot "bus/mdev/devices/$uuid/remove"
        try {
            Remove-VfioMdev @roots $uuid -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err
            Get-Content -LiteralPath $remove -Raw | Should -BeExactly '1'
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioMdevNotRemoved,VfioPS.Commands.RemoveVfioMdevCommand'
            $err[0].CategoryInfo.Category | Should -Be 'ResourceBusy'
            $err[0].TargetObject | Should -BeExactly $uuid
        }
        finally { Set-Content -LiteralPath $remove -Value '' -NoNewline }
    }
}

Describe 'Open-VfioDevice and the device cmdlets by UUID' {
    It 'takes the mdev path for a UUID (the group, not a PCI address check)' {
        # The fake /dev has the group node but no container: the open gets as far as /dev/vfio/vfio.
        Get-VfioMdev @roots | Open-VfioDevice @roots -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioNotAvailable,VfioPS.Commands.OpenVfioDeviceCommand'
        $err[0].TargetObject | Should -BeExactly $uuid
        $err[0].Exception.Message | Should -Match ([regex]::Escape((Join-Path $roots.DevRoot 'vfio/vfio')))
    }

    It 'says a UUID with no instance is not found, and that -Path Cdev is not how an mdev is opened' {
        Open-VfioDevice @roots $newUuid -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceNotFound,VfioPS.Commands.OpenVfioDeviceCommand'
        $err[0].Exception.Message | Should -Match 'bus/mdev/devices'
        Open-VfioDevice @roots $uuid -Path Cdev -ErrorAction SilentlyContinue -ErrorVariable err2 | Should -BeNullOrEmpty
        $err2[0].FullyQualifiedErrorId | Should -BeExactly 'VfioCdevNotAvailable,VfioPS.Commands.OpenVfioDeviceCommand'
    }

    It 'resolves a UUID given to -Device of the IRQ cmdlets as a mediated device' {
        Get-VfioIrqInfo -Device $newUuid -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceNotFound,VfioPS.Commands.GetVfioIrqInfoCommand'
        $err[0].Exception.Message | Should -Match 'mediated device'
    }
}
