#!/usr/bin/python3
"""Raft cluster benchmark: committed registrations per second through a 3-server cluster (group
commit), write latency, and the leader failover time over repeated SIGKILLs of the leader.

Three `muster agent` servers on 127.0.0.11-13 (bootstrap_expect 3), DNS/HTTP on 127.0.0.1.
- throughput: wrk (Lua script: PUT /v1/catalog/register, every request a new node with its own
  service) for DURATION seconds per row, for each number of connections in CONNECTIONS, against
  the leader and against a follower (its writes are forwarded to the leader); every 200 is a
  committed registration, and the catalog is counted afterwards to check it.
- latency: one connection, one write at a time (wrk -c1), p50/p99 from wrk's histogram.
- failover: KILLS times: SIGKILL the leader, time until both survivors name the same new
  leader, restart the killed server, wait until all three agree again.

usage: MUSTER_BIN=build-bench/muster bench/raft_cluster.py
       (env: DURATION, CONNECTIONS=16,64,256,512, KILLS,
       BENCH_OUT, SKIP_THROUGHPUT=1)
"""

import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

MUSTER = os.environ.get("MUSTER_BIN", os.path.join(os.path.dirname(__file__), "..",
                                                   "build-bench", "muster"))
DURATION = int(os.environ.get("DURATION", "10"))
SKIP_THROUGHPUT = os.environ.get("SKIP_THROUGHPUT") == "1"
CONNECTIONS = [int(c) for c in os.environ.get("CONNECTIONS", "16,64,256,512").split(",")]
KILLS = int(os.environ.get("KILLS", "20"))
OUT = os.environ.get("BENCH_OUT", f"/tmp/dnsbench-results/raft-{time.strftime('%Y%m%d-%H%M%S')}")
IPS = ["127.0.0.11", "127.0.0.12", "127.0.0.13"]

