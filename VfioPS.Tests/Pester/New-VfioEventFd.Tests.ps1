BeforeAll { . (Join-Path $PSScriptRoot 'common.ps1') }

BeforeDiscovery {
    # -Count is ValidateRange(1, 4096): the MSI-X maximum is 2048 vectors.
    $invalidCounts = @(
        @{ Count = 0 }
        @{ Count = -1 }
        @{ Count = 4097 }
    )
}

Describe 'New-VfioEventFd' {
    Context 'Creating eventfds' {
        BeforeAll {
            $three = @(New-VfioEventFd -Count 3 -ErrorVariable createErrors)
            $one = @(New-VfioEventFd -ErrorAction Stop)
        }

        AfterAll {
            $three, $one | Close-VfioTestEventFd
        }

        It 'returns three VfioPS.VfioEventFd objects for -Count 3, without an error' {
            $createErrors | Should -HaveCount 0
            $three | Should -HaveCount 3
            foreach ($eventFd in $three) { $eventFd | Should -BeOfType ([VfioPS.VfioEventFd]) }
        }

        It 'returns one eventfd without -Count' {
            $one | Should -HaveCount 1
            $one[0] | Should -BeOfType ([VfioPS.VfioEventFd])
        }

        It 'returns open eventfds with distinct fd numbers' {
            foreach ($eventFd in $three) {
                $eventFd.IsClosed | Should -Be $false
                $eventFd.Fd | Should -BeGreaterOrEqual 0
            }
            @($three.Fd | Sort-Object -Unique) | Should -HaveCount 3
            $three.Fd | Should -Not -Contain $one[0].Fd
        }

        It 'returns eventfds bound to nothing' {
            foreach ($eventFd in $three) {
                $eventFd.Device | Should -BeNullOrEmpty
                $eventFd.Index | Should -BeNullOrEmpty
                $eventFd.Vector | Should -BeNullOrEmpty
            }
        }

        It 'creates real eventfds: /proc/self/fd links each one to anon_inode:[eventfd]' {
            foreach ($eventFd in $three) {
                [System.IO.FileInfo]::new("/proc/self/fd/$($eventFd.Fd)").LinkTarget | Should -BeExactly 'anon_inode:[eventfd]'
            }
        }

        It 'starts with a counter of 0' {
            $one[0].Read() | Should -Be 0
        }

        It 'reads back what Signal(5) added, and 0 after that read' {
            $three[0].Signal(5)
            $three[0].Read() | Should -Be 5
            $three[0].Read() | Should -Be 0
        }

        It 'adds up signals: Signal() twice reads 2' {
            $three[1].Signal()
            $three[1].Signal()
            $three[1].Read() | Should -Be 2
        }

        It 'keeps the counters of the eventfds apart' {
            $three[2].Signal(3)
            $three[0].Read() | Should -Be 0
            $three[1].Read() | Should -Be 0
            $three[2].Read() | Should -Be 3
        }

        It 'shows as "eventfd" and its fd number' {
            $one[0].ToString() | Should -BeExactly "eventfd $($one[0].Fd)"
        }
    }

    Context 'Parameter validation' {
        It 'refuses -Count <Count> as a parameter validation error' -ForEach $invalidCounts {
            $thrown = { New-VfioEventFd -Count $Count } | Should -Throw -PassThru
            $thrown.FullyQualifiedErrorId | Should -BeExactly 'ParameterArgumentValidationError,VfioPS.Commands.NewVfioEventFdCommand'
            $thrown.CategoryInfo.Category | Should -Be 'InvalidData'
        }
    }

    Context 'No fd outlives its owner' {
        BeforeAll {
            # One full cycle first, so anything the runtime opens once (and keeps) is open before counting.
            $warmDevice = New-VfioMockDevice -Profile e1000e -ErrorAction Stop
            $warmEventFds = New-VfioEventFd -Count 5 -ErrorAction Stop
            Set-VfioIrq $warmDevice MSI-X -EventFd $warmEventFds -ErrorAction Stop
            Set-VfioIrq $warmDevice MSI-X -Trigger -ErrorAction Stop
            $null = Wait-VfioEventFd $warmEventFds -Timeout 2 -ErrorAction Stop
            $warmDevice.Dispose()
            $warmEventFds | Close-VfioEventFd
        }

        BeforeEach {
            $scratch = [System.Collections.Generic.List[object]]::new()
        }

        AfterEach {
            $scratch | Close-VfioTestEventFd
            $scratch | Close-VfioTestDevice
        }

        It 'opens 100 fds for 100 eventfds and closes them all with Close-VfioEventFd' {
            $before = Get-VfioOpenFdCount
            $hundred = New-VfioEventFd -Count 100 -ErrorAction Stop
            $scratch.Add($hundred)
            Get-VfioOpenFdCount | Should -Be ($before + 100)

            $hundred | Close-VfioEventFd -ErrorAction Stop
            Get-VfioOpenFdCount | Should -Be $before
        }

        It 'releases the references a mock device holds to its bound eventfds when the device is disposed' {
            $before = Get-VfioOpenFdCount
            $device = New-VfioMockDevice -Profile e1000e -ErrorAction Stop
            $scratch.Add($device)
            $five = New-VfioEventFd -Count 5 -ErrorAction Stop
            $scratch.Add($five)
            Set-VfioIrq $device MSI-X -EventFd $five -ErrorAction Stop
            # Five eventfds, and the five references (dups) the device holds to them.
            Get-VfioOpenFdCount | Should -Be ($before + 10)

            $five | Close-VfioEventFd -ErrorAction Stop
            Get-VfioOpenFdCount | Should -Be ($before + 5)

            $device.Dispose()
            Get-VfioOpenFdCount | Should -Be $before
        }
    }

    Context 'Removing the module' {
        # Remove-Module releases everything this runspace created through VfioPS, so nothing else may be open here.
        BeforeEach {
            $scratch = [System.Collections.Generic.List[object]]::new()
        }

        AfterEach {
            $scratch | Close-VfioTestEventFd
        }

        It 'closes the eventfds the module created in this runspace, and the module imports again' {
            $before = Get-VfioOpenFdCount
            $ten = New-VfioEventFd -Count 10 -ErrorAction Stop
            $scratch.Add($ten)
            Get-VfioOpenFdCount | Should -Be ($before + 10)

            try {
                Remove-Module -Name VfioPS -ErrorAction Stop
                Get-Module -Name VfioPS | Should -BeNullOrEmpty
                @($ten | Where-Object { $_.IsClosed }) | Should -HaveCount 10
                Get-VfioOpenFdCount | Should -Be $before
            }
            finally {
                Import-Module -Name $VfioModulePath -Force -ErrorAction Stop
            }

            Get-Module -Name VfioPS | Should -HaveCount 1
            $again = New-VfioEventFd -ErrorAction Stop
            $scratch.Add($again)
            $again.IsClosed | Should -Be $false
        }
    }
}
