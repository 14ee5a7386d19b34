"""The catalog zone in DNS: every name form of docs/design.md, answered from the agent's catalog,
health-filtered, with registrations made through the HTTP API as Consul clients make them."""

import ipaddress

import dns.flags
import dns.rcode
import dns.rdatatype
import dns.reversename

from harness import LOCALHOST, free_port, run


def register(agent, node, address, *, service=None, checks=None, meta=None):
    """PUT /v1/catalog/register with Consul's JSON shape."""
    body = {"Node": node, "Address": address}
    if meta:
        body["NodeMeta"] = meta
    if service:
        body["Service"] = service
    if checks:
        body["Checks"] = checks
    agent.api_ok("PUT", "/v1/catalog/register", body)


def web_cluster(agent, count=3, *, tags=("v1",), port=80):
    """Nodes web-N at 10.0.0.N, each running one instance web-N of service web."""
    for i in range(1, count + 1):
        register(agent, f"web-{i}", f"10.0.0.{i}",
                 service={"ID": f"web-{i}", "Service": "web", "Tags": list(tags), "Port": port + i})


def rrset_values(msg, section="answer", rdtype=None):
    out = []
    for rrset in getattr(msg, section):
        if rdtype is None or rrset.rdtype == dns.rdatatype.from_text(rdtype):
            out.extend(rd.to_text() for rd in rrset)
    return sorted(out)


def start(muster, **dns_config):
    return muster.start(muster.config(**dns_config))


# ------------------------------------------------------------------------------------------
# node names


def test_node_a_record_with_and_without_datacenter(muster):
    agent = start(muster)
    register(agent, "db-1", "10.1.0.7")
    for name in ("db-1.node.internal", "db-1.node.dc1.internal", "DB-1.Node.Internal"):
        r = agent.query(name, "A")
        assert r.rcode() == dns.rcode.NOERROR, name
        assert r.flags & dns.flags.AA
        assert rrset_values(r) == ["10.1.0.7"], name
        assert r.answer[0].name.to_text() == name + "."  # the query's own spelling
    out = agent.dig("+short", "db-1.node.internal", "A")
    assert out.split() == ["10.1.0.7"]


def test_node_aaaa_and_txt_meta(muster):
    agent = start(muster)
    register(agent, "v6-host", "2001:db8::17", meta={"rack": "r12", "os": "debian"})
    assert rrset_values(agent.query("v6-host.node.internal", "AAAA")) == ["2001:db8::17"]
    txt = rrset_values(agent.query("v6-host.node.internal", "TXT"))
    assert txt == ['"os=debian"', '"rack=r12"']
    # a known node with no A record: NODATA, not NXDOMAIN
    r = agent.query("v6-host.node.internal", "A")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer
    assert r.authority[0].rdtype == dns.rdatatype.SOA


def test_unknown_node_and_service_are_nxdomain_with_soa(muster):
    agent = start(muster)
    web_cluster(agent, 1)
    for name in ("nope.node.internal", "nope.service.internal", "nope.web.service.internal",
                 "web-1.node.dc9.internal"):
        r = agent.query(name, "A")
        assert r.rcode() == dns.rcode.NXDOMAIN, name
        assert r.flags & dns.flags.AA
        assert r.authority and r.authority[0].rdtype == dns.rdatatype.SOA, name
        assert r.authority[0].name.to_text() == "internal."


def test_known_service_other_type_is_nodata(muster):
    agent = start(muster)
    web_cluster(agent, 1)
    r = agent.query("web.service.internal", "MX")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer
    assert r.authority[0].rdtype == dns.rdatatype.SOA


def test_apex_soa_and_ns(muster):
    agent = start(muster)
    soa = agent.query("internal", "SOA")
    assert soa.rcode() == dns.rcode.NOERROR and soa.answer[0].rdtype == dns.rdatatype.SOA
    ns = agent.query("internal", "NS")
    assert ns.answer and ns.answer[0].rdtype == dns.rdatatype.NS


# ------------------------------------------------------------------------------------------
# service names


def test_service_a_records_list_every_healthy_instance(muster):
    agent = start(muster)
    web_cluster(agent, 3)
    r = agent.query("web.service.internal", "A")
    assert r.flags & dns.flags.AA
    assert rrset_values(r) == ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
    assert rrset_values(agent.query("web.service.dc1.internal", "A")) == rrset_values(r)
    out = agent.dig("+short", "web.service.internal")
    assert sorted(out.split()) == ["10.0.0.1", "10.0.0.2", "10.0.0.3"]


def test_answers_are_shuffled_per_query(muster):
    agent = start(muster)
    web_cluster(agent, 6)
    orders = set()
    for _ in range(30):
        r = agent.query("web.service.internal", "A")
        orders.add(tuple(rd.to_text() for rd in r.answer[0]))
    assert len(orders) > 1, "the same order 30 times"


