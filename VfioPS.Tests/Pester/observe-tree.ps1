# A static fake host for Get-VfioDeviceHolder and Get-VfioDeviceInterrupt: sysfs with three vfio-pci devices (two
# functions sharing IOMMU group 8), /dev/vfio group nodes as plain files, and a /proc with interrupts, per-IRQ
# affinity and processes whose fd links point at the nodes. It has the real sysfs's symlink cycles, so it lives in a
# temp folder of its own (never under TestDrive), removed by the caller in AfterAll.
function New-VfioObserveTree {
    $root = Join-Path ([System.IO.Path]::GetTempPath()) "vfiops-pester-observe-$PID-$([guid]::NewGuid().ToString('N'))"
    $sys = Join-Path $root 'sys'
    New-Item -ItemType Directory -Path (Join-Path $sys 'bus/pci/drivers/vfio-pci'), (Join-Path $root 'proc'), (Join-Path $root 'dev/vfio') -Force | Out-Null
    $devices = @(
        @{ Address = '0000:00:10.0'; Id = '8086:10d3'; Class = '020000'; Group = 4 }
        @{ Address = '0000:00:11.0'; Id = '1234:11e8'; Class = '00ff00'; Group = 5 }
        @{ Address = '0000:00:14.0'; Id = '1234:11e8'; Class = '00ff00'; Group = 8 }
        @{ Address = '0000:00:14.1'; Id = '1234:11e8'; Class = '00ff00'; Group = 8 }
    )
    foreach ($d in $devices) {
        $dir = Join-Path $sys "bus/pci/devices/$($d.Address)"
        New-Item -ItemType Directory -Path $dir -Force | Out-Null
        $vendor, $device = $d.Id -split ':'
        Set-Content -LiteralPath (Join-Path $dir 'vendor') -Value "0x$vendor"
        Set-Content -LiteralPath (Join-Path $dir 'device') -Value "0x$device"
        Set-Content -LiteralPath (Join-Path $dir 'class') -Value "0x$($d.Class)"
        New-Item -ItemType SymbolicLink -Path (Join-Path $dir 'driver') -Target (Join-Path $sys 'bus/pci/drivers/vfio-pci') | Out-Null
        $groupDir = Join-Path $sys "kernel/iommu_groups/$($d.Group)"
        New-Item -ItemType Directory -Path (Join-Path $groupDir 'devices') -Force | Out-Null
        New-Item -ItemType SymbolicLink -Path (Join-Path $dir 'iommu_group') -Target $groupDir | Out-Null
        New-Item -ItemType SymbolicLink -Path (Join-Path $groupDir "devices/$($d.Address)") -Target $dir | Out-Null
        Set-Content -LiteralPath (Join-Path $root "dev/vfio/$($d.Group)") -Value ''
    }
    $root
}

# A process in the fake /proc: comm, cmdline (NUL-separated) and fd 7 linked to $Node.
function Add-VfioObserveHolder {
    param([string] $Root, [int] $ProcessId, [string] $Command, [string[]] $Arguments, [string] $Node)
    $dir = Join-Path $Root "proc/$ProcessId"
    New-Item -ItemType Directory -Path (Join-Path $dir 'fd') -Force | Out-Null
    Set-Content -LiteralPath (Join-Path $dir 'comm') -Value $Command
    [System.IO.File]::WriteAllText((Join-Path $dir 'cmdline'), (($Arguments | ForEach-Object { "$_`0" }) -join ''))
    New-Item -ItemType SymbolicLink -Path (Join-Path $dir 'fd/7') -Target $Node | Out-Null
}

# /proc/interrupts as Debian's 6.1 kernel writes it for two CPUs; -Lines are the IRQ lines after the header.
function Set-VfioObserveInterrupts {
    param([string] $Root, [string[]] $Lines, [string] $Path = (Join-Path $Root 'proc/interrupts'))
    $text = "           CPU0       CPU1       `n" + (($Lines + 'NMI:          0          0   Non-maskable interrupts') -join "`n") + "`n"
    [System.IO.File]::WriteAllText($Path, $text)
}

function Set-VfioObserveAffinity {
    param([string] $Root, [int] $Irq, [string] $List)
    $dir = Join-Path $Root "proc/irq/$Irq"
    New-Item -ItemType Directory -Path $dir -Force | Out-Null
    Set-Content -LiteralPath (Join-Path $dir 'smp_affinity_list') -Value $List
}

function Add-VfioObserveMsiIrq {
    param([string] $Root, [string] $Address, [int] $Irq, [string] $Mode)
    $dir = Join-Path $Root "sys/bus/pci/devices/$Address/msi_irqs"
    New-Item -ItemType Directory -Path $dir -Force | Out-Null
    Set-Content -LiteralPath (Join-Path $dir $Irq) -Value $Mode
}

# One /proc/interrupts line for a vfio-pci handler, in the kernel's column layout for two CPUs.
function Format-VfioObserveLine {
    param([int] $Irq, [long] $Cpu0, [long] $Cpu1, [string] $Chip = 'IR-PCI-MSI 180224-edge', [string] $Handlers)
    '{0,3}: {1,10} {2,10}  {3}      {4}' -f $Irq, $Cpu0, $Cpu1, $Chip, $Handlers
}
