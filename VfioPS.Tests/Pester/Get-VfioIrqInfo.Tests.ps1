BeforeAll { . (Join-Path $PSScriptRoot 'common.ps1') }

BeforeDiscovery {
    # vfio-abi.md §7, measured on the real vfio-pci driver: count and flags of each fixed index. Flags 0x7 are
    # EVENTFD|MASKABLE|AUTOMASKED, 0x9 EVENTFD|NORESIZE. edu's ERR answers EINVAL (conventional PCI), which the
    # module reports as Supported $false with count 0 and no flags.
    $measured = @(
        @{ DeviceProfile = 'e1000e'; Index = 0; Name = 'INTx'; Count = 1; Flags = 7; Supported = $true }
        @{ DeviceProfile = 'e1000e'; Index = 1; Name = 'MSI'; Count = 1; Flags = 9; Supported = $true }
        @{ DeviceProfile = 'e1000e'; Index = 2; Name = 'MSI-X'; Count = 5; Flags = 9; Supported = $true }
        @{ DeviceProfile = 'e1000e'; Index = 3; Name = 'ERR'; Count = 1; Flags = 9; Supported = $true }
        @{ DeviceProfile = 'e1000e'; Index = 4; Name = 'REQ'; Count = 1; Flags = 9; Supported = $true }
        @{ DeviceProfile = 'edu'; Index = 0; Name = 'INTx'; Count = 1; Flags = 7; Supported = $true }
        @{ DeviceProfile = 'edu'; Index = 1; Name = 'MSI'; Count = 1; Flags = 9; Supported = $true }
        @{ DeviceProfile = 'edu'; Index = 2; Name = 'MSI-X'; Count = 0; Flags = 9; Supported = $true }
        @{ DeviceProfile = 'edu'; Index = 3; Name = 'ERR'; Count = 0; Flags = 0; Supported = $false }
        @{ DeviceProfile = 'edu'; Index = 4; Name = 'REQ'; Count = 1; Flags = 9; Supported = $true }
    )

    # gvt-vgpu: kvmgt answers INTx and MSI only; index 5 is the device-specific display IRQ (TYPE capability).
    $gvtIndexes = @(
        @{ Index = 0; Name = 'INTx'; Supported = $true; IsDeviceSpecific = $false; Count = 1; Flags = 7 }
        @{ Index = 1; Name = 'MSI'; Supported = $true; IsDeviceSpecific = $false; Count = 1; Flags = 9 }
        @{ Index = 2; Name = 'MSI-X'; Supported = $false; IsDeviceSpecific = $false; Count = 0; Flags = 0 }
        @{ Index = 3; Name = 'ERR'; Supported = $false; IsDeviceSpecific = $false; Count = 0; Flags = 0 }
        @{ Index = 4; Name = 'REQ'; Supported = $false; IsDeviceSpecific = $false; Count = 0; Flags = 0 }
        @{ Index = 5; Name = 'GFX/DISPLAY'; Supported = $true; IsDeviceSpecific = $true; Count = 1; Flags = 17 }
    )

    $msiXSpellings = @(
        @{ Spelling = 'msi-x' }
        @{ Spelling = 'MSI-X' }
        @{ Spelling = 'MSIX' }
        @{ Spelling = 2 }
        @{ Spelling = '0x2' }
    )

    $invalidIndexes = @(
        @{ Spelling = 'bogus' }
        @{ Spelling = 'MSI X' }
        @{ Spelling = -1 }
    )

    $unknownDeviceNames = @(
        @{ DeviceName = 'mock:none/1' }
        @{ DeviceName = '0000:00:10.0' }
    )
}

