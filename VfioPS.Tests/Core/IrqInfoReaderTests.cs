using System;
using System.Buffers.Binary;
using System.Linq;
using System.Text.RegularExpressions;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Mock;
using VfioPS.Operations;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>
/// The read path above the channel: IrqInfoReader, DeviceInfoReader and the argsz negotiation of InfoQuery, against
/// the mock device and against fakes for a mainline kernel, misbehaving devices and errnos.
/// </summary>
public class IrqInfoReaderTests
{
    /// <summary>Every index of the device read in order, the way the Get- cmdlets walk them.</summary>
    private static IrqInfoResult[] ReadAll(VfioDevice device)
        => IrqInfoReader.AllIndexes(device).Select(index => IrqInfoReader.Read(device, index)).ToArray();

    [Fact]
    public void AllIndexes_AreZeroToNumIrqsMinusOne()
    {
        using var device = TestDevices.Create(new MainlineKernelChannel(), numIrqs: 6);
        Assert.Equal(new uint[] { 0, 1, 2, 3, 4, 5 }, IrqInfoReader.AllIndexes(device));
        using var empty = TestDevices.Create(new MainlineKernelChannel(), numIrqs: 0);
        Assert.Empty(IrqInfoReader.AllIndexes(empty));
    }

    // ---- devices opened through MockDevices ----

    [Fact]
    public void OpenBuiltIn_NamesTheDevice_AndRegistersItWhileOpen()
    {
        var device = MockDevices.OpenBuiltIn("gvt-vgpu");
        string name = device.Name;
        try
        {
            Assert.Matches(new Regex("^mock:gvt-vgpu/[0-9]+$"), name);
            Assert.True(device.IsOpen);
            Assert.Equal("gvt-vgpu", device.Profile);
            Assert.Equal(6u, device.NumIrqs);
            Assert.Equal(11u, device.NumRegions);
            Assert.Equal(VfioDeviceFlags.Pci, device.Flags);
            Assert.True(VfioDeviceRegistry.TryGet(name, out var found));
            Assert.Same(device, found);
        }
        finally
        {
            device.Dispose();
        }
        Assert.False(device.IsOpen);
        Assert.False(VfioDeviceRegistry.TryGet(name, out _));
    }

    [Fact]
    public void TwoOpens_GetDistinctNames()
    {
        using var first = MockDevices.OpenBuiltIn("edu");
        using var second = MockDevices.OpenBuiltIn("edu");
        Assert.NotEqual(first.Name, second.Name);
        Assert.True(VfioDeviceRegistry.TryGet(first.Name, out var a));
        Assert.True(VfioDeviceRegistry.TryGet(second.Name, out var b));
        Assert.Same(first, a);
        Assert.Same(second, b);
    }

    [Fact]
    public void ReadAfterDispose_FailsWithVfioDeviceClosed()
    {
        var device = MockDevices.OpenBuiltIn("e1000e");
        device.Dispose();
        var e = Assert.Throws<VfioException>(() => IrqInfoReader.Read(device, 0));
        Assert.Equal("VfioDeviceClosed", e.ErrorId);
    }

    [Fact]
    public void GvtVgpu_Index5_IsTheDisplayIrq()
    {
        using var device = MockDevices.OpenBuiltIn("gvt-vgpu");
        var result = IrqInfoReader.Read(device, 5);
        var info = result.Info;
        Assert.Null(result.Fault);
        Assert.True(info.Supported);
        Assert.Null(info.UnsupportedReason);
        Assert.Equal(device.Name, info.Device);
        Assert.Equal(5u, info.Index);
        Assert.Equal(1u, info.Count);
        Assert.Equal(VfioIrqFlags.EventFd | VfioIrqFlags.Caps, info.Flags);
        Assert.True(info.IsDeviceSpecific);
        Assert.Equal(1u, info.Type);
        Assert.Equal(1u, info.Subtype);
        Assert.Equal("GFX/DISPLAY", info.Name);
        var cap = Assert.Single(info.Capabilities);
        Assert.Equal(24u, cap.Offset);
        Assert.Equal((ushort)3, cap.Id);
        Assert.Equal((ushort)1, cap.Version);
        Assert.Equal(0u, cap.Next);
        Assert.Equal(1u, cap.Type);
        Assert.Equal(1u, cap.Subtype);
        Assert.Equal("Type", cap.Name);
        Assert.Equal(Bytes.Hex("03 00 01 00 00 00 00 00 01 00 00 00 01 00 00 00"), cap.Data);
    }

