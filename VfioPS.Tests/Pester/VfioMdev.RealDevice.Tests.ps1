# The mdev cmdlets and the device cmdlets on a real mediated device: the lane's reference parent seed_mdev
# (VfioPS.Tests/KernelLane/seed-mdev), which answers the seed IRQ ABI. run-lane.sh loads it on the 6.1 kernel and
# creates one instance of each type before the suite, listed in $env:KERNEL_LANE_MDEV_DEVICES as
# "<uuid> <type id> <parent> group=<n> /dev/vfio/<n>". Tagged RealDevice: elsewhere (and on a lane kernel without
# the module) every test skips and says why. Each test removes the instances it created and turns off what it
# turned on.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')

    $SeedParent = 'seed_mdev'
    $SeedInstances = @{}
    if (-not [string]::IsNullOrWhiteSpace($env:KERNEL_LANE_MDEV_DEVICES) -and (Test-Path -LiteralPath $env:KERNEL_LANE_MDEV_DEVICES -PathType Leaf)) {
        foreach ($line in Get-Content -LiteralPath $env:KERNEL_LANE_MDEV_DEVICES) {
            $uuid, $typeId, $parent, $group, $node = -split $line
            if ($typeId) { $SeedInstances[$typeId] = [pscustomobject]@{ Uuid = $uuid; TypeId = $typeId; Parent = $parent; Group = [int]($group -replace '^group=', '') } }
        }
    }
    $SeedReady = $VfioInKernelLane -and $SeedInstances.Count -eq 2 -and (Test-Path -LiteralPath "/sys/class/mdev_bus/$SeedParent")
    $SeedSkipReason = if (-not $VfioInKernelLane) { $VfioRealDeviceSkipReason }
    elseif ($env:KERNEL_LANE_SEED_MDEV_SKIP) { $env:KERNEL_LANE_SEED_MDEV_SKIP }
    else { "the seed_mdev module and its two instances are not there (/sys/class/mdev_bus/$SeedParent, `$env:KERNEL_LANE_MDEV_DEVICES); run-lane.sh loads them on 6.1" }

    # UUIDs this file creates and removes (never the lane's own instances).
    $TestUuid = '5eed7e57-0000-4000-8000-0000000000a1'
    $FillPrefix = '5eedf111-0000-4000-8000-0000000000'

    function Remove-SeedInstance {
        # Cleanup that does not depend on the cmdlet under test: 1 written to the remove file, as mdevctl stop does.
        param([Parameter(Mandatory)][string] $Uuid)
        $remove = "/sys/bus/mdev/devices/$Uuid/remove"
        if (Test-Path -LiteralPath $remove) { [System.IO.File]::WriteAllText($remove, '1') }
    }

    function Get-SeedAttribute {
        param([Parameter(Mandatory)][string] $Uuid, [Parameter(Mandatory)][string] $Name)
        [System.IO.File]::ReadAllText("/sys/bus/mdev/devices/$Uuid/seed/$Name").Trim()
    }

    function Set-SeedAttribute {
        param([Parameter(Mandatory)][string] $Uuid, [Parameter(Mandatory)][string] $Name, [Parameter(Mandatory)][string] $Value)
        [System.IO.File]::WriteAllText("/sys/bus/mdev/devices/$Uuid/seed/$Name", $Value)
    }
}

