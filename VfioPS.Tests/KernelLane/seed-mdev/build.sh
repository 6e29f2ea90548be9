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
# Copy only what changed: kbuild then has nothing to rebuild.
for f in seed_mdev.c Makefile; do
    cmp -s "$here/$f" "$out/$f" || cp "$here/$f" "$out/$f"
done
# kbuild's "Skipping BTF generation" note (the headers package has no vmlinux) is not a problem: kept off stdout.
make -s -C "$headers" M="$out" modules >&2
echo "$out/seed_mdev.ko"
