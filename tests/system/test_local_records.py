"""Local records (config "records") and the hosts file are answered authoritatively (AA set)
without asking the upstream: A, AAAA, CNAME (followed to a local target), PTR, SRV, TXT, MX;
PTR for hosts-file addresses; NODATA (NOERROR, no answer) for a local name without the asked
type, NXDOMAIN only for names that do not exist anywhere."""

import dns.flags
import pytest

import harness
from harness import udp_uri

RECORDS = [
    {"name": "svc1.lan.test", "type": "A", "value": "192.0.2.61", "ttl": 42},
    {"name": "svc1.lan.test", "type": "A", "value": "192.0.2.62", "ttl": 42},
    {"name": "svc1.lan.test", "type": "AAAA", "value": "2001:db8::61", "ttl": 42},
    {"name": "www.lan.test", "type": "CNAME", "value": "svc1.lan.test", "ttl": 42},
    {"name": "61.2.0.192.in-addr.arpa", "type": "PTR", "value": "svc1.lan.test", "ttl": 42},
    {"name": "_http._tcp.lan.test", "type": "SRV", "value": "10 20 8080 svc1.lan.test", "ttl": 42},
    {"name": "info.lan.test", "type": "TXT", "value": "v=muster1 hello", "ttl": 42},
    {"name": "lan.test", "type": "MX", "value": "10 svc1.lan.test", "ttl": 42},
    # inside the upstream's zone: local data wins over what NSD would say
    {"name": "txt.example.test", "type": "TXT", "value": "local override", "ttl": 42},
    {"name": "only-a.example.test", "type": "A", "value": "192.0.2.63", "ttl": 42},
]

HOSTS = """\
# comment line
192.0.2.50   host1.example.test host1-alias.example.test
2001:db8::50 host1.example.test
192.0.2.51   host2.example.test   # trailing comment
"""


@pytest.fixture
def agent(muster, nsd, tmp_path):
    hosts = tmp_path / "hosts"
    hosts.write_text(HOSTS)
    cfg = muster.config([udp_uri(nsd.port)])
    cfg["records"] = RECORDS
    cfg["hosts_file"] = str(hosts)
    return muster.start(cfg)


def authoritative(r):
    return bool(r.flags & dns.flags.AA)


@pytest.mark.parametrize("name,rdtype,expected", [
    ("svc1.lan.test", "A", ["192.0.2.61", "192.0.2.62"]),
    ("svc1.lan.test", "AAAA", ["2001:db8::61"]),
    ("61.2.0.192.in-addr.arpa", "PTR", ["svc1.lan.test."]),
    ("_http._tcp.lan.test", "SRV", ["10 20 8080 svc1.lan.test."]),
    ("info.lan.test", "TXT", ['"v=muster1 hello"']),
    ("lan.test", "MX", ["10 svc1.lan.test."]),
    ("txt.example.test", "TXT", ['"local override"']),
])
def test_local_record_types(agent, name, rdtype, expected):
    for tcp in (False, True):
        r = agent.query(name, rdtype, tcp=tcp)
        assert harness.rcode_text(r) == "NOERROR"
        assert authoritative(r), f"AA not set for local {name} {rdtype}"
        assert harness.rrset_values(r, name + ".", rdtype) == expected
        assert harness.answer_ttl(r, rdtype) == 42


def test_cname_is_followed_to_local_target(agent):
    r = agent.query("www.lan.test", "A")
    assert authoritative(r)
    assert harness.rrset_values(r, "www.lan.test.", "CNAME") == ["svc1.lan.test."]
    assert harness.rrset_values(r, "svc1.lan.test.", "A") == ["192.0.2.61", "192.0.2.62"]
    assert r.answer[0].rdtype == 5, "the CNAME comes first in the answer section"
    r = agent.query("www.lan.test", "CNAME")
    assert harness.rrset_values(r, "www.lan.test.", "CNAME") == ["svc1.lan.test."]


def test_hosts_file_forward_names(agent):
    r = agent.query("host1.example.test", "A")
    assert authoritative(r)
    assert harness.rrset_values(r, "host1.example.test.", "A") == ["192.0.2.50"]
    r = agent.query("host1.example.test", "AAAA")
    assert harness.rrset_values(r, "host1.example.test.", "AAAA") == ["2001:db8::50"]
    r = agent.query("host1-alias.example.test", "A")
    assert harness.rrset_values(r, "host1-alias.example.test.", "A") == ["192.0.2.50"]
    r = agent.query("host2.example.test", "A")
    assert harness.rrset_values(r, "host2.example.test.", "A") == ["192.0.2.51"]


def test_hosts_file_ptr(agent):
    r = agent.query("50.2.0.192.in-addr.arpa", "PTR")
    assert authoritative(r)
    # the first name on the line is the canonical one
    assert harness.rrset_values(r, "50.2.0.192.in-addr.arpa.", "PTR") == ["host1.example.test."]
    v6 = "0.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
    r = agent.query(v6, "PTR")
    assert authoritative(r)
    assert harness.rrset_values(r, v6 + ".", "PTR") == ["host1.example.test."]


def test_nodata_for_local_name_without_that_type(agent):
    # only-a.example.test has an A record locally; NSD knows nothing of it
    r = agent.query("only-a.example.test", "TXT")
    assert harness.rcode_text(r) == "NOERROR", "the name exists: NODATA, not NXDOMAIN"
    assert not r.answer
    assert authoritative(r)
    r = agent.query("host2.example.test", "AAAA")  # hosts file: IPv4 only
    assert harness.rcode_text(r) == "NOERROR"
    assert not r.answer


def test_nxdomain_for_names_that_exist_nowhere(agent):
    r = agent.query("nosuch.example.test", "A")
    assert harness.rcode_text(r) == "NXDOMAIN"
    assert not r.answer
    assert any(rrset.rdtype == 6 for rrset in r.authority), "NXDOMAIN carries the SOA"


def test_local_names_do_not_hide_the_rest_of_the_upstream_zone(agent):
    # local records inside example.test must not turn other example.test names into NXDOMAIN
    r = agent.query("www.example.test", "A")
    assert harness.rrset_values(r, "www.example.test.", "A") == ["192.0.2.1"]


def test_question_case_preserved_for_local_answers(agent):
    r = agent.query("SvC1.LaN.TeSt", "A")
    assert r.question[0].name.to_text() == "SvC1.LaN.TeSt."
    assert harness.rrset_values(r, "svc1.lan.test.", "A") == ["192.0.2.61", "192.0.2.62"]
