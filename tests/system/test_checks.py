"""Health checks (issue 4) decide what DNS returns: HTTP, TCP, TTL and alias checks run by the
agent against real peers started here, thresholds, maintenance, deregister_critical_service_after
and restarts. Every test watches both DNS (<svc>.service.internal) and the HTTP API change.
Script checks are in test_checks_script.py."""

import time

import pytest

from checks_fixtures import (SETTLE, SwitchableHttpServer, TcpListener, a_records, agent_checks,
                             check_output, check_status, health_check_status, health_instances,
                             srv_ports, wait_dns, wait_status)
from harness import free_port, run_muster, scaled, wait_until

NODE = "checks-node"
WEB = "web.service.internal"
# web-1 carries the check under test; web-2 has none and is always served, so DNS answers
# show exactly which instance a check removed.
WEB1_ADDR, WEB2_ADDR = "10.20.0.1", "10.20.0.2"


def web_services(*checks, extra=()):
    return [{"id": "web-1", "name": "web", "address": WEB1_ADDR, "port": 8081,
             "checks": list(checks)},
            {"id": "web-2", "name": "web", "address": WEB2_ADDR, "port": 8082},
            *extra]


def start_agent(muster, *, services=(), checks=(), only_passing=False, **top):
    cfg = muster.config(only_passing=only_passing)
    cfg["node_name"] = NODE
    if services:
        cfg["services"] = list(services)
    if checks:
        cfg["checks"] = list(checks)
    cfg.update(top)
    return muster.start(cfg)


@pytest.fixture
def http_server():
    servers = []

    def make(mode=200, cert=None):
        s = SwitchableHttpServer(mode, cert)
        servers.append(s)
        return s
    yield make
    for s in servers:
        s.stop()


@pytest.fixture
def listener():
    made = []

    def make():
        lst = TcpListener()
        made.append(lst)
        return lst
    yield make
    for lst in made:
        lst.close()


def agent_health(agent, service_id):
    """GET /v1/agent/health/service/id/<id>?format=text: (status code, body)."""
    r = agent.api("GET", f"/v1/agent/health/service/id/{service_id}?format=text")
    return r.status, r.text.strip()


# ------------------------------------------------------------------------------------------
# http


def test_http_check_follows_the_server_200_429_500_and_hang(muster, http_server):
    server = http_server(200)
    agent = start_agent(muster, services=web_services(
        {"id": "web-1-http", "name": "web http", "http": server.url, "interval": "200ms",
         "timeout": "500ms"}))
    # 200: passing, both instances served
    wait_status(agent, "web-1-http", "passing")
    wait_dns(agent, WEB, [WEB1_ADDR, WEB2_ADDR])
    assert srv_ports(agent, WEB) == [8081, 8082]
    assert health_instances(agent, "web", passing=True) == ["web-1", "web-2"]
    assert agent_health(agent, "web-1") == (200, "passing")
    out = check_output(agent, "web-1-http")
    assert "200" in out and "answer 200 from the test server" in out, out
    # 429: warning, still served (dns_config.only_passing is off)
    server.set(429)
    wait_status(agent, "web-1-http", "warning")
    assert a_records(agent, WEB) == [WEB1_ADDR, WEB2_ADDR]
    assert health_check_status(agent, "web", "web-1-http") == "warning"
    assert agent_health(agent, "web-1") == (429, "warning")
    # 500: critical, gone from DNS and from ?passing
    server.set(500)
    wait_status(agent, "web-1-http", "critical")
    wait_dns(agent, WEB, [WEB2_ADDR])
    assert srv_ports(agent, WEB) == [8082]
    assert health_instances(agent, "web", passing=True) == ["web-2"]
    assert health_instances(agent, "web") == ["web-1", "web-2"]
    assert agent_health(agent, "web-1") == (503, "critical")
    assert "500" in check_output(agent, "web-1-http")
    # back to 200
    server.set(200)
    wait_status(agent, "web-1-http", "passing")
    wait_dns(agent, WEB, [WEB1_ADDR, WEB2_ADDR])
    # no answer within the timeout: critical, and the output says it timed out
    server.set("hang")
    c = wait_status(agent, "web-1-http", "critical")
    assert "time" in c["Output"].lower() and "out" in c["Output"].lower(), c["Output"]
    wait_dns(agent, WEB, [WEB2_ADDR])
    assert server.served("hang") >= 1
    server.set(200)
    wait_status(agent, "web-1-http", "passing")
    wait_dns(agent, WEB, [WEB1_ADDR, WEB2_ADDR])


