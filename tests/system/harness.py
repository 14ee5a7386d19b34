"""System-test harness: free ports, a test CA, NSD and Unbound-DoT peers, and the muster process.

Everything listens on 127.0.0.1 only, every wait is bounded, and every process started here is
registered so that it is killed (with its whole process group) at teardown even when a test fails.
Needs Debian's /usr/bin/python3 (python3-dnspython 2.3, python3-pytest), nsd, unbound, openssl,
dig and kdig (scripts/setup installs them).
"""

from __future__ import annotations

import atexit
import dataclasses
import json
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Iterable

import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype

LOCALHOST = "127.0.0.1"
DOT_NAME = "dot.test"          # the name the good DoT certificate carries (with IP:127.0.0.1)
WRONG_DOT_NAME = "other.test"  # the only name the "wrong" certificate carries
SUB_ZONE_A = "198.51.100.7"    # host.sub.example.test on the second NSD
BADEXAMPLE_A = "203.0.113.9"   # www.badexample.test on the second NSD
REPO_ROOT = Path(__file__).resolve().parents[2]

# Sanitizer builds are several times slower: meson passes a larger scale for them.
TIMEOUT_SCALE = float(os.environ.get("MUSTER_TEST_TIMEOUT_SCALE", "1") or "1")


def scaled(seconds: float) -> float:
    """A timeout scaled for slow (sanitized) builds."""
    return seconds * TIMEOUT_SCALE


def muster_bin() -> str:
    return os.environ.get("MUSTER_BIN") or str(REPO_ROOT / "build" / "muster")


# --------------------------------------------------------------------------------------------
# waiting and ports


def wait_until(pred: Callable[[], object], timeout: float, interval: float = 0.05,
               what: str = "condition"):
    """Polls pred() until it returns a truthy value (returned) or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    last_exc: Exception | None = None
    while True:
        try:
            value = pred()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - pred may fail until the peer is up
            last_exc = exc
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_exc!r})" if last_exc else ""
            raise TimeoutError(f"timed out after {timeout:.1f}s waiting for {what}{detail}")
        time.sleep(interval)


_handed_out: set[int] = set()


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1, never handed out twice per session."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            t.bind((LOCALHOST, 0))
            port = t.getsockname()[1]
            if port in _handed_out:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                try:
                    u.bind((LOCALHOST, port))
                except OSError:
                    continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free UDP+TCP port on 127.0.0.1")


def closed_port() -> int:
    """A port nothing listens on (UDP and TCP): for 'dead upstream' cases."""
    return free_port()


# --------------------------------------------------------------------------------------------
# processes


_live: set["Proc"] = set()


class Proc:
    """A child process in its own process group, output appended to a log file."""

    def __init__(self, name: str, argv: list[str], log_path: Path, env: dict | None = None,
                 cwd: Path | None = None):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.log_path = Path(log_path)
        self.env = env
        self.cwd = cwd
        self.popen: subprocess.Popen | None = None

    def start(self) -> "Proc":
        assert not self.alive(), f"{self.name} already running"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            log.write(f"==== start {' '.join(self.argv)}\n".encode())
            log.flush()
            self.popen = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log,
                                          stderr=subprocess.STDOUT, env=self.env, cwd=self.cwd,
                                          start_new_session=True)
        _live.add(self)
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def returncode(self) -> int | None:
        return None if self.popen is None else self.popen.poll()

    def send_signal(self, sig: int) -> None:
        assert self.popen is not None
        self.popen.send_signal(sig)

    def _signal_group(self, sig: int) -> None:
        if self.popen is None:
            return
        try:
            os.killpg(self.popen.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def kill(self) -> None:
        """SIGKILL to the whole process group (workers/children included), then reap."""
        if self.popen is None:
            return
        self._signal_group(signal.SIGKILL)
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        _live.discard(self)

    def terminate(self, timeout: float = 5.0) -> int | None:
        """SIGTERM to the main process; SIGKILL to the group when it is still there after timeout.
        Returns the exit status of the main process (negative: killed by that signal)."""
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            # the whole group: daemons like nsd fork workers that must exit with it
            self._signal_group(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
            # give the workers a moment to exit (and be reaped by their parent) on their own
            wait_until_quiet = time.monotonic() + 1.0
            while time.monotonic() < wait_until_quiet and self._group_has_live_members():
                time.sleep(0.02)
        rc = self.popen.poll()
        self.kill()  # leftovers in the group, and the main process if it ignored SIGTERM
        return rc

    def _group_has_live_members(self) -> bool:
        pgid = self.popen.pid
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z" and int(fields[2]) == pgid:  # state, ppid, pgrp
                return True
        return False

    def wait(self, timeout: float) -> int:
        assert self.popen is not None
        return self.popen.wait(timeout=timeout)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""


def kill_all() -> None:
    """Kills every process the harness started and that is still registered."""
    for proc in list(_live):
        proc.kill()


atexit.register(kill_all)


def run(argv: Iterable, timeout: float = 30, check: bool = True, **kw) -> subprocess.CompletedProcess:
    """Runs a short command with a bounded time; text output captured."""
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout,
                          check=check, stdin=subprocess.DEVNULL, **kw)


# --------------------------------------------------------------------------------------------
# DNS client helpers


def make_query(name: str, rdtype="A", *, edns: bool = True, payload: int = 1232, rd: bool = True,
               want_dnssec: bool = False, qid: int | None = None,
               options: list | None = None) -> dns.message.QueryMessage:
    flags = dns.flags.RD if rd else 0
    if edns:
        return dns.message.make_query(name, rdtype, use_edns=0, payload=payload, want_dnssec=want_dnssec,
                                      flags=flags, id=qid, options=options)
    return dns.message.make_query(name, rdtype, use_edns=False, flags=flags, id=qid)


def dns_query(port: int, name: str, rdtype="A", *, tcp: bool = False, timeout: float = 3.0,
              source: str = LOCALHOST, source_port: int = 0, **qopts) -> dns.message.Message:
    q = make_query(name, rdtype, **qopts)
    if tcp:
        return dns.query.tcp(q, LOCALHOST, port=port, timeout=timeout, source=source,
                             source_port=source_port)
    return dns.query.udp(q, LOCALHOST, port=port, timeout=timeout, source=source,
                         source_port=source_port)


def send_raw_udp(port: int, payload: bytes, timeout: float = 2.0, source: str = LOCALHOST) -> bytes | None:
    """Sends one datagram, returns the first reply or None when none comes within timeout."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((source, 0))
        s.settimeout(timeout)
        s.sendto(payload, (LOCALHOST, port))
        try:
            data, _ = s.recvfrom(65535)
            return data
        except socket.timeout:
            return None


def recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError(f"connection closed after {len(buf)} of {n} bytes")
        buf += chunk
    return buf


def tcp_read_message(sock: socket.socket) -> bytes:
    length = int.from_bytes(recv_exact(sock, 2), "big")
    return recv_exact(sock, length)


def rrset_values(resp: dns.message.Message, name: str, rdtype) -> list[str]:
    """Text of the rdatas of one answer rrset (sorted); [] when absent."""
    rdtype = dns.rdatatype.RdataType.make(rdtype)
    for rrset in resp.answer:
        if rrset.name == dns.name.from_text(name) and rrset.rdtype == rdtype:
            return sorted(rd.to_text() for rd in rrset)
    return []


def answer_ttl(resp: dns.message.Message, rdtype=None) -> int:
    for rrset in resp.answer:
        if rdtype is None or rrset.rdtype == dns.rdatatype.RdataType.make(rdtype):
            return rrset.ttl
    raise AssertionError(f"no {rdtype} rrset in answer:\n{resp}")


def ede_codes(resp: dns.message.Message) -> list[int]:
    """Extended DNS Error codes (RFC 8914) in the response's OPT record."""
    import dns.edns
    return [int(o.code) for o in resp.options if isinstance(o, dns.edns.EDEOption)]


def rcode_text(resp: dns.message.Message) -> str:
    return dns.rcode.to_text(resp.rcode())


# --------------------------------------------------------------------------------------------
# test CA and certificates (openssl CLI)


class CertPair:
    def __init__(self, cert: Path, key: Path):
        self.cert = cert
        self.key = key


