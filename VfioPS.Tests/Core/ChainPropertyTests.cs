using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using CsCheck;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Operations;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>
/// Properties of the chain walk and the IRQ read path, checked on random input with CsCheck. Iteration counts are
/// modest so the project runs in seconds; CsCheck prints a seed on failure to replay the exact case.
/// </summary>
public class ChainPropertyTests
{
    private const int IrqInfoSize = 20;

    /// <summary>One capability of a random valid chain: its header fields, payload and the gap placed before it in memory.</summary>
    public sealed record CapSpec(ushort Id, ushort Version, byte[] Payload, int GapBefore)
    {
        public int Size => VfioCapabilityCodec.HeaderSize + Payload.Length;
    }

    /// <summary>A random valid chain: capabilities in memory order, the chain order as a permutation, and trailing slack.</summary>
    public sealed record ChainSpec(CapSpec[] Caps, int[] ChainOrder, int TrailingGap);

    // Payloads are whole 4-byte words so every capability stays 4-byte aligned; the TYPE capability (id 3) gets
    // at least its 8 bytes of type/subtype, since a shorter one is (rightly) a fault.
    private static readonly Gen<CapSpec> s_cap =
        Gen.Select(Gen.UShort[1, ushort.MaxValue], Gen.UShort, Gen.Int[0, 6], Gen.Int[0, 3], Gen.Byte.Array[24],
            (id, version, words, gapWords, bytes) =>
            {
                if (id == VfioCapabilityCodec.IrqInfoCapType) words = Math.Max(words, 2);
                return new CapSpec(id, version, bytes[..(words * 4)], gapWords * 4);
            });

    private static readonly Gen<ChainSpec> s_chain =
        Gen.Int[1, 20].SelectMany(n =>
            Gen.Select(s_cap.Array[n], Gen.Shuffle(Enumerable.Range(0, n).ToArray()), Gen.Int[0, 3],
                (caps, order, trailing) => new ChainSpec(caps, order, trailing * 4)));

    /// <summary>Lays a chain out after a 20-byte struct and returns the answer and each capability's offset (memory order).</summary>
    private static (byte[] Answer, uint[] Offsets) Encode(ChainSpec spec)
    {
        var offsets = new uint[spec.Caps.Length];
        int position = IrqInfoSize;
        for (int i = 0; i < spec.Caps.Length; i++)
        {
            position += spec.Caps[i].GapBefore;
            offsets[i] = (uint)position;
            position += spec.Caps[i].Size;
        }
        byte[] answer = new byte[position + spec.TrailingGap];
        // Garbage in the struct and the gaps: the walk must only look where the chain points.
        answer.AsSpan().Fill(0x5A);
        for (int c = 0; c < spec.ChainOrder.Length; c++)
        {
            int slot = spec.ChainOrder[c];
            var cap = spec.Caps[slot];
            uint next = c + 1 < spec.ChainOrder.Length ? offsets[spec.ChainOrder[c + 1]] : 0;
            int at = (int)offsets[slot];
            BinaryPrimitives.WriteUInt16LittleEndian(answer.AsSpan(at), cap.Id);
            BinaryPrimitives.WriteUInt16LittleEndian(answer.AsSpan(at + 2), cap.Version);
            BinaryPrimitives.WriteUInt32LittleEndian(answer.AsSpan(at + 4), next);
            cap.Payload.CopyTo(answer, at + 8);
        }
        return (answer, offsets);
    }

    [Fact]
    public void RandomValidChains_RoundTripThroughWalk()
    {
        s_chain.Sample(spec =>
        {
            var (answer, offsets) = Encode(spec);
            uint first = offsets[spec.ChainOrder[0]];
            var walk = CapabilityChainReader.Walk(answer, first, IrqInfoSize, CapabilityChainReader.IrqCapabilitySize);

            Assert.Null(walk.Fault);
            Assert.Equal(spec.ChainOrder.Length, walk.Capabilities.Count);
            for (int c = 0; c < spec.ChainOrder.Length; c++)
            {
                int slot = spec.ChainOrder[c];
                var expected = spec.Caps[slot];
                var actual = walk.Capabilities[c];
                Assert.Equal(offsets[slot], actual.Offset);
                Assert.Equal(expected.Id, actual.Header.Id);
                Assert.Equal(expected.Version, actual.Header.Version);
                Assert.Equal(c + 1 < spec.ChainOrder.Length ? offsets[spec.ChainOrder[c + 1]] : 0u, actual.Header.Next);
                // A capability's bytes: the TYPE capability's declared 16; others up to the next capability in memory or the end.
                int start = (int)offsets[slot];
                int end = expected.Id == VfioCapabilityCodec.IrqInfoCapType
                    ? start + VfioCapabilityCodec.CapTypeSize
                    : slot + 1 < offsets.Length ? (int)offsets[slot + 1] : answer.Length;
                Assert.Equal(answer[start..end], actual.Data);
            }
        }, iter: 300);
    }

