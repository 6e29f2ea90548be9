using System;
using System.Collections.Generic;
using System.Buffers.Binary;
using VfioPS.Abi;
using VfioPS.Channels;

namespace VfioPS.Mock;

/// <summary>
/// The loopback mock device: answers VFIO device ioctls with the bytes and errnos vfio-pci gives
/// (drivers/vfio/pci/vfio_pci_core.c), from a <see cref="MockDeviceProfile"/>. Device-specific indexes follow the
/// seed's proposal as corrected in review: cap_offset appended at 16, the usual too-small-buffer answer.
/// Calls are serialised per device, as the kernel does with its per-device locks.
/// </summary>
public sealed class MockDeviceChannel : IVfioDeviceChannel
{
    private readonly object _gate = new();
    private bool _closed;

    private readonly MockIrqController _irqs;

    private readonly MockRegionSpace _regions;

    public MockDeviceChannel(MockDeviceProfile profile)
    {
        Profile = profile;
        _irqs = new MockIrqController(profile, _gate);
        var config = profile.Config is { } image ? new MockConfigSpace(image) : new MockConfigSpace(PciConfigSize);
        _regions = new MockRegionSpace(profile, RegionWindow, config, new DeviceInterruptLine(_irqs, config));
    }

    /// <summary>Config space of a profile without a "config" key: 256 zero bytes, nothing writable.</summary>
    private const int PciConfigSize = 256;

    /// <summary>pread on the mock device fd (see <see cref="MockRegionSpace"/>); EBADF once closed.</summary>
    public RegionIoResult Read(Span<byte> buffer, long offset)
    {
        lock (_gate) return _closed ? RegionIoResult.Fail(Errno.EBADF) : _regions.Read(buffer, offset);
    }

    /// <summary>pwrite on the mock device fd.</summary>
    public RegionIoResult Write(ReadOnlySpan<byte> buffer, long offset)
    {
        lock (_gate) return _closed ? RegionIoResult.Fail(Errno.EBADF) : _regions.Write(buffer, offset);
    }

    /// <summary>A region's size and access as region I/O sees them: CONFIG from the config space; the rest from the profile's regions.</summary>
    private MockRegionWindow? RegionWindow(uint index)
    {
        if (index == (uint)VfioPciRegionIndex.Config) return new MockRegionWindow((ulong)_regions.Config.Size, true, true);
        if (!Profile.Regions.Regions.TryGetValue(index, out var region) || region.Refusal != Errno.None) return null;
        return new MockRegionWindow(region.Size, (region.Flags & VfioRegionFlags.Read) != 0, (region.Flags & VfioRegionFlags.Write) != 0);
    }

    /// <summary>
    /// How the device's own registers raise its interrupt: MSI vector 0 while MSI is enabled, else the INTx line. An
    /// MSI is a memory write by the device, so it goes nowhere while bus mastering is off in the command register
    /// (the lane: edu's MSI never arrived until bit 2 was set; vfio-pci opens it with the bit clear).
    /// </summary>
    private sealed class DeviceInterruptLine : IMockInterruptLine
    {
        private readonly MockIrqController _irqs;
        private readonly MockConfigSpace _config;

        public DeviceInterruptLine(MockIrqController irqs, MockConfigSpace config)
        {
            _irqs = irqs;
            _config = config;
        }

        private bool BusMaster => _config.Size > 4 && (_config.Current[4] & 0x4) != 0;

        public void Raise()
        {
            if (!_irqs.MsiActive) _irqs.Raise(0, 0);
            else if (BusMaster) _irqs.Raise(1, 0);
        }
        public void Lower()
        {
            if (!_irqs.MsiActive) _irqs.LowerIntx();
        }
    }

    public MockDeviceProfile Profile { get; }

    public string Kind => "Mock";

    /// <summary>sizeof(struct vfio_device_info) in the headers of the baseline kernel (6.1): cap_offset, no pad.</summary>
    public const int BaselineDeviceInfoSize = VfioDeviceInfoCodec.SizeWithCapOffset;

    public IoctlResult Ioctl(uint request, Span<byte> argument)
    {
        lock (_gate)
        {
            // A closed fd: what ioctl(2) says for any request on it.
            if (_closed) return IoctlResult.Fail(Errno.EBADF);

            // VFIO_DEVICE_RESET takes no argument: nothing to read before answering it.
            if (request == VfioIoctl.DeviceReset) return MockResetResponder.Reset(Profile);

            bool getInfo = request == VfioIoctl.DeviceGetInfo, getIrqInfo = request == VfioIoctl.DeviceGetIrqInfo, setIrqs = request == VfioIoctl.DeviceSetIrqs;
            bool getRegionInfo = request == VfioIoctl.DeviceGetRegionInfo;
            bool hotResetInfo = request == VfioIoctl.DeviceGetPciHotResetInfo;
            // vfio_pci_core_ioctl's default case.
            if (!(getInfo || getIrqInfo || setIrqs || getRegionInfo || hotResetInfo)) return IoctlResult.Fail(Errno.ENOTTY);
            if (!TryReadArgsz(argument, out uint argsz)) return IoctlResult.Fail(Errno.EFAULT);
            if (getRegionInfo) return Profile.Regions.GetRegionInfo(argument, argsz, Profile.NumRegions);
            if (hotResetInfo) return MockResetResponder.GetHotResetInfo(Profile, argument);
            if (getInfo && Profile.DeviceCapabilities is { } deviceCaps) return deviceCaps.GetInfo(argument, argsz, Profile);
            if (getInfo) return GetInfo(argument, argsz);
            if (getIrqInfo) return GetIrqInfo(argument, argsz);
            return _irqs.SetIrqs(argument);
        }
    }

