"""The cluster key (`encrypt`) on the server port: real servers and a client agent with one key
form and serve; agents with another key or none, and raw TCP clients writing garbage or a
plaintext Raft or RPC preamble, get nothing, are logged, and change nothing; a running cluster
switches from plaintext to the key with the verify flags, one restart at a time, while DNS keeps
answering. The key comes from the config, from encrypt_file and from a systemd credential, and
never shows in a log (at debug level) or in /v1/agent/self.

Multi-agent tests: they run once, in the optimized build (the sanitizer build runs the TLS link
and mux unit tests instead)."""

import os
import socket
import struct
import subprocess
import time

import pytest

from harness import muster_bin, scaled, wait_until
from test_client_agents import Clients, wait_attached
from test_raft_cluster import Cluster, Prober, Writer, register, wait_has_all

pytestmark = pytest.mark.skipif(os.environ.get("MUSTER_TEST_TIMEOUT_SCALE", "1") != "1",
                                reason="multi-agent tests run once, in the optimized build")


def keygen() -> str:
    out = subprocess.run([muster_bin(), "keygen"], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def set_config(agent, **keys):
    agent.config.update(keys)
    agent.write_config(agent.config)


def refusals(agent) -> str:
    return "\n".join(line for line in agent.log_text().splitlines()
                     if "server-port connection refused" in line)


def node_names(agent) -> set[str]:
    try:
        reply = agent.api("GET", "/v1/catalog/nodes", timeout=2)
    except OSError:
        return set()
    return {n["Node"] for n in reply.json()} if reply.status == 200 else set()


def raw_attempt(ip: str, port: int, payload: bytes) -> bytes:
    """Connects, writes `payload`, and returns whatever the server sends before it closes."""
    got = b""
    with socket.create_connection((ip, port), timeout=5) as s:
        s.sendall(payload)
        s.settimeout(scaled(8))
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    return got


def plaintext_raft_preamble(server_id: int, address: str) -> bytes:
    a = address.encode()
    return b"MSTR\x01" + struct.pack("<QH", server_id, len(a)) + a


def plaintext_rpc_hello() -> bytes:
    # the RPC preamble and a frame header that would be a request if the server read it
    return b"MSTR\x02" + struct.pack("<IQB", 16, 1, 1) + b"\x00" * 16


def test_one_key_forms_and_serves_and_strangers_get_nothing(muster, tmp_path):
    key = keygen()
    cluster = Cluster(muster, 3)
    # srv-1 has the key inline, srv-2 in a file, srv-3 as a systemd credential
    key_file = tmp_path / "encrypt.key"
    key_file.write_text(key + "\n")
    key_file.chmod(0o600)
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "encrypt").write_text(key)
    (creds / "encrypt").chmod(0o600)
    cluster.configs[0]["encrypt"] = key
    cluster.configs[1]["encrypt_file"] = str(key_file)
    cluster.agents[2].env["CREDENTIALS_DIRECTORY"] = str(creds)
    for cfg in cluster.configs:
        cfg["log_level"] = "debug"
    cluster.start()
    clients = Clients(muster, cluster, 1)
    clients.agents[0].config["encrypt"] = key
    clients.start()
    client = clients.agents[0]
    assert register(client, "keyed-web", "10.7.0.1") == 200
    wait_has_all(cluster.agents[0], ["keyed-web"])
    assert "cli-1" in node_names(cluster.agents[2])

    # Agents with another key, and with none, are refused: they never attach, never appear.
    strangers = []
    for i, stranger_key in ((1, keygen()), (2, None)):  # cli-2 and cli-3 on 127.0.0.22, .23
        cfg = clients.config(0)
        cfg.update({"node_name": f"cli-{i + 1}", "bind_addr": f"127.0.0.{21 + i}"})
        if stranger_key:
            cfg["encrypt"] = stranger_key
        strangers.append(muster.create(cfg))
    for a in strangers:
        a.start(wait=False)
    for a in strangers:
        a.wait_ready()
    time.sleep(scaled(3))
    for a in strangers:
        assert not node_names(a) & {"srv-1", "srv-2", "srv-3"}, "a stranger got the catalog"
    assert not node_names(cluster.agents[0]) & {"cli-2", "cli-3"}, "a stranger got in"

    # Raw TCP: garbage, a plaintext Raft preamble, a plaintext RPC request, a fake ClientHello.
    leader = cluster.leader()
    ip = cluster.ips[0]
    attempts = [b"GET / HTTP/1.0\r\n\r\n", plaintext_raft_preamble(7, "127.0.0.99:1"),
                plaintext_rpc_hello(), b"\x16\x03\x01\x00\x05hello", os.urandom(512)]
    with Writer(client, "under-attack") as w:
        deadline = time.monotonic() + scaled(5)
        rounds = 0
        while time.monotonic() < deadline:
            for payload in attempts:
                got = raw_attempt(ip, cluster.port, payload)
                # nothing, or a TLS alert record to a would-be handshake
                assert got == b"" or (got[0] == 0x15 and len(got) < 64), got[:64]
            rounds += 1
        n = len(w.acked)
        wait_until(lambda: len(w.acked) >= n + 5, scaled(20), 0.05, "writes after the attacks")
    assert rounds >= 3
    assert w.acked, "no write committed while strangers knocked"
    assert cluster.leader() is leader, "the attempts moved the leadership"
    assert len(cluster.agents[0].api_ok("GET", "/v1/status/peers")) == 3

    # Each refusal names the peer and why.
    log = "".join(refusals(a) for a in cluster.agents)
    for reason in ("plaintext connection", "TLS handshake failed"):
        assert reason in log, f"no refusal saying {reason!r}:\n{log[-2000:]}"
    assert "the peer has another cluster key" in log  # cli-2
    assert "peer=127.0.0.1:" in log

    # The key is nowhere: not in any log at debug level, not in /v1/agent/self.
    for a in cluster.agents + clients.agents:
        assert key not in a.log_text()
        assert key not in str(a.api_ok("GET", "/v1/agent/self"))


def test_a_rolling_switch_to_the_key_fails_no_dns_query(muster):
    key = keygen()
    cluster = Cluster(muster, 3).start()
    clients = Clients(muster, cluster, 1).start()

    def restart_all(**keys):
        for victim in cluster.agents:
            prober.pause(victim)
            assert victim.stop() == 0
            set_config(victim, **keys)
            victim.start()
            prober.resume(victim)
            cluster.wait_formed()
        victim = clients.agents[0]
        prober.pause(victim)
        assert victim.stop() == 0
        set_config(victim, **keys)
        victim.start()
        prober.resume(victim)
        wait_attached(victim)

    with Prober(cluster.agents + clients.agents) as prober:
        with Writer(clients.agents[0], "rolling") as w:
            restart_all(encrypt=key, encrypt_verify_incoming=False,
                        encrypt_verify_outgoing=False)
            restart_all(encrypt_verify_outgoing=True)
            restart_all(encrypt_verify_incoming=True)
            n = len(w.acked)
            wait_until(lambda: len(w.acked) >= n + 5, scaled(30), 0.05, "writes at the end")
    for a in cluster.agents:
        wait_has_all(a, w.acked)
    assert not prober.failures, f"DNS unanswered {len(prober.failures)} of {prober.sent} times"
    # The switch is complete: a plaintext peer is refused now.
    assert raw_attempt(cluster.ips[0], cluster.port, plaintext_rpc_hello()) == b""
    assert "plaintext connection" in refusals(cluster.agents[0])
