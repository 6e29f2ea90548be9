using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using VfioPS.Runner;
using Xunit;

namespace VfioPS.Engine.Tests;

/// <summary>The write path as a script uses it: Set-VfioIrq, eventfds, waiting and the mock's interrupts.</summary>
public sealed class WritePathTests : IClassFixture<ModuleFixture>
{
    private readonly ModuleFixture _module;

    public WritePathTests(ModuleFixture module) => _module = module;

    private static object? Prop(PSObject o, string name) => o.Properties[name]?.Value;

    [Fact]
    public void LoopbackRoundTripOnMsiXSignalsOnlyTheTriggeredVector()
    {
        var results = _module.Run("""
            $d = New-VfioMockDevice e1000e
            $e = New-VfioEventFd -Count 5
            Set-VfioIrq $d -Index MSI-X -EventFd $e
            Set-VfioIrq $d MSI-X -Trigger -Start 4 -Count 1
            $fired = @(Wait-VfioEventFd $e -Timeout 2)
            $others = $e[0..3] | ForEach-Object { $_.Read() }
            $state = Set-VfioIrq $d MSI-X -Disable -PassThru
            [pscustomobject]@{ Fired = $fired; Others = $others; State = $state; Fd4 = $e[4].Fd; Device = $d.Name; SetIrqs = $d.IoctlCounts['VFIO_DEVICE_SET_IRQS'] }
            $e | Close-VfioEventFd; $d.Dispose()
            """);
        var r = Assert.Single(results);
        var fired = Assert.Single((object[])Prop(r, "Fired")!);
        var firing = PSObject.AsPSObject(fired);
        Assert.Equal(Prop(r, "Fd4"), Prop(firing, "EventFd"));
        Assert.Equal(4u, Prop(firing, "Vector"));
        Assert.Equal(2u, Prop(firing, "Index"));
        Assert.Equal(Prop(r, "Device"), Prop(firing, "Device"));
        Assert.Equal(1ul, Prop(firing, "Counter"));
        Assert.All((object[])Prop(r, "Others")!, o => Assert.Equal(0ul, PSObject.AsPSObject(o).BaseObject));
        Assert.False((bool)Prop(PSObject.AsPSObject(Prop(r, "State")!), "Enabled")!);
        Assert.Equal(3L, Prop(r, "SetIrqs")); // bind, trigger, disable: one ioctl each
    }

    [Fact]
    public void WhatIfSendsNothingAndChangesNothing()
    {
        var results = _module.Run("""
            $d = New-VfioMockDevice e1000e
            $e = New-VfioEventFd -Count 5
            Set-VfioIrq $d MSI-X -EventFd $e -WhatIf
            $d.IoctlCounts.ContainsKey('VFIO_DEVICE_SET_IRQS')
            Set-VfioIrq $d MSI-X -Trigger -ErrorAction SilentlyContinue -ErrorVariable err
            $err[0].FullyQualifiedErrorId
            ($e | ForEach-Object { $_.Read() } | Measure-Object -Sum).Sum
            $e | Close-VfioEventFd; $d.Dispose()
            """.Replace("($e | ForEach-Object { $_.Read() } | Measure-Object -Sum).Sum", "$s = 0; foreach ($x in $e) { $s += $x.Read() }; $s"), allowErrors: true);
        Assert.False((bool)results[0].BaseObject);
        Assert.Equal("VfioSetIrqsInvalid,VfioPS.Commands.SetVfioIrqCommand", results[1].BaseObject);
        Assert.Equal(0ul, Convert.ToUInt64(results[2].BaseObject));
    }

    [Fact]
    public void InfoObjectsPipeIntoSetVfioIrqByPropertyName()
    {
        var results = _module.Run("""
            $d = New-VfioMockDevice e1000e; $e = New-VfioEventFd
            Set-VfioIrq $d MSI -EventFd $e
            Get-VfioIrqInfo -Device $d -Index MSI | Set-VfioIrq -Disable -PassThru
            $d.IoctlCounts['VFIO_DEVICE_SET_IRQS']
            $e.Dispose(); $d.Dispose()
            """);
        Assert.False((bool)Prop(results[0], "Enabled")!);
        Assert.Equal(1u, Prop(results[0], "Index"));
        Assert.Equal(2L, results[1].BaseObject);
    }

