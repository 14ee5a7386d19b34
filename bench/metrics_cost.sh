#!/bin/bash
# metrics_cost.sh - what the metrics cost per query: muster against a build of an earlier
# commit (BASE_REV, default the last commit before the metrics), both as targets of the
# shared harness in the same run, on cache hits, local data and catalog answers; ratios.py
# prints muster / muster-base in q/s per server CPU-second (bar: >= 0.97).
#
# usage: bench/metrics_cost.sh [--quick]
# env:   BASE_REV (default d9cd739)  BASE_BIN (a built binary instead of building BASE_REV)
#        MUSTER_BIN (default build-bench/muster)  SCENARIOS (default "cachehit local catalog")
#        RUNS DURATION ... as for run.sh; BENCH_OUT
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
SHARED_BENCH="${SHARED_BENCH:-$REPO/../shared/bench}"
export MUSTER_BIN="${MUSTER_BIN:-$REPO/build-bench/muster}"
BASE_REV="${BASE_REV:-d9cd739}"
if [[ "${1:-}" == --quick ]]; then export RUNS=1 DURATION=5; shift; fi
export BENCH_OUT="${BENCH_OUT:-/tmp/dnsbench-results/metrics-cost-$(date +%Y%m%d-%H%M%S)}"
export MUSTER_CONF_DIR="${MUSTER_CONF_DIR:-${BENCH_ROOT:-/dev/shm/dnsbench}/run/muster}"
[[ -x "$SHARED_BENCH/scen_local.sh" ]] || { echo "shared harness not found at $SHARED_BENCH" >&2; exit 1; }
[[ -x "$MUSTER_BIN" ]] || { echo "muster binary $MUSTER_BIN missing: meson setup build-bench -Dbuildtype=release && ninja -C build-bench muster" >&2; exit 1; }
command -v dnsperf >/dev/null || { echo "dnsperf missing: run $SHARED_BENCH/setup.sh (as root) once" >&2; exit 1; }

if [[ -z "${BASE_BIN:-}" ]]; then
    src="${TMPDIR:-/tmp}/muster-base-$BASE_REV"
    if [[ ! -d "$src" ]]; then
        git -C "$REPO" worktree add --detach "$src" "$BASE_REV" >/dev/null || exit 1
    fi
    if [[ ! -x "$src/build/muster" ]]; then
        meson setup "$src/build" "$src" -Dbuildtype=release >/dev/null && ninja -C "$src/build" muster >/dev/null ||
            { echo "building $BASE_REV failed" >&2; exit 1; }
    fi
    BASE_BIN="$src/build/muster"
fi
mkdir -p "$BENCH_OUT"
echo "muster: $MUSTER_BIN; muster-base: $BASE_BIN ($BASE_REV)" > "$BENCH_OUT/muster.txt"

targets() {   # SCENARIO -> both targets, one after the other in every round
    TARGET_ARGS=(--no-builtin
        --target "muster=127.0.0.1:5310" --target-cmd "$HERE/muster_target.sh $1 {PORT}"
        --target "muster-base=127.0.0.1:5312" --target-cmd "env MUSTER_BIN=$BASE_BIN $HERE/muster_target.sh $1 {PORT}")
}
rc=0
for s in ${SCENARIOS:-cachehit local catalog}; do
    targets "$s"
    case $s in
        cachehit) "$SHARED_BENCH/scen_cachehit.sh" "${TARGET_ARGS[@]}" "$@" || rc=1 ;;
        local)    "$SHARED_BENCH/scen_local.sh" "${TARGET_ARGS[@]}" "$@" || rc=1 ;;
        catalog)  CAT_LOAD_TARGETS="muster muster-base" CAT_LAT_BIG=0 "$HERE/catalog.sh" "${TARGET_ARGS[@]}" "$@" || rc=1 ;;
        *) echo "unknown scenario $s" >&2; rc=1 ;;
    esac
done
/usr/bin/python3 "$HERE/ratios.py" "$BENCH_OUT" > "$BENCH_OUT/ratios.md"
cat "$BENCH_OUT/ratios.md"
echo "results: $BENCH_OUT"
exit $rc
