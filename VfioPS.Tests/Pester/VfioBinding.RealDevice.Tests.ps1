# Enable-VfioDevice and Disable-VfioDevice on the real kernel: devices the lane leaves on their host drivers
# ($env:VFIO_VM_HOST_DEVICES: 0000:00:15.0 e1000e on e1000e, 00:16.0 virtio-net on virtio-pci, 00:17.0 edu on no
# driver, 00:18.0/00:18.1 two virtio-nets of one slot in one IOMMU group). Every test puts back what it changed.
# Tagged RealDevice: the real-kernel lane runs it; anywhere else every test skips and says why.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')

    $VfioHostDevices = @{}
    if (-not [string]::IsNullOrWhiteSpace($env:VFIO_VM_HOST_DEVICES) -and (Test-Path -LiteralPath $env:VFIO_VM_HOST_DEVICES -PathType Leaf)) {
        foreach ($line in Get-Content -LiteralPath $env:VFIO_VM_HOST_DEVICES) {
            $address, $id, $name, $group, $driver = -split $line
            $VfioHostDevices[$address] = [pscustomobject]@{ Address = $address; Id = $id; Name = $name; Driver = $driver -replace '^driver=', '' }
        }
    }

    function Get-VfioDriverName {
        param([Parameter(Mandatory)][string] $Address)
        $link = "/sys/bus/pci/devices/$Address/driver"
        if (Test-Path -LiteralPath $link) { Split-Path -Leaf ([System.IO.Directory]::ResolveLinkTarget($link, $true).FullName) } else { $null }
    }

    function Get-VfioNetInterface {
        # The network interfaces a PCI function carries: net/ for e1000e, virtioN/net/ for virtio-net.
        param([Parameter(Mandatory)][string] $Address)
        $dir = "/sys/bus/pci/devices/$Address"
        @(Get-ChildItem -Path "$dir/net", "$dir/virtio*/net" -ErrorAction SilentlyContinue | ForEach-Object Name)
    }

    # Starts a pwsh that opens a device and holds it until killed; returns the process once the device is open.
    function Start-VfioDeviceHolder {
        param([Parameter(Mandatory)][string] $Address)
        $holder = Start-VfioChildPwsh -Command "`$d = Open-VfioDevice -Address $Address -ErrorAction Stop; 'open'; Start-Sleep -Seconds 900"
        $line = $holder.StandardOutput.ReadLine()
        if ($line -ne 'open') {
            $holder.Kill($true)
            throw "the holder process did not open $Address`: $($holder.StandardError.ReadToEnd())"
        }
        $holder
    }
}

