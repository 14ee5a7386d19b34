"""The Consul-compatible HTTP API: curl, Debian's python3-consul client, blocking queries and
the error statuses, against a real agent."""

import json
import threading
import time

import consul
import dns.rcode

from harness import LOCALHOST, agent_services, run


def client(agent) -> consul.Consul:
    return consul.Consul(host=LOCALHOST, port=agent.http_port)


def curl(agent, *args: str) -> tuple[int, str]:
    """curl -s -w '\\n%{http_code}' ...; returns (status, body)."""
    out = run(["curl", "-s", "-w", "\n%{http_code}", *args[:-1], f"{agent.http_addr}{args[-1]}"],
              check=False, timeout=20).stdout
    body, _, status = out.rpartition("\n")
    return int(status), body


def test_python_consul_registers_and_reads_back_a_service(muster):
    agent = muster.start(muster.config())
    c = client(agent)
    assert c.agent.service.register("web", service_id="web-1", address="10.0.0.1", port=8080,
                                    tags=["v1", "blue"]) is True
    services = c.agent.services()
    assert services["web-1"]["Service"] == "web"
    assert services["web-1"]["Port"] == 8080
    assert sorted(services["web-1"]["Tags"]) == ["blue", "v1"]
    index, nodes = c.catalog.service("web")
    assert int(index) > 0
    assert [(n["ServiceID"], n["ServiceAddress"], n["ServicePort"]) for n in nodes] == [("web-1", "10.0.0.1", 8080)]
    index, entries = c.health.service("web", passing=True)
    assert [e["Service"]["ID"] for e in entries] == ["web-1"]
    _, by_tag = c.catalog.service("web", tag="blue")
    assert len(by_tag) == 1
    _, none = c.catalog.service("web", tag="red")
    assert none == []
    _, names = c.catalog.services()
    assert sorted(names["web"]) == ["blue", "v1"]
    assert c.catalog.datacenters() == ["dc1"]
    # DNS agrees with the API
    r = agent.query("web.service.internal", "A")
    assert [rd.to_text() for rrset in r.answer for rd in rrset] == ["10.0.0.1"]
    assert c.agent.service.deregister("web-1") is True
    assert c.catalog.service("web")[1] == []
    assert agent.query("web.service.internal", "A").rcode() == dns.rcode.NXDOMAIN


def test_python_consul_catalog_register_nodes_and_health(muster):
    agent = muster.start(muster.config())
    c = client(agent)
    assert c.catalog.register("db-1", "10.0.3.1",
                              service={"Service": "db", "ID": "db-1", "Port": 5432},
                              check={"CheckID": "db-ok", "Name": "db ok", "ServiceID": "db-1",
                                     "Status": "passing"}) is True
    _, nodes = c.catalog.nodes()
    assert "db-1" in [n["Node"] for n in nodes]
    _, node = c.catalog.node("db-1")
    assert node["Node"]["Address"] == "10.0.3.1"
    assert node["Services"]["db-1"]["Port"] == 5432
    _, checks = c.health.checks("db")
    assert [(ch["CheckID"], ch["Status"]) for ch in checks] == [("db-ok", "passing")]
    _, passing = c.health.state("passing")
    assert "db-ok" in [ch["CheckID"] for ch in passing]
    _, node_checks = c.health.node("db-1")
    assert [ch["CheckID"] for ch in node_checks] == ["db-ok"]
    assert c.catalog.deregister("db-1") is True
    assert "db-1" not in [n["Node"] for n in c.catalog.nodes()[1]]


def test_health_service_passing_matches_dns(muster):
    agent = muster.start(muster.config())
    for i, status in enumerate(("passing", "warning", "critical"), start=1):
        agent.api_ok("PUT", "/v1/catalog/register", {
            "Node": f"n{i}", "Address": f"10.0.4.{i}",
            "Service": {"ID": f"s{i}", "Service": "svc", "Port": 1},
            "Check": {"CheckID": f"c{i}", "Name": "c", "ServiceID": f"s{i}", "Status": status}})
    # ?passing follows the DNS rule (issue 3): critical hidden, warning served unless
    # dns_config.only_passing, so DNS and the API never disagree about an instance
    healthy = agent.api_ok("GET", "/v1/health/service/svc?passing")
    all_entries = agent.api_ok("GET", "/v1/health/service/svc")
    assert len(all_entries) == 3
    dns_addrs = sorted(rd.to_text() for rrset in agent.query("svc.service.internal", "A").answer for rd in rrset)
    assert dns_addrs == sorted(e["Node"]["Address"] for e in healthy) == ["10.0.4.1", "10.0.4.2"]


def test_health_service_passing_with_only_passing_drops_warning_too(muster):
    agent = muster.start(muster.config(only_passing=True))
    for i, status in enumerate(("passing", "warning"), start=1):
        agent.api_ok("PUT", "/v1/catalog/register", {
            "Node": f"n{i}", "Address": f"10.0.4.{i}",
            "Service": {"ID": f"s{i}", "Service": "svc", "Port": 1},
            "Check": {"CheckID": f"c{i}", "Name": "c", "ServiceID": f"s{i}", "Status": status}})
    healthy = agent.api_ok("GET", "/v1/health/service/svc?passing")
    assert [e["Node"]["Address"] for e in healthy] == ["10.0.4.1"]
    dns_addrs = [rd.to_text() for rrset in agent.query("svc.service.internal", "A").answer for rd in rrset]
    assert dns_addrs == ["10.0.4.1"]


