#!/bin/sh
# lane-check.sh - the kernel lane's "mdev" step (suite.sh), in the guest: the seed-mdev instances that run-lane.sh
# created, seen by seed_mdev_check as a binary built against the mainline <linux/vfio.h>:
#   old-abi: every IRQ index with argsz 16, nothing written past byte 16 ("kernel lane old-abi: N passed, M failed");
#   display: index 5's eventfd, loopback, raise_display_irq and the vblank timer ("kernel lane mdev-irq: ...");
#   dump:    index 5's GET_IRQ_INFO bytes at argsz 16, 20, 24 and the size needed, for the record;
# then the kernel log: no warning, oops or BUG while the module was loaded. POSIX sh (busybox).
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
# The module's own messages and anything alarming the kernel logged (a WARN/oops in the module shows its name).
if dmesg | grep -E 'WARNING:|BUG:|Oops|general protection|Call Trace|seed_mdev' > /tmp/seed-mdev-dmesg.txt; then
    cat /tmp/seed-mdev-dmesg.txt
    if grep -qE 'WARNING:|BUG:|Oops|general protection|Call Trace' /tmp/seed-mdev-dmesg.txt; then
        echo "kernel lane mdev: the kernel log shows a warning or oops (above)"
        bad=1
    fi
fi
exit $bad
