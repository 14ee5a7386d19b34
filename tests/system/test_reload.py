"""SIGHUP reload: the config file is read again; new records are answered, removed ones are gone
(NXDOMAIN from the upstream), changed ones change. A broken config on SIGHUP keeps the running
configuration and the log says what is wrong."""

import json
import signal

import harness
from harness import udp_uri

# the local names live inside example.test: once removed, NSD's NXDOMAIN is what a client sees
BEFORE = [
    {"name": "keep.example.test", "type": "A", "value": "192.0.2.10", "ttl": 5},
    {"name": "gone.example.test", "type": "A", "value": "192.0.2.11", "ttl": 5},
]
AFTER = [
    {"name": "keep.example.test", "type": "A", "value": "192.0.2.20", "ttl": 5},
    {"name": "new.example.test", "type": "A", "value": "192.0.2.21", "ttl": 5},
]


def start(muster, nsd, records):
    cfg = muster.config([udp_uri(nsd.port)], cache={"prefetch": False})
    cfg["records"] = records
    return muster.start(cfg)


def a_of(agent, name):
    return harness.rrset_values(agent.query(name), name + ".", "A")


def test_sighup_applies_changed_records(muster, nsd):
    agent = start(muster, nsd, BEFORE)
    assert a_of(agent, "keep.example.test") == ["192.0.2.10"]
    assert a_of(agent, "gone.example.test") == ["192.0.2.11"]
    assert harness.rcode_text(agent.query("new.example.test")) == "NXDOMAIN"

    agent.reload({**agent.config, "records": AFTER})
    harness.wait_until(lambda: a_of(agent, "new.example.test") == ["192.0.2.21"],
                       harness.scaled(3), 0.1, "the new record after SIGHUP")
    assert a_of(agent, "keep.example.test") == ["192.0.2.20"]
    r = agent.query("gone.example.test")
    assert harness.rcode_text(r) == "NXDOMAIN", f"removed record still answered:\n{r}"
    assert agent.alive()


def test_broken_config_on_sighup_keeps_old_records(muster, nsd):
    agent = start(muster, nsd, BEFORE)
    assert a_of(agent, "keep.example.test") == ["192.0.2.10"]
    broken = {**agent.config, "records": AFTER, "bogus_reload_key": 1}
    agent.reload(broken)
    log = agent.wait_log(lambda t: "bogus_reload_key" in t, timeout=5, since_mark=True,
                         what="the reload error naming the bad key")
    assert str(agent.config_path) in log, "the reload error names the file"
    assert agent.alive()
    assert a_of(agent, "keep.example.test") == ["192.0.2.10"]
    assert a_of(agent, "gone.example.test") == ["192.0.2.11"]
    assert harness.rcode_text(agent.query("new.example.test")) == "NXDOMAIN"


def test_invalid_json_on_sighup_keeps_running(muster, nsd):
    agent = start(muster, nsd, BEFORE)
    agent.reload(raw=json.dumps(agent.config)[:-5])  # cut off: not JSON any more
    agent.wait_log(lambda t: str(agent.config_path) in t, timeout=5, since_mark=True,
                   what="a reload error naming the file")
    assert agent.alive()
    assert a_of(agent, "keep.example.test") == ["192.0.2.10"]
    # a good config afterwards is applied
    agent.reload({**agent.config, "records": AFTER})
    harness.wait_until(lambda: a_of(agent, "keep.example.test") == ["192.0.2.20"],
                       harness.scaled(5), 0.1, "the fixed config after SIGHUP")


def test_sighup_rereads_hosts_file(muster, nsd, tmp_path):
    hosts = tmp_path / "hosts"
    hosts.write_text("192.0.2.30 h1.example.test\n")
    cfg = muster.config([udp_uri(nsd.port)])
    cfg["hosts_file"] = str(hosts)
    agent = muster.start(cfg)
    assert a_of(agent, "h1.example.test") == ["192.0.2.30"]
    hosts.write_text("192.0.2.31 h1.example.test\n192.0.2.32 h2.example.test\n")
    agent.send_signal(signal.SIGHUP)
    harness.wait_until(lambda: a_of(agent, "h2.example.test") == ["192.0.2.32"],
                       harness.scaled(5), 0.1, "the hosts file re-read after SIGHUP")
    assert a_of(agent, "h1.example.test") == ["192.0.2.31"]


