using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Threading;
using VfioPS.Abi;
using VfioPS.Channels;
using VfioPS.Native;

namespace VfioPS.Mock;

/// <summary>
/// The mock device's interrupt side, as vfio-pci keeps it (drivers/vfio/pci/vfio_pci_intrs.c, Debian's 6.1 as the
/// baseline, and the later kernels' changes where the profile's kernel has them: <see cref="MockKernelRules"/>):
/// INTx, MSI and MSI-X exclusive; per-vector triggers; ERR and REQ single triggers; device-specific
/// indexes (the seed's series) with TRIGGER only. Every bound eventfd is a dup of the caller's fd, held until the
/// vector is de-assigned, the index disabled or the device closed, so the mock never writes to an fd number the
/// caller closed and reused. All members run under the channel's lock.
/// </summary>
internal sealed class MockIrqController : IDisposable
{
    private enum ActiveType { None, IntX, Msi, MsiX }

    private readonly MockDeviceProfile _profile;
    private readonly MockKernelRules _kernel;
    private readonly object _gate;
    private ActiveType _active;

    // INTx: its trigger, the mask (AUTOMASKED: set by delivery, cleared by unmask), the level of the line, and the
    // resample ("unmask") eventfd with the thread that watches it.
    private SafeFileDescriptorHandle? _intxTrigger;
    private bool _intxMasked;
    private bool _lineAsserted;
    private ResampleWatcher? _resample;

    // MSI / MSI-X: one slot per allocated vector (num_ctx = start + count at enable).
    private SafeFileDescriptorHandle?[] _vectors = Array.Empty<SafeFileDescriptorHandle?>();

    private SafeFileDescriptorHandle? _errTrigger;
    private SafeFileDescriptorHandle? _reqTrigger;
    private readonly Dictionary<uint, SafeFileDescriptorHandle?[]> _deviceSpecific = new();

    public MockIrqController(MockDeviceProfile profile, object gate)
    {
        _profile = profile;
        _kernel = profile.KernelRules;
        _gate = gate;
    }

    private uint IrqCount(uint index)
        => _profile.Irqs.TryGetValue(index, out var irq) && irq.Refusal == Errno.None ? irq.Count : 0;

    private VfioIrqFlags IrqFlags(uint index) => _profile.Irqs.TryGetValue(index, out var irq) ? irq.Flags : VfioIrqFlags.None;

