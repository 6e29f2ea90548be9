using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using VfioPS.Abi;
using VfioPS.Channels;

namespace VfioPS.Mock;

/// <summary>What the region I/O of a mock device needs to know about one region: its size and whether it can be read and written.</summary>
internal readonly record struct MockRegionWindow(ulong Size, bool Readable, bool Writable);

/// <summary>
/// pread/pwrite on a mock device fd, as vfio-pci answers them (drivers/vfio/pci/vfio_pci_rdwr.c, vfio_pci_config.c;
/// Debian's 6.1 measured in the kernel lane): the region index is offset &gt;&gt; 40 and an index at or past num_regions
/// is EINVAL; a zero-length access moves nothing and succeeds before any check; CONFIG is the device's virtualized
/// config space (<see cref="MockConfigSpace"/>: EFAULT past its end); a BAR of size 0, or an access starting at or past
/// a BAR's end, is EINVAL, and one running past the end is clipped to the bytes that are there (a short transfer); a
/// memory BAR (and the ROM) is EIO while memory decoding is off in the command register; the MSI-X vector table reads
/// as all ones and drops writes; the ROM refuses writes (EINVAL); VGA is EINVAL on devices without VGA. Accesses reach
/// a BAR split as vfio-pci splits them: naturally aligned 4-, 2- and 1-byte pieces, and 8-byte ones from 6.11 on.
/// BAR contents: the register model the profile names (edu's BAR0), else plain memory that keeps what is written.
/// Runs under the channel's lock.
/// </summary>
internal sealed class MockRegionSpace
{
    /// <summary>VFIO_PCI_OFFSET_SHIFT: vfio-pci places region N at N &lt;&lt; 40 in the device fd.</summary>
    public const int OffsetShift = 40;
    private const long OffsetMask = (1L << OffsetShift) - 1;
    private const int PageSize = 4096;

    private readonly MockDeviceProfile _profile;
    private readonly Func<uint, MockRegionWindow?> _windows;
    private readonly MockConfigSpace _config;
    private readonly Dictionary<uint, IMockBarModel> _models = new();
    // Plain-memory BAR contents, a 4 KiB page at a time, allocated on first write (a large BAR costs nothing until used).
    private readonly Dictionary<(uint Index, long Page), byte[]> _pages = new();

    public MockRegionSpace(MockDeviceProfile profile, Func<uint, MockRegionWindow?> windows, MockConfigSpace config, IMockInterruptLine line)
    {
        _profile = profile;
        _windows = windows;
        _config = config;
        if (string.Equals(profile.DeviceModel, "edu", StringComparison.Ordinal)) _models[0] = new MockEduRegisters(line);
    }

    public MockConfigSpace Config => _config;

    public RegionIoResult Read(Span<byte> buffer, long offset) => Access(buffer, offset, write: false);

    public RegionIoResult Write(ReadOnlySpan<byte> buffer, long offset)
    {
        // The write path only reads the span; one code path for both directions keeps the checks identical.
        var copy = buffer.ToArray();
        return Access(copy, offset, write: true);
    }

    private RegionIoResult Access(Span<byte> buffer, long offset, bool write)
    {
        if (offset < 0) return RegionIoResult.Fail(Errno.EINVAL);  // rw_verify_area
        if (buffer.Length == 0) return RegionIoResult.Moved(0);   // vfio_pci_core_read/write: !count returns 0 first
        ulong index = (ulong)offset >> OffsetShift;
        if (index >= _profile.NumRegions) return RegionIoResult.Fail(Errno.EINVAL);
        long position = offset & OffsetMask;
        switch ((uint)index)
        {
            case (uint)VfioPciRegionIndex.Config:
                return write ? _config.Write(buffer, position) : _config.Read(buffer, position);
            case (uint)VfioPciRegionIndex.Rom:
                return write ? RegionIoResult.Fail(Errno.EINVAL) : Bar((uint)index, buffer, position, write: false);
            case <= (uint)VfioPciRegionIndex.Bar5:
                return Bar((uint)index, buffer, position, write);
            case (uint)VfioPciRegionIndex.Vga:
                return RegionIoResult.Fail(Errno.EINVAL);
            default:
                return DeviceSpecific((uint)index, buffer, position, write);
        }
    }

