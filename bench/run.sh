#!/bin/bash
# run.sh - benchmark muster against unbound, dnsmasq, Knot Resolver (kresd),
# pdns-recursor and nsd/knot with the shared harness, all scenarios in one
# results directory, then the summary table and the ratios vs the peers.
#
# usage: bench/run.sh [--quick] [extra options for the scen_*.sh scripts]
#   --quick              RUNS=1 DURATION=5 (smoke run)
# env:  SCENARIOS  scenarios to run, default "local cachehit miss-dot"
#                  (also: catalog, miss-udp, ceiling; catalog = bench/catalog.sh)
#       RUNS DURATION LAT_DURATION DNSPERF_LOAD MISS_N ...  (see the shared README)
#       SHARED_BENCH  shared harness (default <repo>/../shared/bench)
#       MUSTER_BIN    muster binary (default <repo>/build-bench/muster)
#       MUSTER_PORT   port muster listens on (default 5310)
#       PEERS_LOCAL PEERS_CACHEHIT PEERS_MISS PEERS_CATALOG  built-in peers per scenario
#                     (default: the harness defaults, see below); "-" = none
#       BENCH_OUT     results dir (default /tmp/dnsbench-results/muster-<ts>)
#       BACKGROUND_LOAD  a command loading the machine during the whole run, for every server
#                     alike, e.g. "stress-ng --cpu 2 --cpu-load 30"
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
SHARED_BENCH="${SHARED_BENCH:-$REPO/../shared/bench}"
export MUSTER_BIN="${MUSTER_BIN:-$REPO/build-bench/muster}"
MUSTER_PORT="${MUSTER_PORT:-5310}"
if [[ "${1:-}" == --quick ]]; then export RUNS=1 DURATION=5; shift; fi
export BENCH_OUT="${BENCH_OUT:-/tmp/dnsbench-results/muster-$(date +%Y%m%d-%H%M%S)}"
export MUSTER_CONF_DIR="${MUSTER_CONF_DIR:-${BENCH_ROOT:-/dev/shm/dnsbench}/run/muster}"
PEERS_LOCAL="${PEERS_LOCAL:-unbound,dnsmasq,kresd,pdns,nsd,knot}"
PEERS_CACHEHIT="${PEERS_CACHEHIT:-unbound,dnsmasq,kresd,pdns}"
PEERS_MISS="${PEERS_MISS:-unbound,kresd,pdns,pdns-dotpool}"      # dnsmasq has no DoT client
PEERS_MISS_UDP="${PEERS_MISS_UDP:-unbound,dnsmasq,kresd,pdns}"
PEERS_CATALOG="${PEERS_CATALOG:-unbound,knot}"

[[ -x "$SHARED_BENCH/scen_local.sh" ]] || { echo "shared harness not found at $SHARED_BENCH (set SHARED_BENCH)" >&2; exit 1; }
[[ -x "$MUSTER_BIN" ]] || { echo "muster binary $MUSTER_BIN missing: cd $REPO && meson setup build-bench -Dbuildtype=release && ninja -C build-bench muster" >&2; exit 1; }
command -v dnsperf >/dev/null || { echo "dnsperf missing: run $SHARED_BENCH/setup.sh (as root) once" >&2; exit 1; }
mkdir -p "$BENCH_OUT"

servers_opt() { if [[ "$1" == - ]]; then echo --no-builtin; else echo "--servers $1"; fi; }
target() {   # SCENARIO -> --target/--target-cmd arguments
    TARGET_ARGS=(--target "muster=127.0.0.1:$MUSTER_PORT" --target-cmd "$HERE/muster_target.sh $1 {PORT}")
}

{
    echo "muster: $MUSTER_BIN ($(stat -c '%y' "$MUSTER_BIN" 2>/dev/null | cut -d. -f1))"
    echo "muster version: $("$MUSTER_BIN" version 2>&1 | head -1)"
    echo "muster settings: dns_config.workers=${MUSTER_WORKERS:-1}, cache.size=${MUSTER_CACHE_SIZE:-100000}, log_level=${MUSTER_LOG_LEVEL:-warn}"
} > "$BENCH_OUT/muster.txt"

# BACKGROUND_LOAD: a command that loads the machine for the whole run, every server alike (issue
# 18: "a busy machine"), e.g. BACKGROUND_LOAD="stress-ng --cpu 2 --cpu-load 30" (apt-get install
# stress-ng). Started before the first scenario, stopped when run.sh exits.
if [[ -n "${BACKGROUND_LOAD:-}" ]]; then
    $BACKGROUND_LOAD > "$BENCH_OUT/background.log" 2>&1 &
    BG_LOAD_PID=$!
    trap 'kill "$BG_LOAD_PID" 2>/dev/null; wait "$BG_LOAD_PID" 2>/dev/null' EXIT
    echo "background load: $BACKGROUND_LOAD (pid $BG_LOAD_PID)" >> "$BENCH_OUT/muster.txt"
    sleep 1
    kill -0 "$BG_LOAD_PID" 2>/dev/null || { echo "BACKGROUND_LOAD failed: $(cat "$BENCH_OUT/background.log")" >&2; exit 1; }
fi

rc=0
for s in ${SCENARIOS:-local cachehit miss-dot}; do
    case $s in
        local)    target local;    "$SHARED_BENCH/scen_local.sh" $(servers_opt "$PEERS_LOCAL") "${TARGET_ARGS[@]}" "$@" || rc=1 ;;
        cachehit) target cachehit; "$SHARED_BENCH/scen_cachehit.sh" $(servers_opt "$PEERS_CACHEHIT") "${TARGET_ARGS[@]}" "$@" || rc=1 ;;
        miss-dot) target miss;     "$SHARED_BENCH/scen_miss.sh" --upstream dot $(servers_opt "$PEERS_MISS") "${TARGET_ARGS[@]}" "$@" || rc=1 ;;
        catalog)  target catalog;  "$HERE/catalog.sh" $(servers_opt "$PEERS_CATALOG") "${TARGET_ARGS[@]}" "$@" || rc=1 ;;
        miss-udp) target miss-udp; "$SHARED_BENCH/scen_miss.sh" --upstream udp $(servers_opt "$PEERS_MISS_UDP") "${TARGET_ARGS[@]}" "$@" || rc=1 ;;
        ceiling)  "$SHARED_BENCH/scen_ceiling.sh" "$@" || rc=1 ;;
        *) echo "unknown scenario $s" >&2; rc=1 ;;
    esac
done

"$SHARED_BENCH/summarize.py" "$BENCH_OUT" > "$BENCH_OUT/summary.md"
/usr/bin/python3 "$HERE/ratios.py" "$BENCH_OUT" > "$BENCH_OUT/ratios.md"
# muster's own output of every start is in $BENCH_OUT/muster-<scenario>.log
for f in "$BENCH_OUT"/muster-*.log; do
    [[ -f "$f" ]] || continue
    n=$(grep -vc '^===' "$f"); [[ $n -gt 0 ]] && echo "note: $f has $n line(s) of muster output (warnings/errors)" >&2
done
cat "$BENCH_OUT/summary.md" "$BENCH_OUT/ratios.md"
echo "results: $BENCH_OUT"
exit $rc
