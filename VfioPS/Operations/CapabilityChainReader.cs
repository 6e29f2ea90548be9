using System;
using System.Collections.Generic;
using VfioPS.Abi;

namespace VfioPS.Operations;

/// <summary>Why a capability chain walk stopped early.</summary>
public enum ChainFaultKind
{
    /// <summary>An offset that is not 4-byte aligned (vfio_info_cap_header has align 4).</summary>
    Misaligned,
    /// <summary>An offset inside the INFO struct itself.</summary>
    OverlapsInfo,
    /// <summary>A header (or a known capability's body) that does not fit in the answer.</summary>
    OutOfBounds,
    /// <summary>A next pointer back to a capability already visited.</summary>
    Cycle,
    /// <summary>A header that overlaps another capability.</summary>
    Overlap,
    /// <summary>The caps flag is set but cap_offset is 0 although the chain fitted.</summary>
    MissingChain,
    /// <summary>More capabilities than the answer could hold without overlapping (the selftests' depth cap).</summary>
    TooLong,
}

/// <summary>Where and why a chain is malformed. Capabilities before it are still valid.</summary>
public sealed record ChainFault(ChainFaultKind Kind, uint Offset, string Message);

/// <summary>One capability found by the walk, with the bytes that belong to it.</summary>
public readonly record struct RawCapability(uint Offset, VfioCapabilityHeader Header, byte[] Data);

public sealed record ChainWalk(IReadOnlyList<RawCapability> Capabilities, ChainFault? Fault);

/// <summary>
/// Walks a vfio_info_cap_header chain inside an INFO answer, trusting nothing: every offset must be 4-byte aligned,
/// past the INFO struct, with room for a header inside the buffer, and not overlap a capability already seen; a
/// revisit is a cycle; the depth is capped at (buffer - struct) / 8 like the kernel selftests do. Malformed input
/// ends the walk with a <see cref="ChainFault"/>; it never throws and never loops.
/// </summary>
public static class CapabilityChainReader
{
    /// <param name="declaredSize">The size of a capability whose layout is known, by id; 0 when unknown.</param>
    public static ChainWalk Walk(ReadOnlySpan<byte> buffer, uint firstOffset, int infoSize, Func<ushort, int> declaredSize)
    {
        ChainFault? fault = null;
        long maxDepth = Math.Max(0, (buffer.Length - (long)infoSize) / VfioCapabilityCodec.HeaderSize);
        // The walk's bookkeeping lives on the stack for the first 64 capabilities (real chains have a few); a longer
        // chain moves it to arrays that double as it grows.
        Span<uint> offsets = stackalloc uint[64];
        Span<VfioCapabilityHeader> headers = stackalloc VfioCapabilityHeader[64];
        int count = 0;
        uint offset = firstOffset;
        uint from = 0; // the offset whose next pointed here, for messages; 0 = cap_offset

        while (offset != 0)
        {
            if (offset % 4 != 0)
            { fault = new(ChainFaultKind.Misaligned, offset, $"{Source(from)} points at offset {offset}, which is not 4-byte aligned"); break; }
            if (offset < infoSize)
            { fault = new(ChainFaultKind.OverlapsInfo, offset, $"{Source(from)} points at offset {offset}, inside the {infoSize}-byte info struct"); break; }
            if ((long)offset + VfioCapabilityCodec.HeaderSize > buffer.Length)
            { fault = new(ChainFaultKind.OutOfBounds, offset, $"{Source(from)} points at offset {offset}, but a capability header there would end past the {buffer.Length}-byte answer"); break; }
            if (offsets.Slice(0, count).Contains(offset))
            { fault = new(ChainFaultKind.Cycle, offset, $"{Source(from)} points back at offset {offset}: the chain has a cycle"); break; }
            uint overlapped = 0;
            bool overlaps = false;
            foreach (uint seen in offsets.Slice(0, count))
            {
                if (offset < seen + VfioCapabilityCodec.HeaderSize && seen < offset + VfioCapabilityCodec.HeaderSize) { overlapped = seen; overlaps = true; break; }
            }
            if (overlaps)
            { fault = new(ChainFaultKind.Overlap, offset, $"{Source(from)} points at offset {offset}, overlapping the capability header at {overlapped}"); break; }
            if (count >= maxDepth)
            { fault = new(ChainFaultKind.TooLong, offset, $"the chain is longer than {maxDepth} capabilities, more than the answer can hold"); break; }

            var header = VfioCapabilityCodec.DecodeHeader(buffer.Slice((int)offset));
            if (count == offsets.Length)
            {
                var moreOffsets = new uint[count * 2];
                var moreHeaders = new VfioCapabilityHeader[count * 2];
                offsets.CopyTo(moreOffsets);
                headers.CopyTo(moreHeaders);
                offsets = moreOffsets;
                headers = moreHeaders;
            }
            offsets[count] = offset;
            headers[count] = header;
            count++;
            from = offset;
            offset = header.Next;
        }

        var capabilities = new RawCapability[count];
        int kept = 0;
        for (int i = 0; i < count; i++)
        {
            uint start = offsets[i];
            // A capability's size is not in its header: it extends to the next capability in memory or the end.
            long end = buffer.Length;
            foreach (uint other in offsets.Slice(0, count))
                if (other > start && other < end) end = other;
            long declared = declaredSize(headers[i].Id);
            if (declared > 0)
            {
                if (start + declared > end)
                {
                    // This capability comes before anything the walk itself rejected, so it is the fault to report.
                    fault = new(ChainFaultKind.OutOfBounds, start,
                        $"the capability at offset {start} (id {headers[i].Id}) needs {declared} bytes but only {end - start} are there");
                    break;
                }
                end = start + declared;
            }
            capabilities[kept++] = new RawCapability(start, headers[i], buffer.Slice((int)start, (int)(end - start)).ToArray());
        }
        if (kept < count) Array.Resize(ref capabilities, kept);
        return new ChainWalk(capabilities, fault);
    }

    /// <summary>
    /// The chain of an INFO answer whose caps flag is set. A cap_offset of 0 then is itself a fault (MissingChain): the
    /// device did not ask for a larger buffer, so the chain should have been there. Otherwise <see cref="Walk"/>.
    /// </summary>
    public static ChainWalk WalkAnswer(ReadOnlySpan<byte> answer, uint capOffset, int infoSize, Func<ushort, int> declaredSize)
    {
        if (capOffset == 0)
            return new ChainWalk(Array.Empty<RawCapability>(), new ChainFault(ChainFaultKind.MissingChain, 0,
                $"the caps flag is set but cap_offset is 0 in a {answer.Length}-byte answer that the device did not ask to enlarge"));
        return Walk(answer, capOffset, infoSize, declaredSize);
    }

    /// <summary>What pointed at a faulty offset, for messages (made only when there is a fault to report).</summary>
    private static string Source(uint from) => from == 0 ? "cap_offset" : $"the next field of the capability at {from}";

    /// <summary>Sizes of the IRQ-info capabilities the module decodes; 0 for unknown ids.</summary>
    public static int IrqCapabilitySize(ushort id) => id == VfioCapabilityCodec.IrqInfoCapType ? VfioCapabilityCodec.CapTypeSize : 0;
}
