#!/bin/bash
# run-fuzz.sh - coverage-guided fuzzing of VfioPS's parsers: SharpFuzz instrumentation + AFL++ (afl-fuzz).
#
# Builds VfioPS.Fuzz, copies its output to <out>/bin, instruments that copy of VfioPS.dll with the sharpfuzz tool
# (pinned in .config/dotnet-tools.json), then runs afl-fuzz once per target, one after the other, from the seed
# corpus VfioPS.Fuzz/corpus/<target>/ into <out>/findings/<target>/. Prints each target's executions, edges
# (bitmap coverage), crashes and hangs from afl's fuzzer_stats, and the closing line "fuzz: N passed, N failed"
# (one per target; failed = a crash, a hang, or afl-fuzz did not run the target).
#
#   usage: run-fuzz.sh [--total-seconds N | --seconds-per-target N] [--out DIR] [--no-build] [target...]
#          (default: --total-seconds 300 split evenly over the targets; every target unless some are named)
#
# AFL++ comes from Debian (package afl++); run as root without it, this script installs it (apt-get, only what is
# missing). A crash or hang input is in <out>/findings/<target>/default/{crashes,hangs}/: copy it to
# VfioPS.Fuzz/regressions/<target>/ and the xunit test FuzzCorpusReplayTests replays it from then on.
set -u -o pipefail

PROG=run-fuzz
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd "$HERE/.." && pwd -P)
TOTAL=300
PER=""
OUT="$REPO/output/fuzz"
BUILD=1
TARGETS=()

say() { echo "$PROG: $*"; }
die() { echo "$PROG: error: $*" >&2; echo "fuzz: 0 passed, 1 failed ($*)"; exit 1; }

while [ $# -gt 0 ]; do
  case $1 in
    --total-seconds) TOTAL=${2:?}; PER=""; shift 2;;
    --seconds-per-target) PER=${2:?}; shift 2;;
    --out) OUT=${2:?}; shift 2;;
    --no-build) BUILD=0; shift;;
    -h|--help) sed -n '2,16s/^# \{0,1\}//p' "$0"; exit 0;;
    -*) echo "$PROG: unknown option '$1'" >&2; exit 2;;
    *) TARGETS+=("$1"); shift;;
  esac
done
case ${PER:-$TOTAL} in ''|*[!0-9]*) echo "$PROG: the seconds must be a whole number" >&2; exit 2;; esac

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# --- AFL++ -------------------------------------------------------------------------------------------------------
if ! command -v afl-fuzz >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "afl-fuzz is missing; installing Debian's afl++"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends afl++ >/dev/null 2>&1 \
      || { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends afl++ >/dev/null; } \
      || die "apt-get could not install afl++"
  fi
  command -v afl-fuzz >/dev/null 2>&1 || die "afl-fuzz (AFL++) is not installed: apt-get install afl++ (as root)"
fi

# --- build and instrument ----------------------------------------------------------------------------------------
BIN="$OUT/bin"
mkdir -p "$OUT" || die "cannot create $OUT"
if [ $BUILD = 1 ]; then
  say "building VfioPS.Fuzz (Release)"
  dotnet build "$HERE/VfioPS.Fuzz.csproj" -c Release -nologo -v quiet >"$OUT.build.log" 2>&1 \
    || { cat "$OUT.build.log" >&2; die "dotnet build of VfioPS.Fuzz failed"; }
  (cd "$REPO" && dotnet tool restore >/dev/null) || die "dotnet tool restore failed"
  rm -rf "$BIN"; mkdir -p "$BIN"
  cp -r "$HERE/bin/Release/net10.0/." "$BIN/" || die "copying the build to $BIN failed"
  # Only VfioPS.dll is instrumented: the parsers' coverage, not the runtime's or SharpFuzz's own.
  (cd "$REPO" && dotnet sharpfuzz "$BIN/VfioPS.dll") || die "sharpfuzz could not instrument $BIN/VfioPS.dll"
fi
[ -f "$BIN/VfioPS.Fuzz.dll" ] || die "no build at $BIN (run without --no-build)"

ALL=$(dotnet "$BIN/VfioPS.Fuzz.dll" --list | cut -f1) || die "VfioPS.Fuzz --list failed"
[ ${#TARGETS[@]} -gt 0 ] || read -r -a TARGETS <<<"$(echo $ALL)"
for t in "${TARGETS[@]}"; do grep -qx "$t" <<<"$ALL" || die "unknown target '$t' (targets: $(echo $ALL))"; done
[ -n "$PER" ] || PER=$(( TOTAL / ${#TARGETS[@]} ))
[ "$PER" -ge 5 ] || die "$PER s per target is too short for afl-fuzz to start (at least 5)"
say "${#TARGETS[@]} target(s), ${PER}s each"

# --- fuzz ------------------------------------------------------------------------------------------------------
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_SKIP_BIN_CHECK=1 \
  AFL_NO_AFFINITY=1 AFL_QUIET=1
passed=0 failed=0
stat() { sed -n "s/^$1 *: *//p" "$2"; }
printf '%-16s %10s %9s %8s %8s %7s %6s  %s\n' target seconds execs exec/s edges bitmap crash hangs
for t in "${TARGETS[@]}"; do
  findings="$OUT/findings/$t"
  rm -rf "$findings"; mkdir -p "$findings"
  # -t: a single input taking over 2 s is a hang (the parsers take microseconds); -V stops after PER seconds;
  # timeout is the guard should afl itself stick.
  timeout --kill-after=10 $((PER + 120)) afl-fuzz -V "$PER" -t 2000 -m none -i "$HERE/corpus/$t" -o "$findings" \
    -- dotnet "$BIN/VfioPS.Fuzz.dll" "$t" >"$findings.log" 2>&1
  rc=$?
  stats="$findings/default/fuzzer_stats"
  if [ ! -f "$stats" ]; then
    say "$t: afl-fuzz did not run the target (exit $rc); the end of its log ($findings.log):"
    tail -n 15 "$findings.log" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g'
    failed=$((failed + 1)); continue
  fi
  crashes=$(stat saved_crashes "$stats"); hangs=$(stat saved_hangs "$stats")
  printf '%-16s %10s %9s %8s %8s %7s %6s %6s\n' "$t" "$(stat run_time "$stats")" "$(stat execs_done "$stats")" \
    "$(stat execs_per_sec "$stats" | cut -d. -f1)" "$(stat edges_found "$stats")" "$(stat bitmap_cvg "$stats")" "$crashes" "$hangs"
  if [ "${crashes:-1}" != 0 ] || [ "${hangs:-1}" != 0 ]; then
    say "$t: crash/hang inputs in $findings/default/crashes and hangs (replay: dotnet $BIN/VfioPS.Fuzz.dll $t <file>)"
    failed=$((failed + 1))
  else
    passed=$((passed + 1))
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ $failed = 0 ]