    [Fact]
    public void GvtVgpu_Index5_TakesExactlyTwoIoctls_Argsz20Then40()
    {
        var recorder = new RecordingChannel(new MockDeviceChannel(MockProfileReader.LoadBuiltIn("gvt-vgpu")));
        using var device = new VfioDevice("test:gvt-recorded", "gvt-vgpu", recorder, DeviceInfoReader.Read(recorder, "test:gvt-recorded"));
        recorder.Clear();

        var result = IrqInfoReader.Read(device, 5);

        Assert.Equal(1u, result.Info.Count);
        Assert.Collection(recorder.Calls,
            first =>
            {
                Assert.Equal(VfioIoctl.DeviceGetIrqInfo, first.Request);
                Assert.Equal(20u, first.ArgszIn);
                Assert.Equal(20, first.BufferLength);
                Assert.Equal(40u, first.ArgszOut); // the device asked for 40
            },
            second =>
            {
                Assert.Equal(VfioIoctl.DeviceGetIrqInfo, second.Request);
                Assert.Equal(40u, second.ArgszIn);
                Assert.Equal(40, second.BufferLength);
                Assert.Equal(40u, second.ArgszOut);
            });
    }

    [Fact]
    public void IndexWithoutCaps_TakesOneIoctl()
    {
        var recorder = new RecordingChannel(new MockDeviceChannel(MockProfileReader.LoadBuiltIn("e1000e")));
        using var device = TestDevices.Create(recorder);
        var info = IrqInfoReader.Read(device, 2).Info;
        Assert.Equal(5u, info.Count);
        var call = Assert.Single(recorder.Calls);
        Assert.Equal(20u, call.ArgszIn);
    }

    [Fact]
    public void Edu_Err_IsUnsupported_NotAnException()
    {
        using var device = MockDevices.OpenBuiltIn("edu");
        var result = IrqInfoReader.Read(device, 3);
        Assert.False(result.Info.Supported);
        Assert.Equal(0u, result.Info.Count);
        Assert.Equal(VfioIrqFlags.None, result.Info.Flags);
        Assert.Empty(result.Info.Capabilities);
        Assert.Contains("EINVAL", result.Info.UnsupportedReason);
        Assert.Equal("ERR", result.Info.Name);
        Assert.False(result.Info.IsDeviceSpecific);
        Assert.Null(result.Fault);
    }

    [Fact]
    public void Edu_MsiX_CountZero_IsSupported()
    {
        // Count 0 means "not implemented" in the ABI's words, but the device answered: the index exists.
        using var device = MockDevices.OpenBuiltIn("edu");
        var info = IrqInfoReader.Read(device, 2).Info;
        Assert.True(info.Supported);
        Assert.Equal(0u, info.Count);
        Assert.Equal(VfioIrqFlags.EventFd | VfioIrqFlags.NoResize, info.Flags);
        Assert.Equal("MSI-X", info.Name);
    }

    [Fact]
    public void E1000e_ReadAll_MatchesTheMeasuredTable()
    {
        using var device = MockDevices.OpenBuiltIn("e1000e");
        var all = ReadAll(device).Select(r => r.Info).ToArray();
        Assert.Equal(new[] { "INTx", "MSI", "MSI-X", "ERR", "REQ" }, all.Select(i => i.Name));
        Assert.Equal(new uint[] { 1, 1, 5, 1, 1 }, all.Select(i => i.Count));
        Assert.Equal(new uint[] { 0x7, 0x9, 0x9, 0x9, 0x9 }, all.Select(i => (uint)i.Flags));
        Assert.All(all, i => Assert.True(i.Supported));
        Assert.All(all, i => Assert.False(i.IsDeviceSpecific));
        Assert.All(all, i => Assert.Empty(i.Capabilities));
    }

