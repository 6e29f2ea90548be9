using System;

namespace VfioPS.Mock;

/// <summary>
/// BAR0 of QEMU's edu device (hw/misc/edu.c, docs/specs/edu.rst) as the kernel lane reads it through vfio-pci:
/// 0x00 identification 0x010000ed; 0x04 liveness (reads back the bitwise inverse of what was written); 0x08
/// factorial (a write starts it, the mock finishes at once; status bit 7 asks for interrupt 0x1 when done); 0x20
/// status; 0x24 interrupt status; 0x60 raise (ORs the value in and asserts the interrupt: MSI when MSI is enabled,
/// else the INTx line); 0x64 acknowledge (clears those bits; the line drops when none is left). The DMA registers
/// (0x80-0x98) are kept but no DMA is done. Accesses below 0x80 other than 4 bytes wide are refused by the device:
/// the lane reads them as 0 and writes to them change nothing; unassigned dwords read all ones.
/// </summary>
internal sealed class MockEduRegisters : IMockBarModel
{
    private const uint Identification = 0x010000ED;
    private const uint StatusComputing = 0x01;
    private const uint StatusIrqOnFactorial = 0x80;
    private const uint FactorialIrq = 0x1;

    private readonly IMockInterruptLine _line;
    private uint _liveness;
    private uint _factorial;
    private uint _status;
    private uint _irqStatus;
    private readonly ulong[] _dma = new ulong[4];

    public MockEduRegisters(IMockInterruptLine line) => _line = line;

    public ulong Read(long offset, int size)
    {
        // Narrower than 4 bytes: QEMU's access-size check refuses it before edu sees it (the lane reads 0). 8 bytes
        // below 0x80 (vfio-pci issues 8-byte accesses from 6.11 on) reaches edu, which answers all ones.
        if (!Accepted(offset, size)) return size == 8 ? ulong.MaxValue : 0;
        return offset switch
        {
            0x00 => Identification,
            0x04 => _liveness,
            0x08 => _factorial,
            0x20 => _status,
            0x24 => _irqStatus,
            0x80 or 0x88 or 0x90 or 0x98 => Width(_dma[(offset - 0x80) / 8], size),
            _ => Width(ulong.MaxValue, size),
        };
    }

    public void Write(long offset, int size, ulong value)
    {
        if (!Accepted(offset, size)) return;
        uint v = (uint)value;
        switch (offset)
        {
            case 0x04:
                _liveness = ~v;
                break;
            case 0x08:
                if ((_status & StatusComputing) != 0) break;
                _factorial = Factorial(v);
                if ((_status & StatusIrqOnFactorial) != 0) Raise(FactorialIrq);
                break;
            case 0x20:
                _status = (_status & ~StatusIrqOnFactorial) | (v & StatusIrqOnFactorial);
                break;
            case 0x60:
                Raise(v);
                break;
            case 0x64:
                _irqStatus &= ~v;
                if (_irqStatus == 0) _line.Lower();
                break;
            case 0x80 or 0x88 or 0x90 or 0x98:
                _dma[(offset - 0x80) / 8] = size == 8 ? value : v;
                break;
        }
    }

    private void Raise(uint bits)
    {
        _irqStatus |= bits;
        if (_irqStatus != 0) _line.Raise();
    }

    // edu.c: 4-byte accesses only below 0x80, 4 or 8 bytes from there on; the device refuses the rest.
    private static bool Accepted(long offset, int size) => offset < 0x80 ? size == 4 : size is 4 or 8;

    private static ulong Width(ulong value, int size) => size == 8 ? value : value & 0xFFFFFFFF;

    private static uint Factorial(uint n)
    {
        uint result = 1;
        for (uint i = 2; i <= n; i++) result = unchecked(result * i);
        return result;
    }
}

/// <summary>What a register model raises: the device's interrupt, MSI or INTx as the device is set up.</summary>
internal interface IMockInterruptLine
{
    void Raise();
    void Lower();
}

/// <summary>A BAR whose contents are registers with behaviour rather than memory; accesses come split as vfio-pci splits them.</summary>
internal interface IMockBarModel
{
    ulong Read(long offset, int size);
    void Write(long offset, int size, ulong value);
}
