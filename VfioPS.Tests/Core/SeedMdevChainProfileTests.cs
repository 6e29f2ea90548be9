using System.Linq;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Mock;
using VfioPS.Operations;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>
/// The seed-mdev-chain profile (the kernel lane's seed_mdev "chain" type) answers index 5 by the seed's rules as
/// corrected in review (vfio-abi.md §1.2, §2.1, §3): EVENTFD|CAPS and count at their old offsets whatever argsz; a
/// buffer too small for the 80-byte answer gets argsz raised to 80, cap_offset 0 only when argsz reaches 20, and
/// nothing written past argsz; argsz 80 gets the three capabilities at 24, 40 and 64.
/// </summary>
public class SeedMdevChainProfileTests
{
    private const uint GetIrqInfo = 0x3B6D; // VFIO_DEVICE_GET_IRQ_INFO, §1.1

    private static readonly byte[] s_head = Bytes.Hex(
        "50 00 00 00" +   // argsz raised to 80
        "11 00 00 00" +   // EVENTFD|CAPS
        "05 00 00 00" +   // index 5
        "01 00 00 00");   // count 1, at 12 as a mainline caller reads it

    private static readonly byte[] s_chain = Bytes.Hex(
        "18 00 00 00" +                                      // cap_offset 24
        "00 00 00 00" +                                      // pad to 8-byte alignment
        "03 00 01 00 28 00 00 00 01 00 00 00 01 00 00 00" +  // @24 TYPE v1, next 40: type GFX 1, subtype DISPLAY_IRQ 1
        "04 00 01 00 40 00 00 00" +                          // @40 id 4 v1, next 64
        "01 00 00 00 00 00 00 00 02 00 00 00 00 00 00 00" +  //     u64 1, u64 2
        "63 00 01 00 00 00 00 00" +                          // @64 id 99 v1, next 0
        "53 45 45 44 2D 4D 44 56");                          //     "SEED-MDV"

    private static byte[] Ask(uint argsz)
    {
        using var channel = new MockDeviceChannel(MockProfileReader.LoadBuiltIn("seed-mdev-chain"));
        byte[] buffer = Bytes.Poisoned(128);
        Bytes.PutU32(buffer, 0, argsz);
        Bytes.PutU32(buffer, 8, 5);
        Assert.Equal(IoctlResult.Success, channel.Ioctl(GetIrqInfo, buffer));
        return buffer;
    }

    [Fact]
    public void Argsz16_RaisesArgszTo80_AndWritesNothingPast16()
    {
        byte[] buffer = Ask(16);
        Assert.Equal(s_head, buffer[..16]);
        Assert.True(Bytes.UntouchedFrom(buffer, 16), $"byte {Bytes.FirstTouched(buffer, 16)} was written");
    }

    [Theory]
    [InlineData(20u)]
    [InlineData(24u)]
    [InlineData(79u)]
    public void ArgszFrom20_ToBelow80_RaisesArgsz_CapOffsetZero_NothingPast20(uint argsz)
    {
        byte[] buffer = Ask(argsz);
        Assert.Equal(s_head.Concat(new byte[4]).ToArray(), buffer[..20]);
        Assert.True(Bytes.UntouchedFrom(buffer, 20), $"byte {Bytes.FirstTouched(buffer, 20)} was written");
    }

    [Fact]
    public void Argsz80_WritesTheThreeCapabilities_ArgszKept_NothingPast80()
    {
        byte[] buffer = Ask(80);
        Assert.Equal(s_head.Concat(s_chain).ToArray(), buffer[..80]);
        Assert.True(Bytes.UntouchedFrom(buffer, 80), $"byte {Bytes.FirstTouched(buffer, 80)} was written");
    }

    [Fact]
    public void TheReader_WalksTheChain_KeepingTheUnknownIdRaw()
    {
        using var device = MockDevices.OpenBuiltIn("seed-mdev-chain");
        var info = IrqInfoReader.Read(device, 5).Info;
        Assert.Equal((1u, VfioIrqFlags.EventFd | VfioIrqFlags.Caps), (info.Count, info.Flags));
        Assert.Equal(new (ushort, uint, uint)[] { (3, 24, 40), (4, 40, 64), (99, 64, 0) },
            info.Capabilities.Select(c => (c.Id, c.Offset, c.Next)).ToArray());
        Assert.Equal(Bytes.Hex("53 45 45 44 2D 4D 44 56"), info.Capabilities[2].Data[8..]);
    }
}
