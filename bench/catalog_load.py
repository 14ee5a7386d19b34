#!/usr/bin/python3
"""Register the benchmark catalog (catalog_data.py) in a running muster agent
through its Consul-compatible HTTP API, then verify it.

usage: catalog_load.py HOST:PORT [--services N] [--instances K] [--no-big]
                       [--parallel P] [--wait S]

One PUT /v1/catalog/register per instance, body
  {"Node": "n<j>", "Address": "10.x.y.z",
   "Service": {"ID": "s<i>-<k>", "Service": "s<i>", "Port": 8000+i, "Tags": ["v1"]}}
sent over P keep-alive HTTP/1.1 connections in parallel (default 4).  Waits up
to S seconds (default 30) for the API to accept connections first.

Verification (exit status 1 if it fails): GET /v1/catalog/services lists every
generated service name, and GET /v1/catalog/service/<name> returns the right
number of instances for the first and the last service (and big10/big1000).
Prints one line: registrations, seconds, registrations/s, services found.
"""
import argparse
import http.client
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import catalog_data  # noqa: E402


class Client:
    def __init__(self, host, port):
        self.host, self.port, self.conn = host, port, None

    def request(self, method, path, body=None):
        for attempt in range(3):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                    self.conn.connect()
                    # no Nagle: a small request must not wait for the previous reply's delayed ACK
                    self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                hdrs = {"Content-Type": "application/json"} if body is not None else {}
                self.conn.request(method, path, body=body, headers=hdrs)
                resp = self.conn.getresponse()
                data = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return resp.status, data
            except (OSError, http.client.HTTPException):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                time.sleep(0.1)


def wait_api(host, port, seconds):
    deadline = time.monotonic() + seconds
    while True:
        try:
            st, _ = Client(host, port).request("GET", "/v1/catalog/datacenters")
            if st == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        if time.monotonic() > deadline:
            sys.exit(f"catalog_load.py: the HTTP API at {host}:{port} did not answer in {seconds}s")
        time.sleep(0.1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("http", help="HOST:PORT of muster's HTTP API")
    ap.add_argument("--services", type=int, default=1000)
    ap.add_argument("--instances", type=int, default=3)
    ap.add_argument("--no-big", action="store_true")
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--wait", type=float, default=30)
    a = ap.parse_args()
    host, port = a.http.rsplit(":", 1)
    port = int(port)
    big = not a.no_big
    wait_api(host, port, a.wait)

    regs = list(catalog_data.registrations(a.services, a.instances, big))
    errors, lock = [], threading.Lock()

    def worker(part):
        c = Client(host, port)
        for node, addr, sid, svc, sport in part:
            body = json.dumps({"Node": node, "Address": addr,
                               "Service": {"ID": sid, "Service": svc, "Port": sport, "Tags": ["v1"]}})
            try:
                st, data = c.request("PUT", "/v1/catalog/register", body)
            except (OSError, http.client.HTTPException) as e:
                st, data = 0, str(e).encode()
            if st != 200:
                with lock:
                    errors.append(f"{sid}: HTTP {st} {data[:200]!r}")
                    if len(errors) > 20:
                        return

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, args=(regs[i::a.parallel],)) for i in range(a.parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dt = time.monotonic() - t0
    if errors:
        sys.exit("catalog_load.py: registration failed:\n  " + "\n  ".join(errors[:20]))

    c = Client(host, port)
    st, data = c.request("GET", "/v1/catalog/services")
    if st != 200:
        sys.exit(f"catalog_load.py: GET /v1/catalog/services: HTTP {st}")
    listed = json.loads(data)
    want = catalog_data.service_names(a.services, big)
    missing = [n for n in want if n not in listed]
    bad = []
    checks = {f"s0": a.instances, f"s{a.services - 1}": a.instances}
    if big:
        checks.update(dict(catalog_data.BIG))
    for name, n in checks.items():
        st, data = c.request("GET", f"/v1/catalog/service/{name}")
        got = len(json.loads(data)) if st == 200 else -1
        if got != n:
            bad.append(f"{name}: {got} instances, expected {n}")
    print(f"catalog_load: {len(regs)} registrations in {dt:.1f}s ({len(regs) / dt:,.0f}/s, "
          f"{a.parallel} connections); /v1/catalog/services lists {len(listed)} services, "
          f"{len(want) - len(missing)}/{len(want)} expected", flush=True)
    if missing or bad:
        sys.exit(f"catalog_load.py: verification failed: missing {missing[:10]} ({len(missing)}); {bad}")


if __name__ == "__main__":
    main()
