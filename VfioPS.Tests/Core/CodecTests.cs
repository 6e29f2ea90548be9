using System;
using VfioPS.Abi;
using Xunit;

namespace VfioPS.Core.Tests;

/// <summary>
/// The ABI codecs against vfio-abi.md §1.1/§1.2. Expected bytes are written out by hand (little-endian, with
/// distinct bytes in every position) so a swapped offset or a big-endian write shows up as a wrong byte.
/// </summary>
public class CodecTests
{
    // ---- vfio_device_info: argsz@0 flags@4 num_regions@8 num_irqs@12 cap_offset@16 pad@20; 24 bytes (20 / 16 forms) ----

    [Fact]
    public void DeviceInfo_Constants_MatchTheMainlineLayout()
    {
        Assert.Equal(0, VfioDeviceInfoCodec.ArgszOffset);
        Assert.Equal(4, VfioDeviceInfoCodec.FlagsOffset);
        Assert.Equal(8, VfioDeviceInfoCodec.NumRegionsOffset);
        Assert.Equal(12, VfioDeviceInfoCodec.NumIrqsOffset);
        Assert.Equal(16, VfioDeviceInfoCodec.CapOffsetOffset);
        Assert.Equal(20, VfioDeviceInfoCodec.PadOffset);
        Assert.Equal(16, VfioDeviceInfoCodec.MinSize);
        Assert.Equal(20, VfioDeviceInfoCodec.SizeWithCapOffset);
        Assert.Equal(24, VfioDeviceInfoCodec.Size);
    }

    [Fact]
    public void DeviceInfo_Decode_24Bytes_ReadsEveryFieldLittleEndian()
    {
        byte[] wire = Bytes.Hex(
            "18 00 00 00" +   // argsz 24
            "83 00 00 00" +   // flags RESET|PCI|CAPS
            "0D 0C 0B 0A" +   // num_regions 0x0A0B0C0D
            "05 00 00 00" +   // num_irqs 5
            "18 00 00 00" +   // cap_offset 24
            "00 00 00 00");   // pad
        var info = VfioDeviceInfoCodec.Decode(wire);
        Assert.Equal(24u, info.Argsz);
        Assert.Equal(VfioDeviceFlags.Reset | VfioDeviceFlags.Pci | VfioDeviceFlags.Caps, info.Flags);
        Assert.Equal(0x0A0B0C0Du, info.NumRegions);
        Assert.Equal(5u, info.NumIrqs);
        Assert.Equal(24u, info.CapOffset);
    }

    [Fact]
    public void DeviceInfo_Decode_16Bytes_HasNoCapOffset()
    {
        // The kernel's minsz form: a caller that passed argsz 16 gets no cap_offset.
        byte[] wire = Bytes.Hex("10 00 00 00 02 00 00 00 09 00 00 00 05 00 00 00");
        var info = VfioDeviceInfoCodec.Decode(wire);
        Assert.Null(info.CapOffset);
        Assert.Equal(16u, info.Argsz);
        Assert.Equal(VfioDeviceFlags.Pci, info.Flags);
        Assert.Equal(9u, info.NumRegions);
        Assert.Equal(5u, info.NumIrqs);
    }

    [Fact]
    public void DeviceInfo_Decode_20Bytes_ReadsCapOffsetAt16()
    {
        byte[] wire = Bytes.Hex("14 00 00 00 80 00 00 00 09 00 00 00 05 00 00 00 04 03 02 01");
        Assert.Equal(0x01020304u, VfioDeviceInfoCodec.Decode(wire).CapOffset);
    }

    [Fact]
    public void DeviceInfo_Decode_ShorterThan16_Throws()
        => Assert.Throws<ArgumentException>(() => VfioDeviceInfoCodec.Decode(new byte[15]));

    [Fact]
    public void DeviceInfo_Encode_Into16Bytes_WritesNothingPast16()
    {
        byte[] buffer = Bytes.Poisoned(32);
        VfioDeviceInfoCodec.Encode(buffer.AsSpan(0, 16), new VfioDeviceInfoData(16, VfioDeviceFlags.Reset | VfioDeviceFlags.Pci, 9, 5, 0x11223344));
        Assert.Equal(Bytes.Hex("10 00 00 00 03 00 00 00 09 00 00 00 05 00 00 00"), buffer[..16]);
        Assert.True(Bytes.UntouchedFrom(buffer, 16), $"byte {Bytes.FirstTouched(buffer, 16)} was written");
    }

