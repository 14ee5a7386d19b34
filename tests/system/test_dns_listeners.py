"""Two DNS listeners with their own policy (dns_config.listeners): a recursion listener is the
full stub; a zone-only listener (recursion: false) answers the names muster owns (catalog,
records) and REFUSED for everything else whatever the client, so a real Unbound can forward the
domain to it without a loop."""

import socket
from pathlib import Path

import dns.flags
import dns.query

import harness
from harness import LOCALHOST, Proc, free_port, udp_uri

RECORDS = [{"name": "printer.lan.test", "type": "A", "value": "192.0.2.77", "ttl": 60}]
SERVICE = {"name": "web", "address": "192.0.2.80", "port": 8080}


def start(muster, nsd=None, *, recursors=None):
    """An agent with a recursion listener on ports.dns and a zone-only one; returns it and the
    zone-only port. Recursors: NSD's port, or those given."""
    cfg = muster.config(recursors if recursors is not None else [udp_uri(nsd.port)])
    zone_port = free_port()
    # the first listener takes ports.dns (the harness waits there); the second is zone-only
    cfg["dns_config"]["listeners"] = [
        {"address": LOCALHOST},
        {"address": LOCALHOST, "port": zone_port, "recursion": False},
    ]
    cfg["records"] = RECORDS
    cfg["services"] = [SERVICE]
    agent = muster.start(cfg)
    return agent, zone_port


def ask(port: int, name: str, rdtype="A", *, tcp: bool = False, source: str = LOCALHOST):
    return harness.dns_query(port, name, rdtype, tcp=tcp, source=source)


def test_forwarded_names_answer_on_the_recursion_listener_and_are_refused_on_the_other(muster,
                                                                                      nsd):
    agent, zone_port = start(muster, nsd)
    for tcp in (False, True):
        r = ask(agent.dns_port, "www.example.test", tcp=tcp)
        assert harness.rrset_values(r, "www.example.test.", "A") == ["192.0.2.1"]
        r = ask(zone_port, "www.example.test", tcp=tcp)
        assert harness.rcode_text(r) == "REFUSED"
        assert not r.answer
        assert not r.flags & dns.flags.RA
    # a name the recursion listener has cached is not leaked through the zone-only one
    r = ask(zone_port, "www.example.test")
    assert harness.rcode_text(r) == "REFUSED"
    # PTR of an address nobody here owns: forwarded on one, refused on the other
    r = ask(zone_port, "1.2.0.192.in-addr.arpa", "PTR")
    assert harness.rcode_text(r) == "REFUSED"


def test_owned_names_answer_on_both_listeners(muster, nsd):
    agent, zone_port = start(muster, nsd)
    for port in (agent.dns_port, zone_port):
        for tcp in (False, True):
            r = ask(port, "web.service.internal", tcp=tcp)
            assert harness.rrset_values(r, "web.service.internal.", "A") == ["192.0.2.80"]
            assert r.flags & dns.flags.AA
            r = ask(port, "printer.lan.test", tcp=tcp)
            assert harness.rrset_values(r, "printer.lan.test.", "A") == ["192.0.2.77"]
        # a catalog name that does not exist is the catalog's NXDOMAIN, not REFUSED
        r = ask(port, "nosuch.service.internal")
        assert harness.rcode_text(r) == "NXDOMAIN"
        r = ask(port, "web.service.internal", "SRV")
        assert [rr.port for rs in r.answer for rr in rs] == [8080]


def test_zone_only_refuses_even_clients_allowed_to_recurse(muster, nsd):
    # allow_recursion covers everyone; the zone-only listener still refuses
    cfg = muster.config([udp_uri(nsd.port)], allow_recursion=["0.0.0.0/0", "::/0"])
    zone_port = free_port()
    cfg["dns_config"]["listeners"] = [{"address": LOCALHOST},
                                      {"address": LOCALHOST, "port": zone_port,
                                       "recursion": False}]
    agent = muster.start(cfg)
    assert harness.rcode_text(ask(zone_port, "www.example.test", source="127.0.0.2")) == "REFUSED"
    r = ask(agent.dns_port, "www.example.test", source="127.0.0.2")
    assert harness.rrset_values(r, "www.example.test.", "A") == ["192.0.2.1"]


