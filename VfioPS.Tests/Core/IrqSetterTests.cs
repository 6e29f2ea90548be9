using System;
using System.Collections.Generic;
using System.Linq;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Mock;
using VfioPS.Native;
using VfioPS.Operations;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>
/// IrqSetter: the bytes of a request, the checks made before any ioctl (each with its own id), the mapping of the
/// device's answers, and the module's record of what it enabled.
/// </summary>
public sealed class IrqSetterTests
{
    private static VfioIrqInfo Info(VfioDevice device, uint index) => IrqInfoReader.Read(device, index).Info;

    [Fact]
    public void EventFdRequestsEncodeHeaderAndPayloadWithExactArgsz()
    {
        var request = new IrqSetRequest(2, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataEventFd, 3, 2, EventFds: new[] { 7, -1 });
        // argsz 28, flags 0x24, index 2, start 3, count 2, fds 7 and -1 (vfio-abi.md §1.2 vfio_irq_set).
        Assert.Equal(Bytes.Hex("1C000000 24000000 02000000 03000000 02000000 07000000 FFFFFFFF"), request.Encode());
    }

    [Fact]
    public void BoolAndNoneRequestsEncodeAsTheKernelReadsThem()
    {
        Assert.Equal(Bytes.Hex("16000000 22000000 02000000 00000000 02000000 00 01"),
            new IrqSetRequest(2, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataBool, 0, 2, Bools: new[] { false, true }).Encode());
        Assert.Equal(Bytes.Hex("14000000 21000000 01000000 00000000 00000000"),
            new IrqSetRequest(1, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataNone, 0, 0).Encode());
        Assert.Equal("ACTION_MASK|DATA_BOOL", VfioIrqSetCodec.Describe(VfioIrqSetFlags.ActionMask | VfioIrqSetFlags.DataBool));
    }

    [Theory]
    [InlineData("e1000e", 2u, 5u, 1u, "VfioIrqRangeInvalid")]   // start == count
    [InlineData("e1000e", 2u, 0u, 6u, "VfioIrqRangeInvalid")]   // count + 1
    [InlineData("e1000e", 0u, 1u, 1u, "VfioIrqRangeInvalid")]   // INTx start 1
    [InlineData("edu", 2u, 0u, 0u, "VfioIrqRangeInvalid")]      // count-0 index: even a disable
    [InlineData("edu", 3u, 0u, 1u, "VfioIrqIndexUnsupported")]  // ERR refused by the device
    public void WhatTheKernelSurelyRefusesIsRejectedBeforeAnyIoctl(string profile, uint index, uint start, uint count, string id)
    {
        using var device = MockDevices.OpenBuiltIn(profile);
        var request = new IrqSetRequest(index, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataNone, start, count);
        var e = Assert.Throws<VfioException>(() => IrqSetter.Validate(device, Info(device, index), request));
        Assert.Equal(id, e.ErrorId);
        Assert.Equal(VfioErrorKind.InvalidArgument, e.Kind);
        Assert.Equal(device.Name, e.Target);
        Assert.False(device.IoctlCounts.ContainsKey("VFIO_DEVICE_SET_IRQS"));
    }

    [Fact]
    public void PayloadShorterThanCountIsAMismatch()
    {
        using var device = MockDevices.OpenBuiltIn("e1000e");
        var request = new IrqSetRequest(2, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataEventFd, 0, 3, EventFds: new[] { -1, -1 });
        Assert.Equal("VfioIrqPayloadMismatch", Assert.Throws<VfioException>(() => IrqSetter.Validate(device, Info(device, 2), request)).ErrorId);
    }

    [Theory]
    [InlineData(Errno.EINVAL, "VfioSetIrqsInvalid", VfioErrorKind.InvalidArgument)]
    [InlineData(Errno.ENOTTY, "VfioIrqActionNotSupported", VfioErrorKind.NotImplemented)]
    [InlineData(Errno.EBADF, "VfioEventFdInvalid", VfioErrorKind.InvalidArgument)]
    [InlineData(Errno.EBUSY, "VfioSetIrqsFailed", VfioErrorKind.ResourceBusy)]
    public void DeviceRefusalsAreMappedFromErrno(Errno errno, string id, VfioErrorKind kind)
    {
        using var device = FakeDevice((request, _) => request == VfioIoctl.DeviceSetIrqs ? IoctlResult.Fail(errno) : IoctlResult.Fail(Errno.ENOTTY));
        var request = new IrqSetRequest(1, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataEventFd, 0, 1, EventFds: new[] { 12345 });
        var e = Assert.Throws<VfioException>(() => IrqSetter.Apply(device, "MSI", request));
        Assert.Equal(id, e.ErrorId);
        Assert.Equal(kind, e.Kind);
        Assert.Equal(errno, e.Errno);
        if (errno == Errno.EBADF) Assert.Contains("12345", e.Message);
        Assert.False(device.IrqRecord.IsEnabled(1));
    }

