"""Client agents (`server: false` with retry_join) beside a real 3-server cluster: each client
keeps a replica of the catalog fed by one server, answers DNS and the read API from it, and
writes through its server to the leader. Servers on 127.0.0.11-13, clients on 127.0.0.21-23;
servers are killed with SIGKILL and stopped with SIGSTOP while the clients are watched.

These start six agents per test: they run once, in the optimized build (the sanitizer build
runs the feed's unit tests instead)."""

import os
import signal
import time

import pytest

from harness import run_muster, scaled, wait_until
from test_raft_cluster import Cluster

pytestmark = pytest.mark.skipif(os.environ.get("MUSTER_TEST_TIMEOUT_SCALE", "1") != "1",
                                reason="multi-agent tests run once, in the optimized build")

CLIENT_BASE_IP = 21


class Clients:
    def __init__(self, muster, cluster: Cluster, n: int):
        self.muster, self.cluster = muster, cluster
        self.ips = [f"127.0.0.{CLIENT_BASE_IP + i}" for i in range(n)]
        self.agents = [muster.create(self.config(i)) for i in range(n)]

    def config(self, i: int) -> dict:
        cfg = self.muster.config()
        for key in ("bootstrap", "server"):  # MUSTER_TEST_SERVER=1 makes agents servers
            cfg.pop(key, None)
        cfg.update({
            "node_name": f"cli-{i + 1}",
            "bind_addr": self.ips[i],
            "retry_join": list(self.cluster.join),
            "retry_interval": "200ms",
        })
        cfg["ports"]["server"] = self.cluster.port
        return cfg

    def start(self, wait=True):
        for a in self.agents:
            a.start(wait=False)
        for a in self.agents:
            a.wait_ready()
        if wait:
            for a in self.agents:
                wait_attached(a)
        return self


def feed_server(agent) -> str:
    try:
        reply = agent.api("GET", "/v1/agent/self", timeout=2)
    except OSError:
        return ""
    return reply.json()["Stats"]["feed"].get("server", "") if reply.status == 200 else ""


def serf_status(agent, node: str) -> str:
    """The node's serfHealth status as the agent's replica has it ("" when none); "registered"
    while it is the agent's own passing check that the leader has not confirmed yet."""
    try:
        reply = agent.api("GET", f"/v1/health/node/{node}", timeout=2)
    except OSError:
        return ""
    if reply.status != 200:
        return ""
    for check in reply.json():
        if check["CheckID"] == "serfHealth":
            if check["Status"] == "passing" and check["Output"] != "Agent alive and reachable":
                return "registered"
            return check["Status"]
    return ""


def wait_attached(agent, timeout=20):
    wait_until(lambda: feed_server(agent) != "", scaled(timeout), 0.1,
               f"{agent} attached to a server's feed")


def a_records(agent, name: str) -> set[str]:
    try:
        r = agent.query(name, "A", timeout=1)
    except Exception:
        return set()
    return {rr.address for rrset in r.answer for rr in rrset if rrset.rdtype == 1}


def register_web(agent, sid: str, address: str, ttl_check: bool = False):
    body = {"ID": sid, "Name": "web", "Address": address, "Port": 80}
    if ttl_check:
        body["Check"] = {"CheckID": f"{sid}-ttl", "TTL": "60s", "Status": "passing"}
    agent.api_ok("PUT", "/v1/agent/service/register", body)


@pytest.fixture
def fleet(muster):
    cluster = Cluster(muster, 3).start()
    clients = Clients(muster, cluster, 3).start()
    return cluster, clients


def test_a_client_started_before_the_servers_joins_once_they_are_up(muster):
    cluster = Cluster(muster, 3)
    clients = Clients(muster, cluster, 1).start(wait=False)
    (client,) = clients.agents
    time.sleep(0.5)
    assert feed_server(client) == ""
    assert "reached no server" in client.log_text() or client.alive()
    cluster.start()
    wait_attached(client)
    self_info = client.api_ok("GET", "/v1/agent/self")
    assert self_info["Config"]["Server"] is False
    assert self_info["Member"]["Tags"]["role"] == "node"
    wait_until(lambda: a_records(client, "cli-1.node.internal") == {"127.0.0.21"}, scaled(10),
               0.1, "the client registered its own node through the cluster")
    # the servers' catalog has the client's node: the write went through Raft
    for server in cluster.agents:
        wait_until(lambda s=server: s.api("GET", "/v1/catalog/node/cli-1").status == 200
                   and s.api_ok("GET", "/v1/catalog/node/cli-1") is not None,
                   scaled(10), 0.1, "the client's node on every server")