def test_http_warning_is_not_served_with_only_passing(muster, http_server):
    server = http_server(200)
    agent = start_agent(muster, only_passing=True, services=web_services(
        {"id": "web-1-http", "name": "web http", "http": server.url, "interval": "200ms",
         "timeout": "1s"}))
    wait_status(agent, "web-1-http", "passing")
    wait_dns(agent, WEB, [WEB1_ADDR, WEB2_ADDR])
    server.set(429)
    wait_status(agent, "web-1-http", "warning")
    wait_dns(agent, WEB, [WEB2_ADDR])
    assert health_instances(agent, "web", passing=True) == ["web-2"]
    server.set(200)
    wait_dns(agent, WEB, [WEB1_ADDR, WEB2_ADDR])


def test_https_check_verifies_the_certificate_unless_told_not_to(muster, http_server, ca):
    # The agent trusts the test CA (tls.ca_file). The server's certificate names checks.test
    # only, and the check URL says 127.0.0.1: verification fails unless tls_server_name names
    # checks.test or tls_skip_verify is set.
    cert = ca.issue("checks.test", ["DNS:checks.test"])
    server = http_server(200, cert=cert)
    common = {"http": server.url, "interval": "200ms", "timeout": "1s"}
    services = [
        # starts passing: only a run can make it critical
        {"id": "strict", "name": "strict", "address": "10.21.0.1", "port": 1,
         "check": {"id": "strict-https", "name": "https", "status": "passing", **common}},
        {"id": "named", "name": "named", "address": "10.21.0.2", "port": 1,
         "check": {"id": "named-https", "name": "https", "tls_server_name": "checks.test", **common}},
        {"id": "skip", "name": "skip", "address": "10.21.0.3", "port": 1,
         "check": {"id": "skip-https", "name": "https", "tls_skip_verify": True, **common}},
    ]
    agent = start_agent(muster, services=services)
    wait_status(agent, "named-https", "passing")
    wait_status(agent, "skip-https", "passing")
    assert server.served(200) >= 2
    strict = wait_status(agent, "strict-https", "critical")
    assert strict["Output"], "a failed TLS verification must say why"
    wait_dns(agent, "named.service.internal", ["10.21.0.2"])
    wait_dns(agent, "skip.service.internal", ["10.21.0.3"])
    assert a_records(agent, "strict.service.internal") == []
    # the skip-verify check still follows the answers
    server.set(500)
    wait_status(agent, "skip-https", "critical")
    wait_dns(agent, "skip.service.internal", [])


# ------------------------------------------------------------------------------------------
# tcp


def test_tcp_check_follows_the_listener(muster, listener):
    lst = listener().open()
    agent = start_agent(muster, services=web_services(
        {"id": "web-1-tcp", "name": "web tcp", "tcp": lst.address, "interval": "200ms",
         "timeout": "1s"}))
    wait_status(agent, "web-1-tcp", "passing")
    wait_dns(agent, WEB, [WEB1_ADDR, WEB2_ADDR])
    assert lst.accepted >= 1
    lst.close()
    c = wait_status(agent, "web-1-tcp", "critical")
    assert c["Output"], c
    wait_dns(agent, WEB, [WEB2_ADDR])
    assert health_instances(agent, "web", passing=True) == ["web-2"]
    lst.open()
    wait_status(agent, "web-1-tcp", "passing")
    wait_dns(agent, WEB, [WEB1_ADDR, WEB2_ADDR])


# ------------------------------------------------------------------------------------------
# ttl


