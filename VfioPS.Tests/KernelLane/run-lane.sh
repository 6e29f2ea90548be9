#!/bin/bash
# run-lane.sh - VfioPS real-kernel lane: run a command inside a QEMU VM (Debian bookworm kernel 6.1,
# q35 + intel-iommu) in which four emulated PCI devices are bound to the real vfio-pci driver.
#
#   usage: run-lane.sh [--kernel K[,K...]] [--smoke] [--timeout S] [--suite] [--unplug] [--configuration C] [-- COMMAND [ARGS...]]
#
#   (no COMMAND)      run the smoke check: uname -r, the device list, ls -l /dev/vfio, dotnet --version
#   -- COMMAND...     run COMMAND in the guest instead (cwd: the current directory if it is inside the
#                     repository, else the repository root)
#   --suite           run the lane's test suite (suite.sh: fidelity, seed-mdev, engine smoke, real-device doc examples,
#                     the Pester RealDevice tests) on the build of --configuration (default Release)
#   --unplug          run the device-removal scenario (unplug.sh, unplug.ps1 in real pwsh) in its own small VM: two
#                     edus behind pcie-root-ports rp1 and rp2 on vfio-pci, vfio-vm --hotplug; the guest asks QEMU to
#                     device_del them while VfioPS holds them. With --suite: the suite's VM, then this one, per kernel
#   --smoke -- CMD    run the smoke check first, then CMD in the same VM (CMD is skipped if the smoke fails)
#   --timeout S       kill the VM after S seconds (default: 300 for the smoke alone, 1800 with a COMMAND)
#   --kernel K        the guest kernel: 6.1 (linux-image-6.1.0-56-amd64, the default), 6.12
#                     (linux-image-6.12.117+deb12-amd64), newest (the newest 6.12 apt serves) or a package name;
#                     several, comma-separated, run the whole lane once per kernel, one after another (exit: the
#                     first failing run's code). Default: $KERNEL_LANE_KERNELS, else $VFIO_VM_KERNEL_PKG, else 6.1.
#
# Steps: install-deps.sh (missing Debian packages only), seed-mdev/build.sh on a 6.1 kernel, then vfio-vm with the devices
# "e1000e edu virtio-net-pci,vectors=4 pci-testdev" (0000:00:10.0 .. 0000:00:13.0, one IOMMU group each),
# the repository shared read-write and the NuGet package folder (${NUGET_PACKAGES:-~/.nuget/packages})
# read-only, both at the same paths as on the host. Exits with COMMAND's exit code; 125 when the lane
# itself failed (dependencies, VM boot, guest setup, timeout; the reason is printed). The guest console
# goes to stdout, the lane's own messages to stderr; the last line is "kernel lane: N s".
#
# Environment: KERNEL_LANE_KERNELS (as --kernel), KERNEL_LANE_TIMEOUT (as --timeout), KERNEL_LANE_BOOT_TIMEOUT (default 120: COMMAND must
# start within this many seconds of QEMU starting), KERNEL_LANE_SMP, KERNEL_LANE_MEM (default 2048),
# KERNEL_LANE_LOG (also save the guest console to this file), KERNEL_LANE_PWSH (the pwsh.dll the suite's Pester
# step runs; default: the tool manifest's PowerShell in the NuGet folder), KERNEL_LANE_LOAD_CYCLES (the suite's load
# step: open/read/close cycles on edu, default 10000 on 6.12 and 1000 on 6.1), VFIOPS_LANE_CONCURRENCY_OPS (operations per
# runspace of the Pester concurrency tests on edu, default 50), KERNEL_LANE_SKIP_DEPS=1 (do not run
# install-deps.sh), NUGET_PACKAGES, and vfio-vm's: VFIO_VM_CACHE (default ~/.cache/vfio-vm),
# VFIO_VM_KERNEL_PKG (set from --kernel), VFIO_VM_ACCEL.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
VFIO_VM=$HERE/vfio-vm
# The last two are functions 0 and 1 of one slot: one IOMMU group with two devices, for the shared-group checks.
DEVICES="e1000e edu virtio-net-pci,vectors=4 pci-testdev edu +edu"
NDEV=6
# Devices left on their host drivers, for handing devices to vfio-pci and back (0000:00:15.0 .. 00:18.1): a second
# e1000e (e1000e.ko), a second virtio-net (virtio-pci), an edu (no host driver), and a two-function slot on host
# drivers in one IOMMU group (two virtio-nets: an Intel function would not do, the kernel's ACS quirks isolate it).
HOST_DEVICES="@e1000e @virtio-net-pci,vectors=4 @edu @virtio-net-pci,vectors=4 +@virtio-net-pci,vectors=4"
NHOST=5
# Devices behind a PCIe root port (QEMU id rp1, in root-bus slot 0x19), for slot and bus resets: a two-function
# e1000e in the port's slot (0000:01:00.0 and .1, QEMU ids rp1.0 and rp1.1), both on vfio-pci. Both functions land
# in one IOMMU group: QEMU's e1000e has no ACS and no kernel quirk isolates its functions.
PORT_DEVICES="rp1/e1000e +e1000e"
NPORT=2
# The unplug VM's devices (--unplug): two edus (MSI, INTx, REQ), each alone behind a root port (QEMU ids rp1.0, rp2.0).
UNPLUG_DEVICES="rp1/edu rp2/edu"
UNPLUG_IDS="rp1.0 rp2.0"
# The seed-mdev instances the guest creates on 6.1 (fixed, so tests and examples can name them).
SEED_UUID_DISPLAY=5eedd15b-0000-4000-8000-000000000001
SEED_UUID_CHAIN=5eedc4a1-0000-4000-8000-000000000002