    /// <summary>VFIO_DEVICE_SET_IRQS: vfio_set_irqs_validate_and_prepare, then vfio_pci_set_irqs_ioctl's dispatch.</summary>
    public IoctlResult SetIrqs(Span<byte> argument)
    {
        if (argument.Length < VfioIrqSetCodec.HeaderSize) return IoctlResult.Fail(Errno.EFAULT);
        var h = VfioIrqSetCodec.DecodeHeader(argument);
        uint flags = (uint)h.Flags;

        // 1. minsz, index bound (num_irqs in the seed's series), overflow guard, unknown flag bits.
        if (h.Argsz < VfioIrqSetCodec.HeaderSize || h.Index >= _profile.NumIrqs || h.Count >= uint.MaxValue - h.Start
            || (flags & ~(VfioIrqSetCodec.DataTypeMask | VfioIrqSetCodec.ActionTypeMask)) != 0)
            return IoctlResult.Fail(Errno.EINVAL);
        // 2. The range against the index's count: an index with count 0 refuses everything, even "disable".
        uint max = IrqCount(h.Index);
        if (h.Start >= max || h.Start + h.Count > max) return IoctlResult.Fail(Errno.EINVAL);
        // 3. Exactly one data type.
        int size = VfioIrqSetCodec.ElementSize(h.Flags);
        if (size < 0) return IoctlResult.Fail(Errno.EINVAL);
        // 4. The payload must be there (memdup_user of count * size bytes).
        long dataSize = (long)h.Count * size;
        if (size > 0 && h.Argsz - VfioIrqSetCodec.HeaderSize < dataSize) return IoctlResult.Fail(Errno.EINVAL);
        if (VfioIrqSetCodec.HeaderSize + dataSize > argument.Length) return IoctlResult.Fail(Errno.EFAULT);
        ReadOnlySpan<byte> data = argument.Slice(VfioIrqSetCodec.DataOffset, (int)dataSize);

        // 5. Dispatch on index and action; no action bit or several match nothing: ENOTTY.
        var action = (VfioIrqSetFlags)(flags & VfioIrqSetCodec.ActionTypeMask);
        var dataType = (VfioIrqSetFlags)(flags & VfioIrqSetCodec.DataTypeMask);
        if (h.Index >= VfioPciIrq.NumFixed)
            return action == VfioIrqSetFlags.ActionTrigger ? DeviceSpecificTrigger(h.Index, h.Start, h.Count, dataType, data) : IoctlResult.Fail(Errno.ENOTTY);
        switch ((VfioPciIrqIndex)h.Index)
        {
            case VfioPciIrqIndex.IntX:
                return action switch
                {
                    VfioIrqSetFlags.ActionMask => IntxMask(h.Start, h.Count, dataType, data),
                    VfioIrqSetFlags.ActionUnmask => IntxUnmask(h.Start, h.Count, dataType, data),
                    VfioIrqSetFlags.ActionTrigger => IntxTrigger(h.Start, h.Count, dataType, data),
                    _ => IoctlResult.Fail(Errno.ENOTTY),
                };
            case VfioPciIrqIndex.Msi:
            case VfioPciIrqIndex.MsiX:
                return action == VfioIrqSetFlags.ActionTrigger
                    ? MsiTrigger((VfioPciIrqIndex)h.Index, h.Start, h.Count, dataType, data)
                    : IoctlResult.Fail(Errno.ENOTTY); // "XXX Need masking support exported"
            case VfioPciIrqIndex.Err:
                // vfio-pci offers ERR only on PCIe devices; a profile with ERR count > 0 is one.
                return action == VfioIrqSetFlags.ActionTrigger && IrqCount(h.Index) > 0
                    ? SingleTrigger(ref _errTrigger, h.Start, h.Count, dataType, data, _kernel)
                    : IoctlResult.Fail(Errno.ENOTTY);
            case VfioPciIrqIndex.Req:
                return action == VfioIrqSetFlags.ActionTrigger ? SingleTrigger(ref _reqTrigger, h.Start, h.Count, dataType, data, _kernel) : IoctlResult.Fail(Errno.ENOTTY);
            default:
                return IoctlResult.Fail(Errno.EINVAL);
        }
    }

    // ---- INTx ----

    private IoctlResult IntxMask(uint start, uint count, VfioIrqSetFlags dataType, ReadOnlySpan<byte> data)
    {
        if (_active != ActiveType.IntX || start != 0 || count != 1) return IoctlResult.Fail(Errno.EINVAL);
        if (dataType == VfioIrqSetFlags.DataNone) _intxMasked = true;
        else if (dataType == VfioIrqSetFlags.DataBool) { if (data[0] != 0) _intxMasked = true; }
        else return IoctlResult.Fail(Errno.ENOTTY); // EVENTFD: "XXX implement me"
        return IoctlResult.Success;
    }

    private IoctlResult IntxUnmask(uint start, uint count, VfioIrqSetFlags dataType, ReadOnlySpan<byte> data)
    {
        if (_active != ActiveType.IntX || start != 0 || count != 1) return IoctlResult.Fail(Errno.EINVAL);
        if (dataType == VfioIrqSetFlags.DataNone) UnmaskIntx();
        else if (dataType == VfioIrqSetFlags.DataBool) { if (data[0] != 0) UnmaskIntx(); }
        else
        {
            int fd = BinaryPrimitives.ReadInt32LittleEndian(data);
            if (fd >= 0)
            {
                var errno = FileDescriptors.TryDupEventFd(fd, out var handle);
                if (errno != Errno.None) return IoctlResult.Fail(errno);
                // vfio_virqfd_enable: one unmask irqfd at a time; the fd is resolved before the check.
                if (_resample is not null)
                {
                    handle!.Dispose();
                    return IoctlResult.Fail(Errno.EBUSY);
                }
                _resample = new ResampleWatcher(handle!, this);
            }
            else
            {
                StopResample();
            }
        }
        return IoctlResult.Success;
    }

