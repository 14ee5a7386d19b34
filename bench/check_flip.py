#!/usr/bin/python3
"""Health-check benchmark (issue 4), run by check_flip.sh.

Part 1, flip latency: one service instance with an HTTP check (CHECK_INTERVAL, default 100ms)
against a local HTTP server that this script switches between 200 and 500. The server records
the time it finished sending the first answer of the new kind after each switch: that is the
check's result. A tight DNS poller (UDP, raw wire, one query in flight, about 1 ms apart) records
when the A answer for the service changes (NOERROR with the address <-> NXDOMAIN). Latency =
DNS change - result, over FLIPS switches (half to failing, half back to passing). Bar: under
100 ms. The time from the switch to the result (up to one interval) is the check's schedule,
not muster's reaction, and is not counted.

Part 2, load: TCP_CHECKS services, each with a TCP check (1s interval) against a listener of
its own (one port per check, so every check's run times can be followed), for LOAD_SECONDS.
Reported: muster's CPU (utime+stime of all its threads from /proc/PID/stat) per window and
over the whole run, RSS, accepts per second, and drift: for every check, how far its runs moved
off their 1-second grid between the first and last run measured (a drift-free scheduler keeps
this near 0 whatever the run length; a "sleep interval after each run" one drifts by the run
time every run). The instances served are counted through DNS, not the API, so that nothing but
the checks loads the agent while it is measured. After the measured span, two more numbers:
what one GET /v1/agent/checks costs with that many checks, and a burst: every listener closes at
once and the time until DNS serves none of the instances is reported.

Every loop is bounded in time. Writes REPORT.md and REPORT.json next to it.
usage: check_flip.py --muster BIN --out DIR [--flips N] [--tcp-checks N] [--load-seconds S]
                     [--interval MS] [--muster-cpu C] [--client-cpu C] [--skip-flips|--skip-load]
"""

import argparse
import http.server
import json
import os
import random
import resource
import selectors
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
import urllib.request

LOCALHOST = "127.0.0.1"
FLIP_ADDR = "10.40.0.1"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
        t.bind((LOCALHOST, 0))
        port = t.getsockname()[1]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.bind((LOCALHOST, port))  # free for UDP too, or raise
    return port


def percentile(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    k = min(len(s) - 1, max(0, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


# ------------------------------------------------------------------------------------------
# muster


class Agent:
    def __init__(self, binary, workdir, config, cpu=None):
        self.dir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.config = config
        self.dns_port = config["ports"]["dns"]
        self.http_port = config["ports"]["http"]
        self.conf_path = os.path.join(workdir, "muster.json")
        with open(self.conf_path, "w") as f:
            json.dump(config, f)
        self.log_path = os.path.join(workdir, "muster.log")
        log = open(self.log_path, "ab")
        preexec = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
        env = dict(os.environ)
        env.pop("NOTIFY_SOCKET", None)
        self.proc = subprocess.Popen([binary, "agent", "--config-file", self.conf_path],
                                     stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True, preexec_fn=preexec, env=env)
        log.close()
        self.pid = self.proc.pid

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"muster exited with {self.proc.returncode}; see {self.log_path}")
            try:
                self.api("GET", "/v1/agent/self", timeout=1)
                DnsPoller(self.dns_port, "ready.invalid", timeout=0.2).present(tries=1)
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"muster did not start in {timeout}s; see {self.log_path}")

    def api(self, method, path, body=None, timeout=30):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"http://{LOCALHOST}:{self.http_port}{path}", data=data,
                                     method=method)
        with urllib.request.urlopen(req, timeout=timeout) as r:
            text = r.read()
        return json.loads(text) if text.strip() else None

    def cpu_seconds(self):
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15)

    def rss_mib(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
        return float("nan")

    def threads(self):
        return len(os.listdir(f"/proc/{self.pid}/task"))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)


def base_config(data_dir):
    shutil.rmtree(data_dir, ignore_errors=True)  # every run starts from an empty catalog
    return {"node_name": "bench", "client_addr": LOCALHOST, "data_dir": data_dir,
            "log_level": "warn", "recursors": [],
            "ports": {"dns": free_port(), "http": free_port()},
            "dns_config": {"workers": 1}}


# ------------------------------------------------------------------------------------------
# part 1: flip latency