    [Fact]
    public void GvtVgpu_ReadAll_RefusesTheIndexesKvmgtLacks()
    {
        using var device = MockDevices.OpenBuiltIn("gvt-vgpu");
        var all = ReadAll(device).Select(r => r.Info).ToArray();
        Assert.Equal(6, all.Length);
        Assert.Equal(new[] { true, true, false, false, false, true }, all.Select(i => i.Supported));
    }

    // ---- index bounds ----

    [Theory]
    [InlineData(5u)]
    [InlineData(6u)]
    [InlineData(0xFFFFFFFFu)]
    public void IndexAtOrPastNumIrqs_ThrowsWithoutAnIoctl(uint index)
    {
        var recorder = new RecordingChannel(new MockDeviceChannel(MockProfileReader.LoadBuiltIn("e1000e")));
        using var device = TestDevices.Create(recorder, numIrqs: 5);
        var e = Assert.Throws<VfioException>(() => IrqInfoReader.Read(device, index));
        Assert.Equal("VfioIrqIndexOutOfRange", e.ErrorId);
        Assert.Equal(VfioErrorKind.InvalidArgument, e.Kind);
        Assert.Empty(recorder.Calls);
    }

    // ---- argsz negotiation against misbehaving devices ----

    /// <summary>A device that sets the caps flag and asks for 8 more bytes than it was given, every time.</summary>
    private static IoctlResult AlwaysRaise(uint request, Span<byte> argument)
    {
        uint argsz = BinaryPrimitives.ReadUInt32LittleEndian(argument);
        BinaryPrimitives.WriteUInt32LittleEndian(argument, argsz + 8);
        BinaryPrimitives.WriteUInt32LittleEndian(argument.Slice(4), 0x11);
        BinaryPrimitives.WriteUInt32LittleEndian(argument.Slice(12), 1);
        return IoctlResult.Success;
    }

    [Fact]
    public void DeviceThatAlwaysRaisesArgsz_FailsNegotiation_AfterOneRetry()
    {
        var recorder = new RecordingChannel(new DelegateChannel(AlwaysRaise));
        using var device = TestDevices.Create(recorder, numIrqs: 6);
        var e = Assert.Throws<VfioException>(() => IrqInfoReader.Read(device, 5));
        Assert.Equal("VfioArgszNegotiationFailed", e.ErrorId);
        Assert.Equal(VfioErrorKind.ProtocolError, e.Kind);
        Assert.Equal(2, recorder.Calls.Count);
        Assert.Equal(28, recorder.Calls[1].BufferLength);
    }

    [Theory]
    [InlineData(65537u)]
    [InlineData(0x100000u)]
    [InlineData(0xFFFFFFFFu)]
    public void DeviceAskingForMoreThan64KiB_IsRefused_WithoutAllocatingIt(uint asked)
    {
        var recorder = new RecordingChannel(new DelegateChannel((request, argument) =>
        {
            BinaryPrimitives.WriteUInt32LittleEndian(argument, asked);
            BinaryPrimitives.WriteUInt32LittleEndian(argument.Slice(4), 0x11);
            return IoctlResult.Success;
        }));
        using var device = TestDevices.Create(recorder, numIrqs: 6);
        var e = Assert.Throws<VfioException>(() => IrqInfoReader.Read(device, 5));
        Assert.Equal("VfioArgszTooLarge", e.ErrorId);
        Assert.Equal(VfioErrorKind.LimitsExceeded, e.Kind);
        Assert.NotEmpty(recorder.Calls);
        Assert.All(recorder.Calls, c => Assert.True(c.BufferLength <= 64 * 1024, $"a {c.BufferLength}-byte buffer was passed"));
    }

