using System;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using VfioPS.Kernel;

namespace VfioPS.Commands;

/// <summary>
/// Get-VfioDeviceInterrupt: the interrupts of devices as the host sees them (/proc/interrupts, msi_irqs/, affinity),
/// one reading, or samples -Interval apart with what each vector counted in between, for a count or until stopped.
/// </summary>
[Cmdlet(VerbsCommon.Get, "VfioDeviceInterrupt", DefaultParameterSetName = ReadingSet)]
[OutputType(typeof(VfioDeviceInterrupt))]
public sealed class GetVfioDeviceInterruptCommand : VfioDeviceObserverCmdletBase, IDisposable
{
    private const string ReadingSet = "Reading";
    private const string IntervalSet = "Interval";
    private const string ContinuousSet = "Continuous";

    private readonly CancellationTokenSource _stop = new();

    /// <summary>Each vector's count per online CPU too (the PerCpu property).</summary>
    [Parameter]
    public SwitchParameter PerCpu { get; set; }

    /// <summary>Seconds between samples; each sample after the first carries Delta and Rate.</summary>
    [Parameter(Mandatory = true, ParameterSetName = IntervalSet)]
    [Parameter(ParameterSetName = ContinuousSet)]
    [ValidateRange(0.01, 86400)]
    public double Interval { get; set; } = 1;

    /// <summary>How many samples to write after the first reading (default 1).</summary>
    [Parameter(ParameterSetName = IntervalSet)]
    [ValidateRange(1, int.MaxValue)]
    public int Count { get; set; } = 1;

    /// <summary>A sample every -Interval seconds until the pipeline stops (Ctrl+C, Select-Object -First).</summary>
    [Parameter(Mandatory = true, ParameterSetName = ContinuousSet)]
    public SwitchParameter Continuous { get; set; }

    protected override void EndProcessing()
    {
        if (Devices.Count == 0) return;
        var paths = HostPaths;
        var addresses = Devices.Select(d => d.Address).ToArray();
        if (VerboseShown)
        {
            foreach (var device in Devices.Where(d => !PciDeviceEnumerator.IsVfioDriver(d.Driver)))
                WriteVerbose($"{device.Address} is {(device.Driver is null ? "bound to no driver" : "bound to " + device.Driver)}, not vfio-pci: VfioPS shows only interrupts that vfio-pci requested.");
        }
        try
        {
            var previous = VfioInterruptMonitor.Read(paths, addresses);
            if (ParameterSetName == ReadingSet)
            {
                var readings = VfioInterruptMonitor.Describe(previous, null, 0, PerCpu);
                if (VerboseShown)
                {
                    foreach (string address in addresses.Where(a => !readings.Any(r => r.Address == a)))
                        WriteVerbose($"{address} has no interrupt in use: no vfio-pci handler in {paths.ProcInterrupts()} and no IRQ in its msi_irqs/.");
                }
                WriteObject(readings, enumerateCollection: true);
                return;
            }
            // Samples are due at fixed times from the first reading, so a slow reading does not push the next ones late.
            var clock = Stopwatch.StartNew();
            for (int sample = 1; Continuous || sample <= Count; sample++)
            {
                var due = TimeSpan.FromSeconds(Interval * sample) - clock.Elapsed;
                if (due > TimeSpan.Zero && _stop.Token.WaitHandle.WaitOne(due)) return;
                if (_stop.IsCancellationRequested) return;
                var current = VfioInterruptMonitor.Read(paths, addresses);
                WriteObject(VfioInterruptMonitor.Describe(current, previous, sample, PerCpu), enumerateCollection: true);
                previous = current;
            }
        }
        catch (VfioException e)
        {
            ThrowTerminatingError(ToErrorRecord(e));
        }
    }

    protected override void StopProcessing() => _stop.Cancel();

    public void Dispose() => _stop.Dispose();
}
