namespace VfioPS;

/// <summary>A process that holds a device's VFIO group node or device cdev open, as /proc/&lt;pid&gt;/fd shows it.</summary>
public sealed class VfioDeviceHolder
{
    internal VfioDeviceHolder(string address, int? iommuGroup, string node, int pid, string command, string commandLine, bool isCurrentProcess)
    {
        Address = address;
        IommuGroup = iommuGroup;
        Node = node;
        Pid = pid;
        Command = command;
        CommandLine = commandLine;
        IsCurrentProcess = isCurrentProcess;
    }

    /// <summary>The device, DDDD:BB:DD.F; binds by property name to -Address of the other cmdlets.</summary>
    public string Address { get; }
    public int? IommuGroup { get; }
    /// <summary>
    /// The node the process has open: /dev/vfio/&lt;group&gt; (it owns every device of the group) or
    /// /dev/vfio/devices/vfioN (this device alone).
    /// </summary>
    public string Node { get; }
    /// <summary>The process id (Get-Process -Id $holder.Pid).</summary>
    public int Pid { get; }
    /// <summary>The process's name (/proc/&lt;pid&gt;/comm, at most 15 characters), e.g. qemu-system-x86.</summary>
    public string Command { get; }
    /// <summary>The arguments (/proc/&lt;pid&gt;/cmdline) joined by spaces; empty when the process hides them or has exited.</summary>
    public string CommandLine { get; }
    /// <summary>The process running this cmdlet: a device opened with Open-VfioDevice in this session.</summary>
    public bool IsCurrentProcess { get; }

    public override string ToString() => $"{Address}: {Pid} ({Command})";
}
