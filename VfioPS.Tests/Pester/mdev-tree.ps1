# A static fake host for the mdev cmdlets: a parent "seed0" with the types seed_mdev-display (2 available) and
# seed_mdev-chain (0 available), and one instance of the chain type, laid out as the kernel lays them out (the
# parent's folder under devices/virtual, linked from class/mdev_bus; the instance linked from bus/mdev/devices and
# the type's devices folder, with mdev_type, iommu_group and driver links). create and remove are plain files, so a
# write lands in a file the test can read and nothing reacts to it. Its own temp folder (sysfs has symlink cycles),
# removed by the caller in AfterAll.
$VfioMdevTreeInstance = '3b1f3a7e-2c44-4d0b-8e55-1a2b3c4d5e6f'

function New-VfioMdevTree {
    $root = Join-Path ([System.IO.Path]::GetTempPath()) "vfiops-pester-mdev-$PID-$([guid]::NewGuid().ToString('N'))"
    $sys = Join-Path $root 'sys'
    $parentDir = Join-Path $sys 'devices/virtual/seed/seed0'
    New-Item -ItemType Directory -Path (Join-Path $sys 'class/mdev_bus'), (Join-Path $sys 'bus/mdev/devices'), (Join-Path $sys 'bus/mdev/drivers/seed_mdev'), (Join-Path $root 'dev/vfio') -Force | Out-Null
    New-Item -ItemType SymbolicLink -Path (Join-Path $sys 'class/mdev_bus/seed0') -Target $parentDir -Force:$false | Out-Null
    $types = @(
        @{ Id = 'seed_mdev-display'; Name = 'display'; Description = 'seed display: GFX/DISPLAY IRQ at index 5'; Available = 2 }
        @{ Id = 'seed_mdev-chain'; Name = 'chain'; Description = 'seed chain: three capabilities at index 5'; Available = 0 }
    )
    foreach ($t in $types) {
        $dir = Join-Path $parentDir "mdev_supported_types/$($t.Id)"
        New-Item -ItemType Directory -Path (Join-Path $dir 'devices') -Force | Out-Null
        Set-Content -LiteralPath (Join-Path $dir 'name') -Value $t.Name
        Set-Content -LiteralPath (Join-Path $dir 'description') -Value $t.Description
        Set-Content -LiteralPath (Join-Path $dir 'available_instances') -Value $t.Available
        Set-Content -LiteralPath (Join-Path $dir 'device_api') -Value 'vfio-pci'
        Set-Content -LiteralPath (Join-Path $dir 'create') -Value '' -NoNewline
    }
    $uuid = $VfioMdevTreeInstance
    $instance = Join-Path $parentDir $uuid
    New-Item -ItemType Directory -Path $instance -Force | Out-Null
    Set-Content -LiteralPath (Join-Path $instance 'remove') -Value '' -NoNewline
    # Relative, as the kernel makes it: from the instance's own folder, not from the bus/mdev/devices link.
    $null = [System.IO.Directory]::CreateSymbolicLink((Join-Path $instance 'mdev_type'), '../mdev_supported_types/seed_mdev-chain')
    New-Item -ItemType SymbolicLink -Path (Join-Path $instance 'driver') -Target (Join-Path $sys 'bus/mdev/drivers/seed_mdev') | Out-Null
    $groupDir = Join-Path $sys 'kernel/iommu_groups/20'
    New-Item -ItemType Directory -Path (Join-Path $groupDir 'devices') -Force | Out-Null
    New-Item -ItemType SymbolicLink -Path (Join-Path $instance 'iommu_group') -Target $groupDir | Out-Null
    New-Item -ItemType SymbolicLink -Path (Join-Path $groupDir "devices/$uuid") -Target $instance | Out-Null
    $null = [System.IO.Directory]::CreateSymbolicLink((Join-Path $sys "bus/mdev/devices/$uuid"), "../../../devices/virtual/seed/seed0/$uuid")
    New-Item -ItemType SymbolicLink -Path (Join-Path $parentDir "mdev_supported_types/seed_mdev-chain/devices/$uuid") -Target $instance | Out-Null
    Set-Content -LiteralPath (Join-Path $root 'dev/vfio/20') -Value ''
    $root
}
