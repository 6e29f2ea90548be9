using System;
using VfioPS.Abi;
using VfioPS.Channels;

namespace VfioPS.Mock;

/// <summary>
/// A profile's config space: the bytes vfio-pci's CONFIG region returned on a freshly opened device, and per bit
/// whether a write sticks. Both were measured in the kernel lane (every byte written with all ones and with zeros,
/// read back, put back), so the mask already holds vfio-pci's rules (vendor and device ids dropped, BARs sized by
/// their mask, MSI enable dropped, the INTx-disable bit virtualized) and what the emulated hardware keeps where
/// vfio-pci passes writes through. Immutable; each open device works on its own copy (<see cref="MockConfigSpace"/>).
/// </summary>
public sealed class MockConfigImage
{
    public MockConfigImage(byte[] bytes, byte[] writable)
    {
        if (bytes.Length != writable.Length) throw new ArgumentException("The writable mask must cover config space exactly.", nameof(writable));
        Bytes = bytes;
        Writable = writable;
    }

    /// <summary>256 for conventional PCI, 4096 for PCI Express.</summary>
    public int Size => Bytes.Length;
    public byte[] Bytes { get; }
    public byte[] Writable { get; }
}

/// <summary>
/// The CONFIG region of one open mock device, as vfio_pci_config_rw answers it: an access that starts or ends past
/// config space is EFAULT (not EINVAL, and not clipped); any other access moves every byte; a write keeps the bits
/// the image marks writable and drops the rest, and still reports every byte written, as vfio-pci does for the bits
/// it filters. Runs under the channel's lock.
/// </summary>
internal sealed class MockConfigSpace
{
    private readonly byte[] _bytes;
    private readonly byte[] _writable;

    public MockConfigSpace(MockConfigImage image)
    {
        _bytes = (byte[])image.Bytes.Clone();
        _writable = image.Writable;
    }

    public MockConfigSpace(int size)
    {
        _bytes = new byte[size];
        _writable = new byte[size];
    }

    public int Size => _bytes.Length;

    /// <summary>The bytes as they stand now (for the device's own decisions: command register, MSI-X table).</summary>
    public ReadOnlySpan<byte> Current => _bytes;

    private bool InBounds(long position, int count) => position >= 0 && position < _bytes.Length && position + count <= _bytes.Length;

    public RegionIoResult Read(Span<byte> buffer, long position)
    {
        if (!InBounds(position, buffer.Length)) return RegionIoResult.Fail(Errno.EFAULT);
        _bytes.AsSpan((int)position, buffer.Length).CopyTo(buffer);
        return RegionIoResult.Moved(buffer.Length);
    }

    public RegionIoResult Write(ReadOnlySpan<byte> buffer, long position)
    {
        if (!InBounds(position, buffer.Length)) return RegionIoResult.Fail(Errno.EFAULT);
        for (int i = 0; i < buffer.Length; i++)
        {
            int at = (int)position + i;
            byte mask = _writable[at];
            _bytes[at] = (byte)((_bytes[at] & ~mask) | (buffer[i] & mask));
        }
        return RegionIoResult.Moved(buffer.Length);
    }
}
