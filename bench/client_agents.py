#!/usr/bin/python3
"""Client agent benchmark: how fast a catalog write reaches the DNS answers of every client
agent, how fast a dead client's instances leave DNS everywhere, that leader failovers mark no
client failed, and (SCALE=1) what N clients cost the servers.

Three `muster agent` servers on 127.0.0.11-13 (bootstrap_expect 3) and CLIENTS client agents
(`server` absent) on 127.0.0.21.., each with retry_join on the three servers, DNS/HTTP on
127.0.0.1, one DNS worker.
- propagation: WRITES times: register a new service on the leader (PUT /v1/catalog/register),
  t0 at the reply, then poll every client's DNS (A <svc>.service.internal, every 1 ms, all
  clients in parallel) until it answers; p50/p99/max over all (write x client) samples.
- death detection: KILLS times: register an instance on a client (its own
  /v1/agent/service/register), wait until every other agent answers it, SIGKILL the client,
  time until every other agent answers NXDOMAIN (or no A record); restart it, wait until it is
  back. Then LEADER_KILLS times: SIGKILL the leader, wait for a new one, restart it, while
  /v1/agent/members on a surviving server is polled every 100 ms for clients in Status 4
  (failed): false failed marks, the bar is 0.
- scale (SCALE=1): 3 servers + SCALE_CLIENTS clients: idle CPU of each server over 30 s (per
  client), time until all are attached and in sync (X-Consul-Index of /v1/catalog/services
  equal everywhere) after SIGTERM + restart of every process, RSS of one client holding
  10,000 services.

usage: MUSTER_BIN=build/muster bench/client_agents.py
       (env: CLIENTS=20, WRITES=200, KILLS=20, LEADER_KILLS=20, SCALE=1, SCALE_CLIENTS=200,
       ENCRYPT=1 (every agent with one cluster key), BENCH_OUT;
       small: CLIENTS=3 WRITES=20 KILLS=3 LEADER_KILLS=2)
"""

import concurrent.futures
import json
import os
import random
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

MUSTER = os.environ.get("MUSTER_BIN", os.path.join(os.path.dirname(__file__), "..",
                                                   "build", "muster"))
CLIENTS = int(os.environ.get("CLIENTS", "20"))
WRITES = int(os.environ.get("WRITES", "200"))
KILLS = int(os.environ.get("KILLS", "20"))
LEADER_KILLS = int(os.environ.get("LEADER_KILLS", "20"))
SCALE = os.environ.get("SCALE") == "1"
SCALE_CLIENTS = int(os.environ.get("SCALE_CLIENTS", "200"))
# ENCRYPT=1: every agent gets one cluster key (muster keygen): feeds, writes and Raft over TLS.
ENCRYPT = os.environ.get("ENCRYPT") == "1"
CLUSTER_KEY = (subprocess.run([MUSTER, "keygen"], check=True, capture_output=True,
                              text=True).stdout.strip() if ENCRYPT else "")
OUT = os.environ.get("BENCH_OUT",
                     f"/tmp/dnsbench-results/client-agents-{time.strftime('%Y%m%d-%H%M%S')}")
SERVER_IPS = ["127.0.0.11", "127.0.0.12", "127.0.0.13"]
DOMAIN = "internal"


def client_ip(i):
    # 127.0.0.21 .. 127.0.0.254, then 127.0.1.1 .. (all of 127/8 is loopback on Linux)
    n = 21 + i
    if n <= 254:
        return f"127.0.0.{n}"
    n -= 255
    return f"127.0.{n // 254 + 1}.{n % 254 + 1}"


_handed_out = set()


def free_port() -> int:
    # Never the same port twice: the kernel hands a closed port out again, and 400 agents
    # starting at once would then collide on their DNS or HTTP listeners.
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def http_raw(port, path, method="GET", body=None, timeout=5):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=None if body is None else json.dumps(body).encode())
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"null"), r.headers


def http(port, path, method="GET", body=None, timeout=5):
    return http_raw(port, path, method, body, timeout)[0]


# --- minimal DNS over UDP ---------------------------------------------------------------------

def dns_query(qid, name, qtype=1):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", qtype, 1)


def skip_name(msg, off):
    while True:
        n = msg[off]
        if n == 0:
            return off + 1
        if n & 0xC0 == 0xC0:
            return off + 2
        off += 1 + n


