BeforeAll { . (Join-Path $PSScriptRoot 'common.ps1') }

BeforeDiscovery {
    $unknownDeviceNames = @(
        @{ DeviceName = 'mock:none/1' }
        @{ DeviceName = '0000:00:10.0' }
    )
}

Describe 'Get-VfioIrqCapability' {
    BeforeAll {
        $gvt = New-VfioMockDevice -Profile gvt-vgpu -ErrorAction Stop
        $e1000e = New-VfioMockDevice -Profile e1000e -ErrorAction Stop
        $edu = New-VfioMockDevice -Profile edu -ErrorAction Stop
    }

    AfterAll {
        $gvt, $e1000e, $edu | Close-VfioTestDevice
    }

    Context 'The display IRQ of gvt-vgpu' {
        AfterEach {
            # -OutVariable in the test defines $pipelineDevice in the scope It and AfterEach share.
            $pipelineDevice | Close-VfioTestDevice
        }

        It 'yields exactly one capability through New-VfioMockDevice | Get-VfioIrqInfo | Where-Object IsDeviceSpecific | Get-VfioIrqCapability' {
            $capability = New-VfioMockDevice -Profile gvt-vgpu -OutVariable pipelineDevice |
                Get-VfioIrqInfo |
                Where-Object IsDeviceSpecific |
                Get-VfioIrqCapability

            $capability | Should -HaveCount 1
            $capability | Should -BeOfType ([VfioPS.VfioIrqCapability])
            $capability.Id | Should -Be 3
            $capability.Name | Should -BeExactly 'Type'
            $capability.Type | Should -Be 1
            $capability.Subtype | Should -Be 1
            $capability.Offset | Should -Be 24
            $capability.Version | Should -Be 1
            $capability.Next | Should -Be 0
            $capability.Index | Should -Be 5
            $capability.Device | Should -BeExactly $pipelineDevice[0].Name
        }

        It 'returns the bytes of the capability, header included' {
            $capability = Get-VfioIrqCapability -Device $gvt -Index 5 -ErrorAction Stop
            # id 3, version 1, next 0, type 1, subtype 1: struct vfio_irq_info_cap_type, little-endian.
            [System.BitConverter]::ToString($capability.Data) | Should -BeExactly '03-00-01-00-00-00-00-00-01-00-00-00-01-00-00-00'
        }

        It 'reads every index when -Index is omitted, and finds only that capability' {
            $capabilities = Get-VfioIrqCapability -Device $gvt -ErrorVariable err
            $capabilities | Should -HaveCount 1
            $capabilities.Index | Should -Be 5
            $err | Should -HaveCount 0
        }

        It 'returns nothing, and writes no error, for an index without capabilities' {
            $capabilities = Get-VfioIrqCapability -Device $gvt -Index 0 -ErrorVariable err
            $capabilities | Should -BeNullOrEmpty
            $err | Should -HaveCount 0
        }

        It 'binds Device and Index from every object of Get-VfioIrqInfo' {
            $capabilities = Get-VfioIrqInfo -Device $gvt | Get-VfioIrqCapability -ErrorVariable err
            $capabilities | Should -HaveCount 1
            $capabilities.Index | Should -Be 5
            $err | Should -HaveCount 0
        }
    }

    Context 'Device binding' {
        It 'takes the name of an open device as a string, and -Index by position' {
            $capability = Get-VfioIrqCapability $gvt.Name 5 -ErrorAction Stop
            $capability | Should -HaveCount 1
            $capability.Device | Should -BeExactly $gvt.Name
        }

        It 'binds Device and Index by property name' {
            $capability = [pscustomobject]@{ Device = $gvt.Name; Index = 5 } | Get-VfioIrqCapability -ErrorAction Stop
            $capability | Should -HaveCount 1
            $capability.Id | Should -Be 3
        }

        It 'still finds the capability from a VfioIrqInfo that went through JSON' {
            $info = Get-VfioIrqInfo -Device $gvt -Index 5 -ErrorAction Stop
            $capability = $info | ConvertTo-Json -Depth 5 | ConvertFrom-Json | Get-VfioIrqCapability -ErrorAction Stop
            $capability | Should -HaveCount 1
            $capability | Should -BeOfType ([VfioPS.VfioIrqCapability])
            $capability.Id | Should -Be 3
            $capability.Offset | Should -Be 24
            $capability.Device | Should -BeExactly $gvt.Name
        }
    }

    Context 'Devices without capabilities' {
        It 'returns nothing for e1000e, and writes no error' {
            $capabilities = Get-VfioIrqCapability -Device $e1000e -ErrorVariable err
            $capabilities | Should -BeNullOrEmpty
            $err | Should -HaveCount 0
        }

        It 'says with -Verbose that each e1000e index has no capabilities' {
            $records = @(Get-VfioIrqCapability -Device $e1000e -Verbose 4>&1)
            $records | Should -HaveCount 5
            foreach ($record in $records) {
                $record | Should -BeOfType ([System.Management.Automation.VerboseRecord])
                $record.Message | Should -Match 'has no capabilities'
            }
        }

        It 'says with -Verbose why edu ERR is not supported, and writes no error' {
            $records = @(Get-VfioIrqCapability -Device $edu -Index ERR -Verbose -ErrorVariable err 4>&1)
            $records | Should -HaveCount 1
            $records[0] | Should -BeOfType ([System.Management.Automation.VerboseRecord])
            $records[0].Message | Should -Match 'EINVAL'
            $err | Should -HaveCount 0
        }
    }

    Context 'A chain of two capabilities from a profile file' {
        BeforeAll {
            # A TYPE capability and an unknown id 9 with a 4-byte payload: the mock lays them out at 24 and 40.
            $profilePath = Join-Path $TestDrive 'two-caps.json'
            Set-Content -LiteralPath $profilePath -Value @'
{
  "name": "two-caps",
  "device": { "flags": ["Pci"], "numRegions": 9, "numIrqs": 6 },
  "irqs": [
    {
      "index": 5,
      "flags": ["EventFd", "Caps"],
      "count": 2,
      "capabilities": [
        { "id": 3, "version": 1, "type": 1, "subtype": 1 },
        { "id": 9, "version": 2, "data": "deadbeef" }
      ]
    }
  ]
}
'@
            $twoCaps = New-VfioMockDevice -Path $profilePath -ErrorAction Stop
        }

        AfterAll {
            $twoCaps | Close-VfioTestDevice
        }

        It 'returns the capabilities in chain order with their offsets and next fields' {
            $capabilities = Get-VfioIrqCapability -Device $twoCaps -Index 5 -ErrorAction Stop
            $capabilities | Should -HaveCount 2
            ($capabilities.Offset -join ',') | Should -BeExactly '24,40'
            ($capabilities.Next -join ',') | Should -BeExactly '40,0'
            ($capabilities.Id -join ',') | Should -BeExactly '3,9'
            ($capabilities.Name -join ',') | Should -BeExactly 'Type,Unknown'
        }

        It 'keeps an unknown capability with its version and raw bytes, and no type' {
            $unknown = (Get-VfioIrqCapability -Device $twoCaps -Index 5 -ErrorAction Stop)[1]
            $unknown.Version | Should -Be 2
            $unknown.Type | Should -BeNullOrEmpty
            $unknown.Subtype | Should -BeNullOrEmpty
            [System.BitConverter]::ToString($unknown.Data, 0, 12) | Should -BeExactly '09-00-02-00-00-00-00-00-DE-AD-BE-EF'
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

        It 'returns the capability before the fault, then writes one VfioCapabilityChainMalformed' {
            $capabilities = Get-VfioIrqCapability -Device $cyclic -Index 5 -ErrorAction SilentlyContinue -ErrorVariable err
            $capabilities | Should -HaveCount 1
            $capabilities.Id | Should -Be 3
            $capabilities.Offset | Should -Be 24
            $capabilities.Next | Should -Be 24
            $capabilities.Type | Should -Be 1
            $capabilities.Subtype | Should -Be 1

            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioCapabilityChainMalformed,VfioPS.Commands.GetVfioIrqCapabilityCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
            $err[0].TargetObject | Should -Be $cyclic.Name
            $err[0].Exception.Message | Should -Match 'offset 24'
            $err[0].Exception.Message | Should -Match 'cycle'
        }

        It 'writes the capability to the pipeline before the error' {
            $records = @(Get-VfioIrqCapability -Device $cyclic -Index 5 -ErrorAction Continue 2>&1)
            $records | Should -HaveCount 2
            $records[0] | Should -BeOfType ([VfioPS.VfioIrqCapability])
            $records[1] | Should -BeOfType ([System.Management.Automation.ErrorRecord])
            $records[1].FullyQualifiedErrorId | Should -BeExactly 'VfioCapabilityChainMalformed,VfioPS.Commands.GetVfioIrqCapabilityCommand'
        }
    }

    Context 'Errors' {
        BeforeAll {
            $closed = New-VfioMockDevice -Profile gvt-vgpu -ErrorAction Stop
            $closedName = $closed.Name
            $closed.Dispose()
        }

        AfterAll {
            $closed | Close-VfioTestDevice
        }

        It 'reports <DeviceName> as VfioDeviceNotFound and returns nothing' -ForEach $unknownDeviceNames {
            $out = Get-VfioIrqCapability -Device $DeviceName -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceNotFound,VfioPS.Commands.GetVfioIrqCapabilityCommand'
            $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $err[0].TargetObject | Should -Be $DeviceName
        }

        It 'reports a disposed device object as VfioDeviceClosed' {
            $out = Get-VfioIrqCapability -Device $closed -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceClosed,VfioPS.Commands.GetVfioIrqCapabilityCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
            $err[0].TargetObject | Should -Be $closedName
        }

        It 'reports the name of a disposed device as VfioDeviceNotFound' {
            $out = Get-VfioIrqCapability -Device $closedName -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioDeviceNotFound,VfioPS.Commands.GetVfioIrqCapabilityCommand'
        }

        It 'reports index 6 of gvt-vgpu as VfioIrqIndexOutOfRange' {
            $out = Get-VfioIrqCapability -Device $gvt -Index 6 -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioIrqIndexOutOfRange,VfioPS.Commands.GetVfioIrqCapabilityCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err[0].TargetObject | Should -Be $gvt.Name
        }

        It "reports -Index 'bogus' as VfioIrqIndexInvalid" {
            $out = Get-VfioIrqCapability -Device $gvt -Index 'bogus' -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioIrqIndexInvalid,VfioPS.Commands.GetVfioIrqCapabilityCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err[0].TargetObject | Should -Be $gvt.Name
        }
    }

    Context 'Formatting' {
        It 'shows the columns of the VfioPS.VfioIrqCapability view by default, in its order' {
            $capability = Get-VfioIrqCapability -Device $gvt -Index 5 -ErrorAction Stop
            $text = $capability | Out-String -Width 200 | Remove-AnsiEscape
            $text | Should -Match '(?m)^Device\s+Index\s+Offset\s+Id\s+Version\s+Name\s+Type\s+Subtype\s+Next\s*$'
            $text | Should -Match ([regex]::Escape($gvt.Name))
            $text | Should -Not -Match '\bData\b'
        }
    }
}
