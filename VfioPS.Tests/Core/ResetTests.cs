using System;
using System.Linq;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Mock;
using VfioPS.Native;
using VfioPS.Operations;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>
/// VFIO_DEVICE_RESET and VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: the codec's layout, the mock's answers byte for byte as
/// the kernel lane measured them on 6.1 (EINVAL below 12, ENODEV on the root bus, ENOSPC with the count and nothing
/// past the header, the entries from offset 12), the reader's retry, the reset scope's ownership and the reset's
/// refusal and IRQ record.
/// </summary>
public class ResetTests
{
    private const uint HotResetInfo = 0x3B70; // VFIO_DEVICE_GET_PCI_HOT_RESET_INFO on a device fd
    private const uint Reset = 0x3B6F;        // VFIO_DEVICE_RESET

    private static MockDeviceChannel Open(string profile) => new(MockProfileReader.LoadBuiltIn(profile));

    private static byte[] Request(int length, uint argsz)
    {
        byte[] buffer = Bytes.Poisoned(length);
        if (length >= 4) Bytes.PutU32(buffer, 0, argsz);
        return buffer;
    }

    // A slot of two functions in two IOMMU groups: function 0 is the device, function 1 another group.
    private const string TwoGroupProfile = """
        { "name": "slot2", "device": { "flags": ["Pci", "Reset"], "numRegions": 9, "numIrqs": 5 }, "irqs": [],
          "reset": { "methods": ["flr", "bus"], "iommuGroup": 21,
                     "hotReset": { "devices": [ { "address": "0000:05:00.0", "group": 21 }, { "address": "05:00.1", "group": 22 } ] } } }
        """;

    private const string SiblingProfile = """
        { "name": "slot2-fn1", "device": { "flags": ["Pci"], "numRegions": 9, "numIrqs": 5 }, "irqs": [],
          "reset": { "methods": [], "iommuGroup": 22 } }
        """;

    // ---- codec ----

    [Fact]
    public void Codec_LayoutIsHeader12AndEightByteEntries()
    {
        Assert.Equal(0x3B70u, VfioIoctl.DeviceGetPciHotResetInfo);
        Assert.Equal(15216u, VfioIoctl.DeviceGetPciHotResetInfo);
        Assert.Equal("VFIO_DEVICE_GET_PCI_HOT_RESET_INFO", VfioIoctl.DeviceRequestName(0x3B70));
        Assert.Equal(12, VfioPciHotResetInfoCodec.HeaderSize);
        Assert.Equal(8, VfioPciHotResetInfoCodec.DeviceSize);
        Assert.Equal(28, VfioPciHotResetInfoCodec.SizeFor(2));

        var buffer = new byte[28];
        VfioPciHotResetInfoCodec.EncodeHeader(buffer, new VfioPciHotResetInfoHeader(28, VfioPciHotResetFlags.DevId, 2));
        VfioPciHotResetInfoCodec.EncodeDevice(buffer, 1, new VfioPciDependentDevice(14, 0x0001, 0x01, 0x09));
        // Bytes as the lane read them from 6.1, with segment 1 and devfn 0x09 (slot 1, function 1) to show the fields.
        Assert.Equal(Bytes.Hex("1c000000 01000000 02000000 00000000 00000000 0e000000 0100 01 09"), buffer);
        var entry = VfioPciHotResetInfoCodec.DecodeDevice(buffer, 1);
        Assert.Equal("0001:01:01.1", entry.Address);
        Assert.Equal(new VfioPciHotResetInfoHeader(28, VfioPciHotResetFlags.DevId, 2), VfioPciHotResetInfoCodec.DecodeHeader(buffer));
    }

    // ---- the mock, byte for byte ----