    /// <summary>
    /// A device as the posted RFC kernels answer: the first capability right at 20 (no pad), argsz raised to exactly
    /// 20 + the chain, which ends with an unknown capability padded to <paramref name="required"/>.
    /// </summary>
    private static DelegateChannel RfcKernel(uint required) => new((request, argument) =>
    {
        if (request != VfioIoctl.DeviceGetIrqInfo) return IoctlResult.Fail(Errno.ENOTTY);
        byte[] copy = argument.ToArray();
        uint argsz = Bytes.U32(copy, 0);
        if (Bytes.U32(copy, 8) != 5) return IoctlResult.Fail(Errno.EINVAL);
        BinaryPrimitives.WriteUInt32LittleEndian(argument.Slice(4), 0x11);
        BinaryPrimitives.WriteUInt32LittleEndian(argument.Slice(12), 1);
        if (argsz < required)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(argument, required);
            if (argsz >= 20) BinaryPrimitives.WriteUInt32LittleEndian(argument.Slice(16), 0);
            return IoctlResult.Success;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(argument.Slice(16), 20);
        // TYPE at 20 (16 bytes) -> unknown id 0x99 at 36, which runs to the end of the answer.
        Bytes.Hex("03 00 01 00 24 00 00 00 01 00 00 00 02 00 00 00").CopyTo(argument.Slice(20));
        Bytes.Hex("99 00 07 00 00 00 00 00").CopyTo(argument.Slice(36));
        return IoctlResult.Success;
    });

    [Theory]
    [InlineData(44u)]
    [InlineData(65536u)] // exactly 64 KiB is still allowed
    public void RfcKernel_FirstCapabilityAt20_IsRead(uint required)
    {
        var recorder = new RecordingChannel(RfcKernel(required));
        using var device = TestDevices.Create(recorder, numIrqs: 6);
        var result = IrqInfoReader.Read(device, 5);
        Assert.Null(result.Fault);
        Assert.Equal(2, recorder.Calls.Count);
        Assert.Equal((int)required, recorder.Calls[1].BufferLength);
        Assert.Equal("GFX/Subtype2", result.Info.Name);
        Assert.Collection(result.Info.Capabilities,
            type => { Assert.Equal(20u, type.Offset); Assert.Equal((ushort)3, type.Id); Assert.Equal(2u, type.Subtype); },
            unknown =>
            {
                Assert.Equal(36u, unknown.Offset);
                Assert.Equal((ushort)0x99, unknown.Id);
                Assert.Equal((ushort)7, unknown.Version);
                Assert.Equal("Unknown", unknown.Name);
                Assert.Null(unknown.Type);
                Assert.Equal((int)required - 36, unknown.Data.Length); // an unknown capability runs to the end
            });
    }

    [Fact]
    public void CapsFlagWithCapOffsetZero_InAnAnswerThatFitted_IsAMissingChainFault()
    {
        using var device = TestDevices.WithIrqAnswer((request, argument) =>
        {
            BinaryPrimitives.WriteUInt32LittleEndian(argument.Slice(4), 0x11);
            BinaryPrimitives.WriteUInt32LittleEndian(argument.Slice(12), 1);
            return IoctlResult.Success; // argsz not raised, cap_offset left 0
        }, numIrqs: 6);
        var result = IrqInfoReader.Read(device, 5);
        Assert.NotNull(result.Fault);
        Assert.Equal(ChainFaultKind.MissingChain, result.Fault!.Kind);
        Assert.True(result.Info.Supported);
        Assert.Equal(1u, result.Info.Count);
        Assert.Empty(result.Info.Capabilities);
    }