def test_every_client_answers_every_node_and_service_of_the_cluster(fleet):
    cluster, clients = fleet
    a, b, c = clients.agents
    register_web(a, "web-a", "127.0.0.21")
    register_web(b, "web-b", "127.0.0.22")
    want = {"127.0.0.21", "127.0.0.22"}
    for agent in clients.agents + cluster.agents:
        wait_until(lambda ag=agent: a_records(ag, "web.service.internal") == want, scaled(10),
                   0.05, f"web on {agent}")
        for i, ip in enumerate(clients.ips):
            assert a_records(agent, f"cli-{i + 1}.node.internal") == {ip}
        for i, ip in enumerate(cluster.ips):
            assert a_records(agent, f"srv-{i + 1}.node.internal") == {ip}
    # the read API of a client answers from its replica, with Consul's headers
    reply = c.api("GET", "/v1/health/service/web?passing")
    assert reply.status == 200
    assert {e["Service"]["ID"] for e in reply.json()} == {"web-a", "web-b"}
    assert int(reply.headers["X-Consul-Index"]) >= 1
    assert reply.headers["X-Consul-KnownLeader"] == "true"


def test_a_check_failing_on_one_client_removes_its_instance_on_the_others(fleet):
    cluster, clients = fleet
    a, b, c = clients.agents
    register_web(a, "web-a", "127.0.0.21", ttl_check=True)
    register_web(b, "web-b", "127.0.0.22")
    wait_until(lambda: a_records(c, "web.service.internal") == {"127.0.0.21", "127.0.0.22"},
               scaled(10), 0.05, "both instances on client c")
    a.api_ok("PUT", "/v1/agent/check/fail/web-a-ttl?note=down")
    for agent in (b, c, cluster.agents[0]):
        wait_until(lambda ag=agent: a_records(ag, "web.service.internal") == {"127.0.0.22"},
                   scaled(5), 0.05, f"web-a gone on {agent}")
    a.api_ok("PUT", "/v1/agent/check/pass/web-a-ttl")
    wait_until(lambda: a_records(c, "web.service.internal") == {"127.0.0.21", "127.0.0.22"},
               scaled(5), 0.05, "web-a back on client c")


def test_a_client_whose_server_is_killed_moves_on_and_keeps_receiving_writes(fleet):
    cluster, clients = fleet
    a, b, c = clients.agents
    attached = feed_server(a)
    victim = cluster.agents[cluster.join.index(attached)]
    victim.kill()
    wait_until(lambda: feed_server(a) not in ("", attached), scaled(15), 0.1,
               "client a on another server")
    survivors = [s for s in cluster.agents if s is not victim]
    cluster.wait_formed(among=survivors, voters=3)
    register_web(b, "after-kill", "127.0.0.22")
    wait_until(lambda: a_records(a, "web.service.internal") == {"127.0.0.22"}, scaled(10), 0.05,
               "a write after the kill on client a")
    # a write from the moved client itself commits too
    register_web(a, "from-a", "127.0.0.21")
    wait_until(lambda: a_records(c, "web.service.internal") == {"127.0.0.21", "127.0.0.22"},
               scaled(10), 0.05, "client a's write on client c")


def ede_codes(agent, name: str) -> list[int]:
    r = agent.query(name, "A", timeout=1)
    return [o.code for o in r.options if o.otype == 15]