    [Fact]
    public void DeviceInfo_Encode_Into20Bytes_WritesCapOffsetButNotPad()
    {
        byte[] buffer = Bytes.Poisoned(32);
        VfioDeviceInfoCodec.Encode(buffer.AsSpan(0, 20), new VfioDeviceInfoData(20, VfioDeviceFlags.Pci, 9, 5, 0x11223344));
        Assert.Equal(Bytes.Hex("14 00 00 00 02 00 00 00 09 00 00 00 05 00 00 00 44 33 22 11"), buffer[..20]);
        Assert.True(Bytes.UntouchedFrom(buffer, 20), $"byte {Bytes.FirstTouched(buffer, 20)} was written");
    }

    [Fact]
    public void DeviceInfo_Encode_Into24Bytes_WritesPadZero()
    {
        byte[] buffer = Bytes.Poisoned(32);
        VfioDeviceInfoCodec.Encode(buffer.AsSpan(0, 24), new VfioDeviceInfoData(24, VfioDeviceFlags.Pci, 9, 5, null));
        // A null CapOffset is written as 0 in the 20+ byte forms.
        Assert.Equal(Bytes.Hex("18 00 00 00 02 00 00 00 09 00 00 00 05 00 00 00 00 00 00 00 00 00 00 00"), buffer[..24]);
        Assert.True(Bytes.UntouchedFrom(buffer, 24));
    }

    [Fact]
    public void DeviceInfo_EncodeRequest_ZeroesAndWritesArgsz()
    {
        byte[] buffer = Bytes.Poisoned(24);
        VfioDeviceInfoCodec.EncodeRequest(buffer, 24);
        Assert.Equal(Bytes.Hex("18 00 00 00 00000000 00000000 00000000 00000000 00000000"), buffer);
    }

    // ---- vfio_irq_info: argsz@0 flags@4 index@8 count@12 (16 bytes), cap_offset appended @16 (20 bytes) ----

    [Fact]
    public void IrqInfo_Constants_MatchTheLayout()
    {
        Assert.Equal(0, VfioIrqInfoCodec.ArgszOffset);
        Assert.Equal(4, VfioIrqInfoCodec.FlagsOffset);
        Assert.Equal(8, VfioIrqInfoCodec.IndexOffset);
        Assert.Equal(12, VfioIrqInfoCodec.CountOffset);
        Assert.Equal(16, VfioIrqInfoCodec.CapOffsetOffset);
        Assert.Equal(16, VfioIrqInfoCodec.MainlineSize);
        Assert.Equal(20, VfioIrqInfoCodec.ExtendedSize);
    }

    [Fact]
    public void IrqInfo_Decode_16ByteMainlineForm_HasNoCapOffset()
    {
        byte[] wire = Bytes.Hex(
            "10 00 00 00" +   // argsz 16
            "09 00 00 00" +   // EVENTFD|NORESIZE
            "02 00 00 00" +   // index MSI-X
            "05 04 03 02");   // count 0x02030405
        var info = VfioIrqInfoCodec.Decode(wire);
        Assert.Equal(16u, info.Argsz);
        Assert.Equal(VfioIrqFlags.EventFd | VfioIrqFlags.NoResize, info.Flags);
        Assert.Equal(2u, info.Index);
        Assert.Equal(0x02030405u, info.Count);
        Assert.Null(info.CapOffset);
    }

    [Fact]
    public void IrqInfo_Decode_20ByteForm_ReadsCapOffsetAt16_CountStaysAt12()
    {
        // The appended layout keeps count at 12 (the RFC v3 layout with cap_offset at 12 broke that).
        byte[] wire = Bytes.Hex("14 00 00 00 11 00 00 00 05 00 00 00 01 00 00 00 18 00 00 00");
        var info = VfioIrqInfoCodec.Decode(wire);
        Assert.Equal(1u, info.Count);
        Assert.Equal(24u, info.CapOffset);
        Assert.Equal(VfioIrqFlags.EventFd | VfioIrqFlags.Caps, info.Flags);
    }

