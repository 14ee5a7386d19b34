"""`muster snapshot save|restore|inspect` and /v1/snapshot (issue 16): a snapshot saved on one
single-server cluster restores on a fresh one, whose DNS then answers the same names with the
same addresses; a foreign or damaged file is refused with a clear message and changes nothing;
a restore sent to a client agent reaches the servers and the client's replica.

Two or three agents per test: they run once, in the optimized build."""

import os
import re

import dns.rcode
import pytest

from harness import free_port, run_muster, wait_until
from test_client_agents import Clients
from test_raft_cluster import Cluster

pytestmark = pytest.mark.skipif(os.environ.get("MUSTER_TEST_TIMEOUT_SCALE", "1") != "1",
                                reason="multi-agent tests run once, in the optimized build")


def start_server(muster, name: str, service: str):
    """A bootstrapped single-server cluster with one config-file service, registered."""
    cfg = muster.config()
    cfg.update({"node_name": name, "server": True, "bootstrap": True,
                "services": [{"name": service, "port": 9000}]})
    cfg["ports"]["server"] = free_port()
    agent = muster.start(cfg)
    wait_until(lambda: answers(agent, f"{service}.service.internal")[0] == "NOERROR", 10, 0.05,
               f"{name} registered its config service")
    return agent


def register_external(agent, node: str, address: str, service: str, port: int) -> None:
    agent.api_ok("PUT", "/v1/catalog/register", {
        "Node": node, "Address": address,
        "Service": {"ID": service, "Service": service, "Port": port}})


def answers(agent, name: str, rdtype: str = "A") -> tuple:
    r = agent.query(name, rdtype)
    return dns.rcode.to_text(r.rcode()), sorted(rd.to_text() for rrset in r.answer for rd in rrset)


def catalog_instances(agent, service: str) -> list:
    """(node, service ID) of every instance of `service` in the agent's catalog."""
    return [(e["Node"], e["ServiceID"]) for e in
            agent.api_ok("GET", f"/v1/catalog/service/{service}")]


def cli(agent, *args):
    return run_muster(["snapshot", *args], env={"MUSTER_HTTP_ADDR": agent.http_addr})


def test_a_snapshot_restores_on_a_fresh_cluster_and_dns_answers_the_same(muster, tmp_path):
    a = start_server(muster, "srv-a", "cfg-a")
    register_external(a, "ext-db", "10.9.0.5", "postgres", 5432)
    register_external(a, "ext-web", "10.9.0.6", "web", 80)
    names = [("postgres.service.internal", "A"), ("postgres.service.internal", "SRV"),
             ("ext-db.node.internal", "A"), ("web.service.internal", "A"),
             ("ext-web.node.internal", "A"), ("cfg-a.service.internal", "A")]
    expected = {n: answers(a, *n) for n in names}
    assert expected[("postgres.service.internal", "A")] == ("NOERROR", ["10.9.0.5"])

    path = tmp_path / "cluster-a.snap"
    saved = cli(a, "save", path)
    assert saved.returncode == 0, saved.stderr
    assert saved.stdout.startswith("Saved and verified snapshot to index ")
    assert path.read_bytes().startswith(b"MUSTERSNAP")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    inspect = run_muster(["snapshot", "inspect", path])
    assert inspect.returncode == 0, inspect.stderr
    fields = dict(re.split(r"\s{2,}", line, maxsplit=1) for line in inspect.stdout.splitlines())
    assert fields["Nodes"] == "3", inspect.stdout  # srv-a and the two external nodes
    assert fields["Services"] == "4", inspect.stdout  # consul (srv-a's own), cfg-a, postgres, web
    assert fields["Datacenter"] == "dc1" and saved.stdout.split()[-1] == fields["Index"]

    b = start_server(muster, "srv-b", "cfg-b")
    register_external(b, "old-ext", "10.8.0.1", "legacy", 1)
    b.api_ok("PUT", "/v1/agent/service/register", {"Name": "api-b", "Port": 99})
    assert answers(b, "postgres.service.internal")[0] == "NXDOMAIN"
    index_before = int(b.api("GET", "/v1/catalog/services").header("X-Consul-Index"))

    restored = cli(b, "restore", path)
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.strip() == "Restored snapshot"
    for name in names:
        assert answers(b, *name) == expected[name], name
    # What B held before is gone; the catalog index went on, it did not go back.
    assert answers(b, "legacy.service.internal")[0] == "NXDOMAIN"
    assert answers(b, "old-ext.node.internal")[0] == "NXDOMAIN"
    assert int(b.api("GET", "/v1/catalog/services").header("X-Consul-Index")) > index_before

    # B's own node went with its old catalog; anti-entropy registers it, its config service and
    # the servers' service again by itself, as a Consul agent does.
    wait_until(lambda: answers(b, "cfg-b.service.internal")[0] == "NOERROR", 5, 0.05,
               "cfg-b back by anti-entropy")
    assert answers(b, "srv-b.node.internal")[0] == "NOERROR"
    wait_until(lambda: "srv-b" in [n for n, _ in catalog_instances(b, "consul")], 5, 0.05,
               "srv-b back as an instance of the servers' service")
    wait_until(lambda: answers(b, "api-b.service.internal")[0] == "NOERROR", 5, 0.05,
               "the service registered through B's agent API back too")
    # srv-a came with the snapshot with a passing serfHealth but is no member here: once the
    # leader's grace for unheard-of members is over it turns critical and its config service
    # leaves DNS. The external nodes stay (no serfHealth: the leader leaves them alone).
    wait_until(lambda: answers(b, "cfg-a.service.internal")[0] != "NOERROR"
               or not answers(b, "cfg-a.service.internal")[1], 15, 0.2,
               "srv-a's service hidden once srv-a is known to be no member")
    for name in names[:5]:
        assert answers(b, *name) == expected[name], name