    [Fact]
    public void APositiveReturnIsTheNumberOfVectorsAvailableAndNothingIsRecorded()
    {
        using var device = FakeDevice((request, _) => new IoctlResult(4, Errno.None));
        var request = new IrqSetRequest(2, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataEventFd, 0, 6, EventFds: Enumerable.Repeat(-1, 6).ToArray());
        var e = Assert.Throws<VfioException>(() => IrqSetter.Apply(device, "MSI-X", request));
        Assert.Equal("VfioIrqVectorsUnavailable", e.ErrorId);
        Assert.Equal(VfioErrorKind.ResourceUnavailable, e.Kind);
        Assert.Contains("only 4 vectors", e.Message);
        Assert.False(device.IrqRecord.IsEnabled(2));
    }

    [Fact]
    public void AllVectorsGoInOneIoctlAndTheRecordFollowsBindUnbindAndDisable()
    {
        using var device = MockDevices.OpenBuiltIn("e1000e");
        var fds = Enumerable.Range(0, 5).Select(_ => FileDescriptors.CreateEventFd()).ToArray();
        try
        {
            IrqSetter.Apply(device, "MSI-X", new IrqSetRequest(2, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataEventFd, 0, 5, EventFds: fds.Select(f => f.Fd).ToArray()));
            Assert.Equal(1, device.IoctlCounts["VFIO_DEVICE_SET_IRQS"]);
            var state = device.IrqRecord.Snapshot(device.Name, 2, "MSI-X");
            Assert.True(state.Enabled);
            Assert.Equal(fds.Select(f => f.Fd), state.Vectors.Select(v => v.EventFd));

            IrqSetter.Apply(device, "MSI-X", new IrqSetRequest(2, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataEventFd, 2, 1, EventFds: new[] { -1 }));
            Assert.Equal(new uint[] { 0, 1, 3, 4 }, device.IrqRecord.Snapshot(device.Name, 2, "MSI-X").Vectors.Select(v => v.Vector));
            Assert.Equal((2u, 3u), device.IrqRecord.FindBinding(fds[3].Fd));

            IrqSetter.Apply(device, "MSI-X", new IrqSetRequest(2, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataNone, 0, 0));
            var off = device.IrqRecord.Snapshot(device.Name, 2, "MSI-X");
            Assert.False(off.Enabled);
            Assert.Empty(off.Vectors);
        }
        finally
        {
            foreach (var f in fds) f.Dispose();
        }
    }

    [Fact]
    public void MaskAndUnmaskAreRecordedForIntx()
    {
        using var device = MockDevices.OpenBuiltIn("e1000e");
        using var fd = FileDescriptors.CreateEventFd();
        IrqSetter.Apply(device, "INTx", new IrqSetRequest(0, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataEventFd, 0, 1, EventFds: new[] { fd.Fd }));
        IrqSetter.Apply(device, "INTx", new IrqSetRequest(0, VfioIrqSetFlags.ActionMask, VfioIrqSetFlags.DataNone, 0, 1));
        Assert.True(device.IrqRecord.Snapshot(device.Name, 0, "INTx").Masked);
        IrqSetter.Apply(device, "INTx", new IrqSetRequest(0, VfioIrqSetFlags.ActionUnmask, VfioIrqSetFlags.DataBool, 0, 1, Bools: new[] { true }));
        Assert.False(device.IrqRecord.Snapshot(device.Name, 0, "INTx").Masked);
    }

    [Fact]
    public void ARefusedRebindOnAnEnabledIndexDropsTheVectorsOfThatCallFromTheRecord()
    {
        using var device = MockDevices.OpenBuiltIn("e1000e");
        var fds = Enumerable.Range(0, 2).Select(_ => FileDescriptors.CreateEventFd()).ToArray();
        try
        {
            IrqSetter.Apply(device, "MSI-X", new IrqSetRequest(2, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataEventFd, 0, 2, EventFds: fds.Select(f => f.Fd).ToArray()));
            var bad = new IrqSetRequest(2, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataEventFd, 0, 2, EventFds: new[] { fds[0].Fd, 12345 });
            Assert.Equal("VfioEventFdInvalid", Assert.Throws<VfioException>(() => IrqSetter.Apply(device, "MSI-X", bad)).ErrorId);
            // The kernel de-assigned vector 0, which this call had set before vector 1 failed.
            Assert.Empty(device.IrqRecord.Snapshot(device.Name, 2, "MSI-X").Vectors);
        }
        finally
        {
            foreach (var f in fds) f.Dispose();
        }
    }

    private static VfioDevice FakeDevice(IoctlHandler handler)
        => new("fake:setter", null, new DelegateChannel(handler), new VfioDeviceInfoData(24, VfioDeviceFlags.Pci, 9, 5, 0));
}