    [Fact]
    public void IrqInfo_Encode_WritesTheFieldsAtTheirOffsets()
    {
        byte[] buffer = Bytes.Poisoned(24);
        VfioIrqInfoCodec.Encode(buffer.AsSpan(0, 20), new VfioIrqInfoData(0x28, VfioIrqFlags.EventFd | VfioIrqFlags.Caps, 5, 0x01020304, 0x18));
        Assert.Equal(Bytes.Hex("28 00 00 00 11 00 00 00 05 00 00 00 04 03 02 01 18 00 00 00"), buffer[..20]);
        Assert.True(Bytes.UntouchedFrom(buffer, 20));
    }

    [Fact]
    public void IrqInfo_Encode_WithoutCapOffset_LeavesTheWordAt16Alone()
    {
        byte[] buffer = Bytes.Poisoned(24);
        VfioIrqInfoCodec.Encode(buffer, new VfioIrqInfoData(16, VfioIrqFlags.EventFd, 0, 1, null));
        Assert.True(Bytes.UntouchedFrom(buffer, 16));
    }

    [Fact]
    public void IrqInfo_Encode_Into16Bytes_WritesNothingPast16EvenWithCapOffset()
    {
        byte[] buffer = Bytes.Poisoned(24);
        VfioIrqInfoCodec.Encode(buffer.AsSpan(0, 16), new VfioIrqInfoData(16, VfioIrqFlags.EventFd, 0, 1, 24));
        Assert.True(Bytes.UntouchedFrom(buffer, 16));
    }

    [Fact]
    public void IrqInfo_EncodeRequest_ZeroesTheBufferAndWritesArgszAndIndex()
    {
        byte[] buffer = Bytes.Poisoned(20);
        VfioIrqInfoCodec.EncodeRequest(buffer, 20, 0x0A0B0C0D);
        Assert.Equal(Bytes.Hex("14 00 00 00 00 00 00 00 0D 0C 0B 0A 00 00 00 00 00 00 00 00"), buffer);
    }

    // ---- vfio_info_cap_header: id@0 u16, version@2 u16, next@4 u32; 8 bytes ----

    [Fact]
    public void CapHeader_Layout()
    {
        Assert.Equal(0, VfioCapabilityCodec.HeaderIdOffset);
        Assert.Equal(2, VfioCapabilityCodec.HeaderVersionOffset);
        Assert.Equal(4, VfioCapabilityCodec.HeaderNextOffset);
        Assert.Equal(8, VfioCapabilityCodec.HeaderSize);
    }

    [Fact]
    public void CapHeader_Decode_ReadsLittleEndianFields()
    {
        var header = VfioCapabilityCodec.DecodeHeader(Bytes.Hex("03 01 02 01 28 00 00 80"));
        Assert.Equal((ushort)0x0103, header.Id);
        Assert.Equal((ushort)0x0102, header.Version);
        Assert.Equal(0x80000028u, header.Next);
    }

    [Fact]
    public void CapHeader_Encode_WritesExactly8Bytes()
    {
        byte[] buffer = Bytes.Poisoned(12);
        VfioCapabilityCodec.EncodeHeader(buffer, new VfioCapabilityHeader(0xBEEF, 0x0102, 0x0A0B0C0D));
        Assert.Equal(Bytes.Hex("EF BE 02 01 0D 0C 0B 0A"), buffer[..8]);
        Assert.True(Bytes.UntouchedFrom(buffer, 8));
    }

    [Fact]
    public void CapHeader_ShorterThan8_Throws()
    {
        Assert.Throws<ArgumentException>(() => VfioCapabilityCodec.DecodeHeader(new byte[7]));
        Assert.Throws<ArgumentException>(() => VfioCapabilityCodec.EncodeHeader(new byte[7], new VfioCapabilityHeader(1, 1, 0)));
    }

    // ---- vfio_irq_info_cap_type: header + type@8 + subtype@12; 16 bytes; id 3 (the seed's numbering) ----

    [Fact]
    public void CapType_Layout()
    {
        Assert.Equal(8, VfioCapabilityCodec.CapTypeTypeOffset);
        Assert.Equal(12, VfioCapabilityCodec.CapTypeSubtypeOffset);
        Assert.Equal(16, VfioCapabilityCodec.CapTypeSize);
        Assert.Equal((ushort)3, VfioCapabilityCodec.IrqInfoCapType);
        Assert.Equal(1u, VfioCapabilityCodec.IrqTypeGfx);
        Assert.Equal(1u, VfioCapabilityCodec.IrqSubtypeGfxDisplayIrq);
    }