    [Fact]
    public void Reset_FollowsTheResetFlag()
    {
        using var e1000e = Open("e1000e");
        using var edu = Open("edu");
        Assert.Equal(IoctlResult.Success, e1000e.Ioctl(Reset, Span<byte>.Empty));
        Assert.Equal(IoctlResult.Fail(Errno.EINVAL), edu.Ioctl(Reset, Span<byte>.Empty));
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(4u)]
    [InlineData(8u)]
    [InlineData(11u)]
    public void HotResetInfo_ArgszBelow12_IsEINVAL_AndWritesNothing(uint argsz)
    {
        using var channel = Open("e1000e-port");
        byte[] buffer = Request(12, argsz);
        byte[] before = (byte[])buffer.Clone();
        Assert.Equal(IoctlResult.Fail(Errno.EINVAL), channel.Ioctl(HotResetInfo, buffer));
        Assert.Equal(before, buffer);
    }

    [Fact]
    public void HotResetInfo_BufferShorterThanTheHeader_IsEFAULT()
    {
        using var channel = Open("e1000e-port");
        Assert.Equal(IoctlResult.Fail(Errno.EFAULT), channel.Ioctl(HotResetInfo, Request(8, 8)));
    }

    [Theory]
    [InlineData("e1000e", 12u)]
    [InlineData("edu", 64u)]
    public void HotResetInfo_RootBus_IsENODEV_AndWritesNothing(string profile, uint argsz)
    {
        using var channel = Open(profile);
        byte[] buffer = Request(64, argsz);
        byte[] before = (byte[])buffer.Clone();
        Assert.Equal(IoctlResult.Fail(Errno.ENODEV), channel.Ioctl(HotResetInfo, buffer));
        Assert.Equal(before, buffer);
    }

    [Theory]
    [InlineData(12u)]
    [InlineData(19u)]
    [InlineData(20u)]
    [InlineData(27u)]
    public void HotResetInfo_TooSmall_IsENOSPC_WithTheCount_AndNothingPastTheHeader(uint argsz)
    {
        using var channel = Open("e1000e-port");
        byte[] buffer = Request(40, argsz);
        Assert.Equal(IoctlResult.Fail(Errno.ENOSPC), channel.Ioctl(HotResetInfo, buffer));
        Assert.Equal(new VfioPciHotResetInfoHeader(argsz, VfioPciHotResetFlags.None, 2), VfioPciHotResetInfoCodec.DecodeHeader(buffer));
        Assert.True(Bytes.UntouchedFrom(buffer, 12));
    }

    [Theory]
    [InlineData(28u)]
    [InlineData(32u)]
    [InlineData(64u)]
    public void HotResetInfo_EnoughRoom_WritesTheEntries_AndNothingPastThem(uint argsz)
    {
        using var channel = Open("e1000e-port");
        byte[] buffer = Request(64, argsz);
        Assert.Equal(IoctlResult.Success, channel.Ioctl(HotResetInfo, buffer));
        // What 6.1 wrote for 0000:01:00.0 behind the lane's root port (group 15 there; argsz left as given).
        Assert.Equal(Bytes.Hex("00000000 02000000 0f000000 0000 01 00 0f000000 0000 01 01"), buffer.AsSpan(4, 24).ToArray());
        Assert.Equal(argsz, Bytes.U32(buffer, 0));
        Assert.True(Bytes.UntouchedFrom(buffer, 28));
    }

    [Fact]
    public void HotResetInfo_ADriverThatFillsWhatFits_WritesThoseEntries()
    {
        var profile = MockProfileReader.LoadBuiltIn("e1000e-port");
        byte[] buffer = Request(40, 20);
        var result = MockResetResponder.GetHotResetInfo(profile, buffer, fillsWhatFits: true);
        Assert.Equal(IoctlResult.Fail(Errno.ENOSPC), result);
        Assert.Equal(2u, Bytes.U32(buffer, 8));
        Assert.Equal(Bytes.Hex("0f000000 0000 01 00"), buffer.AsSpan(12, 8).ToArray());
        Assert.True(Bytes.UntouchedFrom(buffer, 20));
    }

