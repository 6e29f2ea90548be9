using System;
using System.Collections.Frozen;
using System.Collections.Generic;
using VfioPS.Abi;

namespace VfioPS.Mock;

/// <summary>
/// The bytes a mock IRQ index answers with past the 16-byte struct: cap_offset, and what follows it from
/// offset 20 on (pad, then the chain). Keeping the raw tail lets a profile describe malformed chains exactly.
/// </summary>
public sealed record MockCapabilityImage(uint CapOffset, byte[] Tail)
{
    /// <summary>The argsz a caller needs to receive the whole chain.</summary>
    public uint RequiredArgsz => (uint)(VfioIrqInfoCodec.ExtendedSize + Tail.Length);
}

/// <summary>One IRQ index of a mock device: an errno it is refused with, or flags and count and an optional chain.</summary>
/// <param name="PlatformVectors">For MSI/MSI-X: how many vectors the "platform" can allocate; asking for more gets the positive partial-allocation answer.</param>
public sealed record MockIrqProfile(uint Index, Errno Refusal, VfioIrqFlags Flags, uint Count, MockCapabilityImage? Capabilities, uint? PlatformVectors = null);

/// <summary>
/// A mock device as a profile describes it. Flags are stored exactly as the kernel answers them. Immutable (the
/// capability tails are only ever copied from), so one parsed built-in profile serves every device opened from it.
/// </summary>
public sealed class MockDeviceProfile
{
    public MockDeviceProfile(string name, string? description, string source, VfioDeviceFlags deviceFlags, uint numRegions, uint numIrqs,
        IReadOnlyDictionary<uint, MockIrqProfile> irqs)
    {
        Name = name;
        Description = description;
        Source = source;
        DeviceFlags = deviceFlags;
        NumRegions = numRegions;
        NumIrqs = numIrqs;
        Irqs = irqs.ToFrozenDictionary();
    }

    public string Name { get; }
    public string? Description { get; }
    /// <summary>Where the profile came from: "built-in" or the file's path.</summary>
    public string Source { get; }
    public VfioDeviceFlags DeviceFlags { get; }
    public uint NumRegions { get; }
    public uint NumIrqs { get; }
    /// <summary>Indexes below NumIrqs without an entry are refused with EINVAL, as mtty does for the ones it lacks.</summary>
    public IReadOnlyDictionary<uint, MockIrqProfile> Irqs { get; }

    /// <summary>The regions VFIO_DEVICE_GET_REGION_INFO answers for ("regions" in the profile); none when not given.</summary>
    public MockRegionTable Regions { get; init; } = MockRegionTable.Empty;

    /// <summary>The VFIO_DEVICE_INFO capability chain ("device.capabilities"); null for devices without one.</summary>
    public MockDeviceCapabilities? DeviceCapabilities { get; init; }

    /// <summary>Config space as the CONFIG region answers it ("config" in the profile); null: a zeroed 256-byte space.</summary>
    public MockConfigImage? Config { get; init; }

    /// <summary>The register model behind the device's BARs ("deviceModel": "edu"); null: BARs are plain memory.</summary>
    public string? DeviceModel { get; init; }
    /// <summary>The profile's "reset" key: reset methods, IOMMU group, hot-reset answer (default: ENODEV, a root-bus device).</summary>
    public MockResetProfile Reset { get; init; } = MockResetProfile.Default;
    /// <summary>
    /// The kernel the readings come from (the profile's "kernel" field; <see cref="MockKernelRules.BaselineKernel"/>
    /// when it records none), and so the vfio-pci rules the mock answers by.
    /// </summary>
    public MockKernelRules KernelRules { get; init; } = MockKernelRules.Baseline;

    /// <summary>The kernel release the readings come from, e.g. "6.12.117+deb12-amd64".</summary>
    public string Kernel => KernelRules.Release;
}
