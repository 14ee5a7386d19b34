"""Runtime control of the answer cache: `muster cache stats` shows what the cache holds and how
often it answered; `muster cache flush NAME` sends the next query for that name (every type)
upstream again but no other; `--zone` does the same for a name and everything below it;
`muster cache flush` empties it. The same through PUT /v1/agent/cache/flush and
GET /v1/agent/cache/stats, with 400 for a bad name and 405 for a wrong method. A counting
upstream proves which answers came from the cache."""

import collections
import json
import socket
import threading

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

import harness
from harness import udp_uri

ZONE = "cache.test."


class CountingUpstream:
    """A UDP upstream on 127.0.0.1 that answers A and AAAA queries for names under ZONE (TTL 300)
    and refuses the rest (refusals are not cached); counts the queries per (name, type)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", harness.free_port()))
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.1)
        self.seen = collections.Counter()
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join(5)
        self.sock.close()

    def count(self, name: str, rdtype="A") -> int:
        with self.lock:
            return self.seen[(name.lower().rstrip(".") + ".", dns.rdatatype.from_text(rdtype))]

    def _serve(self):
        while not self.done.is_set():
            try:
                data, client = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            query = dns.message.from_wire(data)
            q = query.question[0]
            name = q.name.to_text().lower()
            with self.lock:
                self.seen[(name, q.rdtype)] += 1
            reply = dns.message.make_response(query)
            reply.flags |= dns.flags.RA
            if not name.endswith(ZONE) or q.rdtype not in (dns.rdatatype.A, dns.rdatatype.AAAA):
                reply.set_rcode(dns.rcode.REFUSED)
            elif q.rdtype == dns.rdatatype.A:
                reply.answer.append(dns.rrset.from_text(q.name, 300, "IN", "A", "192.0.2.7"))
            else:
                reply.answer.append(dns.rrset.from_text(q.name, 300, "IN", "AAAA", "2001:db8::7"))
            self.sock.sendto(reply.to_wire(), client)


def start(muster, upstream):
    cfg = muster.config([udp_uri(upstream.port)], cache={"prefetch": False, "size": 500})
    return muster.start(cfg)


def cli(agent, *args):
    return harness.run_muster(["cache", *args], env={"MUSTER_HTTP_ADDR": agent.http_addr})


def fill(agent, upstream, *questions):
    """Asks each (name, type) twice: one upstream query, then a cache hit."""
    for name, rdtype in questions:
        for _ in range(2):
            r = agent.query(name, rdtype)
            assert harness.rcode_text(r) == "NOERROR", r
        assert upstream.count(name, rdtype) == 1, f"{name} {rdtype} was not answered from the cache"


def stats(agent) -> dict:
    res = cli(agent, "stats", "-format=json")
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_stats_show_entries_and_hits(muster):
    with CountingUpstream() as up:
        agent = start(muster, up)
        before = stats(agent)
        assert before["Entries"] == 0
        assert before["Capacity"] == 500
        fill(agent, up, ("www.cache.test", "A"), ("www.cache.test", "AAAA"))
        after = stats(agent)
        assert after["Entries"] == 2
        assert after["Hits"] - before["Hits"] == 2
        assert after["Misses"] - before["Misses"] == 2
        assert after["Inserts"] - before["Inserts"] == 2
        assert after["Evictions"] == 0

        table = cli(agent, "stats")
        assert table.returncode == 0, table.stderr
        rows = dict(line.rsplit(None, 1) for line in table.stdout.splitlines())
        assert rows["Entries"] == "2"
        assert rows["Capacity"] == "500"
        assert rows["Hits"] == str(after["Hits"])
        assert set(rows) >= {"Misses", "Stale served", "Inserts", "Evictions", "Prefetches"}


def test_flush_name_sends_only_that_name_upstream_again(muster):
    with CountingUpstream() as up:
        agent = start(muster, up)
        fill(agent, up, ("www.cache.test", "A"), ("www.cache.test", "AAAA"),
             ("other.cache.test", "A"), ("sub.www.cache.test", "A"))
        res = cli(agent, "flush", "WWW.Cache.Test")
        assert res.returncode == 0, res.stderr
        assert res.stdout.strip() == "Removed 2 cache entries for www.cache.test."
        agent.query("www.cache.test", "A")
        agent.query("www.cache.test", "AAAA")
        agent.query("other.cache.test", "A")
        agent.query("sub.www.cache.test", "A")
        assert up.count("www.cache.test", "A") == 2
        assert up.count("www.cache.test", "AAAA") == 2
        assert up.count("other.cache.test", "A") == 1, "another name was flushed too"
        assert up.count("sub.www.cache.test", "A") == 1, "a name below was flushed too"


def test_flush_zone_removes_the_name_and_everything_below(muster):
    with CountingUpstream() as up:
        agent = start(muster, up)
        inside = [("sub.cache.test", "A"), ("a.sub.cache.test", "A"),
                  ("b.a.sub.cache.test", "AAAA")]
        outside = [("notsub.cache.test", "A"), ("cache.test", "A")]
        fill(agent, up, *inside, *outside)
        res = cli(agent, "flush", "--zone", "sub.cache.test.")
        assert res.returncode == 0, res.stderr
        assert res.stdout.strip() == "Removed 3 cache entries at or below sub.cache.test."
        for name, rdtype in inside + outside:
            agent.query(name, rdtype)
        for name, rdtype in inside:
            assert up.count(name, rdtype) == 2, f"{name} {rdtype} still cached"
        for name, rdtype in outside:
            assert up.count(name, rdtype) == 1, f"{name} {rdtype} flushed though outside"


def test_flush_empties_the_cache(muster):
    with CountingUpstream() as up:
        agent = start(muster, up)
        fill(agent, up, ("one.cache.test", "A"), ("two.cache.test", "A"))
        res = cli(agent, "flush")
        assert res.returncode == 0, res.stderr
        assert res.stdout.strip() == "Removed 2 cache entries (the whole cache)"
        assert stats(agent)["Entries"] == 0
        agent.query("one.cache.test")
        agent.query("two.cache.test")
        assert up.count("one.cache.test") == 2
        assert up.count("two.cache.test") == 2


def test_api_flush_and_stats(muster):
    with CountingUpstream() as up:
        agent = start(muster, up)
        fill(agent, up, ("www.cache.test", "A"))
        body = agent.api_ok("PUT", "/v1/agent/cache/flush?name=WWW.cache.test")
        assert body == {"Removed": 1, "Name": "www.cache.test."}
        assert agent.api_ok("PUT", "/v1/agent/cache/flush?zone=cache.test") == {
            "Removed": 0, "Zone": "cache.test."}
        assert agent.api_ok("GET", "/v1/agent/cache/stats")["Entries"] == 0

        bad = agent.api("PUT", "/v1/agent/cache/flush?name=a..cache.test")
        assert bad.status == 400
        assert "?name=" in bad.text and "expected a domain name" in bad.text
        both = agent.api("PUT", "/v1/agent/cache/flush?name=a.test&zone=test")
        assert both.status == 400 and "not both" in both.text
        get_flush = agent.api("GET", "/v1/agent/cache/flush")
        assert get_flush.status == 405 and get_flush.header("Allow") == "PUT"
        put_stats = agent.api("PUT", "/v1/agent/cache/stats")
        assert put_stats.status == 405 and put_stats.header("Allow") == "GET, HEAD"


def test_bad_usage_exits_2():
    # The agent address is closed: a usage error must be found before any request.
    env = {"MUSTER_HTTP_ADDR": f"http://127.0.0.1:{harness.closed_port()}"}
    for args in (["cache"], ["cache", "purge"], ["cache", "flush", "a.test", "b.test"],
                 ["cache", "flush", "--zone"], ["cache", "flush", "--bogus", "a.test"],
                 ["cache", "flush", "a..test"], ["cache", "stats", "-format=xml"],
                 ["cache", "stats", "extra"]):
        res = harness.run_muster(args, env=env)
        assert res.returncode == 2, f"{args}: {res.returncode}\n{res.stderr}"
        assert "usage: muster cache flush" in res.stderr, args
    res = harness.run_muster(["cache", "flush", "a..test"], env=env)
    assert "expected a domain name" in res.stderr


def test_unreachable_agent_exits_1():
    env = {"MUSTER_HTTP_ADDR": f"http://127.0.0.1:{harness.closed_port()}"}
    for args in (["cache", "stats"], ["cache", "flush"], ["cache", "flush", "--zone", "a.test"]):
        res = harness.run_muster(args, env=env)
        assert res.returncode == 1, f"{args}: {res.returncode}\n{res.stderr}"
        assert "cannot reach the agent" in res.stderr