def test_ttl_check_set_through_the_api_and_expiring(muster):
    agent = start_agent(muster, services=web_services())
    agent.api_ok("PUT", "/v1/agent/check/register",
                 {"ID": "web-1-ttl", "Name": "web ttl", "ServiceID": "web-1", "TTL": "1s"})
    # a new TTL check starts critical (Consul's default status)
    wait_status(agent, "web-1-ttl", "critical")
    wait_dns(agent, WEB, [WEB2_ADDR])
    agent.api_ok("PUT", "/v1/agent/check/pass/web-1-ttl?note=all%20good")
    # the write is applied before the reply: no waiting needed
    assert check_status(agent, "web-1-ttl") == "passing"
    assert check_output(agent, "web-1-ttl") == "all good"
    assert a_records(agent, WEB) == [WEB1_ADDR, WEB2_ADDR]
    agent.api_ok("PUT", "/v1/agent/check/warn/web-1-ttl?note=slow")
    assert check_status(agent, "web-1-ttl") == "warning"
    assert agent_health(agent, "web-1") == (429, "warning")
    assert a_records(agent, WEB) == [WEB1_ADDR, WEB2_ADDR]
    agent.api_ok("PUT", "/v1/agent/check/fail/web-1-ttl?note=down")
    assert check_status(agent, "web-1-ttl") == "critical"
    assert check_output(agent, "web-1-ttl") == "down"
    assert a_records(agent, WEB) == [WEB2_ADDR]
    agent.api_ok("PUT", "/v1/agent/check/update/web-1-ttl", {"Status": "passing", "Output": "via update"})
    assert check_status(agent, "web-1-ttl") == "passing"
    assert check_output(agent, "web-1-ttl") == "via update"
    assert a_records(agent, WEB) == [WEB1_ADDR, WEB2_ADDR]
    # not refreshed: critical "TTL expired" after about 1s, and gone from DNS
    t0 = time.monotonic()
    c = wait_status(agent, "web-1-ttl", "critical")
    assert time.monotonic() - t0 >= 0.5, "expired long before its TTL"
    assert "TTL expired" in c["Output"], c
    wait_dns(agent, WEB, [WEB2_ADDR])
    # refreshing in time keeps it passing past several TTLs
    deadline = time.monotonic() + 2.5
    agent.api_ok("PUT", "/v1/agent/check/pass/web-1-ttl")
    while time.monotonic() < deadline:
        time.sleep(0.3)
        agent.api_ok("PUT", "/v1/agent/check/pass/web-1-ttl")
        assert check_status(agent, "web-1-ttl") == "passing"
    # bad update bodies and unknown IDs
    assert agent.api("PUT", "/v1/agent/check/update/web-1-ttl", {"Status": "bogus"}).status == 400
    r = agent.api("PUT", "/v1/agent/check/pass/no-such-check")
    assert r.status == 404, (r.status, r.text)
    # deregistering the check brings the instance back for good (no check left on it)
    agent.api_ok("PUT", "/v1/agent/check/fail/web-1-ttl")
    wait_dns(agent, WEB, [WEB2_ADDR])
    agent.api_ok("PUT", "/v1/agent/check/deregister/web-1-ttl")
    assert "web-1-ttl" not in agent_checks(agent)
    wait_dns(agent, WEB, [WEB1_ADDR, WEB2_ADDR])
    assert agent.api("PUT", "/v1/agent/check/deregister/web-1-ttl").status == 404
    assert agent.api("PUT", "/v1/agent/check/pass/web-1-ttl").status == 404


def test_ttl_check_set_with_the_cli(muster):
    agent = start_agent(muster, services=web_services(
        {"id": "web-1-ttl", "name": "web ttl", "ttl": "30s"}))
    env = {"MUSTER_HTTP_ADDR": agent.http_addr}
    wait_dns(agent, WEB, [WEB2_ADDR])
    r = run_muster(["check", "pass", "web-1-ttl", "--note", "x"], env=env)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert check_status(agent, "web-1-ttl") == "passing"
    assert check_output(agent, "web-1-ttl") == "x"
    assert a_records(agent, WEB) == [WEB1_ADDR, WEB2_ADDR]
    r = run_muster(["check", "warn", "web-1-ttl", "--note", "two words & more"], env=env)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert check_status(agent, "web-1-ttl") == "warning"
    assert check_output(agent, "web-1-ttl") == "two words & more"
    r = run_muster(["check", "fail", "web-1-ttl"], env=env)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert check_status(agent, "web-1-ttl") == "critical"
    assert a_records(agent, WEB) == [WEB2_ADDR]
    r = run_muster(["check", "pass", "web-1-ttl"], env=env)
    assert r.returncode == 0
    assert a_records(agent, WEB) == [WEB1_ADDR, WEB2_ADDR]
    # unknown check: exit status 1 and the agent's message, nothing changed
    r = run_muster(["check", "fail", "no-such-check", "--note", "x"], env=env)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "no-such-check" in r.stderr, r.stderr
    assert check_status(agent, "web-1-ttl") == "passing"
    # not a TTL check: refused
    agent.api_ok("PUT", "/v1/agent/check/register",
                 {"ID": "tcp-x", "Name": "tcp", "TCP": f"127.0.0.1:{free_port()}", "Interval": "10s"})
    r = run_muster(["check", "pass", "tcp-x"], env=env)
    assert r.returncode != 0, (r.stdout, r.stderr)


