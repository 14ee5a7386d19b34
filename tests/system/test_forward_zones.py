"""Conditional forwarding (dns_config.forward_zones): names inside a zone go to that zone's
servers (plain UDP straight to NSD here) instead of the recursors; the most specific zone wins
whatever the order in the file; matching is by whole labels."""

import pytest

import harness
from harness import BADEXAMPLE_A, SUB_ZONE_A, closed_port, udp_uri


def test_forward_zone_used_instead_of_recursors(muster, nsd):
    # the only recursor is dead: an answer can only come through the forward zone
    cfg = muster.config([udp_uri(closed_port())],
                        forward_zones={"example.test.": [udp_uri(nsd.port)]})
    agent = muster.start(cfg)
    r = agent.query("www.example.test", "A")
    assert harness.rcode_text(r) == "NOERROR"
    assert harness.rrset_values(r, "www.example.test.", "A") == ["192.0.2.1"]
    r = agent.query("nosuch.example.test", "A")
    assert harness.rcode_text(r) == "NXDOMAIN"
    r = agent.query("example.test", "SOA")  # the zone apex itself is inside the zone
    assert harness.rcode_text(r) == "NOERROR" and r.answer


@pytest.mark.parametrize("parent_first", [True, False], ids=["parent-first", "nested-first"])
def test_most_specific_zone_wins(muster, nsd, nsd_sub, parent_first):
    zones = [("example.test.", [udp_uri(nsd.port)]), ("sub.example.test.", [udp_uri(nsd_sub.port)])]
    if not parent_first:
        zones.reverse()
    cfg = muster.config([udp_uri(closed_port())], forward_zones=dict(zones))
    agent = muster.start(cfg)
    # only the second NSD knows host.sub.example.test; the first says NXDOMAIN
    r = agent.query("host.sub.example.test", "A")
    assert harness.rrset_values(r, "host.sub.example.test.", "A") == [SUB_ZONE_A], str(r)
    # and the parent zone still goes to the first NSD
    r = agent.query("www.example.test", "A")
    assert harness.rrset_values(r, "www.example.test.", "A") == ["192.0.2.1"], str(r)


def test_zone_match_is_by_whole_labels(muster, nsd, nsd_sub):
    # badexample.test ends with "example.test" as a string but is not inside example.test:
    # it must go to the recursor (the second NSD, which serves badexample.test; the first
    # NSD would answer REFUSED)
    cfg = muster.config([udp_uri(nsd_sub.port)],
                        forward_zones={"example.test.": [udp_uri(nsd.port)]})
    agent = muster.start(cfg)
    r = agent.query("www.badexample.test", "A")
    assert harness.rrset_values(r, "www.badexample.test.", "A") == [BADEXAMPLE_A], str(r)
    r = agent.query("www.example.test", "A")
    assert harness.rrset_values(r, "www.example.test.", "A") == ["192.0.2.1"], str(r)


def test_zone_names_match_case_insensitively(muster, nsd):
    cfg = muster.config([udp_uri(closed_port())],
                        forward_zones={"Example.TEST.": [udp_uri(nsd.port)]})
    agent = muster.start(cfg)
    r = agent.query("WWW.example.Test", "A")
    assert harness.rrset_values(r, "www.example.test.", "A") == ["192.0.2.1"]
