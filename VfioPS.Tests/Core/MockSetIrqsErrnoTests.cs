using System;
using System.Collections.Generic;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Mock;
using Xunit;
using static VfioPS.Core.Tests.IrqSet;

namespace VfioPS.Core.Tests;

/// <summary>
/// VFIO_DEVICE_SET_IRQS refusals on the mock device, one row per rule of vfio-abi.md §2.5–§2.8 and per §7 reading.
/// Each row puts the device in a known state first (nothing enabled, INTx, MSI, MSI-X, or ERR+REQ bound to one
/// "probe" eventfd), sends one request and checks: ret -1 with the errno, the buffer untouched, the probe eventfd not
/// signalled, and the state unchanged (a loopback on the enabled index still reaches the probe). Where a request could
/// be refused by an earlier rule than the one named, the row says which check fires; rows named "isolated" are built so
/// that only that check can refuse them (without it the mock would return 0 or another errno).
/// </summary>
public class MockSetIrqsErrnoTests
{
    /// <summary>What is set up before the request; every bind uses the probe eventfd.</summary>
    private enum Setup { Idle, IntX, Msi, MsiX, ErrReq }

    /// <summary>Fds a row can put in its payload: a fresh unbound eventfd, a number that is no fd, an open non-eventfd.</summary>
    private sealed record Fds(int Good, int NotOpen, int NotEventFd);

    private sealed record Row(string Profile, Setup Setup, Func<Fds, byte[]> Build, Errno Expected);

