using System;
using System.Linq;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Mock;
using VfioPS.Native;
using Xunit;
using static VfioPS.Core.Tests.IrqSet;
using static VfioPS.Core.Tests.SetIrqsAssert;

namespace VfioPS.Core.Tests;

/// <summary>
/// VFIO_DEVICE_SET_IRQS state on the mock device with real eventfds: binding, loopback (DATA_NONE/DATA_BOOL with
/// ACTION_TRIGGER signals the bound eventfds, vfio-abi.md §2.7 and §7), de-assigning, NORESIZE, disable, INTx/MSI/MSI-X
/// exclusivity, the positive partial-allocation return, rollback, ERR/REQ single triggers, a device-specific index, and
/// the mock's own dup of every bound eventfd. Serial, because some tests count the process's fds.
/// </summary>
[Collection(FdCountingCollection.Name)]
public class MockSetIrqsStateTests
{
    // ---- MSI-X on e1000e (count 5, EVENTFD|NORESIZE) ----

    [Fact]
    public void MsiX_FiveEventfds_TriggerVector4_SignalsOnlyEventfd4()
    {
        using var channel = SetIrqsProfiles.Open("e1000e");
        using var fds = new EventFdSet(5);
        Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 0, fds.Fds)));
        Ok(channel.SetIrqs(None(Trigger, MsiX, 4, 1)));
        Assert.Equal(new ulong[] { 0, 0, 0, 0, 1 }, fds.ReadAll());
        // And each vector on its own reaches its own eventfd.
        for (uint v = 0; v < 5; v++)
        {
            Ok(channel.SetIrqs(None(Trigger, MsiX, v, 1)));
            Assert.Equal(Enumerable.Range(0, 5).Select(i => i == v ? 1ul : 0ul).ToArray(), fds.ReadAll());
        }
    }

    [Fact]
    public void MsiX_TriggerBool_SignalsExactlyTheVectorsSetTo1()
    {
        using var channel = SetIrqsProfiles.Open("e1000e");
        using var fds = new EventFdSet(5);
        Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 0, fds.Fds)));
        Ok(channel.SetIrqs(Bool(Trigger, MsiX, 0, 0, 1, 0, 0, 1)));
        Assert.Equal(new ulong[] { 0, 1, 0, 0, 1 }, fds.ReadAll());
        // A BOOL block starting past 0 indexes its data from start: data[i - start].
        Ok(channel.SetIrqs(Bool(Trigger, MsiX, 2, 1, 0, 1)));
        Assert.Equal(new ulong[] { 0, 0, 1, 0, 1 }, fds.ReadAll());
    }

    [Fact]
    public void MsiX_DeassignVector2WithMinus1_ThenTriggerAll_Vector2NotSignalled()
    {
        using var channel = SetIrqsProfiles.Open("e1000e");
        using var fds = new EventFdSet(5);
        Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 0, fds.Fds)));
        Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 2, -1)));
        Ok(channel.SetIrqs(None(Trigger, MsiX, 0, 5))); // a vector without a trigger is skipped silently
        Assert.Equal(new ulong[] { 1, 1, 0, 1, 1 }, fds.ReadAll());
        Assert.False(channel.RaiseInterrupt(MsiX, 2));
    }

    [Fact]
    public void MsiX_RebindWhileEnabled_MovesTheVectorToTheNewEventfd()
    {
        using var channel = SetIrqsProfiles.Open("e1000e");
        using var fds = new EventFdSet(5);
        using var other = new EventFdSet(1);
        Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 0, fds.Fds)));
        Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 3, other[0].Fd)));
        Ok(channel.SetIrqs(None(Trigger, MsiX, 0, 5)));
        Assert.Equal(new ulong[] { 1, 1, 1, 0, 1 }, fds.ReadAll());
        Assert.Equal(new ulong[] { 1 }, other.ReadAll());
    }

    [Fact]
    public void MsiX_NoResize_BindingPastTheEnabledVectors_IsEINVAL()
    {
        using var channel = SetIrqsProfiles.Open("e1000e");
        using var fds = new EventFdSet(3);
        Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 0, fds[0].Fd, fds[1].Fd))); // enabled with nvec = 2
        Refused(Errno.EINVAL, channel.SetIrqs(EventFds(Trigger, MsiX, 2, fds[2].Fd)));
        // The two vectors are unharmed and vector 2 does not exist.
        Ok(channel.SetIrqs(None(Trigger, MsiX, 0, 2)));
        Assert.Equal(new ulong[] { 1, 1, 0 }, fds.ReadAll());
        Assert.False(channel.RaiseInterrupt(MsiX, 2));
    }

    [Fact]
    public void MsiX_WithoutNoResize_GrowsOnDemand()
    {
        // §2.4/§2.7: without NORESIZE (dynamic MSI-X), new vectors are allocated on demand.
        using var channel = SetIrqsProfiles.Open(SetIrqsProfiles.DynamicMsix());
        using var fds = new EventFdSet(3);
        Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 0, fds[0].Fd, fds[1].Fd)));
        Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 2, fds[2].Fd)));
        Ok(channel.SetIrqs(None(Trigger, MsiX, 2, 1)));
        Assert.Equal(new ulong[] { 0, 0, 1 }, fds.ReadAll());
        Ok(channel.SetIrqs(None(Trigger, MsiX, 0, 3)));
        Assert.Equal(new ulong[] { 1, 1, 1 }, fds.ReadAll());
        // The index's count still bounds it (§2.5 step 2).
        Refused(Errno.EINVAL, channel.SetIrqs(EventFds(Trigger, MsiX, 5, fds[0].Fd)));
    }

    [Fact]
    public void MsiX_Disable_ReturnsZero_ThenLoopbackIsEINVAL_AndINTxCanBeEnabled()
    {
        using var channel = SetIrqsProfiles.Open("e1000e");
        using var fds = new EventFdSet(5);
        using var intx = new EventFdSet(1);
        Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 0, fds.Fds)));

        // Exclusive while MSI-X is on.
        Refused(Errno.EINVAL, channel.SetIrqs(EventFds(Trigger, IntX, 0, intx[0].Fd)));
        Refused(Errno.EINVAL, channel.SetIrqs(EventFds(Trigger, Msi, 0, intx[0].Fd)));

        Ok(channel.SetIrqs(None(Trigger, MsiX, 0, 0)));
        Refused(Errno.EINVAL, channel.SetIrqs(None(Trigger, MsiX, 0, 1)));
        Refused(Errno.EINVAL, channel.SetIrqs(None(Trigger, MsiX, 0, 0))); // nothing left to disable
        Assert.Equal(new ulong[5], fds.ReadAll());
        Assert.False(channel.RaiseInterrupt(MsiX, 0));

        Ok(channel.SetIrqs(EventFds(Trigger, IntX, 0, intx[0].Fd)));
        Ok(channel.SetIrqs(None(Trigger, IntX, 0, 1)));
        Assert.Equal(new ulong[] { 1 }, intx.ReadAll());
        // And now MSI-X is the one refused.
        Refused(Errno.EINVAL, channel.SetIrqs(EventFds(Trigger, MsiX, 0, fds[0].Fd)));
    }

    [Fact]
    public void Msi_EnableLoopbackDisable_ThenMsiXCanBeEnabled()
    {
        using var channel = SetIrqsProfiles.Open("e1000e");
        using var fds = new EventFdSet(2);
        Ok(channel.SetIrqs(EventFds(Trigger, Msi, 0, fds[0].Fd)));
        Refused(Errno.EINVAL, channel.SetIrqs(EventFds(Trigger, MsiX, 0, fds[1].Fd)));
        Ok(channel.SetIrqs(Bool(Trigger, Msi, 0, 1)));
        Assert.Equal(new ulong[] { 1, 0 }, fds.ReadAll());
        Ok(channel.SetIrqs(None(Trigger, Msi, 0, 0)));
        Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 0, fds[1].Fd)));
        Ok(channel.SetIrqs(None(Trigger, MsiX, 0, 1)));
        Assert.Equal(new ulong[] { 0, 1 }, fds.ReadAll());
    }

    [Fact]
    public void MsiX_EnableWithStart2Count1_AllocatesThreeVectors()
    {
        // §2.7: the index is enabled with nvec = start + count.
        using var channel = SetIrqsProfiles.Open("e1000e");
        using var fds = new EventFdSet(4);
        Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 2, fds[2].Fd)));
        Ok(channel.SetIrqs(None(Trigger, MsiX, 0, 3)));
        Assert.Equal(new ulong[] { 0, 0, 1, 0 }, fds.ReadAll());
        // Vectors 0 and 1 exist (binding them needs no resize); vector 3 does not (NORESIZE).
        Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 0, fds[0].Fd, fds[1].Fd)));
        Refused(Errno.EINVAL, channel.SetIrqs(EventFds(Trigger, MsiX, 3, fds[3].Fd)));
        Ok(channel.SetIrqs(None(Trigger, MsiX, 0, 3)));
        Assert.Equal(new ulong[] { 1, 1, 1, 0 }, fds.ReadAll());
    }

    [Fact]
    public void MsiX_PartialAllocation_ReturnsThePositiveNumberAvailable_AndEnablesNothing()
    {
        // §2.7 quirk: vfio_msi_enable returns the number of vectors it could get, and the ioctl returns it.
        using var channel = SetIrqsProfiles.Open(SetIrqsProfiles.MsixPlatformLimit());
        using var fds = new EventFdSet(6);
        using var intx = new EventFdSet(1);
        Assert.Equal(new IoctlResult(4, Errno.None), channel.SetIrqs(EventFds(Trigger, MsiX, 0, fds.Fds)));

        Refused(Errno.EINVAL, channel.SetIrqs(None(Trigger, MsiX, 0, 1)));
        Assert.False(channel.RaiseInterrupt(MsiX, 0));
        Assert.Equal(new ulong[6], fds.ReadAll());
        Ok(channel.SetIrqs(EventFds(Trigger, IntX, 0, intx[0].Fd)));
    }

    [Fact]
    public void MsiX_PlatformLimit_ExactlyTheAvailableVectors_Succeeds()
    {
        using var channel = SetIrqsProfiles.Open(SetIrqsProfiles.MsixPlatformLimit());
        using var fds = new EventFdSet(4);
        Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 0, fds.Fds)));
        Ok(channel.SetIrqs(None(Trigger, MsiX, 0, 4)));
        Assert.Equal(new ulong[] { 1, 1, 1, 1 }, fds.ReadAll());
    }

    [Fact]
    public void MsiX_FailedBindOnAnEnabledIndex_RollsBackTheVectorsSetInThisCall()
    {
        using var channel = SetIrqsProfiles.Open("e1000e");
        using var fds = new EventFdSet(3);
        using var foreign = new ForeignFds();
        // Enabled with all five vectors allocated, only vector 4 bound.
        Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 0, -1, -1, -1, -1, fds[2].Fd)));

        Refused(Errno.EBADF, channel.SetIrqs(EventFds(Trigger, MsiX, 0, fds[0].Fd, fds[1].Fd, foreign.NotOpen)));
        Ok(channel.SetIrqs(None(Trigger, MsiX, 0, 5))); // still enabled
        Assert.Equal(new ulong[] { 0, 0, 1 }, fds.ReadAll()); // vectors 0 and 1 de-assigned again, vector 4 untouched

        Refused(Errno.EINVAL, channel.SetIrqs(EventFds(Trigger, MsiX, 0, fds[0].Fd, foreign.NotEventFd)));
        Ok(channel.SetIrqs(None(Trigger, MsiX, 0, 5)));
        Assert.Equal(new ulong[] { 0, 0, 1 }, fds.ReadAll());
    }

    [Fact]
    public void MsiX_FailedEnable_LeavesTheIndexDisabled()
    {
        using var channel = SetIrqsProfiles.Open("e1000e");
        using var fds = new EventFdSet(3);
        using var foreign = new ForeignFds();
        Refused(Errno.EBADF, channel.SetIrqs(EventFds(Trigger, MsiX, 0, fds[0].Fd, fds[1].Fd, foreign.NotOpen)));
        Refused(Errno.EINVAL, channel.SetIrqs(None(Trigger, MsiX, 0, 2)));
        Assert.False(channel.RaiseInterrupt(MsiX, 0));
        Assert.Equal(new ulong[3], fds.ReadAll());
        Ok(channel.SetIrqs(EventFds(Trigger, IntX, 0, fds[2].Fd))); // nothing is left enabled
    }

    // ---- the mock's own dup of every bound eventfd ----

    [Fact]
    public void BoundEventfd_IsTheMocksOwnDup_CallerMayCloseIt()
    {
        int baseline = FdCount.Settled();
        using (var channel = SetIrqsProfiles.Open("e1000e"))
        {
            var caller = FileDescriptors.CreateEventFd();
            // A second reference of the test's own to the same eventfd, to see the signal after the caller closes.
            Assert.Equal(Errno.None, FileDescriptors.TryDupEventFd(caller.Fd, out var watcher));
            using (watcher)
            {
                Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 0, caller.Fd)));
                Assert.Equal(baseline + 3, FdCount.Now()); // caller, watcher, the mock's dup
                caller.Dispose();

                // The number may be reused by the next eventfd; the mock must not write to it.
                using var reused = new EventFdSet(1);
                Ok(channel.SetIrqs(None(Trigger, MsiX, 0, 1)));
                Assert.True(channel.RaiseInterrupt(MsiX, 0));
                Assert.Equal(2ul, FileDescriptors.ReadCounter(watcher!));
                Assert.Equal(new ulong[] { 0 }, reused.ReadAll());

                Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 0, -1))); // de-assign: the mock closes its dup
                Assert.Equal(baseline + 2, FdCount.Now()); // watcher and reused
            }
        }
        FdCount.AssertNow(baseline, "after de-assign");
    }

    [Fact]
    public void BoundEventfds_AreClosedWhenTheChannelIsDisposed()
    {
        int baseline = FdCount.Settled();
        using var fds = new EventFdSet(5);
        using var single = new EventFdSet(1);
        var channel = SetIrqsProfiles.Open("e1000e");
        Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 0, fds.Fds)));
        Ok(channel.SetIrqs(EventFds(Trigger, Err, 0, single[0].Fd)));
        Ok(channel.SetIrqs(EventFds(Trigger, Req, 0, single[0].Fd)));
        Assert.Equal(baseline + 6 + 7, FdCount.Now());
        channel.Dispose();
        FdCount.AssertNow(baseline + 6, "after channel Dispose (the test's 6 eventfds still open)");
        GC.KeepAlive(channel); // so a leaked handle cannot be closed by its finalizer while we count
    }

    [Fact]
    public void RefusedBinds_LeaveNoFdBehind()
    {
        // A bind refused because the fd is not an eventfd must close whatever reference it took to look at it.
        using var foreign = new ForeignFds();
        using var channel = SetIrqsProfiles.Open("e1000e");
        using var fds = new EventFdSet(5);
        int baseline = FdCount.Settled();
        for (int i = 0; i < 20; i++)
        {
            Refused(Errno.EINVAL, channel.SetIrqs(EventFds(Trigger, IntX, 0, foreign.NotEventFd)));
            Refused(Errno.EINVAL, channel.SetIrqs(EventFds(Trigger, MsiX, 0, fds[0].Fd, fds[1].Fd, foreign.NotEventFd)));
            Refused(Errno.EINVAL, channel.SetIrqs(EventFds(Trigger, Err, 0, foreign.NotEventFd)));
            Refused(Errno.EBADF, channel.SetIrqs(EventFds(Trigger, Msi, 0, foreign.NotOpen)));
        }
        Ok(channel.SetIrqs(EventFds(Trigger, IntX, 0, fds[0].Fd)));
        for (int i = 0; i < 20; i++)
            Refused(Errno.EINVAL, channel.SetIrqs(EventFds(Unmask, IntX, 0, foreign.NotEventFd)));
        Ok(channel.SetIrqs(None(Trigger, IntX, 0, 0)));
        FdCount.AssertNow(baseline, "after refused binds");
    }

    // ---- ERR / REQ (count 1 on e1000e) ----

    [Theory]
    [InlineData(Err)]
    [InlineData(Req)]
    public void ErrReq_BindLoopbackRelease(uint index)
    {
        using var channel = SetIrqsProfiles.Open("e1000e");
        using var fd = new EventFdSet(1);

        Ok(channel.SetIrqs(EventFds(Trigger, index, 0, fd[0].Fd)));
        Ok(channel.SetIrqs(None(Trigger, index, 0, 1)));
        Assert.Equal(new ulong[] { 1 }, fd.ReadAll());
        Assert.True(channel.RaiseInterrupt(index, 0));
        Assert.Equal(new ulong[] { 1 }, fd.ReadAll());

        // NONE count 0 releases; then NONE count 1 has no trigger: EINVAL.
        Ok(channel.SetIrqs(None(Trigger, index, 0, 0)));
        Refused(Errno.EINVAL, channel.SetIrqs(None(Trigger, index, 0, 1)));
        Assert.Equal(new ulong[] { 0 }, fd.ReadAll());

        // BOOL 1 signals, BOOL 0 does not.
        Ok(channel.SetIrqs(EventFds(Trigger, index, 0, fd[0].Fd)));
        Ok(channel.SetIrqs(Bool(Trigger, index, 0, 1)));
        Assert.Equal(new ulong[] { 1 }, fd.ReadAll());
        Ok(channel.SetIrqs(Bool(Trigger, index, 0, 0)));
        Assert.Equal(new ulong[] { 0 }, fd.ReadAll());

        // fd -1 releases; BOOL without a trigger returns 0 and signals nothing.
        Ok(channel.SetIrqs(EventFds(Trigger, index, 0, -1)));
        Ok(channel.SetIrqs(Bool(Trigger, index, 0, 1)));
        Assert.Equal(new ulong[] { 0 }, fd.ReadAll());
        Refused(Errno.EINVAL, channel.SetIrqs(None(Trigger, index, 0, 1)));
        Assert.False(channel.RaiseInterrupt(index, 0));
    }

    [Fact]
    public void ErrAndReq_AreIndependentOfEachOtherAndOfMsiX()
    {
        using var channel = SetIrqsProfiles.Open("e1000e");
        using var fds = new EventFdSet(3);
        Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 0, fds[0].Fd)));
        Ok(channel.SetIrqs(EventFds(Trigger, Err, 0, fds[1].Fd)));
        Ok(channel.SetIrqs(EventFds(Trigger, Req, 0, fds[2].Fd)));
        Ok(channel.SetIrqs(None(Trigger, Req, 0, 1)));
        Assert.Equal(new ulong[] { 0, 0, 1 }, fds.ReadAll());
        Ok(channel.SetIrqs(None(Trigger, MsiX, 0, 0))); // disabling MSI-X leaves ERR and REQ bound
        Ok(channel.SetIrqs(None(Trigger, Err, 0, 1)));
        Assert.Equal(new ulong[] { 0, 1, 0 }, fds.ReadAll());
    }

    // ---- a device-specific index (gvt-vgpu index 5, count 1) ----

    [Fact]
    public void GvtVgpu_Index5_BindLoopback_ReleasedAtClose()
    {
        using var fd = new EventFdSet(1);
        int baseline = FdCount.Settled();
        var channel = SetIrqsProfiles.Open("gvt-vgpu");
        Ok(channel.SetIrqs(EventFds(Trigger, 5, 0, fd[0].Fd)));
        Ok(channel.SetIrqs(None(Trigger, 5, 0, 1)));
        Assert.Equal(new ulong[] { 1 }, fd.ReadAll());
        Ok(channel.SetIrqs(Bool(Trigger, 5, 0, 0)));
        Assert.Equal(new ulong[] { 0 }, fd.ReadAll());
        Ok(channel.SetIrqs(Bool(Trigger, 5, 0, 1)));
        Assert.Equal(new ulong[] { 1 }, fd.ReadAll());
        Assert.True(channel.RaiseInterrupt(5, 0));
        Assert.Equal(new ulong[] { 1 }, fd.ReadAll());
        Ok(channel.SetIrqs(EventFds(Trigger, 5, 0, -1)));
        Ok(channel.SetIrqs(None(Trigger, 5, 0, 1)));
        Assert.Equal(new ulong[] { 0 }, fd.ReadAll());

        Ok(channel.SetIrqs(EventFds(Trigger, 5, 0, fd[0].Fd)));
        Assert.Equal(baseline + 1, FdCount.Now()); // the mock's dup
        channel.Dispose();
        FdCount.AssertNow(baseline, "after the channel's Dispose");
        GC.KeepAlive(channel); // so a leaked handle cannot be closed by its finalizer while we count
        Assert.False(channel.RaiseInterrupt(5, 0));
    }

    // ---- 2048 vectors in one call ----

    [Fact]
    public void MsiX_2048Vectors_OneSetIrqs_LoopsBack_AndLeaksNothing()
    {
        int baseline = FdCount.Settled();
        using (var fds = new EventFdSet(2048))
        {
            var mock = SetIrqsProfiles.Open(SetIrqsProfiles.Msix2048());
            using (var recorder = new RecordingChannel(mock)) // disposes the mock
            {
                Ok(recorder.SetIrqs(EventFds(Trigger, MsiX, 0, fds.Fds)));
                Assert.Equal(IrqSet.Request, Assert.Single(recorder.Calls).Request); // all 2048 in one SET_IRQS
                Assert.Equal(baseline + 4096, FdCount.Now()); // one dup per vector

                // Loopback and device-side raise on sampled vectors, straight to the mock (not recorded).
                foreach (int v in new[] { 0, 1, 2, 511, 1024, 1999, 2046, 2047 })
                {
                    Ok(mock.SetIrqs(None(Trigger, MsiX, (uint)v, 1)));
                    Assert.Equal(1ul, FileDescriptors.ReadCounter(fds[v]));
                    if (v > 0) Assert.Equal(0ul, FileDescriptors.ReadCounter(fds[v - 1]));
                    if (v < 2047) Assert.Equal(0ul, FileDescriptors.ReadCounter(fds[v + 1]));
                    Assert.True(mock.RaiseInterrupt(MsiX, (uint)v));
                    Assert.Equal(1ul, FileDescriptors.ReadCounter(fds[v]));
                }
            }
            FdCount.AssertNow(baseline + 2048, "after the channel's Dispose (the test's 2048 eventfds still open)");
            GC.KeepAlive(mock); // so a leaked handle cannot be closed by its finalizer while we count
        }
        FdCount.AssertNow(baseline, "after disposing the eventfds");
    }
}