def test_clients_answer_from_their_replica_while_every_server_is_stopped(fleet):
    cluster, clients = fleet
    a, b, c = clients.agents
    b.stop()  # b: with dns_config.max_stale, its answers say when they are stale
    b.config.setdefault("dns_config", {})["max_stale"] = "1s"
    b.start()
    wait_attached(b)
    assert ede_codes(b, "srv-1.node.internal") == []
    register_web(a, "web-a", "127.0.0.21")
    # on every client before the servers stop: one that was a few ms behind would never get it
    wait_until(lambda: all(a_records(x, "web.service.internal") == {"127.0.0.21"}
                           for x in clients.agents), scaled(10), 0.05, "web-a on every client")
    for s in cluster.agents:
        s.send_signal(signal.SIGSTOP)
    try:
        wait_until(lambda: feed_server(c) == "", scaled(15), 0.2,
                   "client c notices its server stopped answering")
        for agent in clients.agents:
            assert a_records(agent, "web.service.internal") == {"127.0.0.21"}
            assert a_records(agent, "srv-1.node.internal") == {"127.0.0.11"}
        wait_until(lambda: ede_codes(b, "web.service.internal") == [3], scaled(10), 0.2,
                   "EDE 3 (Stale Answer) once max_stale passed without a server")
        assert ede_codes(a, "web.service.internal") == [], "no max_stale: never marked"
        # a client restarted while no server answers serves its replica at once
        c.stop()
        c.start()
        assert a_records(c, "web.service.internal") == {"127.0.0.21"}
        assert a_records(c, "cli-1.node.internal") == {"127.0.0.21"}
        assert c.api("GET", "/v1/catalog/service/web").status == 200
    finally:
        for s in cluster.agents:
            s.send_signal(signal.SIGCONT)
    wait_attached(c)
    register_web(b, "web-b", "127.0.0.22")
    wait_until(lambda: a_records(c, "web.service.internal") == {"127.0.0.21", "127.0.0.22"},
               scaled(10), 0.05, "writes reach client c again")


def test_a_client_puts_its_node_back_when_the_catalog_loses_it(fleet):
    cluster, clients = fleet
    a = clients.agents[0]
    register_web(a, "web-a", "127.0.0.21")
    # someone deregisters the client's node on a server: anti-entropy brings it back
    cluster.agents[0].api_ok("PUT", "/v1/catalog/deregister", {"Node": "cli-1"})
    wait_until(lambda: a_records(clients.agents[1], "cli-1.node.internal") == {"127.0.0.21"},
               scaled(10), 0.1, "cli-1 registered again by its agent")


def web_ports(agent) -> dict[str, int]:
    reply = agent.api("GET", "/v1/catalog/service/web", timeout=2)
    return {s["ServiceID"]: s["ServicePort"] for s in reply.json()} if reply.status == 200 else {}


def check_ids(agent, node: str) -> set[str]:
    reply = agent.api("GET", f"/v1/health/node/{node}", timeout=2)
    return {c["CheckID"] for c in reply.json()} if reply.status == 200 else set()


def test_a_client_keeps_the_services_of_its_api_as_its_own_state(fleet):
    """Services and checks registered through a client's agent API are its local state
    (Consul's anti-entropy: the agent's view wins): a catalog edit or deregistration elsewhere is
    undone, they survive a restart of the agent after the cluster forgot its node, and only the
    agent's own deregistration ends them."""
    cluster, clients = fleet
    a, b, _ = clients.agents
    server = cluster.agents[0]
    register_web(a, "web-a", "127.0.0.21", ttl_check=True)
    register_web(a, "web-a2", "127.0.0.21")
    wait_until(lambda: web_ports(b) == {"web-a": 80, "web-a2": 80}, scaled(10), 0.1,
               "both services of cli-1 on cli-2")

    a.api_ok("PUT", "/v1/agent/check/register",
             {"ID": "disk", "Name": "disk", "TTL": "60s", "Status": "passing"})
    wait_until(lambda: check_ids(b, "cli-1") >= {"disk", "web-a-ttl"}, scaled(10), 0.1,
               "cli-1's checks on cli-2")

    def syncs():
        return a.log_text().count("anti-entropy: services and checks registered through the API")
    assert syncs() == 0

    # another agent deregisters one service and a check, and edits the other service through
    # the catalog API
    server.api_ok("PUT", "/v1/catalog/deregister", {"Node": "cli-1", "CheckID": "disk"})
    server.api_ok("PUT", "/v1/catalog/deregister", {"Node": "cli-1", "ServiceID": "web-a"})
    server.api_ok("PUT", "/v1/catalog/register", {
        "Node": "cli-1", "Address": "127.0.0.21",
        "Service": {"ID": "web-a2", "Service": "web", "Address": "127.0.0.21", "Port": 9999}})
    wait_until(lambda: syncs() > 0 and web_ports(b) == {"web-a": 80, "web-a2": 80}, scaled(10),
               0.1, "cli-1's agent put its services back as it registered them")
    wait_until(lambda: a_records(b, "web.service.internal") == {"127.0.0.21"}, scaled(10), 0.1,
               "web-a answers again (its TTL check is passing)")
    wait_until(lambda: "disk" in check_ids(b, "cli-1"), scaled(10), 0.1, "the disk check back")

    # in step now: anti-entropy writes nothing more
    settled = syncs()
    time.sleep(3)
    assert syncs() == settled, "anti-entropy keeps rewriting services already in step"

    # the agent dies and the cluster forgets its node; back, it registers its own services
    a.kill()
    server.api_ok("PUT", "/v1/catalog/deregister", {"Node": "cli-1"})
    wait_until(lambda: web_ports(b) == {}, scaled(10), 0.1, "cli-1 forgotten")
    a.start()
    wait_until(lambda: web_ports(b) == {"web-a": 80, "web-a2": 80}, scaled(15), 0.1,
               "cli-1's services back with its agent")
    wait_until(lambda: check_ids(b, "cli-1") >= {"disk", "web-a-ttl"}, scaled(10), 0.1,
               "cli-1's checks back with its agent")

    # the agent's own deregistration is final
    a.api_ok("PUT", "/v1/agent/service/deregister/web-a2")
    time.sleep(3)
    assert web_ports(b) == {"web-a": 80}