Describe 'Enable-VfioDevice and Disable-VfioDevice on the real kernel' -Tag 'RealDevice' {
    BeforeEach {
        if (-not $VfioInKernelLane -or $VfioHostDevices.Count -eq 0) {
            Set-ItResult -Skipped -Because $VfioRealDeviceSkipReason
        }
    }

    It 'gives an e1000e to vfio-pci, loops back an MSI-X vector on it, and gives it back to e1000e with its network interface' {
        if (-not $VfioInKernelLane -or $VfioHostDevices.Count -eq 0) { return }
        $address = '0000:00:15.0'
        Get-VfioDriverName $address | Should -BeExactly 'e1000e'
        @(Get-VfioNetInterface $address).Count | Should -Be 1
        try {
            $enabled = Enable-VfioDevice -Address $address -PassThru -Confirm:$false -ErrorAction Stop
            $enabled.Driver | Should -BeExactly 'vfio-pci'
            $enabled.Usable | Should -BeTrue -Because $enabled.UnusableReason
            Get-VfioDriverName $address | Should -BeExactly 'vfio-pci'
            @(Get-VfioNetInterface $address).Count | Should -Be 0

            $nic = Open-VfioDevice -Address $address -ErrorAction Stop
            $fds = New-VfioEventFd -Count 5
            try {
                Set-VfioIrq -Device $nic -Index MSI-X -EventFd $fds -Confirm:$false
                Set-VfioIrq -Device $nic -Index MSI-X -Trigger -Start 3 -Count 1 -Confirm:$false
                $fired = @(Wait-VfioEventFd -EventFd $fds -Timeout 5)
                $fired.Count | Should -Be 1
                $fired[0].Vector | Should -Be 3
            }
            finally {
                $fds | Close-VfioEventFd
                Close-VfioDevice -Device $nic -Confirm:$false
            }
        }
        finally {
            $back = Disable-VfioDevice -Address $address -PassThru -Confirm:$false -ErrorAction Stop
        }
        $back.Driver | Should -BeExactly 'e1000e'
        Get-VfioDriverName $address | Should -BeExactly 'e1000e'
        @(Get-VfioNetInterface $address).Count | Should -Be 1
        (Get-Content -LiteralPath "/sys/bus/pci/devices/$address/driver_override") | Should -BeExactly '(null)'
    }

    It 'leaves a device already on the target driver alone, and says so' {
        if (-not $VfioInKernelLane -or $VfioHostDevices.Count -eq 0) { return }
        $address = '0000:00:16.0'
        try {
            Enable-VfioDevice -Address $address -Confirm:$false -ErrorAction Stop
            $again = Enable-VfioDevice -Address $address -Confirm:$false -Verbose -ErrorAction Stop 4>&1
            @($again | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | Where-Object Message -match 'nothing to write') |
                Should -Not -BeNullOrEmpty
            Get-VfioDriverName $address | Should -BeExactly 'vfio-pci'
        }
        finally {
            Disable-VfioDevice -Address $address -Confirm:$false -ErrorAction Stop
        }
        Get-VfioDriverName $address | Should -BeExactly 'virtio-pci'
        $twice = Disable-VfioDevice -Address $address -Confirm:$false -Verbose -ErrorAction Stop 4>&1
        @($twice | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | Where-Object Message -match 'nothing to write') |
            Should -Not -BeNullOrEmpty
        Get-VfioDriverName $address | Should -BeExactly 'virtio-pci'
    }

    It 'warns that a group is not viable when one function is moved alone, and -IncludeGroup moves the whole group' {
        if (-not $VfioInKernelLane -or $VfioHostDevices.Count -eq 0) { return }
        try {
            $null = Enable-VfioDevice -Address 0000:00:18.0 -Confirm:$false -ErrorAction Stop -WarningVariable notViable -WarningAction SilentlyContinue
            "$notViable" | Should -Match '0000:00:18\.1'
            (Get-VfioDevice -Address 0000:00:18.0).Usable | Should -BeFalse
            Get-VfioDriverName 0000:00:18.1 | Should -BeExactly 'virtio-pci'

            $both = @(Enable-VfioDevice -Address 0000:00:18.0 -IncludeGroup -PassThru -Confirm:$false -ErrorAction Stop)
            ($both | ForEach-Object Driver) | Should -Be @('vfio-pci', 'vfio-pci')
            @(Get-VfioDevice -Address 0000:00:18.* | Where-Object Usable).Count | Should -Be 2
            $first = Open-VfioDevice -Address 0000:00:18.1 -ErrorAction Stop
            Close-VfioDevice -Device $first -Confirm:$false
        }
        finally {
            $back = @(Disable-VfioDevice -Address 0000:00:18.0 -IncludeGroup -PassThru -Confirm:$false -ErrorAction Stop)
        }
        ($back | ForEach-Object Driver) | Should -Be @('virtio-pci', 'virtio-pci')
        Get-VfioDriverName 0000:00:18.0 | Should -BeExactly 'virtio-pci'
        Get-VfioDriverName 0000:00:18.1 | Should -BeExactly 'virtio-pci'
    }

    It 'gives a device with no host driver back to no driver, and says that none took it' {
        if (-not $VfioInKernelLane -or $VfioHostDevices.Count -eq 0) { return }
        $address = '0000:00:17.0'
        Get-VfioDriverName $address | Should -BeNullOrEmpty
        try {
            (Enable-VfioDevice -Address $address -PassThru -Confirm:$false -ErrorAction Stop).Driver | Should -BeExactly 'vfio-pci'
        }
        finally {
            $back = Disable-VfioDevice -Address $address -PassThru -Confirm:$false -ErrorAction Stop -WarningVariable none -WarningAction SilentlyContinue -Verbose 4>&1
        }
        $device = @($back | Where-Object { $_ -is [VfioPS.VfioPciDevice] })
        $device.Count | Should -Be 1
        $device[0].Driver | Should -BeNullOrEmpty
        Get-VfioDriverName $address | Should -BeNullOrEmpty
        ("$none" + ($back | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)) | Should -Match 'no driver'
    }

    It 'refuses to take a device from vfio-pci while another process holds it, naming the process' {
        if (-not $VfioInKernelLane -or $VfioHostDevices.Count -eq 0) { return }
        $address = '0000:00:16.0'
        Enable-VfioDevice -Address $address -Confirm:$false -ErrorAction Stop
        $holder = $null
        try {
            $holder = Start-VfioDeviceHolder -Address $address
            $null = Disable-VfioDevice -Address $address -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable refused
            $refused.Count | Should -Be 1
            $refused[0].FullyQualifiedErrorId | Should -Match '^VfioDeviceInUse'
            $refused[0].CategoryInfo.Category | Should -Be 'ResourceBusy'
            "$($refused[0])" | Should -Match "$($holder.Id)"
            Get-VfioDriverName $address | Should -BeExactly 'vfio-pci'
        }
        finally {
            if ($holder) { $holder.Kill($true); $holder.WaitForExit(); $holder.Dispose() }
            Disable-VfioDevice -Address $address -Confirm:$false -ErrorAction Stop
        }
        Get-VfioDriverName $address | Should -BeExactly 'virtio-pci'
    }

    It 'refuses to take a device from vfio-pci while this session has it open' {
        if (-not $VfioInKernelLane -or $VfioHostDevices.Count -eq 0) { return }
        $address = '0000:00:15.0'
        Enable-VfioDevice -Address $address -Confirm:$false -ErrorAction Stop
        try {
            $open = Open-VfioDevice -Address $address -ErrorAction Stop
            try {
                $null = Disable-VfioDevice -Address $address -Force -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable refused
                $refused.Count | Should -Be 1
                $refused[0].FullyQualifiedErrorId | Should -Match '^VfioDeviceOpenInSession'
                Get-VfioDriverName $address | Should -BeExactly 'vfio-pci'
            }
            finally { Close-VfioDevice -Device $open -Confirm:$false }
        }
        finally {
            Disable-VfioDevice -Address $address -Confirm:$false -ErrorAction Stop
        }
        Get-VfioDriverName $address | Should -BeExactly 'e1000e'
    }
}
