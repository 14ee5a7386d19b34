#!/bin/bash
# alloc_check.sh - show whether muster allocates on the heap per query.
#
# Runs muster (one worker) under an LD_PRELOAD malloc counter (malloc_count.c)
# inside the bench network namespace, warms it up, then sends N queries and
# 10xN queries with dnsperf and prints how many allocations each batch caused.
# If the hit path does not allocate, both batches show ~0 allocations (and the
# count does not grow with N).  An idle window of the same length is measured
# too, so timer/background allocations can be told apart from per-query ones.
#
# usage: bench/alloc_check.sh [cachehit|local|catalog-a|catalog-srv|miss-dot]...
#                              (default: the first four)
#   miss-dot: cache hits on names of the DoT upstream, and a control batch of misses over DoT
#   catalog-a / catalog-srv: the catalog of bench/catalog.sh (1,000 services x 3
#   instances, registered through the HTTP API by catalog_load.py after muster
#   starts), queried as <svc>.service.internal A, resp. SRV, over all services
# env:   MUSTER_BIN (default build-bench/muster)  SHARED_BENCH  N (default 10000)
#        ALLOC_QPS (paced dnsperf rate, default 20000)  ALLOC_BT=K: if the
#        per-query count is > 0, record K allocation backtraces and resolve them
#        to file:line with addr2line (needs a binary with debug info, see README)
#        ALLOC_CONTROL_BT=K: the same for the control batch of cache misses
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
SHARED_BENCH="${SHARED_BENCH:-$REPO/../shared/bench}"
MUSTER_BIN="${MUSTER_BIN:-$REPO/build-bench/muster}"
N="${N:-10000}"
ALLOC_QPS="${ALLOC_QPS:-20000}"
ALLOC_BT="${ALLOC_BT:-0}"
ALLOC_CONTROL_BT="${ALLOC_CONTROL_BT:-0}"
PORT="${ALLOC_PORT:-5311}"
export MUSTER_HTTP_PORT="${ALLOC_HTTP_PORT:-5381}"   # gen_config.py: muster's HTTP API
[[ -x "$MUSTER_BIN" ]] || { echo "muster binary $MUSTER_BIN missing (see bench/README.md)" >&2; exit 1; }
BENCH_OUT="${BENCH_OUT:-/tmp/dnsbench-results/alloc-$(date +%Y%m%d-%H%M%S)}"
# shellcheck source=/dev/null
source "$SHARED_BENCH/lib.sh"
command -v dnsperf >/dev/null || die "dnsperf missing: run $SHARED_BENCH/setup.sh"
ensure_netns
ensure_data
mkdir -p "$BENCH_OUT"
trap 'stop_all' EXIT
trap 'exit 130' INT TERM

W="$BENCH_ROOT/run/alloc"; mkdir -p "$W"
SHIM="$W/malloc_count.so"
cc -O2 -shared -fPIC -o "$SHIM" "$HERE/malloc_count.c" || die "cannot build the malloc shim"
REPORT="$BENCH_OUT/alloc_check.md"

counters() {   # FILE -> "allocs frees bytes" (allocs = malloc+calloc+realloc+aligned)
    python3 - "$1" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read(64)
magic, m, c, r, f, b, armed, bt = struct.unpack("<QQQQQQqQ", d)
print(m + c + r, f, b)
EOF
}
arm_bt() {   # FILE K: backtrace the next K allocations
    python3 - "$1" "$2" <<'EOF'
import mmap, struct, sys
with open(sys.argv[1], "r+b") as fh:
    mm = mmap.mmap(fh.fileno(), 64)
    mm[48:56] = struct.pack("<q", int(sys.argv[2]))
    mm.close()
EOF
}

