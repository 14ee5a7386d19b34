"""Recursion access control (dns_config.allow_recursion): clients outside the allowed CIDRs get
REFUSED for anything that needs recursion, over UDP and TCP, while local records are still
answered to them; allowed clients are served. Clients use 127.0.0.2 as their source address."""

import re

import dns.query
import pytest

import harness
from harness import udp_uri

RECORDS = [{"name": "printer.lan.test", "type": "A", "value": "192.0.2.77", "ttl": 60}]


def start(muster, nsd, allow):
    cfg = muster.config([udp_uri(nsd.port)], allow_recursion=allow)
    cfg["records"] = RECORDS
    return muster.start(cfg)


def status(dig_out: str) -> str:
    m = re.search(r"status: (\w+)", dig_out)
    assert m, f"no answer from muster:\n{dig_out}"
    return m.group(1)


def test_recursion_refused_outside_allow_recursion(muster, nsd):
    agent = start(muster, nsd, ["127.0.0.1/32"])
    out = agent.dig("-b", "127.0.0.2", "www.example.test", "A")
    assert status(out) == "REFUSED"
    assert "192.0.2.1" not in out
    out = agent.dig("-b", "127.0.0.2", "+tcp", "www.example.test", "A")
    assert status(out) == "REFUSED"


def test_local_records_answered_outside_allow_recursion(muster, nsd):
    agent = start(muster, nsd, ["127.0.0.1/32"])
    out = agent.dig("-b", "127.0.0.2", "printer.lan.test", "A")
    assert status(out) == "NOERROR"
    assert re.search(r"^printer\.lan\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.77$", out, re.M)
    r = agent.query("printer.lan.test", source="127.0.0.2")
    assert harness.rrset_values(r, "printer.lan.test.", "A") == ["192.0.2.77"]


def test_allowed_client_gets_recursion(muster, nsd):
    agent = start(muster, nsd, ["127.0.0.1/32"])
    out = agent.dig("-b", "127.0.0.1", "www.example.test", "A")
    assert status(out) == "NOERROR"
    assert re.search(r"^www\.example\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.1$", out, re.M)


def test_refused_answer_is_not_cached_for_allowed_clients(muster, nsd):
    # the REFUSED given to an outsider must not poison what allowed clients get
    agent = start(muster, nsd, ["127.0.0.1/32"])
    r = agent.query("txt.example.test", "TXT", source="127.0.0.2")
    assert harness.rcode_text(r) == "REFUSED"
    r = agent.query("txt.example.test", "TXT", source="127.0.0.1")
    assert harness.rrset_values(r, "txt.example.test.", "TXT") == ['"hello from nsd"']
    # and a cached answer is not leaked to the outsider either
    r = agent.query("txt.example.test", "TXT", source="127.0.0.2")
    assert harness.rcode_text(r) == "REFUSED"
    assert not r.answer


def test_default_allows_the_whole_loopback_net(muster, nsd):
    cfg = muster.config([udp_uri(nsd.port)])  # default 127.0.0.0/8 and ::1
    agent = muster.start(cfg)
    r = agent.query("www.example.test", source="127.0.0.2")
    assert harness.rrset_values(r, "www.example.test.", "A") == ["192.0.2.1"]


def host_address() -> str:
    """An IPv4 address of this host outside 127.0.0.0/8; skips the test when there is none."""
    out = harness.run(["ip", "-4", "-o", "addr", "show", "scope", "global"], check=False).stdout
    for m in re.finditer(r"\binet (\d+\.\d+\.\d+\.\d+)/", out):
        return m.group(1)
    pytest.skip("no non-loopback IPv4 address on this host")


def test_default_refuses_recursion_to_other_hosts(muster, nsd):
    # no open resolver out of the box: listening everywhere, the default ACL still only
    # recurses for loopback clients (issue 15, "no open recursion by default")
    addr = host_address()
    cfg = muster.config([udp_uri(nsd.port)])  # allow_recursion left at its default
    cfg["client_addr"] = "0.0.0.0"
    cfg["records"] = RECORDS
    agent = muster.start(cfg)
    for tcp in (False, True):
        q = harness.make_query("www.example.test", "A")
        ask = dns.query.tcp if tcp else dns.query.udp
        r = ask(q, addr, port=agent.dns_port, source=addr, timeout=harness.scaled(3))
        assert harness.rcode_text(r) == "REFUSED", r
        assert not r.answer
        local = ask(harness.make_query("printer.lan.test", "A"), addr, port=agent.dns_port,
                    source=addr, timeout=harness.scaled(3))
        assert harness.rrset_values(local, "printer.lan.test.", "A") == ["192.0.2.77"]
    r = agent.query("www.example.test", source="127.0.0.1")
    assert harness.rrset_values(r, "www.example.test.", "A") == ["192.0.2.1"]