class TestCA:
    """A throw-away CA; issue() signs server certificates with chosen subjectAltNames."""

    def __init__(self, directory: Path):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.pem = self.dir / "ca.pem"
        self.key = self.dir / "ca.key"
        run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-days", "30", "-subj", "/CN=muster test CA", "-keyout", self.key,
             "-out", self.pem,
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"])

    def issue(self, name: str, sans: list[str]) -> CertPair:
        """Server certificate CN=name with subjectAltName sans (e.g. ["DNS:dot.test", "IP:127.0.0.1"])."""
        key = self.dir / f"{name}.key"
        csr = self.dir / f"{name}.csr"
        cert = self.dir / f"{name}.pem"
        ext = self.dir / f"{name}.ext"
        ext.write_text("basicConstraints=CA:FALSE\n"
                       "keyUsage=critical,digitalSignature,keyEncipherment\n"
                       "extendedKeyUsage=serverAuth\n"
                       f"subjectAltName={','.join(sans)}\n")
        run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-subj", f"/CN={name}", "-keyout", key, "-out", csr])
        run(["openssl", "x509", "-req", "-in", csr, "-CA", self.pem, "-CAkey", self.key,
             "-CAcreateserial", "-days", "30", "-extfile", ext, "-out", cert])
        return CertPair(cert, key)


# --------------------------------------------------------------------------------------------
# NSD: authoritative peer


EXAMPLE_ZONE = """\
$ORIGIN example.test.
$TTL 300
@       IN SOA  ns1.example.test. hostmaster.example.test. 2024010101 3600 900 604800 5
@       IN NS   ns1.example.test.
ns1     IN A    127.0.0.1
www     IN A    192.0.2.1
www     IN AAAA 2001:db8::1
txt     IN TXT  "hello from nsd"
short 2 IN A    192.0.2.2
alias   IN CNAME www.example.test.
mail    IN MX   10 www.example.test.
{big}
"""

BIG_COUNT = 40  # A records of big.example.test: ~700 bytes, more than 512, less than 1232


def example_zone_text() -> str:
    big = "\n".join(f"big     IN A    10.0.0.{i}" for i in range(1, BIG_COUNT + 1))
    return EXAMPLE_ZONE.format(big=big)


def simple_zone(origin: str, records: str) -> str:
    origin = origin.rstrip(".") + "."
    return (f"$ORIGIN {origin}\n$TTL 300\n"
            f"@ IN SOA ns1.{origin} hostmaster.{origin} 1 3600 900 604800 5\n"
            f"@ IN NS ns1.{origin}\nns1 IN A 127.0.0.1\n{records}\n")


class Nsd:
    """nsd -d serving zones {origin: zone text} on 127.0.0.1:port (UDP+TCP)."""

    def __init__(self, directory: Path, zones: dict[str, str], port: int | None = None):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.zones = zones
        self.conf = self.dir / "nsd.conf"
        lines = ["server:",
                 f"    ip-address: {LOCALHOST}@{self.port}",
                 '    username: ""',
                 f'    zonesdir: "{self.dir}"',
                 f'    pidfile: "{self.dir}/nsd.pid"',
                 '    database: ""',
                 f'    xfrdfile: "{self.dir}/xfrd.state"',
                 f'    zonelistfile: "{self.dir}/zone.list"',
                 f'    xfrdir: "{self.dir}"',
                 f'    logfile: "{self.dir}/nsd-internal.log"',
                 "    server-count: 1",
                 "    tcp-count: 32",
                 "    rrl-ratelimit: 0",
                 "    verbosity: 1",
                 "    hide-version: yes",
                 "remote-control:",
                 "    control-enable: no"]
        for i, (origin, text) in enumerate(zones.items()):
            zfile = self.dir / f"zone{i}.zone"
            zfile.write_text(text)
            lines += ["zone:", f'    name: "{origin}"', f'    zonefile: "{zfile}"']
        self.conf.write_text("\n".join(lines) + "\n")
        run(["nsd-checkconf", self.conf])
        self.proc = Proc("nsd", ["nsd", "-d", "-c", self.conf], self.dir / "nsd.log")

    def start(self, timeout: float = 15) -> "Nsd":
        self.proc.start()
        probe = next(iter(self.zones))

        def answers():
            if not self.proc.alive():
                raise RuntimeError(f"nsd exited:\n{self.proc.log_text()}")
            r = dns_query(self.port, probe, "SOA", timeout=0.5)
            return r.rcode() == dns.rcode.NOERROR and r.answer

        wait_until(answers, timeout, 0.1, f"nsd on port {self.port}")
        return self

    def stop(self) -> None:
        self.proc.terminate(timeout=5)

    def kill(self) -> None:
        self.proc.kill()


