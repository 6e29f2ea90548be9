using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Mock;
using VfioPS.Operations;

namespace VfioPS.Fuzz;

/// <summary>
/// The seed corpora: real answers, recorded from the built-in mock profiles (whose readings come from the kernel
/// lane's devices under Debian's 6.1 and 6.12), and texts as the kernel writes them. Committed under corpus/; this
/// writes them again (file names are content hashes, so a rerun only adds what changed).
/// </summary>
internal static class Seeds
{
    /// <summary>Records the buffer of the last ioctl of one request number: the answer the readers decode.</summary>
    private sealed class Recorder : IVfioDeviceChannel
    {
        private readonly IVfioDeviceChannel _inner;
        public Recorder(IVfioDeviceChannel inner) => _inner = inner;
        public byte[]? Last { get; private set; }
        public string Kind => _inner.Kind;
        public IoctlResult Ioctl(uint request, Span<byte> argument)
        {
            var result = _inner.Ioctl(request, argument);
            Last = result.IsError ? null : argument.ToArray();
            return result;
        }
        public RegionIoResult Read(Span<byte> buffer, long offset) => _inner.Read(buffer, offset);
        public void Dispose() => _inner.Dispose();
    }

    public static void Write(string root)
    {
        var seeds = new Dictionary<string, List<byte[]>>();
        void Add(string target, byte[] bytes) { if (!seeds.TryGetValue(target, out var list)) seeds[target] = list = new(); list.Add(bytes); }
        void AddText(string target, string text) => Add(target, Encoding.UTF8.GetBytes(text));

        foreach (string name in MockProfileReader.BuiltInNames.Where(n => n != "vfio-mock-profile.schema"))
        {
            var profile = MockProfileReader.LoadBuiltIn(name);
            AddText("mock-profile", MockProfileReader.BuiltInJson(name));

            var recorder = new Recorder(new MockDeviceChannel(profile));
            _ = DeviceInfoReader.ReadWithCapabilities(recorder, "seed");
            if (recorder.Last is { } info) Add("device-info", info);

            using var device = new VfioDevice("seed", name, recorder, DeviceInfoReader.Read(recorder, "seed"));
            for (uint index = 0; index < Math.Min(device.NumIrqs, 16u); index++)
            {
                _ = IrqInfoReader.Read(device, index);
                if (recorder.Last is { } answer) Add("irq-info", new[] { (byte)index }.Concat(answer).ToArray());
            }
            for (uint index = 0; index < Math.Min(device.NumRegions, 16u); index++)
            {
                _ = RegionInfoReader.Read(device, index);
                if (recorder.Last is { } answer) Add("region-info", new[] { (byte)index }.Concat(answer).ToArray());
            }
            try { Add("pci-config", PciConfigAccess.ReadBytes(device)); }
            catch (VfioException) { }
        }

        // SET_IRQS as IrqSetter sends it: enable INTx/MSI/MSI-X with eventfds (-1: none), mask/unmask, disable.
        foreach (uint index in new uint[] { 0, 1, 2, 5 })
        {
            Add("set-irqs", VfioIrqSetCodec.EncodeEventFds(VfioIrqSetFlags.ActionTrigger, index, 0, new[] { -1, -1 }));
            Add("set-irqs", VfioIrqSetCodec.EncodeBool(VfioIrqSetFlags.ActionMask, index, 0, new[] { true }));
            Add("set-irqs", VfioIrqSetCodec.EncodeNone(VfioIrqSetFlags.ActionUnmask, index, 0, 1));
            Add("set-irqs", VfioIrqSetCodec.EncodeNone(VfioIrqSetFlags.ActionTrigger, index, 0, 0));
        }

        foreach (string text in new[]
        {
            "0000:00:10.0", "00:1f.3", "0000:AB:1F.7\n", "mock:e1000e/1", "3b0e5d1a-8c34-4f53-9a1e-0c8d2e6f7a91",
            "vfio-intx(0000:00:11.0)", "vfio-msi[0](0000:00:11.0)", "vfio-msix[12](0000:01:00.0)", "MSI-X", "5", "BAR0", "CONFIG", "9",
        }) AddText("pci-address", text);

        foreach (string text in new[] { "\x00" + "0x8086\n", "\x00" + "0x020000\n", "\x01(null)\n", "\x01vfio-pci\n", "\x02flr bus\n", "\x03" + "0-3,8,10-11\n" })
            AddText("sysfs-attribute", text);

        AddText("proc-interrupts",
            "           CPU0       CPU1       \n" +
            "  0:         48          0   IO-APIC   2-edge      timer\n" +
            " 11:          3          1  IR-IO-APIC   11-fasteoi   vfio-intx(0000:00:11.0), ehci_hcd:usb1\n" +
            " 26:          5          6  IR-PCI-MSI 180224-edge      vfio-msi[0](0000:00:11.0)\n" +
            " 27:          0          9  PCI-MSIX-0000:00:10.0 0-edge      vfio-msix[0](0000:00:10.0)\n" +
            "NMI:          0          0   Non-maskable interrupts\n" +
            "ERR:          0\n");

        foreach (var (target, list) in seeds)
        {
            string dir = Path.Combine(root, target);
            Directory.CreateDirectory(dir);
            foreach (var bytes in list.DistinctBy(Convert.ToHexString))
                File.WriteAllBytes(Path.Combine(dir, Convert.ToHexString(SHA256.HashData(bytes))[..16].ToLowerInvariant()), bytes);
            Console.WriteLine($"{target}: {Directory.GetFiles(dir).Length} seed(s) in {dir}");
        }
    }
}
