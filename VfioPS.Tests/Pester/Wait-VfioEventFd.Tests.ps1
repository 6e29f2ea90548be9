BeforeAll { . (Join-Path $PSScriptRoot 'common.ps1') }

BeforeDiscovery {
    $invalidArguments = @(
        @{ Case = '-Timeout -2'; Arguments = @{ Timeout = -2 } }
        @{ Case = '-MaxEvents 0'; Arguments = @{ Stream = $true; MaxEvents = 0 } }
    )
}

Describe 'Wait-VfioEventFd' {
    Context 'A timeout with nothing fired' {
        BeforeAll {
            $e = New-VfioEventFd -Count 2 -ErrorAction Stop
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $out = @(Wait-VfioEventFd $e -Timeout 0.2 -ErrorAction SilentlyContinue -ErrorVariable err)
            $clock.Stop()
        }

        AfterAll {
            $e | Close-VfioTestEventFd
        }

        It 'returns nothing' {
            $out | Should -HaveCount 0
        }

        It 'writes one VfioEventFdWaitTimeout error (OperationTimeout) naming the eventfds' {
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioEventFdWaitTimeout,VfioPS.Commands.WaitVfioEventFdCommand'
            $err[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
            (@($err[0].TargetObject).Fd -join ',') | Should -BeExactly ($e.Fd -join ',')
            $err[0].Exception.Message | Should -Match 'No eventfd fired within'
        }

        It 'returns within a sane time of the 0.2 s timeout' {
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 5
        }
    }

    Context 'Firings' {
        BeforeAll {
            $d = New-VfioMockDevice -Profile e1000e -ErrorAction Stop
            $e = New-VfioEventFd -Count 5 -ErrorAction Stop
            Set-VfioIrq $d MSI-X -EventFd $e -ErrorAction Stop
        }

        AfterAll {
            $e | Close-VfioTestEventFd
            $d | Close-VfioTestDevice
        }

        It 'returns every eventfd that fired, in the order they were given' {
            Set-VfioIrq $d MSI-X -Trigger -Start 3 -Count 1 -ErrorAction Stop
            Set-VfioIrq $d MSI-X -Trigger -Start 1 -Count 1 -ErrorAction Stop
            $fired = @(Wait-VfioEventFd $e -Timeout 2 -ErrorAction SilentlyContinue -ErrorVariable err)
            $err | Should -HaveCount 0
            $fired | Should -HaveCount 2
            ($fired.Vector -join ',') | Should -BeExactly '1,3'
            ($fired.EventFd -join ',') | Should -BeExactly "$($e[1].Fd),$($e[3].Fd)"
        }

        It 'counts the signals since the last read, and the read resets the counter' {
            Set-VfioIrq $d MSI-X -Trigger -Start 2 -Count 1 -ErrorAction Stop
            Set-VfioIrq $d MSI-X -Trigger -Start 2 -Count 1 -ErrorAction Stop
            Set-VfioIrq $d MSI-X -Trigger -Start 2 -Count 1 -ErrorAction Stop
            $fired = @(Wait-VfioEventFd $e -Timeout 2 -ErrorAction Stop)
            $fired | Should -HaveCount 1
            $fired[0].Vector | Should -Be 2
            $fired[0].Counter | Should -Be 3
            $e[2].Read() | Should -Be 0
        }

        It 'gives each firing a timestamp taken when it was read' {
            $start = [System.DateTimeOffset]::Now
            Set-VfioIrq $d MSI-X -Trigger -Start 0 -Count 1 -ErrorAction Stop
            $fired = @(Wait-VfioEventFd $e -Timeout 2 -ErrorAction Stop)
            $fired | Should -HaveCount 1
            $fired[0].Timestamp | Should -BeOfType ([System.DateTimeOffset])
            $fired[0].Timestamp | Should -BeGreaterOrEqual $start
        }

        It 'takes the eventfds from the pipeline' {
            Set-VfioIrq $d MSI-X -Trigger -Start 4 -Count 1 -ErrorAction Stop
            $fired = @($e | Wait-VfioEventFd -Timeout 2 -ErrorAction Stop)
            $fired | Should -HaveCount 1
            $fired[0].Vector | Should -Be 4
        }

        It 'reads an eventfd that is bound to nothing, with Device, Index and Vector empty' {
            $loose = New-VfioEventFd -ErrorAction Stop
            try {
                $loose.Signal(7)
                $fired = @(Wait-VfioEventFd $loose -Timeout 2 -ErrorAction Stop)
                $fired | Should -HaveCount 1
                $fired[0].EventFd | Should -Be $loose.Fd
                $fired[0].Counter | Should -Be 7
                $fired[0].Device | Should -BeNullOrEmpty
                $fired[0].Index | Should -BeNullOrEmpty
                $fired[0].Vector | Should -BeNullOrEmpty
            }
            finally {
                $loose.Dispose()
            }
        }
    }

    Context '-Stream' {
        BeforeAll {
            $d = New-VfioMockDevice -Profile e1000e -ErrorAction Stop
            $e = New-VfioEventFd -Count 5 -ErrorAction Stop
            Set-VfioIrq $d MSI-X -EventFd $e -ErrorAction Stop
        }

        AfterAll {
            $e | Close-VfioTestEventFd
            $d | Close-VfioTestDevice
        }

        It 'with -MaxEvents 3 returns three firings for three vectors triggered before the call, without waiting for the timeout' {
            Set-VfioIrq $d MSI-X -Trigger -Start 0 -Count 1 -ErrorAction Stop
            Set-VfioIrq $d MSI-X -Trigger -Start 2 -Count 1 -ErrorAction Stop
            Set-VfioIrq $d MSI-X -Trigger -Start 4 -Count 1 -ErrorAction Stop
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $fired = @(Wait-VfioEventFd $e -Stream -MaxEvents 3 -Timeout 10 -ErrorAction SilentlyContinue -ErrorVariable err)
            $clock.Stop()
            $err | Should -HaveCount 0
            $fired | Should -HaveCount 3
            foreach ($firing in $fired) { $firing | Should -BeOfType ([VfioPS.VfioEventFdFiring]) }
            ($fired.Vector -join ',') | Should -BeExactly '0,2,4'
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 5
        }

        It 'with -Timeout 0.5 and nothing fired returns nothing and writes no error' {
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $fired = @(Wait-VfioEventFd $e -Stream -Timeout 0.5 -ErrorVariable err)
            $clock.Stop()
            $fired | Should -HaveCount 0
            $err | Should -HaveCount 0
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 5
        }
    }

    Context 'Closed eventfds' {
        BeforeAll {
            $closed = New-VfioEventFd -ErrorAction Stop
            $closedFd = $closed.Fd
            $closed.Dispose()
            $open = New-VfioEventFd -ErrorAction Stop
        }

        AfterAll {
            $closed, $open | Close-VfioTestEventFd
        }

        It 'writes VfioEventFdClosed for a closed eventfd and returns at once, without a timeout error' {
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $out = @(Wait-VfioEventFd $closed -Timeout 10 -ErrorAction SilentlyContinue -ErrorVariable err)
            $clock.Stop()
            $out | Should -HaveCount 0
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioEventFdClosed,VfioPS.Commands.WaitVfioEventFdCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
            $err[0].TargetObject.Fd | Should -Be $closedFd
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 5
        }

        It 'still waits on the open eventfds given with a closed one' {
            $open.Signal()
            $out = @(Wait-VfioEventFd $closed, $open -Timeout 2 -ErrorAction SilentlyContinue -ErrorVariable err)
            $out | Should -HaveCount 1
            $out[0].EventFd | Should -Be $open.Fd
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioEventFdClosed,VfioPS.Commands.WaitVfioEventFdCommand'
        }
    }

    Context 'Parameter validation' {
        BeforeAll {
            $e = New-VfioEventFd -ErrorAction Stop
        }

        AfterAll {
            $e | Close-VfioTestEventFd
        }

        It 'refuses <Case> as a parameter validation error' -ForEach $invalidArguments {
            $thrown = { Wait-VfioEventFd $e @Arguments } | Should -Throw -PassThru
            $thrown.FullyQualifiedErrorId | Should -BeExactly 'ParameterArgumentValidationError,VfioPS.Commands.WaitVfioEventFdCommand'
            $thrown.CategoryInfo.Category | Should -Be 'InvalidData'
        }
    }
}
