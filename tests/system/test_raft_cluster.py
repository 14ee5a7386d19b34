"""Clusters of 3 and 5 real `muster agent` servers on distinct loopback addresses (127.0.0.11 …),
formed with bootstrap_expect and retry_join. Raft and the cluster RPC share each server's port;
DNS and HTTP listen on 127.0.0.1 free ports. Leaders are killed with SIGKILL, minorities stopped
with SIGSTOP, catalogs deleted, servers added, removed and restarted one by one, while writes
and DNS queries run."""

import os
import signal
import threading
import time

import dns.rcode
import pytest

from harness import free_port, run_muster, scaled, wait_until

BASE_IP = 11  # 127.0.0.11, .12, ...


class Cluster:
    def __init__(self, muster, n: int, *, expect: int | None = None, raft: dict | None = None):
        self.muster = muster
        self.raft = raft  # the "raft" config object of every server, when given
        self.port = free_port()  # the server port, on each server's own address
        self.ips = [f"127.0.0.{BASE_IP + i}" for i in range(n)]
        self.join = [f"{ip}:{self.port}" for ip in self.ips]
        self.agents = []
        self.configs = []
        for i in range(n):
            self.configs.append(self.config(i, expect if expect is not None else n))
            self.agents.append(muster.create(self.configs[i]))

    def config(self, i: int, expect: int) -> dict:
        cfg = self.muster.config()
        cfg.pop("bootstrap", None)  # MUSTER_TEST_SERVER=1 makes every agent a cluster of one
        cfg.update({
            "node_name": f"srv-{i + 1}",
            "server": True,
            "bind_addr": self.ips[i] if i < len(self.ips) else f"127.0.0.{BASE_IP + i}",
            "retry_join": list(self.join),
            "retry_interval": "200ms",
        })
        if expect:
            cfg["bootstrap_expect"] = expect
        if self.raft:
            cfg["raft"] = dict(self.raft)
        cfg["ports"]["server"] = self.port
        return cfg

    def start(self):
        for a in self.agents:
            a.start(wait=False)
        for a in self.agents:
            a.wait_ready()
        self.wait_formed()
        return self

    def alive(self):
        return [a for a in self.agents if a.alive()]

    def leader_address(self, agent) -> str:
        reply = agent.api("GET", "/v1/status/leader", timeout=5)
        return reply.json() if reply.status == 200 else ""

    def leader(self, among=None):
        """The agent that is the leader, as all of `among` agree; None if they do not."""
        among = among or self.alive()
        seen = {self.leader_address(a) for a in among}
        if len(seen) != 1 or "" in seen:
            return None
        (addr,) = seen
        for a, ip in zip(self.agents, self.ips):
            if addr == f"{ip}:{self.port}":
                return a
        return None

    def wait_formed(self, among=None, voters=None, timeout=30):
        among = among or self.alive()
        voters = voters if voters is not None else len(self.agents)

        def formed():
            if self.leader(among) is None:
                return False
            return all(len(a.api_ok("GET", "/v1/status/peers")) == voters for a in among)
        wait_until(formed, scaled(timeout), 0.1, f"{voters} voters and one leader")

    def followers(self):
        lead = self.leader()
        return [a for a in self.alive() if a is not lead]


def register(agent, sid: str, address: str, timeout=10):
    """PUT a service on the agent's own node; the HTTP status (0 when the agent did not answer)."""
    try:
        return agent.api("PUT", "/v1/agent/service/register",
                         {"ID": sid, "Name": "web", "Address": address, "Port": 80},
                         timeout=timeout).status
    except OSError:
        return 0


def catalog_ids(agent) -> set[str]:
    return {row["ServiceID"] for row in agent.api_ok("GET", "/v1/catalog/service/web")}


def dns_ok(agent, name="consul.service.internal") -> bool:
    try:
        r = agent.query(name, "A", timeout=1)
        return r.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN)
    except Exception:
        return False


class Writer:
    """Registrations through one agent in a loop; remembers the acknowledged ones."""

    def __init__(self, agent, prefix: str):
        self.agent, self.prefix = agent, prefix
        self.acked: list[str] = []
        self.failed = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        n = 0
        while not self.stop.is_set():
            sid = f"{self.prefix}-{n}"
            status = register(self.agent, sid, f"10.9.{n // 250 % 250}.{n % 250 + 1}")
            if status == 200:
                self.acked.append(sid)
            else:
                self.failed += 1
            n += 1

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(30)


