"""Upstream selection: failover from a dead recursor to the next within recursor_timeout, for DoT
and plain UDP/TCP; a recursor that is muster's own listener is skipped (logged), never used, so
queries cannot loop."""

import re
import time

import pytest

import harness
from harness import closed_port, dot_uri, tcp_uri, udp_uri


@pytest.mark.parametrize("kind", ["tls", "udp", "tcp", "bare"])
def test_failover_from_dead_first_recursor(muster, nsd, request, kind):
    dead = closed_port()
    if kind == "tls":
        unbound = request.getfixturevalue("unbound")
        recursors = [f"tls://127.0.0.1:{dead}#dot.test", dot_uri(unbound)]
    elif kind == "udp":
        recursors = [udp_uri(dead), udp_uri(nsd.port)]
    elif kind == "tcp":
        recursors = [tcp_uri(dead), tcp_uri(nsd.port)]
    else:
        recursors = [f"127.0.0.1:{dead}", f"127.0.0.1:{nsd.port}"]
    agent = muster.start(muster.config(recursors, recursor_timeout="1500ms",
                                       recursor_strategy="sequential"))
    t0 = time.monotonic()
    r = agent.query("www.example.test", "A", timeout=5)
    elapsed = time.monotonic() - t0
    assert harness.rrset_values(r, "www.example.test.", "A") == ["192.0.2.1"]
    assert elapsed < harness.scaled(1.5), f"answered after {elapsed:.2f}s, recursor_timeout is 1.5s"
    # later queries keep working (and need not wait for the dead one again)
    t0 = time.monotonic()
    r = agent.query("txt.example.test", "TXT", timeout=5)
    assert harness.rrset_values(r, "txt.example.test.", "TXT") == ['"hello from nsd"']
    assert time.monotonic() - t0 < harness.scaled(1.5)


def test_silent_first_recursor_fails_over_after_timeout(muster, nsd, free_port):
    # a UDP upstream that swallows queries: only the timeout can tell
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as blackhole:
        blackhole.bind(("127.0.0.1", free_port()))
        port = blackhole.getsockname()[1]
        agent = muster.start(muster.config([udp_uri(port), udp_uri(nsd.port)],
                                           recursor_timeout="500ms", recursor_strategy="sequential"))
        r = agent.query("www.example.test", "A", timeout=5)
        assert harness.rrset_values(r, "www.example.test.", "A") == ["192.0.2.1"]


@pytest.mark.parametrize("strategy", ["random", "fastest"])
def test_other_strategies_answer(muster, nsd, strategy):
    agent = muster.start(muster.config([udp_uri(closed_port()), udp_uri(nsd.port)],
                                       recursor_strategy=strategy))
    for name in ("www.example.test", "txt.example.test", "mail.example.test"):
        r = agent.query(name, "A", timeout=5)
        assert harness.rcode_text(r) == "NOERROR", f"{strategy}: {r}"


def test_own_listener_as_recursor_is_skipped(muster, nsd):
    cfg = muster.config([])
    own = cfg["ports"]["dns"]
    cfg["recursors"] = [udp_uri(own), udp_uri(nsd.port)]
    agent = muster.start(cfg)
    r = agent.query("www.example.test", "A", timeout=5)
    assert harness.rrset_values(r, "www.example.test.", "A") == ["192.0.2.1"]
    lines = [l for l in agent.log_text().splitlines() if re.search("skip", l, re.I)]
    assert any(f"127.0.0.1:{own}" in l for l in lines), \
        f"no log line says the recursor 127.0.0.1:{own} is skipped:\n{agent.log_text()}"


def test_only_own_listener_as_recursor_does_not_loop(muster):
    cfg = muster.config([])
    own = cfg["ports"]["dns"]
    cfg["recursors"] = [f"127.0.0.1:{own}"]
    agent = muster.start(cfg)
    t0 = time.monotonic()
    r = agent.query("www.example.test", "A", timeout=5)
    assert harness.rcode_text(r) == "SERVFAIL"
    assert time.monotonic() - t0 < harness.scaled(2)
    assert agent.alive()
    r = agent.query("www.example.test", "A", timeout=5)  # still serving, no storm of self-queries
    assert harness.rcode_text(r) == "SERVFAIL"
