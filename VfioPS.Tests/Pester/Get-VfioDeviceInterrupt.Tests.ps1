BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'observe-tree.ps1')
    $root = New-VfioObserveTree
    $roots = @{ SysfsRoot = Join-Path $root 'sys'; DevRoot = Join-Path $root 'dev'; ProcRoot = Join-Path $root 'proc' }
    # e1000e (00:10.0) with MSI-X vectors 0 and 4 bound and vector 1 allocated without an eventfd; edu (00:11.0) with
    # MSI; 00:14.0 on a shared INTx line; 00:14.1 with nothing.
    $lines = @(
        '  0:         48          0   IO-APIC   2-edge      timer'
        (Format-VfioObserveLine -Irq 10 -Cpu0 7 -Cpu1 2 -Chip 'IR-IO-APIC   10-fasteoi' -Handlers 'virtio0, vfio-intx(0000:00:14.0)')
        (Format-VfioObserveLine -Irq 26 -Cpu0 5 -Cpu1 2 -Handlers 'vfio-msi[0](0000:00:11.0)')
        (Format-VfioObserveLine -Irq 27 -Cpu0 0 -Cpu1 10 -Chip 'IR-PCI-MSI 163840-edge' -Handlers 'vfio-msix[0](0000:00:10.0)')
        (Format-VfioObserveLine -Irq 31 -Cpu0 1 -Cpu1 0 -Chip 'IR-PCI-MSI 163844-edge' -Handlers 'vfio-msix[4](0000:00:10.0)')
    )
    Set-VfioObserveInterrupts -Root $root -Lines $lines
    Set-VfioObserveAffinity -Root $root -Irq 26 -List '0-1'
    Set-VfioObserveAffinity -Root $root -Irq 27 -List '1'
    Add-VfioObserveMsiIrq -Root $root -Address 0000:00:11.0 -Irq 26 -Mode msi
    foreach ($irq in 27, 28, 31) { Add-VfioObserveMsiIrq -Root $root -Address 0000:00:10.0 -Irq $irq -Mode msix }

    # A FIFO in place of /proc/interrupts: each reading of the cmdlet gets the next text a thread job writes, in
    # order, whatever the timing.
    function Start-VfioInterruptsFeed {
        param([string[]] $Texts)
        $fifo = Join-Path $root "proc-fifo-$([guid]::NewGuid().ToString('N'))"
        New-Item -ItemType Directory -Path $fifo | Out-Null
        & mkfifo (Join-Path $fifo 'interrupts')
        $job = Start-ThreadJob -ArgumentList (Join-Path $fifo 'interrupts'), $Texts -ScriptBlock {
            param($path, $texts)
            # A pause after each text: the reader closes the FIFO before the next text is offered.
            foreach ($text in $texts) { [System.IO.File]::WriteAllText($path, $text); Start-Sleep -Milliseconds 300 }
        }
        [pscustomobject]@{ ProcRoot = $fifo; Job = $job }
    }

    function Get-InterruptsText {
        param([long] $Cpu0, [long] $Cpu1)
        $path = [System.IO.Path]::GetTempFileName()
        Set-VfioObserveInterrupts -Root $root -Path $path -Lines (Format-VfioObserveLine -Irq 26 -Cpu0 $Cpu0 -Cpu1 $Cpu1 -Handlers 'vfio-msi[0](0000:00:11.0)')
        [System.IO.File]::ReadAllText($path)
        Remove-Item -LiteralPath $path
    }
}

AfterAll {
    if ($root -and (Test-Path -LiteralPath $root)) { Remove-Item -LiteralPath $root -Recurse -Force }
}