def test_tag_filter(muster):
    agent = start(muster)
    register(agent, "a", "10.0.1.1", service={"ID": "api-a", "Service": "api", "Tags": ["blue"], "Port": 1})
    register(agent, "b", "10.0.1.2", service={"ID": "api-b", "Service": "api", "Tags": ["green"], "Port": 2})
    assert rrset_values(agent.query("blue.api.service.internal", "A")) == ["10.0.1.1"]
    assert rrset_values(agent.query("green.api.service.dc1.internal", "A")) == ["10.0.1.2"]
    assert agent.query("red.api.service.internal", "A").rcode() == dns.rcode.NXDOMAIN


def test_srv_answer_has_port_weight_target_and_glue(muster):
    agent = start(muster)
    register(agent, "web-1", "10.0.0.1",
             service={"ID": "web-1", "Service": "web", "Port": 8081, "Weights": {"Passing": 7, "Warning": 1}})
    r = agent.query("web.service.internal", "SRV")
    srv = [rd for rrset in r.answer for rd in rrset]
    assert len(srv) == 1
    assert (srv[0].port, srv[0].weight) == (8081, 7)
    assert srv[0].target.to_text() == "web-1.node.dc1.internal."
    glue = {rrset.name.to_text(): [rd.to_text() for rd in rrset] for rrset in r.additional
            if rrset.rdtype == dns.rdatatype.A}
    assert glue == {"web-1.node.dc1.internal.": ["10.0.0.1"]}
    # the target resolves on its own too
    assert rrset_values(agent.query("web-1.node.dc1.internal", "A")) == ["10.0.0.1"]


def test_srv_target_is_addr_name_when_instance_has_its_own_address(muster):
    agent = start(muster)
    register(agent, "host", "10.0.0.1",
             service={"ID": "db", "Service": "db", "Port": 5432, "Address": "10.9.8.7"})
    r = agent.query("db.service.internal", "SRV")
    target = r.answer[0][0].target.to_text()
    assert target == "0a090807.addr.dc1.internal."
    glue = [rd.to_text() for rrset in r.additional if rrset.name.to_text() == target for rd in rrset]
    assert glue == ["10.9.8.7"]
    assert rrset_values(agent.query("db.service.internal", "A")) == ["10.9.8.7"]


def test_rfc2782_service_names(muster):
    agent = start(muster)
    register(agent, "a", "10.0.2.1", service={"ID": "ldap-a", "Service": "ldap", "Tags": ["primary"], "Port": 389})
    register(agent, "b", "10.0.2.2", service={"ID": "ldap-b", "Service": "ldap", "Port": 1389})
    tagged = agent.query("_ldap._primary.service.internal", "SRV")
    assert [rd.port for rrset in tagged.answer for rd in rrset] == [389]
    every = agent.query("_ldap._tcp.service.dc1.internal", "SRV")
    assert sorted(rd.port for rrset in every.answer for rd in rrset) == [389, 1389]
    out = agent.dig("+short", "_ldap._tcp.service.internal", "SRV")
    assert len(out.strip().splitlines()) == 2


def test_addr_names(muster):
    agent = start(muster)
    assert rrset_values(agent.query("c0000201.addr.internal", "A")) == ["192.0.2.1"]
    v6 = ipaddress.ip_address("2001:db8::1").packed.hex()
    assert rrset_values(agent.query(f"{v6}.addr.dc1.internal", "AAAA")) == ["2001:db8::1"]
    assert agent.query("zz.addr.internal", "A").rcode() == dns.rcode.NXDOMAIN


def test_ptr_for_node_and_service_addresses(muster):
    agent = start(muster)
    register(agent, "web-1", "10.0.0.1",
             service={"ID": "db", "Service": "db", "Port": 5432, "Address": "10.9.8.7"})
    node_ptr = agent.query(dns.reversename.from_address("10.0.0.1").to_text(), "PTR")
    assert rrset_values(node_ptr) == ["web-1.node.dc1.internal."]
    svc_ptr = agent.query(dns.reversename.from_address("10.9.8.7").to_text(), "PTR")
    assert rrset_values(svc_ptr) == ["db.service.dc1.internal."]


def test_alt_domain_answers_the_same_data(muster):
    cfg = muster.config()
    cfg["alt_domain"] = "consul."
    agent = muster.start(cfg)
    web_cluster(agent, 2)
    assert rrset_values(agent.query("web.service.consul", "A")) == ["10.0.0.1", "10.0.0.2"]
    assert rrset_values(agent.query("web-2.node.dc1.consul", "A")) == ["10.0.0.2"]
    assert rrset_values(agent.query("web.service.internal", "A")) == ["10.0.0.1", "10.0.0.2"]


