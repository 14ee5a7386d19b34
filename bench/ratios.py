#!/usr/bin/python3
"""Ratios of muster against the peers from a results dir of the shared harness.

usage: ratios.py RESULTS_DIR [RESULTS_DIR...]   (markdown on stdout)

Per (scenario, server), over the rounds: median QPS, median server CPU %, and
kQPS per server CPU-second = median QPS / (median server CPU % / 100) / 1000,
the same way /work/shared/bench/summarize.py computes it.  Then the ratios
that the quality bars of docs/design.md name:
  local     muster / unbound and muster / knot, in q/s per server CPU-second
  catalog   muster / knot (bar: >= 1.0) and muster / unbound, q/s per server CPU-second
  cachehit  muster / unbound, q/s per server CPU-second (bar: >= 1.2)
  miss-dot  muster / kresd, raw q/s (bar: >= 1.0)
and, when a results dir has a target "muster-base" (bench/metrics_cost.sh), muster / that
earlier build in q/s per server CPU-second (bar: >= 0.97).
"""
import csv
import os
import statistics
import sys

ROW_COLS = ["scenario", "server", "run", "qps", "avg_ms", "min_ms", "max_ms", "sd_ms",
            "sent", "completed", "lost_pct", "rcodes", "client_cpu_pct", "server_cpu_pct",
            "machine_busy_pct", "softirq_pct", "steal_pct", "wall_s", "load1", "upstream_cpu_pct"]
