"""Malformed and unsupported queries: FORMERR for packets that do not parse or carry two
questions, NOTIMP for opcodes other than QUERY (STATUS, NOTIFY), nothing at all for responses
(QR set) and runts; the server keeps answering afterwards."""

import os
import socket
import struct

import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import pytest

import harness
from harness import LOCALHOST

RECORDS = [{"name": "alive.lan.test", "type": "A", "value": "192.0.2.99", "ttl": 60}]


@pytest.fixture
def agent(muster):
    cfg = muster.config([harness.udp_uri(harness.closed_port())])
    cfg["records"] = RECORDS
    return muster.start(cfg)


def still_answers(agent):
    r = agent.query("alive.lan.test", "A")
    assert harness.rrset_values(r, "alive.lan.test.", "A") == ["192.0.2.99"]
    assert agent.alive()


def header(qid, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def question(name, rdtype=1):
    wire = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\x00"
    return wire + struct.pack("!HH", rdtype, 1)


def reply_to(agent, payload, timeout=2.0):
    return harness.send_raw_udp(agent.dns_port, payload, timeout=harness.scaled(timeout))


def parse_header(wire):
    qid, flags = struct.unpack("!HH", wire[:4])
    return qid, flags


@pytest.mark.parametrize("body", [
    pytest.param(b"\x3fabc", id="label-runs-past-end"),
    pytest.param(b"\x03www\x07example", id="name-without-root"),
    pytest.param(b"\xc0\x0c\x00\x01\x00\x01", id="compression-pointer-loop"),
    pytest.param(b"\x03www\x00\x00", id="short-qtype"),
    pytest.param(b"\x80abc\x00\x00\x01\x00\x01", id="bad-label-type"),
])
def test_garbage_question_gets_formerr(agent, body):
    wire = reply_to(agent, header(0x4d55) + body)
    assert wire is not None, "a packet with a readable header gets FORMERR, not silence"
    qid, flags = parse_header(wire)
    assert qid == 0x4d55
    assert flags & 0x8000, "QR set"
    assert flags & 0x000F == dns.rcode.FORMERR
    still_answers(agent)


def test_two_questions_get_formerr(agent):
    wire = reply_to(agent, header(0x2222, qd=2) + question("alive.lan.test") + question("www.lan.test"))
    assert wire is not None
    qid, flags = parse_header(wire)
    assert qid == 0x2222 and flags & 0x000F == dns.rcode.FORMERR
    still_answers(agent)


def test_counts_beyond_the_packet_get_formerr(agent):
    wire = reply_to(agent, header(0x3333, ar=5) + question("alive.lan.test"))
    assert wire is not None
    qid, flags = parse_header(wire)
    assert qid == 0x3333 and flags & 0x000F == dns.rcode.FORMERR
    still_answers(agent)


def test_random_garbage_never_kills_the_server(agent):
    rng = os.urandom
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for i in range(300):
            s.sendto(rng(1 + i % 200), (LOCALHOST, agent.dns_port))
    still_answers(agent)


def test_runt_packet_is_ignored(agent):
    assert reply_to(agent, b"\x12\x34\x01", timeout=0.7) is None
    still_answers(agent)


def test_responses_are_never_answered(agent):
    # QR=1: answering would let two servers ping-pong forever
    assert reply_to(agent, header(0x5555, flags=0x8180) + question("alive.lan.test"), timeout=0.7) is None
    still_answers(agent)


@pytest.mark.parametrize("opcode,qtype", [(dns.opcode.STATUS, 1), (dns.opcode.NOTIFY, 6),
                                          (dns.opcode.UPDATE, 6)], ids=["STATUS", "NOTIFY", "UPDATE"])
def test_unsupported_opcodes_get_notimp(agent, opcode, qtype):
    qid = 0x6000 + opcode
    flags = (opcode << 11)  # QR=0, RD=0
    wire = reply_to(agent, header(qid, flags=flags) + question("alive.lan.test", qtype))
    assert wire is not None
    # parsed by hand: dnspython would parse an UPDATE reply's sections as zone/prereq/update
    rid, rflags = parse_header(wire)
    ancount = struct.unpack("!H", wire[6:8])[0]
    assert rid == qid
    assert rflags & 0x8000, "QR set"
    assert rflags & 0x000F == dns.rcode.NOTIMP
    assert (rflags >> 11) & 0xF == opcode, "RFC 1035 §4.1.1: the opcode is copied into the response"
    assert ancount == 0
    still_answers(agent)


def test_formerr_over_tcp_keeps_server_up(agent):
    msg = header(0x7777, qd=2) + question("alive.lan.test") + question("www.lan.test")
    with socket.create_connection((LOCALHOST, agent.dns_port), timeout=harness.scaled(3)) as s:
        s.sendall(len(msg).to_bytes(2, "big") + msg)
        try:
            wire = harness.tcp_read_message(s)
            qid, flags = parse_header(wire)
            assert qid == 0x7777 and flags & 0x000F == dns.rcode.FORMERR
        except ConnectionError:
            pass  # closing the connection is an acceptable answer to garbage on TCP
    still_answers(agent)