    // ---- a mainline kernel: 16-byte answers, no caps, EINVAL for index >= 5 ----

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MainlineKernel_FixedIndexesReadCorrectly_AndBytesPast16AreNotUsed(bool poisonPastStruct)
    {
        var kernel = new MainlineKernelChannel(poisonPastStruct);
        var info = DeviceInfoReader.Read(kernel, "test:mainline");
        using var device = new VfioDevice("test:mainline", null, kernel, info);
        var all = ReadAll(device).ToArray();
        Assert.Equal(5, all.Length);
        Assert.All(all, r => Assert.Null(r.Fault));
        Assert.All(all, r => Assert.Empty(r.Info.Capabilities));
        Assert.All(all, r => Assert.Null(r.Info.Type));
        Assert.Equal(new uint[] { 1, 1, 5, 1, 1 }, all.Select(r => r.Info.Count));
        Assert.Equal(new uint[] { 0x7, 0x9, 0x9, 0x9, 0x9 }, all.Select(r => (uint)r.Info.Flags));
        Assert.Equal(new[] { "INTx", "MSI", "MSI-X", "ERR", "REQ" }, all.Select(r => r.Info.Name));
        Assert.Equal(5, kernel.IrqInfoCalls); // one call per index: nothing to negotiate
    }

    [Fact]
    public void MainlineKernel_DeviceSpecificIndex_IsUnsupported()
    {
        // A device that claims 6 indexes on a mainline kernel: index 5 is EINVAL, which reads as "not supported".
        var kernel = new MainlineKernelChannel();
        using var device = TestDevices.Create(kernel, numIrqs: 6);
        var info = IrqInfoReader.Read(device, 5).Info;
        Assert.False(info.Supported);
        Assert.True(info.IsDeviceSpecific);
        Assert.Equal("Index5", info.Name);
    }

    // ---- errnos other than EINVAL ----

    [Theory]
    [InlineData(Errno.EACCES, VfioErrorKind.PermissionDenied)]
    [InlineData(Errno.EPERM, VfioErrorKind.PermissionDenied)]
    [InlineData(Errno.ENOTTY, VfioErrorKind.NotImplemented)]
    [InlineData(Errno.EBUSY, VfioErrorKind.ResourceBusy)]
    [InlineData(Errno.ENODEV, VfioErrorKind.ObjectNotFound)]
    [InlineData(Errno.EFAULT, VfioErrorKind.InvalidArgument)]
    public void NonEinvalErrno_IsAVfioGetIrqInfoFailedException(Errno errno, VfioErrorKind kind)
    {
        using var device = TestDevices.WithIrqAnswer((request, argument) => IoctlResult.Fail(errno));
        var e = Assert.Throws<VfioException>(() => IrqInfoReader.Read(device, 0));
        Assert.Equal("VfioGetIrqInfoFailed", e.ErrorId);
        Assert.Equal(errno, e.Errno);
        Assert.Equal(kind, e.Kind);
        Assert.Equal(VfioException.KindFromErrno(errno), e.Kind);
        Assert.Contains(errno.ToString(), e.Message);
    }

    [Fact]
    public void ErrnoFromAMockProfile_ReachesTheReader()
    {
        var profile = MockProfileReader.Parse("""
            { "name": "denied", "device": { "flags": ["Pci"], "numRegions": 9, "numIrqs": 1 },
              "irqs": [ { "index": 0, "errno": "EACCES" } ] }
            """, "denied.json");
        var channel = new MockDeviceChannel(profile);
        using var device = new VfioDevice("test:denied", profile.Name, channel, DeviceInfoReader.Read(channel, "test:denied"));
        var e = Assert.Throws<VfioException>(() => IrqInfoReader.Read(device, 0));
        Assert.Equal("VfioGetIrqInfoFailed", e.ErrorId);
        Assert.Equal(VfioErrorKind.PermissionDenied, e.Kind);
    }

    [Theory]
    [InlineData(Errno.EINVAL, VfioErrorKind.InvalidArgument)]
    [InlineData(Errno.ENOENT, VfioErrorKind.ObjectNotFound)]
    [InlineData(Errno.ENODEV, VfioErrorKind.ObjectNotFound)]
    [InlineData(Errno.EACCES, VfioErrorKind.PermissionDenied)]
    [InlineData(Errno.EPERM, VfioErrorKind.PermissionDenied)]
    [InlineData(Errno.EBUSY, VfioErrorKind.ResourceBusy)]
    [InlineData(Errno.ENOTTY, VfioErrorKind.NotImplemented)]
    public void KindFromErrno_Mapping(Errno errno, VfioErrorKind kind)
        => Assert.Equal(kind, VfioException.KindFromErrno(errno));

