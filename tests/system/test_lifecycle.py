"""Process lifecycle: readiness notification to systemd (sd_notify READY=1 on $NOTIFY_SOCKET),
clean exit 0 on SIGTERM (and SIGINT), a clear failure when the DNS port is taken."""

import os
import signal
import socket
import tempfile
import time

import pytest

import harness
from harness import LOCALHOST, udp_uri

RECORDS = [{"name": "alive.lan.test", "type": "A", "value": "192.0.2.99", "ttl": 60}]


def config(muster, nsd):
    cfg = muster.config([udp_uri(nsd.port)])
    cfg["records"] = RECORDS
    return cfg


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_with_exit_0(muster, nsd, sig):
    agent = muster.start(config(muster, nsd))
    assert harness.rrset_values(agent.query("alive.lan.test"), "alive.lan.test.", "A") == ["192.0.2.99"]
    agent.send_signal(sig)
    rc = agent.wait_exit(timeout=10)
    assert rc == 0, f"exit status {rc} after {sig.name}\n{agent.log_text()}"
    with pytest.raises(Exception):
        harness.dns_query(agent.dns_port, "alive.lan.test", timeout=0.5)


def test_stop_while_serving_tcp_clients(muster, nsd):
    # an open TCP connection must not keep the process from exiting
    agent = muster.start(config(muster, nsd))
    with socket.create_connection((LOCALHOST, agent.dns_port), timeout=harness.scaled(3)):
        t0 = time.monotonic()
        rc = agent.stop(timeout=10)
        assert rc == 0
        assert time.monotonic() - t0 < harness.scaled(5)


def test_ready_notification_on_notify_socket(muster, nsd):
    with tempfile.TemporaryDirectory(prefix="mn", dir="/tmp") as d:  # short path: sun_path limit
        path = os.path.join(d, "notify")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.bind(path)
            sock.settimeout(harness.scaled(15))
            agent = muster.create(config(muster, nsd), env={"NOTIFY_SOCKET": path})
            agent.start(wait=False)
            messages = []
            deadline = time.monotonic() + harness.scaled(15)
            while not any(b"READY=1" in m for m in messages) and time.monotonic() < deadline:
                try:
                    messages.append(sock.recv(4096))
                except socket.timeout:
                    break
            assert any(b"READY=1" in m for m in messages), f"got {messages}\n{agent.log_text()}"
            # READY=1 means serving: the very next query is answered
            r = agent.query("alive.lan.test", timeout=2)
            assert harness.rrset_values(r, "alive.lan.test.", "A") == ["192.0.2.99"]


def test_stopping_notification_on_sigterm(muster, nsd):
    with tempfile.TemporaryDirectory(prefix="mn", dir="/tmp") as d:
        path = os.path.join(d, "notify")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.bind(path)
            agent = muster.create(config(muster, nsd), env={"NOTIFY_SOCKET": path})
            agent.start()
            agent.send_signal(signal.SIGTERM)
            assert agent.wait_exit(timeout=10) == 0
            sock.settimeout(0.5)
            messages = []
            try:
                while True:
                    messages.append(sock.recv(4096))
            except socket.timeout:
                pass
            assert any(b"STOPPING=1" in m for m in messages), f"got {messages}"


def test_taken_dns_port_is_a_startup_error(muster, nsd):
    cfg = config(muster, nsd)
    port = cfg["ports"]["dns"]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u, \
         socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
        u.bind((LOCALHOST, port))
        t.bind((LOCALHOST, port))
        t.listen()
        agent = muster.create(cfg)
        agent.start(wait=False)
        rc = agent.wait_exit(timeout=10)
        assert rc != 0
        assert str(port) in agent.log_text(), "the error names the port"
