using System;
using System.Linq;
using VfioPS.Abi;
using VfioPS.Mock;
using VfioPS.Operations;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>
/// Adding vectors to an enabled MSI/MSI-X index through IrqSetter: refused before any ioctl where the index answers
/// NORESIZE (Debian's 6.1 readings), sent and recorded where it does not (6.12's dynamic MSI-X), on the built-in
/// profiles of both kernels.
/// </summary>
[Collection(FdCountingCollection.Name)]
public sealed class IrqVectorGrowthTests
{
    private static VfioIrqInfo Info(VfioDevice device, uint index) => IrqInfoReader.Read(device, index).Info;

    private static IrqSetRequest Bind(uint index, uint start, params int[] fds)
        => new(index, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataEventFd, start, (uint)fds.Length, EventFds: fds);

    private static void Send(VfioDevice device, IrqSetRequest request)
    {
        var info = Info(device, request.Index);
        IrqSetter.Validate(device, info, request);
        IrqSetter.Apply(device, info.Name, request);
    }

    private static long SetIrqsCalls(VfioDevice device) => device.IoctlCounts.TryGetValue("VFIO_DEVICE_SET_IRQS", out long n) ? n : 0;

    [Fact]
    public void On61_AddingAVectorToTheEnabledMsix_IsVfioIrqNoResize_BeforeAnyIoctl()
    {
        using var device = MockDevices.OpenBuiltIn("e1000e");
        using var fds = new EventFdSet(3);
        Send(device, Bind(2, 0, fds[0].Fd, fds[1].Fd));
        Assert.Equal(2u, device.IrqRecord.Snapshot(device.Name, 2, "MSI-X").AllocatedVectors);
        long calls = SetIrqsCalls(device);

        var e = Assert.Throws<VfioException>(() => Send(device, Bind(2, 1, fds[1].Fd, fds[2].Fd)));
        Assert.Equal("VfioIrqNoResize", e.ErrorId);
        Assert.Equal(VfioErrorKind.InvalidOperation, e.Kind);
        Assert.Equal(device.Name, e.Target);
        Assert.Contains("enabled with vectors 0-1", e.Message);
        Assert.Contains("vector 2 cannot be added", e.Message);
        Assert.Contains("-EventFd with 3 eventfds", e.Message);
        Assert.Equal(calls, SetIrqsCalls(device));
        // Nothing changed: both vectors still fire, and the record still has them.
        Send(device, new IrqSetRequest(2, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataNone, 0, 2));
        Assert.Equal(new ulong[] { 1, 1, 0 }, fds.ReadAll());
        Assert.Equal(new uint[] { 0, 1 }, device.IrqRecord.Snapshot(device.Name, 2, "MSI-X").Vectors.Select(v => v.Vector));
    }

    [Fact]
    public void On61_RebindingAndDeassigningInsideTheAllocatedVectors_AreSent()
    {
        using var device = MockDevices.OpenBuiltIn("e1000e");
        using var fds = new EventFdSet(3);
        Send(device, Bind(2, 0, fds[0].Fd, fds[1].Fd));
        Send(device, Bind(2, 1, fds[2].Fd));
        Send(device, Bind(2, 0, -1));
        // -1 past the allocated vectors adds nothing, so NORESIZE does not stop it here; 6.1 refuses the range.
        var e = Assert.Throws<VfioException>(() => Send(device, Bind(2, 2, -1)));
        Assert.Equal("VfioSetIrqsInvalid", e.ErrorId);
        Send(device, new IrqSetRequest(2, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataNone, 0, 2));
        Assert.Equal(new ulong[] { 0, 0, 1 }, fds.ReadAll());
    }

    [Fact]
    public void On612_AddingVectorsToTheEnabledMsix_IsSent_AndTheOthersKeepTheirEventfds()
    {
        using var device = MockDevices.OpenBuiltIn("e1000e", "6.12");
        Assert.Equal(VfioIrqFlags.EventFd, Info(device, 2).Flags);
        using var fds = new EventFdSet(5);
        Send(device, Bind(2, 0, fds[0].Fd, fds[1].Fd));
        var grow = Bind(2, 2, fds[2].Fd, fds[3].Fd, fds[4].Fd);
        Assert.Equal("; adds vectors 2-4 to the enabled index (no NORESIZE: the other vectors keep running)", IrqVectorGrowth.Describe(device, grow));
        Send(device, grow);
        var state = device.IrqRecord.Snapshot(device.Name, 2, "MSI-X");
        Assert.Equal(5u, state.AllocatedVectors);
        Assert.Equal(new uint[] { 0, 1, 2, 3, 4 }, state.Vectors.Select(v => v.Vector));
        Send(device, new IrqSetRequest(2, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataNone, 0, 5));
        Assert.Equal(new ulong[] { 1, 1, 1, 1, 1 }, fds.ReadAll());
        Assert.Equal("", IrqVectorGrowth.Describe(device, Bind(2, 0, fds[0].Fd)));
        // Disabled, the record forgets the allocation; the next bind enables again with start + count.
        Send(device, new IrqSetRequest(2, VfioIrqSetFlags.ActionTrigger, VfioIrqSetFlags.DataNone, 0, 0));
        Assert.Equal(0u, device.IrqRecord.Snapshot(device.Name, 2, "MSI-X").AllocatedVectors);
        Assert.Null(IrqVectorGrowth.Added(device, Bind(2, 3, fds[3].Fd)));
    }

    [Fact]
    public void Msi_KeepsNoResizeOn612_SoItsIndexNeverGrows()
    {
        // MSI answers NORESIZE on every kernel; e1000e's MSI has one vector, so the range check comes first.
        using var device = MockDevices.OpenBuiltIn("e1000e-6.12");
        Assert.True((Info(device, 1).Flags & VfioIrqFlags.NoResize) != 0);
        Assert.Null(IrqVectorGrowth.Added(device, Bind(1, 0, 5)));
    }

    [Fact]
    public void AllocatedAfter_IsStartPlusCountAtEnable_ThenTheHighestVectorBound()
    {
        Assert.Equal(3u, IrqVectorGrowth.AllocatedAfter(null, Bind(2, 2, 7)));
        Assert.Equal(3u, IrqVectorGrowth.AllocatedAfter(3, Bind(2, 1, 7)));
        Assert.Equal(5u, IrqVectorGrowth.AllocatedAfter(3, Bind(2, 3, 7, 8)));
        Assert.Equal(3u, IrqVectorGrowth.AllocatedAfter(3, Bind(2, 3, -1, -1)));
        Assert.Equal(0u, IrqVectorGrowth.AllocatedAfter(null, Bind(0, 0, 7)));
    }
}
