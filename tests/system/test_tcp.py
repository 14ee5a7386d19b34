"""DNS over TCP (RFC 7766): several queries pipelined on one connection are all answered, in any
order, each matched by ID; idle connections are closed after tcp_idle_timeout."""

import socket
import time

import dns.message
import dns.rcode

import harness
from harness import LOCALHOST, udp_uri

LOCAL = [
    {"name": "one.lan.test", "type": "A", "value": "192.0.2.101", "ttl": 60},
    {"name": "two.lan.test", "type": "A", "value": "192.0.2.102", "ttl": 60},
    {"name": "two.lan.test", "type": "TXT", "value": "second", "ttl": 60},
]


def framed(msg: dns.message.Message) -> bytes:
    wire = msg.to_wire()
    return len(wire).to_bytes(2, "big") + wire


def start(muster, nsd, **dns_config):
    cfg = muster.config([udp_uri(nsd.port)], **dns_config)
    cfg["records"] = LOCAL
    return muster.start(cfg)


def test_pipelined_queries_are_all_answered(muster, nsd):
    agent = start(muster, nsd)
    wanted = {  # id -> (name, type, expected answer)
        101: ("one.lan.test", "A", ["192.0.2.101"]),
        102: ("www.example.test", "A", ["192.0.2.1"]),
        103: ("two.lan.test", "TXT", ['"second"']),
        104: ("www.example.test", "AAAA", ["2001:db8::1"]),
        105: ("two.lan.test", "A", ["192.0.2.102"]),
        106: ("txt.example.test", "TXT", ['"hello from nsd"']),
        107: ("big.example.test", "A", None),
        108: ("nosuch.example.test", "A", []),
    }
    batch = b"".join(framed(harness.make_query(n, t, qid=i)) for i, (n, t, _) in wanted.items())
    with socket.create_connection((LOCALHOST, agent.dns_port), timeout=harness.scaled(5)) as s:
        s.sendall(batch)  # every query written before any answer is read
        answers = {}
        for _ in wanted:
            r = dns.message.from_wire(harness.tcp_read_message(s))
            assert r.id in wanted, f"unexpected id {r.id}"
            assert r.id not in answers, f"id {r.id} answered twice"
            answers[r.id] = r
    assert set(answers) == set(wanted)
    for qid, (name, rdtype, expected) in wanted.items():
        r = answers[qid]
        assert r.question[0].name.to_text() == name + ".", f"id {qid} answers another question"
        if expected is None:
            assert len(harness.rrset_values(r, name + ".", rdtype)) == harness.BIG_COUNT
        elif expected == []:
            assert r.rcode() == dns.rcode.NXDOMAIN
        else:
            assert harness.rrset_values(r, name + ".", rdtype) == expected


def test_pipelined_queries_split_across_writes(muster, nsd):
    # a message split at odd places (inside the length prefix and the body) is reassembled
    agent = start(muster, nsd)
    data = framed(harness.make_query("one.lan.test", "A", qid=1)) + \
        framed(harness.make_query("two.lan.test", "A", qid=2))
    with socket.create_connection((LOCALHOST, agent.dns_port), timeout=harness.scaled(5)) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for piece in (data[:1], data[1:9], data[9:40], data[40:]):
            s.sendall(piece)
            time.sleep(0.05)
        got = {}
        for _ in range(2):
            r = dns.message.from_wire(harness.tcp_read_message(s))
            got[r.id] = harness.rrset_values(r, r.question[0].name.to_text(), "A")
    assert got == {1: ["192.0.2.101"], 2: ["192.0.2.102"]}


def test_connection_stays_open_between_queries(muster, nsd):
    agent = start(muster, nsd)
    with socket.create_connection((LOCALHOST, agent.dns_port), timeout=harness.scaled(5)) as s:
        for i in range(5):
            s.sendall(framed(harness.make_query("one.lan.test", "A", qid=500 + i)))
            r = dns.message.from_wire(harness.tcp_read_message(s))
            assert r.id == 500 + i
            assert harness.rrset_values(r, "one.lan.test.", "A") == ["192.0.2.101"]


def test_idle_connection_is_closed_after_tcp_idle_timeout(muster, nsd):
    agent = start(muster, nsd, tcp_idle_timeout="1s")
    with socket.create_connection((LOCALHOST, agent.dns_port), timeout=harness.scaled(5)) as s:
        s.sendall(framed(harness.make_query("one.lan.test", "A", qid=7)))
        r = dns.message.from_wire(harness.tcp_read_message(s))
        assert r.id == 7
        t0 = time.monotonic()
        s.settimeout(harness.scaled(6))
        try:
            rest = s.recv(100)
        except ConnectionResetError:
            rest = b""
        waited = time.monotonic() - t0
    assert rest == b"", "nothing more may arrive on an idle connection"
    assert 0.5 <= waited <= harness.scaled(4), f"closed after {waited:.2f}s, idle timeout is 1s"


def test_connections_over_the_limit_are_closed(muster, nsd):
    """dns_config.tcp_max_connections: past the limit new connections are closed at once
    (RFC 7766 §6.2.2) while the open ones keep working."""
    agent = start(muster, nsd, workers=1, tcp_max_connections=2)
    q = harness.make_query("one.lan.test", "A")
    held = []
    try:
        for _ in range(2):
            s = socket.create_connection((LOCALHOST, agent.dns_port), timeout=harness.scaled(3))
            s.sendall(framed(q))
            r = dns.message.from_wire(harness.tcp_read_message(s))
            assert harness.rrset_values(r, "one.lan.test.", "A") == ["192.0.2.101"]
            held.append(s)
        extra = socket.create_connection((LOCALHOST, agent.dns_port), timeout=harness.scaled(3))
        held.append(extra)
        try:
            extra.sendall(framed(q))
            data = extra.recv(2)
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        assert data == b"", "a connection over the limit must be closed, not served"
        # the first two still work
        held[0].sendall(framed(q))
        r = dns.message.from_wire(harness.tcp_read_message(held[0]))
        assert r.rcode() == dns.rcode.NOERROR
    finally:
        for s in held:
            s.close()
