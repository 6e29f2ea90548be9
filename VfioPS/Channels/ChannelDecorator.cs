namespace VfioPS.Channels;

/// <summary>
/// A channel that wraps another and passes calls on to it (the EINTR restart, the test aid that injects faults), so
/// code that needs the device behind it (the mock's profile, the kernel fd's kind) can still find it.
/// </summary>
internal interface IChannelDecorator
{
    IVfioDeviceChannel Inner { get; }
}

internal static class ChannelDecorators
{
    /// <summary>The first channel of type <typeparamref name="T"/> in the chain that starts at <paramref name="channel"/>, or null.</summary>
    public static T? Find<T>(IVfioDeviceChannel channel) where T : class, IVfioDeviceChannel
    {
        for (IVfioDeviceChannel? current = channel; current is not null; current = (current as IChannelDecorator)?.Inner)
            if (current is T found) return found;
        return null;
    }
}
