using VfioPS.Operations;

namespace VfioPS.Mock;

/// <summary>Opens loopback mock devices and registers them under their mock:PROFILE/N names.</summary>
public static class MockDevices
{
    public static VfioDevice Open(MockDeviceProfile profile) => Open(profile, null);

    /// <summary>
    /// Opens a mock device whose channel is first wrapped by <paramref name="wrap"/> (a test aid such as the
    /// fault-injecting channel), below the EINTR restart every device has.
    /// </summary>
    internal static VfioDevice Open(MockDeviceProfile profile, System.Func<Channels.IVfioDeviceChannel, Channels.IVfioDeviceChannel>? wrap)
    {
        var mock = new MockDeviceChannel(profile);
        var channel = new Channels.RestartingChannel(wrap is null ? mock : wrap(mock));
        string name = VfioDeviceRegistry.NextMockName(profile.Name);
        try
        {
            // The same GET_INFO path a kernel device goes through.
            var info = DeviceInfoReader.ReadWithCapabilities(channel, name);
            var device = new VfioDevice(name, profile.Name, channel, info.Data, info.Capabilities, info.Fault) { IommuGroup = profile.Reset.IommuGroup };
            VfioDeviceRegistry.Register(device);
            return device;
        }
        catch
        {
            channel.Dispose();
            throw;
        }
    }

    public static VfioDevice OpenBuiltIn(string profileName) => Open(MockProfileReader.LoadBuiltIn(profileName));

    /// <summary>The built-in readings of a device on a kernel series (see <see cref="MockProfileReader.LoadBuiltIn(string, string?)"/>).</summary>
    public static VfioDevice OpenBuiltIn(string profileName, string? kernel) => Open(MockProfileReader.LoadBuiltIn(profileName, kernel));

    public static VfioDevice OpenFile(string path) => Open(MockProfileReader.LoadFile(path));
}