def test_ttl_state_survives_an_agent_restart(muster):
    ttl = scaled(4)
    agent = start_agent(muster, services=web_services())
    agent.api_ok("PUT", "/v1/agent/check/register",
                 {"ID": "web-1-ttl", "Name": "web ttl", "ServiceID": "web-1", "TTL": f"{ttl}s"})
    agent.api_ok("PUT", "/v1/agent/check/pass/web-1-ttl?note=before%20restart")
    passed_at = time.monotonic()
    assert a_records(agent, WEB) == [WEB1_ADDR, WEB2_ADDR]
    data_dir = agent.config["data_dir"]
    assert agent.stop() == 0
    again = muster.start(agent.config)
    assert again.config["data_dir"] == data_dir
    # right after the restart: still passing with its note, and served
    c = agent_checks(again).get("web-1-ttl")
    assert time.monotonic() - passed_at < ttl, "the restart took longer than the TTL"
    assert c is not None, agent_checks(again)
    assert (c["Status"], c["Output"]) == ("passing", "before restart")
    assert a_records(again, WEB) == [WEB1_ADDR, WEB2_ADDR]
    # not refreshed: it expires when the TTL that ran before the restart runs out
    c = wait_status(again, "web-1-ttl", "critical", timeout=ttl + SETTLE)
    assert time.monotonic() - passed_at >= ttl * 0.8, "expired before its TTL"
    assert "TTL expired" in c["Output"], c
    wait_dns(again, WEB, [WEB2_ADDR])
    # and it still takes updates
    again.api_ok("PUT", "/v1/agent/check/pass/web-1-ttl")
    assert a_records(again, WEB) == [WEB1_ADDR, WEB2_ADDR]


# ------------------------------------------------------------------------------------------
# alias


def test_alias_check_mirrors_another_instance(muster):
    services = web_services({"id": "web-1-ttl", "name": "web ttl", "ttl": "60s"}, extra=[
        {"id": "proxy-1", "name": "proxy", "address": "10.22.0.1", "port": 9000,
         "check": {"id": "proxy-1-alias", "name": "alias of web-1", "alias_service": "web-1"}}])
    agent = start_agent(muster, services=services)
    # web-1 starts critical: so does its alias
    wait_status(agent, "proxy-1-alias", "critical")
    wait_dns(agent, "proxy.service.internal", [])
    agent.api_ok("PUT", "/v1/agent/check/pass/web-1-ttl")
    wait_status(agent, "proxy-1-alias", "passing")
    wait_dns(agent, "proxy.service.internal", ["10.22.0.1"])
    agent.api_ok("PUT", "/v1/agent/check/warn/web-1-ttl?note=slow")
    c = wait_status(agent, "proxy-1-alias", "warning")
    assert c["Output"], c
    assert a_records(agent, "proxy.service.internal") == ["10.22.0.1"]
    agent.api_ok("PUT", "/v1/agent/check/fail/web-1-ttl")
    wait_status(agent, "proxy-1-alias", "critical")
    wait_dns(agent, "proxy.service.internal", [])
    assert health_instances(agent, "proxy", passing=True) == []
    agent.api_ok("PUT", "/v1/agent/check/pass/web-1-ttl")
    wait_dns(agent, "proxy.service.internal", ["10.22.0.1"])
    # the aliased service going away turns the alias critical
    agent.api_ok("PUT", "/v1/agent/service/deregister/web-1")
    c = wait_status(agent, "proxy-1-alias", "critical")
    assert "web-1" in c["Output"], c
    wait_dns(agent, "proxy.service.internal", [])


# ------------------------------------------------------------------------------------------
# thresholds