# ------------------------------------------------------------------------------------------
# health


def test_critical_check_removes_an_instance_and_passing_brings_it_back(muster):
    agent = start(muster)
    web_cluster(agent, 3)
    check = {"CheckID": "web-2-alive", "Name": "alive", "ServiceID": "web-2", "Status": "critical"}
    register(agent, "web-2", "10.0.0.2", service={"ID": "web-2", "Service": "web", "Port": 82},
             checks=[check])
    assert rrset_values(agent.query("web.service.internal", "A")) == ["10.0.0.1", "10.0.0.3"]
    check["Status"] = "passing"
    register(agent, "web-2", "10.0.0.2", service={"ID": "web-2", "Service": "web", "Port": 82},
             checks=[check])
    assert rrset_values(agent.query("web.service.internal", "A")) == ["10.0.0.1", "10.0.0.2", "10.0.0.3"]


def test_critical_node_check_removes_all_its_instances(muster):
    agent = start(muster)
    web_cluster(agent, 2)
    register(agent, "web-1", "10.0.0.1", checks=[{"CheckID": "serfHealth", "Name": "node alive",
                                                  "Status": "critical"}])
    assert rrset_values(agent.query("web.service.internal", "A")) == ["10.0.0.2"]
    # every instance unhealthy: the name answers NXDOMAIN as Consul does
    register(agent, "web-2", "10.0.0.2", checks=[{"CheckID": "serfHealth", "Name": "node alive",
                                                  "Status": "critical"}])
    assert agent.query("web.service.internal", "A").rcode() == dns.rcode.NXDOMAIN


def test_warning_is_served_unless_only_passing(muster):
    for only_passing, expected in ((False, ["10.0.0.1", "10.0.0.2"]), (True, ["10.0.0.1"])):
        agent = start(muster, only_passing=only_passing)
        web_cluster(agent, 2)
        register(agent, "web-2", "10.0.0.2", service={"ID": "web-2", "Service": "web", "Port": 82},
                 checks=[{"CheckID": "load", "Name": "load", "ServiceID": "web-2", "Status": "warning"}])
        assert rrset_values(agent.query("web.service.internal", "A")) == expected, only_passing
        agent.stop()


def test_service_maintenance_mode_hides_the_instance(muster):
    agent = start(muster)
    agent.api_ok("PUT", "/v1/agent/service/register",
                 {"ID": "cache-1", "Name": "cache", "Port": 6379, "Address": "10.0.5.1"})
    assert rrset_values(agent.query("cache.service.internal", "A")) == ["10.0.5.1"]
    agent.api_ok("PUT", "/v1/agent/service/maintenance/cache-1?enable=true&reason=upgrade")
    assert agent.query("cache.service.internal", "A").rcode() == dns.rcode.NXDOMAIN
    agent.api_ok("PUT", "/v1/agent/service/maintenance/cache-1?enable=false")
    assert rrset_values(agent.query("cache.service.internal", "A")) == ["10.0.5.1"]


def test_a_catalog_change_is_visible_to_the_next_query(muster):
    agent = start(muster)
    for i in range(20):
        register(agent, "flip", "10.0.9.1", service={"ID": "flip", "Service": "flip", "Port": 1})
        assert rrset_values(agent.query("flip.service.internal", "A")) == ["10.0.9.1"], i
        agent.api_ok("PUT", "/v1/catalog/deregister", {"Node": "flip", "ServiceID": "flip"})
        assert agent.query("flip.service.internal", "A").rcode() == dns.rcode.NXDOMAIN, i


# ------------------------------------------------------------------------------------------
# limits and truncation


def test_a_record_limit(muster):
    agent = start(muster, a_record_limit=2)
    web_cluster(agent, 5)
    r = agent.query("web.service.internal", "A")
    assert len(rrset_values(r)) == 2
    seen = set()
    for _ in range(30):
        seen.update(rrset_values(agent.query("web.service.internal", "A")))
    assert len(seen) > 2, "the limit must pick from all instances, not always the same ones"


def test_large_answer_sets_tc_over_udp_and_is_complete_over_tcp(muster):
    agent = start(muster)
    for i in range(1, 61):
        register(agent, f"n{i}", f"10.2.0.{i}", service={"ID": f"big-{i}", "Service": "big", "Port": 1000 + i})
    udp = agent.query("big.service.internal", "SRV", edns=False)
    assert udp.flags & dns.flags.TC, "muster must not silently drop records over UDP"
    tcp = agent.query("big.service.internal", "SRV", tcp=True)
    assert not tcp.flags & dns.flags.TC
    assert sum(len(rrset) for rrset in tcp.answer) == 60
    out = agent.dig("+short", "big.service.internal", "SRV")  # dig retries over TCP on TC
    assert len(out.strip().splitlines()) == 60