    private static readonly Dictionary<string, Row> s_rows = new()
    {
        // ---- §2.5 step 1: minsz 20, index bound, overflow guard, unknown flag bits ----
        // Isolated: with argsz ≥ 20 these are INTx loopbacks that return 0.
        ["argsz 0 (20-byte buffer)"] = new("e1000e", Setup.IntX, _ => Raw(0, Trigger | DataNone, IntX, 0, 1), Errno.EINVAL),
        ["argsz 16 (20-byte buffer)"] = new("e1000e", Setup.IntX, _ => Raw(16, Trigger | DataNone, IntX, 0, 1), Errno.EINVAL),
        ["argsz 19 (20-byte buffer)"] = new("e1000e", Setup.IntX, _ => Raw(19, Trigger | DataNone, IntX, 0, 1), Errno.EINVAL),
        // §7 "EVENTFD ... argsz 16 EINVAL": a complete 24-byte INTx enable whose argsz says 16.
        ["EVENTFD count 1, argsz 16 (24-byte buffer)"] = new("e1000e", Setup.Idle, f => Raw(16, Trigger | DataEventFd, IntX, 0, 1, 24, FdPayload(f.Good)), Errno.EINVAL),
        // The index bound (num_irqs); the range check (count 0 past it) would refuse these too.
        ["index 5 == num_irqs"] = new("e1000e", Setup.Idle, f => EventFds(Trigger, 5, 0, f.Good), Errno.EINVAL),
        ["index 0xffffffff"] = new("e1000e", Setup.Idle, f => EventFds(Trigger, 0xFFFFFFFF, 0, f.Good), Errno.EINVAL),
        // Isolated: a valid INTx loopback plus one bit outside 0x3F.
        ["unknown flag bit 6"] = new("e1000e", Setup.IntX, _ => Raw(20, Trigger | DataNone | 1u << 6, IntX, 0, 1), Errno.EINVAL),
        ["unknown flag bit 31"] = new("e1000e", Setup.IntX, _ => Raw(20, Trigger | DataNone | 1u << 31, IntX, 0, 1), Errno.EINVAL),
        // §7 measured start 0xffffffff count 2: the guard and the range check both fire.
        ["start 0xffffffff count 2"] = new("e1000e", Setup.MsiX, _ => None(Trigger, MsiX, 0xFFFFFFFF, 2), Errno.EINVAL),
        ["start 0 count 0xffffffff"] = new("e1000e", Setup.MsiX, _ => None(Trigger, MsiX, 0, 0xFFFFFFFF), Errno.EINVAL),
        // Isolated overflow guard: start + count wraps to 0, so the range check passes; without the guard the request
        // (no action bit) would get ENOTTY.
        ["start 1 count 0xffffffff, no action (overflow guard isolated)"] = new("e1000e", Setup.MsiX, _ => Raw(20, DataNone, MsiX, 1, 0xFFFFFFFF), Errno.EINVAL),

        // ---- §2.5 step 2: start/count against the index's count ----
        // Isolated with MSI-X enabled: without the check the loopback would skip the missing vectors and return 0.
        ["MSI-X start 5 == count"] = new("e1000e", Setup.MsiX, _ => None(Trigger, MsiX, 5, 1), Errno.EINVAL),
        ["MSI-X count 6 == count+1"] = new("e1000e", Setup.MsiX, _ => None(Trigger, MsiX, 0, 6), Errno.EINVAL),
        ["MSI-X start 4 count 2"] = new("e1000e", Setup.MsiX, _ => None(Trigger, MsiX, 4, 2), Errno.EINVAL),
        // The "disable" form past the end: refused by the range check before the handler could disable MSI-X.
        ["MSI-X disable form with start 5"] = new("e1000e", Setup.MsiX, _ => None(Trigger, MsiX, 5, 0), Errno.EINVAL),
        ["INTx start 1"] = new("e1000e", Setup.IntX, _ => None(Trigger, IntX, 1, 1), Errno.EINVAL),
        ["INTx count 2"] = new("e1000e", Setup.IntX, _ => None(Trigger, IntX, 0, 2), Errno.EINVAL),

        // ---- §2.5 step 3: exactly one data type (checked before the action: EINVAL, not ENOTTY) ----
        ["two data types NONE|BOOL"] = new("e1000e", Setup.IntX, _ => Raw(21, Trigger | DataNone | DataBool, IntX, 0, 1, 21, new byte[] { 1 }), Errno.EINVAL),
        ["two data types BOOL|EVENTFD"] = new("e1000e", Setup.IntX, f => Raw(24, Trigger | DataBool | DataEventFd, IntX, 0, 1, 24, FdPayload(f.Good)), Errno.EINVAL),
        ["zero data types"] = new("e1000e", Setup.IntX, _ => Raw(20, Trigger, IntX, 0, 1), Errno.EINVAL),
        ["zero data types and no action"] = new("e1000e", Setup.IntX, _ => Raw(20, 0, IntX, 0, 1), Errno.EINVAL),
        ["two data types and no action"] = new("e1000e", Setup.IntX, _ => Raw(21, DataNone | DataBool, IntX, 0, 1, 21, new byte[] { 1 }), Errno.EINVAL),

        // ---- §2.5 step 4: the payload must fit in argsz ----
        ["EVENTFD count 1, argsz 20 (payload missing)"] = new("e1000e", Setup.Idle, _ => Raw(20, Trigger | DataEventFd, IntX, 0, 1), Errno.EINVAL),
        ["EVENTFD count 5, argsz 36 (one fd short)"] = new("e1000e", Setup.Idle,
            f => Raw(36, Trigger | DataEventFd, MsiX, 0, 5, 36, FdPayload(f.Good, f.Good, f.Good, f.Good)), Errno.EINVAL),
        ["BOOL count 5, argsz 24 (one byte short)"] = new("e1000e", Setup.MsiX, _ => Raw(24, Trigger | DataBool, MsiX, 0, 5, 24, new byte[] { 1, 1, 1, 1 }), Errno.EINVAL),

        // ---- §2.5 step 5 / §2.6: the action ----
        ["two actions MASK|TRIGGER on INTx"] = new("e1000e", Setup.IntX, _ => None(Mask | Trigger, IntX, 0, 1), Errno.ENOTTY),
        ["two actions UNMASK|TRIGGER on MSI-X"] = new("e1000e", Setup.MsiX, _ => None(Unmask | Trigger, MsiX, 0, 1), Errno.ENOTTY),
        ["three actions on INTx"] = new("e1000e", Setup.IntX, _ => None(Mask | Unmask | Trigger, IntX, 0, 1), Errno.ENOTTY),
        ["no action on INTx"] = new("e1000e", Setup.IntX, _ => Raw(20, DataNone, IntX, 0, 1), Errno.ENOTTY),
        ["no action on MSI-X"] = new("e1000e", Setup.MsiX, _ => Raw(20, DataNone, MsiX, 0, 1), Errno.ENOTTY),
        ["MSI-X MASK"] = new("e1000e", Setup.MsiX, _ => None(Mask, MsiX, 0, 1), Errno.ENOTTY),
        ["MSI-X UNMASK"] = new("e1000e", Setup.MsiX, _ => None(Unmask, MsiX, 0, 1), Errno.ENOTTY),
        ["MSI-X MASK|EVENTFD"] = new("e1000e", Setup.MsiX, f => EventFds(Mask, MsiX, 0, f.Good), Errno.ENOTTY),
        ["MSI-X MASK while not enabled"] = new("e1000e", Setup.Idle, _ => None(Mask, MsiX, 0, 1), Errno.ENOTTY),
        ["MSI MASK"] = new("e1000e", Setup.Msi, _ => None(Mask, Msi, 0, 1), Errno.ENOTTY),
        ["MSI UNMASK"] = new("e1000e", Setup.Msi, _ => Bool(Unmask, Msi, 0, 1), Errno.ENOTTY),
        ["ERR MASK"] = new("e1000e", Setup.ErrReq, _ => None(Mask, Err, 0, 1), Errno.ENOTTY),
        ["ERR UNMASK"] = new("e1000e", Setup.ErrReq, _ => None(Unmask, Err, 0, 1), Errno.ENOTTY),
        ["REQ MASK"] = new("e1000e", Setup.ErrReq, _ => None(Mask, Req, 0, 1), Errno.ENOTTY),
        ["REQ UNMASK"] = new("e1000e", Setup.ErrReq, _ => None(Unmask, Req, 0, 1), Errno.ENOTTY),
        ["REQ UNMASK|EVENTFD"] = new("e1000e", Setup.ErrReq, f => EventFds(Unmask, Req, 0, f.Good), Errno.ENOTTY),
        // §2.7 INTx MASK: EVENTFD is "XXX implement me".
        ["INTx MASK|EVENTFD with INTx enabled"] = new("e1000e", Setup.IntX, f => EventFds(Mask, IntX, 0, f.Good), Errno.ENOTTY),

        // ---- §2.7: eventfds resolved like eventfd_ctx_fdget ----
        ["INTx eventfd 12345 (no such fd)"] = new("e1000e", Setup.Idle, f => EventFds(Trigger, IntX, 0, f.NotOpen), Errno.EBADF),
        ["MSI eventfd 12345"] = new("e1000e", Setup.Idle, f => EventFds(Trigger, Msi, 0, f.NotOpen), Errno.EBADF),
        ["MSI-X eventfd 12345"] = new("e1000e", Setup.Idle, f => EventFds(Trigger, MsiX, 0, f.NotOpen), Errno.EBADF),
        ["ERR eventfd 12345"] = new("e1000e", Setup.Idle, f => EventFds(Trigger, Err, 0, f.NotOpen), Errno.EBADF),
        ["INTx resample fd 12345"] = new("e1000e", Setup.IntX, f => EventFds(Unmask, IntX, 0, f.NotOpen), Errno.EBADF),
        ["INTx open fd that is not an eventfd"] = new("e1000e", Setup.Idle, f => EventFds(Trigger, IntX, 0, f.NotEventFd), Errno.EINVAL),
        ["MSI-X open fd that is not an eventfd"] = new("e1000e", Setup.Idle, f => EventFds(Trigger, MsiX, 0, f.NotEventFd), Errno.EINVAL),
        ["REQ open fd that is not an eventfd"] = new("e1000e", Setup.Idle, f => EventFds(Trigger, Req, 0, f.NotEventFd), Errno.EINVAL),
        ["INTx resample fd that is not an eventfd"] = new("e1000e", Setup.IntX, f => EventFds(Unmask, IntX, 0, f.NotEventFd), Errno.EINVAL),

        // ---- §2.7: state rules (enabled or not, INTx/MSI/MSI-X exclusive) ----
        ["MSI TRIGGER|NONE while MSI not enabled"] = new("e1000e", Setup.Idle, _ => None(Trigger, Msi, 0, 1), Errno.EINVAL),
        ["MSI-X TRIGGER|BOOL while MSI-X not enabled"] = new("e1000e", Setup.Idle, _ => Bool(Trigger, MsiX, 0, 1), Errno.EINVAL),
        ["INTx TRIGGER|NONE while INTx not enabled"] = new("e1000e", Setup.Idle, _ => None(Trigger, IntX, 0, 1), Errno.EINVAL),
        ["MSI eventfd while MSI-X enabled"] = new("e1000e", Setup.MsiX, f => EventFds(Trigger, Msi, 0, f.Good), Errno.EINVAL),
        ["INTx eventfd while MSI-X enabled"] = new("e1000e", Setup.MsiX, f => EventFds(Trigger, IntX, 0, f.Good), Errno.EINVAL),
        ["MSI-X eventfd while INTx enabled"] = new("e1000e", Setup.IntX, f => EventFds(Trigger, MsiX, 0, f.Good), Errno.EINVAL),
        ["MSI-X eventfd while MSI enabled"] = new("e1000e", Setup.Msi, f => EventFds(Trigger, MsiX, 0, f.Good), Errno.EINVAL),
        ["INTx eventfd while MSI enabled"] = new("e1000e", Setup.Msi, f => EventFds(Trigger, IntX, 0, f.Good), Errno.EINVAL),
        ["INTx MASK while INTx not enabled"] = new("e1000e", Setup.Idle, _ => None(Mask, IntX, 0, 1), Errno.EINVAL),
        ["INTx UNMASK while INTx not enabled"] = new("e1000e", Setup.Idle, _ => None(Unmask, IntX, 0, 1), Errno.EINVAL),
        ["INTx UNMASK|EVENTFD while INTx not enabled"] = new("e1000e", Setup.Idle, f => EventFds(Unmask, IntX, 0, f.Good), Errno.EINVAL),
        ["INTx MASK while MSI-X enabled"] = new("e1000e", Setup.MsiX, _ => None(Mask, IntX, 0, 1), Errno.EINVAL),
        // Isolated: INTx enabled, count 0 passes the range check; the handler wants start 0 count 1.
        ["INTx MASK count 0"] = new("e1000e", Setup.IntX, _ => None(Mask, IntX, 0, 0), Errno.EINVAL),
        ["INTx UNMASK count 0"] = new("e1000e", Setup.IntX, _ => None(Unmask, IntX, 0, 0), Errno.EINVAL),
        ["disable INTx while not enabled"] = new("e1000e", Setup.Idle, _ => None(Trigger, IntX, 0, 0), Errno.EINVAL),
        ["disable MSI while not enabled"] = new("e1000e", Setup.Idle, _ => None(Trigger, Msi, 0, 0), Errno.EINVAL),
        ["disable MSI-X while not enabled"] = new("e1000e", Setup.Idle, _ => None(Trigger, MsiX, 0, 0), Errno.EINVAL),
        ["disable MSI while MSI-X enabled"] = new("e1000e", Setup.MsiX, _ => None(Trigger, Msi, 0, 0), Errno.EINVAL),
        ["disable INTx while MSI-X enabled"] = new("e1000e", Setup.MsiX, _ => None(Trigger, IntX, 0, 0), Errno.EINVAL),
        ["disable MSI-X while INTx enabled"] = new("e1000e", Setup.IntX, _ => None(Trigger, MsiX, 0, 0), Errno.EINVAL),

        // ---- §2.5 step 2 on an index with count 0 (§7: the range check runs first, so ENOTTY cases are EINVAL) ----
        ["edu MSI-X (count 0) MASK"] = new("edu", Setup.Idle, _ => None(Mask, MsiX, 0, 0), Errno.EINVAL),
        ["edu MSI-X (count 0) UNMASK"] = new("edu", Setup.Idle, _ => None(Unmask, MsiX, 0, 0), Errno.EINVAL),
        ["edu MSI-X (count 0) no action"] = new("edu", Setup.Idle, _ => Raw(20, DataNone, MsiX, 0, 0), Errno.EINVAL),
        ["edu MSI-X (count 0) two actions"] = new("edu", Setup.Idle, _ => None(Mask | Trigger, MsiX, 0, 0), Errno.EINVAL),
        ["edu MSI-X (count 0) disable start 0 count 0"] = new("edu", Setup.Idle, _ => None(Trigger, MsiX, 0, 0), Errno.EINVAL),
        ["edu MSI-X (count 0) EVENTFD count 0"] = new("edu", Setup.Idle, _ => Raw(20, Trigger | DataEventFd, MsiX, 0, 0), Errno.EINVAL),
        ["edu MSI-X (count 0) disable while INTx enabled"] = new("edu", Setup.IntX, _ => None(Trigger, MsiX, 0, 0), Errno.EINVAL),
        // edu ERR is refused (not PCIe): every SET_IRQS on it is EINVAL, MASK and no-action included.
        ["edu ERR EVENTFD"] = new("edu", Setup.Idle, f => EventFds(Trigger, Err, 0, f.Good), Errno.EINVAL),
        ["edu ERR TRIGGER|NONE count 1"] = new("edu", Setup.Idle, _ => None(Trigger, Err, 0, 1), Errno.EINVAL),
        ["edu ERR disable start 0 count 0"] = new("edu", Setup.Idle, _ => None(Trigger, Err, 0, 0), Errno.EINVAL),
        ["edu ERR MASK"] = new("edu", Setup.Idle, _ => None(Mask, Err, 0, 1), Errno.EINVAL),
        ["edu ERR no action"] = new("edu", Setup.Idle, _ => Raw(20, DataNone, Err, 0, 1), Errno.EINVAL),

        // ---- device-specific indexes (the seed's series: bound num_irqs, TRIGGER only) ----
        ["gvt-vgpu index 5 MASK"] = new("gvt-vgpu", Setup.Idle, _ => None(Mask, 5, 0, 1), Errno.ENOTTY),
        ["gvt-vgpu index 5 UNMASK"] = new("gvt-vgpu", Setup.Idle, _ => None(Unmask, 5, 0, 1), Errno.ENOTTY),
        ["gvt-vgpu index 5 MASK|EVENTFD"] = new("gvt-vgpu", Setup.Idle, f => EventFds(Mask, 5, 0, f.Good), Errno.ENOTTY),
        ["gvt-vgpu index 5 no action"] = new("gvt-vgpu", Setup.Idle, _ => Raw(20, DataNone, 5, 0, 1), Errno.ENOTTY),
        ["gvt-vgpu index 5 start 1"] = new("gvt-vgpu", Setup.Idle, f => EventFds(Trigger, 5, 1, f.Good), Errno.EINVAL),
        ["gvt-vgpu index 6 == num_irqs"] = new("gvt-vgpu", Setup.Idle, f => EventFds(Trigger, 6, 0, f.Good), Errno.EINVAL),
        ["gvt-vgpu index 2 (refused MSI-X)"] = new("gvt-vgpu", Setup.Idle, f => EventFds(Trigger, MsiX, 0, f.Good), Errno.EINVAL),
        ["gvt-vgpu index 4 (refused REQ) MASK"] = new("gvt-vgpu", Setup.Idle, _ => None(Mask, Req, 0, 1), Errno.EINVAL),

        // ---- the channel's buffer guard: the mock touches only the buffer it was given ----
        ["buffer of 0 bytes"] = new("e1000e", Setup.Idle, _ => Array.Empty<byte>(), Errno.EFAULT),
        ["buffer of 3 bytes"] = new("e1000e", Setup.Idle, _ => new byte[] { 24, 0, 0 }, Errno.EFAULT),
        ["argsz 24 claims more than a 20-byte buffer"] = new("e1000e", Setup.Idle, _ => Raw(24, Trigger | DataEventFd, IntX, 0, 1, 20), Errno.EFAULT),
        ["argsz 0xffffffff claims more than a 24-byte buffer"] = new("e1000e", Setup.Idle, f => Raw(0xFFFFFFFF, Trigger | DataEventFd, IntX, 0, 1, 24, FdPayload(f.Good)), Errno.EFAULT),
        // The kernel copies the 20-byte header (minsz) before it looks at argsz; a 16-byte buffer cannot supply it.
        ["16-byte buffer, argsz 16 (header cannot be read)"] = new("e1000e", Setup.Idle, _ => Raw(16, Trigger | DataNone, IntX, 0, 1, 16), Errno.EFAULT),

        // ---- ERR/REQ (vfio_pci_set_ctx_trigger_single, §2.7) ----
        // On e1000e ERR/REQ count is 1, so start 1 and count 2 are refused by the generic range check (§2.5 step 2).
        ["ERR start 1 (range check)"] = new("e1000e", Setup.ErrReq, f => EventFds(Trigger, Err, 1, f.Good), Errno.EINVAL),
        ["ERR count 2 (range check)"] = new("e1000e", Setup.ErrReq, f => EventFds(Trigger, Err, 0, f.Good, f.Good), Errno.EINVAL),
        ["REQ start 1 (range check)"] = new("e1000e", Setup.ErrReq, f => EventFds(Trigger, Req, 1, f.Good), Errno.EINVAL),
        ["REQ count 2 (range check)"] = new("e1000e", Setup.ErrReq, f => EventFds(Trigger, Req, 0, f.Good, f.Good), Errno.EINVAL),
        // With ERR/REQ count 2 the range check passes; the handler's "start != 0 || count > 1" refuses.
        ["ERR start 1 (handler, count-2 profile)"] = new("err-req-2", Setup.ErrReq, f => EventFds(Trigger, Err, 1, f.Good), Errno.EINVAL),
        ["ERR count 2 (handler, count-2 profile)"] = new("err-req-2", Setup.ErrReq, f => EventFds(Trigger, Err, 0, f.Good, f.Good), Errno.EINVAL),
        ["REQ start 1 (handler, count-2 profile)"] = new("err-req-2", Setup.ErrReq, _ => None(Trigger, Req, 1, 1), Errno.EINVAL),
        ["REQ count 2 BOOL (handler, count-2 profile)"] = new("err-req-2", Setup.ErrReq, _ => Bool(Trigger, Req, 0, 1, 1), Errno.EINVAL),
        ["ERR NONE count 1, no trigger"] = new("e1000e", Setup.Idle, _ => None(Trigger, Err, 0, 1), Errno.EINVAL),
        ["ERR NONE count 0, no trigger"] = new("e1000e", Setup.Idle, _ => None(Trigger, Err, 0, 0), Errno.EINVAL),
        ["REQ NONE count 1, no trigger"] = new("e1000e", Setup.Idle, _ => None(Trigger, Req, 0, 1), Errno.EINVAL),
        ["REQ NONE count 0, no trigger"] = new("e1000e", Setup.Idle, _ => None(Trigger, Req, 0, 0), Errno.EINVAL),
        ["ERR BOOL count 0"] = new("e1000e", Setup.ErrReq, _ => Raw(20, Trigger | DataBool, Err, 0, 0), Errno.EINVAL),
        ["REQ BOOL count 0"] = new("e1000e", Setup.ErrReq, _ => Raw(20, Trigger | DataBool, Req, 0, 0), Errno.EINVAL),
        ["ERR EVENTFD count 0"] = new("e1000e", Setup.ErrReq, _ => Raw(20, Trigger | DataEventFd, Err, 0, 0), Errno.EINVAL),
        ["REQ EVENTFD count 0"] = new("e1000e", Setup.ErrReq, _ => Raw(20, Trigger | DataEventFd, Req, 0, 0), Errno.EINVAL),
    };

