using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Kernel;
using VfioPS.Mock;
using VfioPS.Native;
using VfioPS.Operations;

namespace VfioPS.KernelLane;

/// <summary>
/// Region I/O kernel vs mock: pread/pwrite at the channel seam on a freshly opened kernel device and a fresh mock of
/// its profile, same offsets, same bytes; the result (bytes moved or errno) and the bytes read must be identical.
/// Config space: every dword of the whole space, every header dword written with all ones and with zeros and put back,
/// the capability registers the module decodes; errnos: past config space, past a BAR, size-0 BARs, ROM writes, VGA,
/// indexes past num_regions, zero-length; BAR contents where the mock models them (edu's BAR0, the MSI-X table).
/// Then the module's own readers on both: Get-VfioPciConfig's decode and Read-VfioRegion's typed value.
/// </summary>
public static partial class Program
{
    private static long RegionAt(uint index, long offset = 0) => ((long)index << 40) + offset;

    // The profiles' config bytes were read from the first device of each kind; a second edu gets other BAR addresses
    // (and a multi-function header when it shares a slot), which no profile can know in advance.
    private static readonly HashSet<string> s_regionProfilesDone = new();

    private static void RegionIo(string bdf, VfioDevice kernelDevice, string profile)
    {
        if (!s_regionProfilesDone.Add(profile))
        {
            s_rows.Add($"{"not compared: region I/O on a second " + profile,-58} {bdf,-12} {"-",-14} {"-",-14} BAR addresses and the header type differ per slot; the profile holds the first {profile}'s");
            return;
        }
        // Run right after the device was opened (only INFO ioctls before), so config space is as open left it, like
        // the mock's fresh copy of its profile.
        using var mockDevice = MockDevices.OpenBuiltIn(profile, s_kernel);
        IVfioDeviceChannel kernel = kernelDevice.OpenChannel, mock = mockDevice.OpenChannel;
        int configSize = (int)RegionInfoReader.Read(kernelDevice, 7).Info.Size;

        void Row(string name, RegionIoResult k, RegionIoResult m, byte[]? kb, byte[]? mb, bool compareBytes = true)
        {
            bool bytesEqual = !compareBytes || kb is null || mb is null || (k.IsError && m.IsError) || kb.AsSpan(0, (int)Math.Max(0, k.Transferred)).SequenceEqual(mb.AsSpan(0, (int)Math.Max(0, m.Transferred)));
            string bytes = kb is null ? "-" : !compareBytes ? "not compared" : bytesEqual ? (k.IsError ? "-" : "same " + Convert.ToHexString(kb.AsSpan(0, (int)Math.Min(k.Transferred, 8))).ToLowerInvariant()) : "DIFFER " + Convert.ToHexString(kb) + " / " + Convert.ToHexString(mb!);
            s_rows.Add($"{Truncate(name, 58),-58} {bdf,-12} {k,-14} {m,-14} {bytes}");
            Check(bdf, "region I/O: " + name, k == m && bytesEqual, $"kernel {k}, mock {m}, {bytes}");
        }
        void ReadRow(string name, long offset, int count, bool compareBytes = true)
        {
            byte[] kb = new byte[count], mb = new byte[count];
            Row(name, kernel.Read(kb, offset), mock.Read(mb, offset), kb, mb, compareBytes);
        }
        void WriteRow(string name, long offset, byte[] data)
            => Row(name, kernel.Write(data, offset), mock.Write(data, offset), null, null);
        byte[] KernelBytes(long offset, int count)
        {
            var b = new byte[count];
            kernel.Read(b, offset);
            return b;
        }
        // Writes the same bytes on both sides, reads the register back on both, puts the kernel's old value back on both.
        void WriteBack(string name, int offset, byte[] data)
        {
            byte[] before = KernelBytes(RegionAt(7, offset), data.Length);
            WriteRow($"config write {name} @0x{offset:x2} {Convert.ToHexString(data).ToLowerInvariant()}", RegionAt(7, offset), data);
            ReadRow($"config read back {name} @0x{offset:x2}", RegionAt(7, offset), data.Length);
            kernel.Write(before, RegionAt(7, offset));
            mock.Write(before, RegionAt(7, offset));
        }

        // Config space as read, whole and dword by dword.
        ReadRow($"config read all {configSize} bytes", RegionAt(7), configSize);
        for (int at = 0; at < configSize; at += 4) ReadRow($"config read dword 0x{at:x3}", RegionAt(7, at), 4);
        for (int at = 0; at < 0x40; at++) ReadRow($"config read byte 0x{at:x2}", RegionAt(7, at), 1);
        ReadRow("config read 3 bytes at 0x01", RegionAt(7, 1), 3);

        // Errnos and sizes.
        ReadRow("config read 4 at its size", RegionAt(7, configSize), 4);
        ReadRow("config read 4 at size-2", RegionAt(7, configSize - 2), 4);
        ReadRow("config read 8 at size-4", RegionAt(7, configSize - 4), 8);
        ReadRow("config read 4 at 1<<39", RegionAt(7, 1L << 39), 4);
        WriteRow("config write 4 at its size", RegionAt(7, configSize), new byte[4]);
        ReadRow("read 0 bytes at index 200", RegionAt(200), 0);
        WriteRow("write 0 bytes to the ROM", RegionAt(6), Array.Empty<byte>());
        foreach (uint index in new uint[] { 9, 10, 255 })
        {
            ReadRow($"read index {index} (past num_regions)", RegionAt(index), 4);
            WriteRow($"write index {index} (past num_regions)", RegionAt(index), new byte[4]);
        }
        ReadRow("read VGA (index 8)", RegionAt(8), 4);
        WriteRow("write VGA (index 8)", RegionAt(8), new byte[4]);
        for (uint index = 0; index <= 6; index++)
        {
            var info = RegionInfoReader.Read(kernelDevice, index).Info;
            string name = info.Name;
            if (info.Size == 0)
            {
                ReadRow($"read {name} (size 0)", RegionAt(index), 4);
                if (index < 6) WriteRow($"write {name} (size 0)", RegionAt(index), new byte[4]);
                continue;
            }
            long size = (long)info.Size;
            ReadRow($"read {name} 4 at its size", RegionAt(index, size), 4);
            ReadRow($"read {name} 8 at size-4 (short)", RegionAt(index, size - 4), 8, compareBytes: false);
            ReadRow($"read {name} 4 at size-1 (short)", RegionAt(index, size - 1), 4, compareBytes: false);
            ReadRow($"read {name} 4 at 1<<39", RegionAt(index, 1L << 39), 4);
            if (index == 6)
            {
                WriteRow("write ROM 4 at 0", RegionAt(6), new byte[4]);
                continue;
            }
            WriteRow($"write {name} 4 at its size", RegionAt(index, size), new byte[4]);
        }

        // Config writes: every header dword with all ones and with zeros, read back, put back.
        for (int at = 0; at < 0x40; at += 4)
        {
            WriteBack("ones", at, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF });
            WriteBack("zeros", at, new byte[4]);
        }
        WriteBack("command word 0x0400", 4, new byte[] { 0x00, 0x04 });
        WriteBack("interrupt line", 0x3C, new byte[] { 0x55 });
        // The capability registers the module decodes (never PM state bits or PCIe FLR: those act on the device).
        var config = PciConfigDecoder.Decode(bdf, KernelBytes(RegionAt(7), configSize));
        if (config.Msi is { } msi)
        {
            WriteBack("MSI control enable", msi.Offset + 2, new byte[] { (byte)(msi.Control | 1) });
            WriteBack("MSI control qsize", msi.Offset + 2, new byte[] { (byte)(msi.Control | 0x70) });
            WriteBack("MSI address", msi.Offset + 4, new byte[] { 0x00, 0x10, 0xE0, 0xFE });
        }
        if (config.MsiX is { } msix)
        {
            WriteBack("MSI-X control enable|mask", msix.Offset + 2, BitConverter.GetBytes((ushort)(msix.Control | 0xC000)));
            WriteBack("MSI-X table register", msix.Offset + 4, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF });
        }
        if (config.Express is { } pcie) WriteBack("PCIe device control (no FLR)", pcie.Offset + 8, new byte[] { 0xFF, 0x7F });
        if (config.Aer is { } aer)
        {
            WriteBack("AER uncorrectable mask", aer.Offset + 8, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF });
            WriteBack("AER capabilities and control", aer.Offset + 0x18, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF });
        }
        ReadRow("config read all after the writes were put back", RegionAt(7), configSize);

        // BAR contents where the mock models them.
        if (profile == "edu")
        {
            ReadRow("edu BAR0 0x00 identification", RegionAt(0), 4);
            WriteRow("edu BAR0 0x04 liveness write 0x12345678", RegionAt(0, 4), BitConverter.GetBytes(0x12345678u));
            ReadRow("edu BAR0 0x04 liveness read (inverse)", RegionAt(0, 4), 4);
            WriteRow("edu BAR0 0x04 2-byte write (refused by edu)", RegionAt(0, 4), new byte[] { 0xEF, 0xBE });
            ReadRow("edu BAR0 0x04 after the 2-byte write", RegionAt(0, 4), 4);
            ReadRow("edu BAR0 8 bytes at 0 (two 4-byte accesses)", RegionAt(0), 8);
            ReadRow("edu BAR0 2 bytes at 0 (refused: 0)", RegionAt(0), 2);
            ReadRow("edu BAR0 4 bytes at 1 (split, refused: 0)", RegionAt(0, 1), 4);
            WriteRow("edu BAR0 0x08 factorial of 5", RegionAt(0, 8), BitConverter.GetBytes(5u));
            System.Threading.Thread.Sleep(50);
            ReadRow("edu BAR0 0x20 status (done)", RegionAt(0, 0x20), 4);
            ReadRow("edu BAR0 0x08 factorial result", RegionAt(0, 8), 4);
            ReadRow("edu BAR0 0x80 DMA source", RegionAt(0, 0x80), 4);
            ReadRow("edu BAR0 0x100 unassigned (all ones)", RegionAt(0, 0x100), 4);
            ReadRow("edu BAR0 last dword", RegionAt(0, 0xFFFFC), 4);
            byte[] command = KernelBytes(RegionAt(7, 4), 2);
            byte[] off = { (byte)(command[0] & ~0x2), command[1] };
            WriteRow("config command: memory decoding off", RegionAt(7, 4), off);
            ReadRow("edu BAR0 read with memory decoding off", RegionAt(0), 4);
            WriteRow("edu BAR0 write with memory decoding off", RegionAt(0, 4), new byte[4]);
            WriteRow("config command: memory decoding back on", RegionAt(7, 4), command);
            ReadRow("edu BAR0 read with memory decoding on again", RegionAt(0), 4);

            // edu raising MSI through BAR0 (0x60 raise, 0x64 acknowledge): nothing while bus mastering is off.
            using var kernelFd = FileDescriptors.CreateEventFd();
            using var mockFd = FileDescriptors.CreateEventFd();
            kernel.Ioctl(VfioIoctl.DeviceSetIrqs, VfioIrqSetCodec.EncodeEventFds(VfioIrqSetFlags.ActionTrigger, 1, 0, new[] { kernelFd.Fd }));
            mock.Ioctl(VfioIoctl.DeviceSetIrqs, VfioIrqSetCodec.EncodeEventFds(VfioIrqSetFlags.ActionTrigger, 1, 0, new[] { mockFd.Fd }));
            // One raise at a time, each waited for before the acknowledge: MSIs sent back to back can merge into one
            // interrupt in the CPU (an edge that arrives while the same vector is still pending), which the lane saw
            // under TCG (2 signals for 3 raises).
            ulong WaitFor(SafeFileDescriptorHandle fd, bool expectSignal)
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                ulong total = 0;
                do
                {
                    total += FileDescriptors.ReadCounter(fd);
                    if (total > 0) break;
                    System.Threading.Thread.Sleep(20);
                }
                while (clock.Elapsed < TimeSpan.FromSeconds(expectSignal ? 5 : 0.5));
                return total;
            }
            void Raises(string name, int times, bool expectSignal)
            {
                ulong k = 0, m = 0;
                for (int i = 0; i < times; i++)
                {
                    kernel.Write(BitConverter.GetBytes(1u), RegionAt(0, 0x60));
                    k += WaitFor(kernelFd, expectSignal);
                    kernel.Write(BitConverter.GetBytes(1u), RegionAt(0, 0x64));
                    mock.Write(BitConverter.GetBytes(1u), RegionAt(0, 0x60));
                    m += WaitFor(mockFd, expectSignal);
                    mock.Write(BitConverter.GetBytes(1u), RegionAt(0, 0x64));
                }
                s_rows.Add($"{Truncate(name, 58),-58} {bdf,-12} {"signals " + k,-14} {"signals " + m,-14} -");
                Check(bdf, "region I/O: " + name, k == m, $"kernel {k} signals, mock {m}");
            }
            Raises("edu MSI raised 3 times via BAR0, bus mastering off", 3, expectSignal: false);
            byte[] master = { (byte)(command[0] | 0x4), command[1] };
            WriteRow("config command: bus mastering on", RegionAt(7, 4), master);
            Raises("edu MSI raised 3 times via BAR0, bus mastering on", 3, expectSignal: true);
            kernel.Ioctl(VfioIoctl.DeviceSetIrqs, VfioIrqSetCodec.EncodeNone(VfioIrqSetFlags.ActionTrigger, 1, 0, 0));
            mock.Ioctl(VfioIoctl.DeviceSetIrqs, VfioIrqSetCodec.EncodeNone(VfioIrqSetFlags.ActionTrigger, 1, 0, 0));
            WriteRow("config command: put back", RegionAt(7, 4), command);
        }
        if (config.MsiX is { } table && RegionInfoReader.Read(kernelDevice, (uint)table.TableBir).Info.Size > 0)
        {
            uint bir = (uint)table.TableBir;
            ReadRow($"MSI-X table in BAR{bir}: first entry (all ones)", RegionAt(bir, table.TableOffset), 16);
            WriteRow($"MSI-X table in BAR{bir}: write dropped", RegionAt(bir, table.TableOffset), new byte[] { 0, 0, 0, 0 });
            ReadRow($"MSI-X table in BAR{bir}: first entry after the write", RegionAt(bir, table.TableOffset), 16);
            ReadRow($"MSI-X table in BAR{bir}: last entry", RegionAt(bir, table.TableOffset + (table.TableSize - 1) * 16), 16);
        }

        // The module's readers on both sides.
        var k = PciConfigAccess.Read(kernelDevice);
        var m = PciConfigAccess.Read(mockDevice);
        string Summary(VfioPciConfig c) => $"{c.VendorId:x4}:{c.DeviceId:x4} {c.CapabilitySummary} msix={c.MsiX?.TableSize}/bir{c.MsiX?.TableBir} msi64={c.Msi?.Is64Bit}";
        s_rows.Add($"{"Get-VfioPciConfig decode",-58} {bdf,-12} {"-",-14} {"-",-14} {(Summary(k) == Summary(m) ? "same " + Summary(k) : "DIFFER " + Summary(k) + " / " + Summary(m))}");
        Check(bdf, "Get-VfioPciConfig decodes the same on kernel and mock", Summary(k) == Summary(m) && k.Bytes.SequenceEqual(m.Bytes), Summary(k) + " / " + Summary(m));
        Console.WriteLine($"  config {Summary(k)}");
        if (profile == "edu")
        {
            ulong? kid = RegionAccess.Read(kernelDevice, 0, 0, 4, 4).Value, mid = RegionAccess.Read(mockDevice, 0, 0, 4, 4).Value;
            Check(bdf, "Read-VfioRegion BAR0 0x00 is 0x010000ed on both", kid == 0x010000ED && mid == kid, $"kernel 0x{kid:x}, mock 0x{mid:x}");
        }
    }
}
