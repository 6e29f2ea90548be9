using System;
using System.Threading;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Mock;
using VfioPS.Native;
using VfioPS.Operations;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>
/// A BAR access vfio-pci answers EBUSY while another thread is claiming the same BAR (its unlocked
/// vfio_pci_core_setup_barmap on the first access after an open) is tried again; an EBUSY that stays, an EBUSY
/// outside the BARs and every other errno come back at once. The edu mock behind a channel that answers the first
/// N region accesses EBUSY.
/// </summary>
public sealed class BarClaimRetryTests
{
    /// <summary>Answers the first <see cref="BusyAccesses"/> preads and pwrites EBUSY (or <see cref="Errno"/>), then passes them through.</summary>
    private sealed class BusyFirstChannel : IVfioDeviceChannel
    {
        private readonly IVfioDeviceChannel _inner;
        private int _accesses;

        public BusyFirstChannel(IVfioDeviceChannel inner) => _inner = inner;

        public int BusyAccesses { get; set; }
        public Errno Errno { get; set; } = Errno.EBUSY;
        public int Accesses => _accesses;
        public string Kind => _inner.Kind;

        public IoctlResult Ioctl(uint request, Span<byte> argument) => _inner.Ioctl(request, argument);

        public RegionIoResult Read(Span<byte> buffer, long offset)
            => Interlocked.Increment(ref _accesses) <= BusyAccesses ? RegionIoResult.Fail(Errno) : _inner.Read(buffer, offset);

        public RegionIoResult Write(ReadOnlySpan<byte> buffer, long offset)
            => Interlocked.Increment(ref _accesses) <= BusyAccesses ? RegionIoResult.Fail(Errno) : _inner.Write(buffer, offset);

        public void Dispose() => _inner.Dispose();
    }

    /// <summary>
    /// vfio-pci's unlocked first-access claim, with a winner that is slow between the claim and the map (as a
    /// preempted thread under emulation is): while one access of an unclaimed BAR is claiming, every other access of
    /// that BAR is EBUSY; once the claim is done, accesses pass through.
    /// </summary>
    private sealed class SlowClaimChannel : IVfioDeviceChannel
    {
        private readonly IVfioDeviceChannel _inner;
        private readonly int[] _state = new int[6]; // 0 unclaimed, 1 claiming, 2 claimed

        public SlowClaimChannel(IVfioDeviceChannel inner) => _inner = inner;

        public int ClaimMilliseconds { get; set; } = 30;
        public int Busy;
        public string Kind => _inner.Kind;

        public IoctlResult Ioctl(uint request, Span<byte> argument) => _inner.Ioctl(request, argument);

        public RegionIoResult Read(Span<byte> buffer, long offset) => Claim(offset) ?? _inner.Read(buffer, offset);

        public RegionIoResult Write(ReadOnlySpan<byte> buffer, long offset) => Claim(offset) ?? _inner.Write(buffer, offset);

        private RegionIoResult? Claim(long offset)
        {
            long index = offset >> 40;
            if (index > 5 || Volatile.Read(ref _state[index]) == 2) return null;
            if (Interlocked.CompareExchange(ref _state[index], 1, 0) == 0)
            {
                Thread.Sleep(ClaimMilliseconds);
                Volatile.Write(ref _state[index], 2);
                return null;
            }
            if (Volatile.Read(ref _state[index]) == 2) return null;
            Interlocked.Increment(ref Busy);
            return RegionIoResult.Fail(Errno.EBUSY);
        }

        public void Dispose() => _inner.Dispose();
    }

    /// <summary>An edu with memory decoding on, its channel armed with <paramref name="busy"/> failing accesses.</summary>
    private static (VfioDevice Device, BusyFirstChannel Channel) OpenEdu(int busy, Errno errno = Errno.EBUSY)
    {
        BusyFirstChannel? channel = null;
        var device = MockDevices.Open(MockProfileReader.LoadBuiltIn("edu"), inner => channel = new BusyFirstChannel(inner));
        PciConfigAccess.Write(device, 4, 2, 0x0002, "Command");
        channel!.BusyAccesses = channel.Accesses + busy;
        channel.Errno = errno;
        return (device, channel);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(BarClaimRetry.Attempts - 1)]
    public void BarReadAnsweredEbusyWhileClaimed_IsTriedAgainAndReadsTheRegister(int busy)
    {
        var (device, channel) = OpenEdu(busy);
        using (device)
        {
            int before = channel.Accesses;
            var data = RegionAccess.Read(device, 0, 0, 4, 4);
            Assert.Equal(0x010000edu, BitConverter.ToUInt32(data.Bytes));
            Assert.Equal(busy + 1, channel.Accesses - before);
        }
    }

