# The help's examples that need real devices ("needs a host with devices bound to vfio-pci"). Their output was
# captured in the real-kernel lane, at the lane's fixed addresses, so they run there (tag RealDevice) and skip
# elsewhere, saying why. Each runs in a fresh runspace of this pwsh with only the built module imported, rendered at
# 120 columns: a session of its own, as a user's, without a process start per example (that costs half a minute
# under the lane's emulation; the mock examples in Help.Tests.ps1 each get a fresh process, where mock names start
# at /1). An example with -WhatIf runs in a fresh pwsh instead: "What if:" lines go to the host, which only a
# process's console shows.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    . (Join-Path $PSScriptRoot 'HelpPages.ps1')

    function Invoke-VfioHelpExampleInProcess {
        param([Parameter(Mandatory)][string] $Code)
        $codePath = [System.IO.Path]::GetTempFileName()
        [System.IO.File]::WriteAllText($codePath, $Code)
        try {
            $run = Invoke-VfioChildPwsh -Command ("`$PSStyle.OutputRendering = 'PlainText'; " +
                "& { . ([scriptblock]::Create([System.IO.File]::ReadAllText('$codePath'))) } | Out-String -Width 120 | Write-Host -NoNewline")
            $errors = if ($run.ExitCode -ne 0) { "exit $($run.ExitCode) $($run.Errors)" } else { $run.Errors }
            [pscustomobject]@{ Text = $run.Output; Errors = "$errors".Trim() }
        }
        finally {
            Remove-Item -LiteralPath $codePath -ErrorAction SilentlyContinue
        }
    }

    # The help shows the output captured on the lane's default kernel, Debian's 6.1. Kernels since 6.5 answer an
    # MSI-X index that has vectors without NoResize (dynamic MSI-X; the help's prose says so where an example shows
    # it), the one reading that differs on the lane's 6.12, so there the expected MSI-X lines are read that way.
    function ConvertTo-VfioKernelExpectedOutput {
        param([AllowEmptyString()][string] $Text)
        $release = [System.IO.File]::ReadAllText('/proc/sys/kernel/osrelease').Trim()
        if ([version]($release -replace '^(\d+\.\d+).*', '$1') -lt [version]'6.5') { return $Text }
        [regex]::Replace($Text, '(?m)^(\S+ +2 MSI-X +[1-9]\d* +True +EventFd), NoResize[ \t]*$', '$1')
    }

    function Invoke-VfioHelpExampleInRunspace {
        param([Parameter(Mandatory)][string] $Code)
        $state = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
        $state.ImportPSModule([string[]] @($VfioModulePath))
        $runspace = [System.Management.Automation.Runspaces.RunspaceFactory]::CreateRunspace($state)
        $runspace.Open()
        $shell = [powershell]::Create()
        try {
            $shell.Runspace = $runspace
            # Errors the example catches stay quiet; errors it writes are collected in the error stream.
            $null = $shell.AddScript('param($Code) $PSStyle.OutputRendering = ''PlainText''; & { . ([scriptblock]::Create($Code)) } | Out-String -Width 120').AddArgument($Code)
            $text = -join @($shell.Invoke())
            [pscustomobject]@{
                Text   = $text
                Errors = @($shell.Streams.Error | ForEach-Object { "$_" }) -join "`n"
            }
        }
        finally {
            $shell.Dispose()
            $runspace.Dispose()
        }
    }
}

BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'HelpPages.ps1')
    $realDeviceExamples = @(Get-VfioHelpPage | ForEach-Object { $_.Examples } | Where-Object Lane -eq 'RealDevice' | ForEach-Object {
            @{ Command = $_.Command; Title = $_.Title; Code = $_.Code; Output = $_.Output; NeedsSeedMdev = $_.NeedsSeedMdev }
        })
}

Describe '<Command> <Title>' -Tag 'RealDevice' -ForEach $realDeviceExamples {
    It 'runs on the lane''s vfio-pci devices and prints what the help shows' {
        if (-not $VfioInKernelLane) {
            Set-ItResult -Skipped -Because $VfioRealDeviceSkipReason
            return
        }
        if ($NeedsSeedMdev -and -not (Test-Path -LiteralPath '/sys/class/mdev_bus/seed_mdev')) {
            $reason = if ($env:KERNEL_LANE_SEED_MDEV_SKIP) { $env:KERNEL_LANE_SEED_MDEV_SKIP } else { 'it needs the lane''s seed_mdev parent (run-lane.sh loads it on 6.1), and /sys/class/mdev_bus/seed_mdev does not exist' }
            Set-ItResult -Skipped -Because $reason
            return
        }
        $Code | Should -Not -BeNullOrEmpty
        $run = if ($Code -match '-WhatIf\b') { Invoke-VfioHelpExampleInProcess -Code $Code } else { Invoke-VfioHelpExampleInRunspace -Code $Code }
        $run.Errors | Should -BeNullOrEmpty -Because 'an example must run without writing an error'
        $Output | Should -Not -BeNullOrEmpty -Because 'a real-device example shows the output captured in the lane'
        ConvertTo-VfioNormalizedOutput $run.Text | Should -BeExactly (ConvertTo-VfioNormalizedOutput (ConvertTo-VfioKernelExpectedOutput $Output))
    }
}
