BeforeAll { . (Join-Path $PSScriptRoot 'common.ps1') }

BeforeDiscovery {
    # e1000e MSI-X has vectors 0..4 (vfio-abi.md §7). Each case binds EventFds eventfds from Start; all fall outside.
    $outOfRange = @(
        @{ Case = '-Start 5 with one eventfd'; Start = 5; EventFds = 1 }
        @{ Case = '-Start 4 with two eventfds'; Start = 4; EventFds = 2 }
        @{ Case = 'six eventfds from -Start 0'; Start = 0; EventFds = 6 }
    )

    # edu has no MSI-X capability: count 0, so every SET_IRQS on it fails (vfio-abi.md §2.5 step 2).
    $eduMsiXActions = @(
        @{ Action = 'EventFd' }
        @{ Action = 'Trigger' }
        @{ Action = 'Mask' }
        @{ Action = 'Unmask' }
    )

    # MASK and UNMASK exist for INTx only; on MSI-X vfio-pci answers ENOTTY (vfio-abi.md §2.6).
    $msiXMaskActions = @(
        @{ Action = 'Mask' }
        @{ Action = 'Unmask' }
    )

    # Each message says how to get a device that works: a mock name, a PCI address, anything else.
    $unknownDeviceNames = @(
        @{ DeviceName = 'mock:e1000e/99999'; Hint = 'create one with New-VfioMockDevice -Profile' }
        @{ DeviceName = '0000:00:10.0'; Hint = 'is a PCI address, not an open device' }
        @{ DeviceName = 'no-such-device'; Hint = 'Pass a device object' }
    )
}

