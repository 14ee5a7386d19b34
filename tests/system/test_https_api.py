"""ports.https: the same HTTP API over TLS with tls.defaults' certificate and key, client
certificates asked for with verify_incoming, and the client commands reaching it through
MUSTER_HTTP_ADDR=https://... with MUSTER_CACERT / MUSTER_CLIENT_CERT / MUSTER_CLIENT_KEY (or
Consul's CONSUL_ names)."""

import json
import subprocess
from pathlib import Path

import pytest

import harness
from harness import run_muster

LOCALHOST = "127.0.0.1"


class Pki:
    """A CA made by `muster tls ca create`, with a server and a client certificate from it."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.dir = directory
        for args in (["ca", "create"], ["cert", "create", "-server"],
                     ["cert", "create", "-client"]):
            res = run_muster(["tls", *args], cwd=directory)
            assert res.returncode == 0, res.stdout + res.stderr
        self.ca = directory / "internal-agent-ca.pem"
        self.server_cert = directory / "dc1-server-internal-0.pem"
        self.server_key = directory / "dc1-server-internal-0-key.pem"
        self.client_cert = directory / "dc1-client-internal-0.pem"
        self.client_key = directory / "dc1-client-internal-0-key.pem"


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    return Pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def other_pki(tmp_path_factory) -> Pki:
    return Pki(tmp_path_factory.mktemp("other-pki"))


def https_config(muster, pki: Pki, *, verify_incoming: bool = False,
                 cert_file: Path | None = None) -> tuple[dict, int]:
    cfg = muster.config(ca_file=False)
    cfg["node_name"] = "https-node"
    port = harness.free_port()
    cfg["ports"]["https"] = port
    defaults = {"cert_file": str(cert_file or pki.server_cert), "key_file": str(pki.server_key)}
    if verify_incoming:
        defaults.update({"ca_file": str(pki.ca), "verify_incoming": True})
    cfg["tls"] = {"defaults": defaults}
    return cfg, port


def curl(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["curl", "-sS", "--max-time", "10", *args, url], capture_output=True,
                          text=True, timeout=30)


def cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    # Empty MUSTER_ values count as unset, so the CONSUL_ names are the ones read.
    base = {name: "" for name in ("MUSTER_HTTP_ADDR", "MUSTER_CACERT", "MUSTER_CLIENT_CERT",
                                  "MUSTER_CLIENT_KEY", "CONSUL_HTTP_ADDR", "CONSUL_CACERT",
                                  "CONSUL_CLIENT_CERT", "CONSUL_CLIENT_KEY")}
    return run_muster(list(args), env={**base, **env})


def test_https_port_serves_the_same_api(muster, pki):
    cfg, port = https_config(muster, pki)
    agent = muster.start(cfg)
    assert f"HTTPS API listening addr={LOCALHOST}:{port}" in agent.log_text()
    res = curl(f"https://{LOCALHOST}:{port}/v1/agent/self", "--cacert", str(pki.ca))
    assert res.returncode == 0, res.stderr
    over_tls = json.loads(res.stdout)
    plain = json.loads(curl(f"http://{LOCALHOST}:{cfg['ports']['http']}/v1/agent/self").stdout)
    assert over_tls["Config"] == plain["Config"]
    assert over_tls["Config"]["NodeName"] == "https-node"
    # the name in the certificate is checked too: localhost is in its SANs
    res = curl(f"https://localhost:{port}/v1/catalog/nodes", "--cacert", str(pki.ca))
    assert res.returncode == 0 and "https-node" in res.stdout, res.stderr
    # plaintext on the TLS port gets no API answer
    assert curl(f"http://{LOCALHOST}:{port}/v1/agent/self").returncode != 0


def test_cli_over_https_with_muster_and_consul_names(muster, pki):
    cfg, port = https_config(muster, pki)
    muster.start(cfg)
    url = f"https://{LOCALHOST}:{port}"
    for names in (("MUSTER_HTTP_ADDR", "MUSTER_CACERT"), ("CONSUL_HTTP_ADDR", "CONSUL_CACERT")):
        env = {names[0]: url, names[1]: str(pki.ca)}
        res = cli("members", env=env)
        assert res.returncode == 0 and "https-node" in res.stdout, res.stdout + res.stderr
        res = cli("catalog", "nodes", env=env)
        assert res.returncode == 0 and "https-node" in res.stdout, res.stdout + res.stderr
    # MUSTER_ wins over CONSUL_: a broken CONSUL_CACERT is never read
    res = cli("members", env={"MUSTER_HTTP_ADDR": url, "MUSTER_CACERT": str(pki.ca),
                              "CONSUL_HTTP_ADDR": "http://127.0.0.1:1",
                              "CONSUL_CACERT": "/nonexistent/ca.pem"})
    assert res.returncode == 0, res.stderr


def test_cli_refuses_an_agent_signed_by_another_ca(muster, pki, other_pki):
    cfg, port = https_config(muster, pki)
    muster.start(cfg)
    res = cli("members", env={"MUSTER_HTTP_ADDR": f"https://{LOCALHOST}:{port}",
                              "MUSTER_CACERT": str(other_pki.ca)})
    assert res.returncode == 1
    assert "certificate verify failed" in res.stderr, res.stderr
    # CONSUL_HTTP_SSL_VERIFY=false checks nothing (Consul's escape hatch)
    res = cli("members", env={"MUSTER_HTTP_ADDR": f"https://{LOCALHOST}:{port}",
                              "MUSTER_CACERT": str(other_pki.ca),
                              "CONSUL_HTTP_SSL_VERIFY": "false"})
    assert res.returncode == 0 and "https-node" in res.stdout, res.stderr
    res = cli("members", env={"MUSTER_HTTP_ADDR": f"https://{LOCALHOST}:{port}",
                              "MUSTER_CACERT": "/nonexistent/ca.pem"})
    assert res.returncode == 1
    assert "cannot read MUSTER_CACERT file /nonexistent/ca.pem" in res.stderr, res.stderr


def test_verify_incoming_asks_for_a_client_certificate(muster, pki, other_pki):
    cfg, port = https_config(muster, pki, verify_incoming=True)
    muster.start(cfg)
    url = f"https://{LOCALHOST}:{port}"
    assert curl(f"{url}/v1/agent/self", "--cacert", str(pki.ca)).returncode != 0
    res = curl(f"{url}/v1/agent/self", "--cacert", str(pki.ca), "--cert", str(pki.client_cert),
               "--key", str(pki.client_key))
    assert res.returncode == 0 and "https-node" in res.stdout, res.stderr
    # a client certificate from another CA is refused
    res = curl(f"{url}/v1/agent/self", "--cacert", str(pki.ca), "--cert",
               str(other_pki.client_cert), "--key", str(other_pki.client_key))
    assert res.returncode != 0

    res = cli("members", env={"MUSTER_HTTP_ADDR": url, "MUSTER_CACERT": str(pki.ca)})
    assert res.returncode == 1 and "cannot reach the agent" in res.stderr, res.stderr
    assert "certificate required" in res.stderr, res.stderr
    for prefix in ("MUSTER", "CONSUL"):
        env = {f"{prefix}_HTTP_ADDR": url, f"{prefix}_CACERT": str(pki.ca),
               f"{prefix}_CLIENT_CERT": str(pki.client_cert),
               f"{prefix}_CLIENT_KEY": str(pki.client_key)}
        res = cli("members", env=env)
        assert res.returncode == 0 and "https-node" in res.stdout, res.stdout + res.stderr
        res = cli("catalog", "nodes", env=env)
        assert res.returncode == 0 and "https-node" in res.stdout, res.stdout + res.stderr


def test_a_certificate_file_that_is_not_pem_refuses_to_start(muster, pki, tmp_path):
    bad = tmp_path / "not-a-cert.pem"
    bad.write_text("this is not a certificate\n")
    cfg, _ = https_config(muster, pki, cert_file=bad)
    path = tmp_path / "bad-https.json"
    path.write_text(json.dumps(cfg))
    res = run_muster(["agent", "--config-file", str(path)])
    assert res.returncode != 0
    out = res.stdout + res.stderr
    # the HTTPS listener names it, or (an agent that is a Raft server) the server port first
    assert (f"cannot load certificate file {bad}" in out or
            f"cannot use the certificate {bad}" in out), out
