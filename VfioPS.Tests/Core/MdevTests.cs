using System;
using System.IO;
using System.Linq;
using VfioPS.Abi;
using VfioPS.Kernel;
using VfioPS.Operations;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>Mediated devices over a fake sysfs: types and instances read, create and remove with a simulated kernel, open by UUID.</summary>
public sealed class MdevTests : IDisposable
{
    private const string Parent = "seed0";
    private const string Display = "seed_mdev-display";
    private const string Chain = "seed_mdev-chain";
    private const string First = "3b1f3a7e-2c44-4d0b-8e55-1a2b3c4d5e6f";
    private readonly FakeHostTree _tree = new();
    private readonly SimulatedMdevKernel _kernel;

    public MdevTests()
    {
        _tree.MdevType(Parent, Display, "display", "A display\nwith one IRQ", 2)
            .MdevType(Parent, Chain, "chain", null, 1)
            .MdevType("0000:00:02.0", "i915-GVTg_V5_4", "GVTg_V5_4", "low_gm_size: 128MB", 0);
        _kernel = new SimulatedMdevKernel(_tree);
    }

    public void Dispose() => _tree.Dispose();

    private MdevManager Manager => new(_tree.Paths, _kernel) { SettleTime = TimeSpan.FromMilliseconds(200) };

    private static VfioException Throws(Action action) => Assert.Throws<VfioException>(action);

    [Fact]
    public void TypesAreReadPerParentWithTheirAttributesAndInstances()
    {
        _tree.MdevInstance(Parent, Display, First, 20, "seed_mdev");
        var types = MdevEnumerator.Types(_tree.Paths);
        Assert.Equal(new[] { "0000:00:02.0/i915-GVTg_V5_4", "seed0/seed_mdev-chain", "seed0/seed_mdev-display" }, types.Select(t => t.ToString()));
        var display = types[2];
        Assert.Equal(("display", "A display with one IRQ", 2u, "vfio-pci"), (display.Name, display.Description, display.AvailableInstances, display.DeviceApi));
        Assert.Equal(new[] { First }, display.Instances);
        Assert.Null(types[1].Description);                           // optional: the driver has none
        Assert.Empty(types[1].Instances);
        Assert.Equal(0u, types[0].AvailableInstances);
        Assert.Equal(new[] { "0000:00:02.0", Parent }, MdevEnumerator.Parents(_tree.Paths));
    }

    [Fact]
    public void AHostWithoutMdevParentsHasNoTypesAndNoInstances()
    {
        using var bare = new FakeHostTree();
        Assert.Empty(MdevEnumerator.Types(bare.Paths));
        Assert.Empty(MdevEnumerator.Devices(bare.Paths));
    }

    [Fact]
    public void InstancesAreReadWithParentTypeGroupAndDriver()
    {
        _tree.MdevInstance(Parent, Chain, First, 21, "seed_mdev")
            .MdevInstance(Parent, Display, "00000000-0000-4000-8000-000000000001", null, null);
        var devices = MdevEnumerator.Devices(_tree.Paths);
        Assert.Equal(new[] { "00000000-0000-4000-8000-000000000001", First }, devices.Select(d => d.Uuid));
        var chain = devices[1];
        Assert.Equal((Parent, Chain, "chain", (int?)21, "seed_mdev"), (chain.Parent, chain.TypeId, chain.TypeName, chain.IommuGroup, chain.Driver));
        Assert.Equal((Parent, Display, (int?)null, (string?)null), (devices[0].Parent, devices[0].TypeId, devices[0].IommuGroup, devices[0].Driver));
    }

    [Fact]
    public void CreateWritesTheUuidToTheTypesCreateFileAndReturnsTheNewInstance()
    {
        var plan = Manager.PlanCreate(Parent, Display, First.ToUpperInvariant());
        Assert.Equal(First, plan.Uuid);                               // canonical lowercase, as sysfs names it
        Assert.Empty(_kernel.Writes);                                 // planning writes nothing (-WhatIf stops here)
        var created = Manager.Create(plan);
        Assert.Equal(new[] { ("class/mdev_bus/seed0/mdev_supported_types/seed_mdev-display/create", First) }, _kernel.Writes);
        Assert.Equal((First, Parent, Display, "seed_mdev", (int?)20), (created.Uuid, created.Parent, created.TypeId, created.Driver, created.IommuGroup));
        Assert.Equal(1u, MdevEnumerator.FindType(_tree.Paths, Parent, Display)!.AvailableInstances);
    }

