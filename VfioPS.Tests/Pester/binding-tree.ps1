# A static fake host for Enable-/Disable-VfioDevice: sysfs with driver_override, the drivers' unbind files and
# drivers_probe as plain files, so every write lands in a file the test can read. It has the real sysfs's symlink
# cycles, so it lives in a temp folder of its own (never under TestDrive), removed by the caller in AfterAll.
function New-VfioBindingTree {
    $root = Join-Path ([System.IO.Path]::GetTempPath()) "vfiops-pester-bind-$PID-$([guid]::NewGuid().ToString('N'))"
    $sys = Join-Path $root 'sys'
    New-Item -ItemType Directory -Path (Join-Path $sys 'bus/pci/drivers/vfio-pci'), (Join-Path $root 'etc'), (Join-Path $root 'proc'), (Join-Path $root 'dev/vfio') -Force | Out-Null
    Set-Content -LiteralPath (Join-Path $sys 'bus/pci/drivers_probe') -Value '' -NoNewline
    $devices = @(
        @{ Address = '0000:00:10.0'; Id = '8086:10d3'; Class = '020000'; Driver = 'e1000e'; Override = '(null)'; Group = 3 }
        @{ Address = '0000:00:11.0'; Id = '1234:11e8'; Class = '00ff00'; Driver = 'vfio-pci'; Override = 'vfio-pci'; Group = 4 }
        @{ Address = '0000:00:12.0'; Id = '1af4:1000'; Class = '020000'; Driver = 'vfio-pci'; Override = 'vfio-pci'; Group = 5 }
        @{ Address = '0000:00:1f.2'; Id = '8086:2922'; Class = '010601'; Driver = 'ahci'; Override = '(null)'; Group = 9 }
    )
    foreach ($d in $devices) {
        $dir = Join-Path $sys "bus/pci/devices/$($d.Address)"
        New-Item -ItemType Directory -Path $dir -Force | Out-Null
        $vendor, $device = $d.Id -split ':'
        Set-Content -LiteralPath (Join-Path $dir 'vendor') -Value "0x$vendor"
        Set-Content -LiteralPath (Join-Path $dir 'device') -Value "0x$device"
        Set-Content -LiteralPath (Join-Path $dir 'class') -Value "0x$($d.Class)"
        Set-Content -LiteralPath (Join-Path $dir 'driver_override') -Value "$($d.Override)`n" -NoNewline
        $driverDir = Join-Path $sys "bus/pci/drivers/$($d.Driver)"
        New-Item -ItemType Directory -Path $driverDir -Force | Out-Null
        Set-Content -LiteralPath (Join-Path $driverDir 'unbind') -Value '' -NoNewline
        New-Item -ItemType SymbolicLink -Path (Join-Path $dir 'driver') -Target $driverDir | Out-Null
        $groupDir = Join-Path $sys "kernel/iommu_groups/$($d.Group)"
        New-Item -ItemType Directory -Path (Join-Path $groupDir 'devices') -Force | Out-Null
        New-Item -ItemType SymbolicLink -Path (Join-Path $dir 'iommu_group') -Target $groupDir | Out-Null
        New-Item -ItemType SymbolicLink -Path (Join-Path $groupDir "devices/$($d.Address)") -Target $dir | Out-Null
        Set-Content -LiteralPath (Join-Path $root "dev/vfio/$($d.Group)") -Value ''
    }
    $root
}

# Runs a command in a child pwsh with the built module and returns what it printed, host output (What if:) included.
function Invoke-VfioChildPwsh {
    param([Parameter(Mandatory)][string] $Command)
    $pwsh = Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })
    $script = "`$PSStyle.OutputRendering = 'PlainText'; Import-Module -Name '$VfioModulePath' -ErrorAction Stop; $Command"
    (& $pwsh -NoProfile -NonInteractive -Command $script 2>&1 | ForEach-Object { "$_" }) -join "`n"
}
