"""The catalog commands of the CLI against a real agent: `muster services register FILE` /
`deregister ID`, `muster catalog nodes|services|service NAME`, `muster members`, reaching the
agent at $MUSTER_HTTP_ADDR."""

import json

import dns.rcode

from harness import agent_services, closed_port, run_muster


def cli(agent, *args, addr=None):
    return run_muster(list(args), env={"MUSTER_HTTP_ADDR": addr or agent.http_addr})


def test_services_register_file_then_dns_and_catalog_show_it(muster, tmp_path):
    cfg = muster.config()
    cfg["node_name"] = "cli-node"
    agent = muster.start(cfg)
    # a Consul service definition file, unchanged (PascalCase and snake_case both occur)
    path = tmp_path / "redis.json"
    path.write_text(json.dumps({"service": {"ID": "redis-1", "Name": "redis", "Tags": ["primary"],
                                            "Address": "10.7.0.1", "port": 6379}}))
    res = cli(agent, "services", "register", str(path))
    assert res.returncode == 0, res.stderr
    r = agent.query("redis.service.internal", "A")
    assert [rd.to_text() for rrset in r.answer for rd in rrset] == ["10.7.0.1"]

    res = cli(agent, "catalog", "services")
    assert res.returncode == 0 and "redis" in res.stdout and "primary" in res.stdout, res.stdout
    res = cli(agent, "catalog", "service", "redis")
    assert res.returncode == 0
    row = [line.split() for line in res.stdout.splitlines() if "redis-1" in line]
    assert row and "cli-node" in row[0] and "10.7.0.1" in row[0] and "6379" in row[0], res.stdout
    res = cli(agent, "catalog", "nodes")
    assert res.returncode == 0 and "cli-node" in res.stdout, res.stdout
    res = cli(agent, "members")
    assert res.returncode == 0 and "cli-node" in res.stdout, res.stdout
    assert res.stdout.splitlines()[0].split()[:2] == ["Node", "Address"]

    res = cli(agent, "services", "deregister", "redis-1")
    assert res.returncode == 0, res.stderr
    assert agent.query("redis.service.internal", "A").rcode() == dns.rcode.NXDOMAIN
    assert "redis" not in cli(agent, "catalog", "services").stdout


def test_services_register_rejects_a_bad_file_without_sending(muster, tmp_path):
    agent = muster.start(muster.config())
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"service": {"Name": "x", "Port": "eighty"}}))
    res = cli(agent, "services", "register", str(path))
    assert res.returncode == 1
    assert "port" in res.stderr.lower(), res.stderr
    assert agent_services(agent) == {}


def test_unknown_service_deregister_reports_the_api_error(muster):
    agent = muster.start(muster.config())
    res = cli(agent, "services", "deregister", "no-such-id")
    assert res.returncode == 1
    assert "404" in res.stderr, res.stderr


def test_unreachable_agent_is_a_clear_error(muster):
    res = run_muster(["catalog", "nodes"], env={"MUSTER_HTTP_ADDR": f"http://127.0.0.1:{closed_port()}"})
    assert res.returncode == 1
    assert "cannot reach the agent" in res.stderr, res.stderr