    [Fact]
    public void WithoutAUuidARandomVersion4UuidIsWritten()
    {
        var a = Manager.PlanCreate(Parent, Display, null);
        var b = Manager.PlanCreate(Parent, Display, null);
        Assert.NotEqual(a.Uuid, b.Uuid);
        Assert.Equal('4', a.Uuid[14]);
        Assert.True(MdevUuid.IsUuid(a.Uuid));
        Assert.Equal(a.Uuid, a.Write!.Text);
    }

    [Fact]
    public void TheSameUuidOnTheSameTypeIsSuccessWithoutAWrite()
    {
        _tree.MdevInstance(Parent, Display, First, 20, "seed_mdev");
        var plan = Manager.PlanCreate(Parent, Display, First);
        Assert.Null(plan.Write);
        Assert.Equal(First, Manager.Create(plan).Uuid);
        Assert.Empty(_kernel.Writes);
    }

    [Fact]
    public void TheSameUuidOnAnotherTypeIsRefusedBeforeAnyWrite()
    {
        _tree.MdevInstance(Parent, Chain, First, 20, "seed_mdev");
        var e = Throws(() => Manager.PlanCreate(Parent, Display, First));
        Assert.Equal(("VfioMdevUuidInUse", VfioErrorKind.ResourceExists, (object?)First), (e.ErrorId, e.Kind, e.Target));
        Assert.Contains("seed0/seed_mdev-chain", e.Message);
        Assert.Empty(_kernel.Writes);
    }

    [Fact]
    public void NoAvailableInstanceIsRefusedBeforeTheWrite()
    {
        var e = Throws(() => Manager.PlanCreate("0000:00:02.0", "i915-GVTg_V5_4", First));
        Assert.Equal(("VfioMdevNoInstancesAvailable", VfioErrorKind.ResourceUnavailable), (e.ErrorId, e.Kind));
        Assert.Contains("available_instances is 0", e.Message);
        Assert.Empty(_kernel.Writes);
    }

    [Theory]
    [InlineData(Errno.EUSERS, "VfioMdevNoInstancesAvailable", VfioErrorKind.ResourceUnavailable)]
    [InlineData(Errno.EACCES, "VfioSysfsPermissionDenied", VfioErrorKind.PermissionDenied)]
    [InlineData(Errno.EINVAL, "VfioMdevCreateFailed", VfioErrorKind.InvalidArgument)]
    [InlineData(Errno.EEXIST, "VfioMdevUuidInUse", VfioErrorKind.ResourceExists)]
    public void TheKernelsErrnoOnTheCreateWriteBecomesTheError(Errno errno, string id, VfioErrorKind kind)
    {
        _kernel.Failures["class/mdev_bus/seed0/mdev_supported_types/seed_mdev-display/create"] = errno;
        var e = Throws(() => Manager.Create(Manager.PlanCreate(Parent, Display, First)));
        Assert.Equal((id, kind, errno, (object?)First), (e.ErrorId, e.Kind, e.Errno, e.Target));
        Assert.Single(_kernel.Writes);
    }

    [Fact]
    public void ACreateTheKernelTookWhoseInstanceNeverAppearsIsAnError()
    {
        _kernel.Appears = false;
        var e = Throws(() => Manager.Create(Manager.PlanCreate(Parent, Display, First)));
        Assert.Equal(("VfioMdevNotCreated", VfioErrorKind.DeviceError), (e.ErrorId, e.Kind));
    }

    [Theory]
    [InlineData("../../../kernel", Display, "VfioMdevParentNotFound")]
    [InlineData("seed1", Display, "VfioMdevParentNotFound")]
    [InlineData(Parent, "seed_mdev-nope", "VfioMdevTypeNotFound")]
    [InlineData(Parent, "../seed_mdev-display", "VfioMdevTypeNotFound")]
    public void AParentOrTypeSysfsDoesNotListIsNotFound(string parent, string typeId, string id)
    {
        var e = Throws(() => Manager.PlanCreate(parent, typeId, First));
        Assert.Equal((id, VfioErrorKind.ObjectNotFound), (e.ErrorId, e.Kind));
        Assert.Empty(_kernel.Writes);
    }

    [Theory]
    [InlineData("not-a-uuid")]
    [InlineData("3b1f3a7e2c444d0b8e551a2b3c4d5e6f")]   // no hyphens: not the form the kernel names instances by
    public void TextThatIsNotAUuidIsRefused(string uuid)
    {
        Assert.Equal("VfioMdevUuidInvalid", Throws(() => Manager.PlanCreate(Parent, Display, uuid)).ErrorId);
        Assert.Equal("VfioMdevUuidInvalid", Throws(() => Manager.PlanRemove(uuid)).ErrorId);
    }

