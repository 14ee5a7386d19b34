"""EDNS (RFC 6891) and message echo: the OPT record advertises edns_udp_size (1232), answers to
queries without OPT carry none, unknown EDNS versions get BADVERS, and the question is copied
back with its case as sent (0x20 randomisation, query IDs) for local and forwarded answers."""

import dns.flags
import dns.message
import dns.rcode
import pytest

import harness
from harness import dot_uri, udp_uri

RECORDS = [{"name": "alive.lan.test", "type": "A", "value": "192.0.2.99", "ttl": 60}]


@pytest.fixture
def agent(muster, nsd):
    cfg = muster.config([udp_uri(nsd.port)])
    cfg["records"] = RECORDS
    return muster.start(cfg)


@pytest.mark.parametrize("name", ["alive.lan.test", "www.example.test", "nosuch.example.test"])
@pytest.mark.parametrize("payload", [512, 1232, 4096])
def test_opt_advertises_1232(agent, name, payload):
    r = agent.query(name, "A", payload=payload)
    assert r.edns == 0
    assert r.payload == 1232


def test_configured_edns_udp_size_is_advertised(muster, nsd):
    agent = muster.start(muster.config([udp_uri(nsd.port)], edns_udp_size=1400))
    r = agent.query("www.example.test", payload=4096)
    assert r.payload == 1400


@pytest.mark.parametrize("name", ["alive.lan.test", "www.example.test"])
def test_no_opt_without_opt_in_query(agent, name):
    r = agent.query(name, "A", edns=False)
    assert r.rcode() == dns.rcode.NOERROR and r.answer
    assert r.edns == -1, "RFC 6891 §7: no OPT in answers to queries without one"


def test_unknown_edns_version_gets_badvers(agent):
    q = dns.message.make_query("alive.lan.test", "A", use_edns=0, payload=1232)
    wire = bytearray(q.to_wire())
    # dnspython 2.3 writes version 0 whatever use_edns says: set the OPT record's VERSION
    # octet (the 2nd of its TTL, the record ends with TTL(4) RDLEN(2)) by hand.
    assert wire[-11:-8] == b"\x00\x00\x29", "the OPT record must be last, with no options"
    wire[-5] = 1
    r = harness.send_raw_udp(agent.dns_port, bytes(wire), timeout=harness.scaled(3))
    assert r is not None
    resp = dns.message.from_wire(r)
    assert resp.rcode() == dns.rcode.BADVERS  # RFC 6891 §6.1.3
    assert resp.edns == 0
    assert not resp.answer


@pytest.mark.parametrize("name", ["AlIvE.lAn.TeSt", "wWw.ExAmPlE.test"])
def test_question_case_preserved(agent, name):
    for tcp in (False, True):
        r = agent.query(name, "A", tcp=tcp)
        assert r.question[0].name.to_text() == name + ".", f"question came back as {r.question[0].name}"
        assert r.answer, str(r)


def test_question_case_preserved_through_dot_upstream(muster, unbound):
    agent = muster.start(muster.config([dot_uri(unbound)]))
    r = agent.query("wWw.ExAmPlE.test", "A")
    assert r.question[0].name.to_text() == "wWw.ExAmPlE.test."
    assert harness.rrset_values(r, "www.example.test.", "A") == ["192.0.2.1"]


def test_rd_is_copied_and_ra_set(agent):
    r = agent.query("www.example.test", "A", rd=True)
    assert r.flags & dns.flags.RD and r.flags & dns.flags.RA
    r = agent.query("alive.lan.test", "A", rd=False)
    assert not r.flags & dns.flags.RD
