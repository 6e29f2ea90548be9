#!/bin/sh
# guest-setup.sh - in the lane's guest (busybox sh): load seed_mdev.ko and create one instance of each type with the
# fixed UUIDs run-lane.sh passes, list them, then run COMMAND.
#
#   usage: guest-setup.sh [COMMAND [ARGS...]]   run-lane.sh runs every lane command through it
#          guest-setup.sh --reload               rmmod, insmod and create again (lane-check.sh); exit 0 if all worked
#
# Environment (set by run-lane.sh): KERNEL_LANE_SEED_MDEV (the .ko built for this kernel; unset: nothing to load),
# KERNEL_LANE_SEED_MDEV_FAILED (why the build failed), KERNEL_LANE_MDEV_DISPLAY and KERNEL_LANE_MDEV_CHAIN (the
# UUIDs), KERNEL_LANE_MDEV_DEVICES (the list: one line "<uuid> <mdev type> <parent> group=<n> /dev/vfio/<n>" per
# instance). A failure is printed and appended to "$KERNEL_LANE_MDEV_DEVICES.failed" for the suite's mdev step;
# COMMAND runs anyway. busybox insmod resolves no dependencies: mdev.ko comes from vfio-vm --modules.
list=${KERNEL_LANE_MDEV_DEVICES:-/tmp/seed-mdev-devices.txt}
bad=0
seed_fail() { echo "seed-mdev: FAILED: $*"; echo "$*" >> "$list.failed"; bad=1; }
seed_load() {
    : > "$list"
    t0=$(cut -d' ' -f1 /proc/uptime)
    insmod "$KERNEL_LANE_SEED_MDEV" || { seed_fail "insmod $KERNEL_LANE_SEED_MDEV"; return; }
    for t in "display $KERNEL_LANE_MDEV_DISPLAY" "chain $KERNEL_LANE_MDEV_CHAIN"; do
        type=${t%% *} uuid=${t#* }
        if echo "$uuid" > "/sys/class/mdev_bus/seed_mdev/mdev_supported_types/seed_mdev-$type/create"; then
            g=$(readlink "/sys/bus/mdev/devices/$uuid/iommu_group"); g=${g##*/}
            echo "$uuid seed_mdev-$type seed_mdev group=$g /dev/vfio/$g" >> "$list"
        else
            seed_fail "creating the $type instance $uuid"
        fi
    done
    echo "seed-mdev: $(grep -c . "$list") instances ($list), $(awk "BEGIN { printf \"%.2f\", $(cut -d' ' -f1 /proc/uptime) - $t0 }") s"
}

if [ "${1:-}" = --reload ]; then
    [ -n "${KERNEL_LANE_SEED_MDEV:-}" ] || { echo "seed-mdev: nothing to reload (KERNEL_LANE_SEED_MDEV unset)"; exit 1; }
    if [ -d /sys/module/seed_mdev ]; then rmmod seed_mdev || { seed_fail "rmmod seed_mdev"; exit 1; }; fi
    seed_load
    exit $bad
fi
: > "$list"    # empty where nothing is loaded: no instances
if [ -n "${KERNEL_LANE_SEED_MDEV:-}" ]; then
    seed_load
elif [ -n "${KERNEL_LANE_SEED_MDEV_FAILED:-}" ]; then
    seed_fail "$KERNEL_LANE_SEED_MDEV_FAILED"
fi
exec "$@"
