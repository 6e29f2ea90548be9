BeforeAll { . (Join-Path $PSScriptRoot 'common.ps1') }

# Region I/O and config space on the mock, whose profiles carry what the kernel lane read from the real driver.
Describe 'Read-VfioRegion and Write-VfioRegion' {
    BeforeAll {
        $edu = New-VfioMockDevice -Profile edu
        $nic = New-VfioMockDevice -Profile e1000e
    }
    AfterAll { $edu, $nic | Close-VfioTestDevice }

    It 'reads edu''s identification register at BAR0 0x00 as 0x010000ed' {
        $value = Read-VfioRegion -Device $edu -Region BAR0 -Offset 0
        $value | Should -BeOfType VfioPS.VfioRegionData
        $value.Value | Should -Be 0x010000ed
        $value.Width | Should -Be 4
        $value.Hex | Should -BeExactly '0x010000ed'
    }

    It 'writes the liveness register and reads back the inverse' {
        Write-VfioRegion -Device $edu -Region BAR0 -Offset 4 -Value 0x12345678 -Confirm:$false
        (Read-VfioRegion $edu BAR0 4).Value | Should -Be 0xedcba987u
    }

    It 'takes the region by name in any case, or by number' -TestCases @(
        @{ Region = 'config' }, @{ Region = 'CONFIG' }, @{ Region = 7 }, @{ Region = '0x7' }
    ) {
        (Read-VfioRegion $edu $Region 0 -Width 2).Value | Should -Be 0x1234
    }

    It 'reads -Count consecutive values, each its own object at its own offset' {
        $values = @(Read-VfioRegion $nic CONFIG 0 -Width 2 -Count 3)
        $values.Offset | Should -Be @(0, 2, 4)
        $values.Value | Should -Be @(0x8086, 0x10d3, 0x0103)
    }

    It 'reads raw bytes with -Length' {
        $raw = Read-VfioRegion $edu CONFIG 0 -Length 4
        $raw.Width | Should -Be 0
        $raw.Value | Should -BeNullOrEmpty
        $raw.Bytes | Should -Be @(0x34, 0x12, 0xe8, 0x11)
    }

    It 'refuses <Case> with <Id> and the device as target' -TestCases @(
        @{ Case = 'an offset past the end'; Arguments = @{ Region = 'BAR0'; Offset = 0x100000 }; Id = 'VfioRegionOutOfRange'; Category = 'InvalidArgument' }
        @{ Case = 'a read running past the end'; Arguments = @{ Region = 'CONFIG'; Offset = 0xfc; Length = 8 }; Id = 'VfioRegionOutOfRange'; Category = 'InvalidArgument' }
        @{ Case = 'a size-0 BAR'; Arguments = @{ Region = 'BAR1'; Offset = 0 }; Id = 'VfioRegionNotPresent'; Category = 'ObjectNotFound' }
        @{ Case = 'VGA on a device without it'; Arguments = @{ Region = 'VGA'; Offset = 0 }; Id = 'VfioRegionNotPresent'; Category = 'ObjectNotFound' }
        @{ Case = 'an unaligned value'; Arguments = @{ Region = 'BAR0'; Offset = 2 }; Id = 'VfioRegionUnaligned'; Category = 'InvalidArgument' }
        @{ Case = 'a region past num_regions'; Arguments = @{ Region = 12; Offset = 0 }; Id = 'VfioRegionIndexOutOfRange'; Category = 'InvalidArgument' }
        @{ Case = 'a name that is no region'; Arguments = @{ Region = 'BAR9'; Offset = 0 }; Id = 'VfioRegionInvalid'; Category = 'InvalidArgument' }
    ) {
        $result = Read-VfioRegion -Device $edu @Arguments -ErrorAction SilentlyContinue -ErrorVariable err
        $result | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeExactly "$Id,VfioPS.Commands.ReadVfioRegionCommand"
        $err[0].CategoryInfo.Category | Should -Be $Category
        $err[0].TargetObject | Should -Be $edu.Name
    }

    It 'refuses a write to the read-only ROM before the kernel is asked' {
        Write-VfioRegion $nic ROM 0 1 -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioRegionNotWritable,VfioPS.Commands.WriteVfioRegionCommand'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
    }

    It 'refuses a value wider than -Width' {
        Write-VfioRegion $edu BAR0 4 0x1ffff -Width 2 -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioRegionValueTooWide,VfioPS.Commands.WriteVfioRegionCommand'
    }

    It 'reports EIO with the command-register hint while memory decoding is off' {
        $command = (Read-VfioRegion $edu CONFIG 4 -Width 2).Value
        try {
            Set-VfioPciConfig $edu 4 ($command -band 0xfffd) -Width 2 -Confirm:$false | Out-Null
            Read-VfioRegion $edu BAR0 0 -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeExactly 'VfioRegionReadFailed,VfioPS.Commands.ReadVfioRegionCommand'
            $err[0].Exception.Errno | Should -Be 'EIO'
            $err[0].Exception.Message | Should -BeLike '*memory decoding is off*'
        }
        finally {
            Set-VfioPciConfig $edu 4 $command -Width 2 -Confirm:$false | Out-Null
        }
        (Read-VfioRegion $edu BAR0 0).Value | Should -Be 0x010000ed
    }

    It 'writes nothing with -WhatIf' {
        Write-VfioRegion $edu BAR0 4 0x1 -Confirm:$false
        Write-VfioRegion $edu BAR0 4 0x5555 -WhatIf
        (Read-VfioRegion $edu BAR0 4).Value | Should -Be 0xfffffffeu
    }

    It 'writes raw bytes and -PassThru says what was written' {
        $written = Write-VfioRegion $edu BAR0 4 -Bytes 0x00, 0x00, 0x00, 0x80 -PassThru -Confirm:$false
        $written.Bytes | Should -Be @(0, 0, 0, 0x80)
        (Read-VfioRegion $edu BAR0 4).Value | Should -Be 0x7fffffff
    }

    It 'raises edu''s interrupt through BAR0 (0x60) onto the bound MSI eventfd' {
        $fd = New-VfioEventFd
        try {
            Set-VfioIrq $edu MSI -EventFd $fd -Confirm:$false
            1..3 | ForEach-Object { Write-VfioRegion $edu BAR0 0x60 1 -Confirm:$false }
            $fd.Read() | Should -Be 3
            Write-VfioRegion $edu BAR0 0x64 1 -Confirm:$false
            (Read-VfioRegion $edu BAR0 0x24).Value | Should -Be 0
        }
        finally {
            Set-VfioIrq $edu MSI -Disable -Confirm:$false
            $fd.Dispose()
        }
    }
}