T0=${EPOCHREALTIME/./}
lane_exit() {
  local rc=$? t1=${EPOCHREALTIME/./} us
  us=$((10#$t1 - 10#$T0))
  [ -n "${CONSOLE:-}" ] && rm -f "$CONSOLE"
  printf 'kernel lane: %d.%01d s\n' $((us / 1000000)) $((us % 1000000 / 100000)) >&2
  exit $rc
}
say() { echo "kernel lane: $*" >&2; }
fail() { say "FAILED: $*"; exit 125; }

usage() { sed -n '2,34s/^# \{0,1\}//p' "$0"; }
SMOKE=0 SUITE=0 UNPLUG=0 CONFIGURATION=Release TIMEOUT=${KERNEL_LANE_TIMEOUT:-} KERNELS=${KERNEL_LANE_KERNELS:-${VFIO_VM_KERNEL_PKG:-6.1}}
ARGV=()    # the arguments without --kernel, for one run per kernel
while [ $# -gt 0 ]; do
  case $1 in --kernel|--kernel=*|--) ;; *) ARGV+=("$1"); case $1 in --configuration|--timeout) ARGV+=("${2:-}");; esac;; esac
  case $1 in
    --kernel) [ $# -ge 2 ] || { usage >&2; exit 2; }; KERNELS=$2; shift 2;;
    --kernel=*) KERNELS=${1#*=}; shift;;
    --smoke) SMOKE=1; shift;;
    --suite) SUITE=1; shift;;
    --unplug) UNPLUG=1; shift;;
    --configuration) [ $# -ge 2 ] || { usage >&2; exit 2; }; CONFIGURATION=$2; shift 2;;
    --timeout) [ $# -ge 2 ] || { usage >&2; exit 2; }; TIMEOUT=$2; shift 2;;
    --timeout=*) TIMEOUT=${1#*=}; shift;;
    -h|--help) usage; exit 0;;
    --) shift; break;;
    *) echo "run-lane.sh: unknown argument '$1' (put the command after --)" >&2; usage >&2; exit 2;;
  esac