WRK_SCRIPT = r"""
local counter = 0
local prefix = os.getenv("PREFIX") or "n"
wrk.method = "PUT"
wrk.headers["Content-Type"] = "application/json"
request = function()
  counter = counter + 1
  local id = prefix .. "-" .. (thread_id or "0") .. "-" .. counter
  local body = '{"Node":"' .. id .. '","Address":"10.' .. (counter % 250) .. '.' ..
      (math.floor(counter / 250) % 250) .. '.1","Service":{"ID":"' .. id ..
      '","Service":"' .. id .. '","Port":80}}'
  return wrk.format(nil, "/v1/catalog/register", nil, body)
end
setup = function(thread)
  thread:set("thread_id", tostring(math.random(1, 1000000000)))
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors_status=%d errors_connect=%d " ..
    "errors_timeout=%d p50_us=%d p99_us=%d max_us=%d\n", summary.requests,
    summary.errors.status, summary.errors.connect, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(port, path, method="GET", body=None, timeout=5):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=None if body is None else json.dumps(body).encode())
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"null")


class Server:
    def __init__(self, root, i, server_port):
        self.i, self.ip = i, IPS[i]
        self.dir = os.path.join(root, f"srv{i}")
        os.makedirs(self.dir, exist_ok=True)
        self.http_port, self.dns_port = free_port(), free_port()
        self.cfg = {
            "node_name": f"srv-{i + 1}", "server": True, "bootstrap_expect": 3,
            "bind_addr": self.ip, "client_addr": "127.0.0.1", "data_dir": self.dir,
            "log_level": "warn", "retry_join": [f"{ip}:{server_port}" for ip in IPS],
            "retry_interval": "200ms",
            "ports": {"dns": self.dns_port, "http": self.http_port, "server": server_port},
        }
        with open(os.path.join(self.dir, "muster.json"), "w") as f:
            json.dump(self.cfg, f)
        self.proc = None

    def start(self):
        log = open(os.path.join(self.dir, "muster.log"), "ab")
        self.proc = subprocess.Popen([MUSTER, "agent", "--config-file",
                                      os.path.join(self.dir, "muster.json")],
                                     stdout=log, stderr=log, start_new_session=True)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def leader(self):
        try:
            return http(self.http_port, "/v1/status/leader", timeout=1)
        except Exception:
            return ""

    def peers(self):
        try:
            return http(self.http_port, "/v1/status/peers", timeout=1)
        except Exception:
            return []


def agreed_leader(servers):
    seen = {s.leader() for s in servers}
    if len(seen) == 1 and "" not in seen:
        return seen.pop()
    return None


def wait(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.01)
    raise TimeoutError(what)


def by_address(servers, address):
    return next(s for s in servers if f"{s.ip}:{s.cfg['ports']['server']}" == address)


def wrk(port, connections, duration, prefix, script):
    out = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}",
                          f"-d{duration}s", "--timeout", "10s", "-s", script,
                          f"http://127.0.0.1:{port}"],
                         env=dict(os.environ, PREFIX=prefix), capture_output=True, text=True,
                         timeout=duration + 60)
    m = re.search(r"RESULT (.*)", out.stdout)
    if not m:
        raise RuntimeError(f"wrk: {out.stdout}\n{out.stderr}")
    r = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    r["ok"] = r["requests"] - r["errors_status"]
    return r


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    if not shutil.which("wrk"):
        sys.exit("wrk missing: scripts/setup --bench installs it")
    os.makedirs(OUT, exist_ok=True)
    root = tempfile.mkdtemp(prefix="muster-raft-bench-")
    script = os.path.join(root, "register.lua")
    with open(script, "w") as f:
        f.write(WRK_SCRIPT)
    server_port = free_port()
    servers = [Server(root, i, server_port) for i in range(3)]
    report = []
    try:
        for s in servers:
            s.start()
        wait(lambda: agreed_leader(servers) and all(len(s.peers()) == 3 for s in servers), 60,
             "cluster formed")
        lead = by_address(servers, agreed_leader(servers))
        follower = next(s for s in servers if s is not lead)
        if not SKIP_THROUGHPUT:
            throughput(lead, follower, script, report)
        failover(servers, server_port, report)
    finally:
        for s in servers:
            s.kill()
        text = "\n".join(report) + "\n"
        with open(os.path.join(OUT, "raft_cluster.md"), "w") as f:
            f.write(text)
        print(text)
        shutil.rmtree(root, ignore_errors=True)


def throughput(lead, follower, script, report):
    # Group commit packs what waits into one entry: the more writes in flight, the bigger the
    # entries. So committed/s is measured over a sweep of concurrent connections; the bar holds
    # for the best of them, as throughput benchmarks report saturation.
    #
    # One write at a time first, on a small catalog: the write latency of a quiet cluster.
    latency = wrk(lead.http_port, 1, min(DURATION, 5), "lat", script)
    results = []
    for n in CONNECTIONS:
        for name, target in (("leader", lead), ("follower", follower)):
            r = wrk(target.http_port, n, DURATION, f"{name}{n}", script)
            results.append((name, n, r))
    expected = sum(r["ok"] for _, _, r in results) + latency["ok"]
    counted = wait(lambda: (lambda n: n if n >= expected else None)(
        len(http(follower.http_port, "/v1/catalog/nodes", timeout=30)) - 3), 60,
        "every acknowledged registration on a follower")
    best = max(r["ok"] / DURATION for _, _, r in results)
    report.append("## Committed registrations through a 3-server cluster\n")
    report.append(f"wrk, 1 thread on CPU 1, {DURATION} s per row, rows in this order; every "
                  "request registers a new node with one service (PUT /v1/catalog/register); a "
                  "200 is a committed registration. The catalog grows all along (see the end); "
                  "the max column shows the pauses of Raft snapshots (every "
                  "raft.snapshot_threshold entries a compacted copy of the catalog's LMDB file "
                  "is taken on the Raft thread).\n")
    report.append("| sent to | connections | committed/s | non-200 | p50 | p99 | max |")
    report.append("|---|---|---|---|---|---|---|")
    for name, n, r in results:
        report.append(f"| {name} | {n} | {r['ok'] / DURATION:,.0f} | {r['errors_status']} | "
                      f"{r['p50_us'] / 1000:.2f} ms | {r['p99_us'] / 1000:.2f} ms | "
                      f"{r['max_us'] / 1000:.0f} ms |")
    report.append(f"\nBest: {best:,.0f} committed/s; bar 10,000/s: "
                  f"{'PASS' if best >= 10000 else 'FAIL'}.")
    report.append(f"One write at a time (wrk -c1, leader, before the rows above): p50 "
                  f"{latency['p50_us'] / 1000:.2f} ms, p99 {latency['p99_us'] / 1000:.2f} ms, "
                  f"max {latency['max_us'] / 1000:.0f} ms, "
                  f"{latency['ok'] / min(DURATION, 5):,.0f}/s.")
    report.append(f"Catalog on a follower afterwards: {counted:,} registered nodes "
                  f"(acknowledged: {expected:,}).\n")
    print("\n".join(report), flush=True)


def failover(servers, server_port, report):
    times = []
    for k in range(KILLS):
        lead = by_address(servers, wait(lambda: agreed_leader(servers), 30, "leader"))
        survivors = [s for s in servers if s is not lead]
        t0 = time.monotonic()
        lead.kill()
        new = wait(lambda: (lambda a: a if a and a != f"{lead.ip}:{server_port}" else None)(
            agreed_leader(survivors)), 30, "new leader")
        times.append(time.monotonic() - t0)
        print(f"kill {k + 1}: new leader {new} after {times[-1] * 1000:.0f} ms", flush=True)
        lead.start()
        wait(lambda: agreed_leader(servers) and all(len(s.peers()) == 3 for s in servers),
             60, "all three agree again")
    report.append(f"## Leader failover over {KILLS} SIGKILLs of the leader\n")
    report.append("Time from the SIGKILL until both survivors name the same new leader "
                  "(/v1/status/leader, polled every 10 ms); raft.election_timeout at its "
                  "default.\n")
    report.append("| p50 | p90 | p99 | max | min |")
    report.append("|---|---|---|---|---|")
    report.append(f"| {pct(times, 50) * 1000:.0f} ms | {pct(times, 90) * 1000:.0f} ms | "
                  f"{pct(times, 99) * 1000:.0f} ms | {max(times) * 1000:.0f} ms | "
                  f"{min(times) * 1000:.0f} ms |")
    report.append(f"\nmean {statistics.mean(times) * 1000:.0f} ms; bar: p99 under 2 s: "
                  f"{'PASS' if pct(times, 99) < 2 else 'FAIL'}.")


if __name__ == "__main__":
    main()