Describe 'Get-VfioPciConfig and Set-VfioPciConfig' {
    BeforeAll {
        $edu = New-VfioMockDevice -Profile edu
        $nic = New-VfioMockDevice -Profile e1000e
    }
    AfterAll { $edu, $nic | Close-VfioTestDevice }

    It 'decodes e1000e: MSI-X with 5 vectors in BAR3, PCIe link, AER in extended space' {
        $config = Get-VfioPciConfig $nic
        $config | Should -BeOfType VfioPS.VfioPciConfig
        $config.Length | Should -Be 4096
        '{0:x4}:{1:x4}' -f $config.VendorId, $config.DeviceId | Should -BeExactly '8086:10d3'
        $config.MsiX.TableSize | Should -Be 5
        $config.MsiX.TableBir | Should -Be 3
        $config.MsiX.PbaOffset | Should -Be 0x2000
        $config.Express.LinkSpeed | Should -BeExactly '2.5 GT/s'
        $config.Express.LinkWidth | Should -Be 1
        $config.Aer.Offset | Should -Be 0x100
        $config.Capabilities.Name | Should -Be @('PM', 'MSI', 'PCIe', 'MSI-X')
    }

    It 'emits the raw bytes with -Raw' {
        $bytes = Get-VfioPciConfig $edu -Raw
        $bytes.GetType() | Should -Be ([byte[]])
        $bytes.Length | Should -Be 256
        $bytes[0..1] | Should -Be @(0x34, 0x12)
    }

    It 'reports what the device kept: <Register>' -TestCases @(
        @{ Offset = 0x00; Width = 2; Value = 0xffff; Register = 'VendorId'; After = 0x1234; Kept = $false }
        @{ Offset = 0x10; Width = 4; Value = 0xffffffff; Register = 'BAR0'; After = 0xfff00000u; Kept = $false }
        @{ Offset = 0x3c; Width = 1; Value = 0x55; Register = 'InterruptLine'; After = 0x55; Kept = $true }
        @{ Offset = 0x42; Width = 2; Value = 0x0081; Register = 'MSI+0x2 (Control)'; After = 0x0080; Kept = $false }
    ) {
        $before = (Read-VfioRegion $edu CONFIG $Offset -Width $Width).Value
        try {
            $result = Set-VfioPciConfig $edu $Offset $Value -Width $Width -Confirm:$false -WarningVariable warned -WarningAction SilentlyContinue
            $result.Register | Should -BeExactly $Register
            $result.Before | Should -Be $before
            $result.After | Should -Be $After
            $result.Kept | Should -Be $Kept
            $warned.Count | Should -Be ([int](-not $Kept))
        }
        finally {
            Set-VfioPciConfig $edu $Offset $before -Width $Width -Confirm:$false -WarningAction SilentlyContinue | Out-Null
        }
    }

    It 'names the register in -WhatIf and writes nothing' {
        $child = Invoke-VfioChildPwsh -Command "`$d = New-VfioMockDevice -Profile edu; Set-VfioPciConfig `$d 4 0 -Width 2 -WhatIf; (Read-VfioRegion `$d CONFIG 4 -Width 2).Hex"
        $child.ExitCode | Should -Be 0 -Because $child.Errors
        $child.Output | Should -Match 'What if: .*"Write 0x0000 \(2 bytes\)" on target "mock:edu/1 config 0x04 \(Command\)"'
        ($child.Output.Trim() -split "`n")[-1].Trim() | Should -BeExactly '0x0103'
    }

    It 'refuses an unaligned or out-of-space register' -TestCases @(
        @{ Offset = 2; Width = 4; Id = 'VfioRegionUnaligned' }
        @{ Offset = 255; Width = 2; Id = 'VfioRegionOutOfRange' }
        @{ Offset = 256; Width = 1; Id = 'VfioRegionOutOfRange' }
    ) {
        Set-VfioPciConfig $edu $Offset 0 -Width $Width -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeExactly "$Id,VfioPS.Commands.SetVfioPciConfigCommand"
    }

    It 'keeps writes per open device' {
        $other = New-VfioMockDevice -Profile edu
        try {
            Set-VfioPciConfig $edu 0x3c 0x42 -Width 1 -Confirm:$false | Out-Null
            (Get-VfioPciConfig $other).InterruptLine | Should -Be 0x0a
            (Get-VfioPciConfig $edu).InterruptLine | Should -Be 0x42
        }
        finally { $other | Close-VfioTestDevice }
    }
}
