#!/usr/bin/python3
"""Write a muster agent config (JSON) for one benchmark scenario.

usage: gen_config.py SCENARIO PORT OUT.json
  SCENARIO  local     records from $BENCH_DATA/static.srv (SRV) + hosts_file
                      $BENCH_DATA/static.hosts (A), TTL 86400 as for the peers
            cachehit  forwards to udp://$BENCH_UPSTREAM_UDP (nsd)
            miss      forwards to tls://$BENCH_UPSTREAM_DOT#$BENCH_DOT_NAME,
                      CA $BENCH_DOT_CA
            miss-udp  forwards to udp://$BENCH_UPSTREAM_UDP
            catalog   no static data: the services come through the HTTP API
                      (catalog_load.py); other names go to udp://$BENCH_UPSTREAM_UDP
Every scenario gets the catalog agent's own settings:
  data_dir    a fresh (emptied) directory next to OUT.json: OUT.data/ (the
              catalog's LMDB file, catalog.mdb, lives there)
  ports.http  $MUSTER_HTTP_PORT, or else a port that is free right now
              (asked from the kernel in the current network namespace)
  node_name   "bench" (not the host name, so every run looks the same)
Environment: the BENCH_* variables that /work/shared/bench exports to a target
command; MUSTER_WORKERS (default 1, like every peer), MUSTER_CACHE_SIZE
(default 100000), MUSTER_LOG_LEVEL (default warn), MUSTER_HTTP_PORT,
MUSTER_DATA_DIR (use this data_dir instead; it is emptied too).
The port and data_dir are printed on stdout as "http_port=P data_dir=D".
"""
import json
import os
import shutil
import socket
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


def free_port():
    """A TCP port on 127.0.0.1 that nobody listens on now (in this network namespace)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_dir(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    scen, port, out_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    out_path = os.path.abspath(out_path)
    http_port = int(os.environ.get("MUSTER_HTTP_PORT") or free_port())
    data_dir = os.environ.get("MUSTER_DATA_DIR") or os.path.splitext(out_path)[0] + ".data"
    conf = {
        "node_name": "bench",
        "data_dir": data_dir,
        "client_addr": "127.0.0.1",
        "ports": {"dns": port, "http": http_port},
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
    elif scen == "catalog":
        # answers come from the catalog (domain internal., TTL 0 as in Consul); the
        # upstream only matters for names outside it (alloc_check.sh's control batch)
        conf["recursors"] = ["udp://" + env("BENCH_UPSTREAM_UDP", "127.0.0.1:5300")]
    else:
        sys.exit(f"gen_config.py: unknown scenario {scen!r}")
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    fresh_dir(data_dir)
    with open(out_path, "w") as fh:
        json.dump(conf, fh, indent=1)
        fh.write("\n")
    print(f"http_port={http_port} data_dir={data_dir}")


if __name__ == "__main__":
    main()
