# Get-VfioDeviceHolder and Get-VfioDeviceInterrupt on the real vfio-pci driver: another process (a child pwsh with
# the module) holds edu, binds an eventfd to one of its interrupts and raises interrupts through edu's BAR0 (a write
# of 1 to 0x60 raises, to 0x64 acknowledges: QEMU's hw/misc/edu.c); this process, which never opens edu, sees the
# holder and the host's count of that interrupt grow by exactly what was raised. Tagged RealDevice: the real-kernel
# lane runs it in its VM; anywhere else every test skips and says why.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')

    $edu = '0000:00:11.0'

    # The child's script: open edu, enable bus mastering, bind an eventfd to -Index, say "ready", wait for the go file, raise $Count
    # interrupts one at a time (each waited for on the eventfd, then acknowledged; INTx also unmasked, since vfio-pci
    # masks the line when it fires), say "raised", wait for the done file, close.
    function Start-VfioEduRaiser {
        param([string] $Index, [int] $Count, [string] $Go, [string] $Done)
        $unmask = if ($Index -eq 'INTx') { "Set-VfioIrq `$d INTx -Unmask -Confirm:`$false -ErrorAction Stop" } else { '' }
        Start-VfioChildPwsh -Command (@(
                "`$ErrorActionPreference = 'Stop'"
                "`$d = Open-VfioDevice -Address $edu"
                # vfio-pci opens a device with Bus Master Enable cleared; an MSI is a memory write by the device, which
                # QEMU drops while it is clear, so the holder sets it (through the CONFIG region, as QEMU does).
                "`$command = (Read-VfioRegion `$d CONFIG 4 -Width 2).Value"
                "Write-VfioRegion `$d CONFIG 4 (`$command -bor 4) -Width 2 -Confirm:`$false"
                "`$fd = New-VfioEventFd"
                "Set-VfioIrq `$d $Index -EventFd `$fd -Confirm:`$false"
                "'ready'; [Console]::Out.Flush()"
                "while (-not (Test-Path -LiteralPath '$Go')) { Start-Sleep -Milliseconds 100 }"
                "foreach (`$i in 1..$Count) {"
                "    Write-VfioRegion `$d BAR0 0x60 1 -Confirm:`$false"
                "    `$got = 0; `$deadline = [DateTime]::UtcNow.AddSeconds(30)"
                "    while (`$got -lt 1 -and [DateTime]::UtcNow -lt `$deadline) { `$got += (@(Wait-VfioEventFd `$fd -Timeout 5 -ErrorAction SilentlyContinue) | Measure-Object Counter -Sum).Sum }"
                "    if (`$got -ne 1) { throw ""interrupt `$i was signalled `$got times"" }"
                "    Write-VfioRegion `$d BAR0 0x64 1 -Confirm:`$false"
                "    $unmask"
                "}"
                "'raised $Count'; [Console]::Out.Flush()"
                "while (-not (Test-Path -LiteralPath '$Done')) { Start-Sleep -Milliseconds 100 }"
                "Close-VfioDevice `$d -Confirm:`$false; `$fd | Close-VfioEventFd"
            ) -join "`n")
    }

    # The child's next line of output, waited for up to $Seconds (pwsh starts slowly under the lane's emulation).
    function Read-VfioChildLine {
        param([System.Diagnostics.Process] $Child, [int] $Seconds = 240)
        $read = $Child.StandardOutput.ReadLineAsync()
        if (-not $read.Wait([TimeSpan]::FromSeconds($Seconds))) {
            throw "the child pwsh said nothing within $Seconds s; its errors: $($Child.StandardError.ReadToEnd())"
        }
        if ($null -eq $read.Result) { throw "the child pwsh ended (exit $($Child.ExitCode)): $($Child.StandardError.ReadToEnd())" }
        $read.Result
    }

    function Stop-VfioEduRaiser {
        param([System.Diagnostics.Process] $Child, [string] $Done)
        if (-not $Child) { return }
        New-Item -ItemType File -Path $Done -Force | Out-Null
        if (-not $Child.WaitForExit(120000)) { $Child.Kill() }
        $Child.WaitForExit()
        $Child.Dispose()
    }
}

