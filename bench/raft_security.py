#!/usr/bin/python3
"""The cost of transport security on Raft writes: the same 3-server cluster benchmark as
raft_cluster.py (wrk registrations through the leader and through a follower, whose writes are
forwarded to the leader over the server port; and one write at a time), run in plaintext, with
`encrypt`, and with mutual TLS (certificates from `muster tls`, verify_incoming,
verify_outgoing, verify_server_hostname) in the same run, one cluster after the other, and
reported as ratios to plaintext.
Bar (issue 15): committed writes/s and write p99 with either at least 0.8 of plaintext
(for p99: plaintext p99 / secured p99 >= 0.8).

usage: MUSTER_BIN=build-bench/muster bench/raft_security.py
       (env: DURATION=10, CONNECTIONS=64,256, ROUNDS=2, BENCH_OUT)
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import raft_cluster as rc  # noqa: E402

DURATION = int(os.environ.get("DURATION", "10"))
CONNECTIONS = [int(c) for c in os.environ.get("CONNECTIONS", "64,256").split(",")]
ROUNDS = int(os.environ.get("ROUNDS", "2"))
OUT = os.environ.get("BENCH_OUT",
                     f"/tmp/dnsbench-results/raft-security-{time.strftime('%Y%m%d-%H%M%S')}")


def keygen() -> str:
    return subprocess.run([rc.MUSTER, "keygen"], check=True, capture_output=True,
                          text=True).stdout.strip()


def make_pki(directory: str) -> list[dict]:
    """The tls.defaults block of each of the three servers."""
    for args in (["ca", "create"], *[["cert", "create", "-server"]] * 3):
        subprocess.run([rc.MUSTER, "tls", *args], cwd=directory, check=True, capture_output=True)
    return [{"defaults": {"ca_file": os.path.join(directory, "internal-agent-ca.pem"),
                          "cert_file": os.path.join(directory, f"dc1-server-internal-{i}.pem"),
                          "key_file": os.path.join(directory, f"dc1-server-internal-{i}-key.pem"),
                          "verify_incoming": True, "verify_outgoing": True},
             "internal_rpc": {"verify_server_hostname": True}} for i in range(3)]


def measure(mode: str, key: str, script: str, tls=None) -> dict:
    root = tempfile.mkdtemp(prefix=f"muster-raft-{mode}-")
    server_port = rc.free_port()
    servers = [rc.Server(root, i, server_port) for i in range(3)]
    for i, s in enumerate(servers):
        if key:
            s.cfg["encrypt"] = key
        if tls:
            s.cfg["tls"] = tls[i]
        with open(os.path.join(s.dir, "muster.json"), "w") as f:
            json.dump(s.cfg, f)
    try:
        for s in servers:
            s.start()
        rc.wait(lambda: rc.agreed_leader(servers) and all(len(s.peers()) == 3 for s in servers),
                60, f"{mode} cluster formed")
        lead = rc.by_address(servers, rc.agreed_leader(servers))
        follower = next(s for s in servers if s is not lead)
        latency = rc.wrk(lead.http_port, 1, min(DURATION, 5), f"{mode}-lat", script)
        rows = {}
        for n in CONNECTIONS:
            for name, target in (("leader", lead), ("follower", follower)):
                rows[(name, n)] = rc.wrk(target.http_port, n, DURATION, f"{mode}-{name}{n}",
                                         script)
        return {"latency": latency, "rows": rows}
    finally:
        for s in servers:
            s.kill()
        shutil.rmtree(root, ignore_errors=True)


def main():
    if not shutil.which("wrk"):
        sys.exit("wrk missing: scripts/setup --bench installs it")
    os.makedirs(OUT, exist_ok=True)
    script = os.path.join(OUT, "register.lua")
    with open(script, "w") as f:
        f.write(rc.WRK_SCRIPT)
    key = keygen()
    pki_dir = os.path.join(OUT, "pki")
    os.makedirs(pki_dir, exist_ok=True)
    tls = make_pki(pki_dir)
    modes = ("plain", "encrypt", "mtls")
    results = {m: [] for m in modes}
    for _ in range(ROUNDS):  # alternate, so drift in the machine hits all alike
        results["plain"].append(measure("plain", "", script))
        results["encrypt"].append(measure("encrypt", key, script))
        results["mtls"].append(measure("mtls", "", script, tls))

    def best(mode, name, n):
        return max(r["rows"][(name, n)]["ok"] / DURATION for r in results[mode])

    def p99(mode, name, n):
        return min(r["rows"][(name, n)]["p99_us"] for r in results[mode]) / 1000

    report = ["## Transport security on Raft writes (plaintext, encrypt, mTLS; same run)\n",
              f"wrk on CPU 1, {DURATION} s per row, {ROUNDS} alternating rounds per mode, best "
              "round per row; a follower forwards its writes to the leader over the server "
              "port, so its rows carry TLS twice (forwarding and replication).\n",
              "| mode | sent to | connections | plain/s | secured/s | ratio | plain p99 | "
              "secured p99 | p99 ratio |", "|---|---|---|---|---|---|---|---|---|"]
    worst = 10.0
    for mode in ("encrypt", "mtls"):
        for n in CONNECTIONS:
            for name in ("leader", "follower"):
                a, b = best("plain", name, n), best(mode, name, n)
                pa, pb = p99("plain", name, n), p99(mode, name, n)
                worst = min(worst, b / a, pa / pb)
                report.append(f"| {mode} | {name} | {n} | {a:,.0f} | {b:,.0f} | {b / a:.2f} | "
                              f"{pa:.2f} ms | {pb:.2f} ms | {pa / pb:.2f} |")
    lat = {m: min(r["latency"]["p99_us"] for r in results[m]) / 1000 for m in results}
    report.append(f"\nOne write at a time (wrk -c1, leader): p99 plain {lat['plain']:.2f} ms, "
                  f"encrypt {lat['encrypt']:.2f} ms, mTLS {lat['mtls']:.2f} ms.")
    report.append(f"Worst ratio: {worst:.2f}; bar 0.8: {'PASS' if worst >= 0.8 else 'FAIL'}.")
    text = "\n".join(report) + "\n"
    with open(os.path.join(OUT, "raft_security.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
