"""With no recursors configured, muster forwards to the nameservers of resolv.conf (as dnsmasq
does) and says so in the log. (Leaving out a recursor that is muster itself is tested in
test_recursors.py with a configured recursor.)"""

import time

import harness


def test_no_recursors_uses_resolv_conf(muster, tmp_path):
    cfg = muster.config([])
    resolv = tmp_path / "resolv.conf"
    # Nothing listens on port 53 of these loopback addresses: forwarding fails fast.
    resolv.write_text("# test\\nsearch example.test\nnameserver 127.0.0.254\nnameserver ::1\n")
    agent = muster.start(cfg, env={"MUSTER_RESOLV_CONF": str(resolv)})
    log = agent.log_text()
    assert "using the nameservers of resolv.conf" in log
    assert "udp://127.0.0.254:53" in log and "udp://[::1]:53" in log
    # A forwarded name fails fast (closed ports), it does not hang.
    t0 = time.monotonic()
    r = agent.query("www.example.test", "A")
    assert harness.rcode_text(r) == "SERVFAIL"
    assert time.monotonic() - t0 < harness.scaled(3)


def test_resolv_conf_without_usable_nameserver_is_logged(muster, tmp_path):
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("search example.test\n")
    agent = muster.start(muster.config([]), env={"MUSTER_RESOLV_CONF": str(resolv)})
    assert "none usable in resolv.conf" in agent.log_text()
    r = agent.query("www.example.test", "A")
    assert harness.rcode_text(r) == "SERVFAIL"
