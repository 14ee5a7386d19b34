"""Spoof-proof forwarding (RFC 5452, the DNSpooq fixes): a fake upstream answers every query
first with forged replies (from another address, from another port, to another port, with a
wrong ID, not a response, with another name, type or class in the question) and only then with
the real answer. muster must return the real answer, cache none of the forged data, merge
identical outstanding queries into one upstream query and send each query from a random port.
The same ID and question checks are run on a TCP upstream's frames."""

import os
import socket
import struct
import threading
import time

import dns.flags
import pytest
import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset

import harness
from harness import tcp_uri, udp_uri

REAL = "192.0.2.10"
POISON = "203.0.113.66"
ZONE = "spoof.test."


def answer(query: dns.message.Message, *, qid=None, qname=None, rdtype=None, rdclass=None,
           value=REAL, response=True) -> bytes:
    """A reply to `query`, with each header or question field replaceable by a forged one; the
    answer always claims the queried name, as a poisoner would."""
    q = query.question[0]
    m = dns.message.Message(id=query.id if qid is None else qid)
    m.flags = (dns.flags.QR if response else 0) | dns.flags.RD | dns.flags.RA
    m.find_rrset(m.question, dns.name.from_text(qname) if qname else q.name,
                 rdclass or q.rdclass, rdtype or q.rdtype, create=True, force_unique=True)
    if q.rdtype == dns.rdatatype.A:
        m.answer.append(dns.rrset.from_text(q.name, 300, "IN", "A", value))
    return m.to_wire()


def forgeries(query: dns.message.Message) -> list[tuple[str, bytes]]:
    """(what is wrong with it, wire) for every reply that must be ignored, sent from the
    upstream's own address and port to the querying socket."""
    name = query.question[0].name.to_text()
    return [
        ("wrong id", answer(query, qid=(query.id + 1) & 0xFFFF, value=POISON)),
        ("wrong id, high bit", answer(query, qid=query.id ^ 0x8000, value=POISON)),
        ("not a response", answer(query, value=POISON, response=False)),
        ("other name", answer(query, qname="evil." + name, value=POISON)),
        ("other type", answer(query, rdtype=dns.rdatatype.AAAA, value=POISON)),
        ("other class", answer(query, rdclass=dns.rdataclass.CH, value=POISON)),
    ]


class SpoofingUpstream:
    """A UDP upstream on 127.0.0.1:port. For every query it sends, in this order: the real
    answer from 127.0.0.2:port (another address) and from 127.0.0.1:other (another port), the
    real answer to the client's port +-1 (another port of muster's), every forgery above, and
    only then the real answer. Names starting with "slow" are answered after `delay`."""

    def __init__(self, delay: float = 0.5):
        self.port = harness.free_port()
        self.delay = delay
        self.main = self._udp("127.0.0.1", self.port)
        self.other_addr = self._udp("127.0.0.2", self.port)
        self.other_port = self._udp("127.0.0.1", 0)
        self.seen: list[tuple[str, int, int]] = []  # (qname lowercased, qtype, source port)
        self.lock = threading.Lock()
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    @staticmethod
    def _udp(addr: str, port: int) -> socket.socket:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((addr, port))
        return s

    def __enter__(self):
        self.main.settimeout(0.1)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        self.thread.join(5)
        for s in (self.main, self.other_addr, self.other_port):
            s.close()

    def count(self, name: str, rdtype=dns.rdatatype.A) -> int:
        with self.lock:
            return sum(1 for n, t, _ in self.seen if n == name.lower() and t == rdtype)

    def ports(self, suffix: str) -> list[int]:
        """Source ports of the queries for names under `suffix`, in arrival order."""
        with self.lock:
            return [p for n, _, p in self.seen if n.endswith(suffix)]

    def _serve(self):
        while not self.stop_flag.is_set():
            try:
                data, client = self.main.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            query = dns.message.from_wire(data)
            q = query.question[0]
            with self.lock:
                self.seen.append((q.name.to_text().lower(), q.rdtype, client[1]))
            if q.name.labels[0].lower().startswith(b"slow"):
                time.sleep(self.delay)
            self._reply(query, client)

    def _reply(self, query: dns.message.Message, client):
        ip, port = client
        real = answer(query)
        poisoned = answer(query, value=POISON)
        self.other_addr.sendto(poisoned, client)
        self.other_port.sendto(poisoned, client)
        for p in (port - 1, port + 1):
            self.main.sendto(poisoned, (ip, p))
        for _, wire in forgeries(query):
            self.main.sendto(wire, client)
        self.main.sendto(real, client)


def a_values(r: dns.message.Message, name: str) -> list[str]:
    return harness.rrset_values(r, name, "A")


def start(muster, recursor: str, **dns_config):
    return muster.start(muster.config([recursor], **dns_config))


def test_forged_replies_are_ignored_and_the_real_answer_arrives(muster):
    with SpoofingUpstream() as up:
        agent = start(muster, udp_uri(up.port))
        for name in ("www.spoof.test.", "WwW.Mixed.Spoof.Test."):
            r = agent.query(name, "A", timeout=5)
            assert harness.rcode_text(r) == "NOERROR", r
            assert a_values(r, name) == [REAL], r
        out = agent.dig("mail.spoof.test", "A")
        assert REAL in out and POISON not in out, out