def test_no_query_is_dropped_while_reloading(muster, nsd):
    """Queries run against the agent while it reloads five times, switching its recursor between
    UDP and TCP to NSD: every query is answered (none lost, none SERVFAIL)."""
    import threading
    import time

    agent = start(muster, nsd, BEFORE)
    stop = threading.Event()
    results = {"ok": 0, "bad": []}

    def load():
        i = 0
        while not stop.is_set():
            # a local name and a forwarded one whose cache entry is new each time
            for name in ("keep.example.test", f"q{i}.wild.example.test"):
                try:
                    r = agent.query(name, "A", timeout=2)
                    if harness.rcode_text(r) in ("NOERROR", "NXDOMAIN"):
                        results["ok"] += 1
                    else:
                        results["bad"].append((name, harness.rcode_text(r)))
                except Exception as exc:  # a timeout is a dropped query
                    results["bad"].append((name, repr(exc)))
            i += 1

    t = threading.Thread(target=load, daemon=True)
    t.start()
    try:
        for n in range(5):
            recursor = harness.tcp_uri(nsd.port) if n % 2 == 0 else udp_uri(nsd.port)
            agent.reload({**agent.config, "recursors": [recursor]})
            harness.wait_until(lambda: "reloaded" in agent.log_since_mark(), harness.scaled(5),
                               0.02, "reload logged")
            time.sleep(0.2)
    finally:
        stop.set()
        t.join(timeout=harness.scaled(10))
    assert not results["bad"], results["bad"][:10]
    assert results["ok"] > 50, "the load loop ran"


def test_reload_with_new_upstreams_clears_the_cache(muster, nsd):
    """Answers cached from the old upstreams are dropped when the recursors change (as dnsmasq
    does on SIGHUP); a reload that keeps them keeps the cache."""
    agent = start(muster, nsd, BEFORE)
    assert a_of(agent, "www.example.test") == ["192.0.2.1"]

    agent.reload({**agent.config, "records": AFTER})  # same recursors
    harness.wait_until(lambda: "reloaded" in agent.log_since_mark(), harness.scaled(5), 0.02,
                       "reload logged")
    assert "cache cleared" not in agent.log_since_mark()

    dead = udp_uri(harness.closed_port())
    agent.reload({**agent.config, "recursors": [dead]})
    harness.wait_until(lambda: "reloaded" in agent.log_since_mark(), harness.scaled(5), 0.02,
                       "reload logged")
    assert "cache cleared" in agent.log_since_mark()
    r = agent.query("www.example.test")
    assert harness.rcode_text(r) == "SERVFAIL", "the old upstream's answer must be gone"


def test_muster_reload_and_the_api_reload_like_sighup_and_report_errors(muster, nsd):
    agent = start(muster, nsd, BEFORE)
    env = {"MUSTER_HTTP_ADDR": agent.http_addr}
    agent.write_config({**agent.config, "records": AFTER})
    r = harness.run_muster(["reload"], env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "Configuration reload triggered"
    # the reply comes after the reload: the new record answers at once
    assert a_of(agent, "new.example.test") == ["192.0.2.21"]
    # a broken config: 500 naming the key, the running configuration stays
    agent.write_config({**agent.config, "records": BEFORE, "bogus_reload_key": 1})
    reply = agent.api("PUT", "/v1/agent/reload")
    assert reply.status == 500
    assert reply.text.startswith("Failed to reload configs: ") and "bogus_reload_key" in reply.text
    assert a_of(agent, "new.example.test") == ["192.0.2.21"]
    r = harness.run_muster(["reload"], env=env)
    assert r.returncode == 1 and "bogus_reload_key" in r.stderr
