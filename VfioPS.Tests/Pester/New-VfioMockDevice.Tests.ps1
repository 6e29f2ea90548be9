BeforeAll { . (Join-Path $PSScriptRoot 'common.ps1') }

BeforeDiscovery {
    # What VFIO_DEVICE_GET_INFO answers for each built-in profile: e1000e and edu as measured on vfio-pci
    # (vfio-abi.md §7: flags 0x3 RESET|PCI and 0x2 PCI, 9 regions, 5 IRQ indexes), gvt-vgpu as its profile says.
    $builtInProfiles = @(
        @{ DeviceProfile = 'e1000e'; Flags = 3; FlagNames = 'Reset, Pci'; NumRegions = 9; NumIrqs = 5 }
        @{ DeviceProfile = 'edu'; Flags = 2; FlagNames = 'Pci'; NumRegions = 9; NumIrqs = 5 }
        @{ DeviceProfile = 'gvt-vgpu'; Flags = 2; FlagNames = 'Pci'; NumRegions = 11; NumIrqs = 6 }
    )

    # Profile files with one mistake each, and the JSON path the error must name.
    $invalidProfiles = @(
        @{
            Case     = 'an unknown property'
            JsonPath = '$.device.numIrq'
            Json     = '{ "name": "bad", "device": { "flags": ["Pci"], "numRegions": 9, "numIrq": 5 }, "irqs": [] }'
        }
        @{
            Case     = 'a missing required property'
            JsonPath = '$.device'
            Json     = '{ "name": "bad", "irqs": [] }'
        }
        @{
            Case     = 'an index not below numIrqs'
            JsonPath = '$.irqs[0].index'
            Json     = '{ "name": "bad", "device": { "flags": ["Pci"], "numRegions": 9, "numIrqs": 1 }, "irqs": [ { "index": 1, "flags": ["EventFd"], "count": 1 } ] }'
        }
        @{
            Case     = 'a repeated index'
            JsonPath = '$.irqs[1].index'
            Json     = '{ "name": "bad", "device": { "flags": ["Pci"], "numRegions": 9, "numIrqs": 2 }, "irqs": [ { "index": 0, "flags": ["EventFd"], "count": 1 }, { "index": 0, "flags": ["EventFd"], "count": 1 } ] }'
        }
        @{
            Case     = 'the Caps flag without a chain'
            JsonPath = '$.irqs[0].flags'
            Json     = '{ "name": "bad", "device": { "flags": ["Pci"], "numRegions": 9, "numIrqs": 1 }, "irqs": [ { "index": 0, "flags": ["EventFd", "Caps"], "count": 1 } ] }'
        }
        @{
            Case     = 'a name that cannot be part of a device name'
            JsonPath = '$.name'
            Json     = '{ "name": "NIC", "device": { "flags": ["Pci"], "numRegions": 9, "numIrqs": 1 }, "irqs": [] }'
        }
        @{
            Case     = 'text that is not JSON'
            JsonPath = '$'
            Json     = '{ "name": '
        }
    )
}

