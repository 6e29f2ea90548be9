using System;
using System.Buffers.Binary;

namespace VfioPS.Abi;

/// <summary>
/// struct vfio_device_bind_iommufd {u32 argsz@0; u32 flags@4; s32 iommufd@8; u32 out_devid@12; u64 token_uuid_ptr@16}.
/// minsz is 16 (offsetofend(out_devid)); the 24-byte form with VFIO_DEVICE_BIND_FLAG_TOKEN carries a VF token
/// (kernels since 6.17).
/// </summary>
public static class VfioBindIommufdCodec
{
    public const int MinSize = 16;
    public const int Size = 24;
    public const uint FlagToken = 1u << 0;

    /// <summary>The request; with a token, <paramref name="tokenAddress"/> is where its 16 bytes (RFC 4122 order) are.</summary>
    public static byte[] Encode(int iommufd, ulong? tokenAddress)
    {
        var buffer = new byte[tokenAddress is null ? MinSize : Size];
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)buffer.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(4), tokenAddress is null ? 0 : FlagToken);
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(8), iommufd);
        if (tokenAddress is ulong address) BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(16), address);
        return buffer;
    }

    /// <summary>out_devid, the device's id in the iommufd.</summary>
    public static uint DecodeDevId(ReadOnlySpan<byte> buffer) => BinaryPrimitives.ReadUInt32LittleEndian(buffer.Slice(12));

    /// <summary>The token as the kernel's uuid_t: the 16 bytes in the order the text form shows them.</summary>
    public static byte[] TokenBytes(Guid token) => token.ToByteArray(bigEndian: true);
}