# ------------------------------------------------------------------------------------------
# names in the domain that are not catalog names


def test_non_catalog_name_in_domain_is_forwarded_to_the_real_upstream(muster, unbound):
    """With domain example.test. the catalog owns web.service.example.test while www.example.test
    (a real host in NSD's zone) is forwarded, which neither Consul nor a forward zone can do."""
    cfg = muster.config([f"tls://{LOCALHOST}:{unbound.port}#dot.test"])
    cfg["domain"] = "example.test."
    agent = muster.start(cfg)
    web_cluster(agent, 1)
    assert rrset_values(agent.query("web.service.example.test", "A")) == ["10.0.0.1"]
    www = agent.query("www.example.test", "A")
    assert www.rcode() == dns.rcode.NOERROR and rrset_values(www) == ["192.0.2.1"]
    assert not www.flags & dns.flags.AA  # forwarded, not ours


def test_non_catalog_name_is_nxdomain_when_forwarding_in_domain_is_off(muster, unbound):
    cfg = muster.config([f"tls://{LOCALHOST}:{unbound.port}#dot.test"],
                        forward_unknown_in_domain=False)
    cfg["domain"] = "example.test."
    agent = muster.start(cfg)
    r = agent.query("www.example.test", "A")
    assert r.rcode() == dns.rcode.NXDOMAIN and r.authority[0].rdtype == dns.rdatatype.SOA


def test_fqdn_node_name_inside_domain_is_answered_without_repeating_the_domain(muster):
    cfg = muster.config()
    cfg["domain"] = "mooncarrot.space."
    cfg["node_name"] = "harpsichord.mooncarrot.space"
    agent = muster.start(cfg)
    register(agent, "harpsichord.mooncarrot.space", "10.4.4.4",
             service={"ID": "organ", "Service": "organ", "Port": 8080})
    assert rrset_values(agent.query("harpsichord.node.mooncarrot.space", "A")) == ["10.4.4.4"]
    srv = agent.query("organ.service.mooncarrot.space", "SRV")
    assert srv.answer[0][0].target.to_text() == "harpsichord.node.dc1.mooncarrot.space."


def test_catalog_names_are_answered_to_clients_outside_allow_recursion(muster):
    """Catalog data is owned, like local records: no REFUSED for it."""
    agent = start(muster, allow_recursion=["192.0.2.0/24"])
    web_cluster(agent, 1)
    r = agent.query("web.service.internal", "A")
    assert rrset_values(r) == ["10.0.0.1"]
    assert agent.query("www.example.test", "A").rcode() == dns.rcode.REFUSED


def test_kdig_srv_over_tcp(muster):
    agent = start(muster)
    web_cluster(agent, 2)
    out = run(["kdig", f"@{LOCALHOST}", "-p", str(agent.dns_port), "+tcp", "+short",
               "web.service.internal", "SRV"], check=False, timeout=10).stdout
    assert len(out.strip().splitlines()) == 2, out


def test_dev_agent_registers_itself(muster):
    dns_port, http_port, server_port = free_port(), free_port(), free_port()
    agent = muster.create({}, args=["--dev", "--dns-port", str(dns_port), "--http-port", str(http_port),
                                    "--server-port", str(server_port)],
                          use_config_file=False)
    agent.dns_port, agent.http_port = dns_port, http_port
    agent.start()
    r = agent.query("consul.service.internal", "SRV")
    assert r.rcode() == dns.rcode.NOERROR and r.answer, r
    assert [rd.port for rrset in r.answer for rd in rrset] == [server_port]
    nodes = agent.api_ok("GET", "/v1/catalog/nodes")
    assert len(nodes) == 1 and nodes[0]["Node"]
    node = nodes[0]["Node"]
    assert rrset_values(agent.query(f"{node}.node.internal", "A")) == [nodes[0]["Address"]]


def test_node_and_service_ttls(muster):
    agent = start(muster, node_ttl="30s", service_ttl={"*": "5s", "web*": "10s", "web-admin": "20s"})
    register(agent, "n1", "10.0.7.1", service={"ID": "w", "Service": "web", "Port": 1})
    register(agent, "n2", "10.0.7.2", service={"ID": "wa", "Service": "web-admin", "Port": 2})
    register(agent, "n3", "10.0.7.3", service={"ID": "d", "Service": "db", "Port": 3})
    assert agent.query("n1.node.internal", "A").answer[0].ttl == 30
    assert agent.query("web.service.internal", "A").answer[0].ttl == 10
    assert agent.query("web-admin.service.internal", "A").answer[0].ttl == 20
    assert agent.query("db.service.internal", "SRV").answer[0].ttl == 5
