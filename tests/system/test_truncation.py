"""Truncation (RFC 1035 §4.2.1, RFC 6891 §7): an answer larger than the client's UDP limit (512
without EDNS, its advertised size otherwise, at most edns_udp_size 1232) is sent with TC set and
fits the limit; the same query over TCP carries every record. Holds for forwarded answers
(big.example.test: 40 A records, ~700 bytes) and for local records."""

import re

import dns.flags
import dns.message
import pytest

import harness
from harness import BIG_COUNT, dot_uri, udp_uri

BIG_TXT = [{"name": "bigtxt.lan.test", "type": "TXT", "value": f"{i:02d}-" + "x" * 200, "ttl": 60}
           for i in range(10)]  # ~2.1 kB: more than 512 and more than 1232


@pytest.fixture(params=["udp-nsd", "dot-unbound"])
def agent(request, muster, nsd):
    if request.param == "udp-nsd":
        recursors = [udp_uri(nsd.port)]
    else:
        recursors = [dot_uri(request.getfixturevalue("unbound"))]
    cfg = muster.config(recursors)
    cfg["records"] = BIG_TXT
    return muster.start(cfg)


def raw_udp(agent, name, rdtype, **qopts):
    wire = harness.send_raw_udp(agent.dns_port, harness.make_query(name, rdtype, **qopts).to_wire(),
                                timeout=harness.scaled(3))
    assert wire is not None, "no UDP answer"
    return wire, dns.message.from_wire(wire)


def test_big_forwarded_answer_truncated_for_512_byte_client(agent):
    wire, r = raw_udp(agent, "big.example.test", "A", edns=False)
    assert r.flags & dns.flags.TC
    assert len(wire) <= 512
    assert r.edns < 0, "no OPT in answers to queries without one"


def test_big_forwarded_answer_complete_over_tcp(agent):
    r = agent.query("big.example.test", "A", tcp=True, edns=False)
    assert not r.flags & dns.flags.TC
    assert len(harness.rrset_values(r, "big.example.test.", "A")) == BIG_COUNT


def test_big_forwarded_answer_fits_edns_1232(agent):
    wire, r = raw_udp(agent, "big.example.test", "A", payload=1232)
    assert not r.flags & dns.flags.TC
    assert len(harness.rrset_values(r, "big.example.test.", "A")) == BIG_COUNT


def test_dig_retries_over_tcp_after_tc(agent):
    out = agent.dig("+noedns", "big.example.test", "A")
    assert "Truncated, retrying in TCP mode" in out
    assert len(re.findall(r"^big\.example\.test\.\s+\d+\s+IN\s+A\s+10\.0\.0\.\d+$", out, re.M)) == BIG_COUNT


def test_big_local_rrset_truncated_over_udp(agent):
    for qopts, limit in (({"edns": False}, 512), ({"payload": 1232}, 1232), ({"payload": 4096}, 1232)):
        wire, r = raw_udp(agent, "bigtxt.lan.test", "TXT", **qopts)
        assert r.flags & dns.flags.TC, f"no TC with {qopts}"
        assert len(wire) <= limit, f"{len(wire)} bytes for a client with {qopts}"


def test_big_local_rrset_complete_over_tcp(agent):
    r = agent.query("bigtxt.lan.test", "TXT", tcp=True)
    assert not r.flags & dns.flags.TC
    values = harness.rrset_values(r, "bigtxt.lan.test.", "TXT")
    assert len(values) == 10
    assert values[0].startswith('"00-xxxx') and values[-1].startswith('"09-xxxx')
