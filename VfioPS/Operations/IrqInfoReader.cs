using System;
using System.Collections.Generic;
using VfioPS.Abi;
using VfioPS.Channels;

namespace VfioPS.Operations;

/// <summary>An IRQ index as read, and the chain fault found on the way, if any.</summary>
public sealed record IrqInfoResult(VfioIrqInfo Info, ChainFault? Fault);

/// <summary>
/// VFIO_DEVICE_GET_IRQ_INFO for one index, for mainline kernels and for the seed's appended cap_offset alike.
/// The first call passes argsz 20 with bytes 16..19 zeroed: a mainline kernel writes 16 bytes and never sets the
/// caps flag, so the zero word is never read as cap_offset; a device with a chain that does not fit raises argsz,
/// and the one retry reads it whole.
/// </summary>
public static class IrqInfoReader
{
    public const int InitialArgsz = VfioIrqInfoCodec.ExtendedSize;

    /// <summary>The fixed-or-device-specific boundary of vfio-pci, where capability chains start to describe indexes.</summary>
    public static bool IsDeviceSpecific(uint index) => index >= VfioPciIrq.NumFixed;

    /// <summary>Every index of the device, 0..num_irqs-1, in order.</summary>
    public static IEnumerable<uint> AllIndexes(VfioDevice device)
    {
        for (uint index = 0; index < device.NumIrqs; index++)
            yield return index;
    }

    // The only errno read as "refused": one text for every refused index, made once.
    private static readonly string RefusedReason = $"the device answered {ErrnoText.Format(Errno.EINVAL)}";

    /// <summary>GET_IRQ_INFO for one index: argsz and index in, the caps flag read back from flags.</summary>
    private readonly struct IrqInfoRequest : IInfoRequest
    {
        private readonly uint _index;
        private readonly string _device;

        public IrqInfoRequest(uint index, string device)
        {
            _index = index;
            _device = device;
        }

        public void Encode(Span<byte> buffer, uint argsz) => VfioIrqInfoCodec.EncodeRequest(buffer, argsz, _index);
        public bool HasCaps(ReadOnlySpan<byte> answer) => (VfioIrqInfoCodec.Decode(answer).Flags & VfioIrqFlags.Caps) != 0;
        public string Describe() => $"VFIO_DEVICE_GET_IRQ_INFO for index {_index} of '{_device}'";
    }

    public static IrqInfoResult Read(VfioDevice device, uint index)
    {
        if (index >= device.NumIrqs)
            throw new VfioException("VfioIrqIndexOutOfRange", VfioErrorKind.InvalidArgument,
                $"The device '{device.Name}' has IRQ indexes 0..{(long)device.NumIrqs - 1} (num_irqs {device.NumIrqs}); index {index} is not one of them.",
                device.Name);

        var channel = device.OpenChannel;
        // The first answer fits on the stack; only a chain that does not fit in 20 bytes costs a heap buffer.
        Span<byte> first = stackalloc byte[InitialArgsz];
        var query = new IrqInfoRequest(index, device.Name);
        Span<byte> answer = InfoQuery.Negotiate(channel, VfioIoctl.DeviceGetIrqInfo, first, ref query, device.Name, out var result, out _);

        bool isPci = (device.Flags & VfioDeviceFlags.Pci) != 0;
        if (result.IsError)
        {
            // An index below num_irqs that the device refuses (ERR on conventional PCI, the indexes an mdev does
            // not implement) is a fact about the device, not a failure of the call.
            if (result.Errno == Errno.EINVAL)
            {
                var refused = new VfioIrqInfo(device.Name, index, IrqIndexNames.For(index, isPci, null, null), 0, VfioIrqFlags.None,
                    IsDeviceSpecific(index), null, null, Array.Empty<VfioIrqCapability>(), supported: false,
                    unsupportedReason: RefusedReason);
                return new IrqInfoResult(refused, null);
            }
            throw VfioException.FromIoctl("VfioGetIrqInfoFailed", query.Describe(), result.Errno, device.Name);
        }

        var data = VfioIrqInfoCodec.Decode(answer);
        VfioIrqCapability[] capabilities = Array.Empty<VfioIrqCapability>();
        ChainFault? fault = null;
        uint? type = null, subtype = null;
        if ((data.Flags & VfioIrqFlags.Caps) != 0)
        {
            var walk = CapabilityChainReader.WalkAnswer(answer, data.CapOffset ?? 0, VfioIrqInfoCodec.ExtendedSize, CapabilityChainReader.IrqCapabilitySize);
            fault = walk.Fault;
            capabilities = new VfioIrqCapability[walk.Capabilities.Count];
            for (int i = 0; i < capabilities.Length; i++)
            {
                var raw = walk.Capabilities[i];
                uint? capType = null, capSubtype = null;
                if (raw.Header.Id == VfioCapabilityCodec.IrqInfoCapType)
                {
                    var decoded = VfioCapabilityCodec.DecodeIrqCapType(raw.Data);
                    capType = decoded.Type;
                    capSubtype = decoded.Subtype;
                    if (type is null) { type = capType; subtype = capSubtype; }
                }
                capabilities[i] = new VfioIrqCapability(device.Name, index, raw.Header.Id, raw.Header.Version, raw.Offset,
                    raw.Header.Next, capType, capSubtype, raw.Data);
            }
        }

        var info = new VfioIrqInfo(device.Name, index, IrqIndexNames.For(index, isPci, type, subtype), data.Count, data.Flags,
            IsDeviceSpecific(index), type, subtype, capabilities, supported: true, unsupportedReason: null);
        return new IrqInfoResult(info, fault);
    }
}
