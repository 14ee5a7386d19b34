"""The peers the other system tests rely on behave as assumed (no muster needed): NSD serves the
test zones, Unbound serves them over DoT with the test CA's certificate, names are checked, and
Unbound can be killed and restarted on the same port."""

import subprocess

import harness
from harness import BADEXAMPLE_A, BIG_COUNT, DOT_NAME, LOCALHOST, SUB_ZONE_A, run


def dig(port, *args):
    return run(["dig", f"@{LOCALHOST}", "-p", str(port), "+time=2", "+tries=1", *args],
               timeout=15, check=False).stdout


def kdig_tls(port, ca_pem, hostname, *args):
    return run(["kdig", f"@{LOCALHOST}", "-p", str(port), "+time=2", "+retry=0",
                f"+tls-ca={ca_pem}", f"+tls-hostname={hostname}", *args], timeout=15, check=False)


def test_nsd_serves_example_zone(nsd):
    assert dig(nsd.port, "+short", "www.example.test", "A").split() == ["192.0.2.1"]
    assert dig(nsd.port, "+short", "www.example.test", "AAAA").split() == ["2001:db8::1"]
    assert dig(nsd.port, "+short", "txt.example.test", "TXT").strip() == '"hello from nsd"'
    r = harness.dns_query(nsd.port, "short.example.test")
    assert harness.answer_ttl(r) == 2


def test_nsd_negative_answers_carry_soa_minimum(nsd):
    r = harness.dns_query(nsd.port, "nosuch.example.test")
    assert harness.rcode_text(r) == "NXDOMAIN"
    soa = [rr for rr in r.authority if rr.rdtype == 6]
    assert soa and soa[0].ttl == 5 and soa[0][0].minimum == 5
    r = harness.dns_query(nsd.port, "www.example.test", "TXT")
    assert harness.rcode_text(r) == "NOERROR" and not r.answer and r.authority


def test_nsd_truncates_big_name_over_udp(nsd):
    udp = harness.dns_query(nsd.port, "big.example.test", edns=False)
    assert udp.flags & 0x0200  # TC
    tcp = harness.dns_query(nsd.port, "big.example.test", tcp=True, edns=False)
    assert len(harness.rrset_values(tcp, "big.example.test.", "A")) == BIG_COUNT
    edns = harness.dns_query(nsd.port, "big.example.test", payload=1232)
    assert not edns.flags & 0x0200
    assert len(harness.rrset_values(edns, "big.example.test.", "A")) == BIG_COUNT


def test_second_nsd_serves_sub_and_badexample(nsd, nsd_sub):
    assert dig(nsd_sub.port, "+short", "host.sub.example.test").split() == [SUB_ZONE_A]
    assert dig(nsd_sub.port, "+short", "www.badexample.test").split() == [BADEXAMPLE_A]
    # the parent server knows nothing of the sub zone: the answers tell the servers apart
    assert "status: NXDOMAIN" in dig(nsd.port, "host.sub.example.test")


def test_unbound_dot_answers_with_verified_name(unbound, ca):
    res = kdig_tls(unbound.port, ca.pem, DOT_NAME, "www.example.test", "A")
    assert res.returncode == 0, res.stderr
    assert "TLS session" in res.stdout
    assert "192.0.2.1" in res.stdout


def test_unbound_dot_rejected_for_other_name(unbound_wrong_name, ca):
    res = kdig_tls(unbound_wrong_name.port, ca.pem, DOT_NAME, "www.example.test", "A")
    assert res.returncode != 0
    assert "192.0.2.1" not in res.stdout
    assert "certificate" in (res.stdout + res.stderr).lower()


def test_unbound_killed_and_restarted_on_same_port(unbound, ca):
    port = unbound.port
    unbound.kill()
    res = kdig_tls(port, ca.pem, DOT_NAME, "www.example.test", "A")
    assert res.returncode != 0 and "192.0.2.1" not in res.stdout
    unbound.start()
    assert unbound.port == port
    res = kdig_tls(port, ca.pem, DOT_NAME, "www.example.test", "A")
    assert res.returncode == 0 and "192.0.2.1" in res.stdout


def test_free_ports_are_distinct_and_bindable():
    import socket
    ports = {harness.free_port() for _ in range(20)}
    assert len(ports) == 20
    for p in list(ports)[:3]:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u, \
             socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            u.bind((LOCALHOST, p))
            t.bind((LOCALHOST, p))


def test_no_peer_outlives_its_fixture(tmp_path, dot_cert, nsd):
    server = harness.UnboundDoT(tmp_path / "u", dot_cert, {"example.test.": nsd.port}).start()
    pid = server.proc.pid
    server.kill()
    assert subprocess.run(["kill", "-0", str(pid)], capture_output=True).returncode != 0