class Prober:
    """DNS queries to each agent every 20 ms; counts the ones that got no answer. An agent that
    a test stops on purpose is paused first: pause() returns once no query to it is in flight."""

    def __init__(self, agents):
        self.agents = list(agents)
        self.paused: set[int] = set()
        self.rounds = 0
        self.sent = 0
        self.failures: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            for a in list(self.agents):
                if id(a) in self.paused:
                    continue
                self.sent += 1
                if not dns_ok(a):
                    self.failures.append(a.config["node_name"])
            self.rounds += 1
            time.sleep(0.02)

    def pause(self, agent):
        self.paused.add(id(agent))
        start = self.rounds
        wait_until(lambda: self.rounds >= start + 2, scaled(10), 0.01, "a probe round")

    def resume(self, agent):
        self.paused.discard(id(agent))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(30)


def wait_has_all(agent, ids, timeout=30):
    want = set(ids)
    wait_until(lambda: want <= catalog_ids(agent), scaled(timeout), 0.1,
               f"{len(want)} acknowledged registrations on {agent.config['node_name']}")


@pytest.fixture
def three(muster):
    return Cluster(muster, 3).start()


def test_three_servers_form_one_cluster_with_bootstrap_expect(three):
    lead = three.leader()
    assert lead is not None
    for a in three.agents:
        peers = sorted(a.api_ok("GET", "/v1/status/peers"))
        assert peers == sorted(three.join)
        cfg = a.api_ok("GET", "/v1/operator/raft/configuration")
        assert sorted(s["Address"] for s in cfg["Servers"]) == sorted(three.join)
        assert sum(s["Leader"] for s in cfg["Servers"]) == 1
        assert all(s["Voter"] for s in cfg["Servers"])
    # every server lists itself as an instance of service "consul", so DNS names the servers
    for a in three.agents:
        wait_until(lambda: sorted(rd.to_text() for rrset in a.query(
            "consul.service.internal", "A").answer for rd in rrset) == three.ips, scaled(15), 0.1,
            "consul.service.internal to list the three servers on every server")
    env = {"MUSTER_HTTP_ADDR": three.agents[0].http_addr}
    res = run_muster(["operator", "raft", "list-peers"], env=env)
    assert res.returncode == 0, res.stderr
    rows = [line.split() for line in res.stdout.splitlines()]
    assert rows[0] == ["Node", "ID", "Address", "State", "Voter", "RaftProtocol"]
    assert sorted(r[2] for r in rows[1:]) == sorted(three.join)
    assert [r[3] for r in rows[1:]].count("leader") == 1
    assert sorted(r[0] for r in rows[1:]) == ["srv-1", "srv-2", "srv-3"]
    res = run_muster(["members"], env=env)
    assert res.returncode == 0, res.stderr
    members = [line.split() for line in res.stdout.splitlines()[1:]]
    assert sorted(m[0] for m in members) == ["srv-1", "srv-2", "srv-3"]
    assert all(m[3] == "server" for m in members)
    # reads say who leads
    reply = three.agents[2].api("GET", "/v1/catalog/services")
    assert reply.header("X-Consul-KnownLeader") == "true"
    assert int(reply.header("X-Consul-LastContact")) >= 0


def test_writes_through_every_server_reach_every_server(three):
    for i, a in enumerate(three.agents):
        assert register(a, f"via-{i}", f"10.8.0.{i + 1}") == 200
    for a in three.agents:
        wait_has_all(a, {"via-0", "via-1", "via-2"})
        wait_until(lambda: sorted(rd.to_text() for rrset in a.query("web.service.internal",
                   "A").answer for rd in rrset) == ["10.8.0.1", "10.8.0.2", "10.8.0.3"],
                   scaled(10), 0.05, "DNS on every server")
    # a ?consistent read on a follower sees the leader's state
    follower = three.followers()[0]
    assert register(three.leader(), "late", "10.8.0.9") == 200
    rows = follower.api_ok("GET", "/v1/catalog/service/web?consistent")
    assert "late" in {r["ServiceID"] for r in rows}


def test_sigkill_of_the_leader_under_writes_loses_no_acknowledged_write(three):
    lead = three.leader()
    survivors = [a for a in three.agents if a is not lead]
    with Prober(survivors) as prober, Writer(survivors[0], "a") as w1, \
            Writer(survivors[1], "b") as w2:
        wait_until(lambda: len(w1.acked) + len(w2.acked) >= 100, scaled(30), 0.05,
                   "100 acknowledged writes")
        killed_at = time.monotonic()
        lead.send_signal(signal.SIGKILL)
        lead.wait_exit()
        wait_until(lambda: three.leader(survivors) is not None, scaled(15), 0.02,
                   "a new leader")
        failover = time.monotonic() - killed_at
        before = len(w1.acked) + len(w2.acked)
        wait_until(lambda: len(w1.acked) + len(w2.acked) >= before + 100, scaled(30), 0.05,
                   "writes after the failover")
    acked = w1.acked + w2.acked
    for a in survivors:
        wait_has_all(a, acked)
    assert not prober.failures, f"DNS unanswered {len(prober.failures)} of {prober.sent} times"
    print(f"failover {failover:.2f}s; acked {len(acked)}, failed {w1.failed + w2.failed}")
    # the killed server comes back as a follower and catches up
    lead.start()
    wait_has_all(lead, acked)
    three.wait_formed()


