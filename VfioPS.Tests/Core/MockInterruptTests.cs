using System;
using System.Threading;
using VfioPS.Abi;
using VfioPS.Mock;
using VfioPS.Native;
using Xunit;
using static VfioPS.Core.Tests.IrqSet;
using static VfioPS.Core.Tests.SetIrqsAssert;

namespace VfioPS.Core.Tests;

/// <summary>
/// Interrupts raised from the device side of the mock and their delivery to eventfds: INTx as a level-triggered,
/// AUTOMASKED line (vfio-abi.md §2.7 INTx MASK/UNMASK, §2.9, the last reading of §7), the resample eventfd, the INTx
/// loopback that ignores the mask, MSI/MSI-X delivery, device close, and a bind/trigger/disable cycle that must not leak
/// fds. Serial, because some tests count the process's fds.
/// </summary>
[Collection(FdCountingCollection.Name)]
public class MockInterruptTests
{
    private const int Wait = 2000; // ms; bound for what the resample thread does

    private static void EnableIntx(MockDeviceChannel channel, int fd) => Ok(channel.SetIrqs(EventFds(Trigger, IntX, 0, fd)));

    // ---- INTx: the hardware path ----

    [Fact]
    public void Intx_Raise_DeliversOnce_ThenMasked_UnmaskRedeliversWhileAsserted()
    {
        using var channel = SetIrqsProfiles.Open("e1000e");
        using var t = new EventFdSet(1);
        EnableIntx(channel, t[0].Fd);
        Assert.Equal((false, false), channel.IntxLine);

        Assert.True(channel.RaiseInterrupt(IntX, 0));
        Assert.Equal(new ulong[] { 1 }, t.ReadAll());
        Assert.Equal((true, true), channel.IntxLine); // AUTOMASKED

        Assert.False(channel.RaiseInterrupt(IntX, 0)); // masked: not delivered
        Assert.Equal(new ulong[] { 0 }, t.ReadAll());
        Assert.Equal((true, true), channel.IntxLine);

        // §7: "UNMASK while the device still asserts the line delivers it again" — and it stays masked.
        Ok(channel.SetIrqs(None(Unmask, IntX, 0, 1)));
        Assert.Equal(new ulong[] { 1 }, t.ReadAll());
        Assert.Equal((true, true), channel.IntxLine);

        channel.LowerIntx();
        Assert.Equal((false, true), channel.IntxLine);
        Ok(channel.SetIrqs(None(Unmask, IntX, 0, 1)));
        Assert.Equal(new ulong[] { 0 }, t.ReadAll());
        Assert.Equal((false, false), channel.IntxLine);

        Assert.True(channel.RaiseInterrupt(IntX, 0));
        Assert.Equal(new ulong[] { 1 }, t.ReadAll());
        Assert.Equal((true, true), channel.IntxLine);
    }

    [Fact]
    public void Intx_MaskAndUnmask_NoneAndBool()
    {
        using var channel = SetIrqsProfiles.Open("e1000e");
        using var t = new EventFdSet(1);
        EnableIntx(channel, t[0].Fd);

        Ok(channel.SetIrqs(Bool(Mask, IntX, 0, 0))); // BOOL 0: no mask
        Assert.Equal((false, false), channel.IntxLine);
        Ok(channel.SetIrqs(Bool(Mask, IntX, 0, 1)));
        Assert.Equal((false, true), channel.IntxLine);

        // Masked by the user: a raise is held pending, not delivered.
        Assert.False(channel.RaiseInterrupt(IntX, 0));
        Assert.Equal(new ulong[] { 0 }, t.ReadAll());
        Ok(channel.SetIrqs(Bool(Unmask, IntX, 0, 0))); // BOOL 0: no unmask
        Assert.Equal(new ulong[] { 0 }, t.ReadAll());
        Assert.Equal((true, true), channel.IntxLine);
        Ok(channel.SetIrqs(Bool(Unmask, IntX, 0, 1))); // pending: delivered, still masked
        Assert.Equal(new ulong[] { 1 }, t.ReadAll());
        Assert.Equal((true, true), channel.IntxLine);

        channel.LowerIntx();
        Ok(channel.SetIrqs(None(Unmask, IntX, 0, 1)));
        Assert.Equal((false, false), channel.IntxLine);
        Ok(channel.SetIrqs(None(Mask, IntX, 0, 1)));
        Assert.Equal((false, true), channel.IntxLine);
    }