Describe 'Get-VfioDeviceInterrupt' {
    It 'reads each vector of a device from /proc/interrupts, with its IRQ, count, affinity and msi_irqs mode' {
        $msi = Get-VfioDeviceInterrupt 0000:00:11.0 @roots
        $msi | Should -BeOfType ([VfioPS.VfioDeviceInterrupt])
        $msi.Name | Should -BeExactly 'MSI'
        $msi.Index | Should -Be 1
        $msi.Vector | Should -Be 0
        $msi.Irq | Should -Be 26
        $msi.Count | Should -Be 7
        $msi.Handler | Should -BeExactly 'vfio-msi[0](0000:00:11.0)'
        $msi.Affinity | Should -BeExactly '0-1'
        $msi.AffinityCpus | Should -Be @(0, 1)
        $msi.MsiIrqsMode | Should -BeExactly 'msi'
        $msi.IsShared | Should -BeFalse
        $msi.PerCpu | Should -BeNullOrEmpty
        $msi.Delta | Should -BeNullOrEmpty
        $msi.Sample | Should -Be 0
    }

    It 'lists every device on vfio-pci when no address is given, bound vectors first, then allocated ones without an eventfd' {
        $all = @(Get-VfioDeviceInterrupt @roots)
        ($all | ForEach-Object { '{0} {1}[{2}] irq {3} = {4}' -f $_.Address, $_.Name, $_.Vector, $_.Irq, $_.Count }) -join '; ' |
            Should -BeExactly ('0000:00:10.0 MSI-X[0] irq 27 = 10; 0000:00:10.0 MSI-X[4] irq 31 = 1; 0000:00:10.0 MSI-X[] irq 28 = 0; ' +
                '0000:00:11.0 MSI[0] irq 26 = 7; 0000:00:14.0 INTx[0] irq 10 = 9')
        # IRQ 31 has no /proc/irq/31: no affinity, and no error.
        ($all | Where-Object Irq -eq 31).Affinity | Should -BeNullOrEmpty
    }

    It 'names the other handlers of a shared INTx line' {
        $intx = Get-VfioDeviceInterrupt 0000:00:14.0 @roots
        $intx.Name | Should -BeExactly 'INTx'
        $intx.IsShared | Should -BeTrue
        $intx.SharedWith | Should -Be @('virtio0')
        $intx.MsiIrqsMode | Should -BeNullOrEmpty
    }

    It 'gives each CPU''s count with -PerCpu' {
        $msix = Get-VfioDeviceInterrupt 0000:00:10.0 @roots -PerCpu | Where-Object Vector -eq 0
        ($msix.PerCpu | ForEach-Object { "$_" }) -join ' ' | Should -BeExactly 'CPU0=0 CPU1=10'
    }

    It 'writes nothing for a device without interrupts, and says why with -Verbose' {
        $out = Get-VfioDeviceInterrupt 0000:00:14.1 @roots -Verbose 4>&1
        @($out | Where-Object { $_ -is [VfioPS.VfioDeviceInterrupt] }) | Should -BeNullOrEmpty
        "$out" | Should -Match '0000:00:14\.1 has no interrupt in use'
    }

    It 'takes samples -Interval apart: Delta and Rate per vector, across a 32-bit wrap and a restarted counter' {
        $feed = Start-VfioInterruptsFeed -Texts @(
            (Get-InterruptsText -Cpu0 100 -Cpu1 4294967290)
            (Get-InterruptsText -Cpu0 130 -Cpu1 4)
            (Get-InterruptsText -Cpu0 2 -Cpu1 10)
        )
        try {
            $samples = @(Get-VfioDeviceInterrupt 0000:00:11.0 -SysfsRoot $roots.SysfsRoot -DevRoot $roots.DevRoot -ProcRoot $feed.ProcRoot -Interval 0.5 -Count 2 -PerCpu)
            $samples.Count | Should -Be 2
            $samples[0].Sample | Should -Be 1
            # CPU0 +30, CPU1 wrapped at 2^32: +10.
            $samples[0].Delta | Should -Be 40
            $samples[0].Restarted | Should -BeFalse
            $samples[0].IntervalSeconds | Should -BeGreaterThan 0.3
            $samples[0].Rate | Should -Be ($samples[0].Delta / $samples[0].IntervalSeconds)
            ($samples[0].PerCpu | ForEach-Object Delta) -join ',' | Should -BeExactly '30,10'
            # CPU0 130 -> 2 is no wrap: the counter started again, and counts from zero.
            $samples[1].Sample | Should -Be 2
            $samples[1].Delta | Should -Be 8
            $samples[1].Restarted | Should -BeTrue
        }
        finally {
            $feed.Job | Wait-Job -Timeout 10 | Out-Null
            $feed.Job | Remove-Job -Force
        }
    }

    It 'streams with -Continuous until Select-Object -First stops it' {
        $feed = Start-VfioInterruptsFeed -Texts @(1..4 | ForEach-Object { Get-InterruptsText -Cpu0 (10 * $_) -Cpu1 0 })
        try {
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $samples = @(Get-VfioDeviceInterrupt 0000:00:11.0 -SysfsRoot $roots.SysfsRoot -DevRoot $roots.DevRoot -ProcRoot $feed.ProcRoot -Continuous -Interval 0.4 |
                    Select-Object -First 3)
            ($samples | ForEach-Object Delta) -join ',' | Should -BeExactly '10,10,10'
            ($samples | ForEach-Object Sample) -join ',' | Should -BeExactly '1,2,3'
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 30
        }
        finally {
            $feed.Job | Wait-Job -Timeout 10 | Out-Null
            $feed.Job | Remove-Job -Force
        }
    }

    It 'stops at once when the pipeline is stopped during the wait (Ctrl+C)' {
        $shell = [powershell]::Create()
        try {
            # The import first and on its own: on a loaded machine it can take seconds, and the stop must land in
            # the cmdlet's 600 s wait, not in the import.
            $null = $shell.AddCommand('Import-Module').AddArgument($VfioModulePath).Invoke()
            $shell.Commands.Clear()
            $null = $shell.AddCommand('Get-VfioDeviceInterrupt').AddParameters(@{ Address = '0000:00:11.0'; Continuous = $true; Interval = 600 } + $roots)
            $async = $shell.BeginInvoke()
            Start-Sleep -Seconds 2
            $shell.InvocationStateInfo.State | Should -Be 'Running' -Because 'the cmdlet is in its wait for the next sample'
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $shell.Stop()
            # Stop() returns when the pipeline state is Stopped; the async result is completed just after, on
            # another thread: wait for it (a cmdlet that ignored the stop would keep it open for 600 s).
            $async.AsyncWaitHandle.WaitOne([timespan]::FromSeconds(5)) | Should -BeTrue
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 5
            $shell.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally { $shell.Dispose() }
    }

    It 'fails with VfioInterruptsUnavailable when /proc/interrupts cannot be read' {
        $empty = Join-Path $root 'empty-proc'
        New-Item -ItemType Directory -Path $empty -Force | Out-Null
        $err = { Get-VfioDeviceInterrupt 0000:00:11.0 -SysfsRoot $roots.SysfsRoot -DevRoot $roots.DevRoot -ProcRoot $empty } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly 'VfioInterruptsUnavailable,VfioPS.Commands.GetVfioDeviceInterruptCommand'
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'writes VfioPciAddressInvalid for text that is not an address and reads the others' {
        $found = @(Get-VfioDeviceInterrupt 'x', '0000:00:11.0' @roots -ErrorAction SilentlyContinue -ErrorVariable errs)
        $found.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeExactly 'VfioPciAddressInvalid,VfioPS.Commands.GetVfioDeviceInterruptCommand'
    }

    It 'refuses -Count without -Interval, and an -Interval out of range' {
        { Get-VfioDeviceInterrupt 0000:00:11.0 @roots -Count 2 } | Should -Throw -ErrorId 'MissingMandatoryParameter,VfioPS.Commands.GetVfioDeviceInterruptCommand'
        { Get-VfioDeviceInterrupt 0000:00:11.0 @roots -Interval 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,VfioPS.Commands.GetVfioDeviceInterruptCommand'
    }

    It 'renders as the table view' {
        $lines = @((Get-VfioDeviceInterrupt 0000:00:14.0 @roots | Out-String -Width 200) -split "`n" | Remove-AnsiEscape | ForEach-Object TrimEnd | Where-Object { $_ })
        $lines[0] | Should -Match '^Address +Name +Vector +Irq +Count +Delta +Rate Affinity SharedWith$'
        $lines[2] | Should -Match '^0000:00:14\.0 INTx +0 +10 +9 +virtio0$'
    }
}
