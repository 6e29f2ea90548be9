BeforeAll { . (Join-Path $PSScriptRoot 'common.ps1') }

BeforeDiscovery {
    $unknownDeviceNames = @(
        @{ DeviceName = 'mock:e1000e/99999' }
        @{ DeviceName = '0000:00:10.0' }
    )
}

Describe 'Send-VfioMockInterrupt' {
    Context 'INTx: a level-triggered line the device masks on delivery' {
        # vfio-abi.md §7: a hardware INTx is delivered once and the line is then masked; UNMASK while the device
        # still asserts the line delivers it again.
        BeforeEach {
            $d = New-VfioMockDevice -Profile e1000e -ErrorAction Stop
            $t = New-VfioEventFd -ErrorAction Stop
            Set-VfioIrq $d INTx -EventFd $t -ErrorAction Stop
        }

        AfterEach {
            $t | Close-VfioTestEventFd
            $d | Close-VfioTestDevice
        }

        It 'delivers a raise: -PassThru gives $true and Wait-VfioEventFd returns the firing' {
            $delivered = @(Send-VfioMockInterrupt $d -Index INTx -PassThru -ErrorAction Stop)
            $delivered | Should -HaveCount 1
            $delivered[0] | Should -BeOfType ([bool])
            $delivered[0] | Should -Be $true

            $fired = @(Wait-VfioEventFd $t -Timeout 2 -ErrorAction SilentlyContinue -ErrorVariable err)
            $err | Should -HaveCount 0
            $fired | Should -HaveCount 1
            $fired[0].EventFd | Should -Be $t.Fd
            $fired[0].Device | Should -BeExactly $d.Name
            $fired[0].Index | Should -Be 0
            $fired[0].Vector | Should -Be 0
            $fired[0].Counter | Should -Be 1
        }

        It 'emits nothing without -PassThru' {
            $out = @(Send-VfioMockInterrupt $d -Index INTx -ErrorAction Stop)
            $out | Should -HaveCount 0
            $t.Read() | Should -Be 1
        }

        It 'does not deliver a second raise: the line is masked' {
            Send-VfioMockInterrupt $d -Index INTx -PassThru | Should -Be $true
            $t.Read() | Should -Be 1
            Send-VfioMockInterrupt $d -Index INTx -PassThru | Should -Be $false
            $t.Read() | Should -Be 0
        }

        It 'says with -Verbose that a masked raise was not delivered' {
            Send-VfioMockInterrupt $d -Index INTx -ErrorAction Stop
            $records = @(Send-VfioMockInterrupt $d -Index INTx -Verbose 4>&1)
            $verbose = @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
            $verbose | Should -HaveCount 1
            $verbose[0].Message | Should -Match 'not delivered because the line is masked'
            @($records | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }) | Should -HaveCount 0
        }

        It 'delivers again on Set-VfioIrq -Unmask while the line is still asserted, and the line stays masked' {
            Send-VfioMockInterrupt $d -Index INTx -PassThru | Should -Be $true
            $t.Read() | Should -Be 1

            Set-VfioIrq $d INTx -Unmask -ErrorAction Stop
            $fired = @(Wait-VfioEventFd $t -Timeout 2 -ErrorAction SilentlyContinue -ErrorVariable err)
            $err | Should -HaveCount 0
            $fired | Should -HaveCount 1
            $fired[0].Counter | Should -Be 1

            Send-VfioMockInterrupt $d -Index INTx -PassThru | Should -Be $false
            $t.Read() | Should -Be 0
        }

        It 'unmasks without delivering after -Lower, and delivers the next raise' {
            Send-VfioMockInterrupt $d -Index INTx -PassThru | Should -Be $true
            $t.Read() | Should -Be 1

            Send-VfioMockInterrupt $d -Lower -ErrorAction Stop
            Set-VfioIrq $d INTx -Unmask -ErrorAction Stop
            $t.Read() | Should -Be 0

            Send-VfioMockInterrupt $d -Index INTx -PassThru | Should -Be $true
            $t.Read() | Should -Be 1
        }

        It 'says with -Verbose that -Lower deasserted the line, and emits nothing' {
            $records = @(Send-VfioMockInterrupt $d -Lower -Verbose 4>&1)
            $records | Should -HaveCount 1
            $records[0] | Should -BeOfType ([System.Management.Automation.VerboseRecord])
            $records[0].Message | Should -Match 'INTx line deasserted'
        }

        It 'delivers nothing once INTx is disabled' {
            Set-VfioIrq $d INTx -Disable -ErrorAction Stop
            Send-VfioMockInterrupt $d -Index INTx -PassThru | Should -Be $false
            $t.Read() | Should -Be 0
        }
    }

    Context 'INTx with a resample eventfd' {
        BeforeEach {
            $d = New-VfioMockDevice -Profile e1000e -ErrorAction Stop
            $t = New-VfioEventFd -ErrorAction Stop
            $r = New-VfioEventFd -ErrorAction Stop
            Set-VfioIrq $d INTx -EventFd $t -ErrorAction Stop
            $resampleState = @(Set-VfioIrq $d INTx -Unmask -EventFd $r -PassThru -ErrorAction Stop)

            # Deliver one interrupt, which masks the line, and check that a second raise is held back.
            $firstDelivered = Send-VfioMockInterrupt $d -Index INTx -PassThru
            $firstCounter = $t.Read()
            $secondDelivered = Send-VfioMockInterrupt $d -Index INTx -PassThru
        }

        AfterEach {
            $t, $r | Close-VfioTestEventFd
            $d | Close-VfioTestDevice
        }

        It 'records the resample eventfd in the state of INTx' {
            $resampleState | Should -HaveCount 1
            $resampleState[0].ResampleEventFd | Should -Be $r.Fd
            $firstDelivered | Should -Be $true
            $firstCounter | Should -Be 1
            $secondDelivered | Should -Be $false
        }

        It 'delivers again when the resample eventfd is signalled while the line is still asserted' {
            $r.Signal()
            $fired = @(Wait-VfioEventFd $t -Timeout 2 -ErrorAction SilentlyContinue -ErrorVariable err)
            $err | Should -HaveCount 0
            $fired | Should -HaveCount 1
            $fired[0].EventFd | Should -Be $t.Fd
            $fired[0].Counter | Should -Be 1
        }

        It 'unmasks when the resample eventfd is signalled after -Lower: a later raise is delivered' {
            Send-VfioMockInterrupt $d -Lower -ErrorAction Stop
            $r.Signal()

            # The mock reads the resample eventfd on a thread of its own, so raise until delivered, for up to 2 s.
            # A raise that comes before the unmask asserts the line again; it is lowered at once, and if the unmask
            # fell in between, it delivered the pending interrupt to $t instead.
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $delivered = $false
            while (-not $delivered -and $clock.Elapsed.TotalSeconds -lt 2) {
                Start-Sleep -Milliseconds 20
                $delivered = Send-VfioMockInterrupt $d -Index INTx -PassThru
                if (-not $delivered) {
                    Send-VfioMockInterrupt $d -Lower
                    $delivered = $t.Read() -gt 0
                }
            }
            $delivered | Should -Be $true
        }
    }

    Context 'MSI-X' {
        BeforeAll {
            $d = New-VfioMockDevice -Profile e1000e -ErrorAction Stop
            $e = New-VfioEventFd -Count 5 -ErrorAction Stop
            Set-VfioIrq $d MSI-X -EventFd $e -ErrorAction Stop
        }

        AfterAll {
            $e | Close-VfioTestEventFd
            $d | Close-VfioTestDevice
        }

        It 'delivers a raise on vector 3 to the eventfd of vector 3 only' {
            Send-VfioMockInterrupt $d -Index MSI-X -Vector 3 -PassThru | Should -Be $true
            (@(foreach ($eventFd in $e) { $eventFd.Read() }) -join ',') | Should -BeExactly '0,0,0,1,0'
        }

        It 'is picked up by Wait-VfioEventFd with the vector it came from' {
            Send-VfioMockInterrupt $d -Index MSI-X -Vector 2 -ErrorAction Stop
            $fired = @(Wait-VfioEventFd $e -Timeout 2 -ErrorAction SilentlyContinue -ErrorVariable err)
            $err | Should -HaveCount 0
            $fired | Should -HaveCount 1
            $fired[0].Vector | Should -Be 2
            $fired[0].Index | Should -Be 2
            $fired[0].Device | Should -BeExactly $d.Name
        }

        It 'refuses vector 7, which MSI-X of e1000e does not have, with VfioIrqRangeInvalid and no output' {
            $out = Send-VfioMockInterrupt $d -Index MSI-X -Vector 7 -PassThru -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioIrqRangeInvalid,VfioPS.Commands.SendVfioMockInterruptCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err[0].TargetObject | Should -BeExactly $d.Name
        }

        It 'does not deliver on MSI, which is not enabled' {
            Send-VfioMockInterrupt $d -Index MSI -PassThru | Should -Be $false
            foreach ($eventFd in $e) { $eventFd.Read() | Should -Be 0 }
        }

        It 'takes the name of an open device as a string' {
            Send-VfioMockInterrupt $d.Name -Index MSI-X -Vector 0 -PassThru | Should -Be $true
            $e[0].Read() | Should -Be 1
        }
    }

    Context 'Devices that are not open' {
        BeforeAll {
            $closed = New-VfioMockDevice -Profile e1000e -ErrorAction Stop
            $closedName = $closed.Name
            $closed.Dispose()
        }

        AfterAll {
            $closed | Close-VfioTestDevice
        }

        It 'reports <DeviceName> as VfioDeviceNotFound and emits nothing' -ForEach $unknownDeviceNames {
            $out = Send-VfioMockInterrupt $DeviceName -Index INTx -PassThru -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceNotFound,VfioPS.Commands.SendVfioMockInterruptCommand'
            $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $err[0].TargetObject | Should -Be $DeviceName
        }

        It 'reports the name of a disposed device as VfioDeviceNotFound, for -Lower too' {
            Send-VfioMockInterrupt $closedName -Lower -ErrorAction SilentlyContinue -ErrorVariable err
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceNotFound,VfioPS.Commands.SendVfioMockInterruptCommand'
            $err[0].TargetObject | Should -Be $closedName
        }

        It 'reports a disposed device object as VfioDeviceClosed' {
            $out = Send-VfioMockInterrupt $closed -Index INTx -PassThru -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceClosed,VfioPS.Commands.SendVfioMockInterruptCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
            $err[0].TargetObject | Should -Be $closedName
        }
    }
}