# send QFILE PASSES -> prints "completed noerror_or_rcodes"
send() {
    local out="$W/dnsperf.out"
    ns_exec taskset -c "$CLIENT_CPU" dnsperf -s 127.0.0.1 -p "$PORT" -d "$1" -n "$2" -c 8 -T 1 -q 100 \
        -Q "$ALLOC_QPS" -t 2 > "$out" 2>&1
    local done rc
    done=$(awk '/Queries completed:/{print $3}' "$out")
    rc=$(sed -n 's/.*Response codes: *//p' "$out" | tr -d ' ')
    echo "${done:-0} ${rc:-?}"
}

check() {
    local scen=$1 qfile probe conf="$W/muster-$1.json" cf="$W/counters-$1.bin" cscen=$1 catalog=0
    case $scen in
        cachehit) qfile=$BENCH_DATA/q_hit.txt; probe=h1.bench.test; start_upstream_nsd ;;
        local)    qfile=$BENCH_DATA/q_local_mixed.txt; probe=h1.svc.test; start_upstream_nsd ;;
        catalog-a|catalog-srv)
            catalog=1; cscen=catalog; probe=s0.service.internal; start_upstream_nsd
            local cdata="$BENCH_ROOT/data/catalog"
            python3 "$HERE/catalog_data.py" "$cdata" || die "catalog_data.py failed"
            qfile=$cdata/q_catalog_a.txt; [[ $scen == catalog-srv ]] && qfile=$cdata/q_catalog_srv.txt ;;
        miss-dot) # the control batch goes over DoT to the harness's Unbound; the N and 10xN
                  # batches are cache hits on names it answered once
            cscen=miss; probe=warmup.miss.bench.test; start_upstream_dot
            qfile=$W/q_dot_hits.txt; make_unique_qfile "$qfile" 1000 "dothit" ;;
        *) die "unknown scenario $scen" ;;
    esac
    local nq; nq=$(wc -l < "$qfile")
    local passes1=$(( (N + nq - 1) / nq )) passes10
    passes10=$(( passes1 * 10 ))
    BENCH_DATA=$BENCH_DATA BENCH_UPSTREAM_UDP=127.0.0.1:$P_NSD_UP BENCH_UPSTREAM_DOT=127.0.0.1:$P_DOT_UP \
        BENCH_DOT_NAME=$DOT_NAME BENCH_DOT_CA=$BENCH_CERTS/ca.pem "$HERE/gen_config.py" "$cscen" "$PORT" "$conf" \
        > /dev/null || die "config generation failed"
    local btf="$W/backtraces-$scen.txt"; rm -f "$btf"
    start_bg "alloc-muster" "$SERVER_CPU" env LD_PRELOAD="$SHIM" MALLOC_COUNT_FILE="$cf" MALLOC_COUNT_BT="$btf" \
        "$MUSTER_BIN" agent --config-file "$conf"
    if [[ $catalog == 1 ]]; then   # register the services (and check them) before anything is counted
        ns_exec taskset -c "$CLIENT_CPU" python3 "$HERE/catalog_load.py" "127.0.0.1:$MUSTER_HTTP_PORT" \
            > "$W/catalog_load.out" 2>&1 || { cat "$W/catalog_load.out" >&2; die "loading the catalog failed"; }
        log "$scen: $(tail -1 "$W/catalog_load.out")"
    fi
    wait_dns "127.0.0.1:$PORT" "$probe" A || die "muster did not answer (see $BENCH_ROOT/run/alloc-muster.log)"
    # warm-up: fill the cache (every name once) and let pools reach their steady size
    log "$scen: warm-up (2 passes over $nq names)"
    send "$qfile" 2 >/dev/null
    sleep 1
    local a0 a1 a2 a3 f0 f1 f2 f3 b0 b1 b2 b3 r1 r10 idle_s
    read -r a0 f0 b0 < <(counters "$cf")
    local t0; t0=$(date +%s.%N)
    read -r c1 rc1 < <(send "$qfile" "$passes1")
    local t1; t1=$(date +%s.%N)
    read -r a1 f1 b1 < <(counters "$cf")
    read -r c10 rc10 < <(send "$qfile" "$passes10")
    read -r a2 f2 b2 < <(counters "$cf")
    # idle window as long as the N-query batch: background (timer) allocations
    idle_s=$(python3 -c "print(max(1.0, $t1 - $t0))")
    sleep "$idle_s"
    read -r a3 f3 b3 < <(counters "$cf")
    # control: N never-seen names (cache misses, forwarded to nsd) must show up in
    # the counter, which proves it is live inside the muster process
    local cq="$W/q_control.txt" c_ctl rc_ctl a4 f4 b4
    make_unique_qfile "$cq" "$N" "ac$(date +%s%N | tail -c 7)"
    read -r c_ctl rc_ctl < <(send "$cq" 1)
    read -r a4 f4 b4 < <(counters "$cf")
    if [[ "$ALLOC_CONTROL_BT" -gt 0 ]]; then   # where the miss path allocates
        make_unique_qfile "$cq" 2000 "acb$(date +%s%N | tail -c 7)"
        : > "$btf"
        arm_bt "$cf" "$ALLOC_CONTROL_BT"
        send "$cq" 1 >/dev/null
        arm_bt "$cf" 0
        cp "$btf" "$W/backtraces-$scen-miss.txt"
    fi
    local per1 per10
    per1=$(python3 -c "print(f'{($a1-$a0)/max(1,$c1):.4f}')")
    per10=$(python3 -c "print(f'{($a2-$a1)/max(1,$c10):.4f}')")
    {
        echo "### $scen ($(basename "$qfile"), muster $(basename "$MUSTER_BIN"), 1 worker)"
        echo
        echo "| batch | queries answered | rcodes | allocations | frees | bytes allocated | allocs/query |"
        echo "|---|---|---|---|---|---|---|"
        echo "| N | $c1 | $rc1 | $((a1 - a0)) | $((f1 - f0)) | $((b1 - b0)) | $per1 |"
        echo "| 10xN | $c10 | $rc10 | $((a2 - a1)) | $((f2 - f1)) | $((b2 - b1)) | $per10 |"
        echo "| idle ${idle_s%.*}s | 0 | - | $((a3 - a2)) | $((f3 - f2)) | $((b3 - b2)) | - |"
        echo "| control: N cache misses (unique names, forwarded over $([[ $scen == miss-dot ]] && echo DoT || echo UDP)) | $c_ctl | $rc_ctl | $((a4 - a3)) | $((f4 - f3)) | $((b4 - b3)) | $(python3 -c "print(f'{($a4-$a3)/max(1,$c_ctl):.2f}')") |"
        echo
        echo "total allocations since start: $a3 (warm-up and config load included)"
        echo
    } | tee -a "$REPORT"
    if [[ "$ALLOC_CONTROL_BT" -gt 0 ]]; then
        echo "#### $scen: where the control (cache-miss) batch allocates" | tee -a "$REPORT"
        resolve_bt "$W/backtraces-$scen-miss.txt" | tee -a "$REPORT"
    fi
    if [[ "$ALLOC_BT" -gt 0 ]] && python3 -c "import sys; sys.exit(0 if $per10 > 0.001 else 1)"; then
        log "$scen: recording $ALLOC_BT allocation backtraces"
        : > "$btf"
        arm_bt "$cf" "$ALLOC_BT"
        send "$qfile" 1 >/dev/null
        arm_bt "$cf" 0
        resolve_bt "$btf" | tee -a "$REPORT"
    fi
    stop_bg "alloc-muster"
}

# resolve_bt FILE: raw backtraces -> allocation sites (file:line), counted
resolve_bt() { /usr/bin/python3 "$HERE/resolve_bt.py" "$1" "$MUSTER_BIN"; }

: > "$REPORT"
echo "## muster heap allocations per query ($(date -Is))" | tee -a "$REPORT"
echo "N=$N queries per small batch (rounded up to whole passes over the query file), paced at $ALLOC_QPS q/s" | tee -a "$REPORT"
echo | tee -a "$REPORT"
for s in "${@:-cachehit local catalog-a catalog-srv}"; do for t in $s; do check "$t"; done; done
log "report: $REPORT"
