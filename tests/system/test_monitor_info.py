"""`muster monitor` and GET /v1/agent/monitor stream the agent's log as it is written, at a level
of their own (more verbose than the agent's too); `muster info` prints /v1/agent/self's Stats as
`consul info` does."""

import http.client
import os
import signal
import subprocess
import time

import pytest

from harness import closed_port, muster_bin, run_muster, scaled, wait_until
from test_client_agents import Clients, wait_attached
from test_https_api import Pki, https_config
from test_raft_cluster import Cluster

multi_agent = pytest.mark.skipif(os.environ.get("MUSTER_TEST_TIMEOUT_SCALE", "1") != "1",
                                 reason="multi-agent tests run once, in the optimized build")

SERVICE = {"ID": "web-1", "Name": "web", "Port": 80}


class Monitor:
    """`muster monitor ARGS` against an agent, its stdout and stderr in files."""

    def __init__(self, agent, tmp_path, *args: str, env: dict | None = None):
        self.out_path = tmp_path / f"monitor-{time.monotonic_ns()}.out"
        self.err_path = self.out_path.with_suffix(".err")
        env = dict(os.environ, **(env or {"MUSTER_HTTP_ADDR": agent.http_addr}))
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen([muster_bin(), "monitor", *args], stdout=out, stderr=err,
                                         stdin=subprocess.DEVNULL, env=env,
                                         start_new_session=True)

    def out(self) -> str:
        return self.out_path.read_text(errors="replace")

    def err(self) -> str:
        return self.err_path.read_text(errors="replace")

    def wait_out(self, needle: str, timeout: float = 5) -> None:
        wait_until(lambda: needle in self.out(), scaled(timeout), 0.02,
                   f"{needle!r} from the monitor (stdout: {self.out()!r}, stderr: {self.err()!r})")

    def wait_exit(self, timeout: float = 5) -> int:
        return self.proc.wait(timeout=scaled(timeout))

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)


@pytest.fixture
def monitors():
    started: list[Monitor] = []
    yield started
    for m in started:
        m.kill()


def info_agent(muster):
    cfg = muster.config()
    cfg["log_level"] = "info"
    return muster.start(cfg)


def open_stream(agent, query: str = "") -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    conn = http.client.HTTPConnection("127.0.0.1", agent.http_port, timeout=scaled(5))
    conn.request("GET", "/v1/agent/monitor" + query)
    return conn, conn.getresponse()


def test_a_debug_monitor_sees_lines_the_info_agent_does_not_log(muster, tmp_path, monitors):
    agent = info_agent(muster)
    monitor = Monitor(agent, tmp_path, "--log-level", "debug")
    monitors.append(monitor)
    monitor.wait_out("monitor started")  # the agent's own debug line, once attached
    started = time.monotonic()
    agent.api_ok("PUT", "/v1/agent/service/register", SERVICE)
    monitor.wait_out("path=/v1/agent/service/register", timeout=2)
    assert time.monotonic() - started < scaled(2)
    assert " debug api: request method=PUT" in monitor.out()
    # the agent's own log stays at info
    assert "/v1/agent/service/register" not in agent.log_text()
    assert " debug " not in agent.log_text()
    monitor.proc.send_signal(signal.SIGINT)
    assert monitor.wait_exit() == 0