    [Fact]
    public void Intx_UnmaskWhenNotMasked_DeliversNothing()
    {
        using var channel = SetIrqsProfiles.Open("e1000e");
        using var t = new EventFdSet(1);
        EnableIntx(channel, t[0].Fd);
        Ok(channel.SetIrqs(None(Unmask, IntX, 0, 1)));
        Assert.Equal(new ulong[] { 0 }, t.ReadAll());
        Assert.Equal((false, false), channel.IntxLine);
    }

    [Fact]
    public void Intx_ResampleEventfd_UnmasksWhenWritten_AndRedeliversWhileAsserted()
    {
        using var channel = SetIrqsProfiles.Open("e1000e");
        using var t = new EventFdSet(1);
        using var r = new EventFdSet(1);
        EnableIntx(channel, t[0].Fd);
        Ok(channel.SetIrqs(EventFds(Unmask, IntX, 0, r[0].Fd)));

        Assert.True(channel.RaiseInterrupt(IntX, 0));
        Assert.Equal(new ulong[] { 1 }, t.ReadAll());
        channel.LowerIntx();
        Assert.Equal((false, true), channel.IntxLine);

        Assert.Equal(Errno.None, FileDescriptors.Signal(r[0]));
        Assert.True(Eventually(() => !channel.IntxLine.Masked, Wait), "the resample write did not unmask within 2 s");
        Assert.Equal((false, false), channel.IntxLine);
        Assert.Equal(new ulong[] { 0 }, t.ReadAll()); // the line was low: nothing to deliver

        // With the line still asserted, a resample write re-delivers and the line stays masked.
        Assert.True(channel.RaiseInterrupt(IntX, 0));
        Assert.Equal(new ulong[] { 1 }, t.ReadAll());
        Assert.Equal(Errno.None, FileDescriptors.Signal(r[0]));
        ulong delivered = 0;
        Assert.True(Eventually(() => (delivered += FileDescriptors.ReadCounter(t[0])) >= 1, Wait), "the resample write did not re-deliver within 2 s");
        Thread.Sleep(50);
        delivered += FileDescriptors.ReadCounter(t[0]);
        Assert.Equal(1ul, delivered);
        Assert.Equal((true, true), channel.IntxLine);
    }

    [Fact]
    public void Intx_ResampleEventfd_RemovedWithMinus1_NoLongerUnmasks()
    {
        using var channel = SetIrqsProfiles.Open("e1000e");
        using var t = new EventFdSet(1);
        using var r = new EventFdSet(1);
        EnableIntx(channel, t[0].Fd);
        Ok(channel.SetIrqs(EventFds(Unmask, IntX, 0, r[0].Fd)));
        Ok(channel.SetIrqs(EventFds(Unmask, IntX, 0, -1)));

        Assert.True(channel.RaiseInterrupt(IntX, 0));
        channel.LowerIntx();
        Assert.Equal(Errno.None, FileDescriptors.Signal(r[0]));
        Thread.Sleep(200); // a watcher that was still listening unmasks well within this
        Assert.Equal((false, true), channel.IntxLine);
        Assert.Equal(1ul, FileDescriptors.ReadCounter(r[0])); // nobody consumed the write
        // The ioctl still unmasks.
        Ok(channel.SetIrqs(None(Unmask, IntX, 0, 1)));
        Assert.Equal((false, false), channel.IntxLine);
    }

    // ---- INTx: the loopback path ignores the mask ----

    [Fact]
    public void Intx_LoopbackTwice_SignalsTwice_MaskedOrNot()
    {
        using var channel = SetIrqsProfiles.Open("e1000e");
        using var t = new EventFdSet(1);
        EnableIntx(channel, t[0].Fd);

        Ok(channel.SetIrqs(None(Trigger, IntX, 0, 1)));
        Ok(channel.SetIrqs(None(Trigger, IntX, 0, 1)));
        Assert.Equal(new ulong[] { 2 }, t.ReadAll()); // §7: two signals without an unmask
        Assert.Equal((false, false), channel.IntxLine); // loopback does not mask

        Ok(channel.SetIrqs(None(Mask, IntX, 0, 1)));
        Ok(channel.SetIrqs(None(Trigger, IntX, 0, 1)));
        Ok(channel.SetIrqs(Bool(Trigger, IntX, 0, 1)));
        Ok(channel.SetIrqs(Bool(Trigger, IntX, 0, 0)));
        Assert.Equal(new ulong[] { 2 }, t.ReadAll());

        // Masked by a delivery (AUTOMASKED) too.
        Ok(channel.SetIrqs(None(Unmask, IntX, 0, 1)));
        Assert.True(channel.RaiseInterrupt(IntX, 0));
        Assert.Equal(new ulong[] { 1 }, t.ReadAll());
        Ok(channel.SetIrqs(None(Trigger, IntX, 0, 1)));
        Ok(channel.SetIrqs(None(Trigger, IntX, 0, 1)));
        Assert.Equal(new ulong[] { 2 }, t.ReadAll());
    }