def test_forged_data_is_not_cached(muster):
    with SpoofingUpstream() as up:
        agent = start(muster, udp_uri(up.port))
        assert a_values(agent.query("www.spoof.test", "A", timeout=5), "www.spoof.test.") == [REAL]
        # from the cache now: still the real answer, and the upstream was asked once
        for _ in range(3):
            r = agent.query("www.spoof.test", "A", timeout=5)
            assert a_values(r, "www.spoof.test.") == [REAL]
        assert up.count("www.spoof.test.") == 1
        # the names and types the forgeries claimed were not cached either: they go upstream
        r = agent.query("evil.www.spoof.test", "A", timeout=5)
        assert a_values(r, "evil.www.spoof.test.") == [REAL]
        assert up.count("evil.www.spoof.test.") == 1
        r = agent.query("www.spoof.test", "AAAA", timeout=5)
        assert harness.rcode_text(r) == "NOERROR" and not r.answer, r
        assert up.count("www.spoof.test.", dns.rdatatype.AAAA) == 1


@pytest.mark.skipif(os.environ.get("MUSTER_TEST_TIMEOUT_SCALE", "1") != "1",
                    reason="timing: the slowed upstream outlasts the upstream timeout under the "
                           "sanitizers; the forwarder's unit tests cover merging there")
def test_identical_outstanding_queries_are_merged(muster):
    # one worker: merging is per worker thread, and SO_REUSEPORT spreads clients over them
    with SpoofingUpstream(delay=harness.scaled(0.5)) as up:
        agent = start(muster, udp_uri(up.port), workers=1)
        clients = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(4)]
        try:
            queries = [harness.make_query("slow.spoof.test", "A") for _ in clients]
            for s, q in zip(clients, queries):
                s.settimeout(harness.scaled(5))
                s.sendto(q.to_wire(), ("127.0.0.1", agent.dns_port))
            for s, q in zip(clients, queries):
                r = dns.message.from_wire(s.recv(65535))
                assert r.id == q.id
                assert a_values(r, "slow.spoof.test.") == [REAL]
        finally:
            for s in clients:
                s.close()
        assert up.count("slow.spoof.test.") == 1


def local_port_range() -> tuple[int, int]:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low, high = f.read().split()
    return int(low), int(high)


def test_each_query_leaves_from_a_random_port(muster):
    # RFC 5452 §9.2: a fresh socket per query; the kernel picks its port at random from
    # ip_local_port_range (never the same socket, never a sequence)
    with SpoofingUpstream() as up:
        agent = start(muster, udp_uri(up.port))
        names = [f"p{i}.ports.spoof.test" for i in range(16)]
        for name in names:
            assert a_values(agent.query(name, "A", timeout=5), name + ".") == [REAL]
        ports = up.ports(".ports.spoof.test.")
        assert len(ports) == len(names)
        low, high = local_port_range()
        assert all(low <= p <= high for p in ports), (ports, low, high)
        assert len(set(ports)) >= len(ports) - 1, ports  # a repeat now and then is chance
        assert max(ports) - min(ports) > 1000, ports
        steps = sum(1 for a, b in zip(ports, ports[1:]) if abs(b - a) <= 2)
        assert steps <= 1, f"source ports look sequential: {ports}"


class SpoofingTcpUpstream:
    """A TCP upstream on 127.0.0.1:port that writes every forgery above (wrong ID, not a
    response, another name, type or class) on the connection before the real answer."""

    def __init__(self):
        self.port = harness.free_port()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(8)
        self.listener.settimeout(0.1)
        self.queries: list[str] = []  # qnames, lowercased
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        self.thread.join(5)
        self.listener.close()

    def _serve(self):
        while not self.stop_flag.is_set():
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn: socket.socket):
        with conn:
            conn.settimeout(0.2)
            while not self.stop_flag.is_set():
                try:
                    length = struct.unpack("!H", harness.recv_exact(conn, 2))[0]
                    query = dns.message.from_wire(harness.recv_exact(conn, length))
                except socket.timeout:
                    continue
                except (OSError, ConnectionError, struct.error):
                    return
                self.queries.append(query.question[0].name.to_text().lower())
                frames = [wire for _, wire in forgeries(query)] + [answer(query)]
                conn.sendall(b"".join(struct.pack("!H", len(w)) + w for w in frames))


def test_tcp_upstream_forgeries_are_ignored(muster):
    with SpoofingTcpUpstream() as up:
        agent = start(muster, tcp_uri(up.port))
        for name in ("www.spoof.test", "mail.spoof.test"):
            r = agent.query(name, "A", timeout=5)
            assert a_values(r, name + ".") == [REAL], r
        r = agent.query("www.spoof.test", "A", timeout=5)
        assert a_values(r, "www.spoof.test.") == [REAL]
        # the third came from the cache: what was cached is the real answer
        asked = [n for n in up.queries if n.endswith(ZONE)]
        assert asked == ["www.spoof.test.", "mail.spoof.test."]
