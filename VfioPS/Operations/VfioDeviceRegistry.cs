using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;

namespace VfioPS;

/// <summary>
/// Open devices by name, process-wide, so output objects can carry the device as a plain string that survives
/// JSON and remoting and still binds by property name. Mock names are numbered per profile: mock:gvt-vgpu/1, /2, ...
/// </summary>
public static class VfioDeviceRegistry
{
    private static readonly ConcurrentDictionary<string, VfioDevice> s_devices = new(StringComparer.OrdinalIgnoreCase);
    private static readonly ConcurrentDictionary<string, int> s_mockCounters = new(StringComparer.OrdinalIgnoreCase);

    public const string MockPrefix = "mock:";

    /// <summary>Reserves the next free name for a mock device of <paramref name="profileName"/>.</summary>
    internal static string NextMockName(string profileName)
    {
        while (true)
        {
            int n = s_mockCounters.AddOrUpdate(profileName, 1, (_, last) => last + 1);
            string name = $"{MockPrefix}{profileName}/{n}";
            if (!s_devices.ContainsKey(name)) return name;
        }
    }

    internal static void Register(VfioDevice device)
    {
        if (!s_devices.TryAdd(device.Name, device))
            throw new VfioException("VfioDeviceAlreadyOpen", VfioErrorKind.ResourceBusy,
                $"A device named '{device.Name}' is already open in this process.", device.Name);
    }

    internal static void Unregister(VfioDevice device)
        => ((ICollection<KeyValuePair<string, VfioDevice>>)s_devices).Remove(new KeyValuePair<string, VfioDevice>(device.Name, device));

    public static bool TryGet(string name, out VfioDevice device)
    {
        if (name is not null && s_devices.TryGetValue(name.Trim(), out var found)) { device = found; return true; }
        device = null!;
        return false;
    }

    /// <summary>The open devices, ordered by name.</summary>
    public static IReadOnlyList<VfioDevice> OpenDevices
        => s_devices.Values.OrderBy(d => d.Name, StringComparer.OrdinalIgnoreCase).ToArray();
}
