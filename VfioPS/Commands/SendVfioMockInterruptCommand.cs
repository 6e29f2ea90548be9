using System;
using System.Management.Automation;

namespace VfioPS.Commands;

/// <summary>
/// Send-VfioMockInterrupt: raises an interrupt from the mock device's side, as hardware would, so waiting code can be
/// tested without the loopback path. INTx is a level-triggered, automasked line: -Lower deasserts it.
/// </summary>
[Cmdlet(VerbsCommunications.Send, "VfioMockInterrupt", DefaultParameterSetName = RaiseSet)]
[OutputType(typeof(bool))]
public sealed class SendVfioMockInterruptCommand : VfioCmdletBase
{
    private const string RaiseSet = "Raise";
    private const string LowerSet = "Lower";

    /// <summary>The mock device (object or name).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(VfioDeviceCompleter))]
    [ValidateNotNullOrEmpty]
    [VfioDeviceArgumentTransformation]
    public VfioDeviceArgument[] Device { get; set; } = Array.Empty<VfioDeviceArgument>();

    /// <summary>The IRQ index to raise (a number or INTx, MSI, MSI-X, ERR, REQ).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true, ParameterSetName = RaiseSet)]
    [ArgumentCompleter(typeof(IrqIndexCompleter))]
    [VfioIrqIndexArgumentTransformation]
    public VfioIrqIndexArgument Index { get; set; } = new(0);

    /// <summary>The vector within the index (default 0).</summary>
    [Parameter(ParameterSetName = RaiseSet)]
    public uint Vector { get; set; }

    /// <summary>Deassert the INTx line instead of raising.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LowerSet)]
    public SwitchParameter Lower { get; set; }

    /// <summary>Emit whether an eventfd was signalled.</summary>
    [Parameter(ParameterSetName = RaiseSet)]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var argument in Device)
        {
            var device = ResolveDevice(argument);
            if (device is null) continue;
            var mock = device.MockChannel;
            if (mock is null)
            {
                WriteVfioError(new VfioException("VfioDeviceNotMock", VfioErrorKind.InvalidArgument,
                    $"'{device.Name}' is a real device; only mock devices (New-VfioMockDevice) can raise interrupts on request.", device.Name));
                continue;
            }
            if (Lower)
            {
                mock.LowerIntx();
                WriteVerbose($"{device.Name}: INTx line deasserted.");
                continue;
            }
            if (ResolveIndex(Index, device) is not uint index) continue;
            uint count;
            try
            {
                count = Operations.IrqInfoReader.Read(device, index).Info.Count;
            }
            catch (VfioException e)
            {
                WriteVfioError(e);
                continue;
            }
            if (Vector >= count)
            {
                WriteVfioError(new VfioException("VfioIrqRangeInvalid", VfioErrorKind.InvalidArgument,
                    $"'{device.Name}' IRQ index {index} has {count} vectors; vector {Vector} is not one of them.", device.Name));
                continue;
            }
            bool delivered = mock.RaiseInterrupt(index, Vector);
            var (asserted, masked) = mock.IntxLine;
            WriteVerbose(delivered
                ? $"{device.Name}: index {index} vector {Vector} raised and delivered."
                : index == 0 && asserted && masked
                    ? $"{device.Name}: INTx raised; not delivered because the line is masked (unmask to receive it)."
                    : $"{device.Name}: index {index} vector {Vector} raised; not delivered (no eventfd bound, or the index is not enabled).");
            if (PassThru) WriteObject(delivered);
        }
    }
}
