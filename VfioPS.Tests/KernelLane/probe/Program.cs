// Kernel-lane probe: open /dev/vfio/vfio, VFIO_GET_API_VERSION (expect 0) and VFIO_CHECK_EXTENSION(TYPE1_IOMMU)
// (expect 1), then VFIO_GROUP_GET_STATUS on every group in $VFIO_VM_DEVICES (expect VIABLE). Exit 0 if all hold.
using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;

internal static class Program
{
    private const int O_RDWR = 2;
    private const ulong VFIO_GET_API_VERSION = 0x3B64;   // _IO(';', 100)
    private const ulong VFIO_CHECK_EXTENSION = 0x3B65;   // _IO(';', 101)
    private const ulong VFIO_GROUP_GET_STATUS = 0x3B67;  // _IO(';', 103)
    private const int VFIO_TYPE1_IOMMU = 1;
    private const uint VFIO_GROUP_FLAGS_VIABLE = 1;

    [DllImport("libc", SetLastError = true)]
    private static extern int open(string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int ioctl(int fd, ulong request, nint arg);

    [DllImport("libc", SetLastError = true)]
    private static extern int ioctl(int fd, ulong request, uint[] arg);   // blittable array: pinned, writes visible

    private static int failures;

    private static void Check(bool ok, string what)
    {
        Console.WriteLine($"probe: {(ok ? "ok  " : "FAIL")} {what}");
        if (!ok)
        {
            failures++;
        }
    }

    private static int Main()
    {
        var sw = Stopwatch.StartNew();
        // read errno at once: the first formatting of an int loads culture data through P/Invokes that reset it
        int fd = open("/dev/vfio/vfio", O_RDWR), err = Marshal.GetLastPInvokeError();
        Check(fd >= 0, $"open /dev/vfio/vfio = {fd}" + (fd < 0 ? $" (errno {err})" : ""));
        if (fd >= 0)
        {
            int ver = ioctl(fd, VFIO_GET_API_VERSION, 0);
            Check(ver == 0, $"VFIO_GET_API_VERSION = {ver}");
            int ext = ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU);
            Check(ext == 1, $"VFIO_CHECK_EXTENSION(TYPE1_IOMMU) = {ext}");
            close(fd);
        }

        string? list = Environment.GetEnvironmentVariable("VFIO_VM_DEVICES");
        if (list != null && File.Exists(list))
        {
            foreach (string line in File.ReadAllLines(list))
            {
                // <BDF> <vendor>:<device> <name> group=<N> /dev/vfio/<N>
                string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 5)
                {
                    continue;
                }

                int g = open(f[4], O_RDWR), gerr = Marshal.GetLastPInvokeError();
                if (g < 0)
                {
                    Check(false, $"open {f[4]} ({f[0]} {f[2]}): errno {gerr}");
                    continue;
                }

                uint[] status = { 8, 0 };   // struct vfio_group_status { argsz, flags }
                int rc = ioctl(g, VFIO_GROUP_GET_STATUS, status), rerr = Marshal.GetLastPInvokeError();
                Check(rc == 0 && (status[1] & VFIO_GROUP_FLAGS_VIABLE) != 0,
                      $"VFIO_GROUP_GET_STATUS {f[4]} ({f[0]} {f[1]} {f[2]}) = {rc}" +
                      (rc < 0 ? $" (errno {rerr})" : $", flags 0x{status[1]:x}"));
                close(g);
            }
        }

        Console.WriteLine($"probe: {(failures == 0 ? "OK" : $"{failures} FAILED")} in {sw.Elapsed.TotalMilliseconds:F0} ms " +
                          $"(process start to end of Main: {(DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds:F0} ms)");
        return failures == 0 ? 0 : 1;
    }
}
