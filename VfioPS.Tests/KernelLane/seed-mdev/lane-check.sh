#!/bin/sh
# lane-check.sh - the kernel lane's "mdev" step (suite.sh), in the guest: the seed-mdev instances that run-lane.sh
# created, seen by seed_mdev_check as a binary built against the mainline <linux/vfio.h>:
#   old-abi: every IRQ index with argsz 16, nothing written past byte 16 ("kernel lane old-abi: N passed, M failed");
#   display: index 5's eventfd, loopback, raise_display_irq and the vblank timer ("kernel lane mdev-irq: ...");
#   dump:    index 5's GET_IRQ_INFO bytes at argsz 16, 20, 24 and the size needed, for the record;
#   lifecycle: available_instances, remove and create again, rmmod with the instances and insmod again;
# then the kernel log: no warning, oops or lockup whose trace is in the module. POSIX sh (busybox).
# Exit 0 when all passed; 1 otherwise.
set -u
list=${KERNEL_LANE_MDEV_DEVICES:-/tmp/seed-mdev-devices.txt}
check=${SEED_MDEV_CHECK:-output/seed-mdev/bin/seed_mdev_check}
bad=0
if [ -s "$list.failed" ]; then
    echo "kernel lane mdev: setup failed: $(tr '\n' ';' < "$list.failed")"
    bad=1
fi
uuids=$(cut -d' ' -f1 "$list" 2>/dev/null | tr '\n' ' ')
if [ -z "$uuids" ]; then
    echo "kernel lane mdev: no seed-mdev instance in $list"
    exit 1
fi
[ -x "$check" ] || { echo "kernel lane mdev: $check is missing (seed-mdev/build.sh builds it on the host)"; exit 1; }
cat "$list"
# shellcheck disable=SC2086 # the UUIDs are words
"$check" old-abi $uuids || bad=1
"$check" display $uuids || bad=1
"$check" dump $uuids || bad=1
# Lifecycle: available_instances counts per type; an instance removed and created again; the module unloaded with
# its instances and loaded again (guest-setup.sh --reload rewrites the list), then the old-abi check once more. The
# kernel log below then covers the remove and exit paths too.
types=/sys/class/mdev_bus/seed_mdev/mdev_supported_types
display=${KERNEL_LANE_MDEV_DISPLAY:-}
life() { if [ "$1" = ok ]; then echo "ok   lifecycle: $2"; else echo "FAIL lifecycle: $2"; bad=1; fi; }
a1=$(cat "$types/seed_mdev-display/available_instances" 2>/dev/null)
[ "$a1" = 3 ] && life ok "display available_instances 3 with one instance" || life fail "display available_instances '$a1', want 3"
echo 1 > "/sys/bus/mdev/devices/$display/remove" 2>/dev/null
a2=$(cat "$types/seed_mdev-display/available_instances" 2>/dev/null)
echo "$display" > "$types/seed_mdev-display/create" 2>/dev/null
a3=$(cat "$types/seed_mdev-display/available_instances" 2>/dev/null)
[ "$a2" = 4 ] && [ "$a3" = 3 ] && [ -e "/sys/bus/mdev/devices/$display" ] &&
    life ok "display instance removed (available 4) and created again (3)" ||
    life fail "remove/create: available $a2 then $a3 (want 4, 3), instance $([ -e "/sys/bus/mdev/devices/$display" ] && echo present || echo missing)"
if sh VfioPS.Tests/KernelLane/seed-mdev/guest-setup.sh --reload; then
    life ok "rmmod with two instances, insmod and both created again"
    "$check" old-abi $(cut -d' ' -f1 "$list" | tr '\n' ' ') > /tmp/seed-mdev-reload.txt || bad=1
    tail -n 1 /tmp/seed-mdev-reload.txt
else
    life fail "guest-setup.sh --reload"
fi
# The kernel log: the module's own lines, and any warning, oops or lockup report. One whose trace names a function of
# the module (seed_...+0x...) fails the step; others are shown but are not the module's (the lane's earlier steps
# run in the same kernel).
dmesg > /tmp/seed-mdev-dmesg.txt
grep -E 'seed_mdev|WARNING:|BUG:|Oops|general protection|Call Trace|blocked for more than|seed_[a-z_]+\+0x' /tmp/seed-mdev-dmesg.txt
if grep -qE 'seed_[a-z_]+\+0x' /tmp/seed-mdev-dmesg.txt; then
    echo "kernel lane mdev: the kernel log shows a warning or oops in the module (above)"
    bad=1
fi
exit $bad