def test_foreign_and_damaged_files_are_refused_and_change_nothing(muster, tmp_path):
    a = start_server(muster, "srv-a", "cfg-a")
    register_external(a, "ext-db", "10.9.0.5", "postgres", 5432)
    good = tmp_path / "good.snap"
    assert cli(a, "save", good).returncode == 0

    b = a  # restoring onto the same cluster: a refusal must leave what it holds
    register_external(b, "later", "10.7.0.1", "later", 1)
    before = b.api_ok("GET", "/v1/catalog/services")

    data = bytearray(good.read_bytes())
    data[len(data) // 2] ^= 0x40
    damaged = tmp_path / "damaged.snap"
    damaged.write_bytes(bytes(data))
    truncated = tmp_path / "truncated.snap"
    truncated.write_bytes(good.read_bytes()[:-100])
    cases = [("/etc/hosts", "not a muster snapshot"), (damaged, "damaged snapshot"),
             (truncated, "truncated snapshot"), (tmp_path / "absent.snap", "cannot read")]
    for path, message in cases:
        r = cli(b, "restore", path)
        assert r.returncode == 1, (path, r.stdout, r.stderr)
        assert message in r.stderr, (path, r.stderr)
    # The agent checks too, whoever sends the bytes.
    reply = b.api("PUT", "/v1/snapshot", raw=bytes(data))
    assert reply.status == 400 and "damaged snapshot" in reply.text, reply.text
    reply = b.api("PUT", "/v1/snapshot", raw=open("/etc/hosts", "rb").read())
    assert reply.status == 400 and "not a muster snapshot" in reply.text, reply.text
    assert b.api_ok("GET", "/v1/catalog/services") == before
    assert answers(b, "later.service.internal") == ("NOERROR", ["10.7.0.1"])

    usage = run_muster(["snapshot", "save"])
    assert usage.returncode == 2 and "usage: muster snapshot" in usage.stderr


def test_get_snapshot_is_an_octet_stream_with_the_catalog_index(muster):
    a = start_server(muster, "srv-a", "cfg-a")
    register_external(a, "ext-db", "10.9.0.5", "postgres", 5432)
    index = int(a.api("GET", "/v1/catalog/services").header("X-Consul-Index"))
    for path in ("/v1/snapshot", "/v1/snapshot?stale"):
        reply = a.api("GET", path)
        assert reply.status == 200, reply.text
        assert reply.header("Content-Type") == "application/octet-stream"
        assert int(reply.header("X-Consul-Index")) >= index
        assert reply.body.startswith(b"MUSTERSNAP")


def test_a_restore_sent_to_a_client_agent_reaches_every_replica(muster, tmp_path):
    a = start_server(muster, "srv-a", "cfg-a")
    register_external(a, "ext-db", "10.9.0.5", "postgres", 5432)
    path = tmp_path / "a.snap"
    assert cli(a, "save", path).returncode == 0

    cluster = Cluster(muster, 1).start()
    clients = Clients(muster, cluster, 1).start()
    server, client = cluster.agents[0], clients.agents[0]
    wait_until(lambda: answers(client, "cli-1.node.internal")[0] == "NOERROR", 10, 0.1,
               "the client registered")
    restored = cli(client, "restore", path)
    assert restored.returncode == 0, restored.stderr
    for agent in (server, client):
        wait_until(lambda: answers(agent, "postgres.service.internal") ==
                   ("NOERROR", ["10.9.0.5"]), 5, 0.05, "the restore on every replica")
    # The client's own node went with the old catalog; anti-entropy brings it back.
    wait_until(lambda: answers(server, "cli-1.node.internal")[0] == "NOERROR", 10, 0.1,
               "the client registered again")
    # A client agent saves from its replica too.
    again = cli(client, "save", tmp_path / "from-client.snap")
    assert again.returncode == 0, again.stderr


def test_a_large_snapshot_restores_through_a_follower_onto_every_server_and_client(muster,
                                                                                 tmp_path):
    # 2,000 services make a file of over 1 MiB: more than one request body of the other paths
    # and than one group-commit entry; the restore is one command in an entry of its own.
    a = start_server(muster, "srv-big", "cfg-big")
    for i in range(2000):
        register_external(a, f"ext-{i % 100}", f"10.8.0.{i % 100 + 1}", f"svc-{i}", 1000 + i)
    path = tmp_path / "big.snap"
    saved = cli(a, "save", path)
    assert saved.returncode == 0, saved.stderr
    assert path.stat().st_size > 1 << 20

    cluster = Cluster(muster, 3).start()
    clients = Clients(muster, cluster, 1).start()
    leader = cluster.leader()
    follower = next(x for x in cluster.agents if x is not leader)
    restored = cli(follower, "restore", path)
    assert restored.returncode == 0, restored.stderr
    for agent in [*cluster.agents, *clients.agents]:
        wait_until(lambda: answers(agent, "svc-1999.service.internal") ==
                   ("NOERROR", ["10.8.0.100"]), 15, 0.1, "the restore on every replica")
        assert answers(agent, "svc-0.service.internal", "SRV")[0] == "NOERROR"
        assert len(agent.api_ok("GET", "/v1/catalog/services?stale")) >= 2000
    # every agent's own entries come back by anti-entropy
    for name in ("srv-1", "srv-2", "srv-3", "cli-1"):
        wait_until(lambda: answers(leader, f"{name}.node.internal")[0] == "NOERROR", 15, 0.1,
                   f"{name} registered again")


def test_a_snapshot_too_large_to_restore_is_refused_clearly_and_changes_nothing(muster, tmp_path):
    # A restore goes in one request body of at most 8 MiB: the CLI says so instead of printing
    # the agent's bare 413, the agent refuses it before reading it as a snapshot, and the
    # other paths keep their 1 MiB bound. The catalog stays as it was.
    a = start_server(muster, "srv-big", "cfg-big")
    path = tmp_path / "huge.snap"
    path.write_bytes(b"MUSTERSNAP" + bytes(9 << 20))
    before = a.api_ok("GET", "/v1/catalog/services")
    refused = cli(a, "restore", path)
    assert refused.returncode == 1
    assert f"{path}: {path.stat().st_size} bytes, more than the 8388608 the agent takes" in \
        refused.stderr, refused.stderr
    assert "<HTML>" not in refused.stderr
    assert a.api("PUT", "/v1/snapshot", raw=path.read_bytes()).status == 413
    # 2 MiB: more than other paths take, less than a restore may
    assert a.api("PUT", "/v1/catalog/register", raw=bytes(2 << 20)).status == 413
    damaged = a.api("PUT", "/v1/snapshot", raw=b"MUSTERSNAP" + bytes(2 << 20))
    assert damaged.status == 400, damaged.text
    assert a.api_ok("GET", "/v1/catalog/services") == before