    /// <summary>vfio_pci_intx_unmask_handler: a line still asserted is delivered again and stays masked.</summary>
    private void UnmaskIntx()
    {
        if (_active != ActiveType.IntX || !_intxMasked) return;
        if (_lineAsserted) Signal(_intxTrigger);
        else _intxMasked = false;
    }

    /// <summary>A write to the resample eventfd unmasks, as the kernel's unmask irqfd does.</summary>
    internal void UnmaskFromResample()
    {
        lock (_gate) UnmaskIntx();
    }

    private IoctlResult IntxTrigger(uint start, uint count, VfioIrqSetFlags dataType, ReadOnlySpan<byte> data)
    {
        if (_active == ActiveType.IntX && count == 0 && dataType == VfioIrqSetFlags.DataNone)
        {
            DisableIntx();
            return IoctlResult.Success;
        }
        if (!(_active == ActiveType.IntX || _active == ActiveType.None) || start != 0 || count != 1) return IoctlResult.Fail(Errno.EINVAL);
        if (dataType == VfioIrqSetFlags.DataEventFd)
        {
            int fd = BinaryPrimitives.ReadInt32LittleEndian(data);
            SafeFileDescriptorHandle? trigger = null;
            if (fd >= 0)
            {
                var errno = FileDescriptors.TryDupEventFd(fd, out trigger);
                if (errno != Errno.None) return IoctlResult.Fail(errno);
            }
            if (_active != ActiveType.IntX)
            {
                _active = ActiveType.IntX;
                _intxMasked = false;
            }
            _intxTrigger?.Dispose();
            _intxTrigger = trigger; // fd -1 keeps INTx enabled without a trigger
            return IoctlResult.Success;
        }
        if (_active != ActiveType.IntX) return IoctlResult.Fail(Errno.EINVAL);
        // Loopback: vfio_send_intx_eventfd does not look at the mask.
        if (dataType == VfioIrqSetFlags.DataNone || data[0] != 0) Signal(_intxTrigger);
        return IoctlResult.Success;
    }

    private void DisableIntx()
    {
        StopResample();
        _intxTrigger?.Dispose();
        _intxTrigger = null;
        _intxMasked = false;
        _active = ActiveType.None;
    }

    private void StopResample()
    {
        if (_resample is not null)
        {
            _stoppedWatchers.RemoveAll(t => !t.IsAlive);
            _stoppedWatchers.Add(_resample.Stop());
        }
        _resample = null;
    }

    /// <summary>Watcher threads told to stop; the channel joins them outside its lock when the device closes.</summary>
    private readonly List<Thread> _stoppedWatchers = new();

    public IReadOnlyList<Thread> TakeStoppedWatchers()
    {
        var threads = _stoppedWatchers.ToArray();
        _stoppedWatchers.Clear();
        return threads;
    }

    // ---- MSI / MSI-X ----

    private IoctlResult MsiTrigger(VfioPciIrqIndex index, uint start, uint count, VfioIrqSetFlags dataType, ReadOnlySpan<byte> data)
    {
        var type = index == VfioPciIrqIndex.Msi ? ActiveType.Msi : ActiveType.MsiX;
        if (_active == type && count == 0 && dataType == VfioIrqSetFlags.DataNone)
        {
            DisableMsi();
            return IoctlResult.Success;
        }
        if (!(_active == type || _active == ActiveType.None)) return IoctlResult.Fail(Errno.EINVAL);

        if (dataType == VfioIrqSetFlags.DataEventFd)
        {
            if (_active == type) return SetBlock(index, start, count, data);
            uint nvec = start + count;
            // pci_alloc_irq_vectors(pdev, 1, 0, ...) refuses a maximum below the minimum.
            if (nvec == 0) return IoctlResult.Fail(Errno.ERANGE);
            // vfio_msi_enable: fewer vectors than asked is a positive return of what is available, nothing enabled.
            if (_profile.Irqs.TryGetValue((uint)index, out var irq) && irq.PlatformVectors is uint available && available < nvec)
                return available == 0 ? IoctlResult.Fail(Errno.ENOSPC) : new IoctlResult((int)available, Errno.None);
            _active = type;
            _vectors = new SafeFileDescriptorHandle?[nvec];
            var result = SetBlock(index, start, count, data);
            if (result.ReturnValue != 0) DisableMsi();
            return result;
        }
        if (_active != type) return IoctlResult.Fail(Errno.EINVAL);
        // 6.1 checks the range against the vectors allocated at enable (num_ctx); with per-vector contexts a vector
        // that has none is skipped like one without a trigger.
        if (!_kernel.PerVectorContexts && start + count > _vectors.Length) return IoctlResult.Fail(Errno.EINVAL);
        for (uint i = start; i < start + count && i < _vectors.Length; i++)
        {
            if (dataType == VfioIrqSetFlags.DataNone || data[(int)(i - start)] != 0) Signal(_vectors[i]);
        }
        return IoctlResult.Success;
    }

