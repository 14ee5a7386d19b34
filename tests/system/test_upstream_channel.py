"""UpstreamChannel against a real Unbound: DoT, TCP, UDP with the TC retry (RFC 7766 §5),
pipelining (RFC 7766 §6.2.1.1), certificate checks (RFC 7858 §4.2, RFC 8310), session
resumption, and an upstream killed and restarted under load.

Run: /usr/bin/python3 -m pytest tests/system/test_upstream_channel.py
The probe binary comes from $UPSTREAM_PROBE, else the first build*/ dir that has one.
"""

import glob
import os
import pathlib
import socket
import subprocess
import time

import pytest

from fixtures_upstream import Unbound, free_port, make_ca

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIG_TXT = [f'big.test. 300 IN TXT "{"x" * 200} {i}"' for i in range(12)]  # ~2.5 kB: truncates
NAMES = [f"h{i}.test" for i in range(200)]
LOCAL_DATA = ["a.test. 300 IN A 192.0.2.1"] + BIG_TXT + [f"{n}. 300 IN A 192.0.2.2" for n in NAMES]


def probe_path():
    env = os.environ.get("UPSTREAM_PROBE")
    if env:
        return env
    found = sorted(glob.glob(str(ROOT / "build*" / "tests" / "system" / "upstream-probe")))
    if not found:
        pytest.skip("upstream-probe not built (set UPSTREAM_PROBE)")
    return found[0]