    [Fact]
    public void RemoveWritesOneToTheRemoveFileAndTheInstanceGoes()
    {
        Manager.Create(Manager.PlanCreate(Parent, Chain, First));
        _kernel.Writes.Clear();
        var plan = Manager.PlanRemove(First);
        Manager.Remove(plan);
        Assert.Equal(new[] { ($"bus/mdev/devices/{First}/remove", "1") }, _kernel.Writes);
        Assert.Null(MdevEnumerator.Find(_tree.Paths, First));
        Assert.Equal(1u, MdevEnumerator.FindType(_tree.Paths, Parent, Chain)!.AvailableInstances);
    }

    [Fact]
    public void RemovingAnInstanceThatIsGoneWritesNothing()
    {
        var plan = Manager.PlanRemove(First);
        Assert.Null(plan.Write);
        Manager.Remove(plan);
        Assert.Empty(_kernel.Writes);
    }

    [Fact]
    public void ARemoveTheKernelRefusesIsAnError()
    {
        _tree.MdevInstance(Parent, Chain, First, 20, "seed_mdev");
        _kernel.Failures[$"bus/mdev/devices/{First}/remove"] = Errno.EPERM;
        var e = Throws(() => Manager.Remove(Manager.PlanRemove(First)));
        Assert.Equal(("VfioSysfsPermissionDenied", VfioErrorKind.PermissionDenied, Errno.EPERM), (e.ErrorId, e.Kind, e.Errno));
    }

    [Fact]
    public void AnInstanceOpenInThisProcessIsNotRemoved()
    {
        _tree.MdevInstance(Parent, Display, First, 20, "seed_mdev");
        using var device = KernelDevices.Open(First, null, _tree.Paths, VfioOpenPath.Auto, new FakeKernelNodes("gvt-vgpu"));
        var e = Throws(() => Manager.PlanRemove(First));
        Assert.Equal(("VfioDeviceOpenInSession", VfioErrorKind.ResourceBusy, (object?)First), (e.ErrorId, e.Kind, e.Target));
        Assert.Empty(_kernel.Writes);
    }

    [Fact]
    public void AnMdevOpensByUuidThroughItsGroupWithTheUuidAsTheDeviceName()
    {
        _tree.MdevInstance(Parent, Display, First, 20, "seed_mdev");
        var nodes = new FakeKernelNodes("gvt-vgpu");
        using (var device = KernelDevices.Open(First.ToUpperInvariant(), null, _tree.Paths, VfioOpenPath.Auto, nodes))
        {
            Assert.Equal(First, device.Name);
            Assert.Equal(20, device.IommuGroup);
            Assert.Equal("Kernel group", device.Channel);
            Assert.Equal(new[] { _tree.Paths.Container, _tree.Paths.Group(20) }, nodes.Opened);
            Assert.Equal(new[] { First }, nodes.DeviceNames);
            Assert.True(VfioDeviceRegistry.TryGet(First, out _));
            var display = IrqInfoReader.Read(device, 5).Info;          // the device's own answer: GFX/DISPLAY
            Assert.Equal("GFX/DISPLAY", display.Name);
            var e = Throws(() => KernelDevices.Open(First, null, _tree.Paths, VfioOpenPath.Auto, nodes));
            Assert.Equal("VfioDeviceAlreadyOpen", e.ErrorId);
        }
        Assert.All(nodes.Handles, h => Assert.True(h.IsClosed));
        Assert.False(VfioDeviceRegistry.TryGet(First, out _));
    }

    [Fact]
    public void AnMdevThatIsMissingUnboundOrAskedForByCdevIsRefusedWithoutOpeningAnything()
    {
        _tree.MdevInstance(Parent, Display, First, null, null);
        var nodes = new FakeKernelNodes();
        Assert.Equal(("VfioDeviceNotBound", VfioErrorKind.InvalidOperation),
            (Throws(() => KernelDevices.Open(First, null, _tree.Paths, VfioOpenPath.Auto, nodes)) is var unbound ? (unbound.ErrorId, unbound.Kind) : default));
        Assert.Equal("VfioDeviceNotFound", Throws(() => KernelDevices.Open("00000000-0000-4000-8000-000000000002", null, _tree.Paths, VfioOpenPath.Auto, nodes)).ErrorId);
        Assert.Equal("VfioCdevNotAvailable", Throws(() => KernelDevices.Open(First, null, _tree.Paths, VfioOpenPath.Cdev, nodes)).ErrorId);
        Assert.Empty(nodes.Opened);
    }
}
