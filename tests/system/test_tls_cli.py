"""`muster tls ca create` and `muster tls cert create`: Consul's file names, numbering and
refusals, and certificates that the openssl command line accepts (SANs, key usages, validity,
a chain to the CA)."""

import datetime
import re
import socket
import ssl
import stat
import subprocess
import threading
from pathlib import Path

from harness import run_muster


def tls(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return run_muster(["tls", *args], cwd=tmp_path)


def openssl(*args: str) -> str:
    res = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def x509_text(path: Path) -> str:
    return openssl("x509", "-noout", "-text", "-in", str(path))


def verify(ca: Path, cert: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", "verify", "-x509_strict", *extra, "-CAfile", str(ca),
                           str(cert)], capture_output=True, text=True, timeout=30)


def sans(text: str) -> list[str]:
    m = re.search(r"X509v3 Subject Alternative Name:\s*\n\s*(.+)", text)
    assert m, text
    return [s.strip() for s in m.group(1).split(",")]


def validity_days(path: Path) -> float:
    def when(flag):
        out = openssl("x509", "-noout", flag, "-in", str(path)).split("=", 1)[1].strip()
        return datetime.datetime.strptime(out, "%b %d %H:%M:%S %Y %Z")
    return (when("-enddate") - when("-startdate")).total_seconds() / 86400


def make_ca(tmp_path, *args) -> subprocess.CompletedProcess:
    res = tls(tmp_path, "ca", "create", *args)
    assert res.returncode == 0, res.stdout + res.stderr
    return res


def test_ca_create_writes_the_ca_and_its_private_key(tmp_path):
    res = make_ca(tmp_path)
    assert "==> Saved internal-agent-ca.pem" in res.stdout
    assert "==> Saved internal-agent-ca-key.pem" in res.stdout
    ca, key = tmp_path / "internal-agent-ca.pem", tmp_path / "internal-agent-ca-key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    text = x509_text(ca)
    assert re.search(r"CA:TRUE", text)
    assert re.search(r"X509v3 Basic Constraints: critical", text)
    assert re.search(r"Certificate Sign, CRL Sign", text)
    assert "X509v3 Subject Key Identifier" in text
    assert "ASN1 OID: prime256v1" in text
    assert "ecdsa-with-SHA256" in text
    assert key.read_text().startswith("-----BEGIN EC PRIVATE KEY-----")
    assert abs(validity_days(ca) - 1825) < 0.01
    # Consul's "Consul Agent CA <serial>": each CA has a subject name of its own
    subject = openssl("x509", "-noout", "-subject", "-in", str(ca)).strip()
    serial = openssl("x509", "-noout", "-serial", "-in", str(ca)).strip().split("=")[1]
    assert subject == f"subject=CN = Muster Agent CA {int(serial, 16)}"
    # the key is the CA's
    assert openssl("pkey", "-pubout", "-in", str(key)) == \
        openssl("x509", "-noout", "-pubkey", "-in", str(ca))


def test_ca_create_takes_days_and_domain(tmp_path):
    res = make_ca(tmp_path, "-days", "30", "-domain", "consul")
    assert "==> Saved consul-agent-ca.pem" in res.stdout
    assert abs(validity_days(tmp_path / "consul-agent-ca.pem") - 30) < 0.01
    assert not (tmp_path / "internal-agent-ca.pem").exists()


def test_ca_create_refuses_to_overwrite(tmp_path):
    make_ca(tmp_path)
    before = (tmp_path / "internal-agent-ca-key.pem").read_bytes()
    res = tls(tmp_path, "ca", "create")
    assert res.returncode == 1
    assert "internal-agent-ca.pem already exists" in res.stderr
    assert (tmp_path / "internal-agent-ca-key.pem").read_bytes() == before


def test_ca_create_refuses_when_only_the_key_exists(tmp_path):
    (tmp_path / "internal-agent-ca-key.pem").write_text("precious")
    res = tls(tmp_path, "ca", "create")
    assert res.returncode == 1
    assert "internal-agent-ca-key.pem already exists" in res.stderr
    assert not (tmp_path / "internal-agent-ca.pem").exists()
    assert (tmp_path / "internal-agent-ca-key.pem").read_text() == "precious"


