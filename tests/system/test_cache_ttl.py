"""Cache TTL limits: dns_config.cache.max_ttl caps, min_ttl raises the TTL handed to clients for
cached answers (like Unbound's cache-max-ttl / cache-min-ttl)."""

import time

import harness
from harness import dot_uri


def test_max_ttl_caps_cached_ttls(muster, unbound, free_port):
    sport = free_port()
    agent = muster.start(muster.config([dot_uri(unbound)], cache={"max_ttl": "10s", "prefetch": False}))
    agent.query("www.example.test", source_port=sport)
    r = agent.query("www.example.test", source_port=sport)
    assert harness.rrset_values(r, "www.example.test.", "A") == ["192.0.2.1"]
    assert harness.answer_ttl(r, "A") <= 10


def test_min_ttl_raises_cached_ttls(muster, unbound, free_port):
    sport = free_port()
    agent = muster.start(muster.config([dot_uri(unbound)], cache={"min_ttl": "60s", "prefetch": False}))
    agent.query("short.example.test", source_port=sport)
    unbound.kill()
    time.sleep(2.5)  # past the record's own TTL of 2 s: only min_ttl keeps it fresh
    r = agent.query("short.example.test", source_port=sport, timeout=4)
    assert harness.rrset_values(r, "short.example.test.", "A") == ["192.0.2.2"]
    assert harness.answer_ttl(r, "A") >= 50
    assert 3 not in harness.ede_codes(r), "within min_ttl the answer is fresh, not stale"
