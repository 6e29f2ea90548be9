using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Kernel;
using VfioPS.Mock;
using VfioPS.Operations;

namespace VfioPS.Fuzz;

/// <summary>
/// One fuzz target: a parser of bytes or text from outside, driven by one input. A harness returns normally for
/// any input the parser accepts or refuses in its documented way (its own VfioException, a false return, a chain
/// fault); anything else escaping it (IndexOutOfRange, NullReference, ArgumentOutOfRange, Overflow, a broken
/// invariant as <see cref="FuzzInvariantException"/>) is a crash, and a hang is a hang.
/// </summary>
public sealed record FuzzTarget(string Name, string Parser, Action<byte[]> Run);

/// <summary>A harness's own check failed: the parser returned something its contract rules out.</summary>
public sealed class FuzzInvariantException : Exception
{
    public FuzzInvariantException(string message) : base(message) { }
}

public static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> All { get; } = new FuzzTarget[]
    {
        new("device-info", "VFIO_DEVICE_GET_INFO answer and its capability chain (DeviceInfoReader.ReadWithCapabilities)", DeviceInfo),
        new("irq-info", "VFIO_DEVICE_GET_IRQ_INFO answer and its capability chain walk (IrqInfoReader.Read)", IrqInfo),
        new("region-info", "VFIO_DEVICE_GET_REGION_INFO answer and its region capabilities (RegionInfoReader.Read)", RegionInfo),
        new("set-irqs", "struct vfio_irq_set as the mock decodes and answers it (VfioIrqSetCodec, MockDeviceChannel SET_IRQS)", SetIrqs),
        new("mock-profile", "mock profile JSON (MockProfileReader.Parse), then a mock device opened from it", MockProfile),
        new("pci-address", "PCI addresses, mdev UUIDs, IRQ/region names and vfio handler names from user input, and the sysfs paths made from them", PciAddressText),
        new("sysfs-attribute", "sysfs attribute contents: vendor/device/class, driver_override, reset_method, CPU lists", SysfsAttribute),
        new("proc-interrupts", "/proc/interrupts text (ProcInterruptsParser.Parse)", ProcInterrupts),
        new("pci-config", "PCI config space bytes (PciConfigDecoder.Decode: BARs, standard and extended capability lists)", PciConfig),
    };

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.Ordinal));

    // ---- ioctl answers -------------------------------------------------------------------------------------------

    /// <summary>
    /// A device whose every ioctl answer is the input: it writes the input's bytes over the caller's buffer (as many as
    /// fit), as a kernel or vendor driver that fills in the struct and chain would. An empty input is EINVAL.
    /// </summary>
    private sealed class AnswerChannel : IVfioDeviceChannel
    {
        private readonly byte[] _answer;
        public AnswerChannel(byte[] answer) => _answer = answer;
        public string Kind => "Fuzz";
        public IoctlResult Ioctl(uint request, Span<byte> argument)
        {
            if (_answer.Length == 0) return IoctlResult.Fail(Errno.EINVAL);
            _answer.AsSpan(0, Math.Min(_answer.Length, argument.Length)).CopyTo(argument);
            return IoctlResult.Success;
        }
        public void Dispose() { }
    }

    private static void DeviceInfo(byte[] input)
    {
        try
        {
            var result = DeviceInfoReader.ReadWithCapabilities(new AnswerChannel(input), "fuzz");
            foreach (var cap in result.Capabilities) _ = cap.ToString();
        }
        catch (VfioException) { }
    }

    /// <summary>Input: byte 0 picks the index asked for (of 16), the rest is the device's answer.</summary>
    private static VfioDevice AnswerDevice(byte[] input, out uint index)
    {
        index = input.Length == 0 ? 0u : (uint)(input[0] & 0x0f);
        byte[] answer = input.Length == 0 ? input : input[1..];
        return new VfioDevice("fuzz", null, new AnswerChannel(answer),
            new VfioDeviceInfoData(24, VfioDeviceFlags.Pci, NumRegions: 16, NumIrqs: 16, CapOffset: 0));
    }

    private static void IrqInfo(byte[] input)
    {
        using var device = AnswerDevice(input, out uint index);
        try
        {
            var result = IrqInfoReader.Read(device, index);
            _ = result.Info.Name;
            foreach (var cap in result.Info.Capabilities) _ = cap.ToString();
        }
        catch (VfioException) { }
    }

    private static void RegionInfo(byte[] input)
    {
        using var device = AnswerDevice(input, out uint index);
        try
        {
            var result = RegionInfoReader.Read(device, index);
            _ = result.Info.Name;
            foreach (var cap in result.Info.Capabilities) _ = cap.ToString();
        }
        catch (VfioException) { }
    }

    // ---- SET_IRQS ------------------------------------------------------------------------------------------------

    private static readonly Lazy<MockDeviceProfile[]> s_setIrqsProfiles = new(() =>
        new[] { "e1000e", "edu-6.12", "seed-mdev-chain", "gvt-vgpu" }.Select(MockProfileReader.LoadBuiltIn).ToArray());

    /// <summary>
    /// Input: the SET_IRQS argument as a caller passes it (argsz, flags, index, start, count, data). The codec decodes
    /// it, and a mock device (the input's length picks one of four profiles) answers it as vfio-pci would; the mock's
    /// answer is an errno or success, never an exception. The argument is passed twice (a disable after an enable).
    /// </summary>
    private static void SetIrqs(byte[] input)
    {
        if (input.Length >= VfioIrqSetCodec.HeaderSize)
        {
            var header = VfioIrqSetCodec.DecodeHeader(input);
            _ = VfioIrqSetCodec.Describe(header.Flags);
            _ = VfioIrqSetCodec.ElementSize(header.Flags);
        }
        var profiles = s_setIrqsProfiles.Value;
        using var mock = new MockDeviceChannel(profiles[input.Length % profiles.Length]);
        var argument = (byte[])input.Clone();
        _ = mock.Ioctl(VfioIoctl.DeviceSetIrqs, argument);
        argument = (byte[])input.Clone();
        _ = mock.Ioctl(VfioIoctl.DeviceSetIrqs, argument);
    }

    // ---- text from files and users -------------------------------------------------------------------------------

    private static string Text(byte[] input) => Encoding.UTF8.GetString(input);

    private static void MockProfile(byte[] input)
    {
        MockDeviceProfile profile;
        try
        {
            profile = MockProfileReader.Parse(Text(input), "fuzz.json");
        }
        catch (VfioException) { return; }
        // A profile the reader accepts must open as a device and answer its own GET_INFO / IRQ / region queries.
        try
        {
            using var device = MockDevices.Open(profile);
            for (uint i = 0; i < Math.Min(device.NumIrqs, 16u); i++) _ = IrqInfoReader.Read(device, i);
            for (uint i = 0; i < Math.Min(device.NumRegions, 16u); i++) _ = RegionInfoReader.Read(device, i);
        }
        catch (VfioException) { }
    }

    // Lazy, as every use of VfioPS here: before the fork server starts, the instrumented code has no coverage map to
    // write to, so nothing of VfioPS may run while the targets are listed or looked up.
    private static readonly Lazy<VfioHostPaths> s_hostPaths = new(() => new("/fuzz/sys", "/fuzz/dev", "/fuzz/etc", "/fuzz/proc"));

    private static void PciAddressText(byte[] input)
    {
        string text = Text(input);
        var s_paths = s_hostPaths.Value;
        if (PciAddress.TryNormalize(text, out string address))
        {
            if (!PciAddress.TryNormalize(address, out string again) || again != address)
                throw new FuzzInvariantException($"'{address}' does not normalize to itself");
            // A path made from an accepted address stays one element under the devices folder.
            string full = Path.GetFullPath(s_paths.PciDevice(address));
            if (Path.GetDirectoryName(full) != Path.GetFullPath(s_paths.PciDevices))
                throw new FuzzInvariantException($"'{text}' gave the path '{full}', outside {s_paths.PciDevices}");
        }
        if (MdevUuid.TryNormalize(text, out string uuid))
        {
            string full = Path.GetFullPath(s_paths.MdevDevice(uuid));
            if (Path.GetDirectoryName(full) != Path.GetFullPath(s_paths.MdevDevices))
                throw new FuzzInvariantException($"'{text}' gave the path '{full}', outside {s_paths.MdevDevices}");
        }
        if (VfioIrqActionName.TryParse(text, out uint irqIndex, out int vector, out string handlerAddress)
            && VfioIrqActionName.Format(irqIndex, vector, handlerAddress) != text)
            throw new FuzzInvariantException($"'{text}' parsed as a handler name but does not format back to itself");
        _ = IrqIndexNames.TryParse(text, out _);
        _ = RegionNames.TryParse(text, out _);
    }

    /// <summary>Input: byte 0 picks the attribute, the rest is the file's text.</summary>
    private static void SysfsAttribute(byte[] input)
    {
        if (input.Length == 0) return;
        string text = Encoding.UTF8.GetString(input, 1, input.Length - 1);
        switch (input[0] % 4)
        {
            case 0:
                _ = (ushort)PciDeviceEnumerator.ParseHexAttribute(text);
                _ = PciDeviceEnumerator.ParseHexAttribute(text) >> 8;
                break;
            case 1:
                string? driver = PciDeviceEnumerator.ParseDriverOverride(text);
                if (driver is not null && (driver.Length == 0 || driver == "(null)" || driver != driver.Trim()))
                    throw new FuzzInvariantException($"driver_override '{text}' read as '{driver}'");
                _ = PciDeviceEnumerator.IsVfioDriver(driver);
                break;
            case 2:
                foreach (string method in PciDeviceEnumerator.ParseResetMethods(text))
                    if (method.Length == 0) throw new FuzzInvariantException("an empty reset method");
                break;
            default:
                int[]? cpus = HostInterruptFiles.ParseCpuList(text);
                if (cpus is not null)
                    for (int i = 1; i < cpus.Length; i++)
                        if (cpus[i] <= cpus[i - 1]) throw new FuzzInvariantException($"CPU list '{text}' is not ascending");
                break;
        }
    }

    private static void ProcInterrupts(byte[] input)
    {
        foreach (var line in ProcInterruptsParser.Parse(Text(input)))
        {
            if (line.Cpus.Length != line.Counts.Length)
                throw new FuzzInvariantException($"IRQ {line.Irq}: {line.Cpus.Length} CPUs but {line.Counts.Length} counts");
            _ = line.Total;
            foreach (string action in line.Actions) _ = VfioIrqActionName.TryParse(action, out _, out _, out _);
        }
    }

    private static void PciConfig(byte[] input)
    {
        try
        {
            var config = PciConfigDecoder.Decode("fuzz", input);
            _ = config.ToString();
        }
        catch (VfioException) { }
    }
}
