using System;
using System.Linq;
using VfioPS.Abi;
using VfioPS.Mock;
using VfioPS.Operations;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>
/// CapabilityChainReader.Walk on hand-built vfio_irq_info answers (a 20-byte struct, then the chain). Offsets count
/// from the start of the answer (vfio-abi.md §1.2, §2.1); readers accept any 4-byte aligned offset past the struct.
/// Every malformed chain must end in a fault, keep the capabilities found before it, and never throw.
/// </summary>
public class ChainWalkTests
{
    private const int IrqInfoSize = 20;

    private static ChainWalk Walk(byte[] answer, uint firstOffset)
        => CapabilityChainReader.Walk(answer, firstOffset, IrqInfoSize, CapabilityChainReader.IrqCapabilitySize);

    /// <summary>Writes a vfio_info_cap_header by hand: id@0, version@2, next@4.</summary>
    private static void Header(byte[] answer, int offset, ushort id, ushort version, uint next)
    {
        Bytes.PutU16(answer, offset, id);
        Bytes.PutU16(answer, offset + 2, version);
        Bytes.PutU32(answer, offset + 4, next);
    }

    [Fact]
    public void WellFormedChainOfThree_IncludingUnknownIds_IsReturnedInChainOrder()
    {
        byte[] answer = Bytes.Hex(
            "40 00 00 00 11 00 00 00 05 00 00 00 01 00 00 00 18 00 00 00 00 00 00 00" + // struct, cap_offset 24, pad
            "03 00 01 00 28 00 00 00 01 00 00 00 01 00 00 00" +  // @24 TYPE v1 -> 40, GFX / DISPLAY
            "77 77 02 00 38 00 00 00 DE AD BE EF 01 02 03 04" +  // @40 unknown 0x7777 v2 -> 56, 8-byte payload
            "09 00 00 00 00 00 00 00");                          // @56 unknown 9 v0, end
        var walk = Walk(answer, 24);
        Assert.Null(walk.Fault);
        Assert.Equal(new uint[] { 24, 40, 56 }, walk.Capabilities.Select(c => c.Offset));
        Assert.Equal(new ushort[] { 3, 0x7777, 9 }, walk.Capabilities.Select(c => c.Header.Id));
        Assert.Equal(new ushort[] { 1, 2, 0 }, walk.Capabilities.Select(c => c.Header.Version));
        Assert.Equal(new uint[] { 40, 56, 0 }, walk.Capabilities.Select(c => c.Header.Next));
        // TYPE has a declared size (16); unknown capabilities run to the next capability in memory or the end.
        Assert.Equal(answer[24..40], walk.Capabilities[0].Data);
        Assert.Equal(answer[40..56], walk.Capabilities[1].Data);
        Assert.Equal(answer[56..64], walk.Capabilities[2].Data);
    }

    [Fact]
    public void ChainOrderDifferentFromMemoryOrder_IsFollowed()
    {
        byte[] answer = new byte[72];
        Header(answer, 56, 0x10, 1, 24); // first in the chain, last in memory
        Header(answer, 24, 0x11, 1, 40);
        Header(answer, 40, 0x12, 1, 0);
        var walk = Walk(answer, 56);
        Assert.Null(walk.Fault);
        Assert.Equal(new uint[] { 56, 24, 40 }, walk.Capabilities.Select(c => c.Offset));
        Assert.Equal(16, walk.Capabilities[0].Data.Length); // 56..72, the end of the answer
        Assert.Equal(16, walk.Capabilities[1].Data.Length); // 24..40
        Assert.Equal(16, walk.Capabilities[2].Data.Length); // 40..56
    }