    /// <summary>vfio_msi_set_block: bind [start, start+count); on failure, de-assign what this call set.</summary>
    private IoctlResult SetBlock(VfioPciIrqIndex index, uint start, uint count, ReadOnlySpan<byte> data)
    {
        // 6.1 checks both against the vectors allocated at enable (so start = nvec with count 0 is EINVAL, as the
        // kernel lane measured); later kernels check each vector as they come to it.
        if (!_kernel.PerVectorContexts && (start >= _vectors.Length || start + count > _vectors.Length))
            return IoctlResult.Fail(Errno.EINVAL);
        for (uint i = 0; i < count; i++)
        {
            uint vector = start + i;
            int fd = BinaryPrimitives.ReadInt32LittleEndian(data.Slice((int)i * 4));
            var errno = vector < _vectors.Length || fd < 0 ? Errno.None : AllocateVector(index, vector);
            if (errno == Errno.None && (vector < _vectors.Length || fd >= 0)) errno = SetVectorSignal(_vectors, vector, fd);
            if (errno != Errno.None)
            {
                for (uint j = start; j <= vector && j < _vectors.Length; j++) SetVectorSignal(_vectors, j, -1);
                return IoctlResult.Fail(errno);
            }
        }
        return IoctlResult.Success;
    }

    /// <summary>
    /// vfio_msi_alloc_irq for a vector past those allocated at enable: dynamic MSI-X (no NORESIZE on a kernel that has
    /// it) allocates it, where it stays until the index is disabled; MSI, and MSI-X with NORESIZE, have no such vector (EINVAL).
    /// </summary>
    private Errno AllocateVector(VfioPciIrqIndex index, uint vector)
    {
        bool dynamic = index == VfioPciIrqIndex.MsiX && _kernel.DynamicMsix && (IrqFlags((uint)index) & VfioIrqFlags.NoResize) == 0;
        if (!dynamic) return Errno.EINVAL;
        Array.Resize(ref _vectors, (int)vector + 1);
        return Errno.None;
    }

    /// <summary>
    /// vfio_msi_set_vector_signal: releases the vector's trigger first, then binds a dup of <paramref name="fd"/>
    /// unless it is negative; a bad fd therefore leaves the vector unassigned, as in the kernel.
    /// </summary>
    private static Errno SetVectorSignal(SafeFileDescriptorHandle?[] vectors, uint vector, int fd)
    {
        vectors[vector]?.Dispose();
        vectors[vector] = null;
        if (fd < 0) return Errno.None;
        var errno = FileDescriptors.TryDupEventFd(fd, out var trigger);
        if (errno == Errno.None) vectors[vector] = trigger;
        return errno;
    }

    private void DisableMsi()
    {
        foreach (var v in _vectors) v?.Dispose();
        _vectors = Array.Empty<SafeFileDescriptorHandle?>();
        _active = ActiveType.None;
    }

    // ---- ERR / REQ ----