    private RegionIoResult Bar(uint index, Span<byte> buffer, long position, bool write)
    {
        var window = _windows(index);
        if (window is not { Size: > 0 } w || position >= (long)w.Size) return RegionIoResult.Fail(Errno.EINVAL);
        int count = (int)Math.Min(buffer.Length, (long)w.Size - position);
        // vfio_pci_ioread/iowrite test memory decoding per access, so only a piece that reaches the device can fail.
        bool gated = IsMemory(index) && !MemoryEnabled;
        var (excludeStart, excludeEnd) = MsixTable(index);
        long at = position;
        int done = 0;
        while (done < count)
        {
            int left = count - done;
            if (at >= excludeStart && at < excludeEnd)
            {
                // do_io_rw: the MSI-X table reads as -1 and drops writes, up to the table's end.
                int skip = (int)Math.Min(left, excludeEnd - at);
                if (!write) buffer.Slice(done, skip).Fill(0xFF);
                done += skip;
                at += skip;
                continue;
            }
            int fillable = at < excludeStart ? (int)Math.Min(left, excludeStart - at) : left;
            int piece = fillable >= 8 && at % 8 == 0 && _profile.KernelRules.EightByteBarAccess ? 8
                : fillable >= 4 && at % 4 == 0 ? 4 : fillable >= 2 && at % 2 == 0 ? 2 : 1;
            if (gated) return RegionIoResult.Fail(Errno.EIO);
            var slice = buffer.Slice(done, piece);
            if (write) Store(index, at, slice);
            else Load(index, at, slice);
            done += piece;
            at += piece;
        }
        return RegionIoResult.Moved(count);
    }

    private RegionIoResult DeviceSpecific(uint index, Span<byte> buffer, long position, bool write)
    {
        var window = _windows(index);
        if (window is not { Size: > 0 } w || position >= (long)w.Size) return RegionIoResult.Fail(Errno.EINVAL);
        if (write ? !w.Writable : !w.Readable) return RegionIoResult.Fail(Errno.EINVAL);
        int count = (int)Math.Min(buffer.Length, (long)w.Size - position);
        for (int i = 0; i < count; i++)
        {
            if (write) Store(index, position + i, buffer.Slice(i, 1));
            else Load(index, position + i, buffer.Slice(i, 1));
        }
        return RegionIoResult.Moved(count);
    }

    private void Load(uint index, long at, Span<byte> piece)
    {
        if (_models.TryGetValue(index, out var model))
        {
            ulong value = model.Read(at, piece.Length);
            for (int i = 0; i < piece.Length; i++) piece[i] = (byte)(value >> (8 * i));
            return;
        }
        for (int i = 0; i < piece.Length; i++)
            piece[i] = _pages.TryGetValue((index, (at + i) / PageSize), out var page) ? page[(at + i) % PageSize] : (byte)0;
    }

    private void Store(uint index, long at, ReadOnlySpan<byte> piece)
    {
        if (_models.TryGetValue(index, out var model))
        {
            ulong value = 0;
            for (int i = 0; i < piece.Length; i++) value |= (ulong)piece[i] << (8 * i);
            model.Write(at, piece.Length, value);
            return;
        }
        for (int i = 0; i < piece.Length; i++)
        {
            var key = (index, (at + i) / PageSize);
            if (!_pages.TryGetValue(key, out var page)) _pages[key] = page = new byte[PageSize];
            page[(at + i) % PageSize] = piece[i];
        }
    }

    // The command register's memory-space bit, in the device's (virtualized) config space.
    private bool MemoryEnabled => _config.Size < 6 || (_config.Current[4] & 0x2) != 0;

    /// <summary>BARs decode memory unless the BAR register says I/O space; the ROM always does.</summary>
    private bool IsMemory(uint index)
    {
        if (index == (uint)VfioPciRegionIndex.Rom) return true;
        int register = 0x10 + 4 * (int)index;
        if (_config.Size < register + 4) return true;
        return (_config.Current[register] & 0x1) == 0;
    }

    /// <summary>The MSI-X table's byte range in this BAR (vfio-pci's msix_offset and msix_size), or an empty range.</summary>
    private (long Start, long End) MsixTable(uint index)
    {
        var config = _config.Current;
        if (config.Length < 0x40 || (config[6] & 0x10) == 0) return (0, 0);
        var seen = new HashSet<int>();
        int pointer = config[0x34] & 0xFC;
        while (pointer >= 0x40 && pointer + 12 <= Math.Min(config.Length, 256) && seen.Add(pointer))
        {
            if (config[pointer] == 0x11)
            {
                uint table = BinaryPrimitives.ReadUInt32LittleEndian(config.Slice(pointer + 4));
                if ((table & 0x7) != index) return (0, 0);
                int entries = (BinaryPrimitives.ReadUInt16LittleEndian(config.Slice(pointer + 2)) & 0x7FF) + 1;
                long start = table & ~0x7u;
                return (start, start + entries * 16L);
            }
            pointer = config[pointer + 1] & 0xFC;
        }
        return (0, 0);
    }
}
