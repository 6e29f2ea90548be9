using System;
using BenchmarkDotNet.Attributes;
using VfioPS.Channels;
using VfioPS.Mock;
using VfioPS.Operations;

namespace VfioPS.Benchmarks.Core;

/// <summary>
/// Opening and closing a mock device from a built-in profile, beside the bookkeeping every open has on the kernel
/// path too (GET_INFO through the read path, the device object, the registry), on an already open channel.
/// </summary>
[MemoryDiagnoser]
public class MockOpenBenchmarks
{
    private MockDeviceChannel _channel = null!;
    private int _n;

    [GlobalSetup]
    public void Setup() => _channel = new MockDeviceChannel(MockProfileReader.LoadBuiltIn("gvt-vgpu"));

    [GlobalCleanup]
    public void Cleanup() => _channel.Dispose();

    [Benchmark(Baseline = true, Description = "open bookkeeping: GET_INFO + VfioDevice + registry")]
    public void Bookkeeping()
    {
        string name = "bench:" + (++_n).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var info = DeviceInfoReader.Read(_channel, name);
        var device = new VfioDevice(name, null, new KeptOpenChannel(_channel), info);
        VfioDeviceRegistry.Register(device);
        device.Dispose();
    }

    [Benchmark(Description = "MockDevices.OpenBuiltIn(gvt-vgpu) + Dispose")]
    public void OpenMock() => MockDevices.OpenBuiltIn("gvt-vgpu").Dispose();

    /// <summary>The shared channel, which a device's Dispose must not close.</summary>
    private sealed class KeptOpenChannel : IVfioDeviceChannel
    {
        private readonly IVfioDeviceChannel _inner;
        public KeptOpenChannel(IVfioDeviceChannel inner) => _inner = inner;
        public string Kind => _inner.Kind;
        public IoctlResult Ioctl(uint request, Span<byte> argument) => _inner.Ioctl(request, argument);
        public void Dispose() { }
    }
}
