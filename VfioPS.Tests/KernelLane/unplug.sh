#!/bin/sh
# unplug.sh - the kernel lane's device-removal scenario, run in the guest by run-lane.sh --unplug (from the
# repository root; POSIX sh for the guest's busybox). The VM has two devices behind their own pcie-root-ports
# (KERNEL_LANE_UNPLUG_IDS: their QEMU ids, in the order of $VFIO_VM_DEVICES) and vfio-vm --hotplug's monitor.
# unplug.ps1 runs in real pwsh (the tool manifest's PowerShell, as suite.sh starts it): the cooperative case on
# the first device, the idle case on the second; then this script checks that the idle device leaves
# /sys/bus/pci/devices soon after the pwsh process exited holding it. Last line:
#   kernel lane unplug: N passed, N failed
#
#   usage: unplug.sh [CONFIGURATION]   (Release by default: the build the host laid out)
set -u
cd "$(dirname "$0")/../.." || exit 1
cfg=${1:-Release}
up() { cut -d' ' -f1 /proc/uptime; }
since() { awk "BEGIN { printf \"%.2f\", $(up) - $1 }"; }
t_all=$(up)
echo "kernel lane unplug: kernel $(uname -r), configuration $cfg"
pass=0 fail=0
ok() { echo "unplug: ok   $*"; pass=$((pass + 1)); }
bad() { echo "unplug: FAIL $*"; fail=$((fail + 1)); }
finish() { echo "kernel lane unplug: $pass passed, $fail failed"; echo "kernel lane step: unplug: $(since "$t_all") s"; [ $fail = 0 ]; exit $?; }

set -- ${KERNEL_LANE_UNPLUG_IDS:-}
[ $# = 2 ] || { bad "KERNEL_LANE_UNPLUG_IDS names two QEMU ids (got '${KERNEL_LANE_UNPLUG_IDS:-}'): run through run-lane.sh --unplug"; finish; }
coop_id=$1 idle_id=$2
coop=$(sed -n 1p "$VFIO_VM_DEVICES" | cut -d' ' -f1)
idle=$(sed -n 2p "$VFIO_VM_DEVICES" | cut -d' ' -f1)
[ -n "$coop" ] && [ -n "$idle" ] || { bad "two devices on vfio-pci in $VFIO_VM_DEVICES"; finish; }

pwsh_version=$(sed -n '/"powershell"/,/}/s/.*"version": *"\([^"]*\)".*/\1/p' .config/dotnet-tools.json)
pwsh_dll=${KERNEL_LANE_PWSH:-$(ls "${NUGET_PACKAGES:-$HOME/.nuget/packages}/powershell/$pwsh_version"/tools/net*/any/unix/pwsh.dll 2>/dev/null | tail -n 1)}
module=$(ls -d "$PWD"/output/VfioPS/*/VfioPS.psd1 2>/dev/null | tail -n 1)
[ -n "$pwsh_dll" ] || { bad "no pwsh.dll (PowerShell $pwsh_version): run 'dotnet tool restore' on the host"; finish; }
[ -n "$module" ] || { bad "no built module in output/VfioPS: run build.ps1 -Task Build on the host"; finish; }
export POWERSHELL_TELEMETRY_OPTOUT=1 POWERSHELL_UPDATECHECK=Off

out=${TMPDIR:-/tmp}/unplug.out
t0=$(up)
{ dotnet "$pwsh_dll" -NoProfile -NonInteractive -File VfioPS.Tests/KernelLane/unplug.ps1 -ModulePath "$module" \
    -Cooperative "$coop" -CooperativeId "$coop_id" -Idle "$idle" -IdleId "$idle_id" 2>&1; echo "$?" > "$out.rc"; } | tee "$out"
t_exit=$(up)
rc=$(cat "$out.rc" 2>/dev/null)
echo "unplug: pwsh ran $(awk "BEGIN { printf \"%.1f\", $t_exit - $t0 }") s, exit ${rc:-?}"
[ "$rc" = 0 ] && ok "unplug.ps1 exited 0" || bad "unplug.ps1 exited ${rc:-?} (see above)"
pass=$((pass + $(grep -c '^unplug: ok ' "$out")))
fail=$((fail + $(grep -c '^unplug: FAIL ' "$out")))

# The idle holder has exited: the kernel's release wait ends and the device goes.
grep -q '^unplug: idle: exiting' "$out" || { bad "idle: the holder did not get to its exit (see above)"; finish; }
gone=-1 i=0
while [ $i -lt 300 ]; do
    [ -e "/sys/bus/pci/devices/$idle" ] || { gone=$(since "$t_exit"); break; }
    sleep 0.05; i=$((i + 1))
done
if [ "$gone" != -1 ]; then ok "idle: the device left /sys/bus/pci/devices after the holder exited ($gone s)"
else bad "idle: $idle still in /sys/bus/pci/devices 15 s after the holder exited"; fi
echo "unplug: figure idle gone after exit $gone s"
finish