def test_failures_before_critical_keeps_the_instance_through_the_first_failures(muster, http_server):
    server = http_server(200)
    agent = start_agent(muster, services=web_services(
        {"id": "web-1-http", "name": "web http", "http": server.url, "interval": "500ms",
         "timeout": "400ms", "failures_before_critical": 3}))
    wait_status(agent, "web-1-http", "passing")
    wait_dns(agent, WEB, [WEB1_ADDR, WEB2_ADDR])
    server.set(500)
    # after the second failing answer (and before the third), still passing and served
    wait_until(lambda: server.served(500) >= 2, scaled(SETTLE), 0.01, "two failing answers")
    time.sleep(0.1)  # the result reaches the catalog
    status, addrs = check_status(agent, "web-1-http"), a_records(agent, WEB)
    failures = server.served(500)
    assert failures == 2, "the third failure came too soon to tell (interval 500ms)"
    assert status == "passing", "critical before failures_before_critical failures"
    assert addrs == [WEB1_ADDR, WEB2_ADDR]
    # the third consecutive failure: critical
    wait_status(agent, "web-1-http", "critical")
    assert server.served(500) >= 3
    wait_dns(agent, WEB, [WEB2_ADDR])
    # one success resets it
    server.set(200)
    wait_status(agent, "web-1-http", "passing")
    wait_dns(agent, WEB, [WEB1_ADDR, WEB2_ADDR])


# ------------------------------------------------------------------------------------------
# maintenance


def test_service_maintenance_hides_the_instance_and_reports_503(muster):
    agent = start_agent(muster, services=web_services())
    assert a_records(agent, WEB) == [WEB1_ADDR, WEB2_ADDR]
    assert agent_health(agent, "web-1") == (200, "passing")
    agent.api_ok("PUT", "/v1/agent/service/maintenance/web-1?enable=true&reason=deploy")
    wait_dns(agent, WEB, [WEB2_ADDR])
    assert agent_health(agent, "web-1") == (503, "maintenance")
    r = agent.api("GET", "/v1/agent/health/service/id/web-1")
    assert r.status == 503 and r.json()["AggregatedStatus"] == "maintenance", r.text
    maint = [c for c in agent_checks(agent).values() if c["ServiceID"] == "web-1"]
    assert [(c["Status"], c["Notes"]) for c in maint] == [("critical", "deploy")], maint
    assert health_instances(agent, "web", passing=True) == ["web-2"]
    assert agent_health(agent, "web-2") == (200, "passing")
    agent.api_ok("PUT", "/v1/agent/service/maintenance/web-1?enable=false")
    wait_dns(agent, WEB, [WEB1_ADDR, WEB2_ADDR])
    assert agent_health(agent, "web-1") == (200, "passing")
    assert agent_checks(agent) == {}


def test_node_maintenance_hides_every_instance_of_the_node(muster):
    agent = start_agent(muster, services=web_services(extra=[
        {"id": "db-1", "name": "db", "address": "10.23.0.1", "port": 5432}]))
    assert a_records(agent, "db.service.internal") == ["10.23.0.1"]
    agent.api_ok("PUT", "/v1/agent/maintenance?enable=true&reason=kernel%20upgrade")
    wait_dns(agent, WEB, [])
    wait_dns(agent, "db.service.internal", [])
    for sid in ("web-1", "web-2", "db-1"):
        assert agent_health(agent, sid) == (503, "maintenance"), sid
    r = agent.api("GET", "/v1/agent/health/service/name/web")
    assert r.status == 503, r.text
    assert [e["AggregatedStatus"] for e in r.json()] == ["maintenance", "maintenance"]
    node_checks = [c for c in agent_checks(agent).values() if not c["ServiceID"]]
    assert [(c["Status"], c["Notes"]) for c in node_checks] == [("critical", "kernel upgrade")]
    assert health_instances(agent, "web", passing=True) == []
    agent.api_ok("PUT", "/v1/agent/maintenance?enable=false")
    wait_dns(agent, WEB, [WEB1_ADDR, WEB2_ADDR])
    wait_dns(agent, "db.service.internal", ["10.23.0.1"])
    assert agent_health(agent, "db-1") == (200, "passing")
    assert agent.api("GET", "/v1/agent/health/service/name/web").status == 200


