"""Listening on the wildcard address (client_addr 0.0.0.0): a UDP answer leaves from the address
the query was sent to (IP_PKTINFO), as a client checks the source of the reply. Without it a
multi-homed host answers from the wrong address and the client drops the reply."""

import socket

import dns.message
import dns.query

import harness

RECORDS = [{"name": "printer.lan.test", "type": "A", "value": "192.0.2.77", "ttl": 60}]


def test_udp_answer_comes_from_the_queried_address(muster, nsd):
    cfg = muster.config([harness.udp_uri(nsd.port)])
    cfg["client_addr"] = "0.0.0.0"
    cfg["records"] = RECORDS
    agent = muster.start(cfg)
    for dest in ("127.0.0.1", "127.0.0.2", "127.0.0.53"):
        q = harness.make_query("printer.lan.test", "A")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(harness.scaled(3))
            s.sendto(q.to_wire(), (dest, agent.dns_port))
            data, source = s.recvfrom(65535)
        assert source == (dest, agent.dns_port), f"answer to {dest} came from {source}"
        r = dns.message.from_wire(data)
        assert r.id == q.id
        assert harness.rrset_values(r, "printer.lan.test.", "A") == ["192.0.2.77"]


def test_tcp_on_the_wildcard_address(muster, nsd):
    cfg = muster.config([harness.udp_uri(nsd.port)])
    cfg["client_addr"] = "0.0.0.0"
    cfg["records"] = RECORDS
    agent = muster.start(cfg)
    q = harness.make_query("printer.lan.test", "A")
    r = dns.query.tcp(q, "127.0.0.2", port=agent.dns_port, timeout=harness.scaled(3))
    assert harness.rrset_values(r, "printer.lan.test.", "A") == ["192.0.2.77"]
