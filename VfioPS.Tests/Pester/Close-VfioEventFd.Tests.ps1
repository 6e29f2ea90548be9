BeforeAll { . (Join-Path $PSScriptRoot 'common.ps1') }

Describe 'Close-VfioEventFd' {
    Context 'Closing eventfds' {
        BeforeEach {
            $scratch = [System.Collections.Generic.List[object]]::new()
        }

        AfterEach {
            $scratch | Close-VfioTestEventFd
        }

        It 'closes an eventfd: IsClosed becomes $true, and it emits nothing' {
            $eventFd = New-VfioEventFd -ErrorAction Stop
            $scratch.Add($eventFd)
            $out = @(Close-VfioEventFd $eventFd -ErrorVariable err)
            $out | Should -HaveCount 0
            $err | Should -HaveCount 0
            $eventFd.IsClosed | Should -Be $true
        }

        It 'closes every eventfd piped to it' {
            $three = New-VfioEventFd -Count 3 -ErrorAction Stop
            $scratch.Add($three)
            $three | Close-VfioEventFd -ErrorAction Stop
            foreach ($eventFd in $three) { $eventFd.IsClosed | Should -Be $true }
        }

        It 'closes every eventfd given to -EventFd' {
            $two = New-VfioEventFd -Count 2 -ErrorAction Stop
            $scratch.Add($two)
            Close-VfioEventFd -EventFd $two -ErrorAction Stop
            foreach ($eventFd in $two) { $eventFd.IsClosed | Should -Be $true }
        }

        It 'is harmless on an eventfd that is already closed: no error and no exception' {
            $eventFd = New-VfioEventFd -ErrorAction Stop
            $scratch.Add($eventFd)
            Close-VfioEventFd $eventFd -ErrorAction Stop
            Close-VfioEventFd $eventFd -ErrorVariable err
            $err | Should -HaveCount 0
            { Close-VfioEventFd $eventFd -ErrorAction Stop } | Should -Not -Throw
            { $eventFd.Dispose() } | Should -Not -Throw
            $eventFd.IsClosed | Should -Be $true
        }

        It 'releases the fd: one fewer fd is open afterwards' {
            $eventFd = New-VfioEventFd -ErrorAction Stop
            $scratch.Add($eventFd)
            $before = Get-VfioOpenFdCount
            Close-VfioEventFd $eventFd -ErrorAction Stop
            Get-VfioOpenFdCount | Should -Be ($before - 1)
        }

        It 'keeps the fd number for display after closing' {
            $eventFd = New-VfioEventFd -ErrorAction Stop
            $scratch.Add($eventFd)
            $fd = $eventFd.Fd
            Close-VfioEventFd $eventFd -ErrorAction Stop
            $eventFd.Fd | Should -Be $fd
            $eventFd.ToString() | Should -BeExactly "eventfd $fd"
        }

        It 'makes Read() throw VfioEventFdClosed afterwards' {
            $eventFd = New-VfioEventFd -ErrorAction Stop
            $scratch.Add($eventFd)
            Close-VfioEventFd $eventFd -ErrorAction Stop
            $thrown = { $eventFd.Read() } | Should -Throw -PassThru
            $thrown.Exception.InnerException | Should -BeOfType ([VfioPS.VfioException])
            $thrown.Exception.InnerException.ErrorId | Should -BeExactly 'VfioEventFdClosed'
        }

        It 'makes Signal() throw VfioEventFdClosed afterwards' {
            $eventFd = New-VfioEventFd -ErrorAction Stop
            $scratch.Add($eventFd)
            Close-VfioEventFd $eventFd -ErrorAction Stop
            $thrown = { $eventFd.Signal() } | Should -Throw -PassThru
            $thrown.Exception.InnerException | Should -BeOfType ([VfioPS.VfioException])
            $thrown.Exception.InnerException.ErrorId | Should -BeExactly 'VfioEventFdClosed'
        }
    }

    Context 'An eventfd bound to a device' {
        BeforeAll {
            # One full cycle first, so anything the runtime opens once (and keeps) is open before counting fds.
            $warmDevice = New-VfioMockDevice -Profile e1000e -ErrorAction Stop
            $warmEventFd = New-VfioEventFd -ErrorAction Stop
            Set-VfioIrq $warmDevice MSI -EventFd $warmEventFd -ErrorAction Stop
            Close-VfioEventFd $warmEventFd -Verbose 4>&1 | Out-Null
            Set-VfioIrq $warmDevice MSI -Trigger -ErrorAction Stop
            Set-VfioIrq $warmDevice MSI -Disable -ErrorAction Stop
            $warmDevice.Dispose()
        }

        BeforeEach {
            $d = New-VfioMockDevice -Profile e1000e -ErrorAction Stop
            $bound = New-VfioEventFd -ErrorAction Stop
            Set-VfioIrq $d MSI -EventFd $bound -ErrorAction Stop
        }

        AfterEach {
            $bound | Close-VfioTestEventFd
            $d | Close-VfioTestDevice
        }

        It 'says with -Verbose that the device keeps its own reference' {
            $records = @(Close-VfioEventFd $bound -Verbose 4>&1)
            $verbose = @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
            $verbose | Should -HaveCount 1
            $verbose[0].Message | Should -Match ([regex]::Escape("bound to $($d.Name) index 1 vector 0"))
            $verbose[0].Message | Should -Match 'keeps its own reference'
            $bound.IsClosed | Should -Be $true
        }

        It 'leaves the device its reference until the index is disabled' {
            $before = Get-VfioOpenFdCount
            Close-VfioEventFd $bound -ErrorAction Stop
            Get-VfioOpenFdCount | Should -Be ($before - 1)
            Set-VfioIrq $d MSI -Disable -ErrorAction Stop
            Get-VfioOpenFdCount | Should -Be ($before - 2)
        }

        It 'leaves the vector usable: a -Trigger still succeeds' {
            Close-VfioEventFd $bound -ErrorAction Stop
            Set-VfioIrq $d MSI -Trigger -ErrorVariable err
            $err | Should -HaveCount 0
        }
    }
}