# --------------------------------------------------------------------------------------------
# Unbound: DNS-over-TLS peer (RFC 7858)


class UnboundDoT:
    """unbound -d as a DoT server on 127.0.0.1:port with a test certificate, resolving
    example.test (and any extra stub zones) from NSD. kill() and start() again reuse the port."""

    def __init__(self, directory: Path, cert: CertPair, stub_zones: dict[str, int],
                 port: int | None = None):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.cert = cert
        self.conf = self.dir / "unbound.conf"
        lines = ["server:",
                 f"    interface: {LOCALHOST}@{self.port}",
                 f"    tls-port: {self.port}",
                 f'    tls-service-key: "{cert.key}"',
                 f'    tls-service-pem: "{cert.cert}"',
                 "    do-ip4: yes",
                 "    do-ip6: no",
                 "    do-udp: yes",
                 "    do-tcp: yes",
                 "    num-threads: 1",
                 "    so-reuseport: no",
                 "    incoming-num-tcp: 64",
                 "    access-control: 127.0.0.0/8 allow",
                 "    do-not-query-localhost: no",
                 '    module-config: "iterator"',
                 '    local-zone: "test." nodefault',
                 '    username: ""',
                 '    chroot: ""',
                 f'    directory: "{self.dir}"',
                 '    pidfile: ""',
                 "    use-syslog: no",
                 f'    logfile: "{self.dir}/unbound-internal.log"',
                 "    verbosity: 1",
                 "    qname-minimisation: no",
                 "    hide-identity: yes",
                 "    hide-version: yes",
                 "remote-control:",
                 "    control-enable: no"]
        for zone, nsd_port in stub_zones.items():
            lines += ["stub-zone:", f'    name: "{zone}"', f"    stub-addr: {LOCALHOST}@{nsd_port}"]
        self.conf.write_text("\n".join(lines) + "\n")
        run(["unbound-checkconf", self.conf])
        self.proc = Proc("unbound", ["unbound", "-d", "-c", self.conf], self.dir / "unbound.log")

    def start(self, timeout: float = 15) -> "UnboundDoT":
        """Starts unbound and waits until it answers over TLS; after a kill() the port may take
        a moment to be free again, so a failed start is retried until timeout."""
        deadline = time.monotonic() + timeout
        while True:
            self.proc.start()
            try:
                wait_until(self._serving, max(deadline - time.monotonic(), 0.5), 0.1,
                           f"unbound DoT on port {self.port}")
                return self
            except (RuntimeError, TimeoutError):
                self.proc.kill()
                if time.monotonic() >= deadline:
                    raise RuntimeError(f"unbound did not start:\n{self.proc.log_text()}") from None
                time.sleep(0.2)

    def _serving(self) -> bool:
        if not self.proc.alive():
            raise RuntimeError("unbound exited")
        # no verification here, only "is it serving": tests check names and CAs themselves
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        r = dns.query.tls(make_query("www.example.test", "A"), LOCALHOST, port=self.port,
                          timeout=1.0, ssl_context=ctx)
        return r.rcode() == dns.rcode.NOERROR and bool(r.answer)

    def kill(self) -> None:
        """SIGKILL: the upstream dies without closing its TLS sessions cleanly."""
        self.proc.kill()

    def stop(self) -> None:
        self.proc.terminate(timeout=5)

    def restart(self, timeout: float = 15) -> "UnboundDoT":
        self.kill()
        return self.start(timeout)


def dot_uri(server: UnboundDoT, name: str | None = None) -> str:
    """Recursor URI for a DoT upstream, with the name its certificate must carry."""
    return f"tls://{LOCALHOST}:{server.port}#{name or DOT_NAME}"


def udp_uri(port: int) -> str:
    return f"udp://{LOCALHOST}:{port}"


def tcp_uri(port: int) -> str:
    return f"tcp://{LOCALHOST}:{port}"


# --------------------------------------------------------------------------------------------
# muster