def test_a_client_with_retry_max_gives_up_with_status_1(muster):
    cfg = muster.config()
    for key in ("bootstrap", "server"):
        cfg.pop(key, None)
    cfg.update({"node_name": "lonely", "retry_join": ["127.0.0.99:1"], "retry_interval": "100ms",
                "retry_max": 3})
    agent = muster.create(cfg).start(wait=False)
    wait_until(lambda: not agent.alive(), scaled(20), 0.1, "the client gives up")
    assert agent.proc.popen.returncode == 1
    assert "retry_max" in agent.log_text()


def test_leave_and_force_leave_list_a_client_as_left_until_it_comes_back(fleet):
    cluster, clients = fleet
    a, b, c = clients.agents
    server = cluster.agents[0]
    wait_until(lambda: a_records(b, "cli-1.node.internal") == {"127.0.0.21"}, scaled(10), 0.1,
               "cli-1 known on client b")
    assert a.stop() == 0  # SIGTERM: leave_on_terminate is true on a client
    wait_until(lambda: a_records(b, "cli-1.node.internal") == set(), scaled(10), 0.1,
               "cli-1 gone after it left")
    for observer in (b, server):  # Serf's StatusLeft, on a client and on a server
        wait_until(lambda o=observer: members(o).get("cli-1") == (3, "node"), scaled(10), 0.1,
                   f"cli-1 left on {observer}")
    # muster leave: the same, and the agent stops
    wait_until(lambda: a_records(c, "cli-2.node.internal") == {"127.0.0.22"},
               scaled(10), 0.1, "cli-2 known on client c")
    r = run_muster(["leave"], env={"MUSTER_HTTP_ADDR": b.http_addr})
    assert r.returncode == 0, r.stderr
    wait_until(lambda: not b.alive(), scaled(10), 0.1, "cli-2 stopped after muster leave")
    wait_until(lambda: a_records(c, "cli-2.node.internal") == set(), scaled(10),
               0.1, "cli-2 gone after muster leave")
    wait_until(lambda: members(c).get("cli-2") == (3, "node"), scaled(10), 0.1, "cli-2 left")
    assert members(server)["cli-2"] == (3, "node")
    out = run_muster(["members"], env={"MUSTER_HTTP_ADDR": c.http_addr}).stdout
    assert any("cli-2" in line and "left" in line for line in out.splitlines()), out
    # force-leave: a failed client is left at once (a live one stays)
    assert server.api("PUT", "/v1/agent/force-leave/srv-2").status == 200
    assert members(server)["srv-2"] == (1, "consul")
    c.kill()
    wait_until(lambda: members(server).get("cli-3", (0, ""))[0] == 4, scaled(15), 0.2,
               "cli-3 failed")
    reply = server.api("PUT", "/v1/agent/force-leave/cli-3")
    assert reply.status == 200, reply.text
    for observer in (server, cluster.agents[1]):
        wait_until(lambda o=observer: members(o).get("cli-3") == (3, "node"), scaled(10), 0.1,
                   f"cli-3 left on {observer}")
    # a left client that starts again is alive again
    a.start()
    wait_until(lambda: members(server).get("cli-1", (0, ""))[0] == 1, scaled(15), 0.2,
               "cli-1 alive again")
    wait_until(lambda: a_records(server, "cli-1.node.internal") == {"127.0.0.21"}, scaled(10),
               0.1, "cli-1 back in the catalog")
    assert members(server)["cli-2"] == (3, "node")