def test_the_monitor_exits_1_when_the_agent_goes_away(muster, tmp_path, monitors):
    agent = info_agent(muster)
    monitor = Monitor(agent, tmp_path, "-log-level=debug")  # Consul's single-dash spelling
    monitors.append(monitor)
    monitor.wait_out("monitor started")
    agent.kill()
    assert monitor.wait_exit() == 1
    assert "monitor stream" in monitor.err(), monitor.err()
    # SIGTERM ends a monitor with 0 too
    agent2 = info_agent(muster)
    monitor2 = Monitor(agent2, tmp_path, "--log-level", "debug")
    monitors.append(monitor2)
    monitor2.wait_out("monitor started")
    monitor2.proc.send_signal(signal.SIGTERM)
    assert monitor2.wait_exit() == 0
    assert monitor2.err() == ""
    # an agent that stops cleanly ends its monitors' streams: exit 1 too
    monitor3 = Monitor(agent2, tmp_path, "--log-level", "debug")
    monitors.append(monitor3)
    monitor3.wait_out("monitor started")
    assert agent2.stop() == 0
    assert monitor3.wait_exit() == 1
    assert "monitor stream" in monitor3.err(), monitor3.err()
    # no agent at all
    res = run_muster(["monitor"], timeout=10,
                     env={"MUSTER_HTTP_ADDR": f"http://127.0.0.1:{closed_port()}"})
    assert res.returncode == 1 and "cannot reach the agent" in res.stderr, res.stderr


def test_the_monitor_over_https_with_consul_names(muster, tmp_path, monitors):
    pki = Pki(tmp_path / "pki")
    cfg, port = https_config(muster, pki)
    cfg["log_level"] = "info"
    agent = muster.start(cfg)
    env = {"MUSTER_HTTP_ADDR": "", "MUSTER_CACERT": "",
           "CONSUL_HTTP_ADDR": f"https://127.0.0.1:{port}", "CONSUL_CACERT": str(pki.ca)}
    monitor = Monitor(agent, tmp_path, "-log-level", "debug", env=env)
    monitors.append(monitor)
    monitor.wait_out("monitor started")
    agent.api_ok("GET", "/v1/catalog/nodes")
    monitor.wait_out("path=/v1/catalog/nodes", timeout=2)
    monitor.proc.send_signal(signal.SIGINT)
    assert monitor.wait_exit() == 0


def test_a_bad_level_is_a_400_and_exit_1(muster):
    agent = info_agent(muster)
    reply = agent.api("GET", "/v1/agent/monitor?loglevel=loud")
    assert reply.status == 400
    assert "Unknown log level: loud" in reply.text
    res = run_muster(["monitor", "--log-level", "loud"], timeout=10,
                     env={"MUSTER_HTTP_ADDR": agent.http_addr})
    assert res.returncode == 1
    assert "HTTP 400" in res.stderr and "Unknown log level: loud" in res.stderr, res.stderr
    usage = run_muster(["monitor", "--bogus"], timeout=10, env={"MUSTER_HTTP_ADDR": agent.http_addr})
    assert usage.returncode == 2 and "usage: muster monitor" in usage.stderr


def test_the_endpoint_streams_and_drops_a_client_that_goes(muster):
    agent = info_agent(muster)
    conn, resp = open_stream(agent, "?loglevel=debug")
    assert resp.status == 200
    assert resp.getheader("Transfer-Encoding") == "chunked"
    agent.api_ok("GET", "/v1/catalog/nodes")
    seen = b""
    deadline = time.monotonic() + scaled(5)
    while b"path=/v1/catalog/nodes" not in seen and time.monotonic() < deadline:
        seen += resp.readline()
    assert b"path=/v1/catalog/nodes" in seen
    # JSON lines, as Consul's ?logjson
    conn_json, resp_json = open_stream(agent, "?loglevel=debug&logjson")
    agent.api_ok("GET", "/v1/catalog/services")
    line = b""
    deadline = time.monotonic() + scaled(5)
    while b"/v1/catalog/services" not in line and time.monotonic() < deadline:
        line = resp_json.readline()
    assert line.startswith(b'{"@level":"debug","@message":"request"'), line
    conn_json.close()
    conn.close()
    # 16 monitors at most; the two closed ones no longer count
    streams = []
    try:
        def sixteen_open():
            while len(streams) < 16:
                c, r = open_stream(agent)
                if r.status != 200:
                    c.close()
                    return False
                streams.append((c, r))
            return True
        wait_until(sixteen_open, scaled(5), 0.05, "16 monitors streaming")
        c, r = open_stream(agent)
        assert r.status == 429, r.status
        assert b"too many monitors" in r.read()
        c.close()
        streams.pop()[0].close()
        wait_until(lambda: open_stream(agent)[1].status == 200, scaled(5), 0.05,
                   "a closed monitor's place free again")
    finally:
        for c, _ in streams:
            c.close()
    assert agent.api("GET", "/v1/agent/self").status == 200


