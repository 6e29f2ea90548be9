using System;
using System.Buffers.Binary;
using System.Linq;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Mock;
using Xunit;
using static VfioPS.Core.Tests.IrqSet;
using static VfioPS.Core.Tests.SetIrqsAssert;

namespace VfioPS.Core.Tests;

/// <summary>
/// The mock answers by the kernel its profile records: the rules per release, the "kernel" field and its checks, the
/// choice of built-in readings by kernel, and every answer the kernel lane found to differ between Debian's 6.1 and
/// 6.12 (GET_INFO copy size, MSI-X NORESIZE, dynamic MSI-X, the per-vector range checks, ERR/REQ fd below -1).
/// </summary>
[Collection(FdCountingCollection.Name)]
public class MockKernelRulesTests
{
    private const string Debian612 = "6.12.117+deb12-amd64";

    // ---- the rules per release ----

    [Theory]
    // release, GET_INFO size, dynamic MSI-X, per-vector contexts, ERR/REQ fd < -1 refused
    [InlineData("6.1.0-56-amd64", 20, false, false, false)]
    [InlineData("6.4.16", 20, false, false, false)]
    [InlineData("6.5", 20, true, true, false)]
    [InlineData("6.6.0-1-amd64", 24, true, true, false)]
    [InlineData("6.12.57+deb13-amd64", 24, true, true, false)]
    [InlineData("6.12.63", 24, true, true, true)]
    [InlineData(Debian612, 24, true, true, true)]
    [InlineData("6.13.2", 24, true, true, false)]
    [InlineData("6.19.0", 24, true, true, true)]
    public void Rules_FollowTheRelease(string release, int deviceInfoSize, bool dynamicMsix, bool perVector, bool rejectsFd)
    {
        var rules = MockKernelRules.For(release);
        Assert.Equal(release, rules.Release);
        Assert.Equal(deviceInfoSize, rules.DeviceInfoSize);
        Assert.Equal(dynamicMsix, rules.DynamicMsix);
        Assert.Equal(perVector, rules.PerVectorContexts);
        Assert.Equal(rejectsFd, rules.RejectsEventFdBelowMinusOne);
    }

    [Theory]
    [InlineData("")]
    [InlineData("banana")]
    [InlineData("6")]
    [InlineData("6.12 ")]
    [InlineData("v6.12")]
    public void Rules_ForSomethingThatIsNoRelease_IsMockKernelInvalid(string release)
    {
        var e = Assert.Throws<VfioException>(() => MockKernelRules.For(release));
        Assert.Equal("MockKernelInvalid", e.ErrorId);
        Assert.Equal(VfioErrorKind.InvalidArgument, e.Kind);
    }

    [Fact]
    public void SameSeries_ComparesMajorAndMinorOnly()
    {
        Assert.True(MockKernelRules.SameSeries("6.12", Debian612));
        Assert.True(MockKernelRules.SameSeries("6.12.118+deb12-amd64", Debian612));
        Assert.False(MockKernelRules.SameSeries("6.1", Debian612));
        Assert.False(MockKernelRules.SameSeries("6.1", "nonsense"));
    }

    // ---- the profile field ----

    [Fact]
    public void EveryBuiltInProfile_RecordsItsKernel_AsDebian61Or612()
    {
        foreach (string name in MockProfileReader.BuiltInNames)
        {
            Assert.Contains("\"kernel\":", MockProfileReader.BuiltInJson(name));
            string kernel = MockProfileReader.LoadBuiltIn(name).Kernel;
            Assert.Equal(name.EndsWith("-6.12", StringComparison.Ordinal) ? Debian612 : MockKernelRules.BaselineKernel, kernel);
        }
    }

    [Fact]
    public void ProfileWithoutKernel_FollowsTheBaseline()
    {
        var profile = MockProfileReader.Parse("""{ "name": "old", "device": { "flags": ["Pci"], "numRegions": 9, "numIrqs": 5 }, "irqs": [] }""", "test.json");
        Assert.Equal(MockKernelRules.BaselineKernel, profile.Kernel);
        Assert.Equal(20, profile.KernelRules.DeviceInfoSize);
    }