Describe 'Get-VfioIrqInfo' {
    BeforeAll {
        $devices = @{
            'e1000e'   = New-VfioMockDevice -Profile e1000e -ErrorAction Stop
            'edu'      = New-VfioMockDevice -Profile edu -ErrorAction Stop
            'gvt-vgpu' = New-VfioMockDevice -Profile gvt-vgpu -ErrorAction Stop
        }
        $gvt = $devices['gvt-vgpu']
    }

    AfterAll {
        $devices.Values | Close-VfioTestDevice
    }

    Context 'gvt-vgpu, every index' {
        BeforeAll {
            $all = Get-VfioIrqInfo -Device $gvt -ErrorVariable allErrors
        }

        It 'returns six VfioPS.VfioIrqInfo objects' {
            $all | Should -HaveCount 6
            foreach ($info in $all) { $info | Should -BeOfType ([VfioPS.VfioIrqInfo]) }
        }

        It 'returns them in index order 0..5' {
            ($all.Index -join ',') | Should -BeExactly '0,1,2,3,4,5'
        }

        It 'names them INTx, MSI, MSI-X, ERR, REQ, GFX/DISPLAY' {
            ($all.Name -join ',') | Should -BeExactly 'INTx,MSI,MSI-X,ERR,REQ,GFX/DISPLAY'
        }

        It 'sets Device to the name of the device on every object' {
            foreach ($info in $all) { $info.Device | Should -BeExactly $gvt.Name }
        }

        It 'writes no error, not even for the indexes the device refuses' {
            $allErrors | Should -HaveCount 0
        }

        It 'index <Index> (<Name>): Supported <Supported>, IsDeviceSpecific <IsDeviceSpecific>, count <Count>, flags <Flags>' -ForEach $gvtIndexes {
            $info = $all[$Index]
            $info.Index | Should -Be $Index
            $info.Name | Should -BeExactly $Name
            $info.Supported | Should -Be $Supported
            $info.IsDeviceSpecific | Should -Be $IsDeviceSpecific
            $info.Count | Should -Be $Count
            [int]$info.Flags | Should -Be $Flags
        }

        It 'describes index 5 as the display IRQ: flags EventFd, Caps, count 1, TYPE capability 1/1' {
            $display = $all[5]
            $display.Flags.ToString() | Should -BeExactly 'EventFd, Caps'
            $display.Count | Should -Be 1
            $display.IsDeviceSpecific | Should -Be $true
            $display.Type | Should -Be 1
            $display.Subtype | Should -Be 1
            $display.Capabilities | Should -HaveCount 1
            $display.Capabilities[0].Id | Should -Be 3
        }

        It 'gives the reason for each refused index, and none for the others' {
            foreach ($info in $all) {
                if ($info.Supported) {
                    $info.UnsupportedReason | Should -BeNullOrEmpty
                }
                else {
                    $info.UnsupportedReason | Should -Match 'EINVAL'
                }
            }
        }

        It 'has no type, subtype or capabilities on the fixed indexes' {
            foreach ($info in $all[0..4]) {
                $info.Type | Should -BeNullOrEmpty
                $info.Subtype | Should -BeNullOrEmpty
                $info.Capabilities | Should -HaveCount 0
            }
        }
    }

    Context 'e1000e and edu as measured on vfio-pci' {
        It '<DeviceProfile> index <Index> (<Name>): count <Count>, flags <Flags>, Supported <Supported>' -ForEach $measured {
            $info = Get-VfioIrqInfo -Device $devices[$DeviceProfile] -Index $Index -ErrorAction Stop
            $info | Should -HaveCount 1
            $info.Index | Should -Be $Index
            $info.Name | Should -BeExactly $Name
            $info.Count | Should -Be $Count
            [int]$info.Flags | Should -Be $Flags
            $info.Supported | Should -Be $Supported
            $info.IsDeviceSpecific | Should -Be $false
        }

        It 'reports edu ERR as not supported, with count 0, and writes no error' {
            $info = Get-VfioIrqInfo -Device $devices['edu'] -Index ERR -ErrorVariable err
            $info | Should -HaveCount 1
            $info.Supported | Should -Be $false
            $info.Count | Should -Be 0
            $err | Should -HaveCount 0
        }

        It 'says with -Verbose why edu ERR is not supported (EINVAL)' {
            $records = @(Get-VfioIrqInfo -Device $devices['edu'] -Index ERR -Verbose 4>&1)
            $verbose = @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
            $verbose | Should -HaveCount 1
            $verbose[0].Message | Should -Match 'EINVAL'
            $verbose[0].Message | Should -Match ([regex]::Escape('IRQ index 3 (ERR)'))
            @($records | Where-Object { $_ -is [VfioPS.VfioIrqInfo] }) | Should -HaveCount 1
        }

        It 'returns the indexes of several devices, device by device' {
            $info = Get-VfioIrqInfo -Device $devices['e1000e'], $devices['edu'] -ErrorAction Stop
            $info | Should -HaveCount 10
            ($info.Index -join ',') | Should -BeExactly '0,1,2,3,4,0,1,2,3,4'
            ($info[0..4].Device | Sort-Object -Unique) | Should -BeExactly $devices['e1000e'].Name
            ($info[5..9].Device | Sort-Object -Unique) | Should -BeExactly $devices['edu'].Name
        }
    }

    Context '-Index' {
        It 'accepts <Spelling> for MSI-X' -ForEach $msiXSpellings {
            $info = Get-VfioIrqInfo -Device $devices['e1000e'] -Index $Spelling -ErrorAction Stop
            $info | Should -HaveCount 1
            $info.Index | Should -Be 2
            $info.Name | Should -BeExactly 'MSI-X'
            $info.Count | Should -Be 5
        }

        It "returns one object when 'msi-x', 'MSIX' and 2 all name index 2" {
            $info = Get-VfioIrqInfo -Device $devices['e1000e'] -Index 'msi-x', 'MSIX', 2 -ErrorAction Stop
            $info | Should -HaveCount 1
            $info.Index | Should -Be 2
        }

        It "returns 5, 'INTx' in index order" {
            $info = Get-VfioIrqInfo -Device $gvt -Index 5, 'INTx' -ErrorAction Stop
            $info | Should -HaveCount 2
            ($info.Index -join ',') | Should -BeExactly '0,5'
            ($info.Name -join ',') | Should -BeExactly 'INTx,GFX/DISPLAY'
        }

        It 'binds -Device and -Index by position' {
            $info = Get-VfioIrqInfo $gvt 5 -ErrorAction Stop
            $info | Should -HaveCount 1
            $info.Name | Should -BeExactly 'GFX/DISPLAY'
        }

        It 'reports <Spelling> as VfioIrqIndexInvalid and returns nothing' -ForEach $invalidIndexes {
            $out = Get-VfioIrqInfo -Device $gvt -Index $Spelling -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioIrqIndexInvalid,VfioPS.Commands.GetVfioIrqInfoCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err[0].TargetObject | Should -Be $gvt.Name
        }

        It 'still returns the valid indexes given next to an invalid one' {
            $out = Get-VfioIrqInfo -Device $gvt -Index 'bogus', 1 -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -HaveCount 1
            $out.Index | Should -Be 1
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioIrqIndexInvalid,VfioPS.Commands.GetVfioIrqInfoCommand'
        }

        It 'reports index 6 of gvt-vgpu (NumIrqs 6) as VfioIrqIndexOutOfRange and returns nothing' {
            $out = Get-VfioIrqInfo -Device $gvt -Index 6 -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioIrqIndexOutOfRange,VfioPS.Commands.GetVfioIrqInfoCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err[0].TargetObject | Should -Be $gvt.Name
        }
    }

    Context 'Device binding' {
        It 'takes the device object from the pipeline' {
            $info = $gvt | Get-VfioIrqInfo -ErrorAction Stop
            $info | Should -HaveCount 6
        }

        It 'takes the name of an open device as a string' {
            $info = Get-VfioIrqInfo -Device $gvt.Name -ErrorAction Stop
            $info | Should -HaveCount 6
            $info[5].Device | Should -BeExactly $gvt.Name
        }

        It 'matches the name in any case' {
            $info = Get-VfioIrqInfo -Device $gvt.Name.ToUpperInvariant() -Index 5 -ErrorAction Stop
            $info | Should -HaveCount 1
            $info.Device | Should -BeExactly $gvt.Name
        }

        It 'binds Device by property name' {
            $info = [pscustomobject]@{ Device = $gvt.Name } | Get-VfioIrqInfo -ErrorAction Stop
            $info | Should -HaveCount 6
        }

        It 'binds the Address alias by property name' {
            $info = [pscustomobject]@{ Address = $gvt.Name } | Get-VfioIrqInfo -ErrorAction Stop
            $info | Should -HaveCount 6
        }

        It 'binds Device and Index by property name' {
            $info = [pscustomobject]@{ Device = $gvt.Name; Index = 5 } | Get-VfioIrqInfo -ErrorAction Stop
            $info | Should -HaveCount 1
            $info.Name | Should -BeExactly 'GFX/DISPLAY'
        }

        It 'reads an object again after a JSON round trip' {
            $info = Get-VfioIrqInfo -Device $gvt -Index 5 -ErrorAction Stop
            $again = $info | ConvertTo-Json -Depth 5 | ConvertFrom-Json | Get-VfioIrqInfo -ErrorAction Stop
            $again | Should -HaveCount 1
            $again | Should -BeOfType ([VfioPS.VfioIrqInfo])
            $again.Device | Should -BeExactly $gvt.Name
            $again.Index | Should -Be 5
            $again.Name | Should -BeExactly 'GFX/DISPLAY'
        }
    }

    Context 'Devices that are not open' {
        BeforeAll {
            $closed = New-VfioMockDevice -Profile edu -ErrorAction Stop
            $closedName = $closed.Name
            $closed.Dispose()
        }

        AfterAll {
            $closed | Close-VfioTestDevice
        }

        It 'reports <DeviceName> as VfioDeviceNotFound and returns nothing' -ForEach $unknownDeviceNames {
            $out = Get-VfioIrqInfo -Device $DeviceName -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceNotFound,VfioPS.Commands.GetVfioIrqInfoCommand'
            $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $err[0].TargetObject | Should -Be $DeviceName
        }

        It 'reports a disposed device object as VfioDeviceClosed' {
            $out = Get-VfioIrqInfo -Device $closed -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceClosed,VfioPS.Commands.GetVfioIrqInfoCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
            $err[0].TargetObject | Should -Be $closedName
        }

        It 'reports the name of a disposed device as VfioDeviceNotFound' {
            $out = Get-VfioIrqInfo -Device $closedName -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceNotFound,VfioPS.Commands.GetVfioIrqInfoCommand'
            $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $err[0].TargetObject | Should -Be $closedName
        }

        It 'goes on with the next device after one that is closed' {
            $out = Get-VfioIrqInfo -Device $closed, $gvt -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -HaveCount 6
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceClosed,VfioPS.Commands.GetVfioIrqInfoCommand'
        }
    }

    Context 'A malformed capability chain' {
        BeforeAll {
            $profilePath = Join-Path $TestDrive 'cyclic-chain.json'
            Set-Content -LiteralPath $profilePath -Value $VfioCyclicChainProfileJson
            $cyclic = New-VfioMockDevice -Path $profilePath -ErrorAction Stop
        }

        AfterAll {
            $cyclic | Close-VfioTestDevice
        }

        It 'returns the index with the capability read before the fault, then writes VfioCapabilityChainMalformed' {
            $out = Get-VfioIrqInfo -Device $cyclic -Index 5 -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -HaveCount 1
            $out.Name | Should -BeExactly 'GFX/DISPLAY'
            $out.Capabilities | Should -HaveCount 1
            $out.Capabilities[0].Offset | Should -Be 24
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioCapabilityChainMalformed,VfioPS.Commands.GetVfioIrqInfoCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
            $err[0].TargetObject | Should -Be $cyclic.Name
        }
    }

    Context 'Formatting' {
        BeforeAll {
            $all = Get-VfioIrqInfo -Device $gvt -ErrorAction Stop
        }

        It 'renders the table view with a Supported column and the GFX/DISPLAY row' {
            $text = $all | Format-Table | Out-String -Width 200 | Remove-AnsiEscape
            $text | Should -Match 'Supported'
            $text | Should -Match ([regex]::Escape('GFX/DISPLAY'))
        }

        It 'shows the columns of the VfioPS.VfioIrqInfo view by default, in its order' {
            $text = $all | Out-String -Width 200 | Remove-AnsiEscape
            $text | Should -Match '(?m)^Device\s+Index\s+Name\s+Count\s+Supported\s+Flags\s*$'
            $text | Should -Not -Match 'IsDeviceSpecific'
        }
    }
}