def dns_parse(msg):
    """(id, rcode, number of A records in the answer section)"""
    qid, flags, qd, an = struct.unpack("!HHHH", msg[:8])
    off = 12
    for _ in range(qd):
        off = skip_name(msg, off) + 4
    a = 0
    for _ in range(an):
        off = skip_name(msg, off)
        rtype, _, _, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        off += 10 + rdlen
        a += rtype == 1
    return qid, flags & 0xF, a


def poll_dns(ports, name, want_present, timeout):
    """Poll A <name> on every DNS port in `ports` in parallel, every 1 ms, until each one answers
    NOERROR with an A record (want_present) or NXDOMAIN / no A record (not want_present).
    Returns {port: monotonic time of the first such answer}; raises TimeoutError naming the
    ports that never did."""
    socks = {}
    for p in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setblocking(False)
        s.connect(("127.0.0.1", p))
        socks[s] = p
    done = {}
    qid = random.randrange(65536)
    deadline = time.monotonic() + timeout
    try:
        while len(done) < len(ports):
            now = time.monotonic()
            if now > deadline:
                missing = sorted(p for p in ports if p not in done)
                raise TimeoutError(f"DNS {name} {'present' if want_present else 'gone'} on "
                                   f"ports {missing} within {timeout} s")
            qid = (qid + 1) & 0xFFFF
            pkt = dns_query(qid, name)
            pending = [s for s, p in socks.items() if p not in done]
            for s in pending:
                try:
                    s.send(pkt)
                except OSError:
                    pass  # ECONNREFUSED from an earlier ICMP: agent down, try again
            end = time.monotonic() + 0.001
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    break
                r, _, _ = select.select(pending, [], [], left)
                for s in r:
                    try:
                        msg = s.recv(4096)
                    except OSError:
                        continue
                    t = time.monotonic()
                    try:
                        _, rcode, a = dns_parse(msg)
                    except (struct.error, IndexError):
                        continue
                    ok = (rcode == 0 and a > 0) if want_present else (rcode == 3 or
                                                                      (rcode == 0 and a == 0))
                    if ok and socks[s] not in done:
                        done[socks[s]] = t
                pending = [s for s in pending if socks[s] not in done]
                if not pending:
                    break
        return done
    finally:
        for s in socks:
            s.close()


# --- processes --------------------------------------------------------------------------------