def test_a_stopped_majority_leaves_the_minority_unable_to_commit_and_it_says_so(three):
    lead = three.leader()
    lone = three.followers()[0]
    stopped = [a for a in three.agents if a is not lone]
    for a in stopped:
        a.send_signal(signal.SIGSTOP)
    try:
        start = time.monotonic()
        reply = lone.api("PUT", "/v1/agent/service/register",
                         {"ID": "minority", "Name": "web", "Port": 1}, timeout=30)
        took = time.monotonic() - start
        assert reply.status >= 500, reply.text
        assert "leader" in reply.text.lower(), reply.text
        assert took < scaled(20), f"the refusal took {took:.1f}s"
        assert dns_ok(lone), "DNS keeps answering from the local catalog"
    finally:
        for a in stopped:
            a.send_signal(signal.SIGCONT)
    three.wait_formed()
    assert register(lone, "after", "10.7.0.1") == 200
    for a in three.agents:
        wait_has_all(a, {"after"})
    assert lead.alive()


def test_a_stopped_follower_catches_up_after_sigcont(three):
    follower = three.followers()[0]
    other = [a for a in three.agents if a is not follower][0]
    follower.send_signal(signal.SIGSTOP)
    try:
        ids = [f"while-stopped-{i}" for i in range(50)]
        for sid in ids:
            assert register(other, sid, "10.6.0.1") == 200
    finally:
        follower.send_signal(signal.SIGCONT)
    wait_has_all(follower, ids)


def test_a_server_restarted_without_its_catalog_rebuilds_it(three):
    ids = [f"keep-{i}" for i in range(20)]
    for sid in ids:
        assert register(three.agents[0], sid, "10.5.0.1") == 200
    victim = three.agents[2]
    wait_has_all(victim, ids)
    assert victim.stop() == 0
    data_dir = victim.config["data_dir"]
    for name in ("catalog.mdb", "catalog.mdb-lock"):
        if os.path.exists(os.path.join(data_dir, name)):
            os.remove(os.path.join(data_dir, name))
    victim.start()
    wait_has_all(victim, ids)
    three.wait_formed()