class FlipServer:
    """HTTP server answering `status`; records when it finished the first answer of each
    status after a switch."""

    def __init__(self):
        self.status = 200
        self.generation = 0
        self.first_done = {}  # generation -> monotonic time the first answer of it was sent
        self.lock = threading.Lock()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self):  # noqa: N802
                with owner.lock:
                    status, gen = owner.status, owner.generation
                body = b"ok\n" if status == 200 else b"failing\n"
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                t = time.monotonic()
                with owner.lock:
                    owner.first_done.setdefault(gen, t)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer((LOCALHOST, 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def switch(self, status):
        with self.lock:
            self.status = status
            self.generation += 1
            return self.generation

    def result_time(self, gen):
        with self.lock:
            return self.first_done.get(gen)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class DnsPoller:
    """One UDP socket, one A query in flight: present() says whether the answer has records."""

    def __init__(self, port, name, timeout=1.0):
        self.addr = (LOCALHOST, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(timeout)
        self.qid = 0
        self.qname = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"

    def count(self, tries=3):
        """How many records the A answer has (0 for NXDOMAIN)."""
        for attempt in range(tries):
            self.qid = (self.qid + 1) & 0xFFFF
            q = (struct.pack(">HHHHHH", self.qid, 0x0100, 1, 0, 0, 0) + self.qname +
                 struct.pack(">HH", 1, 1))
            self.sock.sendto(q, self.addr)
            try:
                while True:
                    data = self.sock.recv(65535)
                    if len(data) >= 12 and struct.unpack(">H", data[:2])[0] == self.qid:
                        return struct.unpack(">H", data[6:8])[0] if data[3] & 0x0F == 0 else 0
            except (socket.timeout, ConnectionRefusedError):
                if attempt == tries - 1:
                    raise

    def present(self, tries=3):
        """(answer has A records, monotonic time the answer arrived); a lost query is sent
        again (new ID) up to `tries` times, then the timeout is raised."""
        for attempt in range(tries):
            self.qid = (self.qid + 1) & 0xFFFF
            q = (struct.pack(">HHHHHH", self.qid, 0x0100, 1, 0, 0, 0) + self.qname +
                 struct.pack(">HH", 1, 1))
            self.sock.sendto(q, self.addr)
            try:
                while True:
                    data = self.sock.recv(4096)
                    if len(data) >= 12 and struct.unpack(">H", data[:2])[0] == self.qid:
                        t = time.monotonic()
                        rcode = data[3] & 0x0F
                        ancount = struct.unpack(">H", data[6:8])[0]
                        return rcode == 0 and ancount > 0, t
            except (socket.timeout, ConnectionRefusedError):
                if attempt == tries - 1:
                    raise


def run_flips(args, out):
    server = FlipServer()
    cfg = base_config(os.path.join(out, "flip.data"))
    cfg["services"] = [{"id": "flip-1", "name": "flip", "address": FLIP_ADDR, "port": 80,
                        "check": {"id": "flip-http", "name": "flip", "interval": f"{args.interval}ms",
                                  "timeout": "1s", "http": f"http://{LOCALHOST}:{server.port}/"}}]
    agent = Agent(args.muster, os.path.join(out, "flip"), cfg, args.muster_cpu)
    rows = []
    try:
        agent.wait_ready()
        poller = DnsPoller(agent.dns_port, "flip.service.internal")
        deadline = time.monotonic() + 10
        while not poller.present()[0]:
            if time.monotonic() > deadline:
                raise RuntimeError("flip.service.internal never became present")
            time.sleep(0.01)
        state = True
        for i in range(args.flips):
            time.sleep(random.uniform(0.05, 0.15))  # land anywhere on the check's grid
            want = not state
            gen = server.switch(200 if want else 500)
            t_switch = time.monotonic()
            changed_at = None
            limit = t_switch + args.flip_timeout
            while time.monotonic() < limit:
                present, t = poller.present()
                if present == want:
                    changed_at = t
                    break
                time.sleep(0.0005)
            result = server.result_time(gen)
            row = {"flip": i, "to": "passing" if want else "critical",
                   "result_after_switch_ms": None if result is None else (result - t_switch) * 1e3,
                   "latency_ms": None if (changed_at is None or result is None)
                   else (changed_at - result) * 1e3}
            rows.append(row)
            if changed_at is None:
                print(f"flip {i}: DNS did not change within {args.flip_timeout}s", file=sys.stderr)
                # wait for it anyway, bounded, so the next flip starts from a known state
                end = time.monotonic() + 5
                while time.monotonic() < end and poller.present()[0] != want:
                    time.sleep(0.01)
            state = want
    finally:
        agent.stop()
        server.stop()
    lat = [r["latency_ms"] for r in rows if r["latency_ms"] is not None]
    summary = {"flips": len(rows), "measured": len(lat),
               "missed": sum(1 for r in rows if r["latency_ms"] is None),
               "interval_ms": args.interval}
    for label, sel in (("all", lat),
                       ("to_critical", [r["latency_ms"] for r in rows
                                        if r["to"] == "critical" and r["latency_ms"] is not None]),
                       ("to_passing", [r["latency_ms"] for r in rows
                                       if r["to"] == "passing" and r["latency_ms"] is not None])):
        summary[label] = {"p50_ms": percentile(sel, 50), "p99_ms": percentile(sel, 99),
                          "max_ms": max(sel) if sel else float("nan"),
                          "min_ms": min(sel) if sel else float("nan"), "n": len(sel)}
    return summary, rows


# ------------------------------------------------------------------------------------------
# part 2: many TCP checks


class Listeners:
    """N listening sockets (one per check), accepted and closed at once on one thread; records
    every accept as (index, monotonic time)."""

    def __init__(self, n):
        self.sel = selectors.EpollSelector()
        self.socks = []
        self.ports = []
        for i in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((LOCALHOST, 0))
            s.listen(64)
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ, i)
            self.socks.append(s)
            self.ports.append(s.getsockname()[1])
        self.accepts = []  # (i, t)
        self.running = True
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while self.running:
            for key, _ in self.sel.select(timeout=0.1):
                t = time.monotonic()
                while True:
                    try:
                        conn, _ = key.fileobj.accept()
                    except (BlockingIOError, OSError):
                        break
                    conn.close()
                    self.accepts.append((key.data, t))

    def stop(self):
        self.running = False
        self.thread.join(timeout=5)
        for s in self.socks:
            s.close()


def run_load(args, out):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.tcp_checks + 1024
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    lst = Listeners(args.tcp_checks)
    cfg = base_config(os.path.join(out, "load.data"))
    cfg["services"] = [{"id": f"svc-{i}", "name": f"svc{i % 100}",
                        "address": f"10.{41 + i // 65536}.{(i // 256) % 256}.{i % 256}", "port": 80,
                        "check": {"id": f"tcp-{i}", "name": "tcp", "tcp": f"{LOCALHOST}:{port}",
                                  "interval": "1s", "timeout": "1s"}}
                       for i, port in enumerate(lst.ports)]
    agent = Agent(args.muster, os.path.join(out, "load"), cfg, args.muster_cpu)
    result = {"checks": args.tcp_checks, "interval_s": 1, "seconds": args.load_seconds}
    try:
        agent.wait_ready(60)
        t_start = time.monotonic()
        # warm-up: every check has run and its instance is served in DNS (bounded). DNS, not
        # the API: GET /v1/agent/checks costs O(checks x services) on this node (it decodes
        # every service of the node for each check's tags) and would load the agent.
        names = sorted({svc["name"] for svc in cfg["services"]})
        pollers = [DnsPoller(agent.dns_port, f"{n}.service.internal") for n in names]

        def served():
            return sum(p.count() for p in pollers)
        deadline = t_start + args.warmup_timeout
        passing = 0
        while time.monotonic() < deadline:
            passing = served()
            if passing == args.tcp_checks:
                break
            time.sleep(0.5)
        result["warmup_s"] = time.monotonic() - t_start
        result["passing_after_warmup"] = passing
        time.sleep(2)  # let the first-run jitter and the writes of the warm-up settle
        windows = []
        t0 = time.monotonic()
        cpu0 = agent.cpu_seconds()
        n0 = len(lst.accepts)
        rss0 = agent.rss_mib()
        wt, wcpu, wn = t0, cpu0, n0
        end = t0 + args.load_seconds
        while time.monotonic() < end:
            time.sleep(min(args.window, max(0.0, end - time.monotonic())))
            t, cpu, n = time.monotonic(), agent.cpu_seconds(), len(lst.accepts)
            windows.append({"t_s": round(t - t0, 1), "cpu_pct": 100 * (cpu - wcpu) / (t - wt),
                            "accepts_per_s": (n - wn) / (t - wt), "rss_mib": agent.rss_mib()})
            wt, wcpu, wn = t, cpu, n
        t1, cpu1, n1 = time.monotonic(), agent.cpu_seconds(), len(lst.accepts)
        result.update({"cpu_pct": 100 * (cpu1 - cpu0) / (t1 - t0),
                       "accepts_per_s": (n1 - n0) / (t1 - t0),
                       "rss_mib_start": rss0, "rss_mib_end": agent.rss_mib(),
                       "threads": agent.threads(), "windows": windows})
        result["passing_at_end"] = served()
        # after the measured span: what one GET /v1/agent/checks costs with this many checks
        ta, ca = time.monotonic(), agent.cpu_seconds()
        try:
            checks = agent.api("GET", "/v1/agent/checks", timeout=args.warmup_timeout)
            result["agent_checks_listed"] = len(checks)
        except OSError as exc:
            result["agent_checks_listed"] = repr(exc)
        result["agent_checks_get_s"] = time.monotonic() - ta
        result["agent_checks_get_cpu_s"] = agent.cpu_seconds() - ca
        # a burst: every listener closes at once, so every check fails within one interval;
        # how long until DNS serves none of the instances (each result is its own catalog write)
        lst.stop()
        tb = time.monotonic()
        left = served()
        while left and time.monotonic() < tb + args.warmup_timeout:
            time.sleep(0.2)
            left = served()
        result["burst_all_gone_s"] = time.monotonic() - tb if left == 0 else None
        result["burst_left"] = left
        # drift: per check, the runs inside the measured span
        per = {}
        for i, t in lst.accepts:
            if t0 <= t <= t1:
                per.setdefault(i, []).append(t)
        drift, gaps, runs = [], [], []
        skipped = 0
        for i, ts in per.items():
            runs.append(len(ts))
            if len(ts) >= 2:
                ts.sort()
                # the slot of the last run on the first run's 1 s grid (robust to skipped slots)
                slots = round(ts[-1] - ts[0])
                skipped += slots - (len(ts) - 1)
                drift.append(((ts[-1] - ts[0]) - slots * 1.0) * 1e3)
                gaps.extend((b - a) * 1e3 for a, b in zip(ts, ts[1:]))
        expected_runs = (t1 - t0)
        result["drift"] = {
            "checks_seen": len(per), "skipped_slots": skipped,
            "runs_per_check_p50": percentile(runs, 50), "runs_expected": round(expected_runs, 1),
            "abs_drift_ms_p50": percentile([abs(d) for d in drift], 50),
            "abs_drift_ms_p99": percentile([abs(d) for d in drift], 99),
            "abs_drift_ms_max": max((abs(d) for d in drift), default=float("nan")),
            "mean_drift_ms": statistics.fmean(drift) if drift else float("nan"),
            "gap_ms_p1": percentile(gaps, 1), "gap_ms_p50": percentile(gaps, 50),
            "gap_ms_p99": percentile(gaps, 99)}
        ws = [w["cpu_pct"] for w in windows]
        half = len(ws) // 2
        if half:
            result["cpu_pct_first_half"] = statistics.fmean(ws[:half])
            result["cpu_pct_second_half"] = statistics.fmean(ws[half:])
    finally:
        agent.stop()
        lst.stop()
    return result


# ------------------------------------------------------------------------------------------


def fmt(x, digits=1):
    return "n/a" if x is None or x != x else f"{x:.{digits}f}"


def report(args, out, flips, load, command):
    lines = [f"## muster health-check benchmark ({time.strftime('%Y-%m-%dT%H:%M:%S%z')})", "",
             f"muster `{args.muster}`; command: `{command}`; "
             f"load average before: {open('/proc/loadavg').read().split()[:3]}", ""]
    if flips:
        s, _ = flips
        lines += [f"### Flip latency: check result -> DNS answer changed ({s['flips']} flips, "
                  f"HTTP check every {s['interval_ms']} ms)", "",
                  "| flips | n | p50 ms | p99 ms | max ms | min ms |", "|---|---|---|---|---|---|"]
        for label in ("all", "to_critical", "to_passing"):
            r = s[label]
            lines.append(f"| {label} | {r['n']} | {fmt(r['p50_ms'], 2)} | {fmt(r['p99_ms'], 2)} | "
                         f"{fmt(r['max_ms'], 2)} | {fmt(r['min_ms'], 2)} |")
        verdict = "PASS" if s["missed"] == 0 and s["all"]["p99_ms"] < 100 else "FAIL"
        lines += ["", f"missed (no DNS change within {args.flip_timeout}s): {s['missed']}; "
                  f"bar p99 < 100 ms: **{verdict}**", ""]
    if load:
        d = load.get("drift", {})
        lines += [f"### {load['checks']} TCP checks at 1 s for {load['seconds']} s", "",
                  f"- warm-up: {fmt(load.get('warmup_s'))} s until "
                  f"{load.get('passing_after_warmup')} instances served in DNS; at the end: "
                  f"{load.get('passing_at_end')}",
                  f"- muster CPU: **{fmt(load.get('cpu_pct'))} %** of one core "
                  f"(first half {fmt(load.get('cpu_pct_first_half'))} %, second half "
                  f"{fmt(load.get('cpu_pct_second_half'))} %); threads {load.get('threads')}",
                  f"- RSS: {fmt(load.get('rss_mib_start'))} MiB -> {fmt(load.get('rss_mib_end'))} MiB",
                  f"- after the run, one GET /v1/agent/checks ({load.get('agent_checks_listed')} "
                  f"checks listed): {fmt(load.get('agent_checks_get_s'), 2)} s, "
                  f"{fmt(load.get('agent_checks_get_cpu_s'), 2)} s of muster CPU",
                  f"- burst: all {load['checks']} listeners closed at once; every instance gone "
                  f"from DNS after {fmt(load.get('burst_all_gone_s'))} s (results arrive within 1 s; "
                  f"{load.get('burst_left')} still served at the end)",
                  f"- connections accepted: {fmt(load.get('accepts_per_s'))} /s "
                  f"(expected {load['checks']})",
                  f"- runs per check: p50 {d.get('runs_per_check_p50')} over "
                  f"{d.get('runs_expected')} s; interval between runs p1/p50/p99 "
                  f"{fmt(d.get('gap_ms_p1'))}/{fmt(d.get('gap_ms_p50'))}/{fmt(d.get('gap_ms_p99'))} ms",
                  f"- slots skipped (a run missing from the grid), all checks: {d.get('skipped_slots')}",
                  f"- drift off the 1 s grid over the run, |last - first - slots x 1 s| per check: "
                  f"p50 {fmt(d.get('abs_drift_ms_p50'), 2)} ms, p99 {fmt(d.get('abs_drift_ms_p99'), 2)} ms, "
                  f"max {fmt(d.get('abs_drift_ms_max'), 2)} ms (mean signed "
                  f"{fmt(d.get('mean_drift_ms'), 2)} ms)", "",
                  "| t s | CPU % | accepts/s | RSS MiB |", "|---|---|---|---|"]
        for w in load.get("windows", []):
            lines.append(f"| {w['t_s']} | {fmt(w['cpu_pct'])} | {fmt(w['accepts_per_s'])} | "
                         f"{fmt(w['rss_mib'])} |")
        lines.append("")
    text = "\n".join(lines)
    with open(os.path.join(out, "check_flip.md"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(out, "check_flip.json"), "w") as f:
        json.dump({"flips": flips[0] if flips else None, "flip_rows": flips[1] if flips else None,
                   "load": load}, f, indent=1)
    print(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--muster", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--flips", type=int, default=100)
    ap.add_argument("--interval", type=int, default=100, help="flip check interval, ms")
    ap.add_argument("--flip-timeout", type=float, default=3.0)
    ap.add_argument("--tcp-checks", type=int, default=2000)
    ap.add_argument("--load-seconds", type=float, default=60)
    ap.add_argument("--window", type=float, default=10)
    ap.add_argument("--warmup-timeout", type=float, default=120,
                    help="longest wait for every TCP check to pass once")
    ap.add_argument("--muster-cpu", type=int)
    ap.add_argument("--client-cpu", type=int)
    ap.add_argument("--skip-flips", action="store_true")
    ap.add_argument("--skip-load", action="store_true")
    args = ap.parse_args()
    # a timeout(1) or ^C ends the run through the finally blocks: muster and the servers stop
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.makedirs(args.out, exist_ok=True)
    if args.client_cpu is not None:
        os.sched_setaffinity(0, {args.client_cpu})
    command = " ".join(sys.argv)
    flips = None if args.skip_flips else run_flips(args, args.out)
    load = None if args.skip_load else run_load(args, args.out)
    report(args, args.out, flips, load, command)
    if flips and (flips[0]["missed"] or not flips[0]["all"]["p99_ms"] < 100):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
