#!/bin/bash
# catalog.sh - scenario "catalog": service-catalog answers, muster against
# Unbound (local-data) and Knot DNS (authoritative zone internal.), driven by
# the shared harness's scenario_loop exactly like its scen_local.sh: the same
# rounds, pinning (server on SERVER_CPU, dnsperf on CLIENT_CPU), one worker per
# server, fresh start of every server for every round, the fixed-rate latency
# run and the memory snapshot in the last round.
#
# Data (catalog_data.py, into $BENCH_ROOT/data/catalog): 1,000 services s0..s999
# with 3 instances each on 3,000 nodes, plus big10 and big1000 (10 and 1,000
# instances) for the latency runs.  Query file: every service once as A and once
# as SRV (<svc>.service.internal), shuffled.  TTL 0 everywhere (muster's default).
#   muster   a --target; after it starts (and before it is measured), the
#            services are registered through its HTTP API by catalog_load.py
#            (pinned to CLIENT_CPU), which also verifies the count
#   unbound  the harness's own start_unbound "local", with the catalog's
#            local-data (local-zone "internal." static) instead of svc.test
#   knot     the harness's own start_knot_local with the zone internal.
#            (the function is reused with only the zone name and file replaced)
# Extra fixed-rate latency runs in every round, every server (latency.tsv, one row per
# round; ratios.py takes the median of each column over the rounds):
#   catalog-big10-udp     big10.service.internal A, EDNS (dnsperf -e), UDP,
#                         at CAT_LAT_RATE (20000 q/s)
#   catalog-big1000-udp   big1000.service.internal A, EDNS: does not fit in the
#                         servers' 1232-byte UDP limit, so these are TC answers
#   catalog-big10-tcp     big10 over TCP (dnsperf -m tcp, one connection),
#                         at CAT_LAT_RATE_TCP (20000 q/s, the issue's rate; Knot
#                         and Unbound fall behind there and measure their queue)
#   catalog-big1000-tcp   big1000 over TCP: the whole 1,000-address answer
#   catalog-big10000-udp  big10000 (10,000 instances): TC over UDP
#   catalog-big10000-tcp  and over TCP too (160 kB of addresses do not fit 64 KiB)
#
# usage: bench/catalog.sh [harness options: --servers unbound,knot --target ...
#                          --target-cmd ... --runs N --duration S --out DIR]
#   run.sh runs it with muster as the target (SCENARIOS=catalog bench/run.sh).
# env: the harness's knobs; LAT_RATE (default 20000 here) for the mixed file,
#      CAT_LAT_RATE (default 20000) for the big10/big1000 UDP runs,
#      CAT_LAT_RATE_TCP (default 20000) for the TCP ones,
#      CAT_LAT_BIG=0 skips those, MUSTER_HTTP_PORT (5380) muster's HTTP API,
#      CAT_LOAD_TARGETS (default "muster"): targets that get catalog_load.py,
#      CAT_SERVICES (1000) CAT_INSTANCES (3) CAT_LOAD_PARALLEL (4)
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SHARED_BENCH="${SHARED_BENCH:-$HERE/../../shared/bench}"
# shellcheck source=/dev/null
source "$SHARED_BENCH/lib.sh"
parse_common "$@"
LAT_RATE=${LAT_RATE:-20000}
CAT_LAT_RATE=${CAT_LAT_RATE:-20000}
CAT_LAT_RATE_TCP=${CAT_LAT_RATE_TCP:-20000}
CAT_LAT_BIG=${CAT_LAT_BIG:-1}
CAT_SERVICES=${CAT_SERVICES:-1000}
CAT_INSTANCES=${CAT_INSTANCES:-3}
CAT_LOAD_TARGETS=${CAT_LOAD_TARGETS:-muster}
export MUSTER_HTTP_PORT=${MUSTER_HTTP_PORT:-5380}
PROBE=s0.service.internal
bench_init
CAT_DATA=$BENCH_ROOT/data/catalog
python3 "$HERE/catalog_data.py" "$CAT_DATA" --services "$CAT_SERVICES" --instances "$CAT_INSTANCES" ||
    die "catalog_data.py failed"
log "catalog data in $CAT_DATA: $(tr '\n' ' ' < "$CAT_DATA/catalog.txt")"

# Knot: the harness's start_knot_local, zone internal. from $CAT_DATA
eval "$(declare -f start_knot_local | sed -e '1s/start_knot_local/start_knot_catalog/' \
        -e 's/domain: svc\.test$/domain: internal/' -e 's#\$BENCH_DATA/svc\.test\.zone#$CAT_DATA/internal.zone#')"
