using System.Linq;
using System.Management.Automation;
using Xunit;

namespace VfioPS.Engine.Tests;

/// <summary>
/// The ErrorRecords cmdlets write when the device fails a call: a mock device from the built module whose Nth call of
/// one kind fails (the module's internal fault-injecting channel, reached by reflection as no script would by
/// accident). Each shows one error with the id naming the failed call, the category of the errno and the device as
/// target; the next call without a fault works.
/// </summary>
public sealed class FaultErrorTests : IClassFixture<ModuleFixture>
{
    private readonly ModuleFixture _module;

    public FaultErrorTests(ModuleFixture module) => _module = module;

    /// <summary>Opens a mock <paramref name="profile"/> as $d whose <paramref name="nth"/> <paramref name="call"/> fails with <paramref name="errno"/>.</summary>
    private static string OpenFaulty(string profile, string call, int nth, string errno) => $$"""
        $faulty = [VfioPS.VfioDevice].Assembly.GetType('VfioPS.Channels.FaultInjectingChannel', $true)
        $d = $faulty.GetMethod('OpenMock', [Reflection.BindingFlags]'NonPublic,Static').Invoke($null, [object[]]@('{{profile}}', '{{call}}', {{nth}}, '{{errno}}'))
        """;

    [Theory]
    [InlineData("VFIO_DEVICE_GET_IRQ_INFO", "ENODEV", "Get-VfioIrqInfo $d -Index MSI", "VfioGetIrqInfoFailed,VfioPS.Commands.GetVfioIrqInfoCommand", ErrorCategory.ObjectNotFound)]
    [InlineData("VFIO_DEVICE_GET_IRQ_INFO", "EIO", "Get-VfioIrqCapability $d -Index 0", "VfioGetIrqInfoFailed,VfioPS.Commands.GetVfioIrqCapabilityCommand", ErrorCategory.DeviceError)]
    [InlineData("VFIO_DEVICE_GET_REGION_INFO", "EIO", "Get-VfioRegion $d -Index BAR0", "VfioGetRegionInfoFailed,VfioPS.Commands.GetVfioRegionCommand", ErrorCategory.DeviceError)]
    [InlineData("pread", "EIO", "Read-VfioRegion $d CONFIG 0", "VfioRegionReadFailed,VfioPS.Commands.ReadVfioRegionCommand", ErrorCategory.DeviceError)]
    [InlineData("pread", "short", "Get-VfioPciConfig $d", "VfioRegionShortTransfer,VfioPS.Commands.GetVfioPciConfigCommand", ErrorCategory.DeviceError)]
    [InlineData("pwrite", "ENODEV", "Set-VfioPciConfig $d 0x0C 0x10 -Width 1 -Confirm:$false", "VfioRegionWriteFailed,VfioPS.Commands.SetVfioPciConfigCommand", ErrorCategory.ObjectNotFound)]
    [InlineData("VFIO_DEVICE_SET_IRQS", "EIO", "Set-VfioIrq $d MSI -EventFd $fd", "VfioSetIrqsFailed,VfioPS.Commands.SetVfioIrqCommand", ErrorCategory.DeviceError)]
    [InlineData("VFIO_DEVICE_RESET", "ENODEV", "Reset-VfioDevice $d -Confirm:$false", "VfioDeviceResetFailed,VfioPS.Commands.ResetVfioDeviceCommand", ErrorCategory.ObjectNotFound)]
    public void AFailedCallIsOneErrorRecordWithIdCategoryAndTarget(string call, string errno, string command, string id, ErrorCategory category)
    {
        var results = _module.Run(OpenFaulty("e1000e", call, 1, errno) + $$"""

            $fd = New-VfioEventFd
            {{command}}
            'after'
            $again = {{command}} -ErrorAction Stop
            $d.Name
            $d.Dispose(); $fd | Close-VfioEventFd
            """, out var errors);
        var error = Assert.Single(errors);
        Assert.Equal(id, error.FullyQualifiedErrorId);
        Assert.Equal(category, error.CategoryInfo.Category);
        string device = (string)results[^1].BaseObject;
        Assert.StartsWith("mock:e1000e/", device);
        Assert.Equal(device, error.TargetObject);
        if (errno != "short") Assert.Contains(errno, error.Exception.Message);
        Assert.Contains("after", results.Select(r => r.BaseObject as string));
    }

    [Fact]
    public void EintrIsRestartedNotReported()
    {
        var results = _module.Run(OpenFaulty("e1000e", "VFIO_DEVICE_GET_IRQ_INFO", 1, "EINTR") + """

            Get-VfioIrqInfo $d -Index MSI-X | ForEach-Object Count
            $d.Dispose()
            """);
        Assert.Equal(5u, Assert.Single(results).BaseObject);
    }

    [Fact]
    public void ARefusedRebindLeavesNoEventFdShowingAVectorTheDeviceNoLongerHas()
    {
        // The second SET_IRQS (the rebind) fails; the module then de-assigns the vector, so the first eventfd, which
        // served it, shows no binding, and neither does the second.
        var results = _module.Run(OpenFaulty("e1000e", "VFIO_DEVICE_SET_IRQS", 2, "EIO") + """

            $a, $b = New-VfioEventFd -Count 2
            Set-VfioIrq $d MSI-X -EventFd $a
            "a: $($a.Device) $($a.Vector)"
            Set-VfioIrq $d MSI-X -EventFd $b
            "a: $($a.Vector); b: $($b.Vector)"
            (Set-VfioIrq $d MSI-X -EventFd $b -PassThru).Vectors.Count
            "b: $($b.Vector)"
            $d.Dispose(); $a, $b | Close-VfioEventFd
            """, out var errors);
        var error = Assert.Single(errors);
        Assert.Equal("VfioSetIrqsFailed,VfioPS.Commands.SetVfioIrqCommand", error.FullyQualifiedErrorId);
        Assert.Contains("de-assigned vector 0", error.Exception.Message);
        Assert.Matches(@"^a: mock:e1000e/\d+ 0$", (string)results[0].BaseObject);
        Assert.Equal("a: ; b: ", results[1].BaseObject);
        Assert.Equal(1, results[2].BaseObject);
        Assert.Equal("b: 0", results[3].BaseObject);
    }
}