    [Theory]
    [InlineData("e1000e-port")]
    [InlineData("e1000e-port-6.12")]
    public void HotResetInfo_TooSmall_WritesTheHeaderOnly_On61And612(string profile)
    {
        using var channel = Open(profile);
        byte[] buffer = Request(40, 20);
        Assert.Equal(IoctlResult.Fail(Errno.ENOSPC), channel.Ioctl(HotResetInfo, buffer));
        Assert.Equal(2u, Bytes.U32(buffer, 8));
        // Measured in the lane on both kernels: the header only, nothing after byte 12.
        Assert.True(Bytes.UntouchedFrom(buffer, 12));
    }

    // ---- the reader and the scope ----

    [Fact]
    public void Reader_RetriesOnceWithTheCountTheDeviceGave()
    {
        using var device = MockDevices.OpenBuiltIn("e1000e-port");
        var info = HotResetInfoReader.Read(device);
        Assert.True(info.Available);
        Assert.Equal(new[] { "0000:01:00.0", "0000:01:00.1" }, info.Devices.Select(d => d.Address));
        Assert.Equal(2, device.IoctlCounts["VFIO_DEVICE_GET_PCI_HOT_RESET_INFO"]);
    }

    [Fact]
    public void Scope_RootBus_SaysNoSlotOrBusReset_WithoutAnError()
    {
        using var device = MockDevices.OpenBuiltIn("edu");
        var scope = ResetScopeReader.Read(device);
        Assert.False(scope.HotReset);
        Assert.Equal("no slot or bus reset", scope.HotResetNote);
        Assert.Empty(scope.Devices);
        Assert.Null(scope.OwnsAll);
        Assert.False(scope.FunctionReset);
        Assert.Empty(scope.ResetMethods);
    }

    [Fact]
    public void Scope_OwnsAll_OnlyWhenEveryAffectedGroupIsHeld()
    {
        using var device = MockDevices.Open(MockProfileReader.Parse(TwoGroupProfile, "test"));
        var alone = ResetScopeReader.Read(device);
        Assert.True(alone.HotReset);
        Assert.Equal(new[] { "0000:05:00.0 (group 21)", "0000:05:00.1 (group 22)" }, alone.Devices.Select(d => d.ToString()));
        Assert.Equal(new[] { true, false }, alone.Devices.Select(d => d.Owned));
        Assert.False(alone.OwnsAll);
        Assert.Equal(new[] { "flr", "bus" }, alone.ResetMethods);

        using (MockDevices.Open(MockProfileReader.Parse(SiblingProfile, "test")))
        {
            Assert.True(ResetScopeReader.Read(device).OwnsAll);
        }
        Assert.False(ResetScopeReader.Read(device).OwnsAll);
    }

    [Fact]
    public void Scope_DevIdAnswer_TakesOwnershipFromTheKernel()
    {
        var answer = new byte[28];
        VfioPciHotResetInfoCodec.EncodeHeader(answer, new VfioPciHotResetInfoHeader(28, VfioPciHotResetFlags.DevId, 2));
        VfioPciHotResetInfoCodec.EncodeDevice(answer, 0, new VfioPciDependentDevice(3, 0, 1, 0));
        VfioPciHotResetInfoCodec.EncodeDevice(answer, 1, new VfioPciDependentDevice(VfioPciHotResetInfoCodec.DevIdNotOwned, 0, 1, 1));
        using var device = MockDevices.Open(MockProfileReader.LoadBuiltIn("e1000e-port"));
        var scope = ResetScopeReader.FromAnswer(device, new HotResetInfo(true, VfioPciHotResetFlags.DevId,
            new[] { VfioPciHotResetInfoCodec.DecodeDevice(answer, 0), VfioPciHotResetInfoCodec.DecodeDevice(answer, 1) }), Array.Empty<string>());
        Assert.Equal(new uint?[] { 3, 0xFFFFFFFF }, scope.Devices.Select(d => d.DevId));
        Assert.Equal(new[] { true, false }, scope.Devices.Select(d => d.Owned));
        Assert.All(scope.Devices, d => Assert.Null(d.IommuGroup));
        Assert.False(scope.OwnsAll);
    }