class Muster:
    """One `muster agent` with a JSON config file in its own directory.

    config: the dict written as muster.json (tests change it and call write_config()/reload()).
    The DNS listener is 127.0.0.1:dns_port; stderr and stdout go to muster.log.
    """

    def __init__(self, directory: Path, config: dict, *, args: list[str] | None = None,
                 env: dict | None = None, use_config_file: bool = True):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config = config
        self.config_path = self.dir / "muster.json"
        self.dns_port = int(config.get("ports", {}).get("dns", 0)) or None
        self.http_port = int(config.get("ports", {}).get("http", 0)) or None
        self.extra_args = list(args or [])
        self.use_config_file = use_config_file
        full_env = dict(os.environ)
        full_env.pop("NOTIFY_SOCKET", None)
        full_env.update(env or {})
        self.env = full_env
        self.log_path = self.dir / "muster.log"
        self.proc: Proc | None = None
        self._log_mark = 0

    # -- lifecycle

    def write_config(self, config: dict | None = None, raw: str | None = None) -> None:
        if config is not None:
            self.config = config
        text = raw if raw is not None else json.dumps(self.config, indent=2)
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, self.config_path)  # atomic: a reload never sees half a file

    def argv(self) -> list[str]:
        argv = [muster_bin(), "agent"]
        if self.use_config_file:
            argv += ["--config-file", str(self.config_path)]
        return argv + self.extra_args

    def start(self, wait: bool = True, timeout: float = 20) -> "Muster":
        binary = muster_bin()
        if not os.access(binary, os.X_OK):
            raise FileNotFoundError(f"muster binary not found or not executable: {binary} "
                                    "(build it, or set MUSTER_BIN)")
        if self.use_config_file:
            self.write_config()
        self.proc = Proc("muster", self.argv(), self.log_path, env=self.env, cwd=self.dir)
        self.proc.start()
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 20) -> None:
        """Until the DNS port answers anything (even REFUSED/SERVFAIL/NOTIMP); fails early,
        with the log, when the process exits."""
        assert self.dns_port, "no ports.dns in the config"
        probes = [make_query("ready.muster.invalid", "A", qid=4242).to_wire()]
        status = bytearray(make_query("ready.muster.invalid", "A", qid=4243, edns=False).to_wire())
        status[2] = (status[2] & 0x87) | (dns.opcode.STATUS << 3)
        probes.append(bytes(status))

        def answered():
            if not self.proc.alive():
                raise RuntimeError(f"muster exited with status {self.proc.returncode()} "
                                   f"before answering:\n{self.log_text()}")
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind((LOCALHOST, 0))
                s.settimeout(0.3)
                for p in probes:
                    s.sendto(p, (LOCALHOST, self.dns_port))
                try:
                    data, _ = s.recvfrom(65535)
                    return len(data) >= 12
                except (socket.timeout, ConnectionRefusedError):
                    return False

        try:
            wait_until(answered, scaled(timeout), 0.05, f"muster DNS on port {self.dns_port}")
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}\n--- muster log ---\n{self.log_text()}") from None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.alive()

    def send_signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 10) -> int | None:
        """SIGTERM; returns the exit status (None when it had to be killed after timeout)."""
        assert self.proc is not None
        p = self.proc.popen
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=scaled(timeout))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                return None
        rc = p.poll()
        self.proc.kill()  # anything left in its process group
        return rc

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()

    def wait_exit(self, timeout: float = 10) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout=scaled(timeout))

    # -- logs

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def mark_log(self) -> None:
        """Remember the current end of the log; log_since_mark() returns what came after."""
        try:
            self._log_mark = self.log_path.stat().st_size
        except FileNotFoundError:
            self._log_mark = 0

    def log_since_mark(self) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self._log_mark)
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, pred: Callable[[str], bool], timeout: float = 5, since_mark: bool = False,
                 what: str = "log line") -> str:
        def check():
            text = self.log_since_mark() if since_mark else self.log_text()
            return text if pred(text) else None
        try:
            return wait_until(check, scaled(timeout), 0.05, what)
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}\n--- muster log ---\n{self.log_text()}") from None

    # -- DNS

    def query(self, name: str, rdtype="A", *, tcp: bool = False, timeout: float = 3.0,
              source: str = LOCALHOST, source_port: int = 0, **qopts) -> dns.message.Message:
        """One query (UDP unless tcp=True); qopts: edns, payload, rd, want_dnssec, qid, options."""
        return dns_query(self.dns_port, name, rdtype, tcp=tcp, timeout=scaled(timeout),
                         source=source, source_port=source_port, **qopts)

    def dig(self, *args: str, timeout: float = 10) -> str:
        """dig @127.0.0.1 -p PORT +time=2 +tries=1 ARGS; returns stdout."""
        argv = ["dig", f"@{LOCALHOST}", "-p", str(self.dns_port), "+time=2", "+tries=1", *args]
        return run(argv, timeout=scaled(timeout), check=False).stdout

    # -- HTTP API

    @property
    def http_addr(self) -> str:
        """The agent's API as MUSTER_HTTP_ADDR wants it."""
        return f"http://{LOCALHOST}:{self.http_port}"

    def api(self, method: str, path: str, body=None, *, timeout: float = 10,
            raw: bytes | None = None) -> "ApiReply":
        """One HTTP request to the agent's API; body is sent as JSON (raw: bytes as they are).
        Never raises for HTTP error statuses: the reply carries status, headers and body."""
        assert self.http_port, "no ports.http in the config"
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        req = urllib.request.Request(f"{self.http_addr}{path}", data=data, method=method)
        try:
            with urllib.request.urlopen(req, timeout=scaled(timeout)) as r:
                return ApiReply(r.status, dict(r.headers), r.read())
        except urllib.error.HTTPError as e:
            return ApiReply(e.code, dict(e.headers), e.read())

    def api_ok(self, method: str, path: str, body=None, **kw):
        """api() that must succeed (2xx); returns the decoded JSON body (None when empty)."""
        reply = self.api(method, path, body, **kw)
        assert 200 <= reply.status < 300, f"{method} {path}: {reply.status} {reply.text}"
        return reply.json() if reply.body.strip() else None

    def reload(self, config: dict | None = None, raw: str | None = None) -> None:
        """Rewrites the config file and sends SIGHUP."""
        self.write_config(config, raw)
        self.mark_log()
        self.send_signal(signal.SIGHUP)