/// <summary>Kernel-source details the ABI notes leave open, checked against the mock (drivers/vfio/pci/vfio_pci_intrs.c, drivers/vfio/virqfd.c).</summary>
public sealed class MockKernelDetailTests
{
    private static MockDeviceChannel E1000e() => new(MockProfileReader.LoadBuiltIn("e1000e"));

    [Fact]
    public void AFailedRebindLeavesTheVectorUnassigned()
    {
        using var channel = E1000e();
        using var first = FileDescriptors.CreateEventFd();
        Assert.Equal(0, channel.Ioctl(VfioIoctl.DeviceSetIrqs, VfioIrqSetCodec.EncodeEventFds(VfioIrqSetFlags.ActionTrigger, 2, 0, new[] { first.Fd })).ReturnValue);
        Assert.Equal(Errno.EBADF, channel.Ioctl(VfioIoctl.DeviceSetIrqs, VfioIrqSetCodec.EncodeEventFds(VfioIrqSetFlags.ActionTrigger, 2, 0, new[] { 12345 })).Errno);
        // vfio_msi_set_vector_signal released the old trigger before resolving the new fd.
        Assert.Equal(0, channel.Ioctl(VfioIoctl.DeviceSetIrqs, VfioIrqSetCodec.EncodeNone(VfioIrqSetFlags.ActionTrigger, 2, 0, 1)).ReturnValue);
        Assert.Equal(0ul, FileDescriptors.ReadCounter(first));
    }

