using System;
using System.Linq;
using VfioPS.Abi;
using VfioPS.Mock;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>The "regions" key of mock profiles: every mistake is a MockProfileInvalid naming the JSON path.</summary>
public class RegionProfileTests
{
    private static string Profile(string regions, uint numRegions = 9)
        => "{ \"name\": \"test\", \"device\": { \"flags\": [\"Pci\"], \"numRegions\": " + numRegions + ", \"numIrqs\": 5 }, \"irqs\": [], \"regions\": [ " + regions + " ] }";

    private static string Invalid(string json)
    {
        var e = Assert.Throws<VfioException>(() => MockProfileReader.Parse(json, "test.json"));
        Assert.Equal("MockProfileInvalid", e.ErrorId);
        Assert.Contains("test.json", e.Message);
        return e.Message;
    }

    [Fact]
    public void BuiltInKernelProfiles_HaveEveryFixedRegion_VgaRefused()
    {
        foreach (string name in new[] { "e1000e", "edu", "virtio-net", "pci-testdev" })
        {
            var regions = MockProfileReader.LoadBuiltIn(name).Regions.Regions;
            Assert.Equal(Enumerable.Range(0, 9).Select(i => (uint)i), regions.Keys.OrderBy(k => k));
            Assert.Equal(Errno.EINVAL, regions[8].Refusal);
            Assert.All(regions.Values.Where(r => r.Index < 8), r => Assert.Equal((ulong)r.Index << 40, r.Offset));
        }
    }

    [Fact]
    public void SizesAndOffsets_TakeNumbersOrHexStrings()
    {
        var table = MockProfileReader.Parse(Profile("""{ "index": 0, "flags": ["Read"], "size": 4096, "offset": "0xFFFFFFFFFFFFFFFF" }"""), "t").Regions;
        Assert.Equal((4096ul, ulong.MaxValue), (table.Regions[0].Size, table.Regions[0].Offset));
    }

    [Theory]
    [InlineData("""{ "index": 9, "flags": [], "size": 0 }""", "$.regions[0].index")]
    [InlineData("""{ "index": 0, "flags": [], "size": 0 }, { "index": 0, "flags": [], "size": 0 }""", "$.regions[1].index")]
    [InlineData("""{ "index": 0, "flags": [], "size": "20000" }""", "$.regions[0].size")]
    [InlineData("""{ "index": 0, "flags": [], "size": -1 }""", "$.regions[0].size")]
    [InlineData("""{ "index": 0, "flags": [] }""", "$.regions[0].size")]
    [InlineData("""{ "index": 0, "flags": ["Mapped"], "size": 0 }""", "$.regions[0].flags[0]")]
    [InlineData("""{ "index": 0, "errno": "EINVAL", "size": 0 }""", "$.regions[0].size")]
    [InlineData("""{ "index": 0, "flags": [], "size": 0, "sise": 1 }""", "$.regions[0].sise")]
    [InlineData("""{ "index": 0, "flags": ["Read", "Caps"], "size": 0 }""", "$.regions[0].flags")]
    [InlineData("""{ "index": 0, "flags": ["Read"], "size": 0, "capabilities": [ { "id": 3 } ] }""", "$.regions[0].flags")]
    [InlineData("""{ "index": 0, "flags": ["Caps"], "size": 0, "capabilities": [] }""", "$.regions[0].capabilities")]
    [InlineData("""{ "index": 0, "flags": ["Caps"], "size": 0, "capabilities": [ { "id": 2, "type": 1 } ] }""", "$.regions[0].capabilities[0].subtype")]
    [InlineData("""{ "index": 0, "flags": ["Caps"], "size": 0, "capabilities": [ { "id": 1 } ] }""", "$.regions[0].capabilities[0].areas")]
    [InlineData("""{ "index": 0, "flags": ["Caps"], "size": 0, "capabilities": [ { "id": 1, "areas": [ { "offset": 0 } ] } ] }""", "$.regions[0].capabilities[0].areas[0].size")]
    [InlineData("""{ "index": 0, "flags": ["Caps"], "size": 0, "capabilities": [ { "id": 3, "data": "00" } ] }""", "$.regions[0].capabilities[0].data")]
    [InlineData("""{ "index": 0, "flags": ["Caps"], "size": 0, "capabilities": [ { "id": 2, "type": 1, "subtype": 1, "areas": [] } ] }""", "$.regions[0].capabilities[0].areas")]
    [InlineData("""{ "index": 0, "flags": ["Caps"], "size": 0, "capabilities": [ { "id": 0 } ] }""", "$.regions[0].capabilities[0].id")]
    [InlineData("""{ "index": 0, "flags": ["Caps"], "size": 0, "capabilities": [ { "id": 1 } ], "rawCapabilities": { "capOffset": 32, "bytes": "" } }""", "$.regions[0].rawCapabilities")]
    public void Mistakes_AreNamedByTheirPath(string regions, string path) => Assert.Contains(path, Invalid(Profile(regions)));

    [Fact]
    public void RegionsNotAnArray_IsInvalid()
        => Assert.Contains("$.regions", Invalid("{ \"name\": \"t\", \"device\": { \"flags\": 2, \"numRegions\": 9, \"numIrqs\": 5 }, \"irqs\": [], \"regions\": {} }"));
}