    [Fact]
    public void BarWriteAnsweredEbusyOnce_IsTriedAgainAndReachesTheDevice()
    {
        var (device, channel) = OpenEdu(1);
        using (device)
        {
            RegionAccess.Write(device, 0, 4, RegionAccess.Encode(0x12345678, 4, device.Name), 4);
            // edu's liveness register reads back the inverse of what was written: the retried write landed once.
            Assert.Equal(~0x12345678u, BitConverter.ToUInt32(RegionAccess.Read(device, 0, 4, 4, 4).Bytes));
        }
    }

    [Fact]
    public void EbusyThatStays_ComesBackAfterTheLastTry_NamingTheHolderHint()
    {
        var (device, channel) = OpenEdu(int.MaxValue / 2);
        using (device)
        {
            int before = channel.Accesses;
            var e = Assert.Throws<VfioException>(() => RegionAccess.Read(device, 0, 0, 4, 4));
            Assert.Equal("VfioRegionReadFailed", e.ErrorId);
            Assert.Equal(VfioErrorKind.ResourceBusy, e.Kind);
            Assert.Equal(Errno.EBUSY, e.Errno);
            Assert.Equal(device.Name, e.Target);
            Assert.Contains("/proc/iomem", e.Message);
            Assert.Equal(BarClaimRetry.Attempts, channel.Accesses - before);
        }
    }

    [Fact]
    public void EbusyOnConfigSpace_IsNotTriedAgain()
    {
        var (device, channel) = OpenEdu(1);
        using (device)
        {
            int before = channel.Accesses;
            var e = Assert.Throws<VfioException>(() => RegionAccess.Read(device, 7, 0, 4, 4));
            Assert.Equal(Errno.EBUSY, e.Errno);
            Assert.DoesNotContain("/proc/iomem", e.Message);
            Assert.Equal(1, channel.Accesses - before);
        }
    }

    [Theory]
    [InlineData(Errno.EIO)]
    [InlineData(Errno.EAGAIN)]
    [InlineData(Errno.ENODEV)]
    public void OtherErrnosOnABar_AreNotTriedAgain(Errno errno)
    {
        var (device, channel) = OpenEdu(1, errno);
        using (device)
        {
            int before = channel.Accesses;
            var e = Assert.Throws<VfioException>(() => RegionAccess.Read(device, 0, 0, 4, 4));
            Assert.Equal(errno, e.Errno);
            Assert.Equal(1, channel.Accesses - before);
        }
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(2u)]
    public void FirstAccessesOfABarFromEightThreads_AllSucceed_ThoughTheClaimOutlastsTheRetries(uint bar)
    {
        SlowClaimChannel? channel = null;
        string profile = bar == 0 ? "edu" : "e1000e";
        using var device = MockDevices.Open(MockProfileReader.LoadBuiltIn(profile), inner => channel = new SlowClaimChannel(inner));
        PciConfigAccess.Write(device, 4, 2, 0x0002, "Command");
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var start = new Barrier(8);
        var threads = new Thread[8];
        for (int t = 0; t < threads.Length; t++)
        {
            threads[t] = new Thread(() =>
            {
                start.SignalAndWait();
                try { RegionAccess.Read(device, bar, 0, 4, 4); }
                catch (VfioException e) { failures.Enqueue($"{e.ErrorId} {e.Errno}"); }
            });
            threads[t].Start();
        }
        foreach (var thread in threads) Assert.True(thread.Join(TimeSpan.FromSeconds(30)), "a reader hung");
        Assert.Empty(failures);
        // No access reached the channel while another was claiming: the first one of the BAR went alone.
        Assert.Equal(0, channel!.Busy);
    }
}