def test_listeners_replace_addresses_dns(muster, nsd):
    cfg = muster.config([udp_uri(nsd.port)])
    other = free_port()
    cfg["dns_config"]["listeners"] = [{"address": LOCALHOST}, {"address": "127.0.0.2",
                                                               "port": other}]
    agent = muster.start(cfg)
    r = ask(agent.dns_port, "www.example.test")
    assert harness.rrset_values(r, "www.example.test.", "A") == ["192.0.2.1"]
    r = dns.query.udp(harness.make_query("www.example.test", "A"), "127.0.0.2", port=other,
                      timeout=3.0)
    assert harness.rrset_values(r, "www.example.test.", "A") == ["192.0.2.1"]
    # nothing listens on 127.0.0.1 at the second port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        assert s.connect_ex((LOCALHOST, other)) != 0
    assert "(zone only)" not in agent.log_text()


def test_bad_listeners_are_refused_with_file_and_key(muster, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"dns_config": {"listeners": [{"address": "127.0.0.1", "port": 70000}]}}')
    r = harness.run_muster(["validate", str(path)])
    assert r.returncode == 2
    assert f"{path}: dns_config.listeners[0].port: expected a port number" in r.stderr + r.stdout


SNIPPET = Path(__file__).resolve().parents[2] / "etc" / "forwarding" / "unbound.conf"


def unbound_forwarding(directory, stub_port: int, zone_port: int) -> tuple[Proc, int]:
    """A plain recursive Unbound on 127.0.0.1: example.test from NSD (stub), and internal.
    forwarded to muster's zone-only listener by the snippet muster ships (its port changed),
    as an operator's existing resolver would be set up."""
    port = free_port()
    directory.mkdir(parents=True, exist_ok=True)
    conf = directory / "unbound.conf"
    snippet = SNIPPET.read_text().replace("127.0.0.1@8600", f"{LOCALHOST}@{zone_port}")
    assert f"@{zone_port}" in snippet
    conf.write_text("\n".join([
        "server:",
        f"    interface: {LOCALHOST}@{port}",
        "    do-ip4: yes",
        "    do-ip6: no",
        "    num-threads: 1",
        "    so-reuseport: no",
        "    access-control: 127.0.0.0/8 allow",
        '    module-config: "iterator"',
        '    local-zone: "test." nodefault',
        '    username: ""',
        '    chroot: ""',
        f'    directory: "{directory}"',
        '    pidfile: ""',
        "    use-syslog: no",
        f'    logfile: "{directory}/unbound-internal.log"',
        "    verbosity: 1",
        "    qname-minimisation: no",
        "remote-control:",
        "    control-enable: no",
        "stub-zone:",
        '    name: "example.test."',
        f"    stub-addr: {LOCALHOST}@{stub_port}",
    ]) + "\n" + snippet)
    harness.run(["unbound-checkconf", conf])
    proc = Proc("unbound", ["unbound", "-d", "-c", conf], directory / "unbound.log").start()

    def serving():
        if not proc.alive():
            raise RuntimeError(f"unbound exited:\n{proc.log_text()}")
        try:
            return harness.rcode_text(harness.dns_query(port, "www.example.test",
                                                        timeout=1.0)) == "NOERROR"
        except Exception:  # noqa: BLE001 - not up yet
            return False

    harness.wait_until(serving, harness.scaled(15), 0.1, f"unbound on port {port}")
    return proc, port


def test_unbound_forwarding_the_domain_to_the_zone_only_listener(muster, nsd, tmp_path):
    agent, zone_port = start(muster, nsd)
    proc, port = unbound_forwarding(tmp_path / "unbound", nsd.port, zone_port)
    try:
        r = harness.dns_query(port, "web.service.internal")
        assert harness.rrset_values(r, "web.service.internal.", "A") == ["192.0.2.80"]
        r = harness.dns_query(port, "web.service.internal", "SRV")
        assert [rr.port for rs in r.answer for rr in rs if rs.rdtype == 33] == [8080]
        r = harness.dns_query(port, "nosuch.service.internal")
        assert harness.rcode_text(r) == "NXDOMAIN"
        # Unbound still resolves everything else itself
        r = harness.dns_query(port, "www.example.test")
        assert harness.rrset_values(r, "www.example.test.", "A") == ["192.0.2.1"]
        # a catalog change reaches Unbound's clients (TTL 0: nothing cached there)
        agent.api_ok("PUT", "/v1/agent/service/register",
                     {"Name": "db", "Address": "192.0.2.90", "Port": 5432})
        harness.wait_until(
            lambda: harness.rrset_values(harness.dns_query(port, "db.service.internal"),
                                         "db.service.internal.", "A") == ["192.0.2.90"],
            harness.scaled(5), 0.1, "db.service.internal through unbound")
    finally:
        proc.terminate()