    [Fact]
    public void CapType_Decode_ReadsTypeAt8AndSubtypeAt12()
    {
        var cap = VfioCapabilityCodec.DecodeIrqCapType(Bytes.Hex("03 00 01 00 00 00 00 00 04 03 02 01 08 07 06 05"));
        Assert.Equal((ushort)3, cap.Header.Id);
        Assert.Equal((ushort)1, cap.Header.Version);
        Assert.Equal(0u, cap.Header.Next);
        Assert.Equal(0x01020304u, cap.Type);
        Assert.Equal(0x05060708u, cap.Subtype);
    }

    [Fact]
    public void CapType_Encode_WritesExactly16Bytes()
    {
        byte[] buffer = Bytes.Poisoned(20);
        VfioCapabilityCodec.EncodeIrqCapType(buffer, new VfioIrqCapTypeData(new VfioCapabilityHeader(3, 1, 0x30), 1, 2));
        Assert.Equal(Bytes.Hex("03 00 01 00 30 00 00 00 01 00 00 00 02 00 00 00"), buffer[..16]);
        Assert.True(Bytes.UntouchedFrom(buffer, 16));
    }

    [Fact]
    public void CapType_ShorterThan16_Throws()
        => Assert.Throws<ArgumentException>(() => VfioCapabilityCodec.DecodeIrqCapType(new byte[15]));

    // ---- ioctl request numbers: _IO(';', 100 + n) = 0x3B64 + n, §1.1 table ----

    [Fact]
    public void Ioctl_RequestNumbers_MatchTheTable()
    {
        Assert.Equal(0x3Bu, VfioIoctl.Type);
        Assert.Equal(100u, VfioIoctl.Base);
        Assert.Equal(15204u, VfioIoctl.GetApiVersion);
        Assert.Equal(0x3B64u, VfioIoctl.GetApiVersion);
        Assert.Equal(15205u, VfioIoctl.CheckExtension);
        Assert.Equal(15206u, VfioIoctl.SetIommu);
        Assert.Equal(15207u, VfioIoctl.GroupGetStatus);
        Assert.Equal(15208u, VfioIoctl.GroupSetContainer);
        Assert.Equal(15209u, VfioIoctl.GroupUnsetContainer);
        Assert.Equal(15210u, VfioIoctl.GroupGetDeviceFd);
        Assert.Equal(15211u, VfioIoctl.DeviceGetInfo);
        Assert.Equal(15212u, VfioIoctl.DeviceGetRegionInfo);
        Assert.Equal(15213u, VfioIoctl.DeviceGetIrqInfo);
        Assert.Equal(0x3B6Du, VfioIoctl.DeviceGetIrqInfo);
        Assert.Equal(15214u, VfioIoctl.DeviceSetIrqs);
        Assert.Equal(15215u, VfioIoctl.DeviceReset);
        Assert.Equal(15222u, VfioIoctl.DeviceBindIommufd);
        Assert.Equal(0x3B76u, VfioIoctl.DeviceBindIommufd);
    }

    [Fact]
    public void Ioctl_CheckExtension_IsNotTheIowEncoding()
    {
        // _IOW(';', 101, u32) = dir write (1) << 30 | size 4 << 16 | type << 8 | nr; VFIO never encodes direction or size.
        uint iow = (1u << 30) | (4u << 16) | (0x3Bu << 8) | 101u;
        Assert.Equal(0x40043B65u, iow);
        Assert.NotEqual(iow, VfioIoctl.CheckExtension);
        Assert.Equal(0x3B65u, VfioIoctl.CheckExtension);
        Assert.Equal(0x3B65u, VfioIoctl.Io(0x3B, 101));
    }

    [Fact]
    public void Ioctl_DeviceRequestNames()
    {
        Assert.Equal("VFIO_DEVICE_GET_IRQ_INFO", VfioIoctl.DeviceRequestName(15213));
        Assert.Equal("VFIO_DEVICE_GET_INFO", VfioIoctl.DeviceRequestName(15211));
        Assert.Equal("VFIO_DEVICE_GET_PCI_HOT_RESET_INFO", VfioIoctl.DeviceRequestName(0x3B70));
        Assert.Equal("0x3B71", VfioIoctl.DeviceRequestName(0x3B71));
    }

