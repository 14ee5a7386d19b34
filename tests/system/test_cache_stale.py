"""The cache: answers survive the upstream's death with decreasing TTLs; expired ones are served
stale (RFC 8767) with Extended DNS Error 3 "Stale Answer" (RFC 8914); negative answers are cached
with their SOA (RFC 2308). The upstream is Unbound over DoT, killed with SIGKILL.

All queries of one test use one source address and port, so a multi-worker agent (SO_REUSEPORT)
sees them on the same worker whatever its cache layout."""

import time

import pytest

import harness
from harness import dot_uri

STALE_ANSWER = 3  # RFC 8914 §4.4


@pytest.fixture
def client_port(free_port):
    return free_port()


def cache_config(muster, unbound, **cache):
    settings = {"prefetch": False, "serve_stale": True, **cache}
    return muster.config([dot_uri(unbound)], recursor_timeout="1s", cache=settings)


def test_cached_answer_survives_upstream_death_with_lower_ttl(muster, unbound, client_port):
    agent = muster.start(cache_config(muster, unbound))
    first = agent.query("www.example.test", source_port=client_port)
    assert harness.rrset_values(first, "www.example.test.", "A") == ["192.0.2.1"]
    ttl0 = harness.answer_ttl(first, "A")
    assert 290 <= ttl0 <= 300
    unbound.kill()
    time.sleep(1.2)
    again = agent.query("www.example.test", source_port=client_port, timeout=4)
    assert harness.rcode_text(again) == "NOERROR"
    assert harness.rrset_values(again, "www.example.test.", "A") == ["192.0.2.1"]
    assert harness.answer_ttl(again, "A") < ttl0, "a cached answer's TTL counts down"
    assert STALE_ANSWER not in harness.ede_codes(again), "a fresh cache hit is not stale"


def test_expired_answer_is_served_stale_with_ede_3(muster, unbound, client_port):
    agent = muster.start(cache_config(muster, unbound))
    first = agent.query("short.example.test", source_port=client_port)
    assert harness.rrset_values(first, "short.example.test.", "A") == ["192.0.2.2"]
    assert harness.answer_ttl(first, "A") <= 2
    assert STALE_ANSWER not in harness.ede_codes(first)
    unbound.kill()
    time.sleep(3.0)  # past the 2 s TTL
    stale = agent.query("short.example.test", source_port=client_port, timeout=5)
    assert harness.rcode_text(stale) == "NOERROR"
    assert harness.rrset_values(stale, "short.example.test.", "A") == ["192.0.2.2"]
    assert STALE_ANSWER in harness.ede_codes(stale), f"no EDE 3 in {stale.options}"
    assert harness.answer_ttl(stale, "A") > 0, "RFC 8767 §4: stale answers carry a TTL > 0"


def test_expired_answer_is_servfail_when_serve_stale_is_off(muster, unbound, client_port):
    agent = muster.start(cache_config(muster, unbound, serve_stale=False))
    first = agent.query("short.example.test", source_port=client_port)
    assert harness.rrset_values(first, "short.example.test.", "A") == ["192.0.2.2"]
    unbound.kill()
    time.sleep(3.0)
    r = agent.query("short.example.test", source_port=client_port, timeout=5)
    assert harness.rcode_text(r) == "SERVFAIL"
    assert not r.answer


def test_stale_answers_end_after_stale_max_age(muster, unbound, client_port):
    agent = muster.start(cache_config(muster, unbound, stale_max_age="1s"))
    first = agent.query("short.example.test", source_port=client_port)
    assert harness.rrset_values(first, "short.example.test.", "A") == ["192.0.2.2"]
    unbound.kill()
    time.sleep(4.5)  # 2 s TTL + 1 s stale_max_age, with margin
    r = agent.query("short.example.test", source_port=client_port, timeout=5)
    assert harness.rcode_text(r) == "SERVFAIL"
    assert not r.answer


def test_upstream_back_refreshes_the_stale_entry(muster, unbound, client_port):
    agent = muster.start(cache_config(muster, unbound))
    agent.query("short.example.test", source_port=client_port)
    unbound.kill()
    time.sleep(3.0)
    stale = agent.query("short.example.test", source_port=client_port, timeout=5)
    assert STALE_ANSWER in harness.ede_codes(stale)
    unbound.start()

    def fresh():
        r = agent.query("short.example.test", source_port=client_port, timeout=5)
        return (harness.rrset_values(r, "short.example.test.", "A") == ["192.0.2.2"]
                and STALE_ANSWER not in harness.ede_codes(r))

    harness.wait_until(fresh, harness.scaled(10), 0.5, "a fresh (non-stale) answer again")


def test_nxdomain_is_cached_with_soa(muster, unbound, client_port):
    agent = muster.start(cache_config(muster, unbound))
    first = agent.query("nosuch.example.test", source_port=client_port)
    assert harness.rcode_text(first) == "NXDOMAIN"
    unbound.kill()
    again = agent.query("nosuch.example.test", source_port=client_port, timeout=4)
    assert harness.rcode_text(again) == "NXDOMAIN"
    assert not again.answer
    soa = [rrset for rrset in again.authority if rrset.rdtype == 6]
    assert soa, f"negative answer without SOA:\n{again}"
    assert str(soa[0].name) == "example.test."
    assert soa[0].ttl <= 5, "RFC 2308 §5: negative TTL is at most the SOA MINIMUM (5)"


def test_nodata_is_cached_with_soa(muster, unbound, client_port):
    agent = muster.start(cache_config(muster, unbound))
    first = agent.query("www.example.test", "TXT", source_port=client_port)
    assert harness.rcode_text(first) == "NOERROR" and not first.answer
    unbound.kill()
    again = agent.query("www.example.test", "TXT", source_port=client_port, timeout=4)
    assert harness.rcode_text(again) == "NOERROR"
    assert not again.answer
    assert any(rrset.rdtype == 6 for rrset in again.authority), f"NODATA without SOA:\n{again}"


def test_cached_answer_keeps_the_question_case(muster, unbound, client_port):
    agent = muster.start(cache_config(muster, unbound))
    agent.query("www.example.test", source_port=client_port)
    unbound.kill()
    r = agent.query("WwW.ExAmPlE.TeSt", source_port=client_port, timeout=4)
    assert r.question[0].name.to_text() == "WwW.ExAmPlE.TeSt."
    assert harness.rrset_values(r, "www.example.test.", "A") == ["192.0.2.1"]
