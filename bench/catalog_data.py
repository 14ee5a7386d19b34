#!/usr/bin/python3
"""The service catalog of the `catalog` benchmark, as registrations for muster
and as static data for the peers (Unbound local-data, a Knot DNS zone).
Deterministic: the same arguments always give the same files.

usage: catalog_data.py OUTDIR [--services N] [--instances K] [--no-big]

The catalog (what catalog_load.py registers through muster's HTTP API):
  services s0 .. s<N-1> (default 1,000), K instances each (default 3);
  instance k of service i runs on its own node n<K*i+k>, address
  10.x.y.z = 10.0.0.0 + K*i+k+1, service port 8000+i, tag "v1", no check (so
  every instance is healthy).  The service has no address of its own, so muster's
  SRV target is the node: n<j>.node.dc1.internal. (with the node's A as glue).
  Unless --no-big: three more services for the latency runs, big10 (10 instances,
  on n0..n9), big1000 (1,000 instances, on n0..n999) and big10000 (10,000
  instances, on n0..n9999), port 9000.

Files written to OUTDIR, with TTL 0 everywhere (muster's catalog default, as
in Consul):
  unbound-local.conf   local-zone "internal." static + local-data: per service
                       its A records and SRV records, per node the A records of
                       n<j>.node.dc1.internal. (the SRV targets) and
                       n<j>.node.internal.
  internal.zone        the same records as an authoritative zone (Knot DNS);
                       Knot adds the SRV targets' A records as additional data,
                       as muster does; Unbound's local-data does not
  q_catalog_mixed.txt  every service once as A and once as SRV (2N queries), shuffled
  q_catalog_a.txt      every service as A (shuffled)
  q_catalog_srv.txt    every service as SRV (shuffled)
  q_big10_a.txt        big10.service.internal A        (one line)
  q_big1000_a.txt      big1000.service.internal A      (one line)
  q_big10000_a.txt     big10000.service.internal A     (one line)
  catalog.txt          what was generated (the arguments, counts)
"""
import argparse
import os
import random

DOMAIN = "internal"
DC = "dc1"
TTL = 0
BIG = (("big10", 10), ("big1000", 1000), ("big10000", 10000))


def ip_for(j):
    j += 1  # 10.0.0.1 first
    return f"10.{(j >> 16) & 255}.{(j >> 8) & 255}.{j & 255}"


def registrations(services=1000, instances=3, big=True):
    """Yield (node, address, service_id, service_name, port) in registration order."""
    for i in range(services):
        for k in range(instances):
            j = instances * i + k
            yield f"n{j}", ip_for(j), f"s{i}-{k}", f"s{i}", 8000 + i
    if big:
        for name, count in BIG:
            for j in range(count):
                yield f"n{j}", ip_for(j), f"{name}-{j}", name, 9000


def service_names(services=1000, big=True):
    names = [f"s{i}" for i in range(services)]
    if big:
        names += [name for name, _ in BIG]
    return names


def records(services, instances, big):
    """(owner without the domain, type, rdata) of the static copy, deduplicated."""
    out, nodes = [], {}
    for node, addr, _sid, svc, port in registrations(services, instances, big):
        nodes[node] = addr
        out.append((f"{svc}.service", "A", addr))
        out.append((f"{svc}.service", "SRV", f"1 1 {port} {node}.node.{DC}.{DOMAIN}."))
    for node, addr in nodes.items():
        out.append((f"{node}.node.{DC}", "A", addr))
        out.append((f"{node}.node", "A", addr))
    return out


def write(path, lines):
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--services", type=int, default=1000)
    ap.add_argument("--instances", type=int, default=3)
    ap.add_argument("--no-big", action="store_true")
    a = ap.parse_args()
    big = not a.no_big
    os.makedirs(a.outdir, exist_ok=True)
    rr = records(a.services, a.instances, big)

    ub = [f'local-zone: "{DOMAIN}." static']
    ub += [f'local-data: "{o}.{DOMAIN}. {TTL} IN {t} {d}"' for o, t, d in rr]
    write(os.path.join(a.outdir, "unbound-local.conf"), ub)

    zone = [f"$ORIGIN {DOMAIN}.", f"$TTL {TTL}",
            f"@ IN SOA ns.{DOMAIN}. hostmaster.{DOMAIN}. 1 3600 600 86400 0",
            f"@ IN NS ns.{DOMAIN}.", "ns IN A 127.0.0.1"]
    zone += [f"{o} IN {t} {d}" for o, t, d in rr]
    write(os.path.join(a.outdir, f"{DOMAIN}.zone"), zone)

    rnd = random.Random(42)
    names = [f"s{i}.service.{DOMAIN}" for i in range(a.services)]
    qa = [f"{n} A" for n in names]
    qs = [f"{n} SRV" for n in names]
    mixed = qa + qs
    for q in (qa, qs, mixed):
        rnd.shuffle(q)
    write(os.path.join(a.outdir, "q_catalog_mixed.txt"), mixed)
    write(os.path.join(a.outdir, "q_catalog_a.txt"), qa)
    write(os.path.join(a.outdir, "q_catalog_srv.txt"), qs)
    if big:
        for name, _ in BIG:
            write(os.path.join(a.outdir, f"q_{name}_a.txt"), [f"{name}.service.{DOMAIN} A"])
    n_inst = sum(1 for _ in registrations(a.services, a.instances, big))
    write(os.path.join(a.outdir, "catalog.txt"),
          [f"services={a.services} instances={a.instances} big={int(big)}",
           f"registrations={n_inst} records={len(rr)} ttl={TTL}"])


if __name__ == "__main__":
    main()