def test_a_node_name_of_a_live_node_at_another_address_is_refused(fleet):
    cluster, clients = fleet
    wait_until(lambda: serf_status(clients.agents[1], "cli-1") == "passing", scaled(15), 0.2,
               "the leader marked cli-1 alive")
    cfg = clients.config(0)  # cli-1's name ...
    cfg["bind_addr"] = "127.0.0.29"  # ... from another host
    impostor = clients.muster.create(cfg).start()
    wait_attached(impostor)
    wait_until(lambda: "already used by a live node at 127.0.0.21" in impostor.log_text(),
               scaled(10), 0.1, "the impostor is told why it cannot register")
    for agent in clients.agents[1:]:
        assert a_records(agent, "cli-1.node.internal") == {"127.0.0.21"}


def test_muster_join_attaches_a_client_whose_join_list_reaches_nothing(muster):
    cluster = Cluster(muster, 3).start()
    clients = Clients(muster, cluster, 1)
    (client,) = clients.agents
    client.config["retry_join"] = ["127.0.0.99:1"]  # nothing there
    client.write_config()
    client.start()
    time.sleep(1)
    assert feed_server(client) == ""
    assert "reached no server" in client.log_text()
    env = {"MUSTER_HTTP_ADDR": client.http_addr}
    r = run_muster(["join", cluster.join[1]], env=env)
    assert r.returncode == 0, r.stderr
    assert "Successfully joined cluster by contacting 1 nodes." in r.stdout
    assert feed_server(client) != ""
    wait_until(lambda: a_records(client, "srv-1.node.internal") == {"127.0.0.11"}, scaled(10),
               0.1, "the joined client's replica")
    bad = client.api("PUT", "/v1/agent/join/not-an-address")
    assert bad.status == 500 and "not an IPv4 address" in bad.text
    # members lists every server and the client, and `muster members` prints them
    wait_until(lambda: len(client.api_ok("GET", "/v1/agent/members")) == 4, scaled(10), 0.2,
               "3 servers and the client in members")
    out = run_muster(["members"], env=env).stdout
    assert "cli-1" in out and "client" in out and "srv-1" in out and "alive" in out


def members(agent) -> dict[str, tuple[int, str]]:
    """Name -> (Status, role) of /v1/agent/members."""
    return {m["Name"]: (m["Status"], m["Tags"]["role"])
            for m in agent.api_ok("GET", "/v1/agent/members")}


def test_every_agent_node_carries_serf_health_and_external_nodes_do_not(fleet):
    cluster, clients = fleet
    cluster.agents[0].api_ok("PUT", "/v1/catalog/register",
                             {"Node": "external", "Address": "192.0.2.1",
                              "Service": {"Service": "ext", "Port": 80}})
    observer = clients.agents[2]
    nodes = [f"srv-{i}" for i in (1, 2, 3)] + [f"cli-{i}" for i in (1, 2, 3)]
    for node in nodes:
        wait_until(lambda n=node: serf_status(observer, n) == "passing", scaled(15), 0.2,
                   f"serfHealth passing for {node}")
    checks = observer.api_ok("GET", "/v1/health/node/cli-1")
    serf = next(c for c in checks if c["CheckID"] == "serfHealth")
    assert serf["Name"] == "Serf Health Status"
    assert serf["Output"] == "Agent alive and reachable"
    assert serf_status(observer, "external") == ""
    got = members(observer)
    assert got["srv-1"] == (1, "consul") and got["cli-3"] == (1, "node")
    assert "external" not in got


