using System;
using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using VfioPS;
using VfioPS.Abi;
using VfioPS.Mock;
using VfioPS.Operations;

namespace VfioPS.Benchmarks.Core;

/// <summary>
/// The read path's cost per IRQ index: the raw mock ioctl, a full read of a fixed index (one ioctl) and of the
/// device-specific display IRQ (two ioctls: argsz negotiation, then the chain walk), and a long chain walk.
/// </summary>
[MemoryDiagnoser]
public class ReadPathBenchmarks
{
    private VfioDevice _gvt = null!;
    private VfioDevice[] _thousand = null!;
    private MockDeviceChannel _channel = null!;
    private readonly byte[] _irqInfo = new byte[VfioIrqInfoCodec.ExtendedSize];
    private byte[] _longChain = null!;

    [GlobalSetup]
    public void Setup()
    {
        _gvt = MockDevices.OpenBuiltIn("gvt-vgpu");
        _thousand = new VfioDevice[1000];
        for (int i = 0; i < _thousand.Length; i++) _thousand[i] = MockDevices.OpenBuiltIn("gvt-vgpu");
        _channel = new MockDeviceChannel(MockProfileReader.LoadBuiltIn("e1000e"));
        // 64 well-formed 16-byte capabilities from offset 24, each pointing at the next.
        const int count = 64;
        _longChain = new byte[24 + count * 16];
        for (int i = 0; i < count; i++)
        {
            int offset = 24 + i * 16;
            uint next = i + 1 < count ? (uint)(offset + 16) : 0;
            VfioCapabilityCodec.EncodeIrqCapType(_longChain.AsSpan(offset), new VfioIrqCapTypeData(new VfioCapabilityHeader(3, 1, next), 1, 1));
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _gvt.Dispose();
        foreach (var device in _thousand) device.Dispose();
        _channel.Dispose();
    }

    [Benchmark(Description = "mock GET_IRQ_INFO ioctl (raw bytes)")]
    public int MockIoctl()
    {
        VfioIrqInfoCodec.EncodeRequest(_irqInfo, VfioIrqInfoCodec.ExtendedSize, 2);
        _channel.Ioctl(VfioIoctl.DeviceGetIrqInfo, _irqInfo);
        return BinaryPrimitives.ReadInt32LittleEndian(_irqInfo.AsSpan(VfioIrqInfoCodec.CountOffset));
    }

    [Benchmark(Description = "IrqInfoReader.Read, fixed index (INTx)")]
    public VfioIrqInfo ReadFixedIndex() => IrqInfoReader.Read(_gvt, 0).Info;

    [Benchmark(Description = "IrqInfoReader.Read, display IRQ (negotiation + chain)")]
    public VfioIrqInfo ReadDeviceSpecificIndex() => IrqInfoReader.Read(_gvt, 5).Info;

    [Benchmark(OperationsPerInvoke = 6, Description = "IrqInfoReader.Read, every index of one gvt-vgpu (per object)")]
    public int ReadEveryIndex()
    {
        int n = 0;
        for (uint index = 0; index < 6; index++) n += (int)IrqInfoReader.Read(_gvt, index).Info.Count;
        return n;
    }

    [Benchmark(OperationsPerInvoke = 6000, Description = "IrqInfoReader.Read, every index of 1000 gvt-vgpu (per object)")]
    public int ReadThousandDevices()
    {
        // What Get-VfioIrqInfo -Device over 1000 mocks does below the cmdlet: 1000 devices' state in the caches, not one.
        int n = 0;
        foreach (var device in _thousand)
            for (uint index = 0; index < 6; index++) n += (int)IrqInfoReader.Read(device, index).Info.Count;
        return n;
    }

    [Benchmark(Description = "CapabilityChainReader.Walk, 64 capabilities")]
    public int WalkLongChain() => CapabilityChainReader.Walk(_longChain, 24, VfioIrqInfoCodec.ExtendedSize, CapabilityChainReader.IrqCapabilitySize).Capabilities.Count;
}
