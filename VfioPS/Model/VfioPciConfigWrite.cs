namespace VfioPS;

/// <summary>
/// One config-space write and what the device kept: vfio-pci virtualizes config space and filters writes (read-only
/// ids, BAR sizing masks, MSI enable owned by the ioctls...), so the value read back after the write is the answer.
/// </summary>
public sealed class VfioPciConfigWrite
{
    internal VfioPciConfigWrite(string device, ushort offset, int width, string register, uint before, uint written, uint after)
    {
        Device = device;
        Offset = offset;
        Width = width;
        Register = register;
        Before = before;
        Written = written;
        After = after;
    }

    public string Device { get; }
    public ushort Offset { get; }
    /// <summary>1, 2 or 4 bytes.</summary>
    public int Width { get; }
    /// <summary>The register at the offset: "Command", "BAR0", "MSI+0x2 (Control)", "unassigned"...</summary>
    public string Register { get; }
    public uint Before { get; }
    public uint Written { get; }
    /// <summary>The value read back after the write.</summary>
    public uint After { get; }
    /// <summary>True when the device reads back exactly what was written.</summary>
    public bool Kept => After == Written;
    /// <summary>Bits written that read back different (0 when everything stuck).</summary>
    public uint DifferentBits => After ^ Written;

    public override string ToString() => $"{Device} 0x{Offset:x2} {Register}: wrote 0x{Written:x}, reads 0x{After:x}";
}