    [Fact]
    public void FirstCapabilityAt20_AsPostedRfcKernelsPutIt_IsAccepted()
    {
        byte[] answer = new byte[36];
        Header(answer, 20, 3, 1, 0);
        Bytes.PutU32(answer, 28, 1);
        Bytes.PutU32(answer, 32, 2);
        var walk = Walk(answer, 20);
        Assert.Null(walk.Fault);
        var cap = Assert.Single(walk.Capabilities);
        Assert.Equal(20u, cap.Offset);
        Assert.Equal(answer[20..36], cap.Data);
    }

    [Fact]
    public void NoChain_CapOffsetZero_IsEmptyWithoutFault()
    {
        var walk = Walk(new byte[64], 0);
        Assert.Empty(walk.Capabilities);
        Assert.Null(walk.Fault);
    }

    [Theory]
    [InlineData(26u)]
    [InlineData(25u)]
    [InlineData(23u)] // misaligned and inside the struct: either fault is right, but it must be one of them
    public void MisalignedCapOffset_IsAFault(uint capOffset)
    {
        var walk = Walk(new byte[64], capOffset);
        Assert.Empty(walk.Capabilities);
        Assert.NotNull(walk.Fault);
        Assert.Contains(walk.Fault!.Kind, new[] { ChainFaultKind.Misaligned, ChainFaultKind.OverlapsInfo });
        Assert.Equal(capOffset, walk.Fault.Offset);
    }

    [Fact]
    public void MisalignedNext_KeepsTheCapabilityBefore()
    {
        byte[] answer = new byte[64];
        Header(answer, 24, 0x42, 1, 34);
        var walk = Walk(answer, 24);
        Assert.Equal(ChainFaultKind.Misaligned, walk.Fault!.Kind);
        Assert.Equal(34u, walk.Fault.Offset);
        Assert.Equal(24u, Assert.Single(walk.Capabilities).Offset);
    }

    [Theory]
    [InlineData(4u)]
    [InlineData(16u)]
    public void CapOffsetInsideTheStruct_IsOverlapsInfo(uint capOffset)
    {
        var walk = Walk(new byte[64], capOffset);
        Assert.Equal(ChainFaultKind.OverlapsInfo, walk.Fault!.Kind);
        Assert.Empty(walk.Capabilities);
    }

    [Fact]
    public void NextPointingIntoTheStruct_IsOverlapsInfo_AfterTheFirstCapability()
    {
        byte[] answer = new byte[64];
        Header(answer, 24, 0x42, 1, 8);
        var walk = Walk(answer, 24);
        Assert.Equal(ChainFaultKind.OverlapsInfo, walk.Fault!.Kind);
        Assert.Equal(8u, walk.Fault.Offset);
        Assert.Single(walk.Capabilities);
    }

    [Theory]
    [InlineData(64u)]
    [InlineData(1000u)]
    [InlineData(0xFFFFFFFCu)]
    public void NextBeyondTheBuffer_IsOutOfBounds(uint next)
    {
        byte[] answer = new byte[64];
        Header(answer, 24, 0x42, 1, next);
        var walk = Walk(answer, 24);
        Assert.Equal(ChainFaultKind.OutOfBounds, walk.Fault!.Kind);
        Assert.Equal(next, walk.Fault.Offset);
        Assert.Single(walk.Capabilities);
    }

    [Fact]
    public void CapOffsetBeyondTheBuffer_IsOutOfBounds()
    {
        var walk = Walk(new byte[40], 0xFFFFFFF0);
        Assert.Equal(ChainFaultKind.OutOfBounds, walk.Fault!.Kind);
        Assert.Empty(walk.Capabilities);
    }

    [Fact]
    public void HeaderPartlyBeyondTheBuffer_IsOutOfBounds()
    {
        byte[] answer = new byte[60];
        Header(answer, 24, 0x42, 1, 56); // a header at 56 would end at 64 > 60
        var walk = Walk(answer, 24);
        Assert.Equal(ChainFaultKind.OutOfBounds, walk.Fault!.Kind);
        Assert.Equal(56u, walk.Fault.Offset);
        Assert.Single(walk.Capabilities);
    }

