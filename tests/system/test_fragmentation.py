"""RFC 9715: muster never fragments a UDP answer. With edns_udp_size raised to 4096 and a link
whose MTU is smaller than the answer (loopback at MTU 1280 in a network namespace of the test's
own), a 2.2 kB answer cannot leave whole: the client gets the question and the OPT record with
TC set, and its TCP retry gets every record. IPv4 and IPv6 alike. Before, the kernel split the
answer into IP fragments, which middleboxes drop and off-path attackers can forge."""

import os
import re
import shutil
import subprocess

import pytest

import harness
from harness import Muster

BIG_TXT = [{"name": "bigtxt.lan.test", "type": "TXT", "value": f"{i:02d}-" + "x" * 200, "ttl": 60}
           for i in range(10)]  # 2,204 bytes with EDNS: above 1280, below 4096
MID_TXT = [{"name": "midtxt.lan.test", "type": "TXT", "value": f"{i:02d}-" + "x" * 200, "ttl": 60}
           for i in range(4)]  # about 900 bytes: above 512, below 1280

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("ip"),
                                reason="needs root and iproute2 for a network namespace")


@pytest.fixture
def netns():
    name = f"muster-mtu-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "mtu", "1280", "up"],
                       check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def ns_dig(ns: str, *args: str) -> str:
    out = subprocess.run(["ip", "netns", "exec", ns, "dig", "+time=2", "+tries=1", *args],
                         capture_output=True, text=True, timeout=harness.scaled(10))
    return out.stdout


def start_in(muster, netns: str, cfg: dict, probe: str) -> str:
    """Starts an agent inside the namespace; returns its DNS port once it answers probe."""
    agent = muster.create(cfg)
    agent.argv = lambda: ["ip", "netns", "exec", netns, *Muster.argv(agent)]
    agent.start(wait=False)
    port = str(agent.dns_port)
    harness.wait_until(lambda: "status: NOERROR" in ns_dig(netns, "-p", port, "@127.0.0.1", probe,
                                                            "TXT", "+tcp"),
                       harness.scaled(20), 0.1, "muster in the network namespace")
    return port


@pytest.fixture
def agent(muster, netns):
    cfg = muster.config(edns_udp_size=4096)
    cfg["records"] = BIG_TXT + MID_TXT
    cfg["addresses"] = {"dns": "127.0.0.1 ::1"}
    return None, netns, start_in(muster, netns, cfg, "bigtxt.lan.test")


@pytest.mark.parametrize("server", ["127.0.0.1", "::1"])
def test_answer_above_the_link_mtu_is_truncated_not_fragmented(agent, server):
    _, ns, port = agent
    out = ns_dig(ns, "+bufsize=4096", "+ignore", "-p", port, f"@{server}", "bigtxt.lan.test", "TXT")
    assert re.search(r"^;; flags: qr aa tc rd", out, re.M), out
    assert "ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 1" in out, out  # the question and OPT only
    assert "udp: 4096" in out, out
    size = int(re.search(r"MSG SIZE\s+rcvd: (\d+)", out).group(1))
    assert size < 1280 - 48, out


@pytest.mark.parametrize("server", ["127.0.0.1", "::1"])
def test_dig_gets_every_record_over_tcp_after_tc(agent, server):
    _, ns, port = agent
    out = ns_dig(ns, "+bufsize=4096", "-p", port, f"@{server}", "bigtxt.lan.test", "TXT")
    assert "Truncated, retrying in TCP mode" in out, out
    assert len(re.findall(r"^bigtxt\.lan\.test\.\s+\d+\s+IN\s+TXT\s", out, re.M)) == len(BIG_TXT), out


@pytest.mark.parametrize("server", ["127.0.0.1", "::1"])
def test_answer_that_fits_the_link_comes_whole_over_udp(agent, server):
    _, ns, port = agent
    out = ns_dig(ns, "+bufsize=4096", "+ignore", "-p", port, f"@{server}", "midtxt.lan.test", "TXT")
    assert re.search(r"^;; flags: qr aa rd", out, re.M), out  # no tc
    assert len(re.findall(r"^midtxt\.lan\.test\.\s+\d+\s+IN\s+TXT\s", out, re.M)) == len(MID_TXT), out


def test_forwarded_answer_above_the_link_mtu_is_truncated_not_fragmented(muster, netns):
    # Forwarded answers leave later, in their own batch (UdpListener::send_late). The upstream,
    # a second agent in the namespace, answers TC itself; the first retries over TCP, then
    # cannot send the 2.2 kB answer to its UDP client whole.
    up = muster.config(edns_udp_size=4096)
    up["records"] = [dict(r, name="fwdtxt.up.test") for r in BIG_TXT] + [
        {"name": "probe.up.test", "type": "TXT", "value": "ready", "ttl": 60}]
    up_port = start_in(muster, netns, up, "probe.up.test")
    cfg = muster.config([f"udp://127.0.0.1:{up_port}"], edns_udp_size=4096)
    port = start_in(muster, netns, cfg, "probe.up.test")
    # forwarded (a late answer), then the same from the cache (an answer of its batch)
    for _ in range(2):
        out = ns_dig(netns, "+bufsize=4096", "+ignore", "-p", port, "@127.0.0.1", "fwdtxt.up.test",
                     "TXT")
        assert re.search(r"^;; flags: qr tc rd ra", out, re.M), out
        assert "ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 1" in out, out
    out = ns_dig(netns, "+bufsize=4096", "-p", port, "@127.0.0.1", "fwdtxt.up.test", "TXT")
    assert len(re.findall(r"^fwdtxt\.up\.test\.\s+\d+\s+IN\s+TXT\s", out, re.M)) == len(BIG_TXT), out