Describe 'Set-VfioIrq' {
    Context 'Loopback round trip on e1000e MSI-X' {
        BeforeAll {
            $d = New-VfioMockDevice -Profile e1000e -ErrorAction Stop
            $e = New-VfioEventFd -Count 5 -ErrorAction Stop

            Set-VfioIrq $d -Index MSI-X -EventFd $e -ErrorVariable bindErrors
            $setIrqsAfterBind = $d.IoctlCounts['VFIO_DEVICE_SET_IRQS']
            $vectorsWhileBound = ($e | ForEach-Object { $_.Vector }) -join ','

            Set-VfioIrq $d MSI-X -Trigger -Start 4 -Count 1 -ErrorVariable triggerErrors
            $setIrqsAfterTrigger = $d.IoctlCounts['VFIO_DEVICE_SET_IRQS']

            $fired = @(Wait-VfioEventFd $e -Timeout 2 -ErrorAction SilentlyContinue -ErrorVariable waitErrors)
            $others = @(foreach ($i in 0..3) { $e[$i].Read() })

            $disabled = @(Set-VfioIrq $d MSI-X -Disable -PassThru -ErrorVariable disableErrors)
            $setIrqsAfterDisable = $d.IoctlCounts['VFIO_DEVICE_SET_IRQS']
        }

        AfterAll {
            $e | Close-VfioTestEventFd
            $d | Close-VfioTestDevice
        }

        It 'binds, triggers and disables without an error' {
            $bindErrors | Should -HaveCount 0
            $triggerErrors | Should -HaveCount 0
            $waitErrors | Should -HaveCount 0
            $disableErrors | Should -HaveCount 0
        }

        It 'returns exactly one VfioPS.VfioEventFdFiring from Wait-VfioEventFd' {
            $fired | Should -HaveCount 1
            $fired[0] | Should -BeOfType ([VfioPS.VfioEventFdFiring])
        }

        It 'names the eventfd of vector 4, MSI-X (index 2) of the device, with counter 1' {
            $fired[0].EventFd | Should -Be $e[4].Fd
            $fired[0].Vector | Should -Be 4
            $fired[0].Index | Should -Be 2
            $fired[0].Device | Should -BeExactly $d.Name
            $fired[0].Counter | Should -Be 1
        }

        It 'signals no other eventfd' {
            $others | Should -HaveCount 4
            foreach ($counter in $others) { $counter | Should -Be 0 }
        }

        It 'marks each eventfd with its vector while bound' {
            $vectorsWhileBound | Should -BeExactly '0,1,2,3,4'
        }

        It 'reports the index disabled with -Disable -PassThru, and clears the marks on the eventfds' {
            $disabled | Should -HaveCount 1
            $disabled[0] | Should -BeOfType ([VfioPS.VfioIrqState])
            $disabled[0].Enabled | Should -Be $false
            $disabled[0].Vectors | Should -HaveCount 0
            foreach ($eventFd in $e) { $eventFd.Device | Should -BeNullOrEmpty }
        }

        It 'sends exactly one VFIO_DEVICE_SET_IRQS per Set-VfioIrq call' {
            $setIrqsAfterBind | Should -Be 1
            $setIrqsAfterTrigger | Should -Be 2
            $setIrqsAfterDisable | Should -Be 3
        }
    }

    Context '-WhatIf' {
        BeforeAll {
            $d = New-VfioMockDevice -Profile e1000e -ErrorAction Stop
            $e = New-VfioEventFd -Count 5 -ErrorAction Stop
        }

        AfterAll {
            $e | Close-VfioTestEventFd
            $d | Close-VfioTestDevice
        }

        It 'sends no VFIO_DEVICE_SET_IRQS, emits nothing even with -PassThru, and marks no eventfd' {
            $out = @(Set-VfioIrq $d MSI-X -EventFd $e -WhatIf -PassThru -ErrorVariable err)
            $out | Should -HaveCount 0
            $err | Should -HaveCount 0
            $d.IoctlCounts.ContainsKey('VFIO_DEVICE_SET_IRQS') | Should -Be $false
            foreach ($eventFd in $e) { $eventFd.Device | Should -BeNullOrEmpty }
        }

        It 'leaves the record untouched: -Disable -PassThru reports MSI-X not enabled, and sends nothing' {
            $state = @(Set-VfioIrq $d MSI-X -Disable -PassThru -ErrorAction Stop)
            $state | Should -HaveCount 1
            $state[0].Enabled | Should -Be $false
            $state[0].Vectors | Should -HaveCount 0
            $d.IoctlCounts.ContainsKey('VFIO_DEVICE_SET_IRQS') | Should -Be $false
        }

        It 'makes a following -Trigger fail with VfioSetIrqsInvalid (the device answers EINVAL), and nothing fires' {
            $out = Set-VfioIrq $d MSI-X -Trigger -Start 4 -Count 1 -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioSetIrqsInvalid,VfioPS.Commands.SetVfioIrqCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err[0].TargetObject | Should -Be $d.Name
            $err[0].Exception.Message | Should -Match 'EINVAL'
            # The trigger itself went to the device, which refused it.
            $d.IoctlCounts['VFIO_DEVICE_SET_IRQS'] | Should -Be 1
            foreach ($eventFd in $e) { $eventFd.Read() | Should -Be 0 }
        }
    }

    Context '-PassThru' {
        BeforeAll {
            $d = New-VfioMockDevice -Profile e1000e -ErrorAction Stop
            $e = New-VfioEventFd -Count 5 -ErrorAction Stop
            $state = @(Set-VfioIrq $d MSI-X -EventFd $e -PassThru -ErrorAction Stop)
        }

        AfterAll {
            $e | Close-VfioTestEventFd
            $d | Close-VfioTestDevice
        }

        It 'emits one VfioPS.VfioIrqState for the device and index' {
            $state | Should -HaveCount 1
            $state[0] | Should -BeOfType ([VfioPS.VfioIrqState])
            $state[0].Device | Should -BeExactly $d.Name
            $state[0].Index | Should -Be 2
            $state[0].Name | Should -BeExactly 'MSI-X'
        }

        It 'reports MSI-X enabled and not masked, without a resample eventfd' {
            $state[0].Enabled | Should -Be $true
            $state[0].Masked | Should -Be $false
            $state[0].ResampleEventFd | Should -BeNullOrEmpty
        }

        It 'lists the five Vector/EventFd pairs in vector order' {
            $state[0].Vectors | Should -HaveCount 5
            ($state[0].Vectors.Vector -join ',') | Should -BeExactly '0,1,2,3,4'
            ($state[0].Vectors.EventFd -join ',') | Should -BeExactly ($e.Fd -join ',')
        }

        It 'emits nothing without -PassThru' {
            $out = @(Set-VfioIrq $d MSI-X -Trigger -Start 0 -Count 1 -ErrorAction Stop)
            $out | Should -HaveCount 0
            $e[0].Read() | Should -Be 1
        }

        It 'de-assigns a vector bound to eventfd -1, which then no longer fires' {
            $after = @(Set-VfioIrq $d MSI-X -EventFd (-1) -Start 4 -PassThru -ErrorAction Stop)
            $after | Should -HaveCount 1
            $after[0].Enabled | Should -Be $true
            ($after[0].Vectors.Vector -join ',') | Should -BeExactly '0,1,2,3'
            $e[4].Vector | Should -BeNullOrEmpty

            Set-VfioIrq $d MSI-X -Trigger -Start 4 -Count 1 -ErrorAction Stop
            $e[4].Read() | Should -Be 0
        }
    }

    Context 'Device and index binding' {
        BeforeAll {
            $d = New-VfioMockDevice -Profile e1000e -ErrorAction Stop
            $e = New-VfioEventFd -Count 5 -ErrorAction Stop
        }

        AfterAll {
            $e | Close-VfioTestEventFd
            $d | Close-VfioTestDevice
        }

        It 'takes the name of an open device as a string' {
            $state = @(Set-VfioIrq $d.Name MSI-X -EventFd $e -PassThru -ErrorAction Stop)
            $state | Should -HaveCount 1
            $state[0].Device | Should -BeExactly $d.Name
            $state[0].Enabled | Should -Be $true
        }

        It 'disables MSI-X from Get-VfioIrqInfo output (Device and Index by property name), in one ioctl' {
            $before = $d.IoctlCounts['VFIO_DEVICE_SET_IRQS']
            $state = @(Get-VfioIrqInfo -Device $d -Index MSI-X | Set-VfioIrq -Disable -PassThru -ErrorAction Stop)
            $state | Should -HaveCount 1
            $state[0].Device | Should -BeExactly $d.Name
            $state[0].Index | Should -Be 2
            $state[0].Enabled | Should -Be $false
            $d.IoctlCounts['VFIO_DEVICE_SET_IRQS'] | Should -Be ($before + 1)
        }

        It 'has disabled MSI-X on the device: a -Trigger now gets VfioSetIrqsInvalid' {
            Set-VfioIrq $d MSI-X -Trigger -ErrorAction SilentlyContinue -ErrorVariable err
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioSetIrqsInvalid,VfioPS.Commands.SetVfioIrqCommand'
        }
    }

    Context '-Disable on an index that is not enabled' {
        BeforeAll {
            $d = New-VfioMockDevice -Profile e1000e -ErrorAction Stop
        }

        AfterAll {
            $d | Close-VfioTestDevice
        }

        It 'sends nothing, emits nothing and writes no error' {
            $out = Set-VfioIrq $d MSI-X -Disable -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 0
            $d.IoctlCounts.ContainsKey('VFIO_DEVICE_SET_IRQS') | Should -Be $false
        }

        It 'says with -Verbose that the index is not enabled and nothing was sent' {
            $records = @(Set-VfioIrq $d MSI-X -Disable -Verbose 4>&1)
            $verbose = @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
            $verbose | Should -HaveCount 1
            $verbose[0].Message | Should -Match ([regex]::Escape("$($d.Name) IRQ index 2 (MSI-X)"))
            $verbose[0].Message | Should -Match 'not enabled'
            $verbose[0].Message | Should -Match 'nothing was sent'
            @($records | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }) | Should -HaveCount 0
            $d.IoctlCounts.ContainsKey('VFIO_DEVICE_SET_IRQS') | Should -Be $false
        }

        It 'still emits the state with -PassThru: not enabled, no vectors' {
            $state = @(Set-VfioIrq $d INTx -Disable -PassThru -ErrorAction Stop)
            $state | Should -HaveCount 1
            $state[0].Name | Should -BeExactly 'INTx'
            $state[0].Enabled | Should -Be $false
            $state[0].Vectors | Should -HaveCount 0
            $d.IoctlCounts.ContainsKey('VFIO_DEVICE_SET_IRQS') | Should -Be $false
        }
    }

    Context '-Trigger with -Value' {
        BeforeAll {
            $d = New-VfioMockDevice -Profile e1000e -ErrorAction Stop
            $e = New-VfioEventFd -Count 5 -ErrorAction Stop
            Set-VfioIrq $d MSI-X -EventFd $e -ErrorAction Stop
        }

        AfterAll {
            $e | Close-VfioTestEventFd
            $d | Close-VfioTestDevice
        }

        It 'signals exactly vectors 1 and 4 for $false, $true, $false, $false, $true, in one ioctl' {
            $before = $d.IoctlCounts['VFIO_DEVICE_SET_IRQS']
            Set-VfioIrq $d MSI-X -Trigger -Value $false, $true, $false, $false, $true -ErrorAction Stop
            $d.IoctlCounts['VFIO_DEVICE_SET_IRQS'] | Should -Be ($before + 1)
            (@(foreach ($eventFd in $e) { $eventFd.Read() }) -join ',') | Should -BeExactly '0,1,0,0,1'
        }

        It 'applies the values from -Start: -Start 3 with $true, $true signals vectors 3 and 4' {
            Set-VfioIrq $d MSI-X -Trigger -Start 3 -Value $true, $true -ErrorAction Stop
            (@(foreach ($eventFd in $e) { $eventFd.Read() }) -join ',') | Should -BeExactly '0,0,0,1,1'
        }

        It 'signals nothing when every value is $false' {
            Set-VfioIrq $d MSI-X -Trigger -Value $false, $false, $false, $false, $false -ErrorAction Stop
            (@(foreach ($eventFd in $e) { $eventFd.Read() }) -join ',') | Should -BeExactly '0,0,0,0,0'
        }
    }

    Context 'INTx loopback' {
        BeforeEach {
            $d = New-VfioMockDevice -Profile e1000e -ErrorAction Stop
            $t = New-VfioEventFd -ErrorAction Stop
            Set-VfioIrq $d INTx -EventFd $t -ErrorAction Stop
        }

        AfterEach {
            $t | Close-VfioTestEventFd
            $d | Close-VfioTestDevice
        }

        It 'signals the eventfd twice for two -Trigger calls: one firing with counter 2' {
            Set-VfioIrq $d INTx -Trigger -ErrorAction Stop
            Set-VfioIrq $d INTx -Trigger -ErrorAction Stop
            $fired = @(Wait-VfioEventFd $t -Timeout 2 -ErrorAction SilentlyContinue -ErrorVariable err)
            $err | Should -HaveCount 0
            $fired | Should -HaveCount 1
            $fired[0].Counter | Should -Be 2
            $fired[0].Index | Should -Be 0
            $fired[0].Vector | Should -Be 0
        }

        It 'signals while masked too: -Mask, then two -Trigger calls give counter 2' {
            $masked = @(Set-VfioIrq $d INTx -Mask -PassThru -ErrorAction Stop)
            $masked[0].Masked | Should -Be $true
            Set-VfioIrq $d INTx -Trigger -ErrorAction Stop
            Set-VfioIrq $d INTx -Trigger -ErrorAction Stop
            $fired = @(Wait-VfioEventFd $t -Timeout 2 -ErrorAction SilentlyContinue -ErrorVariable err)
            $err | Should -HaveCount 0
            $fired | Should -HaveCount 1
            $fired[0].Counter | Should -Be 2
        }

        It 'records -Mask and -Unmask in the state' {
            (Set-VfioIrq $d INTx -Mask -PassThru -ErrorAction Stop).Masked | Should -Be $true
            (Set-VfioIrq $d INTx -Unmask -PassThru -ErrorAction Stop).Masked | Should -Be $false
        }

        It 'signals for -Value $true and not for -Value $false' {
            Set-VfioIrq $d INTx -Trigger -Value $false -ErrorAction Stop
            $t.Read() | Should -Be 0
            Set-VfioIrq $d INTx -Trigger -Value $true -ErrorAction Stop
            $t.Read() | Should -Be 1
        }
    }

    Context '2048 MSI-X vectors' {
        BeforeAll {
            $profileJson = @'
{
  "name": "td-msix2048",
  "description": "Written by the VfioPS Pester suite: MSI-X with the PCI maximum of 2048 vectors.",
  "device": { "flags": ["Pci"], "numRegions": 9, "numIrqs": 5 },
  "irqs": [
    { "index": 0, "flags": ["EventFd", "Maskable", "AutoMasked"], "count": 1 },
    { "index": 2, "flags": ["EventFd", "NoResize"], "count": 2048 }
  ]
}
'@
            $profilePath = Join-Path $TestDrive 'td-msix2048.json'
            Set-Content -LiteralPath $profilePath -Value $profileJson
            $big = New-VfioMockDevice -Path $profilePath -ErrorAction Stop
            $many = New-VfioEventFd -Count 2048 -ErrorAction Stop

            $setIrqsBefore = [long]$big.IoctlCounts['VFIO_DEVICE_SET_IRQS']
            $state = @(Set-VfioIrq $big MSI-X -EventFd $many -PassThru -ErrorVariable bindErrors)
            $setIrqsAfter = [long]$big.IoctlCounts['VFIO_DEVICE_SET_IRQS']
        }

        AfterAll {
            $many | Close-VfioTestEventFd
            $big | Close-VfioTestDevice
        }

        It 'binds all 2048 eventfds with exactly one VFIO_DEVICE_SET_IRQS' {
            $bindErrors | Should -HaveCount 0
            $many | Should -HaveCount 2048
            ($setIrqsAfter - $setIrqsBefore) | Should -Be 1
        }

        It 'records 2048 Vector/EventFd pairs, the last one vector 2047' {
            $state | Should -HaveCount 1
            $state[0].Enabled | Should -Be $true
            $state[0].Vectors | Should -HaveCount 2048
            $state[0].Vectors[2047].Vector | Should -Be 2047
            $state[0].Vectors[2047].EventFd | Should -Be $many[2047].Fd
        }

        It 'signals only the eventfd of vector 2047 when that vector is triggered' {
            Set-VfioIrq $big MSI-X -Trigger -Start 2047 -Count 1 -ErrorAction Stop
            $fired = @(Wait-VfioEventFd $many -Timeout 2 -ErrorAction SilentlyContinue -ErrorVariable err)
            $err | Should -HaveCount 0
            $fired | Should -HaveCount 1
            $fired[0].Vector | Should -Be 2047
            $fired[0].EventFd | Should -Be $many[2047].Fd
            $fired[0].Counter | Should -Be 1

            $rest = 0
            foreach ($eventFd in $many) { $rest += $eventFd.Read() }
            $rest | Should -Be 0
        }
    }

    Context 'Fewer MSI-X vectors than asked for' {
        BeforeAll {
            # The platform can allocate only 4 of the 8 vectors: vfio_msi_enable answers the positive count.
            $profileJson = @'
{
  "name": "td-fewvectors",
  "description": "Written by the VfioPS Pester suite: MSI-X count 8, of which the platform can allocate 4.",
  "device": { "flags": ["Pci"], "numRegions": 9, "numIrqs": 5 },
  "irqs": [
    { "index": 0, "flags": ["EventFd", "Maskable", "AutoMasked"], "count": 1 },
    { "index": 2, "flags": ["EventFd", "NoResize"], "count": 8, "platformVectors": 4 }
  ]
}
'@
            $profilePath = Join-Path $TestDrive 'td-fewvectors.json'
            Set-Content -LiteralPath $profilePath -Value $profileJson
            $few = New-VfioMockDevice -Path $profilePath -ErrorAction Stop
            $six = New-VfioEventFd -Count 6 -ErrorAction Stop
            $intx = New-VfioEventFd -ErrorAction Stop
        }

        AfterAll {
            $six, $intx | Close-VfioTestEventFd
            $few | Close-VfioTestDevice
        }

        It 'writes VfioIrqVectorsUnavailable (ResourceUnavailable) for six eventfds, naming the 4 available' {
            $out = Set-VfioIrq $few MSI-X -EventFd $six -PassThru -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioIrqVectorsUnavailable,VfioPS.Commands.SetVfioIrqCommand'
            $err[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            $err[0].TargetObject | Should -Be $few.Name
            $err[0].Exception.Message | Should -Match 'only 4 vectors'
            $few.IoctlCounts['VFIO_DEVICE_SET_IRQS'] | Should -Be 1
        }

        It 'leaves MSI-X not enabled in the record and marks no eventfd' {
            $state = @(Set-VfioIrq $few MSI-X -Disable -PassThru -ErrorAction Stop)
            $state[0].Enabled | Should -Be $false
            $state[0].Vectors | Should -HaveCount 0
            foreach ($eventFd in $six) { $eventFd.Device | Should -BeNullOrEmpty }
        }

        It 'leaves MSI-X not enabled on the device: INTx can be enabled, then disabled' {
            $state = @(Set-VfioIrq $few INTx -EventFd $intx -PassThru -ErrorVariable err)
            $err | Should -HaveCount 0
            $state[0].Enabled | Should -Be $true
            Set-VfioIrq $few INTx -Disable -ErrorVariable disableErr
            $disableErr | Should -HaveCount 0
        }

        It 'binds as many vectors as the platform has: four' {
            $state = @(Set-VfioIrq $few MSI-X -EventFd $six[0..3] -PassThru -ErrorVariable err)
            $err | Should -HaveCount 0
            $state[0].Enabled | Should -Be $true
            $state[0].Vectors | Should -HaveCount 4
        }
    }

    Context 'Refused before any ioctl' {
        BeforeAll {
            $edu = New-VfioMockDevice -Profile edu -ErrorAction Stop
            $eduEventFd = New-VfioEventFd -ErrorAction Stop
        }

        AfterAll {
            $eduEventFd | Close-VfioTestEventFd
            $edu | Close-VfioTestDevice
        }

        BeforeEach {
            $d = New-VfioMockDevice -Profile e1000e -ErrorAction Stop
            $e = New-VfioEventFd -Count 2 -ErrorAction Stop
            $scratch = [System.Collections.Generic.List[object]]::new()
        }

        AfterEach {
            $e, $scratch | Close-VfioTestEventFd
            $d | Close-VfioTestDevice
        }

        It 'reports <Case> on e1000e MSI-X as VfioIrqRangeInvalid' -ForEach $outOfRange {
            $fds = New-VfioEventFd -Count $EventFds -ErrorAction Stop
            $scratch.Add($fds)
            $out = Set-VfioIrq $d MSI-X -EventFd $fds -Start $Start -PassThru -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioIrqRangeInvalid,VfioPS.Commands.SetVfioIrqCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err[0].TargetObject | Should -Be $d.Name
            $err[0].Exception.Message | Should -Match ([regex]::Escape('vectors 0..4'))
            $d.IoctlCounts.ContainsKey('VFIO_DEVICE_SET_IRQS') | Should -Be $false
        }

        It 'reports -Trigger -Start 5 on e1000e MSI-X as VfioIrqRangeInvalid' {
            Set-VfioIrq $d MSI-X -Trigger -Start 5 -ErrorAction SilentlyContinue -ErrorVariable err
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioIrqRangeInvalid,VfioPS.Commands.SetVfioIrqCommand'
            $d.IoctlCounts.ContainsKey('VFIO_DEVICE_SET_IRQS') | Should -Be $false
        }

        It 'reports -<Action> on edu MSI-X (count 0) as VfioIrqRangeInvalid' -ForEach $eduMsiXActions {
            $arguments = if ($Action -eq 'EventFd') { @{ EventFd = $eduEventFd } } else { @{ $Action = $true } }
            $out = Set-VfioIrq $edu MSI-X @arguments -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioIrqRangeInvalid,VfioPS.Commands.SetVfioIrqCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err[0].TargetObject | Should -Be $edu.Name
            $err[0].Exception.Message | Should -Match 'count 0'
            $edu.IoctlCounts.ContainsKey('VFIO_DEVICE_SET_IRQS') | Should -Be $false
        }

        It 'sends nothing and writes no error for -Disable on edu MSI-X, which is not enabled' {
            Set-VfioIrq $edu MSI-X -Disable -ErrorVariable err
            $err | Should -HaveCount 0
            $edu.IoctlCounts.ContainsKey('VFIO_DEVICE_SET_IRQS') | Should -Be $false
        }

        It 'reports edu ERR (refused by the device) as VfioIrqIndexUnsupported' {
            Set-VfioIrq $edu ERR -EventFd $eduEventFd -ErrorAction SilentlyContinue -ErrorVariable err
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioIrqIndexUnsupported,VfioPS.Commands.SetVfioIrqCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err[0].TargetObject | Should -Be $edu.Name
            $err[0].Exception.Message | Should -Match 'EINVAL'
            $edu.IoctlCounts.ContainsKey('VFIO_DEVICE_SET_IRQS') | Should -Be $false
        }

        It 'reports index 9 of e1000e (num_irqs 5) as VfioIrqIndexOutOfRange' {
            Set-VfioIrq $d 9 -Trigger -ErrorAction SilentlyContinue -ErrorVariable err
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioIrqIndexOutOfRange,VfioPS.Commands.SetVfioIrqCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err[0].TargetObject | Should -Be $d.Name
            $d.IoctlCounts.ContainsKey('VFIO_DEVICE_SET_IRQS') | Should -Be $false
        }

        It 'reports index 9 as VfioIrqIndexOutOfRange for -Disable too' {
            Set-VfioIrq $d 9 -Disable -ErrorAction SilentlyContinue -ErrorVariable err
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioIrqIndexOutOfRange,VfioPS.Commands.SetVfioIrqCommand'
        }

        It "reports the index 'bogus' as VfioIrqIndexInvalid" {
            Set-VfioIrq $d 'bogus' -Disable -ErrorAction SilentlyContinue -ErrorVariable err
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioIrqIndexInvalid,VfioPS.Commands.SetVfioIrqCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err[0].TargetObject | Should -Be $d.Name
        }

        It 'reports -Count 3 with two eventfds as VfioIrqPayloadMismatch' {
            $out = Set-VfioIrq $d MSI-X -EventFd $e -Count 3 -PassThru -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioIrqPayloadMismatch,VfioPS.Commands.SetVfioIrqCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err[0].TargetObject | Should -Be $d.Name
            $d.IoctlCounts.ContainsKey('VFIO_DEVICE_SET_IRQS') | Should -Be $false
        }

        It 'reports -Count 3 with two -Value entries as VfioIrqPayloadMismatch' {
            Set-VfioIrq $d MSI-X -Trigger -Value $true, $false -Count 3 -ErrorAction SilentlyContinue -ErrorVariable err
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioIrqPayloadMismatch,VfioPS.Commands.SetVfioIrqCommand'
            $d.IoctlCounts.ContainsKey('VFIO_DEVICE_SET_IRQS') | Should -Be $false
        }

        It 'reports a closed eventfd object as VfioEventFdClosed: its number may belong to another file by now' {
            $gone = New-VfioEventFd -ErrorAction Stop
            $scratch.Add($gone)
            $gone.Dispose()
            $out = Set-VfioIrq $d MSI -EventFd $gone -PassThru -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioEventFdClosed,VfioPS.Commands.SetVfioIrqCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
            $err[0].TargetObject | Should -Be $d.Name
            $d.IoctlCounts.ContainsKey('VFIO_DEVICE_SET_IRQS') | Should -Be $false
        }

        It 'reports -Unmask with both -EventFd and -Value as VfioIrqPayloadMismatch' {
            Set-VfioIrq $d INTx -Unmask -EventFd $e[0] -Value $true -ErrorAction SilentlyContinue -ErrorVariable err
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioIrqPayloadMismatch,VfioPS.Commands.SetVfioIrqCommand'
            $err[0].TargetObject | Should -Be $d.Name
            $d.IoctlCounts.ContainsKey('VFIO_DEVICE_SET_IRQS') | Should -Be $false
        }
    }

    Context 'Refused by the device' {
        BeforeEach {
            $d = New-VfioMockDevice -Profile e1000e -ErrorAction Stop
            $e = New-VfioEventFd -Count 2 -ErrorAction Stop
            $spare = New-VfioEventFd -ErrorAction Stop
        }

        AfterEach {
            $e, $spare | Close-VfioTestEventFd
            $d | Close-VfioTestDevice
        }

        It 'reports -<Action> on enabled MSI-X as VfioIrqActionNotSupported (NotImplemented, the device answers ENOTTY)' -ForEach $msiXMaskActions {
            Set-VfioIrq $d MSI-X -EventFd $e -ErrorAction Stop
            $arguments = @{ $Action = $true }
            $out = Set-VfioIrq $d MSI-X @arguments -PassThru -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioIrqActionNotSupported,VfioPS.Commands.SetVfioIrqCommand'
            $err[0].CategoryInfo.Category | Should -Be 'NotImplemented'
            $err[0].TargetObject | Should -Be $d.Name
            $err[0].Exception.Message | Should -Match 'ENOTTY'
            # Not caught beforehand: the call reached the device (bind + this one).
            $d.IoctlCounts['VFIO_DEVICE_SET_IRQS'] | Should -Be 2
        }

        It 'leaves MSI-X enabled after a refused -Mask: vector 0 still loops back' {
            Set-VfioIrq $d MSI-X -EventFd $e -ErrorAction Stop
            Set-VfioIrq $d MSI-X -Mask -ErrorAction SilentlyContinue
            Set-VfioIrq $d MSI-X -Trigger -Start 0 -Count 1 -ErrorVariable err
            $err | Should -HaveCount 0
            $e[0].Read() | Should -Be 1
        }

        It 'reports -EventFd 12345 (not an open fd) on MSI as VfioEventFdInvalid, and MSI stays disabled' {
            $out = Set-VfioIrq $d MSI -EventFd 12345 -PassThru -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioEventFdInvalid,VfioPS.Commands.SetVfioIrqCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err[0].TargetObject | Should -Be $d.Name
            $err[0].Exception.Message | Should -Match '12345'
            $err[0].Exception.Message | Should -Match 'EBADF'
            # Had MSI stayed enabled, the device would refuse MSI-X with EINVAL.
            Set-VfioIrq $d MSI-X -EventFd $e -ErrorVariable bindErr
            $bindErr | Should -HaveCount 0
        }

        It 'reports binding MSI while MSI-X is enabled as VfioSetIrqsInvalid (EINVAL), and marks nothing' {
            Set-VfioIrq $d MSI-X -EventFd $e -ErrorAction Stop
            $out = Set-VfioIrq $d MSI -EventFd $spare -PassThru -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioSetIrqsInvalid,VfioPS.Commands.SetVfioIrqCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err[0].TargetObject | Should -Be $d.Name
            $err[0].Exception.Message | Should -Match 'EINVAL'
            $spare.Device | Should -BeNullOrEmpty
            $d.IoctlCounts['VFIO_DEVICE_SET_IRQS'] | Should -Be 2
        }

        It 'reports binding INTx while MSI-X is enabled as VfioSetIrqsInvalid' {
            Set-VfioIrq $d MSI-X -EventFd $e -ErrorAction Stop
            Set-VfioIrq $d INTx -EventFd $spare -ErrorAction SilentlyContinue -ErrorVariable err
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioSetIrqsInvalid,VfioPS.Commands.SetVfioIrqCommand'
        }

        It 'reports -Mask on INTx that is not enabled as VfioSetIrqsInvalid' {
            Set-VfioIrq $d INTx -Mask -ErrorAction SilentlyContinue -ErrorVariable err
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioSetIrqsInvalid,VfioPS.Commands.SetVfioIrqCommand'
            $err[0].TargetObject | Should -Be $d.Name
        }
    }

    Context 'Devices that are not open' {
        BeforeAll {
            $closed = New-VfioMockDevice -Profile e1000e -ErrorAction Stop
            $closedName = $closed.Name
            $closed.Dispose()
            $live = New-VfioMockDevice -Profile e1000e -ErrorAction Stop
        }

        AfterAll {
            $closed, $live | Close-VfioTestDevice
        }

        It 'reports <DeviceName> as VfioDeviceNotFound, saying how to get a device' -ForEach $unknownDeviceNames {
            $out = Set-VfioIrq $DeviceName MSI-X -Disable -PassThru -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceNotFound,VfioPS.Commands.SetVfioIrqCommand'
            $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $err[0].TargetObject | Should -Be $DeviceName
            $err[0].Exception.Message | Should -Match ([regex]::Escape($Hint))
        }

        It 'reports a disposed device object as VfioDeviceClosed' {
            $out = Set-VfioIrq $closed MSI-X -Trigger -PassThru -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceClosed,VfioPS.Commands.SetVfioIrqCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
            $err[0].TargetObject | Should -Be $closedName
        }

        It 'reports the name of a disposed device as VfioDeviceNotFound' {
            Set-VfioIrq $closedName MSI-X -Disable -ErrorAction SilentlyContinue -ErrorVariable err
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceNotFound,VfioPS.Commands.SetVfioIrqCommand'
            $err[0].TargetObject | Should -Be $closedName
        }

        It 'goes on with the next device after one that is closed' {
            $out = @(Set-VfioIrq $closed, $live INTx -Disable -PassThru -ErrorAction SilentlyContinue -ErrorVariable err)
            $out | Should -HaveCount 1
            $out[0].Device | Should -BeExactly $live.Name
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceClosed,VfioPS.Commands.SetVfioIrqCommand'
        }
    }
}