    [Fact]
    public void RandomBuffers_NeverThrow_AndTerminateWithinTheDepthBound()
    {
        // Buffers of chain-like words (small aligned offsets, TYPE headers, small numbers) make plausible chains,
        // truncated TYPE capabilities and cycles far likelier than fully random bytes would.
        var chainWord = Gen.Frequency(
            (3, Gen.UInt[0, 128]),
            (3, Gen.UInt[4, 40].Select(x => x * 4)),
            (2, Gen.OneOfConst(0x00010003u, 3u, 0u)),
            (1, Gen.UInt));
        var smallWords = chainWord.Array[0, 128].Select(words =>
        {
            var bytes = new byte[words.Length * 4];
            for (int i = 0; i < words.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), words[i]);
            return bytes;
        });
        var buffers = Gen.OneOf(Gen.Byte.Array[0, 512], smallWords);
        var firstOffsets = Gen.OneOf(Gen.UInt[0, 600], Gen.UInt, Gen.UInt[0, 150].Select(u => u & ~3u));

        Gen.Select(buffers, firstOffsets).Sample((buffer, first) =>
        {
            var walk = CapabilityChainReader.Walk(buffer, first, IrqInfoSize, CapabilityChainReader.IrqCapabilitySize);
            int bound = Math.Max(0, (buffer.Length - IrqInfoSize) / 8);
            Assert.True(walk.Capabilities.Count <= bound, $"{walk.Capabilities.Count} capabilities in a {buffer.Length}-byte buffer");
            foreach (var cap in walk.Capabilities)
            {
                Assert.True(cap.Offset % 4 == 0 && cap.Offset >= IrqInfoSize && cap.Offset + 8 <= buffer.Length);
                Assert.True(cap.Data.Length >= 8);
            }
            Assert.Equal(walk.Capabilities.Select(c => c.Offset).Distinct().Count(), walk.Capabilities.Count);
        }, iter: 2000);
    }

    /// <summary>What a corrupt device writes into one GET_IRQ_INFO buffer.</summary>
    public sealed record CorruptAnswer(int ReturnValue, Errno Errno, uint? Argsz, uint Flags, uint Count, uint CapOffset, byte[] Tail);

    [Fact]
    public void RandomCorruptAnswers_OnlyEverRaiseVfioException()
    {
        var argsz = Gen.Frequency((2, Gen.Const(() => (uint?)null)), (2, Gen.UInt[0, 200].Select(u => (uint?)u)), (1, Gen.UInt.Select(u => (uint?)u)));
        var flags = Gen.OneOf(Gen.UInt, Gen.UInt[0, 31].Select(u => u | (uint)VfioIrqFlags.Caps));
        var capOffset = Gen.OneOf(Gen.UInt[0, 200], Gen.UInt);
        var tail = Gen.OneOf(Gen.Byte.Array[0, 200], Gen.UInt[0, 96].Array[0, 50].Select(words =>
        {
            var bytes = new byte[words.Length * 4];
            for (int i = 0; i < words.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), words[i]);
            return bytes;
        }));
        var outcome = Gen.Frequency(
            (6, Gen.Const((0, Errno.None))),
            (1, Gen.Int[1, 200].Select(e => (-1, (Errno)e))),
            (1, Gen.Int[1, 8].Select(r => (r, Errno.None))));
        var answer = Gen.Select(outcome, argsz, flags, Gen.UInt, capOffset, tail,
            (o, a, f, count, cap, t) => new CorruptAnswer(o.Item1, o.Item2, a, f, count, cap, t));
        var deviceFlags = Gen.OneOf(Gen.Const(VfioDeviceFlags.Pci), Gen.UInt.Select(u => (VfioDeviceFlags)u));

        Gen.Select(answer.Array[1, 3], Gen.UInt[0, 7], deviceFlags).Sample((answers, index, devFlags) =>
        {
            int calls = 0;
            using var device = TestDevices.WithIrqAnswer((request, argument) =>
            {
                var a = answers[Math.Min(calls++, answers.Length - 1)];
                if (a.ReturnValue == -1) return new IoctlResult(-1, a.Errno);
                if (a.Argsz is uint raised) BinaryPrimitives.WriteUInt32LittleEndian(argument, raised);
                BinaryPrimitives.WriteUInt32LittleEndian(argument.Slice(4), a.Flags);
                BinaryPrimitives.WriteUInt32LittleEndian(argument.Slice(12), a.Count);
                if (argument.Length >= 20) BinaryPrimitives.WriteUInt32LittleEndian(argument.Slice(16), a.CapOffset);
                if (argument.Length > 20)
                {
                    int n = Math.Min(a.Tail.Length, argument.Length - 20);
                    a.Tail.AsSpan(0, n).CopyTo(argument.Slice(20));
                }
                return new IoctlResult(a.ReturnValue, Errno.None);
            }, numIrqs: 8, flags: devFlags);

            try
            {
                var result = IrqInfoReader.Read(device, index);
                Assert.Equal(index, result.Info.Index);
            }
            catch (VfioException)
            {
                // The one exception type the core is allowed to throw.
            }
            Assert.True(calls <= 2, $"{calls} ioctls for one index");
        }, iter: 1500);
    }
}
