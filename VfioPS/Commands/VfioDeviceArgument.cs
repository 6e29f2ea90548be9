using System;
using VfioPS.Mock;

namespace VfioPS.Commands;

/// <summary>
/// What -Device accepts: an open device object, or its name as a string (a mock name such as mock:gvt-vgpu/1,
/// which is what output objects carry in their Device property). PowerShell converts either through the
/// constructors; resolution waits until the cmdlet runs so that an unknown name is a clear, per-item error.
/// </summary>
public sealed class VfioDeviceArgument
{
    private readonly VfioDevice? _device;
    private readonly string _name;

    public VfioDeviceArgument(VfioDevice device)
    {
        _device = device ?? throw new ArgumentNullException(nameof(device));
        _name = device.Name;
    }

    public VfioDeviceArgument(string name) => _name = name ?? string.Empty;

    /// <summary>A device from Get-VfioDevice: its PCI address.</summary>
    public VfioDeviceArgument(VfioPciDevice device) => _name = (device ?? throw new ArgumentNullException(nameof(device))).Address;

    /// <summary>A mediated device from Get-VfioMdev: its UUID.</summary>
    public VfioDeviceArgument(VfioMdev device) => _name = (device ?? throw new ArgumentNullException(nameof(device))).Uuid;

    public string Name => _name;

    /// <summary>
    /// The open device this argument names. With <paramref name="openAddress"/>, a PCI address that is not open is
    /// opened for the call (<paramref name="temporary"/> is then true and the caller disposes it afterwards).
    /// </summary>
    internal VfioDevice Resolve(bool openAddress, out bool temporary)
    {
        temporary = false;
        if (_device is not null) return _device.IsOpen ? _device : throw Closed(_device.Name);
        if (VfioDeviceRegistry.TryGet(_name, out var device)) return device;
        if (Kernel.PciAddress.TryNormalize(_name, out string bdf))
        {
            if (VfioDeviceRegistry.TryGet(bdf, out device)) return device;
            if (openAddress)
            {
                temporary = true;
                return Kernel.KernelDevices.Open(bdf);
            }
        }
        if (Kernel.MdevUuid.TryNormalize(_name, out string uuid))
        {
            if (VfioDeviceRegistry.TryGet(uuid, out device)) return device;
            if (openAddress)
            {
                temporary = true;
                return Kernel.KernelDevices.Open(uuid);
            }
            throw new VfioException("VfioDeviceNotFound", VfioErrorKind.ObjectNotFound,
                $"'{_name}' is a mediated device's UUID, not an open device. Open it with Open-VfioDevice and keep the object (Close-VfioDevice or Dispose() releases it).",
                _name);
        }
        if (_name.StartsWith(VfioDeviceRegistry.MockPrefix, StringComparison.OrdinalIgnoreCase))
            throw new VfioException("VfioDeviceNotFound", VfioErrorKind.ObjectNotFound,
                $"No open mock device is named '{_name}'. Mock devices exist while their object is open in this process: create one with New-VfioMockDevice -Profile <name> (built-in: {string.Join(", ", MockProfileReader.BuiltInNames)}).",
                _name);
        if (System.Text.RegularExpressions.Regex.IsMatch(_name, @"^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$"))
            throw new VfioException("VfioDeviceNotFound", VfioErrorKind.ObjectNotFound,
                $"'{_name}' is a PCI address, not an open device. VfioPS works on open devices: closing a VFIO device fd disables its IRQs and resets the function, so a call that opened and closed it would undo itself. Open the device once, keep the object and pass it (or its Name). Open it with Open-VfioDevice and keep the object (Close-VfioDevice or Dispose() releases it).",
                _name);
        throw new VfioException("VfioDeviceNotFound", VfioErrorKind.ObjectNotFound,
            $"No open VFIO device is named '{_name}'. Pass a device object, or the name of one that is open (for example mock:gvt-vgpu/1 from New-VfioMockDevice).",
            _name);
    }

    private static VfioException Closed(string name)
        => new("VfioDeviceClosed", VfioErrorKind.InvalidOperation, $"The device '{name}' has been closed (disposed); open it again to use it.", name);

    public override string ToString() => _name;
}