    /// <summary>vfio_pci_set_ctx_trigger_single, including fd &lt; -1: silently accepted before the RCU change, EINVAL after it.</summary>
    private static IoctlResult SingleTrigger(ref SafeFileDescriptorHandle? trigger, uint start, uint count, VfioIrqSetFlags dataType, ReadOnlySpan<byte> data,
        MockKernelRules kernel)
    {
        if (start != 0 || count > 1) return IoctlResult.Fail(Errno.EINVAL);
        if (dataType == VfioIrqSetFlags.DataNone)
        {
            if (trigger is null) return IoctlResult.Fail(Errno.EINVAL);
            if (count == 1) Signal(trigger);
            else { trigger.Dispose(); trigger = null; }
            return IoctlResult.Success;
        }
        if (count == 0) return IoctlResult.Fail(Errno.EINVAL);
        if (dataType == VfioIrqSetFlags.DataBool)
        {
            if (data[0] != 0) Signal(trigger);
            return IoctlResult.Success;
        }
        int fd = BinaryPrimitives.ReadInt32LittleEndian(data);
        if (fd == -1)
        {
            trigger?.Dispose();
            trigger = null;
        }
        else if (fd >= 0)
        {
            var errno = FileDescriptors.TryDupEventFd(fd, out var handle);
            if (errno != Errno.None) return IoctlResult.Fail(errno);
            trigger?.Dispose();
            trigger = handle;
        }
        else if (kernel.RejectsEventFdBelowMinusOne)
        {
            return IoctlResult.Fail(Errno.EINVAL);
        }
        return IoctlResult.Success;
    }

    // ---- device-specific indexes (the seed's series: TRIGGER with EVENTFD, NONE or BOOL) ----

    private IoctlResult DeviceSpecificTrigger(uint index, uint start, uint count, VfioIrqSetFlags dataType, ReadOnlySpan<byte> data)
    {
        if (!_deviceSpecific.TryGetValue(index, out var vectors))
            _deviceSpecific[index] = vectors = new SafeFileDescriptorHandle?[IrqCount(index)];
        if (count == 0 && dataType == VfioIrqSetFlags.DataNone)
        {
            for (int i = 0; i < vectors.Length; i++) { vectors[i]?.Dispose(); vectors[i] = null; }
            return IoctlResult.Success;
        }
        if (dataType == VfioIrqSetFlags.DataEventFd)
        {
            for (uint i = 0; i < count; i++)
            {
                var errno = SetVectorSignal(vectors, start + i, BinaryPrimitives.ReadInt32LittleEndian(data.Slice((int)i * 4)));
                if (errno != Errno.None)
                {
                    for (uint j = start; j < start + i; j++) SetVectorSignal(vectors, j, -1);
                    return IoctlResult.Fail(errno);
                }
            }
            return IoctlResult.Success;
        }
        for (uint i = start; i < start + count; i++)
            if (dataType == VfioIrqSetFlags.DataNone || data[(int)(i - start)] != 0) Signal(vectors[i]);
        return IoctlResult.Success;
    }

    // ---- the device side: interrupts raised as hardware would ----

    /// <summary>
    /// Raises an interrupt from the device. INTx asserts the level-triggered line: delivered and masked (AUTOMASKED)
    /// unless already masked, pending until lowered or unmasked. Other indexes deliver at once to a bound trigger.
    /// Returns whether an eventfd was signalled.
    /// </summary>
    public bool Raise(uint index, uint vector)
    {
        switch (index)
        {
            case (uint)VfioPciIrqIndex.IntX:
                _lineAsserted = true;
                if (_active != ActiveType.IntX || _intxMasked) return false;
                _intxMasked = true;
                return Signal(_intxTrigger);
            case (uint)VfioPciIrqIndex.Msi:
            case (uint)VfioPciIrqIndex.MsiX:
                var type = index == (uint)VfioPciIrqIndex.Msi ? ActiveType.Msi : ActiveType.MsiX;
                return _active == type && vector < _vectors.Length && Signal(_vectors[vector]);
            case (uint)VfioPciIrqIndex.Err:
                return vector == 0 && Signal(_errTrigger);
            case (uint)VfioPciIrqIndex.Req:
                return vector == 0 && Signal(_reqTrigger);
            default:
                return _deviceSpecific.TryGetValue(index, out var vectors) && vector < vectors.Length && Signal(vectors[vector]);
        }
    }

    /// <summary>Deasserts the INTx line.</summary>
    public void LowerIntx() => _lineAsserted = false;