Describe 'New-VfioMockDevice' {
    Context 'Built-in profile <DeviceProfile>' -ForEach $builtInProfiles {
        BeforeAll {
            $device = New-VfioMockDevice -Profile $DeviceProfile -ErrorAction Stop
        }

        AfterAll {
            $device | Close-VfioTestDevice
        }

        It 'returns one open VfioPS.VfioDevice' {
            $device | Should -HaveCount 1
            $device | Should -BeOfType ([VfioPS.VfioDevice])
            $device.IsOpen | Should -Be $true
        }

        It 'names it mock:<DeviceProfile>/N' {
            $device.Name | Should -MatchExactly ('^mock:' + [regex]::Escape($DeviceProfile) + '/[1-9][0-9]*$')
        }

        It 'answers through the Mock channel from the <DeviceProfile> profile' {
            $device.Channel | Should -BeExactly 'Mock'
            $device.Profile | Should -BeExactly $DeviceProfile
        }

        It 'reports device flags <FlagNames> (<Flags>), <NumRegions> regions and <NumIrqs> IRQ indexes' {
            [int]$device.Flags | Should -Be $Flags
            $device.Flags.ToString() | Should -BeExactly $FlagNames
            $device.NumRegions | Should -Be $NumRegions
            $device.NumIrqs | Should -Be $NumIrqs
        }
    }

    Context 'Names and lifetime' {
        BeforeAll {
            $first = New-VfioMockDevice -Profile gvt-vgpu -ErrorAction Stop
            $second = New-VfioMockDevice -Profile gvt-vgpu -ErrorAction Stop
            $upperCase = New-VfioMockDevice -Profile EDU -ErrorAction Stop
        }

        AfterAll {
            $first, $second, $upperCase | Close-VfioTestDevice
        }

        # Devices a test opens itself go into $scratch; BeforeEach, It and AfterEach share one scope.
        BeforeEach {
            $scratch = [System.Collections.Generic.List[object]]::new()
        }

        AfterEach {
            $scratch | Close-VfioTestDevice
        }

        It 'gives each device its own name' {
            $first.Name | Should -Not -Be $second.Name
            $first.Name | Should -MatchExactly '^mock:gvt-vgpu/[1-9][0-9]*$'
            $second.Name | Should -MatchExactly '^mock:gvt-vgpu/[1-9][0-9]*$'
        }

        It 'makes each name resolve to its own device' {
            (Get-VfioIrqInfo -Device $first.Name -Index 0 -ErrorAction Stop).Device | Should -BeExactly $first.Name
            (Get-VfioIrqInfo -Device $second.Name -Index 0 -ErrorAction Stop).Device | Should -BeExactly $second.Name
        }

        It 'accepts a built-in profile name in any case' {
            $upperCase.Profile | Should -BeExactly 'edu'
            $upperCase.Name | Should -MatchExactly '^mock:edu/[1-9][0-9]*$'
        }

        It 'closes the device on Dispose(), and a second Dispose() is harmless' {
            $closing = New-VfioMockDevice -Profile e1000e -ErrorAction Stop
            $scratch.Add($closing)
            $closing.IsOpen | Should -Be $true
            $closing.Dispose()
            $closing.IsOpen | Should -Be $false
            { $closing.Dispose() } | Should -Not -Throw
        }

        It 'never gives a new device the name of a disposed one' {
            $old = New-VfioMockDevice -Profile e1000e -ErrorAction Stop
            $scratch.Add($old)
            $oldName = $old.Name
            $old.Dispose()
            $reopened = New-VfioMockDevice -Profile e1000e -ErrorAction Stop
            $scratch.Add($reopened)
            $reopened.Name | Should -Not -Be $oldName
        }

        It 'says with -Verbose which profile it opened and how many IRQ indexes the device has' {
            $records = @(New-VfioMockDevice -Profile edu -Verbose 4>&1)
            $scratch.Add($records)

            $verbose = @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
            $verbose | Should -HaveCount 1
            $verbose[0].Message | Should -Match 'edu profile'
            $verbose[0].Message | Should -Match '5 IRQ indexes'
            @($records | Where-Object { $_ -is [VfioPS.VfioDevice] }) | Should -HaveCount 1
        }
    }

    Context 'An unknown built-in profile' {
        BeforeEach {
            $scratch = [System.Collections.Generic.List[object]]::new()
        }

        AfterEach {
            $scratch | Close-VfioTestDevice
        }

        It 'writes MockProfileNotFound naming the built-in profiles, and returns nothing' {
            $out = New-VfioMockDevice -Profile 'no-such-profile' -ErrorAction SilentlyContinue -ErrorVariable err
            $scratch.Add($out)

            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'MockProfileNotFound,VfioPS.Commands.NewVfioMockDeviceCommand'
            $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $err[0].TargetObject | Should -Be 'no-such-profile'
            $err[0].Exception.Message | Should -Match 'e1000e'
            $err[0].Exception.Message | Should -Match 'gvt-vgpu'
        }
    }

    Context '-Path with a valid profile file' {
        BeforeAll {
            # Index 2 has no entry: the mock refuses it with EINVAL, as mtty does for the indexes it lacks.
            $profileJson = @'
{
  "$schema": "./vfio-mock-profile.schema.json",
  "name": "td-nic",
  "description": "Written by the VfioPS Pester suite.",
  "device": { "flags": ["Pci", "Reset"], "numRegions": 6, "numIrqs": 3 },
  "irqs": [
    { "index": 0, "flags": ["EventFd", "Maskable", "AutoMasked"], "count": 1 },
    { "index": 1, "flags": 9, "count": 4, "comment": "flags as a number, the way the kernel answers them" }
  ]
}
'@
            $profilePath = Join-Path $TestDrive 'td-nic.json'
            Set-Content -LiteralPath $profilePath -Value $profileJson
            $device = New-VfioMockDevice -Path $profilePath -ErrorAction Stop
        }

        AfterAll {
            $device | Close-VfioTestDevice
        }

        BeforeEach {
            $scratch = [System.Collections.Generic.List[object]]::new()
        }

        AfterEach {
            $scratch | Close-VfioTestDevice
        }

        It 'opens a device named after the profile in the file' {
            $device | Should -HaveCount 1
            $device | Should -BeOfType ([VfioPS.VfioDevice])
            $device.Name | Should -MatchExactly '^mock:td-nic/[1-9][0-9]*$'
            $device.Profile | Should -BeExactly 'td-nic'
            $device.Channel | Should -BeExactly 'Mock'
        }

        It 'reports the device information the file gives' {
            [int]$device.Flags | Should -Be 3
            $device.NumRegions | Should -Be 6
            $device.NumIrqs | Should -Be 3
        }

        It 'answers each IRQ index as the file describes it, and refuses the index without an entry' {
            $info = Get-VfioIrqInfo -Device $device -ErrorAction Stop
            $info | Should -HaveCount 3
            [int]$info[0].Flags | Should -Be 7
            $info[0].Count | Should -Be 1
            [int]$info[1].Flags | Should -Be 9
            $info[1].Count | Should -Be 4
            $info[2].Supported | Should -Be $false
            $info[2].Count | Should -Be 0
        }

        It 'resolves a PowerShell path such as TestDrive:/td-nic.json' {
            $fromPsPath = New-VfioMockDevice -Path 'TestDrive:/td-nic.json' -ErrorAction Stop
            $scratch.Add($fromPsPath)
            $fromPsPath.Profile | Should -BeExactly 'td-nic'
        }

        It 'binds -Path from the FullName of a file piped to it' {
            $fromFile = Get-Item -LiteralPath $profilePath | New-VfioMockDevice -ErrorAction Stop
            $scratch.Add($fromFile)
            $fromFile | Should -HaveCount 1
            $fromFile.Profile | Should -BeExactly 'td-nic'
        }
    }

    Context '-Path with a file that does not exist' {
        BeforeEach {
            $scratch = [System.Collections.Generic.List[object]]::new()
        }

        AfterEach {
            $scratch | Close-VfioTestDevice
        }

        It 'writes MockProfileNotFound with the path as target, and returns nothing' {
            $missing = Join-Path $TestDrive 'missing.json'
            $out = New-VfioMockDevice -Path $missing -ErrorAction SilentlyContinue -ErrorVariable err
            $scratch.Add($out)

            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'MockProfileNotFound,VfioPS.Commands.NewVfioMockDeviceCommand'
            $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $err[0].TargetObject | Should -Be $missing
            $err[0].Exception.Message | Should -Match ([regex]::Escape('missing.json'))
        }
    }

    Context '-Path with an invalid profile file' {
        BeforeEach {
            $scratch = [System.Collections.Generic.List[object]]::new()
        }

        AfterEach {
            $scratch | Close-VfioTestDevice
        }

        It 'writes MockProfileInvalid naming the file and $.irqs[0].flags[0] for an unknown flag name' {
            $badPath = Join-Path $TestDrive 'bad-flag.json'
            Set-Content -LiteralPath $badPath -Value @'
{
  "name": "bad-flag",
  "device": { "flags": ["Pci"], "numRegions": 9, "numIrqs": 1 },
  "irqs": [ { "index": 0, "flags": ["Bogus"], "count": 1 } ]
}
'@
            $out = New-VfioMockDevice -Path $badPath -ErrorAction SilentlyContinue -ErrorVariable err
            $scratch.Add($out)

            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'MockProfileInvalid,VfioPS.Commands.NewVfioMockDeviceCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
            $err[0].TargetObject | Should -Be $badPath
            $err[0].Exception.Message | Should -Match ([regex]::Escape('bad-flag.json'))
            $err[0].Exception.Message | Should -Match ([regex]::Escape('$.irqs[0].flags[0]'))
            $err[0].Exception.Message | Should -Match 'Bogus'
        }

        It 'reports <Case> at <JsonPath>' -ForEach $invalidProfiles {
            $badPath = Join-Path $TestDrive 'invalid.json'
            Set-Content -LiteralPath $badPath -Value $Json
            $out = New-VfioMockDevice -Path $badPath -ErrorAction SilentlyContinue -ErrorVariable err
            $scratch.Add($out)

            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'MockProfileInvalid,VfioPS.Commands.NewVfioMockDeviceCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
            # The message reads "Mock profile '<file>': <JSON path> <problem>".
            $err[0].Exception.Message | Should -Match ([regex]::Escape("invalid.json': $JsonPath "))
        }
    }
}