    // ---- DeviceInfoReader and InfoQuery directly ----

    [Fact]
    public void DeviceInfoReader_E1000e_OneIoctlWith24Bytes()
    {
        var recorder = new RecordingChannel(new MockDeviceChannel(MockProfileReader.LoadBuiltIn("e1000e")));
        var info = DeviceInfoReader.Read(recorder, "test:e1000e");
        Assert.Equal(VfioDeviceFlags.Reset | VfioDeviceFlags.Pci, info.Flags);
        Assert.Equal(9u, info.NumRegions);
        Assert.Equal(5u, info.NumIrqs);
        Assert.Equal(0u, info.CapOffset);
        var call = Assert.Single(recorder.Calls);
        Assert.Equal(VfioIoctl.DeviceGetInfo, call.Request);
        Assert.Equal(24u, call.ArgszIn);
        Assert.Equal(24, call.BufferLength);
    }

    [Fact]
    public void DeviceInfoReader_Errno_IsVfioGetDeviceInfoFailed()
    {
        var channel = new DelegateChannel((request, argument) => IoctlResult.Fail(Errno.EBADF));
        var e = Assert.Throws<VfioException>(() => DeviceInfoReader.Read(channel, "test:x"));
        Assert.Equal("VfioGetDeviceInfoFailed", e.ErrorId);
        Assert.Equal(Errno.EBADF, e.Errno);
    }

    [Fact]
    public void DeviceInfoReader_OldKernelWriting16Bytes_Works()
    {
        // A kernel with the 16-byte struct copies back 16 bytes; the rest of the zeroed request stays 0.
        var channel = new DelegateChannel((request, argument) =>
        {
            Bytes.Hex("18 00 00 00 02 00 00 00 09 00 00 00 05 00 00 00").CopyTo(argument);
            return IoctlResult.Success;
        });
        var info = DeviceInfoReader.Read(channel, "test:old");
        Assert.Equal(VfioDeviceFlags.Pci, info.Flags);
        Assert.Equal(5u, info.NumIrqs);
    }

    [Fact]
    public void InfoQuery_Negotiate_StartingAt16_RetriesOnceWithTheSizeAsked()
    {
        var recorder = new RecordingChannel(new MockDeviceChannel(MockProfileReader.LoadBuiltIn("gvt-vgpu")));
        var answer = InfoQuery.Negotiate(recorder, VfioIoctl.DeviceGetIrqInfo, 16,
            (buffer, argsz) => VfioIrqInfoCodec.EncodeRequest(buffer, argsz, 5),
            buffer => (VfioIrqInfoCodec.Decode(buffer).Flags & VfioIrqFlags.Caps) != 0,
            "test", "test");
        Assert.False(answer.Result.IsError);
        Assert.Equal(40, answer.Buffer.Length);
        Assert.Equal(new uint[] { 16, 40 }, recorder.Calls.Select(c => c.ArgszIn));
        Assert.Equal(24u, VfioIrqInfoCodec.Decode(answer.Buffer).CapOffset);
    }

    [Fact]
    public void InfoQuery_Negotiate_ReturnsTheErrno()
    {
        var channel = new MockDeviceChannel(MockProfileReader.LoadBuiltIn("edu"));
        var answer = InfoQuery.Negotiate(channel, VfioIoctl.DeviceGetIrqInfo, 20,
            (buffer, argsz) => VfioIrqInfoCodec.EncodeRequest(buffer, argsz, 3),
            buffer => (VfioIrqInfoCodec.Decode(buffer).Flags & VfioIrqFlags.Caps) != 0,
            "test", "test");
        Assert.True(answer.Result.IsError);
        Assert.Equal(Errno.EINVAL, answer.Result.Errno);
    }
}
