#!/bin/bash
# install-deps.sh - install the Debian packages the VfioPS kernel lane needs (Debian 12, as root).
#
# Idempotent and non-interactive: installs only what is missing (--no-install-recommends), runs
# `apt-get update` only when apt has no candidate for something it must install or download, and says
# what it did. The guest kernel and busybox-static are NOT installed: vfio-vm downloads them with
# `apt-get download` into its cache; this script only makes sure apt can find them when the cache
# (${VFIO_VM_CACHE:-~/.cache/vfio-vm}) does not have them yet. The kernel is the one VFIO_VM_KERNEL_PKG names
# (vfio-vm --print-kernel): run-lane.sh calls this script once per kernel it boots, with that kernel's package.
#
#   usage: install-deps.sh [--check]      (--check: report what is missing, install nothing; exit 1 if any)
set -u -o pipefail

PROG=install-deps
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
CHECK=0
case ${1:-} in
  --check) CHECK=1;;
  "") ;;
  -h|--help) sed -n '2,11s/^# \{0,1\}//p' "$0"; exit 0;;
  *) echo "$PROG: unknown argument '$1'" >&2; exit 2;;
esac

# What vfio-vm checks for (see its "host tools" section and README.md):
#   qemu-system-x86 (qemu-system-x86_64 with virtio-9p-pci + intel-iommu; pulls in qemu-system-data,
#   seabios, ipxe-qemu), xz-utils (kernel payload), apt + dpkg + tar (fetch/unpack the debs), gzip,
#   coreutils (timeout, mktemp, md5sum), util-linux (flock), grep (-P), sed, findutils; for a 6.1 kernel also what
#   builds the seed-mdev module (below).
PACKAGES=(qemu-system-x86 xz-utils apt dpkg tar gzip coreutils util-linux grep sed findutils)

say() { echo "$PROG: $*"; }
die() { echo "$PROG: error: $*" >&2; exit 1; }

[ -r /etc/debian_version ] || die "not a Debian system (no /etc/debian_version)"
installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }
has_candidate() { local c; c=$(apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p'); [ -n "$c" ] && [ "$c" != "(none)" ]; }

KPKG=$("$HERE/vfio-vm" --print-kernel 2>/dev/null) || KPKG=""
# The seed-mdev reference module (seed-mdev/build.sh) is built on this machine for the 6.1 kernel the lane boots:
# that kernel's headers (which pull in its kbuild and gcc-12), make, and libc6-dev + linux-libc-dev for the static
# userspace check built against the mainline <linux/vfio.h>. Other kernels run the lane without the module.
case ${KPKG#linux-image-} in
  6.1.*) PACKAGES+=(gcc make libc6-dev linux-libc-dev "linux-headers-${KPKG#linux-image-}");;
esac

MISSING=()
for p in "${PACKAGES[@]}"; do installed "$p" || MISSING+=("$p"); done

# packages vfio-vm will `apt-get download` because its cache lacks them
CACHE=${VFIO_VM_CACHE:-${HOME:-/root}/.cache/vfio-vm}
DOWNLOADS=()
if [ -n "$KPKG" ] && [ ! -s "$CACHE/kernels/${KPKG#linux-image-}/vmlinuz" ] &&
   ! ls "$CACHE"/debs/"$KPKG"_*.deb >/dev/null 2>&1; then DOWNLOADS+=("$KPKG"); fi
[ -x "$CACHE/busybox" ] || ls "$CACHE"/debs/busybox-static_*.deb >/dev/null 2>&1 || DOWNLOADS+=(busybox-static)

if [ $CHECK = 1 ]; then
  say "missing packages: ${MISSING[*]:-none}; to be downloaded by vfio-vm: ${DOWNLOADS[*]:-none}"
  [ ${#MISSING[@]} -eq 0 ]; exit
fi
if [ ${#MISSING[@]} -eq 0 ] && [ ${#DOWNLOADS[@]} -eq 0 ]; then
  say "nothing to install: ${PACKAGES[*]} present; ${KPKG:-kernel} and busybox cached"
  exit 0
fi
[ "$(id -u)" = 0 ] || die "missing: ${MISSING[*]:-none}, downloads: ${DOWNLOADS[*]:-none} - run as root"

export DEBIAN_FRONTEND=noninteractive
need_update=0
for p in ${MISSING[@]+"${MISSING[@]}"} ${DOWNLOADS[@]+"${DOWNLOADS[@]}"}; do
  has_candidate "$p" || { need_update=1; break; }
done
if [ $need_update = 1 ]; then
  say "apt-get update (apt has no candidate for some of: ${MISSING[*]} ${DOWNLOADS[*]})"
  apt-get update -q=2 || die "apt-get update failed"
  for p in ${MISSING[@]+"${MISSING[@]}"} ${DOWNLOADS[@]+"${DOWNLOADS[@]}"}; do
    has_candidate "$p" && continue
    case $p in
      linux-image-*) die "apt has no $p after apt-get update (not in this machine's apt sources any more?); set VFIO_VM_KERNEL_PKG to one of: $(apt-cache search --names-only '^linux-image-[0-9.]+(-[0-9]+|[+]deb[0-9]+)-amd64$' | cut -d' ' -f1 | sort -V | tail -3 | tr '\n' ' ')";;
      *) die "apt has no candidate for $p after apt-get update (check /etc/apt/sources.list*)";;
    esac
  done
fi

if [ ${#MISSING[@]} -gt 0 ]; then
  say "installing: ${MISSING[*]}"
  before=$(dpkg-query -W -f='${db:Status-Status} ${Package}\n' 2>/dev/null | sed -n 's/^installed //p' | sort)
  apt-get install -y -q=2 --no-install-recommends -o Dpkg::Use-Pty=0 "${MISSING[@]}" >/dev/null \
    2> >(grep -v '^debconf: delaying package configuration' >&2) || die "apt-get install ${MISSING[*]} failed"
  after=$(dpkg-query -W -f='${db:Status-Status} ${Package}\n' 2>/dev/null | sed -n 's/^installed //p' | sort)
  for p in "${MISSING[@]}"; do installed "$p" || die "$p is still not installed"; done
  new=$(comm -13 <(echo "$before") <(echo "$after") | tr '\n' ' ')
  say "installed ${MISSING[*]} ($(wc -w <<<"$new") packages in all: $new)"
else
  say "all packages present: ${PACKAGES[*]}"
fi
[ ${#DOWNLOADS[@]} -eq 0 ] || say "apt can fetch ${DOWNLOADS[*]} (vfio-vm downloads them into $CACHE on its first run)"
exit 0