    [Fact]
    public void CycleOfTwo_IsACycle_AndBothCapabilitiesAreKept()
    {
        byte[] answer = new byte[64];
        Header(answer, 24, 0x41, 1, 40);
        Header(answer, 40, 0x42, 1, 24);
        var walk = Walk(answer, 24);
        Assert.Equal(ChainFaultKind.Cycle, walk.Fault!.Kind);
        Assert.Equal(24u, walk.Fault.Offset);
        Assert.Equal(new ushort[] { 0x41, 0x42 }, walk.Capabilities.Select(c => c.Header.Id));
    }

    [Fact]
    public void SelfLoop_IsACycle()
    {
        byte[] answer = new byte[64];
        Header(answer, 24, 0x41, 1, 24);
        var walk = Walk(answer, 24);
        Assert.Equal(ChainFaultKind.Cycle, walk.Fault!.Kind);
        Assert.Single(walk.Capabilities);
    }

    [Fact]
    public void HeaderOverlappingAnotherHeader_IsAnOverlap()
    {
        byte[] answer = new byte[64];
        Header(answer, 24, 0x41, 1, 28); // 28..36 overlaps 24..32
        var walk = Walk(answer, 24);
        Assert.Equal(ChainFaultKind.Overlap, walk.Fault!.Kind);
        Assert.Equal(28u, walk.Fault.Offset);
        Assert.Single(walk.Capabilities);
    }

    [Fact]
    public void HeaderOverlappingAnEarlierHeaderFromBelow_IsAnOverlap()
    {
        byte[] answer = new byte[64];
        Header(answer, 40, 0x41, 1, 36); // 36..44 overlaps 40..48
        var walk = Walk(answer, 40);
        Assert.Equal(ChainFaultKind.Overlap, walk.Fault!.Kind);
        Assert.Single(walk.Capabilities);
    }

    [Fact]
    public void TypeCapabilityTruncatedByTheEndOfTheAnswer_IsOutOfBounds()
    {
        byte[] answer = new byte[36]; // TYPE at 24 needs 16 bytes, only 12 are there
        Header(answer, 24, 3, 1, 0);
        var walk = Walk(answer, 24);
        Assert.Equal(ChainFaultKind.OutOfBounds, walk.Fault!.Kind);
        Assert.Equal(24u, walk.Fault.Offset);
        Assert.Empty(walk.Capabilities);
    }

    [Fact]
    public void TypeCapabilityTruncatedByTheNextCapability_IsOutOfBounds_AndEarlierOnesAreKept()
    {
        byte[] answer = new byte[64];
        Header(answer, 24, 0x41, 1, 32);
        Header(answer, 32, 3, 1, 40);    // TYPE at 32 needs 32..48, but a capability starts at 40
        Header(answer, 40, 0x43, 1, 0);
        var walk = Walk(answer, 24);
        Assert.Equal(ChainFaultKind.OutOfBounds, walk.Fault!.Kind);
        Assert.Equal(32u, walk.Fault.Offset);
        var kept = Assert.Single(walk.Capabilities);
        Assert.Equal(24u, kept.Offset);
        Assert.Equal(answer[24..32], kept.Data);
    }

    [Fact]
    public void CapabilitiesBeforeAFault_AreReturnedWithTheirBytes()
    {
        byte[] answer = new byte[80];
        Header(answer, 24, 3, 1, 40);
        Bytes.PutU32(answer, 32, 1);
        Bytes.PutU32(answer, 36, 1);
        Header(answer, 40, 0x55, 4, 48);
        Header(answer, 48, 0x56, 5, 200); // beyond the 80-byte answer
        var walk = Walk(answer, 24);
        Assert.Equal(ChainFaultKind.OutOfBounds, walk.Fault!.Kind);
        Assert.Equal(200u, walk.Fault.Offset);
        Assert.Equal(new ushort[] { 3, 0x55, 0x56 }, walk.Capabilities.Select(c => c.Header.Id));
        Assert.Equal(answer[24..40], walk.Capabilities[0].Data);
        Assert.Equal(answer[40..48], walk.Capabilities[1].Data);
        Assert.Equal(answer[48..80], walk.Capabilities[2].Data);
    }

