using System;
using System.Globalization;
using System.Text.RegularExpressions;
using VfioPS.Operations;

namespace VfioPS.Mock;

/// <summary>
/// How vfio-pci's answers changed between the kernels the mock answers as. A profile records the kernel release its
/// readings come from (its "kernel" field, `uname -r` of the machine they were measured on); the mock takes these
/// rules from that release, never from the profile's name. Each rule names the kernel change behind it; the kernel
/// lane's fidelity program checks them against Debian's 6.1 and 6.12 kernels (vfio-abi.md §7 and the lane README).
/// </summary>
public sealed class MockKernelRules
{
    /// <summary>The kernel the first readings (vfio-abi.md §7) come from, and the rules of a profile that records none.</summary>
    public const string BaselineKernel = "6.1.0-56-amd64";

    private static readonly Regex s_release = new(@"^(\d{1,4})\.(\d{1,4})(?:\.(\d{1,6}))?(?:[-+~_][A-Za-z0-9.+~_-]*)?$", RegexOptions.CultureInvariant);

    private MockKernelRules(string release, Version version)
    {
        Release = release;
        Version = version;
        // "vfio: align capability structures" (6.6): struct vfio_device_info gained a u32 pad, 24 bytes instead of 20,
        // and vfio_pci_ioctl_get_info copies min(argsz, sizeof) back, so argsz >= 24 gets the zeroed pad word.
        DeviceInfoSize = AtLeast(6, 6) ? 24 : 20;
        // Reinette Chatre's dynamic MSI-X series (6.5): MSI-X answers without NORESIZE when the device's interrupt
        // domain can allocate vectors one by one (has_dyn_msix), and a bind past the vectors allocated at enable
        // allocates them. The same series keeps one interrupt context per bound vector (an xarray) instead of an
        // array sized at enable, which is why the range checks against that array went away.
        DynamicMsix = AtLeast(6, 5);
        PerVectorContexts = AtLeast(6, 5);
        // "vfio/pci: Use RCU for error/request triggers to avoid circular locking" (mainline 6.19, stable 6.12.63):
        // an ERR/REQ EVENTFD below -1 now falls through to EINVAL instead of being accepted silently.
        // "vfio/pci: Support 8-byte PCI loads and stores" (6.11): BAR reads and writes go to the device in naturally
        // aligned 8-byte pieces where they can; before it, 4 bytes at most.
        EightByteBarAccess = AtLeast(6, 11);
        RejectsEventFdBelowMinusOne = AtLeast(6, 19) || (version.Major == 6 && version.Minor == 12 && version.Build >= 63);
    }

    /// <summary>The release as the profile records it, e.g. "6.12.117+deb12-amd64".</summary>
    public string Release { get; }

    /// <summary>major.minor.patch read from the release. Debian's 6.1 ABI names ("6.1.0-56-amd64") say 6.1.0 whatever the stable patch level.</summary>
    public Version Version { get; }

    /// <summary>The bytes VFIO_DEVICE_GET_INFO copies back at most: sizeof(struct vfio_device_info) of that kernel.</summary>
    public int DeviceInfoSize { get; }

    /// <summary>MSI-X without NORESIZE adds vectors to an enabled index on demand.</summary>
    public bool DynamicMsix { get; }

    /// <summary>
    /// SET_IRQS on an enabled MSI/MSI-X index checks each vector, not the range against the vectors allocated at
    /// enable: a bind with count 0, or a loopback past them, is accepted (6.1: EINVAL); binding a vector that was never
    /// allocated is refused per vector (EINVAL) unless dynamic MSI-X allocates it.
    /// </summary>
    public bool PerVectorContexts { get; }

    /// <summary>BAR accesses reach the device in 8-byte pieces where aligned (6.1: 4 bytes at most).</summary>
    public bool EightByteBarAccess { get; }

    /// <summary>ERR/REQ TRIGGER|EVENTFD with an fd below -1 is EINVAL (older kernels accept it and change nothing).</summary>
    public bool RejectsEventFdBelowMinusOne { get; }

    /// <summary>The baseline's rules (Debian's 6.1).</summary>
    public static MockKernelRules Baseline { get; } = For(BaselineKernel);

    /// <summary>The rules of a kernel release such as "6.12.117+deb12-amd64" or "6.12"; a release that cannot be read is an error.</summary>
    public static MockKernelRules For(string release)
    {
        if (!TryParseVersion(release, out var version))
            throw new VfioException("MockKernelInvalid", VfioErrorKind.InvalidArgument,
                $"'{release}' is not a kernel release: expected what `uname -r` prints, such as {BaselineKernel} or 6.12.117+deb12-amd64.", release);
        return new MockKernelRules(release, version);
    }

    /// <summary>Reads major.minor[.patch] from a release string (the rest, such as "-56-amd64", is the distribution's).</summary>
    public static bool TryParseVersion(string? release, out Version version)
    {
        version = new Version(0, 0, 0);
        if (string.IsNullOrEmpty(release) || release.Length > 64) return false;
        var m = s_release.Match(release);
        if (!m.Success) return false;
        version = new Version(
            int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
            int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
            m.Groups[3].Success ? int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) : 0);
        return true;
    }

    /// <summary>Whether two releases are of one kernel series (major.minor): "6.12" matches "6.12.117+deb12-amd64".</summary>
    public static bool SameSeries(string a, string b)
        => TryParseVersion(a, out var x) && TryParseVersion(b, out var y) && x.Major == y.Major && x.Minor == y.Minor;

    private bool AtLeast(int major, int minor) => Version.Major > major || (Version.Major == major && Version.Minor >= minor);

    public override string ToString() => Release;
}