def test_curl_register_and_read_with_index_header(muster):
    agent = muster.start(muster.config())
    status, body = curl(agent, "-X", "PUT", "--data",
                        json.dumps({"Name": "api", "ID": "api-1", "Port": 9000, "Tags": ["x"]}),
                        "/v1/agent/service/register")
    assert status == 200, body
    reply = agent.api("GET", "/v1/catalog/service/api")
    assert reply.status == 200
    assert int(reply.header("X-Consul-Index")) > 0
    entry = reply.json()[0]
    for field in ("Node", "Address", "Datacenter", "ServiceID", "ServiceName", "ServiceTags",
                  "ServicePort", "ServiceAddress", "CreateIndex", "ModifyIndex"):
        assert field in entry, field
    assert entry["ServiceName"] == "api" and entry["ServiceTags"] == ["x"]
    status, body = curl(agent, "/v1/status/leader")
    assert status == 200 and json.loads(body)


def test_blocking_query_is_woken_by_a_registration(muster):
    agent = muster.start(muster.config())
    reply = agent.api("GET", "/v1/health/service/late")
    index = int(reply.header("X-Consul-Index"))
    result = {}

    def wait():
        t0 = time.monotonic()
        r = agent.api("GET", f"/v1/health/service/late?index={index}&wait=30s", timeout=40)
        result["elapsed"] = time.monotonic() - t0
        result["reply"] = r

    t = threading.Thread(target=wait)
    t.start()
    time.sleep(1.0)
    assert "reply" not in result, "a blocking query returned before anything changed"
    agent.api_ok("PUT", "/v1/agent/service/register", {"Name": "late", "Port": 1})
    t.join(20)
    assert "reply" in result
    assert result["elapsed"] < 10
    r = result["reply"]
    assert r.status == 200 and int(r.header("X-Consul-Index")) > index
    assert [e["Service"]["Service"] for e in r.json()] == ["late"]


def test_blocking_query_returns_at_the_end_of_its_wait(muster):
    agent = muster.start(muster.config())
    index = int(agent.api("GET", "/v1/catalog/services").header("X-Consul-Index"))
    t0 = time.monotonic()
    r = agent.api("GET", f"/v1/catalog/services?index={index}&wait=1s")
    elapsed = time.monotonic() - t0
    assert r.status == 200
    assert 0.9 <= elapsed < 5, elapsed
    assert int(r.header("X-Consul-Index")) == index


def test_python_consul_blocking_read(muster):
    agent = muster.start(muster.config())
    c = client(agent)
    index, _ = c.catalog.service("blk")
    timer = threading.Timer(0.5, lambda: c.agent.service.register("blk", port=7))
    timer.start()
    new_index, nodes = c.catalog.service("blk", index=index, wait="20s")
    timer.join()
    assert int(new_index) > int(index)
    assert [n["ServicePort"] for n in nodes] == [7]


def test_bad_requests_get_consul_statuses(muster):
    agent = muster.start(muster.config())
    bad_json = agent.api("PUT", "/v1/agent/service/register", raw=b"{not json")
    assert bad_json.status == 400
    wrong_type = agent.api("PUT", "/v1/agent/service/register", {"Name": "x", "Port": "http"})
    assert wrong_type.status == 400 and "port" in wrong_type.text.lower()
    missing = agent.api("PUT", "/v1/catalog/register", {"Address": "10.0.0.1"})
    assert missing.status == 400 and "node" in missing.text.lower()
    assert agent.api("GET", "/v1/no/such/path").status == 404
    assert agent.api("PUT", "/v1/agent/service/deregister/nope").status == 404
    big = agent.api("PUT", "/v1/agent/service/register", raw=b" " * (1024 * 1024 + 10))
    assert big.status == 413
    # nothing above changed the catalog (a server lists itself as service "consul")
    assert agent_services(agent) == {}


def test_agent_self_and_members(muster):
    cfg = muster.config()
    cfg["node_name"] = "agent-under-test"
    agent = muster.start(cfg)
    me = agent.api_ok("GET", "/v1/agent/self")
    assert me["Config"]["NodeName"] == "agent-under-test"
    assert me["Config"]["Datacenter"] == "dc1"
    # the truth about the agent's role: a server says so, any other agent is a client ("node")
    server = bool(cfg.get("server", False))
    assert me["Config"]["Server"] is server
    assert me["Member"]["Tags"]["role"] == ("consul" if server else "node")
    members = agent.api_ok("GET", "/v1/agent/members")
    assert [m["Name"] for m in members] == ["agent-under-test"]
    assert members[0]["Tags"]["role"] == ("consul" if server else "node")
    assert agent.api_ok("GET", "/v1/status/peers") is not None