    [Fact]
    public void Intx_RebindAndMinus1_SwapOrDropTheTrigger_IntxStaysEnabled()
    {
        using var channel = SetIrqsProfiles.Open("e1000e");
        using var fds = new EventFdSet(2);
        EnableIntx(channel, fds[0].Fd);
        EnableIntx(channel, fds[1].Fd); // swapped
        Ok(channel.SetIrqs(None(Trigger, IntX, 0, 1)));
        Assert.Equal(new ulong[] { 0, 1 }, fds.ReadAll());

        Ok(channel.SetIrqs(EventFds(Trigger, IntX, 0, -1))); // §2.7: INTx stays enabled without a trigger
        Ok(channel.SetIrqs(None(Trigger, IntX, 0, 1)));
        Assert.False(channel.RaiseInterrupt(IntX, 0));
        Assert.Equal(new ulong[] { 0, 0 }, fds.ReadAll());
        Refused(Errno.EINVAL, channel.SetIrqs(EventFds(Trigger, MsiX, 0, fds[0].Fd))); // still INTx

        Ok(channel.SetIrqs(None(Trigger, IntX, 0, 0))); // disable
        Refused(Errno.EINVAL, channel.SetIrqs(None(Trigger, IntX, 0, 1)));
        Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 0, fds[0].Fd)));
    }

    // ---- MSI / MSI-X: delivered at once to a bound vector ----

    [Fact]
    public void MsiX_Raise_DeliversToTheBoundVectorOnly()
    {
        using var channel = SetIrqsProfiles.Open("e1000e");
        using var fds = new EventFdSet(5);
        Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 0, fds.Fds)));
        Assert.True(channel.RaiseInterrupt(MsiX, 3));
        Assert.Equal(new ulong[] { 0, 0, 0, 1, 0 }, fds.ReadAll());
        Assert.True(channel.RaiseInterrupt(MsiX, 3)); // no masking on MSI-X
        Assert.Equal(new ulong[] { 0, 0, 0, 1, 0 }, fds.ReadAll());

        Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 1, -1)));
        Assert.False(channel.RaiseInterrupt(MsiX, 1)); // no trigger
        Assert.False(channel.RaiseInterrupt(MsiX, 5)); // no such vector
        Assert.False(channel.RaiseInterrupt(Msi, 0));  // MSI is not the active type
        Assert.False(channel.RaiseInterrupt(IntX, 0));
        Assert.Equal(new ulong[5], fds.ReadAll());
    }

    [Fact]
    public void MsiX_RaiseOnAVectorAllocatedButUnbound_IsNotDelivered()
    {
        using var channel = SetIrqsProfiles.Open("e1000e");
        using var fds = new EventFdSet(1);
        Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 2, fds[0].Fd))); // vectors 0..2 allocated, only 2 bound
        Assert.False(channel.RaiseInterrupt(MsiX, 0));
        Assert.True(channel.RaiseInterrupt(MsiX, 2));
        Assert.Equal(new ulong[] { 1 }, fds.ReadAll());
    }

    [Fact]
    public void Msi_Raise_Delivers()
    {
        using var channel = SetIrqsProfiles.Open("e1000e");
        using var fds = new EventFdSet(1);
        Assert.False(channel.RaiseInterrupt(Msi, 0));
        Ok(channel.SetIrqs(EventFds(Trigger, Msi, 0, fds[0].Fd)));
        Assert.True(channel.RaiseInterrupt(Msi, 0));
        Assert.Equal(new ulong[] { 1 }, fds.ReadAll());
        Assert.False(channel.RaiseInterrupt(MsiX, 0));
    }

    // ---- device close ----

    [Fact]
    public void Dispose_WithIntxResampleErrAndReqBound_ClosesEverything()
    {
        int baseline = FdCount.Settled();
        using (var fds = new EventFdSet(4)) // trigger, resample, ERR, REQ
        {
            var channel = SetIrqsProfiles.Open("e1000e");
            EnableIntx(channel, fds[0].Fd);
            Ok(channel.SetIrqs(EventFds(Unmask, IntX, 0, fds[1].Fd)));
            Ok(channel.SetIrqs(EventFds(Trigger, Err, 0, fds[2].Fd)));
            Ok(channel.SetIrqs(EventFds(Trigger, Req, 0, fds[3].Fd)));
            Assert.True(channel.RaiseInterrupt(IntX, 0));
            Assert.Equal(new ulong[] { 1, 0, 0, 0 }, fds.ReadAll());
            Assert.True(FdCount.Now() >= baseline + 8, "four eventfds and four dups");

            channel.Dispose();
            // Trigger, ERR and REQ dups are closed at once; only the resample thread's two fds may still be open.
            Assert.InRange(FdCount.Now(), baseline + 4, baseline + 4 + 2);
            AssertClosed(channel, fds);
            // A write to the resample fd after close reaches no one and breaks nothing.
            Assert.Equal(Errno.None, FileDescriptors.Signal(fds[1]));
            FdCount.AssertReturnsTo(baseline + 4, "after the channel's Dispose (the test's 4 eventfds still open)");
            GC.KeepAlive(channel); // so a leaked handle cannot be closed by its finalizer while we count
            channel.Dispose(); // twice is harmless
        }
        FdCount.AssertReturnsTo(baseline, "after disposing the eventfds");
    }

    [Fact]
    public void Dispose_WithMsiXVectorsBound_ClosesEverything()
    {
        int baseline = FdCount.Settled();
        using (var fds = new EventFdSet(5))
        {
            var channel = SetIrqsProfiles.Open("e1000e");
            Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 0, fds.Fds)));
            Ok(channel.SetIrqs(EventFds(Trigger, Req, 0, fds[0].Fd)));
            Assert.Equal(baseline + 11, FdCount.Now());
            channel.Dispose();
            AssertClosed(channel, fds);
            FdCount.AssertNow(baseline + 5, "after the channel's Dispose (the test's 5 eventfds still open)");
            GC.KeepAlive(channel); // so a leaked handle cannot be closed by its finalizer while we count
        }
        FdCount.AssertNow(baseline, "after disposing the eventfds");
    }

    [Fact]
    public void IntxDisable_ReleasesTriggerAndResampleFd()
    {
        int baseline = FdCount.Settled();
        using var fds = new EventFdSet(2);
        using var channel = SetIrqsProfiles.Open("e1000e");
        EnableIntx(channel, fds[0].Fd);
        Ok(channel.SetIrqs(EventFds(Unmask, IntX, 0, fds[1].Fd)));
        Ok(channel.SetIrqs(None(Trigger, IntX, 0, 0)));
        Assert.InRange(FdCount.Now(), baseline + 2, baseline + 2 + 2); // the trigger's dup is closed at once
        FdCount.AssertReturnsTo(baseline + 2, "after disabling INTx (the test's 2 eventfds still open)");
        Assert.False(channel.RaiseInterrupt(IntX, 0));
        Assert.Equal(new ulong[] { 0, 0 }, fds.ReadAll());
    }

    /// <summary>After close: every ioctl is EBADF, nothing can be raised, no bound eventfd is signalled.</summary>
    private static void AssertClosed(MockDeviceChannel channel, EventFdSet fds)
    {
        foreach (var request in new[]
        {
            None(Trigger, IntX, 0, 1), None(Trigger, MsiX, 0, 5), None(Trigger, Err, 0, 1), None(Trigger, Req, 0, 1),
            None(Unmask, IntX, 0, 1), EventFds(Trigger, Msi, 0, fds[0].Fd), None(Trigger, MsiX, 0, 0),
        })
            Refused(Errno.EBADF, channel.SetIrqs(request));
        byte[] irqInfo = new byte[16];
        irqInfo[0] = 16;
        Refused(Errno.EBADF, channel.Ioctl(0x3B6D, irqInfo)); // GET_IRQ_INFO too
        for (uint index = 0; index <= 5; index++)
            for (uint vector = 0; vector < 5; vector++)
                Assert.False(channel.RaiseInterrupt(index, vector));
        Assert.Equal(new ulong[fds.Count], fds.ReadAll());
    }

    // ---- no leak over many cycles ----

    [Fact]
    public void BindTriggerDisable_1000Cycles_LeaksNoFd()
    {
        using var channel = SetIrqsProfiles.Open("e1000e");
        Cycle(channel); // warm-up: anything opened once (lazily) is in the baseline
        int before = FdCount.Settled();
        for (int i = 0; i < 1000; i++) Cycle(channel);
        FdCount.AssertNow(before, "after 1000 bind/trigger/disable cycles");

        static void Cycle(MockDeviceChannel channel)
        {
            using var fd = FileDescriptors.CreateEventFd();
            Ok(channel.SetIrqs(EventFds(Trigger, Msi, 0, fd.Fd)));
            Ok(channel.SetIrqs(None(Trigger, Msi, 0, 1)));
            Assert.Equal(1ul, FileDescriptors.ReadCounter(fd));
            Ok(channel.SetIrqs(None(Trigger, Msi, 0, 0)));
        }
    }
}
