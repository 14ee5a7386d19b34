"""Peers and probes for the health-check system tests (test_checks*.py): an HTTP(S) server the
test switches between answers, a TCP listener it opens and closes, and the questions the tests
ask an agent about one service (its addresses in DNS, its checks in the API)."""

from __future__ import annotations

import http.server
import os
import socket
import ssl
import threading
import time
from pathlib import Path

import dns.rcode

from harness import LOCALHOST, free_port, scaled, wait_until

# How long a check result may take to show up: a few intervals of the short ones used here.
SETTLE = 5.0


class SwitchableHttpServer:
    """An HTTP server on 127.0.0.1 (https when given a certificate) whose answer the test picks:
    `mode` is a status code (200, 429, 500, ...) or "hang" (no answer until the mode changes or
    the server stops). Counts the answers it served per status."""

    def __init__(self, mode=200, cert=None):
        self.mode = mode
        self.counts: dict[object, int] = {}
        self.lock = threading.Lock()
        self.release = threading.Event()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self):  # noqa: N802 - http.server's naming
                mode = owner.mode
                if mode == "hang":
                    owner._count("hang")
                    owner.release.wait(timeout=60)
                    return  # connection closed without an answer
                body = f"answer {mode} from the test server\n".encode()
                self.send_response(int(mode))
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                owner._count(int(mode))

            do_HEAD = do_GET  # noqa: N815

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer((LOCALHOST, 0), Handler)
        self.httpd.daemon_threads = True
        self.scheme = "http"
        if cert is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(cert.cert), str(cert.key))
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def _count(self, key) -> None:
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1

    def served(self, key) -> int:
        with self.lock:
            return self.counts.get(key, 0)

    @property
    def url(self) -> str:
        return f"{self.scheme}://{LOCALHOST}:{self.port}/health"

    def set(self, mode) -> None:
        if self.mode == "hang" and mode != "hang":
            self.release.set()  # let the hung handlers go
            self.release = threading.Event()
        self.mode = mode

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


class TcpListener:
    """A TCP listener on a fixed 127.0.0.1 port that the test opens and closes; accepted
    connections are closed at once."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.sock: socket.socket | None = None
        self.thread: threading.Thread | None = None
        self.accepted = 0

    @property
    def address(self) -> str:
        return f"{LOCALHOST}:{self.port}"

    def open(self) -> "TcpListener":
        assert self.sock is None
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((LOCALHOST, self.port))
        s.listen(128)
        s.settimeout(0.1)
        self.sock = s
        self.thread = threading.Thread(target=self._accept, args=(s,), daemon=True)
        self.thread.start()
        return self

    def _accept(self, s: socket.socket) -> None:
        while self.sock is s:
            try:
                conn, _ = s.accept()
            except (socket.timeout, OSError):
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        s, self.sock = self.sock, None
        if s is not None:
            if self.thread is not None:
                self.thread.join(timeout=2)
            s.close()


# ------------------------------------------------------------------------------------------
# what the agent says


def a_records(agent, name: str) -> list[str]:
    """The sorted A addresses DNS gives for name; [] for NXDOMAIN or NODATA."""
    r = agent.query(name, "A")
    assert r.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN), r
    return sorted(rd.to_text() for rrset in r.answer if rrset.rdtype == 1 for rd in rrset)


def srv_ports(agent, name: str) -> list[int]:
    """The sorted ports of the SRV answer for name; [] for NXDOMAIN or NODATA."""
    r = agent.query(name, "SRV")
    assert r.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN), r
    return sorted(rd.port for rrset in r.answer if rrset.rdtype == 33 for rd in rrset)


def agent_checks(agent) -> dict:
    return agent.api_ok("GET", "/v1/agent/checks")


def check_status(agent, check_id: str) -> str | None:
    return agent_checks(agent).get(check_id, {}).get("Status")


def check_output(agent, check_id: str) -> str:
    return agent_checks(agent).get(check_id, {}).get("Output", "")


def health_instances(agent, service: str, *, passing: bool = False) -> list[str]:
    """Service IDs /v1/health/service/<service> lists (?passing: the healthy ones)."""
    path = f"/v1/health/service/{service}" + ("?passing" if passing else "")
    return sorted(e["Service"]["ID"] for e in agent.api_ok("GET", path))


def health_check_status(agent, service: str, check_id: str) -> str | None:
    """The status of check_id as /v1/health/service/<service> reports it."""
    for e in agent.api_ok("GET", f"/v1/health/service/{service}"):
        for c in e["Checks"]:
            if c["CheckID"] == check_id:
                return c["Status"]
    return None


def wait_status(agent, check_id: str, status: str, timeout: float = SETTLE) -> dict:
    """Until /v1/agent/checks reports check_id with status; returns that check."""
    def seen():
        c = agent_checks(agent).get(check_id)
        return c if c and c["Status"] == status else None
    try:
        return wait_until(seen, scaled(timeout), 0.02, f"check {check_id} {status}")
    except TimeoutError as exc:
        raise AssertionError(f"{exc}; checks now: {agent_checks(agent)}") from None


def wait_dns(agent, name: str, expected: list[str], timeout: float = SETTLE) -> None:
    """Until the A answer for name is exactly expected (sorted)."""
    expected = sorted(expected)
    try:
        wait_until(lambda: a_records(agent, name) == expected, scaled(timeout), 0.02,
                   f"{name} A = {expected}")
    except TimeoutError as exc:
        raise AssertionError(f"{exc}; now {a_records(agent, name)}; checks: "
                             f"{agent_checks(agent)}") from None


# ------------------------------------------------------------------------------------------
# processes a script check leaves behind


def pid_alive(pid: int) -> bool:
    """True while pid exists and is not a zombie (an orphan's zombie may wait for a reaper
    that a container's init never is)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of process group pgid."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            out.append(int(entry))
    return out


def write_script(path: Path, text: str) -> Path:
    path.write_text("#!/bin/sh\n" + text)
    path.chmod(0o755)
    return path


def elapsed_since(t0: float) -> float:
    return time.monotonic() - t0
