#!/bin/bash
# check_flip.sh - health checks (issue 4): how fast a check result reaches DNS on the same
# agent, and what 2,000 TCP checks at a 1 s interval cost. All the work is in check_flip.py
# (see its docstring); this wrapper picks the binary, the output directory and the CPUs.
#
#   part 1  FLIPS (100) switches of an HTTP check's server between 200 and 500, check every
#           FLIP_INTERVAL_MS (100); latency = DNS answer changed - the check's result (the
#           time the server finished the first answer of the new kind); p50/p99/max.
#           Bar (docs/design.md, "Quality bars"): under 100 ms. Exit status 1 when missed.
#   part 2  TCP_CHECKS (2000) services, each with a TCP check at 1 s against a listener of
#           its own, measured for LOAD_SECONDS (60): muster's CPU % (utime+stime from
#           /proc/PID/stat), RSS, accepts/s, and each check's drift off its 1 s grid.
#
# No network namespace and no dnsperf: everything is on 127.0.0.1 with free ports. muster
# runs on MUSTER_CPU (0), the helper on CLIENT_CPU (1) when the machine has two CPUs.
# usage: bench/check_flip.sh        env: MUSTER_BIN (build-bench/muster) BENCH_OUT FLIPS
#        FLIP_INTERVAL_MS TCP_CHECKS LOAD_SECONDS SKIP_FLIPS=1 SKIP_LOAD=1
# Report: $BENCH_OUT/check_flip.md (and check_flip.json, the agents' logs under flip/ load/)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
MUSTER_BIN="${MUSTER_BIN:-$REPO/build-bench/muster}"
[[ -x "$MUSTER_BIN" ]] || { echo "muster binary $MUSTER_BIN missing: meson setup build-bench -Dbuildtype=release && ninja -C build-bench muster" >&2; exit 1; }
BENCH_OUT="${BENCH_OUT:-/tmp/dnsbench-results/check-flip-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$BENCH_OUT"
cpus=()
if [[ $(nproc) -ge 2 ]]; then
    cpus=(--muster-cpu "${MUSTER_CPU:-0}" --client-cpu "${CLIENT_CPU:-1}")
fi
extra=()
[[ "${SKIP_FLIPS:-0}" == 1 ]] && extra+=(--skip-flips)
[[ "${SKIP_LOAD:-0}" == 1 ]] && extra+=(--skip-load)
# bounded: part 1 at most FLIPS * ~8 s in the worst case, part 2 LOAD_SECONDS + ~90 s
exec timeout --kill-after=10 "${CHECK_FLIP_TIMEOUT:-1800}" /usr/bin/python3 "$HERE/check_flip.py" \
    --muster "$MUSTER_BIN" --out "$BENCH_OUT" \
    --flips "${FLIPS:-100}" --interval "${FLIP_INTERVAL_MS:-100}" \
    --tcp-checks "${TCP_CHECKS:-2000}" --load-seconds "${LOAD_SECONDS:-60}" \
    "${cpus[@]}" "${extra[@]}"