def test_a_killed_client_leaves_dns_everywhere_and_comes_back_with_its_services(fleet):
    cluster, clients = fleet
    a, b, c = clients.agents
    register_web(a, "web-a", "127.0.0.21")
    register_web(b, "web-b", "127.0.0.22")
    wait_until(lambda: serf_status(c, "cli-1") == "passing", scaled(15), 0.2, "cli-1 alive")
    wait_until(lambda: a_records(c, "web.service.internal") == {"127.0.0.21", "127.0.0.22"},
               scaled(10), 0.05, "both instances")
    a.kill()
    killed = time.monotonic()
    for agent in (b, c, *cluster.agents):
        wait_until(lambda ag=agent: a_records(ag, "web.service.internal") == {"127.0.0.22"},
                   scaled(10), 0.05, f"web-a gone on {agent}")
    gone_after = time.monotonic() - killed
    assert gone_after < 8, f"a killed client's instance left DNS after {gone_after:.1f}s"
    assert members(c)["cli-1"][0] == 4  # failed
    # as in Consul, a node name still answers (node lookups are not health-filtered)
    assert a_records(c, "cli-1.node.internal") == {"127.0.0.21"}
    r = run_muster(["members"], env={"MUSTER_HTTP_ADDR": c.http_addr})
    assert any("cli-1" in line and "failed" in line for line in r.stdout.splitlines()), r.stdout
    a.start()
    wait_until(lambda: members(c).get("cli-1", (0, ""))[0] == 1, scaled(15), 0.2,
               "cli-1 alive again")
    wait_until(lambda: a_records(c, "web.service.internal") == {"127.0.0.21", "127.0.0.22"},
               scaled(10), 0.05, "web-a back with its agent")


def test_a_leader_failover_marks_no_client_failed(fleet):
    cluster, clients = fleet
    observer = clients.agents[0]
    for node in ("cli-1", "cli-2", "cli-3"):
        wait_until(lambda n=node: serf_status(observer, n) == "passing", scaled(15), 0.2,
                   f"{node} alive")
    failed_seen = set()
    for _ in range(2):
        leader = cluster.leader()
        assert leader is not None
        leader.kill()
        survivors = [s for s in cluster.agents if s is not leader]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for agent in clients.agents:
                for name, (status, role) in members(agent).items():
                    if role == "node" and status == 4:
                        failed_seen.add(name)
            time.sleep(0.1)
        leader.start()
        cluster.wait_formed()
    assert failed_seen == set()
    for node in ("cli-1", "cli-2", "cli-3"):
        assert serf_status(observer, node) == "passing"


def test_a_blocking_query_on_a_client_wakes_on_a_write_made_elsewhere(fleet):
    cluster, clients = fleet
    a, b, _ = clients.agents
    first = b.api("GET", "/v1/health/service/web")
    index = int(first.headers["X-Consul-Index"])
    result = {}

    def block():
        # As a Consul client does: any change of the index may end a blocking query (a member's
        # serfHealth update, say), so block again from the new index until web-a shows.
        t0 = time.monotonic()
        at = index
        while time.monotonic() - t0 < 20:
            reply = b.api("GET", f"/v1/health/service/web?index={at}&wait=20s", timeout=30)
            result["wakes"] = result.get("wakes", 0) + 1
            result["reply"] = reply
            at = int(reply.headers["X-Consul-Index"])
            if any(e["Service"]["ID"] == "web-a" for e in reply.json()):
                break
        result["after"] = time.monotonic() - t0

    import threading
    waiter = threading.Thread(target=block)
    waiter.start()
    time.sleep(0.5)
    register_web(a, "web-a", "127.0.0.21")
    waiter.join(timeout=scaled(30))
    assert result["after"] < 10, "the replicated write woke the blocking query"
    assert result["wakes"] <= 5, "a blocking query returned without any change"
    reply = result["reply"]
    assert int(reply.headers["X-Consul-Index"]) > index
    assert [e["Service"]["ID"] for e in reply.json()] == ["web-a"]
    # ?consistent goes through the client's server to the leader, then reads the replica: a
    # write made on the leader just before is there
    cluster.leader().api_ok("PUT", "/v1/catalog/register",
                            {"Node": "ext-1", "Address": "192.0.2.7",
                             "Service": {"Service": "fresh", "Port": 1}})
    consistent = b.api("GET", "/v1/catalog/service/fresh?consistent")
    assert consistent.status == 200, consistent.text
    assert [e["Node"] for e in consistent.json()] == ["ext-1"]


def test_a_client_stopped_in_the_middle_of_writes_exits_cleanly(fleet):
    # A write in flight on the feed when the agent stops is answered before the HTTP API that
    # waits for it goes away (once a SIGSEGV on stop).
    from test_raft_cluster import Writer
    cluster, clients = fleet
    client = clients.agents[0]
    for round_ in range(4):
        with Writer(client, f"stop-{round_}") as w:
            wait_until(lambda: len(w.acked) >= 5, scaled(20), 0.02, "writes through the client")
            assert client.stop() == 0, client.log_text()[-3000:]
        client.start()
        wait_attached(client)
