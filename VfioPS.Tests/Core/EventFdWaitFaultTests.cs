using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using VfioPS.Abi;
using VfioPS.Native;
using VfioPS.Operations;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>
/// poll(2) and read(2) of an eventfd wait (Wait-VfioEventFd) that fail the Nth time with a chosen errno, or read fewer
/// than 8 bytes; the rest go to the kernel.
/// </summary>
internal sealed class FaultyEventFdSyscalls : IEventFdSyscalls
{
    public enum Call { Poll, Read }

    private readonly Call _call;
    private readonly int _nth;
    private readonly Errno _errno;
    private readonly bool _short;
    private int _polls, _reads;

    public FaultyEventFdSyscalls(Call call, int nth, Errno errno, bool isShort = false)
    {
        _call = call;
        _nth = nth;
        _errno = errno;
        _short = isShort;
    }

    /// <summary>The timeout of each poll, in order, and which one was interrupted.</summary>
    public List<int> PollTimeouts { get; } = new();
    public bool Injected { get; private set; }

    public int Poll(ReadOnlySpan<int> fds, Span<bool> ready, int timeoutMilliseconds, out Errno errno)
    {
        PollTimeouts.Add(timeoutMilliseconds);
        if (_call == Call.Poll && ++_polls == _nth)
        {
            Injected = true;
            errno = _errno;
            return -1;
        }
        return NativeEventFdSyscalls.Instance.Poll(fds, ready, timeoutMilliseconds, out errno);
    }

    public long Read(int fd, out ulong value, out Errno errno)
    {
        if (_call == Call.Read && ++_reads == _nth)
        {
            Injected = true;
            value = 0;
            errno = _short ? Errno.None : _errno;
            // A short read moves 4 of the 8 bytes (and, as the kernel does for an eventfd, nothing is consumed).
            return _short ? 4 : -1;
        }
        return NativeEventFdSyscalls.Instance.Read(fd, out value, out errno);
    }
}

/// <summary>
/// The eventfd wait under faults at its seam: EINTR on poll is retried with the time that is left, EINTR on read is
/// retried, EAGAIN on read is "nothing yet"; any other errno (or a short read) is one VfioSyscallFailed error in the
/// errno's category; no eventfd leaks, and a wait afterwards sees the firing.
/// </summary>
[Collection(FdCountingCollection.Name)]
public sealed class EventFdWaitFaultTests
{
    static EventFdWaitFaultTests() => FaultMatrixTests.SettleFinalizers();