    // ---- the reset ----

    [Fact]
    public void ResetWithoutTheFlag_IsRefusedBeforeAnyIoctl_NamingWhatTheDeviceHas()
    {
        using var edu = MockDevices.OpenBuiltIn("edu");
        var e = Assert.Throws<VfioException>(() => DeviceResetter.Reset(edu));
        Assert.Equal("VfioDeviceResetNotSupported", e.ErrorId);
        Assert.Equal(VfioErrorKind.NotImplemented, e.Kind);
        Assert.Contains("It has no reset method: its mock profile 'edu' lists none.", e.Message);
        Assert.False(edu.IoctlCounts.ContainsKey("VFIO_DEVICE_RESET"));

        var methods = DeviceResetter.NotSupported(edu, new[] { "pm", "bus" });
        Assert.Contains("lists pm bus, but none of them worked", methods.Message);
    }

    [Fact]
    public void Reset_LeavesTheIrqTriggersBound_AsTheKernelDoes()
    {
        using var device = MockDevices.OpenBuiltIn("e1000e");
        var fds = Enumerable.Range(0, 5).Select(_ => FileDescriptors.CreateEventFd()).ToArray();
        try
        {
            IrqSetter.Apply(device, "MSI-X", new IrqSetRequest(2, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataEventFd, 0, 5, EventFds: fds.Select(f => f.Fd).ToArray()));
            DeviceResetter.Reset(device);
            Assert.Equal(1, device.IoctlCounts["VFIO_DEVICE_RESET"]);
            var state = device.IrqRecord.Snapshot(device.Name, 2, "MSI-X");
            Assert.True(state.Enabled);
            Assert.Equal(fds.Select(f => f.Fd), state.Vectors.Select(v => v.EventFd));
            // The loopback still reaches vector 4's eventfd after the reset (the lane saw the same on 6.1).
            IrqSetter.Apply(device, "MSI-X", new IrqSetRequest(2, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataNone, 4, 1));
            Assert.Equal(1ul, FileDescriptors.ReadCounter(fds[4]));
        }
        finally
        {
            foreach (var fd in fds) fd.Dispose();
        }
    }

    // ---- the profile key ----

    [Theory]
    [InlineData("""{ "methods": ["reboot"] }""", "$.reset.methods[0]")]
    [InlineData("""{ "methods": [] }""", "$.reset.methods")]
    [InlineData("""{ "hotReset": { } }""", "$.reset.hotReset")]
    [InlineData("""{ "hotReset": { "errno": "ENODEV", "devices": [] } }""", "$.reset.hotReset")]
    [InlineData("""{ "hotReset": { "devices": [] } }""", "$.reset.hotReset.devices")]
    [InlineData("""{ "hotReset": { "devices": [ { "address": "1:0.0", "group": 1 } ] } }""", "$.reset.hotReset.devices[0].address")]
    [InlineData("""{ "iommuGroup": -1 }""", "$.reset.iommuGroup")]
    [InlineData("""{ "methodz": [] }""", "$.reset.methodz")]
    public void ProfileResetKey_Mistakes_NameTheirPath(string reset, string path)
    {
        string json = """{ "name": "bad", "device": { "flags": ["Pci", "Reset"], "numRegions": 9, "numIrqs": 5 }, "irqs": [], "reset": """ + reset + " }";
        var e = Assert.Throws<VfioException>(() => MockProfileReader.Parse(json, "bad.json"));
        Assert.Equal("MockProfileInvalid", e.ErrorId);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void ProfileWithoutResetKey_AnswersENODEV_AndKnowsNoMethods()
    {
        var profile = MockProfileReader.LoadBuiltIn("gvt-vgpu");
        Assert.Same(MockResetProfile.Default, profile.Reset);
        Assert.Null(profile.Reset.Methods);
        Assert.Equal(Errno.ENODEV, profile.Reset.HotResetErrno);
    }
}
