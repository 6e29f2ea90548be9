using System;
using System.IO;
using System.Linq;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Mock;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>
/// MockProfileReader: the built-in profiles, and that every mistake in a profile is a MockProfileInvalid naming the
/// source and the JSON path of the field, so a typo never silently changes what the mock answers.
/// </summary>
public class ProfileReaderTests
{
    private const string Source = "test.json";

    /// <summary>A valid profile with a placeholder for the irqs array, so each test changes one thing.</summary>
    private static string Profile(string irqs, string device = """{ "flags": ["Pci"], "numRegions": 9, "numIrqs": 5 }""")
        => "{ \"name\": \"test\", \"device\": " + device + ", \"irqs\": [ " + irqs + " ] }";

    private static VfioException Invalid(string json)
    {
        var e = Assert.Throws<VfioException>(() => MockProfileReader.Parse(json, Source));
        Assert.Equal("MockProfileInvalid", e.ErrorId);
        Assert.Equal(VfioErrorKind.InvalidData, e.Kind);
        Assert.Contains(Source, e.Message);
        return e;
    }

    // ---- built-in profiles ----

    [Fact]
    public void BuiltInNames_AreTheProfiles_WithoutTheSchema()
        => Assert.Equal(new[] { "e1000e", "e1000e-6.12", "e1000e-port", "e1000e-port-6.12", "edu", "edu-6.12", "gvt-vgpu", "pci-testdev", "pci-testdev-6.12", "seed-mdev-chain", "virtio-net", "virtio-net-6.12" },
            MockProfileReader.BuiltInNames);

    [Theory]
    [InlineData("e1000e", 0x3u, 9u, 5u)]
    [InlineData("edu", 0x2u, 9u, 5u)]
    [InlineData("gvt-vgpu", 0x2u, 11u, 6u)]
    [InlineData("seed-mdev-chain", 0x2u, 9u, 6u)]
    public void BuiltInProfile_Parses(string name, uint flags, uint numRegions, uint numIrqs)
    {
        var profile = MockProfileReader.LoadBuiltIn(name);
        Assert.Equal(name, profile.Name);
        Assert.Equal(flags, (uint)profile.DeviceFlags);
        Assert.Equal(numRegions, profile.NumRegions);
        Assert.Equal(numIrqs, profile.NumIrqs);
        Assert.Contains(name, profile.Source);
        Assert.False(string.IsNullOrWhiteSpace(profile.Description));
        Assert.All(profile.Irqs, kv => Assert.Equal(kv.Key, kv.Value.Index));
    }

    [Fact]
    public void BuiltInLookup_IgnoresCase()
        => Assert.Equal("edu", MockProfileReader.LoadBuiltIn("EDU").Name);

    [Fact]
    public void Edu_KeepsFlagsExactly_ForACountZeroIndex()
    {
        var msix = MockProfileReader.LoadBuiltIn("edu").Irqs[2];
        Assert.Equal(0u, msix.Count);
        Assert.Equal(0x9u, (uint)msix.Flags);
        Assert.Equal(Errno.None, msix.Refusal);
        Assert.Equal(Errno.EINVAL, MockProfileReader.LoadBuiltIn("edu").Irqs[3].Refusal);
    }

    [Fact]
    public void GvtVgpu_Index5_HasTheTypeCapabilityLaidOutAt24()
    {
        var irq = MockProfileReader.LoadBuiltIn("gvt-vgpu").Irqs[5];
        Assert.Equal(0x11u, (uint)irq.Flags);
        Assert.NotNull(irq.Capabilities);
        Assert.Equal(24u, irq.Capabilities!.CapOffset);
        Assert.Equal(40u, irq.Capabilities.RequiredArgsz);
        Assert.Equal(Bytes.Hex("00 00 00 00 03 00 01 00 00 00 00 00 01 00 00 00 01 00 00 00"), irq.Capabilities.Tail);
    }