def test_a_fourth_server_joins_and_a_server_leaves(muster):
    cluster = Cluster(muster, 3).start()
    assert register(cluster.agents[0], "before-join", "10.4.0.1") == 200
    # the fourth: no bootstrap_expect, only retry_join
    cluster.ips.append(f"127.0.0.{BASE_IP + 3}")
    cfg = cluster.config(3, 0)
    fourth = muster.create(cfg)
    cluster.agents.append(fourth)
    cluster.configs.append(cfg)
    fourth.start()
    cluster.wait_formed(voters=4)
    wait_has_all(fourth, {"before-join"})
    assert f"{cluster.ips[3]}:{cluster.port}" in fourth.api_ok("GET", "/v1/status/peers")

    # srv-2 leaves for good: out of the configuration and its node out of the catalog
    leaving = cluster.agents[1]
    env = {"MUSTER_HTTP_ADDR": leaving.http_addr}
    res = run_muster(["leave"], env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    leaving.wait_exit(timeout=30)
    rest = [a for a in cluster.agents if a is not leaving]
    cluster.wait_formed(among=rest, voters=3)
    assert f"{cluster.ips[1]}:{cluster.port}" not in rest[0].api_ok("GET", "/v1/status/peers")
    wait_until(lambda: "srv-2" not in {n["Node"] for n in rest[0].api_ok("GET",
               "/v1/catalog/nodes")}, scaled(10), 0.1, "srv-2 gone from the catalog")
    # ... and listed as a server that left (Serf's status 3)
    def srv2_member():
        for m in rest[0].api_ok("GET", "/v1/agent/members"):
            if m["Name"] == "srv-2":
                return m["Status"], m["Tags"]["role"], m["Addr"]
        return None
    wait_until(lambda: srv2_member() == (3, "consul", cluster.ips[1]), scaled(10), 0.1,
               "srv-2 listed as a server that left")
    assert register(rest[0], "after-leave", "10.4.0.2") == 200


def snapshot_files(agent) -> list[str]:
    raft_dir = os.path.join(agent.config["data_dir"], "raft")
    return [n for n in os.listdir(raft_dir) if n.startswith("snapshot-") and n.endswith(".meta")]


def test_snapshots_bring_a_lagging_and_a_new_server_up_to_date(muster):
    """With a small snapshot_threshold the log is compacted past what a stopped follower and a
    new server have, so the leader sends them its Raft snapshot (the catalog image) to restore;
    both then hold exactly the leader's catalog, answer DNS from it, and go on from the log."""
    cluster = Cluster(muster, 3, raft={"snapshot_threshold": 16, "trailing_logs": 4}).start()
    lead = cluster.leader()
    first = [f"snap-{i}" for i in range(40)]
    for sid in first:
        assert register(lead, sid, "10.7.0.1") == 200
    for a in cluster.agents:
        wait_has_all(a, first)
        wait_until(lambda: snapshot_files(a), scaled(10), 0.1,
                   f"a Raft snapshot on {a.config['node_name']}")

    victim = cluster.followers()[0]
    victim.send_signal(signal.SIGKILL)
    victim.wait_exit()
    second = [f"later-{i}" for i in range(60)]
    for sid in second:
        assert register(lead, sid, f"10.7.1.{len(sid)}") == 200
    # The servers that catch up take no snapshots of their own meanwhile: libraft 0.22.1 may
    # crash a follower that gets an InstallSnapshot while it writes its own snapshot (its legacy
    # layer starts the second snapshot_put beside the first). With the default thresholds a
    # server needs an InstallSnapshot only after missing more than trailing_logs entries.
    catch_up = {"snapshot_threshold": 1000000, "trailing_logs": 4}
    victim.config["raft"] = dict(catch_up)
    victim.start()
    # a fourth server, new to the cluster, joins once the log no longer starts at 1
    cluster.ips.append(f"127.0.0.{BASE_IP + 3}")
    cfg = cluster.config(3, 0)
    cfg["raft"] = dict(catch_up)
    fourth = muster.create(cfg)
    cluster.agents.append(fourth)
    cluster.configs.append(cfg)
    fourth.start()
    cluster.wait_formed(voters=4)
    for a in (victim, fourth):
        wait_has_all(a, first + second)
        a.wait_log(lambda t: "restoring the catalog from a raft snapshot" in t, timeout=10)
        # exactly the leader's catalog: nodes, instances and their indexes
        assert a.api_ok("GET", "/v1/catalog/nodes") == lead.api_ok("GET", "/v1/catalog/nodes")
        assert a.api_ok("GET", "/v1/catalog/service/web") == \
            lead.api_ok("GET", "/v1/catalog/service/web")
        r = a.query("web.service.internal", "A")
        assert r.rcode() == dns.rcode.NOERROR and r.answer, r
    # and they go on from the log
    assert register(lead, "after-install", "10.7.2.1") == 200
    for a in (victim, fourth):
        wait_has_all(a, {"after-install"})


def test_rolling_restart_loses_nothing_and_fails_no_query(three):
    with Prober(three.agents) as prober:
        for victim in list(three.agents):
            others = [a for a in three.agents if a is not victim]
            with Writer(others[0], f"roll-{victim.config['node_name']}") as w:
                wait_until(lambda: len(w.acked) >= 20, scaled(30), 0.05, "writes before")
                prober.pause(victim)  # the stopped one cannot answer, by definition
                assert victim.stop() == 0
                victim.start()
                prober.resume(victim)
                three.wait_formed()
                n = len(w.acked)
                wait_until(lambda: len(w.acked) >= n + 20, scaled(30), 0.05, "writes after")
            for a in three.agents:
                wait_has_all(a, w.acked)
    assert not prober.failures, f"DNS unanswered {len(prober.failures)} of {prober.sent} times"


def test_five_servers_form_and_survive_two_leader_kills(muster):
    five = Cluster(muster, 5).start()
    acked = []
    for round_ in range(2):
        lead = five.leader()
        alive = [a for a in five.alive() if a is not lead]
        lead.send_signal(signal.SIGKILL)
        lead.wait_exit()
        wait_until(lambda: five.leader(alive) is not None, scaled(15), 0.02, "a new leader")
        for i, a in enumerate(alive):
            sid = f"five-{round_}-{i}"
            assert register(a, sid, "10.3.0.1") == 200
            acked.append(sid)
    for a in five.alive():
        wait_has_all(a, acked)


def test_leave_on_terminate_takes_a_stopped_server_out_of_the_cluster(muster):
    cluster = Cluster(muster, 3)
    cluster.configs[2]["leave_on_terminate"] = True
    cluster.agents[2].config = cluster.configs[2]
    cluster.start()
    going = cluster.agents[2]
    assert going.stop(timeout=30) == 0
    rest = cluster.agents[:2]
    cluster.wait_formed(among=rest, voters=2)
    assert f"{cluster.ips[2]}:{cluster.port}" not in rest[0].api_ok("GET", "/v1/status/peers")
    wait_until(lambda: "srv-3" not in {n["Node"] for n in rest[0].api_ok("GET",
               "/v1/catalog/nodes")}, scaled(10), 0.1, "srv-3 gone from the catalog")
    # two voters left, both alive: writes still commit
    assert register(rest[1], "after-terminate", "10.2.0.1") == 200