LAT_COLS = ["scenario", "server", "rate", "achieved_qps", "n", "lost", "non_noerror",
            "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "avg_ms"]
ORDER = ["ceiling", "local", "catalog", "cachehit", "miss-udp", "miss-dot"]
TARGET = "muster"
# (scenario, peer, metric, bar or None, note)
RATIOS = [
    ("local", "unbound", "eff", None, "q/s per server CPU-s"),
    ("local", "knot", "eff", 1.05, "q/s per server CPU-s; bar: 1.05x Knot (issue 18)"),
    ("local", "nsd", "eff", None, "q/s per server CPU-s"),
    ("local", "kresd-Aonly", "eff", None, "q/s per server CPU-s; kresd gets the A-only mix"),
    ("catalog", "knot", "eff", 1.05, "q/s per server CPU-s; bar: 1.05x Knot (issue 18)"),
    ("catalog", "unbound", "eff", None, "q/s per server CPU-s"),
    ("cachehit", "unbound", "eff", 1.2, "q/s per server CPU-s; bar: >= 1.2x Unbound"),
    ("cachehit", "kresd", "eff", None, "q/s per server CPU-s"),
    ("miss-dot", "kresd", "qps", 1.2, "raw q/s; bar: 1.2x Knot Resolver (issue 18), quiet or busy"),
    ("miss-dot", "unbound", "qps", None, "raw q/s"),
    ("miss-udp", "kresd", "qps", None, "raw q/s"),
    ("miss-udp", "unbound", "qps", None, "raw q/s"),
    # metrics_cost.sh: muster against a build of an earlier commit (BASE_REV), same run
    ("cachehit", "muster-base", "eff", 0.97, "q/s per server CPU-s; bar: >= 0.97x the base"),
    ("catalog", "muster-base", "eff", 0.97, "q/s per server CPU-s; bar: >= 0.97x the base"),
    ("local", "muster-base", "eff", 0.97, "q/s per server CPU-s; bar: >= 0.97x the base"),
]


def fl(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")


def med(v):
    v = [x for x in v if x == x]
    return statistics.median(v) if v else float("nan")


def read(path, cols):
    if not os.path.exists(path):
        return []
    with open(path) as fh:
        return [dict(zip(cols, r)) for r in csv.reader(fh, delimiter="\t") if r]


def merge_latency(rows):
    out = dict(rows[-1])
    for col in ("achieved_qps", "n", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "avg_ms"):
        v = med([fl(r[col]) for r in rows])
        out[col] = f"{v:.0f}" if col in ("achieved_qps", "n") else f"{v:.3f}"
    out["lost"] = str(max(int(fl(r["lost"])) for r in rows))
    p99s = sorted(fl(r["p99_ms"]) for r in rows)
    out["rounds"] = len(rows)
    out["p99_spread"] = f"{p99s[0]:.3f}-{p99s[-1]:.3f}" if len(rows) > 1 else "-"
    return out


def fmt(x, nd=0):
    return "n/a" if x != x else f"{x:,.{nd}f}"


def main(dirs):
    rows, lats = [], {}
    for d in dirs:
        rows += read(os.path.join(d, "results.tsv"), ROW_COLS)
        for r in read(os.path.join(d, "latency.tsv"), LAT_COLS):
            lats.setdefault((r["scenario"], r["server"]), []).append(r)
    # catalog.sh runs the big-service latency in every round: the median of each column over
    # the rounds (a single p99 at 0.1-0.3 ms is scheduling noise), the largest loss, and the
    # spread of p99 to show the noise
    lats = {k: merge_latency(v) for k, v in lats.items()}
    stats = {}
    groups = {}
    for r in rows:
        groups.setdefault((r["scenario"], r["server"]), []).append(r)
    for k, g in groups.items():
        qps = med([fl(r["qps"]) for r in g])
        cpu = med([fl(r["server_cpu_pct"]) for r in g])
        eff = qps / (cpu / 100.0) if cpu == cpu and cpu > 0 else float("nan")
        stats[k] = {"qps": qps, "cpu": cpu, "eff": eff, "n": len(g),
                    "lost": max(fl(r["lost_pct"]) for r in g),
                    "client": med([fl(r["client_cpu_pct"]) for r in g])}

    print("## muster vs peers\n")
    print("| scenario | server | q/s (median) | server CPU % | kq/s per server CPU-s | client CPU % | "
          "p50 / p99 ms @fixed rate | lost % | rounds |")
    print("|---|---|---|---|---|---|---|---|---|")
    keys = sorted(stats, key=lambda k: (ORDER.index(k[0]) if k[0] in ORDER else 99, -stats[k]["qps"]))
    for k in keys:
        s, lat = stats[k], lats.get(k)
        latcell = f"{lat['p50_ms']} / {lat['p99_ms']} @{lat['rate']}" if lat else "n/a"
        name = f"**{k[1]}**" if k[1] == TARGET else k[1]
        print(f"| {k[0]} | {name} | {fmt(s['qps'])} | {fmt(s['cpu'])} | {fmt(s['eff'] / 1000, 1)} | "
              f"{fmt(s['client'])} | {latcell} | {fmt(s['lost'], 2)} | {s['n']} |")

    print("\n## ratios (muster / peer)\n")
    print("| scenario | vs | metric | muster | peer | ratio | bar | verdict |")
    print("|---|---|---|---|---|---|---|---|")
    for scen, peer, metric, bar, note in RATIOS:
        m, p = stats.get((scen, TARGET)), stats.get((scen, peer))
        if not m or not p:
            continue
        a, b = m[metric], p[metric]
        ratio = a / b if b == b and b > 0 else float("nan")
        unit = (lambda x: fmt(x / 1000, 1) + "k/CPU-s") if metric == "eff" else (lambda x: fmt(x) + " q/s")
        verdict = "-"
        if bar is not None and ratio == ratio:
            verdict = "PASS" if ratio >= bar else "FAIL"
        print(f"| {scen} | {peer} | {note} | {unit(a)} | {unit(b)} | **{fmt(ratio, 2)}** | "
              f"{'>= ' + str(bar) if bar else '-'} | {verdict} |")
    runs = ["catalog-big10-udp", "catalog-big1000-udp", "catalog-big10000-udp",
            "catalog-big10-tcp", "catalog-big1000-tcp", "catalog-big10000-tcp"]
    big = sorted({k for k in lats if k[0].startswith("catalog-")},
                 key=lambda k: (k[1] != TARGET, k[1], runs.index(k[0]) if k[0] in runs else 99, k[0]))
    if big:
        print("\n## catalog: latency for one service with 10, 1,000 and 10,000 instances (A)\n")
        print("Medians over the rounds (answers, q/s and every latency column); lost: the largest of "
              "a round; p99 range: the lowest and highest p99 of a round.\n")
        print("| server | run | offered q/s | achieved q/s | answers | lost | p50 ms | p90 ms | p99 ms | "
              "p99 range | p99.9 ms | max ms | rounds |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for k in big:
            r = lats[k]
            name = f"**{k[1]}**" if k[1] == TARGET else k[1]
            print(f"| {name} | {k[0][len('catalog-'):]} | {r['rate']} | {r['achieved_qps']} | {r['n']} | "
                  f"{r['lost']} | {r['p50_ms']} | {r['p90_ms']} | {r['p99_ms']} | {r['p99_spread']} | "
                  f"{r['p999_ms']} | {r['max_ms']} | {r['rounds']} |")
        print("\nudp: dnsperf -e (EDNS0; the servers answer at most 1232 bytes, so big1000 gets TC answers "
              "without the 1,000 addresses); tcp: dnsperf -m tcp, one connection, the full answer "
              "(big10000's 160 kB of addresses do not fit 64 KiB: TC over TCP too).")
        big_verdicts(lats)
    print("\nkq/s per server CPU-s = median q/s / (median server CPU % / 100) / 1000; server CPU is the"
          " server's own utime+stime (softirq not included). Client CPU near 100 % means dnsperf,"
          " not the server, was the limit: compare servers by the per-CPU-s column then.")


def big_verdicts(lats):
    """Issue 18's bars: muster's big1000 p99 at most every peer's, 0 lost, and at most 1.5x its
    own big10 p99, per transport; p99 is the median over the rounds, lost the largest."""
    rows = []
    for proto in ("udp", "tcp"):
        m = lats.get((f"catalog-big1000-{proto}", TARGET))
        m10 = lats.get((f"catalog-big10-{proto}", TARGET))
        if not m:
            continue
        p99 = float(m["p99_ms"])
        for (run, server), r in sorted(lats.items()):
            if run == f"catalog-big1000-{proto}" and server != TARGET:
                ok = p99 <= float(r["p99_ms"])
                rows.append((f"big1000 {proto} p99 vs {server}", f"{p99} ms", f"{r['p99_ms']} ms",
                             "PASS" if ok else "FAIL"))
        rows.append((f"big1000 {proto} lost", str(m["lost"]), "0",
                     "PASS" if int(float(m["lost"])) == 0 else "FAIL"))
        if m10:
            bar = 1.5 * float(m10["p99_ms"])
            rows.append((f"big1000 / big10 {proto} p99", f"{p99} ms", f"1.5 x {m10['p99_ms']} ms",
                         "PASS" if p99 <= bar else "FAIL"))
    if rows:
        print("\n| bar | muster | against | verdict |\n|---|---|---|---|")
        for row in rows:
            print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    main(sys.argv[1:])