def test_server_cert_has_consul_names_and_verifies(tmp_path):
    make_ca(tmp_path)
    res = tls(tmp_path, "cert", "create", "-server")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "==> Using internal-agent-ca.pem and internal-agent-ca-key.pem" in res.stdout
    assert "==> Saved dc1-server-internal-0.pem" in res.stdout
    assert "==> Saved dc1-server-internal-0-key.pem" in res.stdout
    cert, key = tmp_path / "dc1-server-internal-0.pem", tmp_path / "dc1-server-internal-0-key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    text = x509_text(cert)
    assert "Subject: CN = server.dc1.internal" in text
    assert sans(text) == ["DNS:server.dc1.internal", "DNS:localhost", "IP Address:127.0.0.1"]
    assert "TLS Web Server Authentication, TLS Web Client Authentication" in text
    assert "Digital Signature, Key Encipherment" in text
    assert "CA:FALSE" in text
    assert "X509v3 Authority Key Identifier" in text
    assert "ASN1 OID: prime256v1" in text
    assert abs(validity_days(cert) - 365) < 0.01
    ca = tmp_path / "internal-agent-ca.pem"
    res = verify(ca, cert, "-purpose", "sslserver", "-verify_hostname", "server.dc1.internal")
    assert res.returncode == 0, res.stdout + res.stderr
    assert verify(ca, cert, "-verify_hostname", "server.dc2.internal").returncode != 0


def test_cert_is_not_accepted_under_another_ca(tmp_path):
    make_ca(tmp_path)
    assert tls(tmp_path, "cert", "create", "-server").returncode == 0
    other = tmp_path / "other"
    other.mkdir()
    make_ca(other)
    res = verify(other / "internal-agent-ca.pem", tmp_path / "dc1-server-internal-0.pem")
    assert res.returncode != 0


def test_client_cert_and_numbering(tmp_path):
    make_ca(tmp_path)
    for n in range(3):
        res = tls(tmp_path, "cert", "create", "-client")
        assert res.returncode == 0, res.stdout + res.stderr
        assert f"==> Saved dc1-client-internal-{n}.pem" in res.stdout
        assert "WARNING" not in res.stdout  # only server certificates warn
    text = x509_text(tmp_path / "dc1-client-internal-2.pem")
    assert "Subject: CN = client.dc1.internal" in text
    assert sans(text) == ["DNS:client.dc1.internal", "DNS:localhost", "IP Address:127.0.0.1"]
    assert "TLS Web Client Authentication" in text
    res = verify(tmp_path / "internal-agent-ca.pem", tmp_path / "dc1-client-internal-2.pem",
                 "-purpose", "sslclient")
    assert res.returncode == 0, res.stdout + res.stderr


def test_numbering_skips_a_number_whose_key_alone_exists(tmp_path):
    make_ca(tmp_path)
    (tmp_path / "dc1-server-internal-0-key.pem").write_text("someone else's")
    res = tls(tmp_path, "cert", "create", "-server")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "==> Saved dc1-server-internal-1.pem" in res.stdout
    assert (tmp_path / "dc1-server-internal-0-key.pem").read_text() == "someone else's"
    assert not (tmp_path / "dc1-server-internal-0.pem").exists()


def test_dc_domain_node_and_additional_names(tmp_path):
    make_ca(tmp_path, "-domain", "consul")
    res = tls(tmp_path, "cert", "create", "-server", "-dc=east", "-domain", "consul",
              "-node", "s1", "-additional-dnsname", "muster.example.net",
              "--additional-ipaddress", "192.0.2.10", "-additional-ipaddress=2001:db8::1",
              "-days", "10")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "==> Using consul-agent-ca.pem and consul-agent-ca-key.pem" in res.stdout
    cert = tmp_path / "east-server-consul-0.pem"
    text = x509_text(cert)
    assert "Subject: CN = server.east.consul" in text
    assert sans(text) == ["DNS:muster.example.net", "DNS:s1.server.east.consul",
                          "DNS:server.east.consul", "DNS:localhost", "IP Address:192.0.2.10",
                          "IP Address:2001:DB8:0:0:0:0:0:1", "IP Address:127.0.0.1"]
    assert abs(validity_days(cert) - 10) < 0.01
    res = verify(tmp_path / "consul-agent-ca.pem", cert, "-verify_ip", "192.0.2.10")
    assert res.returncode == 0, res.stdout + res.stderr


