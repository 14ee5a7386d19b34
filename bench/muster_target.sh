#!/bin/bash
# muster_target.sh SCENARIO PORT - the --target-cmd that run.sh gives the shared
# harness: writes muster's config for SCENARIO (gen_config.py) and execs muster
# in the foreground (so the harness measures muster's own pid for CPU and RSS).
# Runs inside the bench netns; sees the BENCH_* variables the harness exports.
set -eu
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
scen=$1 port=$2
bin="${MUSTER_BIN:-$HERE/../build-bench/muster}"
conf="${MUSTER_CONF_DIR:-${BENCH_ROOT:-/dev/shm/dnsbench}/run/muster}/muster-$scen.json"
/usr/bin/python3 "$HERE/gen_config.py" "$scen" "$port" "$conf"
# keep a copy of the config next to the results
if [[ -n "${BENCH_OUT:-}" ]]; then mkdir -p "$BENCH_OUT/configs/muster"; cp "$conf" "$BENCH_OUT/configs/muster/"; fi
# muster's log of every start, appended per scenario (the harness's own log file
# for the target is overwritten at each start)
if [[ -n "${BENCH_OUT:-}" ]]; then
    echo "=== $(date -Is) start ($scen, port $port, cpu $(taskset -pc $$ 2>/dev/null | sed 's/.*: //'))" >> "$BENCH_OUT/muster-$scen.log"
    exec >> "$BENCH_OUT/muster-$scen.log" 2>&1
fi
exec "$bin" agent --config-file "$conf"