Describe 'Mediated devices of seed_mdev on the real kernel' -Tag 'RealDevice' {
    BeforeEach {
        if (-not $SeedReady) { Set-ItResult -Skipped -Because $SeedSkipReason }
    }

    It 'lists the parent''s types display and chain with their sysfs attributes' {
        if (-not $SeedReady) { return }
        $types = @(Get-VfioMdevType -Parent $SeedParent)
        ($types | ForEach-Object TypeId) | Should -Be @('seed_mdev-chain', 'seed_mdev-display')
        foreach ($t in $types) {
            $t | Should -BeOfType ([VfioPS.VfioMdevType])
            $t.Parent | Should -BeExactly $SeedParent
            $t.Name | Should -BeExactly ('seed ' + ($t.TypeId -replace '^seed_mdev-', ''))
            $t.Description | Should -Match '^seed ABI: index 5 '
            $t.DeviceApi | Should -BeExactly 'vfio-pci'
            $t.Instances | Should -Contain $SeedInstances[$t.TypeId].Uuid
            # Four per type: what is left plus what exists.
            ($t.AvailableInstances + $t.Instances.Count) | Should -Be 4
            $t.AvailableInstances | Should -Be ([int][System.IO.File]::ReadAllText("/sys/class/mdev_bus/$SeedParent/mdev_supported_types/$($t.TypeId)/available_instances").Trim())
        }
        @(Get-VfioMdevType -TypeId '*-chain').Parent | Should -Be @($SeedParent)
    }

    It 'lists the lane''s instances with parent, type, group and driver' {
        if (-not $SeedReady) { return }
        foreach ($expected in $SeedInstances.Values) {
            $mdev = Get-VfioMdev -Uuid $expected.Uuid -ErrorAction Stop
            $mdev.Parent | Should -BeExactly $SeedParent
            $mdev.TypeId | Should -BeExactly $expected.TypeId
            $mdev.TypeName | Should -BeExactly ('seed ' + ($expected.TypeId -replace '^seed_mdev-', ''))
            $mdev.IommuGroup | Should -Be $expected.Group
            $mdev.Driver | Should -BeExactly 'seed_mdev'
        }
        @(Get-VfioMdev -Parent $SeedParent).Count | Should -BeGreaterOrEqual 2
    }

    It 'creates an instance, a second call changes nothing, -WhatIf writes nothing, and removes it' {
        if (-not $SeedReady) { return }
        $before = (Get-VfioMdevType $SeedParent seed_mdev-display).AvailableInstances
        try {
            # In this process: a child pwsh would show the "What if:" text (the help's example and the fake-sysfs
            # tests check it) but costs a minute under the lane's emulation.
            New-VfioMdev $SeedParent seed_mdev-display $TestUuid -WhatIf -ErrorAction Stop | Should -BeNullOrEmpty
            Test-Path -LiteralPath "/sys/bus/mdev/devices/$TestUuid" | Should -BeFalse
            (Get-VfioMdevType $SeedParent seed_mdev-display).AvailableInstances | Should -Be $before

            $created = New-VfioMdev -Parent $SeedParent -TypeId seed_mdev-display -Uuid $TestUuid -Confirm:$false -ErrorAction Stop
            $created.Uuid | Should -BeExactly $TestUuid
            $created.Driver | Should -BeExactly 'seed_mdev'
            $created.IommuGroup | Should -Not -BeNullOrEmpty
            Test-Path -LiteralPath "/dev/vfio/$($created.IommuGroup)" | Should -BeTrue
            (Get-VfioMdevType $SeedParent seed_mdev-display).AvailableInstances | Should -Be ($before - 1)

            $again = New-VfioMdev $SeedParent seed_mdev-display $TestUuid -Confirm:$false -Verbose -ErrorAction Stop 4>&1
            ($again | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | Out-String) | Should -Match 'nothing to write'
            (Get-VfioMdevType $SeedParent seed_mdev-display).AvailableInstances | Should -Be ($before - 1)

            New-VfioMdev $SeedParent seed_mdev-chain $TestUuid -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable inUse | Should -BeNullOrEmpty
            $inUse[0].FullyQualifiedErrorId | Should -BeExactly 'VfioMdevUuidInUse,VfioPS.Commands.NewVfioMdevCommand'

            Get-VfioMdev $TestUuid | Remove-VfioMdev -WhatIf -ErrorAction Stop
            Test-Path -LiteralPath "/sys/bus/mdev/devices/$TestUuid" | Should -BeTrue

            Get-VfioMdev $TestUuid | Remove-VfioMdev -Confirm:$false -ErrorAction Stop
            Test-Path -LiteralPath "/sys/bus/mdev/devices/$TestUuid" | Should -BeFalse
            (Get-VfioMdevType $SeedParent seed_mdev-display).AvailableInstances | Should -Be $before
            Remove-VfioMdev $TestUuid -Confirm:$false -ErrorAction Stop -ErrorVariable gone
            $gone | Should -BeNullOrEmpty
        }
        finally { Remove-SeedInstance $TestUuid }
    }

    It 'refuses a type with no instance left before writing, and creates from Get-VfioMdevType through the pipeline' {
        if (-not $SeedReady) { return }
        $left = (Get-VfioMdevType $SeedParent seed_mdev-chain).AvailableInstances
        $uuids = @(1..$left | ForEach-Object { $FillPrefix + $_.ToString('x2') })
        try {
            foreach ($uuid in $uuids) {
                (Get-VfioMdevType $SeedParent seed_mdev-chain | New-VfioMdev -Uuid $uuid -Confirm:$false -ErrorAction Stop).Uuid | Should -BeExactly $uuid
            }
            (Get-VfioMdevType $SeedParent seed_mdev-chain).AvailableInstances | Should -Be 0
            New-VfioMdev $SeedParent seed_mdev-chain -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable full | Should -BeNullOrEmpty
            $full[0].FullyQualifiedErrorId | Should -BeExactly 'VfioMdevNoInstancesAvailable,VfioPS.Commands.NewVfioMdevCommand'
            $full[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            Get-VfioMdev | Where-Object Uuid -in $uuids | Remove-VfioMdev -Confirm:$false -ErrorAction Stop
            (Get-VfioMdevType $SeedParent seed_mdev-chain).AvailableInstances | Should -Be $left
        }
        finally { $uuids | ForEach-Object { Remove-SeedInstance $_ } }
    }

    It 'opens the display instance by UUID and shows index 5 as GFX/DISPLAY with its TYPE capability' {
        if (-not $SeedReady) { return }
        $display = $SeedInstances['seed_mdev-display']
        $dev = Open-VfioDevice $display.Uuid -ErrorAction Stop
        try {
            $dev.Name | Should -BeExactly $display.Uuid
            $dev.Channel | Should -BeExactly 'Kernel group'
            $dev.IommuGroup | Should -Be $display.Group
            $dev.NumIrqs | Should -Be 6
            $infos = @(Get-VfioIrqInfo $dev)
            ($infos | ForEach-Object { "$($_.Index) $($_.Name) $($_.Count) $($_.Supported)" }) |
                Should -Be @('0 INTx 1 True', '1 MSI 1 True', '2 MSI-X 0 False', '3 ERR 0 False', '4 REQ 0 False', '5 GFX/DISPLAY 1 True')
            $infos[5].Flags.ToString() | Should -BeExactly 'EventFd, Caps'
            $cap = @(Get-VfioIrqCapability $dev -Index 5)
            $cap | Should -HaveCount 1
            ($cap[0].Offset, $cap[0].Id, $cap[0].Version, $cap[0].Type, $cap[0].Subtype, $cap[0].Next) | Should -Be @(24, 3, 1, 1, 1, 0)
            # The device cannot be removed while it is open here.
            Remove-VfioMdev $display.Uuid -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable busy
            $busy[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceOpenInSession,VfioPS.Commands.RemoveVfioMdevCommand'
            Test-Path -LiteralPath "/sys/bus/mdev/devices/$($display.Uuid)" | Should -BeTrue
        }
        finally { Close-VfioDevice $dev -Confirm:$false }
    }

    It 'reads all three capabilities of the chain type''s index 5, from a UUID given to -Device' {
        if (-not $SeedReady) { return }
        $chain = $SeedInstances['seed_mdev-chain']
        $caps = @(Get-VfioIrqCapability -Device $chain.Uuid -Index 5 -ErrorAction Stop)
        $caps | Should -HaveCount 3
        ($caps | ForEach-Object { "$($_.Offset) $($_.Id) $($_.Name) $($_.Next)" }) | Should -Be @('24 3 Type 40', '40 4 Unknown 64', '64 99 Unknown 0')
        ($caps[0].Type, $caps[0].Subtype) | Should -Be @(1, 1)
        [System.BitConverter]::ToUInt64($caps[1].Data, 8) | Should -Be 1
        [System.BitConverter]::ToUInt64($caps[1].Data, 16) | Should -Be 2
        [System.Text.Encoding]::ASCII.GetString($caps[2].Data, 8, 8) | Should -BeExactly 'SEED-MDV'
    }

    It 'delivers the display IRQs the device raises (the raise knob and the vblank timer) to an eventfd on index 5, until disabled' {
        if (-not $SeedReady) { return }
        $display = $SeedInstances['seed_mdev-display']
        $dev = Open-VfioDevice $display.Uuid -ErrorAction Stop
        $fd = New-VfioEventFd
        try {
            $state = Set-VfioIrq $dev -Index 5 -EventFd $fd -PassThru -Confirm:$false -ErrorAction Stop
            $state.Enabled | Should -BeTrue
            $count = [long](Get-SeedAttribute $display.Uuid display_irq_count)

            Set-SeedAttribute $display.Uuid raise_display_irq '1'
            $fired = @(Wait-VfioEventFd $fd -Timeout 5)
            $fired | Should -HaveCount 1
            ($fired[0].Device, $fired[0].Index, $fired[0].Vector, $fired[0].Counter) | Should -Be @($display.Uuid, 5, 0, 1)

            Set-SeedAttribute $display.Uuid vblank_hz '20'
            try {
                $ticks = @(Wait-VfioEventFd $fd -Stream -MaxEvents 3 -Timeout 10)
            }
            finally { Set-SeedAttribute $display.Uuid vblank_hz '0' }
            # Ticks between the third and the timer stopping: read (and so cleared) here.
            Wait-VfioEventFd $fd -Timeout 0.2 -ErrorAction SilentlyContinue | Out-Null
            $ticks | Should -HaveCount 3
            $ticks | ForEach-Object { $_.Index | Should -Be 5; $_.Counter | Should -BeGreaterOrEqual 1 }
            [long](Get-SeedAttribute $display.Uuid display_irq_count) | Should -BeGreaterOrEqual ($count + 4)

            Get-VfioIrqInfo $dev -Index 5 | Set-VfioIrq -Disable -Confirm:$false -ErrorAction Stop
            # With no trigger bound the device has nothing to signal: its raise knob answers ENXIO.
            { Set-SeedAttribute $display.Uuid raise_display_irq '1' } | Should -Throw
            Wait-VfioEventFd $fd -Timeout 0.5 -ErrorAction SilentlyContinue | Where-Object Counter -gt 0 | Should -BeNullOrEmpty
        }
        finally {
            Set-SeedAttribute $display.Uuid vblank_hz '0'
            $fd | Close-VfioEventFd
            Close-VfioDevice $dev -Confirm:$false
        }
    }
}