    /// <summary>
    /// The channel's guard for argsz-carrying ioctls: the mock may touch only the buffer it was given, so a buffer
    /// that cannot hold argsz, or an argsz that claims more than the buffer, is a fault (EFAULT), as a kernel copy to
    /// or from a too-short user buffer would be.
    /// </summary>
    private static bool TryReadArgsz(Span<byte> argument, out uint argsz)
    {
        argsz = 0;
        if (argument.Length < sizeof(uint)) return false;
        argsz = BinaryPrimitives.ReadUInt32LittleEndian(argument);
        return argsz <= (uint)argument.Length;
    }

    /// <summary>
    /// vfio_pci_ioctl_get_info: minsz 16; the struct is zeroed, filled, and min(argsz, sizeof) bytes copied back.
    /// sizeof is 20 on the baseline (Debian's 6.1, measured in the kernel lane: the word at 20 is left alone); the
    /// 2023 alignment change made it 24 (6.6 on; Debian's 6.12 writes the pad word as 0), so the size follows the
    /// kernel the profile records.
    /// </summary>
    private IoctlResult GetInfo(Span<byte> argument, uint argsz)
    {
        if (argument.Length < VfioDeviceInfoCodec.MinSize) return IoctlResult.Fail(Errno.EFAULT);
        if (argsz < VfioDeviceInfoCodec.MinSize) return IoctlResult.Fail(Errno.EINVAL);

        Span<byte> info = stackalloc byte[VfioDeviceInfoCodec.Size];
        info.Clear();
        VfioDeviceInfoCodec.Encode(info, new VfioDeviceInfoData(argsz, Profile.DeviceFlags, Profile.NumRegions, Profile.NumIrqs, 0));
        int copy = (int)Math.Min(argsz, (uint)Profile.KernelRules.DeviceInfoSize);
        info.Slice(0, copy).CopyTo(argument);
        return IoctlResult.Success;
    }

    /// <summary>
    /// vfio_pci_ioctl_get_irq_info, with the seed's device-specific indexes: minsz 16, EINVAL below it or for an
    /// index the device refuses; 16 bytes written and argsz untouched for an index without capabilities; for one
    /// with a chain, the whole chain and cap_offset when argsz covers it, else argsz raised to the size needed,
    /// cap_offset 0 only when argsz reaches it (20), and nothing written past argsz.
    /// </summary>
    private IoctlResult GetIrqInfo(Span<byte> argument, uint argsz)
    {
        if (argument.Length < VfioIrqInfoCodec.MainlineSize) return IoctlResult.Fail(Errno.EFAULT);
        if (argsz < VfioIrqInfoCodec.MainlineSize) return IoctlResult.Fail(Errno.EINVAL);

        uint index = BinaryPrimitives.ReadUInt32LittleEndian(argument.Slice(VfioIrqInfoCodec.IndexOffset));
        if (index >= Profile.NumIrqs) return IoctlResult.Fail(Errno.EINVAL);
        if (!Profile.Irqs.TryGetValue(index, out var irq)) return IoctlResult.Fail(Errno.EINVAL);
        if (irq.Refusal != Errno.None) return IoctlResult.Fail(irq.Refusal);

        BinaryPrimitives.WriteUInt32LittleEndian(argument.Slice(VfioIrqInfoCodec.FlagsOffset), (uint)irq.Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(argument.Slice(VfioIrqInfoCodec.CountOffset), irq.Count);
        if (irq.Capabilities is not { } chain) return IoctlResult.Success;

        if (argsz >= chain.RequiredArgsz)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(argument.Slice(VfioIrqInfoCodec.CapOffsetOffset), chain.CapOffset);
            chain.Tail.CopyTo(argument.Slice(VfioIrqInfoCodec.ExtendedSize));
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(argument.Slice(VfioIrqInfoCodec.ArgszOffset), chain.RequiredArgsz);
            if (argsz >= VfioIrqInfoCodec.ExtendedSize)
                BinaryPrimitives.WriteUInt32LittleEndian(argument.Slice(VfioIrqInfoCodec.CapOffsetOffset), 0);
        }
        return IoctlResult.Success;
    }

    /// <summary>Raises an interrupt from the device side (see <see cref="MockIrqController.Raise"/>); false if nothing was signalled.</summary>
    public bool RaiseInterrupt(uint index, uint vector)
    {
        lock (_gate) return !_closed && _irqs.Raise(index, vector);
    }

    /// <summary>What the device has for IRQ index <paramref name="index"/> (enabled, bound vectors), for tests.</summary>
    internal MockIrqIndexState IrqState(uint index)
    {
        lock (_gate) return _irqs.State(index);
    }

    /// <summary>Deasserts the INTx line.</summary>
    public void LowerIntx()
    {
        lock (_gate) _irqs.LowerIntx();
    }

    /// <summary>Whether the INTx line is asserted and whether it is masked, as the device sees it.</summary>
    public (bool Asserted, bool Masked) IntxLine
    {
        get { lock (_gate) return (_irqs.IntxLineAsserted, _irqs.IntxMasked); }
    }

    /// <summary>Closing the device fd: every IRQ disabled, every trigger released, as vfio-pci does at release.</summary>
    public void Dispose()
    {
        IReadOnlyList<System.Threading.Thread> watchers;
        lock (_gate)
        {
            if (_closed) return;
            _closed = true;
            _irqs.Dispose();
            watchers = _irqs.TakeStoppedWatchers();
        }
        // Outside the lock (a watcher may be waiting for it): once Dispose returns, the watcher closed its fds.
        foreach (var thread in watchers) thread.Join(TimeSpan.FromSeconds(2));
    }
}
