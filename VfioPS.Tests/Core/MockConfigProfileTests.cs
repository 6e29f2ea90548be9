using System;
using VfioPS.Mock;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>The "config" and "deviceModel" keys of a mock profile: what parses, and the JSON path of every mistake.</summary>
public class MockConfigProfileTests
{
    private static string Profile(string extra)
        => "{ \"name\": \"cfg\", \"device\": { \"flags\": [\"Pci\"], \"numRegions\": 9, \"numIrqs\": 5 }, \"irqs\": []" + extra + " }";

    private static VfioException Refused(string extra) => Assert.Throws<VfioException>(() => MockProfileReader.Parse(Profile(extra), "t.json"));

    [Fact]
    public void Lines_And_Ranges_FillTheSpace_TheRestIsZero()
    {
        var p = MockProfileReader.Parse(Profile(", \"config\": { \"size\": 256, \"bytes\": [\"0000: 3412 e811\", \"0040-004f: ab\"], \"writable\": [\"003c: ff\"] }"), "t.json");
        var c = p.Config!;
        Assert.Equal(256, c.Size);
        Assert.Equal(new byte[] { 0x34, 0x12, 0xE8, 0x11, 0 }, c.Bytes[..5]);
        Assert.All(c.Bytes[0x40..0x50], b => Assert.Equal(0xAB, b));
        Assert.Equal(0, c.Bytes[0x50]);
        Assert.Equal(0xFF, c.Writable[0x3C]);
        Assert.Equal(0, c.Writable[0x3D]);
    }

    [Fact]
    public void WithoutWritable_NothingSticks()
    {
        var p = MockProfileReader.Parse(Profile(", \"config\": { \"size\": 4096, \"bytes\": [\"0000: 86\"] }"), "t.json");
        Assert.All(p.Config!.Writable, b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData(", \"config\": { \"size\": 512, \"bytes\": [] }", "$.config.size")]
    [InlineData(", \"config\": { \"bytes\": [] }", "$.config.size")]
    [InlineData(", \"config\": { \"size\": 256, \"bytes\": [\"00fe: 112233\"] }", "$.config.bytes[0]")]
    [InlineData(", \"config\": { \"size\": 256, \"bytes\": [\"0000: 11\", \"0000: 22\"] }", "$.config.bytes[1]")]
    [InlineData(", \"config\": { \"size\": 256, \"bytes\": [\"zz: 11\"] }", "$.config.bytes[0]")]
    [InlineData(", \"config\": { \"size\": 256, \"bytes\": [\"0010 11\"] }", "$.config.bytes[0]")]
    [InlineData(", \"config\": { \"size\": 256, \"bytes\": [\"0010: 1\"] }", "$.config.bytes[0]")]
    [InlineData(", \"config\": { \"size\": 256, \"bytes\": [\"0010-0020: 1122\"] }", "$.config.bytes[0]")]
    [InlineData(", \"config\": { \"size\": 256, \"bytes\": [\"0020-0010: 11\"] }", "$.config.bytes[0]")]
    [InlineData(", \"config\": { \"size\": 256, \"bytes\": [], \"writable\": [\"0100: ff\"] }", "$.config.writable[0]")]
    [InlineData(", \"config\": { \"size\": 256, \"bytes\": [], \"mask\": [] }", "$.config.mask")]
    [InlineData(", \"deviceModel\": \"e1000e\"", "$.deviceModel")]
    [InlineData(", \"deviceModel\": 1", "$.deviceModel")]
    public void Mistakes_NameTheirJsonPath(string extra, string path)
    {
        var e = Refused(extra);
        Assert.Equal("MockProfileInvalid", e.ErrorId);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("e1000e", 4096, null)]
    [InlineData("edu", 256, "edu")]
    [InlineData("virtio-net", 256, null)]
    [InlineData("pci-testdev", 256, null)]
    public void BuiltInProfiles_CarryTheLanesConfigSpace(string name, int size, string? model)
    {
        var p = MockProfileReader.LoadBuiltIn(name);
        Assert.Equal(size, p.Config!.Size);
        Assert.Equal(model, p.DeviceModel);
        // The vendor id never sticks, the interrupt line always does: vfio-pci's rules, as the lane measured them.
        Assert.Equal(0, p.Config.Writable[0] | p.Config.Writable[1]);
        Assert.Equal(0xFF, p.Config.Writable[0x3C]);
    }
}
