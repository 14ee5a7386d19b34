#!/bin/bash
# catalog_rss.sh - memory of a muster agent with a large catalog.
#
# Starts muster (one worker, config from gen_config.py "catalog", its data_dir
# on tmpfs under $BENCH_ROOT) in the bench network namespace, pinned to
# SERVER_CPU, and records VmRSS/VmHWM (from /proc/PID/status) and the size of
# the LMDB file (data_dir/catalog.mdb) at these points:
#   started     the agent is up, the catalog holds only the agent's own node
#   registered  after CAT_RSS_SERVICES services (default 10,000), one instance
#               each on its own node, were registered by catalog_load.py
#               (PUT /v1/catalog/register, verified with /v1/catalog/services)
#   queried     after one pass of A queries over every service name (DNS reads
#               the catalog: the LMDB pages it touches count in RSS too)
#   settled     CAT_RSS_SETTLE seconds (default 5) later
# The LMDB size is given as the file's length (st_size) and as the space it
# takes (st_blocks * 512; it is a sparse file on tmpfs).
#
# usage: bench/catalog_rss.sh      env: MUSTER_BIN SHARED_BENCH BENCH_OUT
#        CAT_RSS_SERVICES (10000) CAT_RSS_INSTANCES (1) MUSTER_HTTP_PORT (5382)
#        RSS_PORT (DNS port, 5312)
# Report: $BENCH_OUT/catalog_rss.md
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
SHARED_BENCH="${SHARED_BENCH:-$REPO/../shared/bench}"
MUSTER_BIN="${MUSTER_BIN:-$REPO/build-bench/muster}"
SERVICES="${CAT_RSS_SERVICES:-10000}"
INSTANCES="${CAT_RSS_INSTANCES:-1}"
SETTLE="${CAT_RSS_SETTLE:-5}"
PORT="${RSS_PORT:-5312}"
export MUSTER_HTTP_PORT="${MUSTER_HTTP_PORT:-5382}"
[[ -x "$MUSTER_BIN" ]] || { echo "muster binary $MUSTER_BIN missing (see bench/README.md)" >&2; exit 1; }
BENCH_OUT="${BENCH_OUT:-/tmp/dnsbench-results/catalog-rss-$(date +%Y%m%d-%H%M%S)}"
# shellcheck source=/dev/null
source "$SHARED_BENCH/lib.sh"
command -v dnsperf >/dev/null || die "dnsperf missing: run $SHARED_BENCH/setup.sh"
ensure_netns
ensure_data
mkdir -p "$BENCH_OUT"
trap 'stop_all' EXIT
trap 'exit 130' INT TERM

W="$BENCH_ROOT/run/catalog-rss"; rm -rf "$W"; mkdir -p "$W"
REPORT="$BENCH_OUT/catalog_rss.md"
conf="$W/muster-catalog.json"
BENCH_DATA=$BENCH_DATA "$HERE/gen_config.py" catalog "$PORT" "$conf" > "$W/gen_config.out" || die "config generation failed"
DATA_DIR=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['data_dir'])" "$conf")
python3 "$HERE/catalog_data.py" "$W/data" --services "$SERVICES" --instances "$INSTANCES" --no-big ||
    die "catalog_data.py failed"

start_bg "rss-muster" "$SERVER_CPU" "$MUSTER_BIN" agent --config-file "$conf"
LAUNCHER=$LAST_PID
wait_dns "127.0.0.1:$PORT" internal SOA || die "muster did not answer (see $BENCH_ROOT/run/rss-muster.log)"
# the muster process itself (start_bg's pid is the netns/taskset launcher chain)
MPID=""
for p in $(proc_tree "$LAUNCHER"); do
    [[ "$(readlink -f /proc/$p/exe 2>/dev/null)" == "$(readlink -f "$MUSTER_BIN")" ]] && { MPID=$p; break; }
done
[[ -n "$MPID" ]] || die "cannot find the muster process under pid $LAUNCHER"

ROWS=()
snap() {   # LABEL
    local rss hwm size blocks
    rss=$(awk '/^VmRSS:/{print $2}' /proc/"$MPID"/status)
    hwm=$(awk '/^VmHWM:/{print $2}' /proc/"$MPID"/status)
    size=$(stat -c %s "$DATA_DIR/catalog.mdb" 2>/dev/null || echo 0)
    blocks=$(stat -c %b "$DATA_DIR/catalog.mdb" 2>/dev/null || echo 0)
    ROWS+=("| $1 | $(awk -v k="$rss" 'BEGIN{printf "%.1f", k/1024}') | $(awk -v k="$hwm" 'BEGIN{printf "%.1f", k/1024}') | $(awk -v b="$size" 'BEGIN{printf "%.2f", b/1048576}') | $(awk -v b="$blocks" 'BEGIN{printf "%.2f", b*512/1048576}') |")
    log "$1: VmRSS $rss kB, VmHWM $hwm kB, catalog.mdb $size bytes ($((blocks * 512)) allocated)"
}
snap started
t0=$(date +%s.%N)
ns_exec taskset -c "$CLIENT_CPU" python3 "$HERE/catalog_load.py" "127.0.0.1:$MUSTER_HTTP_PORT" --no-big \
    --services "$SERVICES" --instances "$INSTANCES" --parallel "${CAT_LOAD_PARALLEL:-4}" > "$W/load.out" 2>&1 ||
    { cat "$W/load.out" >&2; die "loading the catalog failed"; }
LOADLINE=$(tail -1 "$W/load.out"); log "$LOADLINE"
snap registered
ns_exec taskset -c "$CLIENT_CPU" dnsperf -s 127.0.0.1 -p "$PORT" -d "$W/data/q_catalog_a.txt" -n 1 -c 1 -q 50 \
    -Q 20000 -t 2 > "$W/dnsperf.out" 2>&1
QLINE="$(awk '/Queries completed:/{c=$3} /Response codes:/{sub(/.*Response codes: */,""); r=$0} END{print c " answered, " r}' "$W/dnsperf.out")"
snap queried
sleep "$SETTLE"
snap "settled (${SETTLE}s later)"
stop_bg "rss-muster"

{
    echo "## muster memory with $SERVICES services x $INSTANCES instance(s) ($(date -Is))"
    echo
    echo "muster $MUSTER_BIN, 1 worker, data_dir $DATA_DIR (tmpfs); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "| point | VmRSS MiB | VmHWM MiB | catalog.mdb size MiB | catalog.mdb allocated MiB |"
    echo "|---|---|---|---|---|"
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "- registration: $LOADLINE"
    echo "- query pass (every service A once): $QLINE"
} | tee "$REPORT"
log "report: $REPORT"