    /// <summary>
    /// What the device has for one index, for tests that hold the module's record against it: enabled (INTx, MSI,
    /// MSI-X: the active type; the others: a trigger is bound), the vectors with a trigger, the vectors allocated.
    /// </summary>
    public MockIrqIndexState State(uint index)
    {
        switch (index)
        {
            case (uint)VfioPciIrqIndex.IntX:
                return new MockIrqIndexState(_active == ActiveType.IntX, _intxMasked, _resample is not null, 0, Bound(_intxTrigger));
            case (uint)VfioPciIrqIndex.Msi:
            case (uint)VfioPciIrqIndex.MsiX:
                bool enabled = _active == (index == (uint)VfioPciIrqIndex.Msi ? ActiveType.Msi : ActiveType.MsiX);
                return new MockIrqIndexState(enabled, false, false, enabled ? (uint)_vectors.Length : 0, enabled ? Bound(_vectors) : Array.Empty<uint>());
            case (uint)VfioPciIrqIndex.Err:
                return new MockIrqIndexState(_errTrigger is not null, false, false, 0, Bound(_errTrigger));
            case (uint)VfioPciIrqIndex.Req:
                return new MockIrqIndexState(_reqTrigger is not null, false, false, 0, Bound(_reqTrigger));
            default:
                var vectors = _deviceSpecific.TryGetValue(index, out var bound) ? Bound(bound) : Array.Empty<uint>();
                return new MockIrqIndexState(vectors.Length > 0, false, false, 0, vectors);
        }
    }

    private static uint[] Bound(SafeFileDescriptorHandle? trigger) => trigger is null ? Array.Empty<uint>() : new uint[] { 0 };

    private static uint[] Bound(SafeFileDescriptorHandle?[] vectors)
    {
        var bound = new List<uint>();
        for (int i = 0; i < vectors.Length; i++)
            if (vectors[i] is not null) bound.Add((uint)i);
        return bound.ToArray();
    }

    public bool IntxLineAsserted => _lineAsserted;
    /// <summary>Whether MSI is the enabled index: a device raises MSI then, and INTx otherwise (PCI's rule, edu follows it).</summary>
    public bool MsiActive => _active == ActiveType.Msi;
    public bool IntxMasked => _intxMasked;

    private static bool Signal(SafeFileDescriptorHandle? trigger)
        => trigger is not null && !trigger.IsClosed && FileDescriptors.Signal(trigger) == Errno.None;

    /// <summary>Device close: every IRQ disabled and every trigger released, ERR and REQ included.</summary>
    public void Dispose()
    {
        DisableIntx();
        DisableMsi();
        _errTrigger?.Dispose();
        _errTrigger = null;
        _reqTrigger?.Dispose();
        _reqTrigger = null;
        foreach (var vectors in _deviceSpecific.Values)
            foreach (var v in vectors) v?.Dispose();
        _deviceSpecific.Clear();
        _lineAsserted = false;
    }

    /// <summary>
    /// Watches the INTx resample eventfd on a thread of its own: a write to it unmasks, as the kernel's unmask irqfd
    /// does. It owns the dup of the caller's fd and a stop eventfd, and closes both when it ends.
    /// </summary>
    private sealed class ResampleWatcher
    {
        private readonly SafeFileDescriptorHandle _resample;
        private readonly SafeFileDescriptorHandle _stop = FileDescriptors.CreateEventFd();
        private readonly MockIrqController _owner;
        private readonly Thread _thread;

        public ResampleWatcher(SafeFileDescriptorHandle resample, MockIrqController owner)
        {
            _resample = resample;
            _owner = owner;
            _thread = new Thread(Run) { IsBackground = true, Name = "VfioPS mock INTx resample" };
            _thread.Start();
        }

        public Thread Stop()
        {
            FileDescriptors.Signal(_stop);
            return _thread;
        }

        private void Run()
        {
            try
            {
                Span<int> fds = stackalloc int[] { _stop.Fd, _resample.Fd };
                Span<bool> ready = stackalloc bool[2];
                while (true)
                {
                    if (FileDescriptors.PollReadable(fds, ready, -1) == 0) continue;
                    if (ready[0]) return;
                    if (ready[1] && FileDescriptors.ReadCounter(_resample) > 0) _owner.UnmaskFromResample();
                }
            }
            catch (VfioException)
            {
                // poll or read failed: the watcher ends; unmask through the ioctl still works.
            }
            finally
            {
                _resample.Dispose();
                _stop.Dispose();
            }
        }
    }
}

/// <summary>One IRQ index as the mock device has it (see <see cref="MockIrqController.State"/>).</summary>
internal sealed record MockIrqIndexState(bool Enabled, bool Masked, bool ResampleBound, uint Allocated, uint[] BoundVectors);