    public static IEnumerable<object[]> Matrix()
    {
        // The wait below makes poll #1 (a look that does not block), poll #2 (blocks until the eventfd fires), read #1.
        foreach (var (call, nth) in new[] { (FaultyEventFdSyscalls.Call.Poll, 1), (FaultyEventFdSyscalls.Call.Poll, 2), (FaultyEventFdSyscalls.Call.Read, 1) })
            foreach (string fault in FaultMatrixTests.Faults)
                if (fault != "short" || call == FaultyEventFdSyscalls.Call.Read)
                    yield return new object[] { call.ToString(), nth, fault };
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public void AFaultyPollOrReadIsRetriedOrOneClearError(string call, int nth, string fault)
    {
        bool isShort = fault == "short";
        var errno = isShort ? Errno.None : Enum.Parse<Errno>(fault);
        var syscalls = new FaultyEventFdSyscalls(Enum.Parse<FaultyEventFdSyscalls.Call>(call), nth, errno, isShort);
        int baseline = FaultMatrixTests.EventFdCount();
        using (var fired = VfioEventFd.Create())
        using (var quiet = VfioEventFd.Create())
        {
            IReadOnlyList<VfioEventFdFiring>? firings = null;
            VfioException? error = null;
            using (var waiter = new EventFdWaiter(syscalls))
            {
                // The eventfd fires once the wait blocks: poll #2 is the blocking one.
                int signalled = 0;
                var signaller = new Timer(_ => { fired.Signal(); Volatile.Write(ref signalled, 1); }, null, 50, Timeout.Infinite);
                try
                {
                    firings = waiter.WaitOnce(new[] { quiet, fired }, TimeSpan.FromSeconds(10));
                }
                catch (VfioException e)
                {
                    error = e;
                }
                // A wait that failed at once may end before the timer fired: then the firing comes now, so the eventfd
                // holds 1 in every case unless the wait read it.
                using (var stopped = new ManualResetEvent(false))
                {
                    signaller.Dispose(stopped);
                    stopped.WaitOne();
                }
                if (Volatile.Read(ref signalled) == 0) fired.Signal();
            }
            Assert.True(syscalls.Injected, $"{fault} at {call} #{nth} was not reached");

            // EINTR is retried; EAGAIN on a read is "nothing yet", so the wait polls again and reads the firing.
            if (errno == Errno.EINTR || errno == Errno.EAGAIN && call == "Read")
            {
                Assert.True(error is null, $"{fault} at {call} #{nth}: {error?.ErrorId}: {error?.Message}");
                var firing = Assert.Single(firings!);
                Assert.Equal(fired.Fd, firing.EventFd);
                Assert.Equal(1UL, firing.Counter);
                if (call == "Poll" && errno == Errno.EINTR)
                {
                    // The poll after the interrupted one waits at most what was left of the timeout.
                    int interrupted = syscalls.PollTimeouts[nth - 1], next = syscalls.PollTimeouts[nth];
                    Assert.InRange(next, 1, nth == 1 ? 10_000 : interrupted);
                }
            }
            else
            {
                Assert.True(error is not null, $"{fault} at {call} #{nth}: no error");
                Assert.Equal("VfioSyscallFailed", error!.ErrorId);
                Assert.Equal(isShort ? VfioErrorKind.DeviceError : VfioException.KindFromErrno(errno), error.Kind);
                Assert.Equal(errno, error.Errno);
                Assert.Contains(call == "Poll" ? "poll" : "read(eventfd)", error.Message);
            }
            // The waiter's own stop eventfd is closed with it: only the two eventfds of the test are open.
            FaultMatrixTests.AssertEventFds(baseline + 2, $"{fault} at {call} #{nth}: after the wait");

            // A wait without a fault sees the firing (again, or still, when the failed wait did not read it).
            if (error is null) fired.Signal();
            using var retry = new EventFdWaiter();
            var again = Assert.Single(retry.WaitOnce(new[] { quiet, fired }, TimeSpan.FromSeconds(5)));
            Assert.Equal(fired.Fd, again.EventFd);
        }
        FaultMatrixTests.AssertEventFds(baseline, $"{fault} at {call} #{nth}: after closing everything");
    }

    [Fact]
    public void AnInterruptedPollDoesNotEndTheWaitEarlyNorStartTheTimeoutAgain()
    {
        var syscalls = new FaultyEventFdSyscalls(FaultyEventFdSyscalls.Call.Poll, 2, Errno.EINTR);
        using var quiet = VfioEventFd.Create();
        using var waiter = new EventFdWaiter(syscalls);
        var clock = Stopwatch.StartNew();
        var firings = waiter.WaitOnce(new[] { quiet }, TimeSpan.FromMilliseconds(300));
        clock.Stop();
        Assert.Empty(firings);
        Assert.True(syscalls.Injected);
        Assert.True(clock.ElapsedMilliseconds >= 295, $"the wait ended after {clock.ElapsedMilliseconds} ms of 300");
        // poll #2 was interrupted at once; poll #3 got the time that was left, not the whole timeout again.
        Assert.True(syscalls.PollTimeouts.Count >= 3, string.Join(", ", syscalls.PollTimeouts));
        Assert.InRange(syscalls.PollTimeouts[2], 1, syscalls.PollTimeouts[1]);
    }

    [Fact]
    public void AnEventFdReadInterruptedOverAndOverIsReportedNotLoopedOnForever()
    {
        var always = new AlwaysInterruptedReads();
        using var fd = VfioEventFd.Create();
        fd.Signal();
        var e = Assert.Throws<VfioException>(() => FileDescriptors.ReadCounter(fd.Handle, always));
        Assert.Equal(Errno.EINTR, e.Errno);
        Assert.Equal(FileDescriptors.MaxRestarts + 1, always.Reads);
    }

    private sealed class AlwaysInterruptedReads : IEventFdSyscalls
    {
        public int Reads { get; private set; }

        public int Poll(ReadOnlySpan<int> fds, Span<bool> ready, int timeoutMilliseconds, out Errno errno) => throw new NotSupportedException();

        public long Read(int fd, out ulong value, out Errno errno)
        {
            Reads++;
            value = 0;
            errno = Errno.EINTR;
            return -1;
        }
    }
}
