#!/bin/sh
# build.sh - build the seed-mdev module for one kernel and its userspace check, outside the source tree.
#
#   usage: build.sh [KVER]      (default: 6.1.0-56-amd64, the kernel the lane boots)
#
# Copies seed_mdev.c and Makefile to <repo>/output/seed-mdev/<KVER>/ and runs kbuild there against
# /usr/src/linux-headers-<KVER> (install-deps.sh installs them), so no build product lands in the source tree;
# builds seed_mdev_check (static, against the system's mainline <linux/vfio.h>) into <repo>/output/seed-mdev/bin/.
# Prints the module's path on success. Exit 3 when the headers for KVER are not installed (the check is built
# anyway); the compiler's exit code when a build fails.
set -eu
here=$(cd "$(dirname "$0")" && pwd -P)
repo=$(cd "$here/../../.." && pwd -P)
kver=${1:-6.1.0-56-amd64}
headers=/usr/src/linux-headers-$kver
bin=$repo/output/seed-mdev/bin
mkdir -p "$bin"
if [ ! -x "$bin/seed_mdev_check" ] || [ "$here/seed_mdev_check.c" -nt "$bin/seed_mdev_check" ]; then
    gcc -static -O2 -Wall -Wextra -Werror -o "$bin/seed_mdev_check" "$here/seed_mdev_check.c"
fi
if [ ! -f "$headers/Makefile" ]; then
    echo "seed-mdev: no kernel headers for $kver ($headers): run VfioPS.Tests/KernelLane/install-deps.sh" >&2
    exit 3
fi
out=$repo/output/seed-mdev/$kver
mkdir -p "$out"
# Copy only what changed; a module newer than its sources and the headers' symbols is current: skipping kbuild
# then saves its 1-2 s no-op on every lane run.
changed=0
for f in seed_mdev.c Makefile; do
    cmp -s "$here/$f" "$out/$f" || { cp "$here/$f" "$out/$f"; changed=1; }
done
ko=$out/seed_mdev.ko
if [ $changed = 1 ] || [ ! -f "$ko" ] || [ "$out/seed_mdev.c" -nt "$ko" ] || [ "$headers/Module.symvers" -nt "$ko" ]; then
    # kbuild's "Skipping BTF generation" note (the headers package has no vmlinux) is harmless: kept off stdout.
    make -s -C "$headers" M="$out" modules >&2
    # Without its debug info the module is a tenth of the size: less for the guest to read over 9p at every boot.
    strip --strip-debug "$ko"
fi
echo "$ko"