    [Theory]
    [InlineData("42", "$.kernel must be a string")]
    [InlineData("\"banana\"", "$.kernel 'banana' is not a kernel release")]
    public void KernelField_ThatIsNoRelease_IsMockProfileInvalid(string value, string expected)
    {
        string json = "{ \"name\": \"k\", \"kernel\": " + value + ", \"device\": { \"flags\": [\"Pci\"], \"numRegions\": 9, \"numIrqs\": 5 }, \"irqs\": [] }";
        var e = Assert.Throws<VfioException>(() => MockProfileReader.Parse(json, "test.json"));
        Assert.Equal("MockProfileInvalid", e.ErrorId);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void MsixWithoutNoResize_OnAKernelBeforeDynamicMsix_IsMockProfileInvalid_NamingTheEntry()
    {
        const string Msix = """{ "index": 2, "flags": ["EventFd"], "count": 5 }""";
        var e = Assert.Throws<VfioException>(() => SetIrqsProfiles.LikeE1000e("old-dyn", msix: Msix, kernel: "6.1.0-56-amd64"));
        Assert.Equal("MockProfileInvalid", e.ErrorId);
        Assert.Contains("$.irqs[2].flags lacks NoResize", e.Message);
        Assert.Contains("6.1.0-56-amd64", e.Message);
        // The same readings from a kernel with dynamic MSI-X are a profile.
        Assert.Equal(VfioIrqFlags.EventFd, SetIrqsProfiles.LikeE1000e("new-dyn", msix: Msix, kernel: Debian612).Irqs[2].Flags);
    }

    // ---- choosing built-in readings by kernel ----

    [Theory]
    [InlineData("e1000e", null, "e1000e")]
    [InlineData("e1000e", "6.1", "e1000e")]
    [InlineData("e1000e", "6.12", "e1000e-6.12")]
    [InlineData("E1000E", Debian612, "e1000e-6.12")]
    [InlineData("virtio-net", "6.12.118+deb12-amd64", "virtio-net-6.12")]
    [InlineData("edu-6.12", "6.12", "edu-6.12")]
    [InlineData("pci-testdev", "6.1.0-56-amd64", "pci-testdev")]
    public void LoadBuiltIn_WithAKernel_PicksTheReadingsOfItsSeries(string name, string? kernel, string expected)
        => Assert.Equal(expected, MockProfileReader.LoadBuiltIn(name, kernel).Name);

    [Fact]
    public void LoadBuiltIn_ForAKernelWithoutReadings_IsMockProfileNotFound_ListingTheKernelsThereAre()
    {
        var e = Assert.Throws<VfioException>(() => MockProfileReader.LoadBuiltIn("gvt-vgpu", "6.12"));
        Assert.Equal("MockProfileNotFound", e.ErrorId);
        Assert.Contains("6.1.0-56-amd64 (gvt-vgpu)", e.Message);
        e = Assert.Throws<VfioException>(() => MockProfileReader.LoadBuiltIn("e1000e-6.12", "6.1"));
        Assert.Equal("MockProfileNotFound", e.ErrorId);
        e = Assert.Throws<VfioException>(() => MockProfileReader.LoadBuiltIn("e1000e", "latest"));
        Assert.Equal("MockKernelInvalid", e.ErrorId);
        e = Assert.Throws<VfioException>(() => MockProfileReader.LoadBuiltIn("nope", "6.12"));
        Assert.Equal("MockProfileNotFound", e.ErrorId);
    }

    // ---- the answers that differ, as the lane measured them (vfio-abi.md §7, lane README) ----

    private static byte[] InfoBuffer(uint argsz)
    {
        var b = new byte[Math.Max(16, argsz)];
        b.AsSpan().Fill(0xAA);
        BinaryPrimitives.WriteUInt32LittleEndian(b, argsz);
        return b;
    }

    [Fact]
    public void GetInfo_Argsz24_CopiesThePadWordOnlyOn612()
    {
        // The bytes the lane read from e1000e on each kernel (GET_INFO argsz 24, buffer filled with 0xAA).
        var old = InfoBuffer(24);
        using (var channel = SetIrqsProfiles.Open("e1000e")) Ok(channel.Ioctl(VfioIoctl.DeviceGetInfo, old));
        Assert.Equal(Bytes.Hex("18000000 03000000 09000000 05000000 00000000 AAAAAAAA"), old);
        var @new = InfoBuffer(24);
        using (var channel = SetIrqsProfiles.Open("e1000e-6.12")) Ok(channel.Ioctl(VfioIoctl.DeviceGetInfo, @new));
        Assert.Equal(Bytes.Hex("18000000 03000000 09000000 05000000 00000000 00000000"), @new);
        // Past sizeof nothing is written.
        var big = InfoBuffer(64);
        using (var channel = SetIrqsProfiles.Open("e1000e-6.12")) Ok(channel.Ioctl(VfioIoctl.DeviceGetInfo, big));
        Assert.All(big.Skip(24), b => Assert.Equal(0xAA, b));
    }

    [Theory]
    [InlineData("e1000e", 0x9u)]
    [InlineData("e1000e-6.12", 0x1u)]
    [InlineData("virtio-net-6.12", 0x1u)]
    [InlineData("edu-6.12", 0x9u)] // no MSI-X capability: the kernel keeps NORESIZE
    public void GetIrqInfo_MsixFlags_AreThoseOfTheKernel(string profile, uint flags)
    {
        var b = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(b, 16);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), 2);
        using var channel = SetIrqsProfiles.Open(profile);
        Ok(channel.Ioctl(VfioIoctl.DeviceGetIrqInfo, b));
        Assert.Equal(flags, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(4)));
    }

    [Theory]
    [InlineData("e1000e", Err, false)]
    [InlineData("e1000e", Req, false)]
    [InlineData("e1000e-6.12", Err, true)]
    [InlineData("edu-6.12", Req, true)]
    public void ErrReq_EventFdBelowMinus1_IsAcceptedOn61_AndEINVALOn612_KeepingTheTrigger(string profile, uint index, bool refused)
    {
        using var channel = SetIrqsProfiles.Open(profile);
        using var fds = new EventFdSet(1);
        Ok(channel.SetIrqs(EventFds(Trigger, index, 0, fds[0].Fd)));
        var result = channel.SetIrqs(EventFds(Trigger, index, 0, -2));
        if (refused) Refused(Errno.EINVAL, result);
        else Ok(result);
        // Either way the trigger is still bound.
        Ok(channel.SetIrqs(None(Trigger, index, 0, 1)));
        Assert.Equal(new ulong[] { 1 }, fds.ReadAll());
    }

    [Fact]
    public void MsiX_AddingAVectorToTheEnabledIndex_IsEINVALOn61_AndAllocatesItOn612()
    {
        using var fds = new EventFdSet(3);
        using (var old = SetIrqsProfiles.Open("e1000e"))
        {
            Ok(old.SetIrqs(EventFds(Trigger, MsiX, 0, fds[0].Fd, fds[1].Fd)));
            Refused(Errno.EINVAL, old.SetIrqs(EventFds(Trigger, MsiX, 2, fds[2].Fd)));
            Refused(Errno.EINVAL, old.SetIrqs(None(Trigger, MsiX, 0, 5))); // loopback past the two allocated vectors
        }
        using var channel = SetIrqsProfiles.Open("e1000e-6.12");
        Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 0, fds[0].Fd, fds[1].Fd)));
        Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 2, fds[2].Fd)));
        Ok(channel.SetIrqs(None(Trigger, MsiX, 0, 5))); // vectors 3 and 4 have no context: skipped
        Assert.Equal(new ulong[] { 1, 1, 1 }, fds.ReadAll());
        Assert.True(channel.RaiseInterrupt(MsiX, 2));
        Assert.Equal(new ulong[] { 0, 0, 1 }, fds.ReadAll());
        // The index's count still bounds it (§2.5 step 2).
        Refused(Errno.EINVAL, channel.SetIrqs(EventFds(Trigger, MsiX, 5, fds[0].Fd)));
    }

    [Fact]
    public void MsiX_On612WithNoResize_RefusesAVectorNeverAllocated_ButTakesCountZeroAndDeassign()
    {
        // A 6.12 machine whose interrupt domain cannot allocate MSI-X vectors one by one keeps NORESIZE.
        var profile = SetIrqsProfiles.LikeE1000e("static-msix", kernel: Debian612);
        using var channel = SetIrqsProfiles.Open(profile);
        using var fds = new EventFdSet(3);
        Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 0, fds[0].Fd, fds[1].Fd)));
        Refused(Errno.EINVAL, channel.SetIrqs(EventFds(Trigger, MsiX, 1, fds[1].Fd, fds[2].Fd)));
        // The refused call de-assigned what it had set (vector 1, rebound to the same fd, included).
        Ok(channel.SetIrqs(None(Trigger, MsiX, 0, 2)));
        Assert.Equal(new ulong[] { 1, 0, 0 }, fds.ReadAll());
        Ok(channel.SetIrqs(Raw(20, Trigger | DataEventFd, MsiX, 4, 0)));
        Ok(channel.SetIrqs(EventFds(Trigger, MsiX, 4, -1)));
    }

    [Theory]
    [InlineData("e1000e", false)]
    [InlineData("e1000e-6.12", true)]
    public void MsiX_EventFdWithCountZero_WhileOff_EnablesStartVectorsOnlyOn612(string profile, bool accepted)
    {
        using var channel = SetIrqsProfiles.Open(profile);
        var enable = channel.SetIrqs(Raw(20, Trigger | DataEventFd, MsiX, 2, 0));
        var loopback = channel.SetIrqs(None(Trigger, MsiX, 0, 2));
        if (accepted)
        {
            Ok(enable);
            Ok(loopback);
            Ok(channel.SetIrqs(None(Trigger, MsiX, 0, 0))); // and it is enabled: disable answers 0
        }
        else
        {
            Refused(Errno.EINVAL, enable);
            Refused(Errno.EINVAL, loopback); // nothing was left enabled
        }
    }
}