declare -f start_knot_catalog | grep -q 'domain: internal$' && declare -f start_knot_catalog | grep -q 'CAT_DATA/internal.zone' ||
    die "cannot derive start_knot_catalog from the harness's start_knot_local"

# start_server NAME catalog: the peers with the catalog data; other modes as before
eval "harness_$(declare -f start_server)"
start_server() {
    [[ "$2" == catalog ]] || { harness_start_server "$@"; return; }
    SPID=0; SPORT=0
    case "$1" in
        unbound) BENCH_DATA=$CAT_DATA start_unbound local ;;   # includes $CAT_DATA/unbound-local.conf
        knot)    start_knot_catalog local ;;
        *) die "$1 cannot serve the catalog scenario (unbound, knot)" ;;
    esac
    wait_dns "$SPORT" "$PROBE" A || die "$1 (catalog) did not answer (see $BENCH_ROOT/run/$1.log)"
    log "$1 (catalog) up on 127.0.0.1:$SPORT pid $SPID"
}

# start_target I: as the harness's, then register the catalog (muster) and verify it
eval "harness_$(declare -f start_target)"
start_target() {
    harness_start_target "$@"
    [[ " ${CAT_LOAD_TARGETS//,/ } " == *" $SNAME "* ]] || return 0
    local out="$BENCH_ROOT/run/catalog_load-$SNAME.log"
    if ns_exec taskset -c "$CLIENT_CPU" python3 "$HERE/catalog_load.py" "127.0.0.1:$MUSTER_HTTP_PORT" \
            --services "$CAT_SERVICES" --instances "$CAT_INSTANCES" --parallel "${CAT_LOAD_PARALLEL:-4}" > "$out" 2>&1; then
        log "$SNAME: $(tail -1 "$out")"
        [[ -n "${BENCH_OUT:-}" ]] && cat "$out" >> "$BENCH_OUT/catalog_load.log"
    else
        log "$SNAME: loading the catalog failed: $(tail -3 "$out" | tr '\n' ' ')"
        stop_bg "target-$SNAME"   # so scenario_loop reports it as not answering and skips it
    fi
}

extra_after_run() {   # SCEN ENTRY LABEL; scenario_loop's $r and $hp are visible here
    [[ "$CAT_LAT_BIG" == 1 ]] || return 0
    # every round (a fresh server each): at 0.1-0.3 ms a single run's p99 is scheduling
    # noise, so ratios.py compares the medians over the rounds
    local big proto
    for big in big10 big1000 big10000; do
        for proto in udp tcp; do
            if [[ $proto == udp ]]; then
                run_latency "catalog-$big-udp" "$3" "$hp" "$CAT_DATA/q_${big}_a.txt" "$CAT_LAT_RATE" -e
            else
                run_latency "catalog-$big-tcp" "$3" "$hp" "$CAT_DATA/q_${big}_a.txt" "$CAT_LAT_RATE_TCP" -m tcp
            fi
        done
    done
    # what the answers look like (size, TC, record count), once per server
    [[ "$r" == "$RUNS" ]] || return 0
    {
        echo "== $3"
        for big in big10 big1000 big10000; do
            ns_exec dig +bufsize=4096 +ignore +time=2 +tries=1 -p "${hp##*:}" @127.0.0.1 "$big.service.internal" A |
                awk -v b="$big" '/^;; flags:/{f=$0} /EDNS:/{e=$0} /MSG SIZE/{s=$0} /IN[ \t]+A[ \t]/{n++} END{print b " udp(bufsize 4096): " n+0 " A records; " f "; " e "; " s}'
            ns_exec dig +tcp +time=2 +tries=1 -p "${hp##*:}" @127.0.0.1 "$big.service.internal" A |
                awk -v b="$big" '/MSG SIZE/{s=$0} /IN[ \t]+A[ \t]/{n++} END{print b " tcp: " n+0 " A records; " s}'
        done
        ns_exec dig +time=2 +tries=1 -p "${hp##*:}" @127.0.0.1 s1.service.internal SRV |
            awk '/^;; flags:/{f=$0} /EDNS:/{e=$0} /MSG SIZE/{s=$0} /^[^;].*IN[ \t]+SRV/{n++} /^[^;].*IN[ \t]+A[ \t]/{g++}
                 END{print "s1 SRV: " n+0 " SRV records, " g+0 " glue A; " f "; " e "; " s}'
    } >> "$BENCH_OUT/catalog_answers.txt" 2>&1
}

scenario_loop catalog catalog "$CAT_DATA/q_catalog_mixed.txt" "$PROBE" 0 $(selected unbound,knot)
log "results in $BENCH_OUT"