    [Fact]
    public void DeclaredSizeCallback_DecidesWhatIsKnown()
    {
        // An id the caller declares 24 bytes long but which has only 16 before the end is truncated; the reader
        // must not assume it knows every id.
        byte[] answer = new byte[40];
        Header(answer, 24, 0x99, 1, 0);
        Assert.Null(CapabilityChainReader.Walk(answer, 24, IrqInfoSize, _ => 0).Fault);
        Assert.Equal(ChainFaultKind.OutOfBounds, CapabilityChainReader.Walk(answer, 24, IrqInfoSize, id => id == 0x99 ? 24 : 0).Fault!.Kind);
    }

    [Fact]
    public void IrqCapabilitySize_KnowsOnlyTheTypeCapability()
    {
        Assert.Equal(16, CapabilityChainReader.IrqCapabilitySize(3));
        Assert.Equal(0, CapabilityChainReader.IrqCapabilitySize(1));
        Assert.Equal(0, CapabilityChainReader.IrqCapabilitySize(4));
    }

    // ---- a malformed chain from a mock profile reaches IrqInfoReader as a fault ----

    [Fact]
    public void RawChainWithACycle_FromAMockProfile_IsReportedAsAFault_WithTheCapabilitiesBeforeIt()
    {
        var profile = MockProfileReader.Parse("""
            {
              "name": "cyclic",
              "device": { "flags": ["Pci"], "numRegions": 9, "numIrqs": 6 },
              "irqs": [
                { "index": 5, "flags": ["EventFd", "Caps"], "count": 1,
                  "rawCapabilities": {
                    "capOffset": 24,
                    "bytes": "00000000  03 00 01 00 28 00 00 00 01 00 00 00 01 00 00 00  42 00 01 00 18 00 00 00"
                  } }
              ]
            }
            """, "test.json");
        var recorder = new RecordingChannel(new MockDeviceChannel(profile));
        using var device = TestDevices.Create(recorder, numIrqs: 6);
        var result = IrqInfoReader.Read(device, 5);

        // 20 + 4 + 16 + 8 = 48 bytes, read in the second round trip.
        Assert.Equal(new uint[] { 20, 48 }, recorder.Calls.Select(c => c.ArgszIn));
        Assert.NotNull(result.Fault);
        Assert.Equal(ChainFaultKind.Cycle, result.Fault!.Kind);
        Assert.Equal(24u, result.Fault.Offset);
        Assert.True(result.Info.Supported);
        Assert.Equal(new ushort[] { 3, 0x42 }, result.Info.Capabilities.Select(c => c.Id));
        Assert.Equal(new uint[] { 24, 40 }, result.Info.Capabilities.Select(c => c.Offset));
        Assert.Equal("GFX/DISPLAY", result.Info.Name);
    }

    [Fact]
    public void RawChainWithCapOffsetInsideTheStruct_FromAMockProfile_IsAFault()
    {
        var profile = MockProfileReader.Parse("""
            { "name": "inside", "device": { "flags": 2, "numRegions": 9, "numIrqs": 6 },
              "irqs": [ { "index": 5, "flags": 17, "count": 1, "rawCapabilities": { "capOffset": 8, "bytes": "00 00 00 00 00 00 00 00" } } ] }
            """, "test.json");
        var channel = new MockDeviceChannel(profile);
        using var device = TestDevices.Create(channel, numIrqs: 6);
        var result = IrqInfoReader.Read(device, 5);
        Assert.Equal(ChainFaultKind.OverlapsInfo, result.Fault!.Kind);
        Assert.Empty(result.Info.Capabilities);
        Assert.Equal("Index5", result.Info.Name);
    }
}