done
CMDARGS=("$@")
if [ $SUITE = 1 ] || [ $UNPLUG = 1 ]; then
  [ $# -eq 0 ] || { echo "run-lane.sh: --suite and --unplug take no COMMAND" >&2; exit 2; }
  [[ $CONFIGURATION =~ ^(Debug|Release)$ ]] || { echo "run-lane.sh: bad configuration '$CONFIGURATION'" >&2; exit 2; }
  [ $SMOKE = 0 ] || [ $UNPLUG = 0 ] || { echo "run-lane.sh: --smoke does not go with --unplug" >&2; exit 2; }
  if [ $SUITE = 1 ]; then set -- sh VfioPS.Tests/KernelLane/suite.sh "$CONFIGURATION"
  else set -- sh VfioPS.Tests/KernelLane/unplug.sh "$CONFIGURATION"; fi
fi
[ $# -gt 0 ] || SMOKE=1
[ -n "$TIMEOUT" ] || { if [ $# -gt 0 ]; then TIMEOUT=1800; else TIMEOUT=300; fi; }
[[ $TIMEOUT =~ ^[0-9]+$ ]] || { echo "run-lane.sh: bad timeout '$TIMEOUT'" >&2; exit 2; }
read -ra KLIST <<<"${KERNELS//,/ }"
[ ${#KLIST[@]} -gt 0 ] || { echo "run-lane.sh: --kernel names no kernel" >&2; exit 2; }
trap lane_exit EXIT
trap 'exit 130' INT TERM HUP

# Several kernels: the whole lane once per kernel, each run with its own output and closing line, then one line each.
if [ ${#KLIST[@]} -gt 1 ]; then
  rc=0 results=()
  for k in "${KLIST[@]}"; do
    t0=${EPOCHREALTIME/./}
    say "kernel $k: run $(( ${#results[@]} + 1 )) of ${#KLIST[@]}"
    KERNEL_LANE_KERNELS=$k "$0" ${ARGV[@]+"${ARGV[@]}"} -- ${CMDARGS[@]+"${CMDARGS[@]}"}
    krc=$?
    [ $krc = 130 ] && exit 130
    [ $rc != 0 ] || rc=$krc
    t1=${EPOCHREALTIME/./}
    results+=("kernel $k: exit $krc, $(( (10#$t1 - 10#$t0) / 1000000 )) s")
  done
  for r in "${results[@]}"; do say "$r"; done
  exit $rc
fi
# --suite --unplug: the suite's VM, then the unplug VM, for this kernel (exit: the first failing run's code).
if [ $SUITE = 1 ] && [ $UNPLUG = 1 ]; then
  rc=0
  for drop in --unplug --suite; do
    a=(); for x in "${ARGV[@]}"; do [ "$x" = "$drop" ] || a+=("$x"); done
    KERNEL_LANE_KERNELS=${KLIST[0]} "$0" "${a[@]}"
    krc=$?
    [ $krc = 130 ] && exit 130
    [ $rc != 0 ] || rc=$krc
  done
  exit $rc
fi
export VFIO_VM_KERNEL_PKG=${KLIST[0]}
KPKG=$("$VFIO_VM" --print-kernel); krc=$?
[ $krc = 2 ] && exit 2
[ $krc = 0 ] || fail "vfio-vm --print-kernel failed"
# (install-deps.sh and vfio-vm take the resolved package: "newest" is resolved once per run)
export VFIO_VM_KERNEL_PKG=$KPKG

# (a) host packages
if [ "${KERNEL_LANE_SKIP_DEPS:-0}" != 1 ]; then
  "$HERE/install-deps.sh" >&2 || fail "install-deps.sh failed (see above)"
fi

# (a2) the seed-mdev reference module (seed-mdev/): built here for the 6.1 kernel the lane boots (seconds; kbuild
# skips it when nothing changed), loaded in the guest with two instances. Other kernels run without it: the suite's
# mdev step then says "skipped".
KREL=${KPKG#linux-image-}
SEED_ENV=()
[ $UNPLUG = 1 ] && KREL=unplug    # (the unplug VM does without seed-mdev)
case $KREL in
  6.1.*)
    if SEED_KO=$("$HERE/seed-mdev/build.sh" "$KREL"); then SEED_ENV=(--env "KERNEL_LANE_SEED_MDEV=$SEED_KO")
    else SEED_ENV=(--env "KERNEL_LANE_SEED_MDEV_FAILED=seed-mdev/build.sh $KREL failed (see above)")
         say "seed-mdev: build for $KREL failed; the suite's mdev step will fail"; fi;;
  unplug) ;;
  *) SEED_ENV=(--env "KERNEL_LANE_SEED_MDEV_SKIP=the seed-mdev module is built for the 6.1 kernel only, not $KREL");;
esac

# (b) what to share
REPO=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null) || REPO=$(cd "$HERE/../.." && pwd -P)
REPO=$(cd "$REPO" && pwd -P)
NUGET=${NUGET_PACKAGES:-${HOME:-/root}/.nuget/packages}
mkdir -p "$NUGET" 2>/dev/null; [ -d "$NUGET" ] || fail "NuGet package folder $NUGET does not exist and cannot be created"
NUGET=$(cd "$NUGET" && pwd -P)

# (c) the command; the smoke check runs under the guest's busybox sh
read -r -d '' SMOKE_SH <<'EOF'
up() { cut -d' ' -f1 /proc/uptime; }
bad=0
check() { echo "smoke: FAIL: $*"; bad=1; }
k=$(uname -r)
echo "smoke: uname -r: $k"
[ "$k" = "$KERNEL_LANE_KERNEL" ] || check "guest kernel $k, expected $KERNEL_LANE_KERNEL"
echo "smoke: $VFIO_VM_DEVICES:"
cat "$VFIO_VM_DEVICES"
n=$(grep -c ' group=' "$VFIO_VM_DEVICES")
[ "$n" = "$KERNEL_LANE_NDEV" ] || check "$n devices bound to vfio-pci, expected $KERNEL_LANE_NDEV"
while read -r bdf id name grp node; do
  [ -c "$node" ] || check "$node ($bdf $name) is not a character device"
done < "$VFIO_VM_DEVICES"
echo "smoke: ls -l /dev/vfio:"
ls -l /dev/vfio
[ -c /dev/vfio/vfio ] || check "no /dev/vfio/vfio"
echo "smoke: dotnet --version:"
t0=$(up)
dotnet --version; rc=$?
t1=$(up)
echo "smoke: dotnet --version: exit $rc, $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s in the guest"
[ $rc = 0 ] || check "dotnet --version exited $rc"
[ $bad = 0 ] && echo "smoke: OK" || { echo "smoke: FAILED"; exit 1; }
[ $# -eq 0 ] || exec "$@"
EOF
if [ $SMOKE = 1 ]; then
  CMD=(sh -c "$SMOKE_SH" smoke "$@")
else
  CMD=("$@")
fi
# Before COMMAND: seed-mdev/guest-setup.sh loads seed_mdev.ko where it was built and creates its two instances.
[ $UNPLUG = 1 ] || CMD=(sh "$HERE/seed-mdev/guest-setup.sh" "${CMD[@]}")

# uio_pci_generic: a host driver the lane can bind one function of the shared group to, to make the group not viable.
ARGS=(--devices "$DEVICES $HOST_DEVICES $PORT_DEVICES" --modules "uio_pci_generic e1000e virtio_net mdev" --share "$REPO" --timeout "$TIMEOUT"
      --boot-timeout "${KERNEL_LANE_BOOT_TIMEOUT:-120}" --mem "${KERNEL_LANE_MEM:-2048}"
      --env "NUGET_PACKAGES=$NUGET" --env "KERNEL_LANE_KERNEL=${KPKG#linux-image-}" --env "KERNEL_LANE_NDEV=$((NDEV + NPORT))"
      --env "KERNEL_LANE_NHOST=$NHOST" --env "KERNEL_LANE_MDEV_DEVICES=/tmp/seed-mdev-devices.txt"
      --env "KERNEL_LANE_MDEV_DISPLAY=$SEED_UUID_DISPLAY" --env "KERNEL_LANE_MDEV_CHAIN=$SEED_UUID_CHAIN" "${SEED_ENV[@]}")
# The unplug VM (--unplug): its own two devices, each behind a root port so that QEMU can hot-unplug it (q35's
# root bus cannot), and vfio-vm's monitor; the suite's devices and addresses above are not involved.
if [ $UNPLUG = 1 ]; then
  ARGS=(--devices "$UNPLUG_DEVICES" --hotplug --share "$REPO" --timeout "$TIMEOUT"
        --boot-timeout "${KERNEL_LANE_BOOT_TIMEOUT:-120}" --mem "${KERNEL_LANE_MEM:-2048}"
        --env "NUGET_PACKAGES=$NUGET" --env "KERNEL_LANE_KERNEL=${KPKG#linux-image-}" --env "KERNEL_LANE_UNPLUG_IDS=$UNPLUG_IDS")
fi
case $NUGET/ in "$REPO"/*) ;; *) ARGS+=(--share-ro "$NUGET");; esac    # (inside the repo: already shared)
# The pwsh the suite's Pester step runs: the one the caller names (build.ps1 passes its own), shared read-only
# unless a share above already holds it.
if [ -n "${KERNEL_LANE_PWSH:-}" ]; then
  [ -f "$KERNEL_LANE_PWSH" ] || fail "KERNEL_LANE_PWSH names '$KERNEL_LANE_PWSH', which does not exist"
  PWSH_DIR=$(cd "$(dirname "$KERNEL_LANE_PWSH")" && pwd -P)
  case $PWSH_DIR/ in "$REPO"/*|"$NUGET"/*|/usr/*) ;; *) ARGS+=(--share-ro "$PWSH_DIR");; esac
  ARGS+=(--env "KERNEL_LANE_PWSH=$PWSH_DIR/$(basename "$KERNEL_LANE_PWSH")")
fi
[ -n "${KERNEL_LANE_SMP:-}" ] && ARGS+=(--smp "$KERNEL_LANE_SMP")
# The sizes of the suite's load step and of the Pester concurrency tests on edu, when the caller sets them.
[ -n "${KERNEL_LANE_LOAD_CYCLES:-}" ] && ARGS+=(--env "KERNEL_LANE_LOAD_CYCLES=$KERNEL_LANE_LOAD_CYCLES")
[ -n "${VFIOPS_LANE_CONCURRENCY_OPS:-}" ] && ARGS+=(--env "VFIOPS_LANE_CONCURRENCY_OPS=$VFIOPS_LANE_CONCURRENCY_OPS")

if [ $UNPLUG = 1 ]; then LANE_DEVICES=$UNPLUG_DEVICES; else LANE_DEVICES="$DEVICES $HOST_DEVICES $PORT_DEVICES"; fi
say "$KPKG, devices: $LANE_DEVICES; shares: $REPO (rw), $NUGET (ro); timeout ${TIMEOUT}s"
CONSOLE=$(mktemp "${TMPDIR:-/tmp}/kernel-lane.XXXXXX") || fail "mktemp failed"
"$VFIO_VM" "${ARGS[@]}" -- "${CMD[@]}" | tee "$CONSOLE"
rc=${PIPESTATUS[0]}
[ -n "${KERNEL_LANE_LOG:-}" ] && cp "$CONSOLE" "$KERNEL_LANE_LOG"

if ! grep -q '^== vfio-vm exit [0-9]' "$CONSOLE"; then
  case $rc in
    130) say "interrupted";;
    2) say "FAILED: vfio-vm usage error (see above)";;
    *) if ! grep -q '^== vfio-vm init' "$CONSOLE"; then
         say "FAILED: the VM could not be started or did not boot (vfio-vm exit $rc; the reason is above)"
       else
         say "FAILED: the VM booted but gave no exit status (vfio-vm exit $rc; the reason is above)"
       fi
       rc=125;;
  esac
else
  say "command exit $rc"
fi
exit $rc
