@{
    # The one place the module's version lives: the build reads it for the assembly and the output folder.
    ModuleVersion        = '0.1.0'
    RootModule           = 'VfioPS.dll'
    GUID                 = 'acd39f16-2117-49cd-993c-6ca2e7f2129e'
    Author               = 'The VfioPS authors'
    CompanyName          = 'VfioPS'
    Copyright            = '(c) The VfioPS authors. MIT License.'
    Description          = 'Inspect and configure VFIO device interrupts from PowerShell on Linux: IRQ indexes, capability chains and a loopback mock device that answers like vfio-pci.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('VfioPS.Format.ps1xml')
    CmdletsToExport      = @(
        'Close-VfioDevice'
        'Close-VfioEventFd'
        'Disable-VfioDevice'
        'Enable-VfioDevice'
        'Get-VfioDevice'
        'Get-VfioDeviceHolder'
        'Get-VfioDeviceInterrupt'
        'Get-VfioIrqCapability'
        'Get-VfioIrqInfo'
        'Get-VfioMdev'
        'Get-VfioMdevType'
        'Get-VfioPciConfig'
        'Get-VfioRegion'
        'Get-VfioResetScope'
        'New-VfioEventFd'
        'New-VfioMdev'
        'New-VfioMockDevice'
        'Open-VfioDevice'
        'Read-VfioRegion'
        'Remove-VfioMdev'
        'Reset-VfioDevice'
        'Send-VfioMockInterrupt'
        'Set-VfioIrq'
        'Set-VfioPciConfig'
        'Wait-VfioEventFd'
        'Write-VfioRegion'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('VFIO', 'Linux', 'IRQ', 'PCI', 'PSEdition_Core')
            ReleaseNotes = 'See CHANGELOG.md'
        }
    }
}