@dataclasses.dataclass
class ApiReply:
    status: int
    headers: dict
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    def json(self):
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        for k, v in self.headers.items():
            if k.lower() == name.lower():
                return v
        return None


def run_muster(args: list[str], timeout: float = 20, env: dict | None = None,
               cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Runs a short-lived muster command (validate, version, a failing agent) with a bounded time;
    kills the process group on timeout."""
    binary = muster_bin()
    if not os.access(binary, os.X_OK):
        raise FileNotFoundError(f"muster binary not found or not executable: {binary}")
    full_env = dict(os.environ)
    full_env.pop("NOTIFY_SOCKET", None)
    full_env.update(env or {})
    p = subprocess.Popen([binary, *map(str, args)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=full_env, cwd=cwd,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=scaled(timeout))
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate(timeout=10)
        raise AssertionError(f"muster {' '.join(map(str, args))} did not finish in "
                             f"{scaled(timeout):.0f}s\nstdout:\n{out}\nstderr:\n{err}") from None
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


def agent_services(agent) -> dict:
    """/v1/agent/services without the instance of "consul" that a server registers for itself."""
    return {k: v for k, v in agent.api_ok("GET", "/v1/agent/services").items() if k != "consul"}


def base_config(dns_port: int, recursors: list[str], *, data_dir: Path, ca_file: Path | None = None,
                http_port: int | None = None, **dns_config) -> dict:
    """A minimal agent config on 127.0.0.1 with short timeouts; dns_config keys as keyword args."""
    cfg: dict = {
        "client_addr": LOCALHOST,
        "ports": {"dns": dns_port, "http": http_port or free_port()},
        "data_dir": str(data_dir),
        "log_level": "debug",
        "recursors": list(recursors),
        "dns_config": {"recursor_timeout": "1s", **dns_config},
    }
    if ca_file is not None:
        cfg["tls"] = {"ca_file": str(ca_file)}
    if os.environ.get("MUSTER_TEST_SERVER") == "1":
        # every agent a Raft server of one: the whole suite then writes through the Raft log
        cfg.update({"server": True, "bootstrap": True})
        cfg["ports"]["server"] = free_port()
    return cfg
