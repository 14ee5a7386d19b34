"""Fixtures for system tests that need a real upstream: a throwaway CA and server certificate,
and a real Unbound serving DNS over UDP, TCP and TLS (RFC 7858) on free 127.0.0.1 ports.

Reusable from any test module:

    from fixtures_upstream import make_ca, Unbound, free_port

    ca = make_ca(tmp_path, names=["dot.test"], ips=["127.0.0.1"])
    with Unbound(tmp_path, ca, local_data=['a.test. 300 IN A 192.0.2.1']) as ub:
        ub.plain_port, ub.tls_port   # UDP+TCP, and TLS
"""

import os
import pathlib
import signal
import socket
import subprocess
import time

UNBOUND = os.environ.get("UNBOUND", "/usr/sbin/unbound")
OPENSSL = os.environ.get("OPENSSL", "openssl")

# One port allocator for the whole session (it never hands a port out twice).
from harness import free_port  # noqa: E402,F401  (re-exported for test modules)




class Ca:
    """Paths of a generated CA and a server certificate/key signed by it."""

    def __init__(self, ca_pem, server_pem, server_key):
        self.ca_pem = ca_pem
        self.server_pem = server_pem
        self.server_key = server_key


def _run(args, cwd):
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_ca(directory, names=("dot.test",), ips=("127.0.0.1",), prefix=""):
    """Creates ca.pem and a server certificate whose SANs are `names` (DNS) and `ips` (IP)."""
    d = pathlib.Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    ca_key, ca_pem = d / f"{prefix}ca.key", d / f"{prefix}ca.pem"
    key, csr, pem = d / f"{prefix}server.key", d / f"{prefix}server.csr", d / f"{prefix}server.pem"
    ext = d / f"{prefix}server.ext"
    _run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key),
          "-out", str(ca_pem), "-days", "2", "-subj", "/CN=muster test CA",
          "-addext", "basicConstraints=critical,CA:TRUE",
          "-addext", "keyUsage=critical,keyCertSign,cRLSign"], d)
    _run([OPENSSL, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr),
          "-subj", f"/CN={names[0] if names else 'server'}"], d)
    sans = [f"DNS:{n}" for n in names] + [f"IP:{i}" for i in ips]
    ext.write_text("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                   "extendedKeyUsage=serverAuth\nsubjectAltName=" + ",".join(sans) + "\n")
    _run([OPENSSL, "x509", "-req", "-in", str(csr), "-CA", str(ca_pem), "-CAkey", str(ca_key),
          "-CAcreateserial", "-out", str(pem), "-days", "2", "-extfile", str(ext)], d)
    return Ca(str(ca_pem), str(pem), str(key))


class Unbound:
    """A real Unbound on 127.0.0.1: plain_port (UDP+TCP) and tls_port (DoT).

    local_data: "name ttl IN type rdata" lines served from the static zone `test.`.
    forward: {zone: "127.0.0.1@port"} forward-zones (e.g. to a silent socket, so queries hang).
    Ports stay the same across stop()/start(), so a restart is a real reconnect target.
    """

    def __init__(self, directory, ca, local_data=(), forward=None, extra=""):
        self.dir = pathlib.Path(directory)
        self.ca = ca
        self.plain_port = free_port()
        self.tls_port = free_port()
        self.conf = self.dir / "unbound.conf"
        self.log = self.dir / "unbound.log"
        self.proc = None
        lines = [
            "server:",
            f"  interface: 127.0.0.1@{self.plain_port}",
            f"  interface: 127.0.0.1@{self.tls_port}",
            f"  port: {self.plain_port}",
            f"  tls-port: {self.tls_port}",
            f"  tls-service-key: \"{ca.server_key}\"",
            f"  tls-service-pem: \"{ca.server_pem}\"",
            "  do-not-query-localhost: no",
            "  username: \"\"",
            "  chroot: \"\"",
            f"  directory: \"{self.dir}\"",
            "  pidfile: \"\"",
            "  use-syslog: no",
            f"  logfile: \"{self.log}\"",
            "  verbosity: 1",
            "  num-threads: 1",
            "  so-reuseport: no",
            "  incoming-num-tcp: 64",
            "  access-control: 127.0.0.0/8 allow",
            "  module-config: \"iterator\"",
            "  local-zone: \"test.\" static",
        ]
        lines += [f"  local-data: '{rr}'" for rr in local_data]
        lines.append(extra)
        for zone, addr in (forward or {}).items():
            lines += ["forward-zone:", f"  name: \"{zone}\"", f"  forward-addr: {addr}"]
        self.conf.write_text("\n".join(lines) + "\n")

    def start(self, timeout=10.0):
        subprocess.run([UNBOUND + "-checkconf", str(self.conf)], check=True,
                       stdout=subprocess.DEVNULL)
        self.proc = subprocess.Popen([UNBOUND, "-d", "-c", str(self.conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("unbound exited: " + self.proc.stderr.read().decode())
            # A listening socket accepts before unbound's loop runs: wait for a real answer.
            if self._accepting(self.tls_port) and self._answering(self.plain_port):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("unbound did not start listening")

    @staticmethod
    def _accepting(port):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False

    @staticmethod
    def _answering(port):
        import dns.message
        import dns.query

        q = dns.message.make_query("version.server.", "TXT", "CH")
        try:
            dns.query.udp(q, "127.0.0.1", port=port, timeout=0.2)
            return True
        except Exception:  # timeout, refused: not up yet
            return False

    def kill(self):
        """SIGKILL: connections drop without any goodbye."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def log_text(self):
        return self.log.read_text() if self.log.exists() else ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