# ------------------------------------------------------------------------------------------
# deregister_critical_service_after


def test_deregister_critical_service_after_removes_the_service(muster, listener):
    dead = TcpListener()  # never opened: connection refused
    lst = listener().open()
    agent = start_agent(muster, services=web_services())
    agent.api_ok("PUT", "/v1/agent/service/register", {
        "ID": "flaky-1", "Name": "flaky", "Address": "10.24.0.1", "Port": 1,
        "Check": {"CheckID": "flaky-tcp", "Name": "tcp", "TCP": dead.address, "Interval": "200ms",
                  "Timeout": "500ms", "DeregisterCriticalServiceAfter": "2s"}})
    agent.api_ok("PUT", "/v1/agent/service/register", {
        "ID": "steady-1", "Name": "steady", "Address": "10.24.0.2", "Port": 1,
        "Check": {"CheckID": "steady-tcp", "Name": "tcp", "TCP": lst.address, "Interval": "200ms",
                  "Timeout": "500ms", "DeregisterCriticalServiceAfter": "2s"}})
    wait_status(agent, "steady-tcp", "passing")
    assert "flaky-1" in agent.api_ok("GET", "/v1/agent/services")
    t0 = time.monotonic()
    wait_until(lambda: "flaky-1" not in agent.api_ok("GET", "/v1/agent/services"),
               scaled(2 + SETTLE), 0.05, "flaky-1 reaped")
    assert time.monotonic() - t0 >= 1.0, "reaped long before deregister_critical_service_after"
    assert agent.api_ok("GET", "/v1/catalog/service/flaky") == []
    assert "flaky-tcp" not in agent_checks(agent)
    assert a_records(agent, "flaky.service.internal") == []
    # the healthy one (same setting) stays, and so do the others
    assert a_records(agent, "steady.service.internal") == ["10.24.0.2"]
    assert a_records(agent, WEB) == [WEB1_ADDR, WEB2_ADDR]
    assert check_status(agent, "steady-tcp") == "passing"


# ------------------------------------------------------------------------------------------
# restarts


def test_checks_registered_through_the_api_survive_a_restart_and_keep_running(muster, http_server,
                                                                             listener):
    server = http_server(200)
    lst = listener().open()
    agent = start_agent(muster, services=web_services())
    agent.api_ok("PUT", "/v1/agent/service/register", {
        "ID": "api-1", "Name": "api", "Address": "10.25.0.1", "Port": 80,
        "Checks": [{"CheckID": "api-1-http", "Name": "http", "HTTP": server.url,
                    "Interval": "200ms", "Timeout": "1s"}]})
    agent.api_ok("PUT", "/v1/agent/check/register",
                 {"ID": "web-1-tcp", "Name": "tcp", "ServiceID": "web-1", "TCP": lst.address,
                  "Interval": "200ms", "Timeout": "1s"})
    wait_status(agent, "api-1-http", "passing")
    wait_status(agent, "web-1-tcp", "passing")
    wait_dns(agent, "api.service.internal", ["10.25.0.1"])
    assert agent.stop() == 0
    again = muster.start(agent.config)
    checks = agent_checks(again)
    assert {"api-1-http", "web-1-tcp"} <= set(checks), checks
    assert checks["web-1-tcp"]["ServiceID"] == "web-1"
    assert "api-1" in again.api_ok("GET", "/v1/agent/services")
    # they still run: flip the peers and see the status follow, in DNS too
    server.set(500)
    lst.close()
    wait_status(again, "api-1-http", "critical")
    wait_status(again, "web-1-tcp", "critical")
    wait_dns(again, "api.service.internal", [])
    wait_dns(again, WEB, [WEB2_ADDR])
    server.set(200)
    lst.open()
    wait_status(again, "api-1-http", "passing")
    wait_dns(again, "api.service.internal", ["10.25.0.1"])
    wait_dns(again, WEB, [WEB1_ADDR, WEB2_ADDR])
    # a deregistered one stays deregistered across the next restart
    again.api_ok("PUT", "/v1/agent/check/deregister/web-1-tcp")
    assert again.stop() == 0
    third = muster.start(agent.config)
    checks = agent_checks(third)
    assert "web-1-tcp" not in checks and "api-1-http" in checks, checks
    wait_status(third, "api-1-http", "passing")
