"""Metrics: GET /metrics and /v1/agent/metrics?format=prometheus in Prometheus text format 0.0.4,
parsed with prometheus_client's own parser; every kind of DNS answer moves its counter by exactly
the queries sent; upstream (a real Unbound over DNS-over-TLS), cache, catalog, checks and process
families; Consul's JSON shape without ?format; a real Prometheus scrapes the agent; Raft metrics
on a 3-server cluster."""

import os
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

import harness
from harness import LOCALHOST, dot_uri, free_port, scaled, wait_until
from test_dns_listeners import start


def scrape(agent, path="/metrics") -> dict:
    """{(sample name, sorted labels): value} of one scrape."""
    reply = agent.api("GET", path)
    assert reply.status == 200, reply.text
    assert reply.header("Content-Type").startswith("text/plain; version=0.0.4")
    out = {}
    for family in text_string_to_metric_families(reply.text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(samples: dict, name: str, **labels) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def delta(before: dict, after: dict, name: str, **labels) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def test_each_kind_of_answer_moves_its_counter_by_the_queries_sent(muster, unbound):
    agent, zone_port = start(muster, recursors=[dot_uri(unbound)])
    main = f"{LOCALHOST}:{agent.dns_port}"
    zone = f"{LOCALHOST}:{zone_port}"
    # the harness's readiness probe (a forwarded name) may still be on its way upstream
    before = wait_until(lambda: (s := scrape(agent)) and value(
        s, "muster_dns_queries_total", listener=main, answer="forwarded") == 1 and s,
        scaled(10), 0.1, "the readiness probe answered")

    for _ in range(3):
        assert harness.rrset_values(agent.query("web.service.internal"), "web.service.internal.",
                                    "A") == ["192.0.2.80"]
    harness.dns_query(zone_port, "web.service.internal")
    agent.query("printer.lan.test")
    assert harness.rcode_text(agent.query("nosuch.service.internal")) == "NXDOMAIN"
    # forwarded over DoT, then the same name from the cache
    assert harness.rrset_values(agent.query("www.example.test"), "www.example.test.",
                                "A") == ["192.0.2.1"]
    agent.query("www.example.test")
    agent.query("www.example.test", tcp=True)
    # the zone-only listener refuses what it does not own
    assert harness.rcode_text(harness.dns_query(zone_port, "www.example.test")) == "REFUSED"
    # a header with QDCOUNT 0 gets FORMERR
    reply = harness.send_raw_udp(agent.dns_port, bytes.fromhex("abcd01000000000000000000"))
    assert reply is not None and reply[3] & 0x0F == 1

    after = scrape(agent, "/v1/agent/metrics?format=prometheus")
    q = "muster_dns_queries_total"
    assert delta(before, after, q, listener=main, answer="catalog") == 4
    assert delta(before, after, q, listener=zone, answer="catalog") == 1
    assert delta(before, after, q, listener=main, answer="local") == 1
    assert delta(before, after, q, listener=main, answer="forwarded") == 1
    assert delta(before, after, q, listener=main, answer="cache") == 2
    assert delta(before, after, q, listener=zone, answer="refused") == 1
    assert delta(before, after, q, listener=main, answer="error") == 1
    assert delta(before, after, q, listener=main, answer="stale") == 0
    r = "muster_dns_responses_total"
    assert delta(before, after, r, listener=main, rcode="NOERROR") == 7
    assert delta(before, after, r, listener=main, rcode="NXDOMAIN") == 1
    assert delta(before, after, r, listener=main, rcode="FORMERR") == 1
    assert delta(before, after, r, listener=zone, rcode="REFUSED") == 1
    assert delta(before, after, "muster_dns_malformed_total") == 1
    # the latency histogram counts every answer of its listener, in cumulative buckets
    h = "muster_dns_answer_duration_seconds"
    assert delta(before, after, h + "_count", listener=main) == 9
    assert value(after, h + "_bucket", listener=main, le="+Inf") == value(after, h + "_count",
                                                                          listener=main)
    assert value(after, h + "_bucket", listener=main, le="0.0001") <= value(
        after, h + "_bucket", listener=main, le="0.1")
    # cache: one miss that went upstream, then two hits
    assert delta(before, after, "muster_cache_hits_total") == 2
    assert delta(before, after, "muster_cache_misses_total") >= 1
    assert value(after, "muster_cache_entries") >= 1
    # the DoT upstream: one query, one TLS connection, its RTT, up
    ups = [k for k in after if k[0] == "muster_upstream_up"]
    assert len(ups) == 1, ups
    up = dict(ups[0][1])
    assert up["upstream"].startswith("tls://127.0.0.1:") and up["zone"] == "."
    assert value(after, "muster_upstream_up", **up) == 1
    assert delta(before, after, "muster_upstream_queries_total", **up) == 1
    assert value(after, "muster_upstream_connections_total", **up) >= 1
    assert value(after, "muster_upstream_rtt_seconds_count", **up) >= 1
    assert value(after, "muster_upstream_rtt_seconds_sum", **up) > 0
    assert value(after, "muster_upstream_failures_total", **up) == 0
    # catalog and process
    assert value(after, "muster_catalog_service_instances", status="passing") >= 1
    assert value(after, "muster_catalog_services") >= 1
    assert value(after, "muster_catalog_index") > 0
    assert value(after, "process_resident_memory_bytes") > 1_000_000
    assert value(after, "process_open_fds") > 5
    assert value(after, "muster_uptime_seconds") > 0
    assert ("muster_build_info", (("version", agent_version()),)) in after
    # muster info prints the same counts in its "dns" and "upstream <label>" sections
    info = harness.run_muster(["info"], env={"MUSTER_HTTP_ADDR": agent.http_addr})
    assert info.returncode == 0, info.stderr
    sections = parse_info(info.stdout)
    assert int(sections["dns"]["queries_catalog"]) >= 5
    assert int(sections["dns"]["queries_refused"]) == 1
    (upstream,) = [v for k, v in sections.items() if k.startswith("upstream tls://127.0.0.1:")]
    assert upstream["health"] == "up" and upstream["zone"] == "."
    assert int(upstream["queries"]) >= 1 and upstream["rtt_mean"].endswith("ms")


def parse_info(text: str) -> dict:
    """muster info's sections: {"name": {"key": "value"}} (Consul's `consul info` layout)."""
    sections, current = {}, None
    for line in text.splitlines():
        if line.startswith("\t"):
            k, _, v = line.strip().partition(" = ")
            sections[current][k] = v
        elif line.endswith(":"):
            current = line[:-1]
            sections[current] = {}
    return sections


def agent_version() -> str:
    out = harness.run_muster(["version"]).stdout
    return out.split()[1]


def test_stale_answers_errors_and_upstream_failures_are_counted(muster, unbound):
    cfg = muster.config([dot_uri(unbound)], recursor_timeout="1s",
                        cache={"prefetch": False, "serve_stale": True})
    agent = muster.start(cfg)
    port = free_port()  # one source port: the same worker, whatever the cache layout
    agent.query("short.example.test", source_port=port)  # TTL 2 s
    unbound.kill()
    time.sleep(3.0)  # past the TTL
    before = scrape(agent)
    stale = agent.query("short.example.test", source_port=port, timeout=5)
    assert harness.rrset_values(stale, "short.example.test.", "A") == ["192.0.2.2"]
    failed = agent.query("other.example.test", source_port=port, timeout=5)
    assert harness.rcode_text(failed) == "SERVFAIL"
    after = scrape(agent)
    main = f"{LOCALHOST}:{agent.dns_port}"
    q = "muster_dns_queries_total"
    assert delta(before, after, q, listener=main, answer="stale") == 1
    assert delta(before, after, q, listener=main, answer="error") == 1
    assert delta(before, after, "muster_dns_responses_total", listener=main,
                 rcode="SERVFAIL") == 1
    assert delta(before, after, "muster_cache_stale_served_total") == 1
    (up,) = [dict(k[1]) for k in after if k[0] == "muster_upstream_failures_total"]
    assert delta(before, after, "muster_upstream_failures_total", **up) >= 2


def test_consul_json_shape_and_bad_format(muster):
    agent = muster.start(muster.config())
    agent.query("web.service.internal")
    body = agent.api_ok("GET", "/v1/agent/metrics")
    assert set(body) == {"Timestamp", "Gauges", "Points", "Counters", "Samples"}
    assert body["Timestamp"].endswith("+0000 UTC")
    names = {c["Name"] for c in body["Counters"]}
    assert "muster.dns.queries" in names
    q = [c for c in body["Counters"] if c["Name"] == "muster.dns.queries"]
    assert all(set(c) >= {"Name", "Count", "Rate", "Sum", "Labels"} for c in q)
    assert {c["Labels"]["answer"] for c in q} >= {"catalog", "cache", "forwarded", "refused"}
    assert any(g["Name"] == "muster.cache.entries" for g in body["Gauges"])
    assert any(s["Name"] == "muster.dns.answer.duration" for s in body["Samples"])
    bad = agent.api("GET", "/v1/agent/metrics?format=xml")
    assert bad.status == 400 and "prometheus" in bad.text
    assert agent.api("PUT", "/metrics").status == 405


def test_check_runs_timeouts_and_status_changes(muster, tmp_path):
    cfg = muster.config()
    cfg["enable_local_script_checks"] = True
    cfg["services"] = [{
        "name": "slow", "port": 1,
        "checks": [{"id": "slow-script", "name": "slow", "args": ["/bin/sleep", "5"],
                    "interval": "300ms", "timeout": "100ms"},
                   {"id": "slow-ttl", "name": "ttl", "ttl": "60s"}]}]
    agent = muster.start(cfg)

    def timed_out():
        s = scrape(agent)
        return value(s, "muster_check_timeouts_total", type="script") >= 2 and s

    s = wait_until(timed_out, scaled(10), 0.2, "two script timeouts counted")
    assert value(s, "muster_check_runs_total", type="script") >= 2
    assert value(s, "muster_checks", type="script", status="critical") == 1
    before = value(s, "muster_check_status_changes_total", type="ttl")
    agent.api_ok("PUT", "/v1/agent/check/pass/slow-ttl")
    s = scrape(agent)
    assert value(s, "muster_check_status_changes_total", type="ttl") == before + 1
    assert value(s, "muster_checks", type="ttl", status="passing") == 1
    agent.api_ok("PUT", "/v1/agent/check/fail/slow-ttl")
    agent.api_ok("PUT", "/v1/agent/check/fail/slow-ttl")  # no change: not a flap
    s = scrape(agent)
    assert value(s, "muster_check_status_changes_total", type="ttl") == before + 2
    assert value(s, "muster_checks", type="ttl", status="critical") == 1


PROMETHEUS = shutil.which("prometheus")


@pytest.mark.skipif(PROMETHEUS is None, reason="Debian's prometheus is not installed")
def test_a_real_prometheus_scrapes_the_consul_path(muster, tmp_path):
    agent = muster.start(muster.config())
    port = free_port()
    (tmp_path / "prometheus.yml").write_text(f"""
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: muster
    metrics_path: /v1/agent/metrics
    params:
      format: [prometheus]
    static_configs:
      - targets: ['{LOCALHOST}:{agent.http_port}']
""")
    log = tmp_path / "prometheus.log"
    proc = harness.Proc("prometheus", [
        PROMETHEUS, f"--config.file={tmp_path / 'prometheus.yml'}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}", f"--web.listen-address={LOCALHOST}:{port}",
    ], log).start()
    try:
        def query(expr):
            url = f"http://{LOCALHOST}:{port}/api/v1/query?query={urllib.request.quote(expr)}"
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    import json
                    return json.load(r)["data"]["result"]
            except OSError:
                return None

        def up():
            result = query('up{job="muster"}')
            return result and result[0]["value"][1] == "1"

        wait_until(up, scaled(40), 0.5, "prometheus reports the agent up")
        result = query("muster_build_info")
        assert result and result[0]["metric"]["version"] == agent_version()
        assert query('muster_dns_queries_total{answer="catalog"}')
    finally:
        proc.terminate()


@pytest.mark.skipif(os.environ.get("MUSTER_TEST_TIMEOUT_SCALE", "1") != "1",
                    reason="several agents: run once, in the optimized build")
def test_raft_metrics_on_three_servers(muster):
    from test_raft_cluster import Cluster
    cluster = Cluster(muster, 3).start()
    leader = cluster.leader()
    leader.api_ok("PUT", "/v1/catalog/register",
                  {"Node": "ext", "Address": "192.0.2.9", "Service": {"Service": "svc"}})
    states = {}
    for agent in cluster.agents:
        s = scrape(agent)
        role = [dict(k[1])["state"] for k, v in s.items()
                if k[0] == "muster_raft_state" and v == 1]
        states[agent] = (role, s)
    roles = sorted(r[0] for r, _ in states.values())
    assert roles == ["follower", "follower", "leader"]
    terms = {value(s, "muster_raft_term") for _, s in states.values()}
    assert len(terms) == 1
    for agent, (role, s) in states.items():
        assert value(s, "muster_raft_peers") == 3
        assert value(s, "muster_raft_leader_changes_total") >= 1
        assert value(s, "muster_raft_commit_index") >= 1
        assert 0 <= value(s, "muster_raft_last_contact_seconds") < 5
    _, ls = states[leader]
    assert value(ls, "muster_raft_apply_duration_seconds_count") >= 1
    assert value(ls, "muster_raft_state", state="leader") == 1