    [Fact]
    public void AnEventFdIsBoundOnlyWhileItsDeviceIsOpen()
    {
        // Closing a device disables its IRQs: the eventfd objects must stop naming it (they stay open).
        var results = _module.Run("""
            $d = New-VfioMockDevice e1000e; $e = New-VfioEventFd -Count 2
            Set-VfioIrq $d MSI-X -EventFd $e -Start 3
            "$($e[1].Device)|$($e[1].Index)|$($e[1].Vector)"
            $d.Dispose()
            "$($e[1].Device)|$($e[1].Index)|$($e[1].Vector)|$($e[1].IsClosed)"
            $e | Close-VfioEventFd
            """);
        Assert.Matches(@"^mock:e1000e/\d+\|2\|4$", (string)results[0].BaseObject);
        Assert.Equal("|||False", results[1].BaseObject);
    }

    [Fact]
    public void DisableOnAnIndexThatIsNotEnabledSendsNothingAndSaysSo()
    {
        var results = _module.Run("$d = New-VfioMockDevice e1000e; Set-VfioIrq $d INTx -Disable -Verbose 4>&1; $d.IoctlCounts.ContainsKey('VFIO_DEVICE_SET_IRQS'); $d.Dispose()", out var errors);
        Assert.Empty(errors);
        Assert.Contains("not enabled", ((VerboseRecord)results[0].BaseObject).Message);
        Assert.False((bool)results[1].BaseObject);
    }

    [Theory]
    [InlineData("Set-VfioIrq $d MSI-X -EventFd $e -Start 5", "VfioIrqRangeInvalid", ErrorCategory.InvalidArgument)]
    [InlineData("Set-VfioIrq $d 9 -Disable", "VfioIrqIndexOutOfRange", ErrorCategory.InvalidArgument)]
    [InlineData("Set-VfioIrq $d MSI-X -EventFd $e -Count 3", "VfioIrqPayloadMismatch", ErrorCategory.InvalidArgument)]
    [InlineData("Set-VfioIrq $d MSI -EventFd 12345", "VfioEventFdInvalid", ErrorCategory.InvalidArgument)]
    [InlineData("Set-VfioIrq $d MSI-X -EventFd $e; Set-VfioIrq $d MSI-X -Mask", "VfioIrqActionNotSupported", ErrorCategory.NotImplemented)]
    [InlineData("Set-VfioIrq $d MSI-X -EventFd $e; Set-VfioIrq $d MSI -EventFd $e[0]", "VfioSetIrqsInvalid", ErrorCategory.InvalidArgument)]
    [InlineData("Set-VfioIrq $d MSI -Trigger", "VfioSetIrqsInvalid", ErrorCategory.InvalidArgument)]
    [InlineData("$e[0].Dispose(); Set-VfioIrq $d MSI -EventFd $e[0]", "VfioEventFdClosed", ErrorCategory.InvalidOperation)]
    public void MistakesAreErrorRecordsWithStableIds(string call, string id, ErrorCategory category)
    {
        _module.Run("$d = New-VfioMockDevice e1000e; $e = New-VfioEventFd -Count 2; try { " + call + " } finally { $e | Close-VfioEventFd; $d.Dispose() }", out var errors);
        var error = Assert.Single(errors);
        Assert.Equal(id + ",VfioPS.Commands.SetVfioIrqCommand", error.FullyQualifiedErrorId);
        Assert.Equal(category, error.CategoryInfo.Category);
        Assert.StartsWith("mock:e1000e/", (string)error.TargetObject);
    }