Describe 'Watching edu in use by another process' -Tag 'RealDevice' {
    BeforeEach {
        if (-not $VfioInKernelLane) {
            Set-ItResult -Skipped -Because $VfioRealDeviceSkipReason
            return
        }
        $work = Join-Path ([System.IO.Path]::GetTempPath()) "vfiops-observe-$([guid]::NewGuid().ToString('N'))"
        New-Item -ItemType Directory -Path $work | Out-Null
        $go = Join-Path $work 'go'
        $done = Join-Path $work 'done'
        $child = $null
    }

    AfterEach {
        if ($VfioInKernelLane) {
            Stop-VfioEduRaiser -Child $child -Done $done
            Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'names the holder and counts exactly the MSI interrupts it raised' {
        if (-not $VfioInKernelLane) { return }
        $raised = 5
        $child = Start-VfioEduRaiser -Index MSI -Count $raised -Go $go -Done $done
        Read-VfioChildLine $child | Should -BeExactly 'ready'

        $holder = @(Get-VfioDeviceHolder $edu)
        $holder.Count | Should -Be 1
        $holder[0].Pid | Should -Be $child.Id
        $holder[0].CommandLine | Should -Match 'Open-VfioDevice -Address 0000:00:11\.0'
        $holder[0].Node | Should -BeExactly ($VfioLaneDevices | Where-Object Address -eq $edu).Node
        $holder[0].IsCurrentProcess | Should -BeFalse

        $before = @(Get-VfioDeviceInterrupt $edu)
        $before.Count | Should -Be 1
        $before[0].Name | Should -BeExactly 'MSI'
        $before[0].Vector | Should -Be 0
        $before[0].Handler | Should -BeExactly "vfio-msi[0]($edu)"
        $before[0].MsiIrqsMode | Should -BeExactly 'msi'
        $before[0].IsShared | Should -BeFalse
        $before[0].AffinityCpus | Should -Not -BeNullOrEmpty

        New-Item -ItemType File -Path $go | Out-Null
        Read-VfioChildLine $child | Should -BeExactly "raised $raised"
        $after = @(Get-VfioDeviceInterrupt $edu -PerCpu)
        $after.Count | Should -Be 1
        $after[0].Irq | Should -Be $before[0].Irq
        ($after[0].Count - $before[0].Count) | Should -Be $raised
        ($after[0].PerCpu | Measure-Object Count -Sum).Sum | Should -Be $after[0].Count
    }

    It 'counts exactly the INTx interrupts it raised, acknowledged and unmasked, on a line of its own' {
        if (-not $VfioInKernelLane) { return }
        $raised = 3
        $child = Start-VfioEduRaiser -Index INTx -Count $raised -Go $go -Done $done
        Read-VfioChildLine $child | Should -BeExactly 'ready'

        (Get-VfioDeviceHolder $edu).Pid | Should -Be $child.Id
        $before = @(Get-VfioDeviceInterrupt $edu)
        $before.Count | Should -Be 1
        $before[0].Name | Should -BeExactly 'INTx'
        $before[0].Handler | Should -BeExactly "vfio-intx($edu)"
        $before[0].IsShared | Should -BeFalse -Because "the line's count must be edu's alone (other handlers: $($before[0].SharedWith -join ', '))"
        $before[0].MsiIrqsMode | Should -BeNullOrEmpty
        $before[0].Irq | Should -Be ([int](Get-Content -LiteralPath "/sys/bus/pci/devices/$edu/irq"))

        New-Item -ItemType File -Path $go | Out-Null
        Read-VfioChildLine $child | Should -BeExactly "raised $raised"
        $after = Get-VfioDeviceInterrupt $edu
        ($after.Count - $before[0].Count) | Should -Be $raised
    }

    It 'samples the held device with -Interval from this process' {
        if (-not $VfioInKernelLane) { return }
        $child = Start-VfioEduRaiser -Index MSI -Count 1 -Go $go -Done $done
        Read-VfioChildLine $child | Should -BeExactly 'ready'
        New-Item -ItemType File -Path $go | Out-Null
        Read-VfioChildLine $child | Should -BeExactly 'raised 1'
        # Nothing raises now: two samples, each with Delta 0 and the same count.
        $samples = @(Get-VfioDeviceInterrupt $edu -Interval 0.5 -Count 2)
        ($samples | ForEach-Object Sample) -join ',' | Should -BeExactly '1,2'
        ($samples | ForEach-Object Delta) -join ',' | Should -BeExactly '0,0'
        $samples[0].Count | Should -Be 1
        $samples | ForEach-Object { $_.Restarted | Should -BeFalse }
    }
}