    // ---- flag values, §1.2 ----

    [Fact]
    public void IrqFlags_Values()
    {
        Assert.Equal(1u, (uint)VfioIrqFlags.EventFd);
        Assert.Equal(2u, (uint)VfioIrqFlags.Maskable);
        Assert.Equal(4u, (uint)VfioIrqFlags.AutoMasked);
        Assert.Equal(8u, (uint)VfioIrqFlags.NoResize);
        Assert.Equal(16u, (uint)VfioIrqFlags.Caps);
    }

    [Fact]
    public void DeviceFlags_Values()
    {
        Assert.Equal(1u, (uint)VfioDeviceFlags.Reset);
        Assert.Equal(2u, (uint)VfioDeviceFlags.Pci);
        Assert.Equal(4u, (uint)VfioDeviceFlags.Platform);
        Assert.Equal(8u, (uint)VfioDeviceFlags.Amba);
        Assert.Equal(0x10u, (uint)VfioDeviceFlags.Ccw);
        Assert.Equal(0x20u, (uint)VfioDeviceFlags.Ap);
        Assert.Equal(0x40u, (uint)VfioDeviceFlags.FslMc);
        Assert.Equal(0x80u, (uint)VfioDeviceFlags.Caps);
        Assert.Equal(0x100u, (uint)VfioDeviceFlags.Cdx);
    }

    [Fact]
    public void PciIrqIndexes_AreTheFixedEnum()
    {
        Assert.Equal(0u, (uint)VfioPciIrqIndex.IntX);
        Assert.Equal(1u, (uint)VfioPciIrqIndex.Msi);
        Assert.Equal(2u, (uint)VfioPciIrqIndex.MsiX);
        Assert.Equal(3u, (uint)VfioPciIrqIndex.Err);
        Assert.Equal(4u, (uint)VfioPciIrqIndex.Req);
        Assert.Equal(5u, VfioPciIrq.NumFixed);
    }

    [Fact]
    public void Errno_AsmGenericValues()
    {
        // The values the mock and the kernel channel share (asm-generic/errno-base.h).
        Assert.Equal(1, (int)Errno.EPERM);
        Assert.Equal(2, (int)Errno.ENOENT);
        Assert.Equal(9, (int)Errno.EBADF);
        Assert.Equal(13, (int)Errno.EACCES);
        Assert.Equal(14, (int)Errno.EFAULT);
        Assert.Equal(16, (int)Errno.EBUSY);
        Assert.Equal(19, (int)Errno.ENODEV);
        Assert.Equal(22, (int)Errno.EINVAL);
        Assert.Equal(25, (int)Errno.ENOTTY);
        Assert.Equal("EINVAL (Invalid argument)", ErrnoText.Format(Errno.EINVAL));
        Assert.Equal("errno 4000", ErrnoText.Format((Errno)4000));
    }
}

/// <summary>struct vfio_device_bind_iommufd (vfio-abi.md §1.2): 16 bytes without a token, 24 with one.</summary>
public sealed class BindIommufdCodecTests
{
    [Fact]
    public void WithoutATokenTheRequestIsTheSixteenByteForm()
        => Assert.Equal(Bytes.Hex("10000000 00000000 07000000 00000000"), VfioPS.Abi.VfioBindIommufdCodec.Encode(7, null));

    [Fact]
    public void WithATokenTheFlagAndThePointerAreSet()
        => Assert.Equal(Bytes.Hex("18000000 01000000 07000000 00000000 8877665544332211"), VfioPS.Abi.VfioBindIommufdCodec.Encode(7, 0x1122334455667788));

    [Fact]
    public void TheTokenIsInTheOrderItsTextShows()
        => Assert.Equal(Bytes.Hex("01020304 05060708 090A0B0C 0D0E0F10"), VfioPS.Abi.VfioBindIommufdCodec.TokenBytes(Guid.Parse("01020304-0506-0708-090a-0b0c0d0e0f10")));

    [Fact]
    public void OutDevIdIsReadAtTwelve()
        => Assert.Equal(0x2Au, VfioPS.Abi.VfioBindIommufdCodec.DecodeDevId(Bytes.Hex("18000000 01000000 07000000 2A000000 0000000000000000")));
}