def test_ca_and_key_flags_pick_the_ca_files(tmp_path):
    ca_dir = tmp_path / "ca"
    ca_dir.mkdir()
    make_ca(ca_dir)
    res = tls(tmp_path, "cert", "create", "-client", "-ca", str(ca_dir / "internal-agent-ca.pem"),
              "-key", str(ca_dir / "internal-agent-ca-key.pem"))
    assert res.returncode == 0, res.stdout + res.stderr
    assert verify(ca_dir / "internal-agent-ca.pem",
                  tmp_path / "dc1-client-internal-0.pem").returncode == 0


def test_cert_create_without_a_ca_says_so_and_writes_nothing(tmp_path):
    res = tls(tmp_path, "cert", "create", "-server")
    assert res.returncode == 1
    assert "cannot read the CA internal-agent-ca.pem" in res.stderr
    assert list(tmp_path.iterdir()) == []


def test_cert_create_with_a_mismatched_key_writes_nothing(tmp_path):
    make_ca(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    make_ca(other)
    res = tls(tmp_path, "cert", "create", "-server", "-key",
              str(other / "internal-agent-ca-key.pem"))
    assert res.returncode == 1
    assert "does not belong" in res.stderr
    assert not list(tmp_path.glob("dc1-*"))


def test_bad_flags_are_usage_errors(tmp_path):
    make_ca(tmp_path)
    cases = [
        (["cert", "create"], "give -server or -client"),
        (["cert", "create", "-server", "-client"], "not both"),
        (["cert", "create", "-client", "-node", "n1"], "-node requires -server"),
        (["cert", "create", "-server", "-days", "0"], "-days"),
        (["cert", "create", "-server", "-days", "ten"], "-days"),
        (["cert", "create", "-server", "-dc", "../etc"], "-dc"),
        (["cert", "create", "-server", "-bogus"], 'unknown flag "-bogus"'),
        (["cert", "create", "-server", "-dc"], "needs a value"),
        (["cert", "create", "-server", "stray"], 'unexpected argument "stray"'),
        (["ca", "create", "-domain", "a/b"], "-domain"),
        (["ca", "delete"], 'expected "ca create" or "cert create"'),
    ]
    for args, message in cases:
        res = tls(tmp_path, *args)
        assert res.returncode == 2, (args, res.stdout, res.stderr)
        assert message in res.stderr, (args, res.stderr)
        assert "usage: muster tls" in res.stderr, (args, res.stderr)
    assert not list(tmp_path.glob("dc1-*"))


def test_bad_san_values_are_refused(tmp_path):
    make_ca(tmp_path)
    res = tls(tmp_path, "cert", "create", "-server", "-additional-ipaddress", "300.1.1.1")
    assert res.returncode == 1
    assert 'not an IP address: "300.1.1.1"' in res.stderr
    res = tls(tmp_path, "cert", "create", "-server", "-additional-dnsname", "a.test,DNS:b.test")
    assert res.returncode == 1
    assert "not a host name" in res.stderr
    assert not list(tmp_path.glob("dc1-*"))


def test_server_and_client_certs_make_a_mutual_tls_handshake(tmp_path):
    make_ca(tmp_path)
    assert tls(tmp_path, "cert", "create", "-server").returncode == 0
    assert tls(tmp_path, "cert", "create", "-client=true", "-server=false").returncode == 0
    ca = str(tmp_path / "internal-agent-ca.pem")
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(tmp_path / "dc1-server-internal-0.pem",
                               tmp_path / "dc1-server-internal-0-key.pem")
    server_ctx.load_verify_locations(ca)
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.load_cert_chain(tmp_path / "dc1-client-internal-0.pem",
                               tmp_path / "dc1-client-internal-0-key.pem")
    client_ctx.load_verify_locations(ca)
    a, b = socket.socketpair()
    a.settimeout(10)
    b.settimeout(10)
    seen = {}

    def serve():
        with server_ctx.wrap_socket(a, server_side=True) as s:
            seen["client"] = dict(x[0] for x in s.getpeercert()["subject"])["commonName"]
            s.sendall(b"ok")

    t = threading.Thread(target=serve)
    t.start()
    with client_ctx.wrap_socket(b, server_hostname="server.dc1.internal") as c:
        assert c.recv(2) == b"ok"
    t.join(10)
    assert seen["client"] == "client.dc1.internal"


def test_help(tmp_path):
    res = tls(tmp_path, "cert", "create", "-help")
    assert res.returncode == 0
    assert "-additional-ipaddress" in res.stdout
    res = tls(tmp_path, "ca", "create", "--help")
    assert res.returncode == 0
    assert "-days" in res.stdout
    assert list(tmp_path.iterdir()) == []