@pytest.fixture(scope="module")
def silent_udp():
    """A UDP socket that never answers: unbound's forwards to it hang."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    yield s.getsockname()[1]
    s.close()


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return make_ca(tmp_path_factory.mktemp("ca"), names=["dot.test"], ips=["127.0.0.1"])


@pytest.fixture()
def unbound(tmp_path, ca, silent_udp):
    ub = Unbound(tmp_path, ca, local_data=LOCAL_DATA,
                 forward={"slow.": f"127.0.0.1@{silent_udp}"})
    ub.start()
    yield ub
    ub.stop()


def run_probe(*args, timeout=30):
    r = subprocess.run([probe_path(), *args], capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout.splitlines(), r.stderr


def answers(lines):
    return {l.split()[0]: l.split()[1:] for l in lines if not l.startswith(("STATS", "END"))}


def stats(lines):
    line = [l for l in lines if l.startswith("STATS")][-1]
    return {k: int(v) for k, v in (kv.split("=") for kv in line.split()[1:])}


def tls_upstream(ub, name="dot.test"):
    return f"tls://127.0.0.1:{ub.tls_port}#{name}"


def test_dot_query_is_answered(unbound, ca):
    rc, out, err = run_probe("--upstream", tls_upstream(unbound), "--ca", ca.ca_pem, "--stats",
                             "a.test", "nx.test")
    assert rc == 0, err
    got = answers(out)
    assert got["a.test"] == ["NOERROR", "1"]
    assert got["nx.test"] == ["NXDOMAIN", "0"]
    assert stats(out)["connects"] == 1


def test_dot_wrong_tls_name_fails_with_certificate_error(unbound, ca):
    rc, out, err = run_probe("--upstream", tls_upstream(unbound, "wrong.test"), "--ca", ca.ca_pem,
                             "a.test")
    assert rc != 0
    assert answers(out)["a.test"] == ["FAIL", "tls"]
    assert "certificate" in err and "hostname mismatch" in err
    assert "wrong.test" in err  # the upstream label


def test_dot_untrusted_ca_fails(unbound, tmp_path):
    other = make_ca(tmp_path / "other", prefix="other-")
    rc, out, err = run_probe("--upstream", tls_upstream(unbound), "--ca", other.ca_pem, "a.test")
    assert rc != 0
    assert answers(out)["a.test"] == ["FAIL", "tls"]
    assert "certificate verify failed" in err


def test_dot_ip_name_matches_ip_san(unbound, ca):
    rc, out, err = run_probe("--upstream", f"tls://127.0.0.1:{unbound.tls_port}#127.0.0.1",
                             "--ca", ca.ca_pem, "a.test")
    assert rc == 0, err


def test_dot_200_pipelined_queries_share_one_connection(unbound, ca):
    start = time.monotonic()
    rc, out, err = run_probe("--upstream", tls_upstream(unbound), "--ca", ca.ca_pem, "--stats",
                             "--max-in-flight", "64", *NAMES)
    elapsed = time.monotonic() - start
    assert rc == 0, err
    got = answers(out)
    assert sorted(got) == sorted(NAMES)
    assert all(v == ["NOERROR", "1"] for v in got.values())
    s = stats(out)
    assert s["connects"] == 1 and s["sent"] == 200 and s["replies"] == 200
    assert elapsed < 10


def test_dot_session_is_resumed_after_idle_close(unbound, ca):
    p = subprocess.Popen([probe_path(), "--upstream", tls_upstream(unbound), "--ca", ca.ca_pem,
                          "--stdin", "--idle-timeout-ms", "200"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        assert batch(p, "a.test") == (["a.test NOERROR 1"], "ok")
        time.sleep(0.6)  # the idle timeout closes the connection
        assert batch(p, "a.test") == (["a.test NOERROR 1"], "ok")
        s = stats(command(p, "!stats"))
        assert s["connects"] == 2
        assert s["resumed"] == 1
    finally:
        finish(p)


def test_tcp_transport(unbound):
    rc, out, err = run_probe("--upstream", f"tcp://127.0.0.1:{unbound.plain_port}", "--stats",
                             "a.test", "nx.test", "--type", "A")
    assert rc == 0, err
    assert answers(out) == {"a.test": ["NOERROR", "1"], "nx.test": ["NXDOMAIN", "0"]}
    assert stats(out)["connects"] == 1


def test_udp_transport(unbound):
    rc, out, err = run_probe("--upstream", f"udp://127.0.0.1:{unbound.plain_port}", "--stats",
                             "a.test", "nx.test")
    assert rc == 0, err
    assert answers(out) == {"a.test": ["NOERROR", "1"], "nx.test": ["NXDOMAIN", "0"]}
    assert stats(out)["tc_retries"] == 0


@pytest.mark.parametrize("edns", [[], ["--no-edns"]], ids=["edns1232", "no-edns"])
def test_udp_truncated_answer_is_retried_over_tcp(unbound, edns):
    rc, out, err = run_probe("--upstream", f"udp://127.0.0.1:{unbound.plain_port}", "--stats",
                             "--type", "TXT", *edns, "big.test")
    assert rc == 0, err
    assert answers(out)["big.test"] == ["NOERROR", "12"]  # the full answer, TC clear
    assert stats(out)["tc_retries"] == 1


def test_connection_refused_fails_with_connect():
    port = free_port()
    for transport in ("udp", "tcp"):
        rc, out, _ = run_probe("--upstream", f"{transport}://127.0.0.1:{port}", "a.test")
        assert rc != 0
        assert answers(out)["a.test"] == ["FAIL", "connect"]


def finish(p):
    """Closes a --stdin probe (destroying its channel, maybe with queries outstanding) and
    checks it exited without a crash or sanitizer report."""
    p.stdin.close()
    rc = p.wait(timeout=10)
    err = p.stderr.read()
    assert "Sanitizer" not in err and "runtime error" not in err, err
    assert rc in (0, 1), err


def batch(p, line):
    """Sends one batch to a --stdin probe; returns (answer lines, "ok"|"fail")."""
    p.stdin.write(line + "\n")
    p.stdin.flush()
    lines = []
    while True:
        l = p.stdout.readline()
        assert l, "probe exited: " + p.stderr.read()
        l = l.strip()
        if l.startswith("END"):
            return sorted(lines), l.split()[1]
        lines.append(l)


def command(p, line):
    p.stdin.write(line + "\n")
    p.stdin.flush()
    return [p.stdout.readline().strip()]


def test_upstream_killed_mid_stream_then_restarted(unbound, ca):
    p = subprocess.Popen([probe_path(), "--upstream", tls_upstream(unbound), "--ca", ca.ca_pem,
                          "--stdin", "--backoff-min-ms", "50", "--backoff-max-ms", "400"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        assert batch(p, "a.test") == (["a.test NOERROR 1"], "ok")
        # Queries for slow. hang inside unbound (forwarded to a silent socket): kill it while
        # they are in flight on the TLS connection.
        p.stdin.write("x1.slow x2.slow x3.slow\n")
        p.stdin.flush()
        time.sleep(0.5)
        unbound.kill()
        lines, status = [], None
        while status is None:
            l = p.stdout.readline().strip()
            assert l, "probe exited"
            if l.startswith("END"):
                status = l.split()[1]
            else:
                lines.append(l)
        assert status == "fail"
        assert sorted(lines) == [f"x{i}.slow FAIL connect" for i in (1, 2, 3)]

        # While the upstream is down, sends fail fast with `connect` (refused, then backoff).
        lines, status = batch(p, "a.test")
        assert (lines, status) == (["a.test FAIL connect"], "fail")

        unbound.start()
        deadline = time.monotonic() + 10
        while True:
            lines, status = batch(p, "a.test")
            if status == "ok":
                break
            assert lines == ["a.test FAIL connect"]
            assert time.monotonic() < deadline, "no reconnect after restart"
            time.sleep(0.1)
        assert lines == ["a.test NOERROR 1"]
        s = stats(command(p, "!stats"))
        assert s["connects"] == 2
    finally:
        finish(p)


def test_udp_drops_replies_that_do_not_match(tmp_path):
    """A misbehaving server: wrong ID, then wrong question, then the right answer."""
    import threading

    import dns.message
    import dns.rrset

    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(("127.0.0.1", 0))
    port = srv.getsockname()[1]

    def serve():
        data, peer = srv.recvfrom(4096)
        q = dns.message.from_wire(data)
        wrong_id = dns.message.make_response(q)
        wrong_id.id = (q.id + 1) % 65536
        srv.sendto(wrong_id.to_wire(), peer)
        other = dns.message.make_query("other.test", "A")
        other.id = q.id
        srv.sendto(dns.message.make_response(other).to_wire(), peer)
        good = dns.message.make_response(q)
        good.answer.append(dns.rrset.from_text(q.question[0].name, 60, "IN", "A", "192.0.2.9"))
        srv.sendto(good.to_wire(), peer)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        rc, out, err = run_probe("--upstream", f"udp://127.0.0.1:{port}", "--stats", "A.Test")
        assert rc == 0, err
        assert answers(out)["A.Test"] == ["NOERROR", "1"]
        assert stats(out)["dropped"] == 2
        assert stats(out)["dropped_total"] == 2  # the worker-wide total gets them too
    finally:
        t.join(timeout=5)
        srv.close()


@pytest.mark.parametrize("transport", ["udp", "tcp", "tls"])
def test_query_timeout_backstop(unbound, ca, transport):
    port = unbound.tls_port if transport == "tls" else unbound.plain_port
    up = f"{transport}://127.0.0.1:{port}" + ("#dot.test" if transport == "tls" else "")
    # unbound holds slow. queries for well over 10 s; a.test is answered at once.
    rc, out, err = run_probe("--upstream", up, "--ca", ca.ca_pem, "--timeout-ms", "1500",
                             "--stats", "t1.slow", "t2.slow", "a.test")
    assert rc != 0
    got = answers(out)
    assert got["a.test"] == ["NOERROR", "1"]  # not stuck behind the slow ones (out of order)
    assert got["t1.slow"] == ["FAIL", "timeout"] and got["t2.slow"] == ["FAIL", "timeout"]
    assert stats(out)["timeouts"] == 2


def test_channel_destroyed_with_queries_outstanding(unbound, ca):
    p = subprocess.Popen([probe_path(), "--upstream", tls_upstream(unbound), "--ca", ca.ca_pem,
                          "--stdin"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    p.stdin.write("d1.slow d2.slow\n")
    p.stdin.flush()
    time.sleep(0.3)
    finish(p)  # EOF: the probe destroys the channel with both queries in flight
    assert p.stdout.read() == ""  # and nothing was reported for them