    public static TheoryData<string> RowNames => new(s_rows.Keys);

    private static MockDeviceProfile Profile(string name)
        => name == "err-req-2" ? SetIrqsProfiles.ErrReqCount2() : MockProfileReader.LoadBuiltIn(name);

    [Theory]
    [MemberData(nameof(RowNames))]
    public void Refused(string row)
    {
        var r = s_rows[row];
        using var channel = SetIrqsProfiles.Open(Profile(r.Profile));
        using var probe = new EventFdSet(1);
        using var good = new EventFdSet(1);
        using var foreign = new ForeignFds();
        Prepare(channel, r.Setup, probe[0].Fd);

        byte[] request = r.Build(new Fds(good[0].Fd, foreign.NotOpen, foreign.NotEventFd));
        byte[] before = (byte[])request.Clone();
        var result = channel.SetIrqs(request);

        Assert.Equal(IoctlResult.Fail(r.Expected), result);
        Assert.Equal(before, request); // SET_IRQS never writes to the caller's buffer
        Assert.Equal(new ulong[] { 0 }, probe.ReadAll()); // a refused request signals nothing
        Assert.Equal(new ulong[] { 0 }, good.ReadAll());
        AssertStateKept(channel, r.Setup, probe);
    }

    /// <summary>Binds the probe eventfd as <paramref name="setup"/> says; every bind must succeed.</summary>
    private static void Prepare(MockDeviceChannel channel, Setup setup, int probe)
    {
        switch (setup)
        {
            case Setup.IntX:
                SetIrqsAssert.Ok(channel.SetIrqs(EventFds(Trigger, IntX, 0, probe)));
                break;
            case Setup.Msi:
                SetIrqsAssert.Ok(channel.SetIrqs(EventFds(Trigger, Msi, 0, probe)));
                break;
            case Setup.MsiX:
                SetIrqsAssert.Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 0, probe, probe, probe, probe, probe)));
                break;
            case Setup.ErrReq:
                SetIrqsAssert.Ok(channel.SetIrqs(EventFds(Trigger, Err, 0, probe)));
                SetIrqsAssert.Ok(channel.SetIrqs(EventFds(Trigger, Req, 0, probe)));
                break;
        }
    }

    /// <summary>After the refusal the device is as it was: what was enabled still loops back to the probe, nothing else is enabled.</summary>
    private static void AssertStateKept(MockDeviceChannel channel, Setup setup, EventFdSet probe)
    {
        switch (setup)
        {
            case Setup.Idle:
                // Nothing enabled and no ERR/REQ trigger: every loopback is EINVAL.
                for (uint index = 0; index < 5; index++)
                    SetIrqsAssert.Refused(Errno.EINVAL, channel.SetIrqs(None(Trigger, index, 0, 1)));
                break;
            case Setup.IntX:
                SetIrqsAssert.Ok(channel.SetIrqs(None(Trigger, IntX, 0, 1)));
                Assert.Equal(1ul, probe.ReadAll()[0]);
                break;
            case Setup.Msi:
                SetIrqsAssert.Ok(channel.SetIrqs(None(Trigger, Msi, 0, 1)));
                Assert.Equal(1ul, probe.ReadAll()[0]);
                break;
            case Setup.MsiX:
                SetIrqsAssert.Ok(channel.SetIrqs(None(Trigger, MsiX, 0, 5)));
                Assert.Equal(5ul, probe.ReadAll()[0]); // all five vectors still bound
                break;
            case Setup.ErrReq:
                SetIrqsAssert.Ok(channel.SetIrqs(None(Trigger, Err, 0, 1)));
                SetIrqsAssert.Ok(channel.SetIrqs(None(Trigger, Req, 0, 1)));
                Assert.Equal(2ul, probe.ReadAll()[0]);
                break;
        }
    }

    // ---- rows that are not refusals ----

    /// <summary>§2.7: ERR/REQ EVENTFD with fd &lt; -1 "is silently accepted and returns 0" and installs nothing.</summary>
    [Theory]
    [InlineData(Err, -2)]
    [InlineData(Req, -2)]
    [InlineData(Err, int.MinValue)]
    [InlineData(Req, -100)]
    public void ErrReq_FdBelowMinus1_ReturnsZero_AndLeavesNoTrigger(uint index, int fd)
    {
        using var channel = SetIrqsProfiles.Open("e1000e");
        SetIrqsAssert.Ok(channel.SetIrqs(EventFds(Trigger, index, 0, fd)));
        // Still no trigger: NONE with no trigger set is EINVAL, and the device cannot raise it.
        SetIrqsAssert.Refused(Errno.EINVAL, channel.SetIrqs(None(Trigger, index, 0, 1)));
        Assert.False(channel.RaiseInterrupt(index, 0));
    }

    /// <summary>§2.7: fd &lt; -1 leaves an installed trigger in place (only -1 releases it).</summary>
    [Theory]
    [InlineData(Err)]
    [InlineData(Req)]
    public void ErrReq_FdBelowMinus1_KeepsAnInstalledTrigger(uint index)
    {
        using var channel = SetIrqsProfiles.Open("e1000e");
        using var fd = new EventFdSet(1);
        SetIrqsAssert.Ok(channel.SetIrqs(EventFds(Trigger, index, 0, fd[0].Fd)));
        SetIrqsAssert.Ok(channel.SetIrqs(EventFds(Trigger, index, 0, -2)));
        SetIrqsAssert.Ok(channel.SetIrqs(None(Trigger, index, 0, 1)));
        Assert.Equal(new ulong[] { 1 }, fd.ReadAll());
    }

    /// <summary>§2.5 step 4: DATA_NONE has no payload, and any extra argsz is ignored.</summary>
    [Fact]
    public void DataNone_WithExtraArgsz_IsAccepted()
    {
        using var channel = SetIrqsProfiles.Open("e1000e");
        using var fd = new EventFdSet(1);
        SetIrqsAssert.Ok(channel.SetIrqs(EventFds(Trigger, IntX, 0, fd[0].Fd)));
        SetIrqsAssert.Ok(channel.SetIrqs(Raw(64, Trigger | DataNone, IntX, 0, 1, 64)));
        Assert.Equal(new ulong[] { 1 }, fd.ReadAll());
    }
}
