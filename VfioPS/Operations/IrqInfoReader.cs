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

    public static IrqInfoResult Read(VfioDevice device, uint index)
    {
        if (index >= device.NumIrqs)
            throw new VfioException("VfioIrqIndexOutOfRange", VfioErrorKind.InvalidArgument,
                $"The device '{device.Name}' has IRQ indexes 0..{(long)device.NumIrqs - 1} (num_irqs {device.NumIrqs}); index {index} is not one of them.",
                device.Name);

        var channel = device.OpenChannel;
        string what = $"VFIO_DEVICE_GET_IRQ_INFO for index {index} of '{device.Name}'";
        var answer = InfoQuery.Negotiate(channel, VfioIoctl.DeviceGetIrqInfo, InitialArgsz,
            (buffer, argsz) => VfioIrqInfoCodec.EncodeRequest(buffer, argsz, index),
            buffer => (VfioIrqInfoCodec.Decode(buffer).Flags & VfioIrqFlags.Caps) != 0,
            what, device.Name);

        bool isPci = (device.Flags & VfioDeviceFlags.Pci) != 0;
        if (answer.Result.IsError)
        {
            // An index below num_irqs that the device refuses (ERR on conventional PCI, the indexes an mdev does
            // not implement) is a fact about the device, not a failure of the call.
            if (answer.Result.Errno == Errno.EINVAL)
            {
                var refused = new VfioIrqInfo(device.Name, index, IrqIndexNames.For(index, isPci, null, null), 0, VfioIrqFlags.None,
                    IsDeviceSpecific(index), null, null, Array.Empty<VfioIrqCapability>(), supported: false,
                    unsupportedReason: $"the device answered {ErrnoText.Format(answer.Result.Errno)}");
                return new IrqInfoResult(refused, null);
            }
            throw VfioException.FromIoctl("VfioGetIrqInfoFailed", what, answer.Result.Errno, device.Name);
        }

        var data = VfioIrqInfoCodec.Decode(answer.Buffer);
        var capabilities = new List<VfioIrqCapability>();
        ChainFault? fault = null;
        uint? type = null, subtype = null;
        if ((data.Flags & VfioIrqFlags.Caps) != 0)
        {
            uint capOffset = data.CapOffset ?? 0;
            if (capOffset == 0)
            {
                fault = new ChainFault(ChainFaultKind.MissingChain, 0,
                    $"the caps flag is set but cap_offset is 0 in a {answer.Buffer.Length}-byte answer that the device did not ask to enlarge");
            }
            else
            {
                var walk = CapabilityChainReader.Walk(answer.Buffer, capOffset, VfioIrqInfoCodec.ExtendedSize, CapabilityChainReader.IrqCapabilitySize);
                fault = walk.Fault;
                foreach (var raw in walk.Capabilities)
                {
                    uint? capType = null, capSubtype = null;
                    if (raw.Header.Id == VfioCapabilityCodec.IrqInfoCapType)
                    {
                        var decoded = VfioCapabilityCodec.DecodeIrqCapType(raw.Data);
                        capType = decoded.Type;
                        capSubtype = decoded.Subtype;
                        if (type is null) { type = capType; subtype = capSubtype; }
                    }
                    capabilities.Add(new VfioIrqCapability(device.Name, index, raw.Header.Id, raw.Header.Version, raw.Offset,
                        raw.Header.Next, capType, capSubtype, raw.Data));
                }
            }
        }

        var info = new VfioIrqInfo(device.Name, index, IrqIndexNames.For(index, isPci, type, subtype), data.Count, data.Flags,
            IsDeviceSpecific(index), type, subtype, capabilities.ToArray(), supported: true, unsupportedReason: null);
        return new IrqInfoResult(info, fault);
    }
}