    [Fact]
    public void BuiltInNope_IsMockProfileNotFound()
    {
        var e = Assert.Throws<VfioException>(() => MockProfileReader.LoadBuiltIn("nope"));
        Assert.Equal("MockProfileNotFound", e.ErrorId);
        Assert.Equal(VfioErrorKind.ObjectNotFound, e.Kind);
        Assert.Contains("nope", e.Message);
    }

    // ---- files ----

    [Fact]
    public void LoadFile_MissingFile_IsMockProfileNotFound()
    {
        string path = Path.Combine(Path.GetTempPath(), "vfiops-tests-" + Guid.NewGuid().ToString("N"), "absent.json");
        var e = Assert.Throws<VfioException>(() => MockProfileReader.LoadFile(path));
        Assert.Equal("MockProfileNotFound", e.ErrorId);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void LoadFile_ValidFile_RecordsItsPathAsSource_AndABadOneIsNamedInTheError()
    {
        string dir = Path.Combine(Path.GetTempPath(), "vfiops-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string good = Path.Combine(dir, "good.json");
            File.WriteAllText(good, Profile("""{ "index": 0, "flags": ["EventFd"], "count": 1 }"""));
            Assert.Equal(good, MockProfileReader.LoadFile(good).Source);

            string bad = Path.Combine(dir, "bad.json");
            File.WriteAllText(bad, Profile("""{ "index": 0, "flags": ["EventFd"], "count": -1 }"""));
            var e = Assert.Throws<VfioException>(() => MockProfileReader.LoadFile(bad));
            Assert.Equal("MockProfileInvalid", e.ErrorId);
            Assert.Contains(bad, e.Message);
            Assert.Contains("$.irqs[0].count", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // ---- mistakes, each with its JSON path ----

    [Fact]
    public void UnknownFlagName_NamesTheArrayElement()
    {
        var e = Invalid(Profile("""{ "index": 0, "flags": ["EventFd"], "count": 1 }, { "index": 1, "flags": ["Bogus"], "count": 1 }"""));
        Assert.Contains("$.irqs[1].flags[0]", e.Message);
    }

    [Theory]
    [InlineData("\"16\"")]        // a number in a string is not a flag name
    [InlineData("\"EventFd,Caps\"")] // nor a comma list inside one element
    public void FlagNameThatIsNotAName_IsRejected(string item)
    {
        var e = Invalid(Profile("{ \"index\": 0, \"flags\": [\"EventFd\", " + item + "], \"count\": 1 }"));
        Assert.Contains("$.irqs[0].flags[1]", e.Message);
    }

    [Theory]
    [InlineData("""{ "flags": ["Pci"], "numRegions": 9 }""")]
    [InlineData("""{ "flags": ["Pci"], "numRegions": 9, "numIrqs": -1 }""")]
    [InlineData("""{ "flags": ["Pci"], "numRegions": 9, "numIrqs": 1.5 }""")]
    [InlineData("""{ "flags": ["Pci"], "numRegions": 9, "numIrqs": "5" }""")]
    [InlineData("""{ "flags": ["Pci"], "numRegions": 9, "numIrqs": 4097 }""")]
    public void BadNumIrqs_NamesDeviceNumIrqs(string device)
    {
        var e = Invalid(Profile("", device));
        Assert.Contains("$.device.numIrqs", e.Message);
    }

    [Fact]
    public void UnknownProperty_IsNamed()
    {
        var e = Invalid(Profile("""{ "index": 0, "flags": ["EventFd"], "cont": 1 }"""));
        Assert.Contains("$.irqs[0].cont", e.Message);
    }

    [Fact]
    public void PropertyNamesAreCaseSensitive()
    {
        var e = Invalid("""{ "name": "test", "Device": { "flags": 2, "numRegions": 9, "numIrqs": 5 }, "irqs": [] }""");
        Assert.Contains("$.Device", e.Message);
    }

    [Fact]
    public void DuplicateIndex_IsNamed()
    {
        var e = Invalid(Profile("""{ "index": 1, "flags": ["EventFd"], "count": 1 }, { "index": 1, "flags": ["EventFd"], "count": 2 }"""));
        Assert.Contains("$.irqs[1].index", e.Message);
    }

    [Fact]
    public void IndexAtNumIrqs_IsNamed()
    {
        var e = Invalid(Profile("""{ "index": 5, "flags": ["EventFd"], "count": 1 }"""));
        Assert.Contains("$.irqs[0].index", e.Message);
    }

    [Fact]
    public void CapsFlagWithoutCapabilities_IsRejected()
    {
        var e = Invalid(Profile("""{ "index": 0, "flags": ["EventFd", "Caps"], "count": 1 }"""));
        Assert.Contains("$.irqs[0].flags", e.Message);
    }

    [Fact]
    public void NumericCapsFlagWithoutCapabilities_IsRejected()
    {
        var e = Invalid(Profile("""{ "index": 0, "flags": 17, "count": 1 }"""));
        Assert.Contains("$.irqs[0].flags", e.Message);
    }

    [Fact]
    public void CapabilitiesWithoutCapsFlag_IsRejected()
    {
        var e = Invalid(Profile("""{ "index": 0, "flags": ["EventFd"], "count": 1, "capabilities": [ { "id": 3, "type": 1, "subtype": 1 } ] }"""));
        Assert.Contains("$.irqs[0].flags", e.Message);
    }

    [Fact]
    public void RawCapabilitiesWithoutCapsFlag_IsRejected()
    {
        var e = Invalid(Profile("""{ "index": 0, "flags": 1, "count": 1, "rawCapabilities": { "capOffset": 24, "bytes": "" } }"""));
        Assert.Contains("$.irqs[0].flags", e.Message);
    }

    [Theory]
    [InlineData("flags", """ "flags": ["EventFd"] """)]
    [InlineData("count", """ "count": 1 """)]
    [InlineData("rawCapabilities", """ "rawCapabilities": { "capOffset": 24, "bytes": "" } """)]
    public void ErrnoTogetherWithAnswerFields_IsRejected(string field, string fragment)
    {
        var e = Invalid(Profile("{ \"index\": 0, \"errno\": \"EINVAL\", " + fragment + " }"));
        Assert.Contains("$.irqs[0]." + field, e.Message);
    }

    [Theory]
    [InlineData("\"EFOO\"")]
    [InlineData("0")]
    [InlineData("\"22\"")]
    public void BadErrno_IsNamed(string errno)
    {
        var e = Invalid(Profile("{ \"index\": 0, \"errno\": " + errno + " }"));
        Assert.Contains("$.irqs[0].errno", e.Message);
    }

    [Fact]
    public void NumericErrno_IsKept()
    {
        var profile = MockProfileReader.Parse(Profile("""{ "index": 0, "errno": 13 }"""), Source);
        Assert.Equal(Errno.EACCES, profile.Irqs[0].Refusal);
    }

    [Theory]
    [InlineData("{ \"name\": \"x\", ")]
    [InlineData("[1, 2")]
    [InlineData("")]
    public void InvalidJson_IsNamedAtTheRoot(string json)
    {
        var e = Invalid(json);
        Assert.Contains("$", e.Message);
        Assert.Contains("JSON", e.Message);
    }

    [Fact]
    public void RootThatIsNotAnObject_IsRejected()
        => Assert.Contains("$", Invalid("[]").Message);

    [Fact]
    public void HexWithOddDigits_IsNamed()
    {
        var e = Invalid(Profile("""{ "index": 0, "flags": ["EventFd", "Caps"], "count": 1, "rawCapabilities": { "capOffset": 24, "bytes": "00 0" } }"""));
        Assert.Contains("$.irqs[0].rawCapabilities.bytes", e.Message);
    }

    [Fact]
    public void HexWithANonHexCharacter_IsNamed()
    {
        var e = Invalid(Profile("""{ "index": 0, "flags": ["EventFd", "Caps"], "count": 1, "capabilities": [ { "id": 9, "data": "0g" } ] }"""));
        Assert.Contains("$.irqs[0].capabilities[0].data", e.Message);
    }

    [Theory]
    [InlineData("""{ "id": 0 }""", "$.irqs[0].capabilities[0].id")]
    [InlineData("""{ "id": 65536 }""", "$.irqs[0].capabilities[0].id")]
    [InlineData("""{ "id": 9, "version": 65536 }""", "$.irqs[0].capabilities[0].version")]
    [InlineData("""{ "id": 3, "type": 1 }""", "$.irqs[0].capabilities[0].subtype")]
    [InlineData("""{ "id": 3, "type": 1, "subtype": 1, "data": "00" }""", "$.irqs[0].capabilities[0].data")]
    [InlineData("""{ "id": 9, "type": 1 }""", "$.irqs[0].capabilities[0].type")]
    public void BadCapability_IsNamed(string cap, string path)
    {
        var e = Invalid(Profile("{ \"index\": 0, \"flags\": [\"EventFd\", \"Caps\"], \"count\": 1, \"capabilities\": [ " + cap + " ] }"));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void EmptyCapabilities_IsRejected()
    {
        var e = Invalid(Profile("""{ "index": 0, "flags": ["EventFd", "Caps"], "count": 1, "capabilities": [] }"""));
        Assert.Contains("$.irqs[0].capabilities", e.Message);
    }

    [Theory]
    [InlineData("\"\"")]
    [InlineData("\"Upper\"")]
    [InlineData("\"a/b\"")]
    public void BadName_IsNamed(string name)
    {
        var e = Invalid("{ \"name\": " + name + ", \"device\": { \"flags\": 2, \"numRegions\": 9, \"numIrqs\": 5 }, \"irqs\": [] }");
        Assert.Contains("$.name", e.Message);
    }

    // ---- what a valid profile means ----

    [Fact]
    public void NumericFlags_AreKeptExactly_IncludingBitsTheModuleDoesNotName()
    {
        var profile = MockProfileReader.Parse(Profile("""{ "index": 0, "flags": 265, "count": 3 }"""), Source);
        Assert.Equal(0x109u, (uint)profile.Irqs[0].Flags);
        Assert.Equal(3u, profile.Irqs[0].Count);
    }

    [Fact]
    public void MissingIndexes_AreRefusedWithEinvalByTheMock()
    {
        var profile = MockProfileReader.Parse(Profile("""{ "index": 0, "flags": ["EventFd"], "count": 1 }"""), Source);
        using var channel = new MockDeviceChannel(profile);
        byte[] buffer = new byte[16];
        Bytes.PutU32(buffer, 0, 16);
        Bytes.PutU32(buffer, 8, 1);
        Assert.Equal(IoctlResult.Fail(Errno.EINVAL), channel.Ioctl(VfioIoctl.DeviceGetIrqInfo, buffer));
    }

    [Fact]
    public void StructuredCapabilities_AreLaidOut8ByteAligned_FromOffset24()
    {
        // TYPE (16 bytes) at 24, then an unknown id with a 3-byte payload (11 bytes, padded to 16) at 40.
        var profile = MockProfileReader.Parse(Profile(
            """{ "index": 4, "flags": ["EventFd", "Caps"], "count": 1, "capabilities": [ { "id": 3, "type": 1, "subtype": 2 }, { "id": 66, "version": 2, "data": "01:02:03" } ] }"""), Source);
        using var channel = new MockDeviceChannel(profile);
        byte[] buffer = Bytes.Poisoned(64);
        Bytes.PutU32(buffer, 0, 56);
        Bytes.PutU32(buffer, 8, 4);
        Assert.Equal(IoctlResult.Success, channel.Ioctl(VfioIoctl.DeviceGetIrqInfo, buffer));
        Assert.Equal(Bytes.Hex(
            "38 00 00 00 11 00 00 00 04 00 00 00 01 00 00 00 18 00 00 00 00 00 00 00" +
            "03 00 01 00 28 00 00 00 01 00 00 00 02 00 00 00" +
            "42 00 02 00 00 00 00 00 01 02 03 00 00 00 00 00"), buffer[..56]);
        Assert.True(Bytes.UntouchedFrom(buffer, 56));
    }

    [Fact]
    public void CommentsAndTrailingCommas_AreAccepted()
    {
        var profile = MockProfileReader.Parse("""
            // a comment
            { "name": "c", "device": { "flags": ["Pci"], "numRegions": 9, "numIrqs": 1, },
              "irqs": [ { "index": 0, "flags": ["EventFd"], "count": 1, "comment": "fine" }, ] }
            """, Source);
        Assert.Equal(1u, profile.NumIrqs);
        Assert.Single(profile.Irqs);
    }

    [Fact]
    public void BuiltInJson_IsTheShippedText()
    {
        string json = MockProfileReader.BuiltInJson("gvt-vgpu");
        Assert.Contains("\"gvt-vgpu\"", json);
        Assert.Equal(MockProfileReader.LoadBuiltIn("gvt-vgpu").NumIrqs, MockProfileReader.Parse(json, Source).NumIrqs);
        Assert.True(MockProfileReader.BuiltInNames.All(n => MockProfileReader.BuiltInJson(n).Length > 0));
    }

    // ---- regressions found in review ----

    [Theory]
    [InlineData("\"EINTR,EPERM\"")]
    [InlineData("\"ENOENT, EINTR\"")]
    [InlineData("\"22\"")]
    public void ErrnoCommaListsAndNumbersInStrings_AreRejected(string errno)
    {
        // Enum.TryParse would OR "EINTR,EPERM" into EIO; a profile must say exactly one errno.
        var e = Invalid(Profile("{ \"index\": 0, \"errno\": " + errno + " }"));
        Assert.Contains("$.irqs[0].errno", e.Message);
    }

    [Theory]
    [InlineData("{ \"index\": 0, \"index\": 3, \"flags\": 1, \"count\": 1 }", "$.irqs[0].index")]
    [InlineData("{ \"index\": 0, \"flags\": 1, \"count\": 1, \"count\": 7 }", "$.irqs[0].count")]
    public void RepeatedKeys_AreRejected(string irq, string path)
    {
        var e = Invalid(Profile(irq));
        Assert.Contains(path, e.Message);
        Assert.Contains("more than once", e.Message);
    }

    [Fact]
    public void FlagNameNone_IsRejected()
    {
        var e = Invalid(Profile("""{ "index": 0, "flags": ["EventFd", "None"], "count": 1 }"""));
        Assert.Contains("$.irqs[0].flags[1]", e.Message);
    }

    [Fact]
    public void DeviceCapsFlagWithoutAChain_IsRejected()
    {
        var e = Invalid(Profile("", """{ "flags": ["Pci", "Caps"], "numRegions": 9, "numIrqs": 5 }"""));
        Assert.Contains("$.device.flags", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    public void LoadFile_EmptyPath_IsMockProfileNotFound(string? path)
    {
        var e = Assert.Throws<VfioException>(() => MockProfileReader.LoadFile(path!));
        Assert.Equal("MockProfileNotFound", e.ErrorId);
    }

    [Fact]
    public void Parse_NullText_IsInvalidJson()
    {
        var e = Assert.Throws<VfioException>(() => MockProfileReader.Parse(null!, Source));
        Assert.Equal("MockProfileInvalid", e.ErrorId);
    }

    [Fact]
    public void Registry_NullName_IsNotFound()
        => Assert.False(VfioPS.VfioDeviceRegistry.TryGet(null!, out _));
}