    [Theory]
    [InlineData("edu", "Set-VfioIrq $d MSI-X -Trigger", "VfioIrqRangeInvalid")]
    [InlineData("edu", "Set-VfioIrq $d ERR -EventFd $e[0]", "VfioIrqIndexUnsupported")]
    [InlineData("gvt-vgpu", "Set-VfioIrq $d 5 -Mask", "VfioIrqActionNotSupported")]
    public void ProfileSpecificRefusals(string profile, string call, string id)
    {
        _module.Run($"$d = New-VfioMockDevice {profile}; $e = New-VfioEventFd -Count 2; try {{ {call} }} finally {{ $e | Close-VfioEventFd; $d.Dispose() }}", out var errors);
        Assert.Equal(id + ",VfioPS.Commands.SetVfioIrqCommand", Assert.Single(errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void TheDisplayIrqOfGvtVgpuBindsAndLoopsBack()
    {
        var results = _module.Run("""
            $d = New-VfioMockDevice gvt-vgpu; $e = New-VfioEventFd
            Set-VfioIrq $d 5 -EventFd $e; Set-VfioIrq $d 5 -Trigger
            Wait-VfioEventFd $e -Timeout 2
            $e.Dispose(); $d.Dispose()
            """);
        var firing = Assert.Single(results);
        Assert.Equal(5u, Prop(firing, "Index"));
        Assert.Equal(1ul, Prop(firing, "Counter"));
    }

    [Fact]
    public void IntxHardwarePathIsLevelTriggeredAndAutomasked()
    {
        var results = _module.Run("""
            $d = New-VfioMockDevice e1000e; $e = New-VfioEventFd
            Set-VfioIrq $d INTx -EventFd $e
            Send-VfioMockInterrupt $d INTx -PassThru     # delivered, line masked
            $e.Read()
            Send-VfioMockInterrupt $d INTx -PassThru     # masked: not delivered
            $e.Read()
            Set-VfioIrq $d INTx -Unmask                   # still asserted: delivered again
            $e.Read()
            Send-VfioMockInterrupt $d -Lower
            Set-VfioIrq $d INTx -Unmask                   # line low: unmasked, nothing delivered
            $e.Read()
            Send-VfioMockInterrupt $d INTx -PassThru     # delivered
            $e.Read()
            $e.Dispose(); $d.Dispose()
            """);
        Assert.Equal(new object[] { true, 1ul, false, 0ul, 1ul, 0ul, true, 1ul }, results.Select(r => r.BaseObject));
    }

    [Fact]
    public void IntxLoopbackIsDeliveredMaskedOrNot()
    {
        var results = _module.Run("""
            $d = New-VfioMockDevice e1000e; $e = New-VfioEventFd
            Set-VfioIrq $d INTx -EventFd $e
            Set-VfioIrq $d INTx -Mask
            Set-VfioIrq $d INTx -Trigger; Set-VfioIrq $d INTx -Trigger
            $e.Read()
            $e.Dispose(); $d.Dispose()
            """);
        Assert.Equal(2ul, Assert.Single(results).BaseObject);
    }

    [Fact]
    public void TheResampleEventFdUnmasks()
    {
        var results = _module.Run("""
            $d = New-VfioMockDevice e1000e; $e = New-VfioEventFd; $r = New-VfioEventFd
            Set-VfioIrq $d INTx -EventFd $e
            Set-VfioIrq $d INTx -Unmask -EventFd $r
            Send-VfioMockInterrupt $d INTx | Out-Null; $null = $e.Read()
            Send-VfioMockInterrupt $d -Lower
            $r.Signal()
            $delivered = $false
            for ($i = 0; $i -lt 200 -and -not $delivered; $i++) { Start-Sleep -Milliseconds 10; $delivered = Send-VfioMockInterrupt $d INTx -PassThru; if (-not $delivered) { Send-VfioMockInterrupt $d -Lower } }
            $delivered
            $e.Dispose(); $r.Dispose(); $d.Dispose()
            """.Replace("Start-Sleep -Milliseconds 10", "[System.Threading.Thread]::Sleep(10)"));
        Assert.True((bool)Assert.Single(results).BaseObject);
    }

    [Fact]
    public void TwoThousandFortyEightVectorsGoInOneIoctl()
    {
        string path = Path.Combine(Path.GetTempPath(), $"msix2048-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """
            { "name": "msix2048", "device": { "flags": ["Pci"], "numRegions": 9, "numIrqs": 5 },
              "irqs": [ { "index": 2, "flags": ["EventFd", "NoResize"], "count": 2048 } ] }
            """);
        try
        {
            var results = _module.Run($"""
                $d = New-VfioMockDevice -Path '{path}'; $e = New-VfioEventFd -Count 2048
                Set-VfioIrq $d MSI-X -EventFd $e
                $d.IoctlCounts['VFIO_DEVICE_SET_IRQS']
                Set-VfioIrq $d MSI-X -Trigger -Start 2047 -Count 1
                (Wait-VfioEventFd $e -Timeout 2).Vector
                $e | Close-VfioEventFd; $d.Dispose()
                """);
            Assert.Equal(new object[] { 1L, 2047u }, results.Select(r => r.BaseObject));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ATimeoutWithNothingFiredIsAnErrorAndNoOutput()
    {
        var results = _module.Run("$e = New-VfioEventFd; Wait-VfioEventFd $e -Timeout 0.2; $e.Dispose()", out var errors);
        Assert.Empty(results);
        var error = Assert.Single(errors);
        Assert.Equal("VfioEventFdWaitTimeout,VfioPS.Commands.WaitVfioEventFdCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.OperationTimeout, error.CategoryInfo.Category);
    }

    [Fact]
    public void StreamingEmitsEachFiringUntilMaxEvents()
    {
        var results = _module.Run("""
            $d = New-VfioMockDevice e1000e; $e = New-VfioEventFd -Count 5
            Set-VfioIrq $d MSI-X -EventFd $e
            Send-VfioMockInterrupt $d MSI-X -Vector 1; Send-VfioMockInterrupt $d MSI-X -Vector 3
            (Wait-VfioEventFd $e -Stream -MaxEvents 2 -Timeout 5).Vector
            $e | Close-VfioEventFd; $d.Dispose()
            """);
        Assert.Equal(new object[] { 1u, 3u }, results.Select(r => r.BaseObject));
    }

    [Fact]
    public void StreamingWithMaxEventsLeavesTheRestForTheNextWait()
    {
        var results = _module.Run("""
            $d = New-VfioMockDevice e1000e; $e = New-VfioEventFd -Count 5
            Set-VfioIrq $d MSI-X -EventFd $e
            Set-VfioIrq $d MSI-X -Trigger -Value $true, $false, $true, $false, $true
            (Wait-VfioEventFd $e -Stream -MaxEvents 1 -Timeout 5).Vector
            (Wait-VfioEventFd $e -Stream -MaxEvents 5 -Timeout 0.5).Vector
            $e | Close-VfioEventFd; $d.Dispose()
            """);
        Assert.Equal(new object[] { 0u, 2u, 4u }, results.Select(r => r.BaseObject));
    }

    [Fact]
    public void MinusOneFromTheCommandLineDeassignsAVector()
    {
        var results = _module.Run("""
            $d = New-VfioMockDevice e1000e; $e = New-VfioEventFd -Count 3
            Set-VfioIrq $d MSI-X -EventFd $e
            Set-VfioIrq $d MSI-X -EventFd -1 -Start 1 -PassThru | ForEach-Object { $_.Vectors.Vector }
            $e | Close-VfioEventFd; $d.Dispose()
            """);
        Assert.Equal(new object[] { 0u, 2u }, results.Select(r => r.BaseObject));
    }

    [Fact]
    public void RaisingAVectorOutsideTheIndexIsAnError()
    {
        var error = Assert.Single(Errors("$d = New-VfioMockDevice e1000e; Send-VfioMockInterrupt $d MSI-X -Vector 7; $d.Dispose()"));
        Assert.Equal("VfioIrqRangeInvalid,VfioPS.Commands.SendVfioMockInterruptCommand", error.FullyQualifiedErrorId);
    }

    private System.Collections.Generic.IReadOnlyList<ErrorRecord> Errors(string script)
    {
        _module.Run(script, out var errors);
        return errors;
    }

    [Fact]
    public void StopEndsAWaitAtOnce()
    {
        using var ps = PowerShell.Create();
        ps.Runspace = _module.Session.Runspace;
        ps.AddScript("$e = New-VfioEventFd; Wait-VfioEventFd $e");
        var pending = ps.BeginInvoke();
        System.Threading.Thread.Sleep(300);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        ps.Stop();
        Assert.True(pending.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(5)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"Stop took {clock.Elapsed}");
        _module.Run("$e.Dispose()");
    }
}

/// <summary>Tests that count this process's open fds run alone: any other test opening a file or pipe would skew them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FdCountingCollection
{
    public const string Name = "Counts open fds";
}

/// <summary>No fd outlives its owner: eventfds, the mock's dups, runspaces and module removal.</summary>
[Collection(FdCountingCollection.Name)]
public sealed class FdLeakTests : IClassFixture<ModuleFixture>
{
    private readonly ModuleFixture _module;

    public FdLeakTests(ModuleFixture module) => _module = module;

    /// <summary>Open fds after finalizers ran, so handles other tests dropped do not close in the middle of a count.</summary>
    private static int OpenFds()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Directory.GetFiles("/proc/self/fd").Length;
    }

    [Fact]
    public void AThousandCyclesLeakNoFd()
    {
        _module.Run("$d = New-VfioMockDevice e1000e");
        int before = OpenFds();
        var results = _module.Run("""
            for ($i = 0; $i -lt 1000; $i++) {
                $e = New-VfioEventFd
                Set-VfioIrq $d MSI -EventFd $e
                Set-VfioIrq $d MSI -Trigger
                $n = (Wait-VfioEventFd $e -Timeout 2).Counter
                if ($n -ne 1) { throw "cycle $i read $n" }
                Set-VfioIrq $d MSI -Disable
                $e.Dispose()
            }
            'done'
            """);
        Assert.Equal("done", Assert.Single(results).BaseObject);
        Assert.Equal(before, OpenFds());
        _module.Run("$d.Dispose()");
    }

    [Fact]
    public void DisposingADeviceWithVectorsBoundReleasesItsReferences()
    {
        int before = OpenFds();
        _module.Run("$d = New-VfioMockDevice e1000e; $e = New-VfioEventFd -Count 5; Set-VfioIrq $d MSI-X -EventFd $e; $d.Dispose(); $e | Close-VfioEventFd");
        Assert.Equal(before, OpenFds());
    }

    [Fact]
    public void ClosingTheRunspaceAndRemovingTheModuleCloseTheEventFds()
    {
        int before = OpenFds();
        using (var session = new ModuleSession(Repo.Manifest, TextWriter.Null, TextWriter.Null))
        {
            session.Invoke("$e = New-VfioEventFd -Count 10; $d = New-VfioMockDevice e1000e; Set-VfioIrq $d MSI-X -EventFd $e[0..4]", out var errors);
            Assert.Empty(errors);
            Assert.True(OpenFds() >= before + 15);
        }
        Assert.Equal(before, OpenFds());

        using (var session = new ModuleSession(Repo.Manifest, TextWriter.Null, TextWriter.Null))
        {
            int withModule = OpenFds();
            var closed = session.Invoke("$e = New-VfioEventFd -Count 10; Remove-Module VfioPS; ($e | Where-Object IsClosed).Count", out var errors);
            Assert.Empty(errors);
            Assert.Equal(10, closed.Single().BaseObject);
            Assert.Equal(withModule, OpenFds());
        }
    }
}
