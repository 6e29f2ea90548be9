using System;
using System.Globalization;

namespace VfioPS;

/// <summary>
/// One interrupt vector of a device as the host sees it: the IRQ vfio-pci requested for it and its counts in
/// /proc/interrupts, its affinity, and, for a sample taken after another one, what it counted in between.
/// </summary>
public sealed class VfioDeviceInterrupt
{
    internal VfioDeviceInterrupt(string address, uint index, string name, int? vector, int irq, ulong count, VfioCpuInterruptCount[]? perCpu,
        string? handler, string[] sharedWith, string? msiIrqsMode, string chip, string? affinity, int[]? affinityCpus, string? effectiveAffinity,
        DateTime time, int sample, ulong? delta, double? rate, double? intervalSeconds, bool restarted)
    {
        Address = address;
        Index = index;
        Name = name;
        Vector = vector;
        Irq = irq;
        Count = count;
        PerCpu = perCpu;
        Handler = handler;
        SharedWith = sharedWith;
        MsiIrqsMode = msiIrqsMode;
        Chip = chip;
        Affinity = affinity;
        AffinityCpus = affinityCpus;
        EffectiveAffinity = effectiveAffinity;
        Time = time;
        Sample = sample;
        Delta = delta;
        Rate = rate;
        IntervalSeconds = intervalSeconds;
        Restarted = restarted;
    }

    /// <summary>The device, DDDD:BB:DD.F; binds by property name to -Address.</summary>
    public string Address { get; }
    /// <summary>The VFIO IRQ index the vector belongs to: 0 INTx, 1 MSI, 2 MSI-X.</summary>
    public uint Index { get; }
    /// <summary>INTx, MSI or MSI-X.</summary>
    public string Name { get; }
    /// <summary>The vector within the index (0 for INTx); null for an MSI or MSI-X IRQ that the device has allocated
    /// (msi_irqs/) but that has no eventfd bound, so no vfio-pci handler names its vector.</summary>
    public int? Vector { get; }
    /// <summary>The host's IRQ number (the first column of /proc/interrupts, the folder in /proc/irq/).</summary>
    public int Irq { get; }
    /// <summary>Interrupts the host took on this IRQ since it was allocated, summed over the online CPUs.</summary>
    public ulong Count { get; }
    /// <summary>The count of each online CPU (with -PerCpu; null otherwise).</summary>
    public VfioCpuInterruptCount[]? PerCpu { get; }
    /// <summary>The vfio-pci handler's name in /proc/interrupts, e.g. vfio-msi[0](0000:00:11.0); null when none.</summary>
    public string? Handler { get; }
    /// <summary>The other handlers registered on the same IRQ line (a shared INTx line); empty when none.</summary>
    public string[] SharedWith { get; }
    /// <summary>True when other handlers share the IRQ line, so Count includes their interrupts too.</summary>
    public bool IsShared => SharedWith.Length > 0;
    /// <summary>"msi" or "msix" when the device's msi_irqs/ lists the IRQ; null when it does not (INTx).</summary>
    public string? MsiIrqsMode { get; }
    /// <summary>What /proc/interrupts shows between the counts and the handlers: chip, hardware IRQ and flow.</summary>
    public string Chip { get; }
    /// <summary>The CPUs the IRQ may go to, as smp_affinity_list says ("0-3"); null when the file is missing.</summary>
    public string? Affinity { get; }
    /// <summary>The same as a list of CPU numbers; null when the file is missing or not a CPU list.</summary>
    public int[]? AffinityCpus { get; }
    /// <summary>The CPUs the interrupt is actually routed to (effective_affinity_list); null where the kernel has none.</summary>
    public string? EffectiveAffinity { get; }
    /// <summary>When the sample was read (UTC).</summary>
    public DateTime Time { get; }
    /// <summary>0 for a single reading; 1, 2, ... for the samples taken -Interval apart.</summary>
    public int Sample { get; }
    /// <summary>Interrupts counted since the previous sample; null for a single reading.</summary>
    public ulong? Delta { get; }
    /// <summary>Delta per second over the time measured between the two readings; null for a single reading.</summary>
    public double? Rate { get; }
    /// <summary>The time measured between the two readings, in seconds; null for a single reading.</summary>
    public double? IntervalSeconds { get; }
    /// <summary>
    /// The vector's counter started again within the interval: the vector was new, its IRQ number changed, or a CPU's
    /// count went down by more than a 32-bit wrap explains (the IRQ was freed and allocated again). Delta then counts
    /// from zero for those counters, so it is a lower bound.
    /// </summary>
    public bool Restarted { get; }

    public override string ToString()
        => Vector is int v ? string.Create(CultureInfo.InvariantCulture, $"{Address} {Name}[{v}] IRQ {Irq}: {Count}")
            : string.Create(CultureInfo.InvariantCulture, $"{Address} {Name} IRQ {Irq}: {Count}");
}

/// <summary>The count of one CPU for one IRQ, and what it counted since the previous sample.</summary>
public sealed class VfioCpuInterruptCount
{
    internal VfioCpuInterruptCount(int cpu, ulong count, ulong? delta)
    {
        Cpu = cpu;
        Count = count;
        Delta = delta;
    }

    public int Cpu { get; }
    public ulong Count { get; }
    /// <summary>Since the previous sample; null for a single reading or a CPU the previous sample did not have.</summary>
    public ulong? Delta { get; }

    public override string ToString()
        => Delta is ulong d ? string.Create(CultureInfo.InvariantCulture, $"CPU{Cpu}={Count} (+{d})") : string.Create(CultureInfo.InvariantCulture, $"CPU{Cpu}={Count}");
}
