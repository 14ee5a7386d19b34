"""Forwarding over DNS-over-TLS (RFC 7858): answers come from the Unbound DoT upstream through
muster; an upstream whose certificate does not carry the configured name, or is not signed by a
trusted CA, is never used (SERVFAIL, and the log says why)."""

import harness
from harness import dot_uri


def test_a_record_through_dot_upstream(muster, unbound):
    agent = muster.start(muster.config([dot_uri(unbound)]))
    r = agent.query("www.example.test", "A")
    assert harness.rcode_text(r) == "NOERROR"
    assert harness.rrset_values(r, "www.example.test.", "A") == ["192.0.2.1"]
    assert r.flags & 0x0080, "RA must be set on recursive answers"
    assert not r.flags & 0x0400, "forwarded answers are not authoritative (AA clear)"


def test_other_types_and_tcp_clients_through_dot(muster, unbound):
    agent = muster.start(muster.config([dot_uri(unbound)]))
    r = agent.query("www.example.test", "AAAA")
    assert harness.rrset_values(r, "www.example.test.", "AAAA") == ["2001:db8::1"]
    r = agent.query("txt.example.test", "TXT", tcp=True)
    assert harness.rrset_values(r, "txt.example.test.", "TXT") == ['"hello from nsd"']
    r = agent.query("alias.example.test", "A")
    assert harness.rrset_values(r, "alias.example.test.", "CNAME") == ["www.example.test."]
    assert harness.rrset_values(r, "www.example.test.", "A") == ["192.0.2.1"]


def test_many_queries_reuse_the_upstream(muster, unbound):
    # sequential and concurrent queries all answered (connection reuse must not drop any)
    agent = muster.start(muster.config([dot_uri(unbound)]))
    for i in range(20):
        r = agent.query("www.example.test" if i % 2 else "txt.example.test",
                        "A" if i % 2 else "TXT")
        assert harness.rcode_text(r) == "NOERROR" and r.answer


def test_upstream_with_certificate_for_other_name_is_refused(muster, unbound_wrong_name):
    agent = muster.start(muster.config([dot_uri(unbound_wrong_name)]))
    r = agent.query("www.example.test", "A", timeout=5)
    assert harness.rcode_text(r) == "SERVFAIL"
    assert not r.answer
    agent.wait_log(lambda t: "certificate" in t.lower(), timeout=5,
                   what="a log line about the certificate")


def test_upstream_with_untrusted_ca_is_refused(muster, unbound):
    # no tls.ca_file: the system bundle does not know the test CA
    agent = muster.start(muster.config([dot_uri(unbound)], ca_file=False))
    r = agent.query("www.example.test", "A", timeout=5)
    assert harness.rcode_text(r) == "SERVFAIL"
    assert not r.answer
    agent.wait_log(lambda t: "certificate" in t.lower(), timeout=5,
                   what="a log line about the certificate")


def test_same_upstream_is_used_with_the_name_its_certificate_carries(muster, unbound_wrong_name):
    # the counterpart of the refusal above: the upstream is fine, only the name mattered
    # (RFC 7858 §4.2, RFC 8310 §8: the authentication name is what is checked)
    agent2 = muster.start(muster.config([dot_uri(unbound_wrong_name, "other.test")]))
    r = agent2.query("txt.example.test", "TXT", timeout=5)
    assert harness.rrset_values(r, "txt.example.test.", "TXT") == ['"hello from nsd"']