class Agent:
    def __init__(self, root, name, ip, server_port, server, small=False):
        self.name, self.ip, self.server = name, ip, server
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir, exist_ok=True)
        self.http_port, self.dns_port = free_port(), free_port()
        self.cfg = {
            "node_name": name, "bind_addr": ip, "client_addr": "127.0.0.1",
            "data_dir": self.dir, "log_level": "warn",
            "retry_join": [f"{s}:{server_port}" for s in SERVER_IPS],
            "retry_interval": "200ms",
            "ports": {"dns": self.dns_port, "http": self.http_port, "server": server_port},
        }
        if CLUSTER_KEY:
            self.cfg["encrypt"] = CLUSTER_KEY
        if server:
            self.cfg.update({"server": True, "bootstrap_expect": 3})
        else:
            self.cfg["dns_config"] = {"workers": 1}
        with open(os.path.join(self.dir, "muster.json"), "w") as f:
            json.dump(self.cfg, f)
        self.proc = None

    def start(self):
        log = open(os.path.join(self.dir, "muster.log"), "ab")
        self.proc = subprocess.Popen([MUSTER, "agent", "--config-file",
                                      os.path.join(self.dir, "muster.json")],
                                     stdout=log, stderr=log, start_new_session=True)
        log.close()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        if self.alive():
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass

    def kill(self):
        self.signal(signal.SIGKILL)
        if self.proc:
            self.proc.wait()

    def stop(self, timeout=10):
        self.signal(signal.SIGTERM)
        if self.proc:
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def address(self):
        return f"{self.ip}:{self.cfg['ports']['server']}"

    def self_info(self):
        try:
            return http(self.http_port, "/v1/agent/self", timeout=1)
        except Exception:
            return None

    def attached(self):
        info = self.self_info()
        return bool(info and ((info.get("Stats") or {}).get("feed") or {}).get("server"))

    def leader(self):
        try:
            return http(self.http_port, "/v1/status/leader", timeout=1)
        except Exception:
            return ""

    def index(self):
        try:
            _, h = http_raw(self.http_port, "/v1/catalog/services", timeout=2)
            return h.get("X-Consul-Index")
        except Exception:
            return None

    def cpu_ticks(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime (fields 14, 15)

    def rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def log_tail(self, n=20):
        try:
            with open(os.path.join(self.dir, "muster.log"), errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""


def wait(pred, timeout, what, interval=0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    raise TimeoutError(f"{what}: not within {timeout} s")


def agreed_leader(servers):
    seen = {s.leader() for s in servers}
    if len(seen) == 1 and "" not in seen:
        return seen.pop()
    return None


def by_address(servers, address):
    return next(s for s in servers if s.address() == address)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def summary(values):
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50_ms": pct(values, 50) * 1000, "p99_ms": pct(values, 99) * 1000,
            "max_ms": max(values) * 1000, "min_ms": min(values) * 1000}


def make_cluster(root, n_clients):
    server_port = free_port()
    servers = [Agent(root, f"srv-{i + 1}", ip, server_port, True)
               for i, ip in enumerate(SERVER_IPS)]
    clients = [Agent(root, f"cli-{i + 1}", client_ip(i), server_port, False)
               for i in range(n_clients)]
    return servers, clients


def form(servers, clients, timeout):
    for a in servers + clients:
        a.start()
    wait(lambda: agreed_leader(servers), 60, "3 servers agree on a leader")
    wait(lambda: all(a.attached() for a in clients), timeout,
         "every client attached (Stats.feed.server non-empty)", interval=0.1)


def leader_of(servers):
    return by_address(servers, wait(lambda: agreed_leader(servers), 30, "leader"))


# --- 1. propagation ---------------------------------------------------------------------------

def propagation(servers, clients, results):
    samples = []
    ports = [c.dns_port for c in clients]
    lead = leader_of(servers)
    for w in range(WRITES):
        svc = f"prop-{w}"
        http(lead.http_port, "/v1/catalog/register", "PUT",
             {"Node": f"prop-node-{w}", "Address": f"10.1.{w // 250}.{w % 250 + 1}",
              "Service": {"ID": svc, "Service": svc, "Port": 80}})
        t0 = time.monotonic()
        seen = poll_dns(ports, f"{svc}.service.{DOMAIN}", True, 10)
        lat = [seen[p] - t0 for p in ports]
        samples.extend(lat)
        if (w + 1) % max(1, WRITES // 10) == 0:
            print(f"write {w + 1}/{WRITES}: max over clients {max(lat) * 1000:.1f} ms",
                  flush=True)
    s = summary(samples)
    s["bar_p99_ms"] = 250
    s["pass"] = s["p99_ms"] < 250
    results["propagation"] = s
    results["propagation_samples_ms"] = [round(x * 1000, 3) for x in samples]


# --- 2. death detection -----------------------------------------------------------------------

def death(servers, clients, results):
    per_kill, per_agent = [], []
    for k in range(KILLS):
        victim = clients[k % len(clients)]
        others = [a for a in servers + clients if a is not victim]
        svc = f"dead-{k}"
        name = f"{svc}.service.{DOMAIN}"
        http(victim.http_port, "/v1/agent/service/register", "PUT",
             {"ID": svc, "Name": svc, "Address": "10.2.0.1", "Port": 80})
        poll_dns([a.dns_port for a in others + [victim]], name, True, 10)
        t0 = time.monotonic()
        victim.kill()
        gone = poll_dns([a.dns_port for a in others], name, False, 30)
        lat = [gone[a.dns_port] - t0 for a in others]
        per_agent.extend(lat)
        per_kill.append(max(lat))
        print(f"kill {k + 1}/{KILLS} ({victim.name}): gone everywhere after "
              f"{per_kill[-1] * 1000:.0f} ms", flush=True)
        victim.start()
        wait(victim.attached, 30, f"{victim.name} attached again", interval=0.05)
        poll_dns([a.dns_port for a in others + [victim]], name, True, 30)
    s = summary(per_kill)
    s["per_agent"] = summary(per_agent)
    s["bar_p99_ms"] = 5000
    s["pass"] = bool(per_kill) and s["p99_ms"] < 5000
    results["death_detection"] = s


def leader_kills(servers, clients, results):
    client_names = {c.name for c in clients}
    false_failed = []
    times = []
    for k in range(LEADER_KILLS):
        lead = leader_of(servers)
        survivors = [s for s in servers if s is not lead]
        t0 = time.monotonic()
        lead.kill()

        def new_leader():
            a = agreed_leader(survivors)
            return a if a and a != lead.address() else None

        def check_members():
            try:
                members = http(survivors[0].http_port, "/v1/agent/members", timeout=1)
            except Exception:
                return
            for m in members or []:
                if m.get("Name") in client_names and m.get("Status") == 4:
                    false_failed.append((k, m.get("Name"), round(time.monotonic() - t0, 3)))

        deadline = time.monotonic() + 30
        new = None
        while new is None:
            if time.monotonic() > deadline:
                raise TimeoutError("new leader after a leader kill: not within 30 s")
            check_members()
            new = new_leader()
            if new is None:
                time.sleep(0.1)
        times.append(time.monotonic() - t0)
        lead.start()
        # keep watching while the killed server comes back and the clients move over
        deadline = time.monotonic() + 60
        while True:
            check_members()
            if agreed_leader(servers) and all(c.attached() for c in clients):
                break
            if time.monotonic() > deadline:
                raise TimeoutError("cluster whole again after a leader kill: not within 60 s")
            time.sleep(0.1)
        for _ in range(10):  # one more second of watching
            check_members()
            time.sleep(0.1)
        print(f"leader kill {k + 1}/{LEADER_KILLS}: new leader {new} after "
              f"{times[-1] * 1000:.0f} ms; false failed marks so far {len(false_failed)}",
              flush=True)
    results["leader_kills"] = {"kills": LEADER_KILLS, "failover": summary(times),
                               "false_failed": len(false_failed),
                               "false_failed_samples": false_failed[:100],
                               "pass": not false_failed}


# --- 3. scale ---------------------------------------------------------------------------------

def in_sync(agents):
    idx = {a.index() for a in agents}
    return len(idx) == 1 and None not in idx


def scale(results):
    root = tempfile.mkdtemp(prefix="muster-client-scale-")
    servers, clients = make_cluster(root, SCALE_CLIENTS)
    r = {"clients": SCALE_CLIENTS}
    try:
        form(servers, clients, 180)
        time.sleep(5)
        hz = os.sysconf("SC_CLK_TCK")
        before = {s.name: s.cpu_ticks() for s in servers}
        time.sleep(30)
        cpu = {s.name: (s.cpu_ticks() - before[s.name]) / hz / 30 for s in servers}
        lead = leader_of(servers)
        r["idle_cpu_percent"] = {n: v * 100 for n, v in cpu.items()}
        r["idle_cpu_percent_per_client"] = {n: v * 100 / SCALE_CLIENTS for n, v in cpu.items()}
        r["leader"] = lead.name
        r["leader_idle_cpu_percent"] = cpu[lead.name] * 100
        print(f"idle CPU over 30 s: {r['idle_cpu_percent']}", flush=True)

        every = servers + clients
        for a in every:
            a.signal(signal.SIGTERM)
        for a in every:
            try:
                a.proc.wait(15)
            except subprocess.TimeoutExpired:
                a.kill()
        t0 = time.monotonic()
        for a in every:
            a.start()
        wait(lambda: agreed_leader(servers) and all(c.attached() for c in clients)
             and in_sync(every), 120, "every agent attached and in sync after a full restart",
             interval=0.2)
        r["resync_s"] = time.monotonic() - t0
        r["resync_pass"] = r["resync_s"] < 30
        print(f"all back in sync after {r['resync_s']:.1f} s", flush=True)

        lead = leader_of(servers)
        n_services = 10000

        def reg(i):
            http(lead.http_port, "/v1/catalog/register", "PUT",
                 {"Node": f"rss-node-{i // 10}", "Address": f"10.3.{i // 2500}.{i % 250 + 1}",
                  "Service": {"ID": f"rss-{i}", "Service": f"rss-{i}", "Port": 80}}, timeout=30)

        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            list(pool.map(reg, range(n_services)))
        probe = clients[0]
        want = len(http(lead.http_port, "/v1/catalog/services", timeout=30))
        wait(lambda: len(http(probe.http_port, "/v1/catalog/services", timeout=30)) >= want,
             120, f"{probe.name} holds {want} services", interval=0.5)
        poll_dns([probe.dns_port], f"rss-{n_services - 1}.service.{DOMAIN}", True, 30)
        time.sleep(2)
        r["client_rss_mb_10k_services"] = probe.rss_kb() / 1024
        r["rss_pass"] = r["client_rss_mb_10k_services"] < 40
        print(f"{probe.name} RSS with {want} services: "
              f"{r['client_rss_mb_10k_services']:.1f} MB", flush=True)
    finally:
        for a in servers + clients:
            a.kill()
        results["scale"] = r
        shutil.rmtree(root, ignore_errors=True)


# --- report -----------------------------------------------------------------------------------

def report(results):
    lines = ["| measure | p50 | p99 | max | bar | result |", "|---|---|---|---|---|---|"]

    def row(label, s, bar):
        if s and s.get("n"):
            lines.append(f"| {label} | {s['p50_ms']:.1f} ms | {s['p99_ms']:.1f} ms | "
                         f"{s['max_ms']:.1f} ms | {bar} | "
                         f"{'PASS' if s.get('pass') else 'FAIL' if 'pass' in s else ''} |")

    row(f"propagation, write -> DNS on each of {CLIENTS} clients", results.get("propagation"),
        "p99 < 250 ms")
    d = results.get("death_detection")
    row("client SIGKILL -> gone from DNS on every agent (max per kill)", d, "p99 < 5 s")
    if d:
        row("  same, every (kill x agent) sample", d["per_agent"], "")
    lk = results.get("leader_kills")
    if lk:
        row(f"leader SIGKILL -> new leader ({lk['kills']} kills)", lk["failover"], "")
        lines.append(f"| false `failed` marks of clients during leader kills | "
                     f"{lk['false_failed']} | | | 0 | {'PASS' if lk['pass'] else 'FAIL'} |")
    sc = results.get("scale")
    if sc:
        lines.append(f"\nScale, {sc['clients']} clients:")
        for k, v in sc.items():
            lines.append(f"- {k}: {v if not isinstance(v, float) else round(v, 3)}")
    return "\n".join(lines)


def main():
    if not os.access(MUSTER, os.X_OK):
        sys.exit(f"{MUSTER}: not executable (set MUSTER_BIN)")
    os.makedirs(OUT, exist_ok=True)
    results = {"config": {"clients": CLIENTS, "writes": WRITES, "kills": KILLS,
                          "leader_kills": LEADER_KILLS, "scale": SCALE,
                          "scale_clients": SCALE_CLIENTS, "muster": MUSTER}}
    root = tempfile.mkdtemp(prefix="muster-client-bench-")
    servers, clients = make_cluster(root, CLIENTS)
    failed = None
    try:
        form(servers, clients, 60)
        print(f"3 servers + {CLIENTS} clients attached", flush=True)
        if WRITES:
            propagation(servers, clients, results)
        if KILLS:
            death(servers, clients, results)
        if LEADER_KILLS:
            leader_kills(servers, clients, results)
    except Exception as e:
        failed = f"{type(e).__name__}: {e}"
        results["error"] = failed
        traceback.print_exc()
        for a in servers + clients:
            if not a.alive():
                print(f"--- {a.name} not running; log tail:\n{a.log_tail()}", file=sys.stderr)
    finally:
        for a in servers + clients:
            a.kill()
        if failed is None:
            shutil.rmtree(root, ignore_errors=True)
        else:
            results["state_dir"] = root
    if SCALE and failed is None:
        try:
            scale(results)
        except Exception as e:
            failed = f"{type(e).__name__}: {e}"
            results["error"] = failed
    with open(os.path.join(OUT, "client_agents.json"), "w") as f:
        json.dump(results, f, indent=1)
    print(report(results))
    print(f"\nresults: {os.path.join(OUT, 'client_agents.json')}")
    if failed:
        sys.exit(f"FAILED: {failed} (agent logs kept in {root})")


if __name__ == "__main__":
    main()
