"""Services and checks from config files: Consul's JSON service definitions load unchanged,
are registered on the agent's node at start, and follow the config on SIGHUP."""

import dns.rcode

from harness import agent_services, wait_until


def addresses(agent, name):
    r = agent.query(name, "A")
    return sorted(rd.to_text() for rrset in r.answer for rd in rrset)


def test_consul_service_definitions_from_config_are_answered(muster):
    cfg = muster.config()
    cfg["node_name"] = "cfg-node"
    cfg["bind_addr"] = "127.0.0.1"
    cfg["service"] = {"name": "web", "id": "web-a", "tags": ["blue"], "port": 8080}
    cfg["services"] = [
        # Consul's PascalCase, as `consul services register` files often are
        {"Name": "db", "ID": "db-a", "Port": 5432, "Address": "10.20.0.1",
         "Meta": {"version": "15"}, "Weights": {"Passing": 3, "Warning": 1}},
    ]
    cfg["checks"] = [{"id": "db-ext", "name": "db external", "service_id": "db-a",
                      "status": "passing"}]
    agent = muster.start(cfg)
    assert addresses(agent, "web.service.internal") == ["127.0.0.1"]
    assert addresses(agent, "blue.web.service.internal") == ["127.0.0.1"]
    assert addresses(agent, "db.service.internal") == ["10.20.0.1"]
    assert addresses(agent, "cfg-node.node.internal") == ["127.0.0.1"]
    srv = agent.query("db.service.internal", "SRV")
    assert [(rd.port, rd.weight) for rrset in srv.answer for rd in rrset] == [(5432, 3)]
    services = agent_services(agent)
    assert sorted(services) == ["db-a", "web-a"]
    assert services["db-a"]["Meta"] == {"version": "15"}
    checks = agent.api_ok("GET", "/v1/agent/checks")
    assert checks["db-ext"]["Status"] == "passing"


def test_reload_adds_and_removes_config_services(muster):
    cfg = muster.config()
    cfg["bind_addr"] = "127.0.0.1"
    cfg["services"] = [{"name": "alpha", "port": 1}, {"name": "beta", "port": 2}]
    agent = muster.start(cfg)
    assert addresses(agent, "alpha.service.internal") == ["127.0.0.1"]
    cfg["services"] = [{"name": "beta", "port": 2}, {"name": "gamma", "port": 3}]
    agent.reload(cfg)
    wait_until(lambda: agent.query("gamma.service.internal", "A").rcode() == dns.rcode.NOERROR,
               10, 0.05, "gamma registered by the reload")
    assert agent.query("alpha.service.internal", "A").rcode() == dns.rcode.NXDOMAIN
    assert addresses(agent, "beta.service.internal") == ["127.0.0.1"]


def test_api_registrations_survive_a_restart(muster):
    cfg = muster.config()
    agent = muster.start(cfg)
    agent.api_ok("PUT", "/v1/catalog/register", {"Node": "ext", "Address": "10.30.0.1",
                                                 "Service": {"Service": "kept", "Port": 9}})
    assert agent.stop() == 0
    again = muster.start(cfg)
    assert addresses(again, "kept.service.internal") == ["10.30.0.1"]


def test_a_config_http_check_runs_and_decides_dns(muster):
    # Nothing listens on port 1: the check, started passing, must turn critical by itself.
    cfg = muster.config()
    cfg["service"] = {"name": "web", "port": 80,
                      "check": {"http": "http://127.0.0.1:1/health", "interval": "200ms",
                                "status": "passing"}}
    agent = muster.start(cfg)
    wait_until(lambda: agent.query("web.service.internal", "A").rcode() == dns.rcode.NXDOMAIN,
               timeout=10, what="the instance gone from DNS")
    checks = agent.api_ok("GET", "/v1/agent/checks")
    assert checks["service:web"]["Status"] == "critical"
    assert checks["service:web"]["Type"] == "http"
