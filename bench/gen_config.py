#!/usr/bin/python3
"""Write a muster agent config (JSON) for one benchmark scenario.

usage: gen_config.py SCENARIO PORT OUT.json
  SCENARIO  local     records from $BENCH_DATA/static.srv (SRV) + hosts_file
                      $BENCH_DATA/static.hosts (A), TTL 86400 as for the peers
            cachehit  forwards to udp://$BENCH_UPSTREAM_UDP (nsd)
            miss      forwards to tls://$BENCH_UPSTREAM_DOT#$BENCH_DOT_NAME,
                      CA $BENCH_DOT_CA
Environment: the BENCH_* variables that /work/shared/bench exports to a target
command; MUSTER_WORKERS (default 1, like every peer), MUSTER_CACHE_SIZE
(default 100000), MUSTER_LOG_LEVEL (default warn).
"""
import json
import os
import sys

TTL = 86400  # same TTL the peers serve (gen_data.py)


def env(name, default=None):
    v = os.environ.get(name, default)
    if v is None:
        sys.exit(f"gen_config.py: ${name} is not set (run under the bench harness)")
    return v


def srv_records(path):
    """static.srv lines: NAME PRIO WEIGHT PORT TARGET (names without trailing dot)."""
    out = []
    with open(path) as fh:
        for line in fh:
            parts = line.split()
            if len(parts) != 5:
                continue
            name, prio, weight, port, target = parts
            out.append({"name": name.rstrip(".") + ".", "type": "SRV",
                        "value": f"{prio} {weight} {port} {target.rstrip('.')}.", "ttl": TTL})
    return out


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    scen, port, out_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    conf = {
        "client_addr": "127.0.0.1",
        "ports": {"dns": port},
        "log_level": os.environ.get("MUSTER_LOG_LEVEL", "warn"),
        "dns_config": {
            "workers": int(os.environ.get("MUSTER_WORKERS", "1")),
            "cache": {"size": int(os.environ.get("MUSTER_CACHE_SIZE", "100000"))},
            "allow_recursion": ["127.0.0.0/8"],
            "local_ttl": f"{TTL}s",
        },
    }
    if scen == "local":
        data = env("BENCH_DATA")
        conf["records"] = srv_records(os.path.join(data, "static.srv"))
        conf["hosts_file"] = os.path.join(data, "static.hosts")
        # names outside svc.test (none are queried) go to the nsd upstream, as for unbound/dnsmasq
        conf["recursors"] = ["udp://" + env("BENCH_UPSTREAM_UDP", "127.0.0.1:5300")]
    elif scen == "cachehit":
        conf["recursors"] = ["udp://" + env("BENCH_UPSTREAM_UDP")]
    elif scen in ("miss", "miss-dot"):
        conf["recursors"] = [f"tls://{env('BENCH_UPSTREAM_DOT')}#{env('BENCH_DOT_NAME')}"]
        conf["tls"] = {"ca_file": env("BENCH_DOT_CA")}
    elif scen == "miss-udp":
        conf["recursors"] = ["udp://" + env("BENCH_UPSTREAM_UDP")]
    else:
        sys.exit(f"gen_config.py: unknown scenario {scen!r}")
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "w") as fh:
        json.dump(conf, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()
