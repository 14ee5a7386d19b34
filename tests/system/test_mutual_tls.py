"""Mutual TLS on the server port (tls.defaults, tls.internal_rpc.verify_server_hostname) with a CA
and certificates made by `muster tls`: servers with server certificates form and serve; a client
certificate joins as a client and does nothing more (a server started with one never votes or
joins Raft, Consul CVE-2021-37219); a certificate of another CA is refused; a configuration that
would fall back to plaintext refuses to start, naming the key.

Multi-agent tests run once, in the optimized build (the sanitizer build runs the TLS link unit
tests, which also cover expired and wrong-name certificates)."""

import os
import time
from pathlib import Path

import pytest

from harness import run_muster, scaled, wait_until
from test_client_agents import Clients, wait_attached
from test_cluster_key import node_names
from test_raft_cluster import Cluster, register, wait_has_all

pytestmark = pytest.mark.skipif(os.environ.get("MUSTER_TEST_TIMEOUT_SCALE", "1") != "1",
                                reason="multi-agent tests run once, in the optimized build")


def make_pki(d: Path, name: str = "") -> dict:
    d.mkdir(parents=True, exist_ok=True)
    for args in (["ca", "create"], ["cert", "create", "-server"], ["cert", "create", "-server"],
                 ["cert", "create", "-server"], ["cert", "create", "-client"],
                 ["cert", "create", "-client"]):
        r = run_muster(["tls", *args], cwd=d)
        assert r.returncode == 0, r.stderr
    return {
        "ca": str(d / "internal-agent-ca.pem"),
        "servers": [(str(d / f"dc1-server-internal-{i}.pem"),
                     str(d / f"dc1-server-internal-{i}-key.pem")) for i in range(3)],
        "clients": [(str(d / f"dc1-client-internal-{i}.pem"),
                     str(d / f"dc1-client-internal-{i}-key.pem")) for i in range(2)],
    }


def tls_block(ca: str, cert: tuple[str, str]) -> dict:
    return {"defaults": {"ca_file": ca, "cert_file": cert[0], "key_file": cert[1],
                         "verify_incoming": True, "verify_outgoing": True},
            "internal_rpc": {"verify_server_hostname": True}}


def with_tls(cfg: dict, ca: str, cert: tuple[str, str]) -> dict:
    tls = dict(cfg.get("tls", {}))
    tls.update(tls_block(ca, cert))
    cfg["tls"] = tls
    return cfg


def refusals(agents) -> str:
    return "\n".join(line for a in agents for line in a.log_text().splitlines()
                     if "server-port connection refused" in line)


def test_server_certificates_form_a_cluster_and_client_certificates_stay_clients(muster,
                                                                                tmp_path):
    pki = make_pki(tmp_path / "pki")
    cluster = Cluster(muster, 3)
    for cfg, cert in zip(cluster.configs, pki["servers"]):
        with_tls(cfg, pki["ca"], cert)
    cluster.start()
    clients = Clients(muster, cluster, 1)
    with_tls(clients.agents[0].config, pki["ca"], pki["clients"][0])
    clients.start()
    client = clients.agents[0]
    assert register(client, "mtls-web", "10.8.0.1") == 200
    wait_has_all(cluster.agents[1], ["mtls-web"])

    # A fourth "server" holding a client certificate: it may not join Raft, vote or talk
    # server RPC; the three stay three.
    def extra_server(i: int, ca: str, cert: tuple[str, str]):
        cfg = cluster.config(i, 3)
        cfg["bind_addr"] = f"127.0.0.{11 + i}"
        agent = muster.create(with_tls(cfg, ca, cert))
        agent.start(wait=False)
        agent.wait_ready()
        return agent

    extra_server(3, pki["ca"], pki["clients"][1])
    # A server with a certificate of another CA.
    other = make_pki(tmp_path / "other")
    stranger = extra_server(4, other["ca"], other["servers"][0])
    time.sleep(scaled(4))
    for a in cluster.agents:
        assert len(a.api_ok("GET", "/v1/status/peers")) == 3
    assert cluster.leader() is not None
    assert not node_names(cluster.agents[0]) & {"srv-4", "srv-5"}
    assert not node_names(stranger) & {"srv-1", "cli-1"}
    log = refusals(cluster.agents)
    assert "does not name this datacenter's servers" in log, log[-3000:]
    assert "TLS handshake failed" in log
    # Writes still commit, and the client keeps its feed.
    assert register(cluster.agents[0], "after-impostors", "10.8.0.2") == 200
    wait_has_all(client, ["after-impostors"])
    wait_attached(client)


def test_half_configured_tls_refuses_to_start_naming_the_key(muster, tmp_path):
    pki = make_pki(tmp_path / "pki")
    ca, (cert, key) = pki["ca"], pki["servers"][0]
    cases = [
        ({"cert_file": cert}, "tls.defaults.cert_file: expected tls.defaults.key_file"),
        ({"verify_outgoing": True, "cert_file": cert, "key_file": key},
         "tls.defaults.verify_outgoing: expected tls.defaults.ca_file"),
        ({"verify_incoming": True, "ca_file": ca},
         "tls.defaults.verify_incoming: expected tls.defaults.cert_file"),
        ({"ca_file": ca, "cert_file": cert, "key_file": key},
         "tls.defaults.ca_file: expected tls.defaults.verify_incoming or verify_outgoing"),
    ]
    for defaults, message in cases:
        cfg = muster.config()
        cfg["tls"] = {"defaults": defaults}
        path = tmp_path / "half.json"
        import json
        path.write_text(json.dumps(cfg))
        r = run_muster(["agent", "--config-file", str(path)])
        assert r.returncode == 2, (defaults, r.stderr)
        assert f"{path}: {message}" in r.stderr, r.stderr
    # Consul's top-level aliases say which key they are.
    cfg = muster.config()
    cfg["verify_server_hostname"] = True
    path = tmp_path / "alias.json"
    import json
    path.write_text(json.dumps(cfg))
    r = run_muster(["agent", "--config-file", str(path)])
    assert r.returncode == 2
    assert f"{path}: verify_server_hostname: expected tls.defaults.ca_file" in r.stderr
    # A certificate file that is no certificate: the agent says which.
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    cfg = muster.config()
    cfg.pop("bootstrap", None)
    cfg.update({"server": True, "bootstrap": True})
    cfg["tls"] = tls_block(ca, (str(junk), key))
    path.write_text(json.dumps(cfg))
    r = run_muster(["agent", "--config-file", str(path)])
    assert r.returncode != 0
    assert str(junk) in r.stderr, r.stderr