def info_sections(text: str) -> dict:
    sections, current = {}, None
    for line in text.splitlines():
        if line.startswith("\t"):
            key, _, value = line[1:].partition(" = ")
            sections[current][key] = value
        else:
            assert line.endswith(":"), line
            current = line[:-1]
            sections[current] = {}
    return sections


def test_info_prints_the_stats_sections(muster):
    agent = info_agent(muster)
    agent.api_ok("PUT", "/v1/agent/service/register", SERVICE)
    res = run_muster(["info"], env={"MUSTER_HTTP_ADDR": agent.http_addr})
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("agent:\n\t")
    s = info_sections(res.stdout)
    assert list(s) == sorted(s)
    assert all(list(v) == sorted(v) for v in s.values())
    self_ = agent.api_ok("GET", "/v1/agent/self")
    server = os.environ.get("MUSTER_TEST_SERVER") == "1"
    assert s["agent"]["node_name"] == self_["Config"]["NodeName"]
    assert s["agent"]["role"] == ("server" if server else "standalone")
    assert s["agent"]["datacenter"] == "dc1"
    assert s["agent"]["services"] == ("2" if server else "1")  # a server's own "consul" too
    assert s["catalog"]["services"] == ("2" if server else "1")
    assert s["catalog"]["nodes"] == "1"
    assert int(s["catalog"]["index"]) > 0
    assert s["consul"]["leader"] == "true"
    assert {"entries", "capacity", "hits", "misses", "hit_ratio"} <= set(s["cache"])
    agent.query("example.invalid", "A")
    agent.query("example.invalid", "A")
    s = info_sections(run_muster(["info"], env={"MUSTER_HTTP_ADDR": agent.http_addr}).stdout)
    assert int(s["cache"]["hits"]) + int(s["cache"]["misses"]) >= 1
    assert set(s) == {k for k, v in self_["Stats"].items() if v}  # every section, none invented


@multi_agent
def test_info_on_a_server_and_a_client(muster):
    cluster = Cluster(muster, 1).start()
    (server,) = cluster.agents
    clients = Clients(muster, cluster, 1).start()
    (client,) = clients.agents
    wait_attached(client)
    s = info_sections(run_muster(["info"], env={"MUSTER_HTTP_ADDR": server.http_addr}).stdout)
    assert s["agent"]["role"] == "server"
    assert s["agent"]["node_name"] == "srv-1"
    assert s["raft"]["state"] == "Leader"
    assert int(s["raft"]["term"]) >= 1
    assert int(s["raft"]["commit_index"]) >= int(s["raft"]["applied_index"]) > 0
    assert s["raft"]["num_peers"] == "0"
    assert s["consul"]["leader"] == "true"
    assert s["consul"]["leader_name"] == "srv-1"
    c = info_sections(run_muster(["info"], env={"MUSTER_HTTP_ADDR": client.http_addr}).stdout)
    assert c["agent"]["role"] == "client"
    assert c["agent"]["node_name"] == "cli-1"
    assert "raft" not in c
    assert c["consul"]["leader"] == "false"
    assert c["consul"]["leader_addr"] == s["consul"]["leader_addr"] != ""
    assert c["feed"]["server"] != ""
    wait_until(lambda: info_sections(run_muster(
        ["info"], env={"MUSTER_HTTP_ADDR": client.http_addr}).stdout)["catalog"]["nodes"] == "2",
        scaled(5), 0.1, "the client's replica holding both nodes")