    [Fact]
    public void ASecondResampleEventFdIsBusy()
    {
        using var channel = E1000e();
        using var trigger = FileDescriptors.CreateEventFd();
        using var one = FileDescriptors.CreateEventFd();
        using var two = FileDescriptors.CreateEventFd();
        Assert.Equal(0, channel.Ioctl(VfioIoctl.DeviceSetIrqs, VfioIrqSetCodec.EncodeEventFds(VfioIrqSetFlags.ActionTrigger, 0, 0, new[] { trigger.Fd })).ReturnValue);
        Assert.Equal(0, channel.Ioctl(VfioIoctl.DeviceSetIrqs, VfioIrqSetCodec.EncodeEventFds(VfioIrqSetFlags.ActionUnmask, 0, 0, new[] { one.Fd })).ReturnValue);
        Assert.Equal(Errno.EBUSY, channel.Ioctl(VfioIoctl.DeviceSetIrqs, VfioIrqSetCodec.EncodeEventFds(VfioIrqSetFlags.ActionUnmask, 0, 0, new[] { two.Fd })).Errno);
        // De-registering (fd -1) frees the slot.
        Assert.Equal(0, channel.Ioctl(VfioIoctl.DeviceSetIrqs, VfioIrqSetCodec.EncodeEventFds(VfioIrqSetFlags.ActionUnmask, 0, 0, new[] { -1 })).ReturnValue);
        Assert.Equal(0, channel.Ioctl(VfioIoctl.DeviceSetIrqs, VfioIrqSetCodec.EncodeEventFds(VfioIrqSetFlags.ActionUnmask, 0, 0, new[] { two.Fd })).ReturnValue);
    }

    [Fact]
    public void EnablingMsiWithNoVectorsIsErange()
    {
        using var channel = E1000e();
        var result = channel.Ioctl(VfioIoctl.DeviceSetIrqs, VfioIrqSetCodec.EncodeEventFds(VfioIrqSetFlags.ActionTrigger, 2, 0, Array.Empty<int>()));
        Assert.Equal(Errno.ERANGE, result.Errno);
        // Nothing was enabled: INTx can still be.
        using var fd = FileDescriptors.CreateEventFd();
        Assert.Equal(0, channel.Ioctl(VfioIoctl.DeviceSetIrqs, VfioIrqSetCodec.EncodeEventFds(VfioIrqSetFlags.ActionTrigger, 0, 0, new[] { fd.Fd })).ReturnValue);
    }
}
