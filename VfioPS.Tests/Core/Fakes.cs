using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using VfioPS.Abi;
using VfioPS.Channels;

namespace VfioPS.Core.Tests;

/// <summary>Byte helpers for writing expected answers by hand, so expectations come from the ABI text, not from the codecs under test.</summary>
internal static class Bytes
{
    /// <summary>"10 00 00 00" → {0x10, 0, 0, 0}. Spaces are ignored.</summary>
    public static byte[] Hex(string text) => Convert.FromHexString(text.Replace(" ", "", StringComparison.Ordinal));

    /// <summary>A buffer filled with 0xAA (a value no VFIO field here takes), so untouched bytes are visible.</summary>
    public static byte[] Poisoned(int length)
    {
        var buffer = new byte[length];
        buffer.AsSpan().Fill(0xAA);
        return buffer;
    }

    public static void PutU32(byte[] buffer, int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(offset), value);
    public static void PutU16(byte[] buffer, int offset, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(offset), value);
    public static uint U32(byte[] buffer, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset));
    public static ulong U64(byte[] buffer, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(offset));

    // Span forms, for fakes that answer inside an ioctl handler.
    public static uint U32Span(Span<byte> buffer, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(offset));
    public static void PutU32Span(Span<byte> buffer, int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(buffer.Slice(offset), value);
    public static void PutU64Span(Span<byte> buffer, int offset, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(buffer.Slice(offset), value);

    /// <summary>True when every byte from <paramref name="from"/> to the end is 0xAA.</summary>
    public static bool UntouchedFrom(byte[] buffer, int from)
    {
        for (int i = from; i < buffer.Length; i++)
            if (buffer[i] != 0xAA) return false;
        return true;
    }

    /// <summary>Index of the first byte at or after <paramref name="from"/> that is not 0xAA, -1 if none (for readable failures).</summary>
    public static int FirstTouched(byte[] buffer, int from)
    {
        for (int i = from; i < buffer.Length; i++)
            if (buffer[i] != 0xAA) return i;
        return -1;
    }
}

/// <summary>An ioctl handler for fakes; a delegate because Span cannot be a generic argument.</summary>
internal delegate IoctlResult IoctlHandler(uint request, Span<byte> argument);

/// <summary>A channel whose answers are written by the test.</summary>
internal sealed class DelegateChannel : IVfioDeviceChannel
{
    private readonly IoctlHandler _handler;
    public DelegateChannel(IoctlHandler handler) => _handler = handler;
    public string Kind => "Fake";
    public bool Disposed { get; private set; }
    public IoctlResult Ioctl(uint request, Span<byte> argument) => _handler(request, argument);
    public void Dispose() => Disposed = true;
}

/// <summary>One ioctl as a <see cref="RecordingChannel"/> saw it.</summary>
internal sealed record RecordedIoctl(uint Request, int BufferLength, uint ArgszIn, uint? ArgszOut, IoctlResult Result);

/// <summary>
/// Wraps a channel and records every ioctl: the request, the buffer length and argsz going in and coming out.
/// It lets tests count round trips and check buffer sizes that the operations never expose.
/// </summary>
internal sealed class RecordingChannel : IVfioDeviceChannel
{
    private readonly IVfioDeviceChannel _inner;
    private readonly List<RecordedIoctl> _calls = new();

    public RecordingChannel(IVfioDeviceChannel inner) => _inner = inner;

    public IReadOnlyList<RecordedIoctl> Calls => _calls;
    public string Kind => _inner.Kind;

    public IoctlResult Ioctl(uint request, Span<byte> argument)
    {
        uint argszIn = argument.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(argument) : 0;
        var result = _inner.Ioctl(request, argument);
        uint? argszOut = argument.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(argument) : null;
        _calls.Add(new RecordedIoctl(request, argument.Length, argszIn, argszOut, result));
        return result;
    }

    public void Clear() => _calls.Clear();
    public void Dispose() => _inner.Dispose();
}

/// <summary>
/// A mainline vfio-pci kernel as vfio-abi.md §1.2/§7 describe it, for an e1000e: vfio_irq_info is 16 bytes, there is
/// no caps flag, index &gt;= 5 is EINVAL, and nothing is ever written past byte 16 of a GET_IRQ_INFO answer.
/// With <c>poisonPastStruct</c> it fills bytes 16.. with 0xFF before answering, so a reader that looked at the word
/// at 16 without the caps flag would see garbage.
/// </summary>
internal sealed class MainlineKernelChannel : IVfioDeviceChannel
{
    // (count, flags) of e1000e from vfio-abi.md §7.
    private static readonly (uint Count, uint Flags)[] s_e1000e = { (1, 0x7), (1, 0x9), (5, 0x9), (1, 0x9), (1, 0x9) };
    private readonly bool _poisonPastStruct;

    public MainlineKernelChannel(bool poisonPastStruct = false) => _poisonPastStruct = poisonPastStruct;

    public string Kind => "FakeMainline";
    public int IrqInfoCalls { get; private set; }

    public IoctlResult Ioctl(uint request, Span<byte> argument)
    {
        if (argument.Length < 16) return IoctlResult.Fail(Errno.EFAULT);
        uint argsz = BinaryPrimitives.ReadUInt32LittleEndian(argument);
        if (argsz < 16) return IoctlResult.Fail(Errno.EINVAL);
        if (argsz > argument.Length) return IoctlResult.Fail(Errno.EFAULT);

        if (request == 0x3B6B) // VFIO_DEVICE_GET_INFO: flags RESET|PCI, 9 regions, 5 irqs; min(argsz, 24) copied back.
        {
            Span<byte> info = stackalloc byte[24];
            info.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(info, argsz);
            BinaryPrimitives.WriteUInt32LittleEndian(info.Slice(4), 0x3);
            BinaryPrimitives.WriteUInt32LittleEndian(info.Slice(8), 9);
            BinaryPrimitives.WriteUInt32LittleEndian(info.Slice(12), 5);
            info.Slice(0, (int)Math.Min(argsz, 24u)).CopyTo(argument);
            return IoctlResult.Success;
        }
        if (request == 0x3B6D) // VFIO_DEVICE_GET_IRQ_INFO
        {
            IrqInfoCalls++;
            if (_poisonPastStruct) argument.Slice(16, (int)argsz - 16).Fill(0xFF);
            uint index = BinaryPrimitives.ReadUInt32LittleEndian(argument.Slice(8));
            if (index >= 5) return IoctlResult.Fail(Errno.EINVAL);
            BinaryPrimitives.WriteUInt32LittleEndian(argument.Slice(4), s_e1000e[index].Flags);
            BinaryPrimitives.WriteUInt32LittleEndian(argument.Slice(12), s_e1000e[index].Count);
            return IoctlResult.Success;
        }
        return IoctlResult.Fail(Errno.ENOTTY);
    }

    public void Dispose() { }
}

/// <summary>Test devices built through the internal VfioDevice constructor, so the channel is the test's own.</summary>
internal static class TestDevices
{
    public static VfioDevice Create(IVfioDeviceChannel channel, uint numIrqs = 5, VfioDeviceFlags flags = VfioDeviceFlags.Pci, string name = "test:fake")
        => new(name, null, channel, new VfioDeviceInfoData(24, flags, 9, numIrqs, 0));

    /// <summary>Answers GET_IRQ_INFO with <paramref name="answer"/>; other requests get ENOTTY.</summary>
    public static VfioDevice WithIrqAnswer(IoctlHandler answer, uint numIrqs = 5, VfioDeviceFlags flags = VfioDeviceFlags.Pci)
        => Create(new DelegateChannel((request, argument) => request == VfioIoctl.DeviceGetIrqInfo ? answer(request, argument) : IoctlResult.Fail(Errno.ENOTTY)),
            numIrqs, flags);
}
