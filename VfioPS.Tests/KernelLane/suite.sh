#!/bin/sh
# suite.sh - what the real-kernel lane runs inside its VM (run-lane.sh --suite), from the repository root:
#   1. the fidelity program: kernel vs mock at the channel seam, loopback, /proc/interrupts, fd leaks;
#   1a. mdev: the seed-mdev reference module's instances (seed-mdev/lane-check.sh; 6.1 only, "skipped" elsewhere);
#   2. the engine smoke script through vfiops-run;
#   3. the Pester suite's RealDevice tests under real pwsh (the tool manifest's PowerShell, Pester from .modules/):
#      the help's real-device examples, each in a fresh pwsh and compared with the output the help shows, and
#      RealDevice.Tests.ps1 (Concurrency.RealDevice.Tests.ps1 among them: 8 runspaces on edu);
#   4. load: open/read/close cycles on edu (else pci-testdev: no reset on close), fd count and managed heap sampled
#      (the fidelity program's --load), then vfio-pci's BAR claim race (8 threads on BAR0 after each of 150 opens,
#      raw and through the module). KERNEL_LANE_LOAD_CYCLES cycles, 10000 by default: a cycle costs 10-14 ms under
#      TCG once the JIT has tiered up (more on a loaded host), so the step takes about 2 minutes per kernel.
# On demand only (named as a STEP): "docs", the same examples through vfiops-docs examples --real and the hosted
# engine, which the Pester step replaced in the default run (it cost the lane as much again under emulation).
# Every step runs even when an earlier one failed, so one run reports every count; the exit code is 1 if any
# step failed. POSIX sh: the guest runs it with busybox.
#
#   usage: suite.sh [CONFIGURATION [STEP...]]   (Release by default: the build the host laid out; every step, or
#                                               only the named ones: fidelity mdev smoke docs pester load)
set -u
cd "$(dirname "$0")/../.." || exit 1
cfg=${1:-Release}
[ $# -gt 0 ] && shift
steps=${*:-fidelity mdev smoke pester load}
wanted() { case " $steps " in *" $1 "*) return 0;; esac; return 1; }
failed=0
echo "kernel lane suite: kernel $(uname -r), steps: $steps"
up() { cut -d' ' -f1 /proc/uptime; }
since() { awk "BEGIN { printf \"%.1f\", $(up) - $1 }"; }
step() {
    name=$1; shift
    wanted "$name" || return 0
    t0=$(up)
    "$@"
    rc=$?
    echo "kernel lane step: $name: exit $rc, $(since "$t0") s"
    [ $rc = 0 ] || failed=1
}

step fidelity dotnet "VfioPS.Tests/KernelLane/Fidelity/bin/$cfg/net10.0/VfioPS.KernelLane.dll"
# The seed-mdev reference module's instances (run-lane.sh loads it on 6.1 only): a skip is not a pass.
if wanted mdev && [ -z "${KERNEL_LANE_SEED_MDEV:-}${KERNEL_LANE_SEED_MDEV_FAILED:-}" ]; then
    echo "kernel lane step: mdev: skipped: ${KERNEL_LANE_SEED_MDEV_SKIP:-the seed-mdev module was not loaded (run the suite through run-lane.sh)}"
else
    step mdev sh VfioPS.Tests/KernelLane/seed-mdev/lane-check.sh
fi
step smoke dotnet "VfioPS.Runner/bin/$cfg/net10.0/vfiops-run.dll" -File VfioPS.Tests/KernelLane/smoke.ps1
step docs dotnet "VfioPS.Docs/bin/$cfg/net10.0/vfiops-docs.dll" examples --real --parallel 1

# pwsh: the one run-lane.sh was given (KERNEL_LANE_PWSH: build.ps1 passes the pwsh.dll it runs on), else the
# tool manifest's PowerShell in the shared NuGet folder. "dotnet pwsh" itself does not resolve the local tool in
# the guest (its tool-resolution cache is the host's), so pwsh.dll is started with dotnet.
pwsh_version=$(sed -n '/"powershell"/,/}/s/.*"version": *"\([^"]*\)".*/\1/p' .config/dotnet-tools.json)
pwsh_dll=${KERNEL_LANE_PWSH:-$(ls "${NUGET_PACKAGES:-$HOME/.nuget/packages}/powershell/$pwsh_version"/tools/net*/any/unix/pwsh.dll 2>/dev/null | tail -n 1)}
export PSModulePath="$PWD/.modules"
export POWERSHELL_TELEMETRY_OPTOUT=1 POWERSHELL_UPDATECHECK=Off
t0=$(up)
if ! wanted pester; then
    :
elif [ -n "$pwsh_dll" ] && dotnet "$pwsh_dll" -NoProfile -NonInteractive -Command 'exit 0'; then
    echo "kernel lane: pwsh start ($pwsh_dll -Command 'exit 0'): $(since "$t0") s in the guest"
    module=$(ls -d output/VfioPS/*/VfioPS.psd1 | tail -n 1)
    # Only the files with RealDevice tests: discovery runs every file's BeforeDiscovery, slow under emulation.
    files=$(grep -l -- "-Tag 'RealDevice'" VfioPS.Tests/Pester/*.Tests.ps1 | tr '\n' ',' | sed 's/,$//')
    step pester dotnet "$pwsh_dll" -NoProfile -NonInteractive -File VfioPS.Tests/Pester/Invoke-PesterSuite.ps1 \
        -ModulePath "$module" -Path "$files" -OutputPath output/TestResults/Pester.RealDevice.xml -Tag RealDevice \
        -Label 'kernel lane pester'
else
    echo "kernel lane pester: 0 passed, 1 failed (pwsh did not start in the guest from '${pwsh_dll:-the PowerShell $pwsh_version package}': run 'dotnet tool restore' on the host)"
    failed=1
fi

step load dotnet "VfioPS.Tests/KernelLane/Fidelity/bin/$cfg/net10.0/VfioPS.KernelLane.dll" --load "${KERNEL_LANE_LOAD_CYCLES:-10000}"

exit $failed
