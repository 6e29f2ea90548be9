BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'observe-tree.ps1')
    $root = New-VfioObserveTree
    $roots = @{ SysfsRoot = Join-Path $root 'sys'; DevRoot = Join-Path $root 'dev'; ProcRoot = Join-Path $root 'proc' }
    Add-VfioObserveHolder -Root $root -ProcessId 4242 -Command 'qemu-system-x86' -Arguments 'qemu-system-x86_64', '-device', 'vfio-pci,host=0000:00:14.0' -Node (Join-Path $root 'dev/vfio/8')
    Add-VfioObserveHolder -Root $root -ProcessId 977 -Command 'dpdk-testpmd' -Arguments 'dpdk-testpmd', '-a', '0000:00:10.0' -Node (Join-Path $root 'dev/vfio/4')
    # A process holding something else is nobody's holder.
    Add-VfioObserveHolder -Root $root -ProcessId 12 -Command 'bash' -Arguments 'bash' -Node (Join-Path $root 'proc')
}

AfterAll {
    if ($root -and (Test-Path -LiteralPath $root)) { Remove-Item -LiteralPath $root -Recurse -Force }
}

Describe 'Get-VfioDeviceHolder' {
    It 'names the process that holds a device''s group node, with its command line' {
        $holder = Get-VfioDeviceHolder 0000:00:10.0 @roots
        $holder | Should -BeOfType ([VfioPS.VfioDeviceHolder])
        $holder.Address | Should -BeExactly '0000:00:10.0'
        $holder.Pid | Should -Be 977
        $holder.Command | Should -BeExactly 'dpdk-testpmd'
        $holder.CommandLine | Should -BeExactly 'dpdk-testpmd -a 0000:00:10.0'
        $holder.Node | Should -BeExactly (Join-Path $root 'dev/vfio/4')
        $holder.IommuGroup | Should -Be 4
        $holder.IsCurrentProcess | Should -BeFalse
    }

    It 'reports every device of a held group, and every held device when no address is given' {
        $all = @(Get-VfioDeviceHolder @roots)
        ($all | ForEach-Object { "$($_.Address)=$($_.Pid)" }) -join ',' | Should -BeExactly '0000:00:10.0=977,0000:00:14.0=4242,0000:00:14.1=4242'
    }

    It 'takes the address patterns of Get-VfioDevice (without the domain, wildcards) and devices from the pipeline' {
        (@(Get-VfioDeviceHolder 00:14.* @roots) | ForEach-Object Address) -join ',' | Should -BeExactly '0000:00:14.0,0000:00:14.1'
        (Get-VfioDevice 00:14.1 -SysfsRoot $roots.SysfsRoot -DevRoot $roots.DevRoot | Get-VfioDeviceHolder @roots).Pid | Should -Be 4242
    }

    It 'writes nothing for a device nobody holds, and says so with -Verbose' {
        $verbose = Get-VfioDeviceHolder 0000:00:11.0 @roots -Verbose 4>&1
        @($verbose | Where-Object { $_ -is [VfioPS.VfioDeviceHolder] }) | Should -BeNullOrEmpty
        "$verbose" | Should -Match 'No process holds 0000:00:11.0'
    }

    It 'writes VfioPciAddressInvalid and VfioDeviceNotFound and goes on with the next address' {
        $found = Get-VfioDeviceHolder 'nonsense', '0000:00:1e.0', '0000:00:10.0' @roots -ErrorAction SilentlyContinue -ErrorVariable errs
        $found.Pid | Should -Be 977
        $errs.Count | Should -Be 2
        $errs[0].FullyQualifiedErrorId | Should -BeExactly 'VfioPciAddressInvalid,VfioPS.Commands.GetVfioDeviceHolderCommand'
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $errs[0].TargetObject | Should -BeExactly 'nonsense'
        $errs[1].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceNotFound,VfioPS.Commands.GetVfioDeviceHolderCommand'
        $errs[1].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'finds a real process that holds the node open, through the host''s /proc' {
        # The fake group node is a plain file: a child pwsh opens it and waits; the real /proc shows its fd.
        $node = Join-Path $root 'dev/vfio/5'
        $child = Start-VfioChildPwsh -Command "`$f = [System.IO.File]::OpenRead('$node'); 'open'; [Console]::Out.Flush(); Start-Sleep -Seconds 120"
        try {
            $child.StandardOutput.ReadLine() | Should -BeExactly 'open'
            $holder = Get-VfioDeviceHolder 0000:00:11.0 -SysfsRoot $roots.SysfsRoot -DevRoot $roots.DevRoot
            $holder.Pid | Should -Be $child.Id
            $holder.CommandLine | Should -Match ([regex]::Escape("OpenRead('$node')"))
            $holder.IsCurrentProcess | Should -BeFalse
        }
        finally {
            if (-not $child.HasExited) { $child.Kill() }
            $child.WaitForExit()
            $child.Dispose()
        }
    }

    It 'marks this process when the session itself holds the node' {
        $node = Join-Path $root 'dev/vfio/5'
        $file = [System.IO.File]::OpenRead($node)
        try {
            $holder = Get-VfioDeviceHolder 0000:00:11.0 -SysfsRoot $roots.SysfsRoot -DevRoot $roots.DevRoot
            $holder.Pid | Should -Be $PID
            $holder.IsCurrentProcess | Should -BeTrue
        }
        finally { $file.Dispose() }
    }

    It 'renders as the table view' {
        $lines = @((Get-VfioDeviceHolder 0000:00:10.0 @roots | Out-String -Width 200) -split "`n" | Remove-AnsiEscape | ForEach-Object TrimEnd | Where-Object { $_ })
        $lines[0] | Should -Match '^Address +Group Node +Pid Command +CommandLine$'
        $lines[2] | Should -Match '^0000:00:10\.0 +4 .+ +977 dpdk-testpmd +dpdk-testpmd -a 0000:00:10\.0$'
    }
}
