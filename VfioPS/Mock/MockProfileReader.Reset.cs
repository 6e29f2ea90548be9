using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using VfioPS.Abi;
using VfioPS.Kernel;
using VfioPS.Operations;

namespace VfioPS.Mock;

public static partial class MockProfileReader
{
    /// <summary>The reset methods the kernel's pci_reset_fn_methods table names (drivers/pci/pci.c), as sysfs reset_method lists them.</summary>
    internal static readonly string[] KnownResetMethods = { "device_specific", "acpi", "flr", "af_flr", "pm", "bus", "cxl_bus" };

    private sealed partial class ProfileParser
    {
        /// <summary>The "reset" key: methods, iommuGroup, hotReset ({ errno } or { devices: [{ address, group }] }).</summary>
        private MockResetProfile Reset(JsonElement reset, string path, VfioDeviceFlags deviceFlags)
        {
            RequireObject(reset, path, "methods", "iommuGroup", "hotReset", "comment");
            string[]? methods = null;
            if (reset.TryGetProperty("methods", out var methodsElement))
            {
                if (methodsElement.ValueKind != JsonValueKind.Array) throw Invalid(path + ".methods", "must be an array of reset method names (empty when the device has none)");
                var list = new List<string>();
                int i = 0;
                foreach (var item in methodsElement.EnumerateArray())
                {
                    string itemPath = $"{path}.methods[{i++}]";
                    string method = String(item, itemPath);
                    if (!KnownResetMethods.Contains(method, StringComparer.Ordinal))
                        throw Invalid(itemPath, $"'{method}' is not a reset method the kernel names; known: {string.Join(", ", KnownResetMethods)}");
                    if (list.Contains(method, StringComparer.Ordinal)) throw Invalid(itemPath, $"repeats '{method}'");
                    list.Add(method);
                }
                methods = list.ToArray();
                if (methods.Length == 0 && (deviceFlags & VfioDeviceFlags.Reset) != 0)
                    throw Invalid(path + ".methods", "is empty, but $.device.flags has Reset: vfio-pci reports VFIO_DEVICE_FLAGS_RESET only when a reset method worked as the device was opened");
            }

            int? group = null;
            if (reset.TryGetProperty("iommuGroup", out var groupElement))
            {
                uint g = UInt(groupElement, path + ".iommuGroup");
                if (g > int.MaxValue) throw Invalid(path + ".iommuGroup", $"is {g}; IOMMU group numbers go up to {int.MaxValue}");
                group = (int)g;
            }

            Errno errno = Errno.ENODEV;
            var devices = Array.Empty<VfioPciDependentDevice>();
            if (reset.TryGetProperty("hotReset", out var hot))
            {
                string hotPath = path + ".hotReset";
                RequireObject(hot, hotPath, "errno", "devices", "comment");
                bool hasErrno = hot.TryGetProperty("errno", out var errnoElement), hasDevices = hot.TryGetProperty("devices", out var devicesElement);
                if (hasErrno == hasDevices)
                    throw Invalid(hotPath, "must have either errno (ENODEV: no slot or bus reset) or devices (what a slot or bus reset would also reset), not both or neither");
                if (hasErrno)
                {
                    errno = ErrnoValue(errnoElement, hotPath + ".errno");
                }
                else
                {
                    if (devicesElement.ValueKind != JsonValueKind.Array || devicesElement.GetArrayLength() == 0)
                        throw Invalid(hotPath + ".devices", "must be a non-empty array: the kernel always lists at least the device itself");
                    var list = new List<VfioPciDependentDevice>();
                    int i = 0;
                    foreach (var entry in devicesElement.EnumerateArray())
                    {
                        string entryPath = $"{hotPath}.devices[{i++}]";
                        RequireObject(entry, entryPath, "address", "group");
                        string address = String(Required(entry, entryPath, "address"), entryPath + ".address");
                        if (!PciAddress.TryNormalize(address, out string bdf))
                            throw Invalid(entryPath + ".address", $"'{address}' is not a PCI address (DDDD:BB:DD.F)");
                        uint entryGroup = UInt(Required(entry, entryPath, "group"), entryPath + ".group");
                        list.Add(new VfioPciDependentDevice(entryGroup,
                            ushort.Parse(bdf.AsSpan(0, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture),
                            byte.Parse(bdf.AsSpan(5, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture),
                            (byte)((byte.Parse(bdf.AsSpan(8, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture) << 3) | (bdf[11] - '0'))));
                    }
                    if (list.Select(d => d.Address).Distinct(StringComparer.Ordinal).Count() != list.Count)
                        throw Invalid(hotPath + ".devices", "names a device twice");
                    if (list.Count > (InfoQuery.MaxArgsz - VfioPciHotResetInfoCodec.HeaderSize) / VfioPciHotResetInfoCodec.DeviceSize)
                        throw Invalid(hotPath + ".devices", $"has {list.Count} entries; a mock answer is at most {InfoQuery.MaxArgsz} bytes");
                    errno = Errno.None;
                    devices = list.ToArray();
                }
            }
            return new MockResetProfile(methods, group, errno, devices);
        }
    }
}
