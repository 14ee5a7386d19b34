"""The sample systemd unit etc/muster.service: hardened (an exposure score of at most 2.0 in
`systemd-analyze security --offline=true`, where Debian's unbound and dnsmasq units score 9.6),
only CAP_NET_BIND_SERVICE, still a unit systemd accepts without a warning, and one the agent
can work in: every system call, socket family and memory mapping that an agent with script and
HTTP checks makes (strace) is one the unit allows.

These need no running systemd: this container has none as PID 1, so the unit itself is not
started here."""

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from harness import REPO_ROOT, dns_query, dot_uri, free_port, muster_bin, scaled, wait_until

UNIT = REPO_ROOT / "etc" / "muster.service"
MAX_EXPOSURE = 2.0

pytestmark = pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                reason="systemd-analyze is not installed (package systemd)")


def unit_settings() -> dict[str, list[str]]:
    """Key -> every value it is given in the unit, comments left out."""
    out: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        out.setdefault(key.strip(), []).append(value.strip())
    return out


def security(unit: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["systemd-analyze", "security", "--offline=true", str(unit)],
                          capture_output=True, text=True, timeout=60, cwd=unit.parent)


def exposure(res: subprocess.CompletedProcess) -> float:
    m = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", res.stdout)
    assert m, f"no overall exposure level in:\n{res.stdout}\n{res.stderr}"
    return float(m.group(1))


def test_sample_unit_scores_at_most_2():
    res = security(UNIT)
    assert res.returncode == 0, res.stdout + res.stderr
    score = exposure(res)
    assert score <= MAX_EXPOSURE, res.stdout


def test_the_score_reflects_the_hardening(tmp_path):
    # The check above could pass on a parser that reads nothing: the bare unit scores far worse.
    bare = tmp_path / "muster.service"
    bare.write_text("[Service]\nType=notify\nExecStart=/usr/local/bin/muster agent\n")
    assert exposure(security(bare)) > 5.0


def test_runs_unprivileged_with_only_net_bind_service():
    s = unit_settings()
    assert s.get("DynamicUser") == ["yes"] or s.get("User", ["root"])[-1] not in ("root", "0")
    assert s["CapabilityBoundingSet"] == ["CAP_NET_BIND_SERVICE"]
    assert s["AmbientCapabilities"] == ["CAP_NET_BIND_SERVICE"]
    assert s["NoNewPrivileges"] == ["yes"]


def test_keeps_what_the_agent_needs():
    s = unit_settings()
    assert s["Type"] == ["notify"]
    assert s["ExecStart"][0].split()[1:3] == ["agent", "--config-dir"]
    assert "ExecReload" in s
    assert s["StateDirectory"] == ["muster"]
    families = s["RestrictAddressFamilies"][-1].split()
    for family in ("AF_INET", "AF_INET6", "AF_UNIX", "AF_NETLINK"):
        assert family in families
    # A resolver and a cluster member: nothing may cut it off the network.
    for key in ("PrivateNetwork", "IPAddressDeny", "PrivateUsers"):
        assert key not in s, key


def test_systemd_accepts_the_unit_without_a_warning(tmp_path):
    # verify insists that ExecStart exists, so a copy points at a binary that does.
    copy = tmp_path / "muster.service"
    copy.write_text(UNIT.read_text().replace("/usr/local/bin/muster", shutil.which("true")))
    res = subprocess.run(["systemd-analyze", "verify", "--man=no", str(copy)],
                         capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    # Unknown keys and unknown system-call groups are only warned about; here they fail.
    assert res.stdout + res.stderr == ""


def syscall_groups() -> dict[str, list[str]]:
    """systemd's system-call groups (@system-service, ...) and their members."""
    out = subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True, text=True,
                         timeout=60).stdout
    groups: dict[str, list[str]] = {}
    current = None
    for line in out.splitlines():
        if line.startswith("@"):
            current = line.strip()
            groups[current] = []
        elif current and line.strip() and not line.strip().startswith("#"):
            groups[current].append(line.strip())
    return groups


def allowed_syscalls() -> set[str]:
    """What the unit's SystemCallFilter= lines let through: the allow-list, then each ~deny."""
    groups = syscall_groups()

    def expand(items):
        out = set()
        for item in items:
            out |= expand(groups[item]) if item.startswith("@") else {item}
        return out

    allowed: set[str] = set()
    for value in unit_settings()["SystemCallFilter"]:
        if value.startswith("~"):
            allowed -= expand(value[1:].split())
        else:
            allowed |= expand(value.split())
    return allowed


def ptrace_works() -> bool:
    if shutil.which("strace") is None:
        return False
    return subprocess.run(["strace", "-qq", "-o", "/dev/null", "true"],
                          capture_output=True, timeout=30).returncode == 0


def traced_agent_session(tmp_path: Path, recursor: str, ca_file: Path) -> str:
    """Runs a dev agent with a script check and an HTTP check under strace -f (its children
    too): catalog DNS over UDP and TCP, a name forwarded over DNS-over-TLS, the HTTP API, a
    reload, a graceful stop. Returns the trace."""
    dns_port, http_port = free_port(), free_port()
    config = tmp_path / "muster.json"
    config.write_text(json.dumps({
        "enable_local_script_checks": True,
        "tls": {"ca_file": str(ca_file)},
        "services": [{"name": "web", "port": 80, "checks": [
            {"args": ["/bin/sh", "-c", "cat /proc/loadavg >/dev/null"], "interval": "1s"},
            {"http": f"http://127.0.0.1:{http_port}/v1/status/leader", "interval": "1s"}]}]}))
    trace = tmp_path / "trace"
    argv = ["strace", "-f", "-qq", "-o", str(trace), "--", muster_bin(), "agent", "--dev",
            "--dns-port", str(dns_port), "--http-port", str(http_port),
            "--server-port", str(free_port()), "--recursor", recursor,
            "--config-file", str(config)]
    with open(tmp_path / "muster.log", "wb") as log:
        strace = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        children = Path(f"/proc/{strace.pid}/task/{strace.pid}/children")
        agent = int(wait_until(lambda: children.read_text().split()[:1], scaled(10),
                               what="strace starts the agent")[0])

        def web_answers():
            try:
                return dns_query(dns_port, "web.service.internal", timeout=1).answer
            except Exception:  # not listening yet
                return None
        wait_until(web_answers, scaled(30), 0.2, "web.service.internal answers")
        dns_query(dns_port, "web.service.internal", tcp=True)
        forwarded = dns_query(dns_port, "www.example.test", timeout=scaled(5))
        assert "192.0.2.1" in str(forwarded.answer), forwarded
        time.sleep(2.5)  # both checks run a few times
        os.kill(agent, signal.SIGHUP)
        time.sleep(1)
        os.kill(agent, signal.SIGTERM)
        strace.wait(timeout=scaled(20))
    finally:
        if strace.poll() is None:
            os.killpg(strace.pid, signal.SIGKILL)
            strace.wait()
    assert "stopped" in (tmp_path / "muster.log").read_text()
    return trace.read_text()


@pytest.mark.skipif(not ptrace_works(), reason="strace is missing or may not trace here")
@pytest.mark.skipif(os.environ.get("MUSTER_TEST_TIMEOUT_SCALE", "1") != "1",
                    reason="a sanitizer build makes system calls of its own (LeakSanitizer "
                           "ptraces the agent's threads at exit): the optimized build is the one "
                           "the unit runs")
def test_the_agent_needs_nothing_the_unit_forbids(tmp_path, unbound, ca):
    trace = traced_agent_session(tmp_path, dot_uri(unbound), ca.pem)
    used = set(re.findall(r"^\d+\s+([a-z0-9_]+)\(", trace, re.M))
    assert {"execve", "bind", "io_submit"} <= used, "the trace saw the checks and Raft"
    assert not used - allowed_syscalls(), "system calls SystemCallFilter= would refuse"
    families = set(re.findall(r"socket\((AF_[A-Z0-9]+)", trace))
    assert not families - set(unit_settings()["RestrictAddressFamilies"][-1].split())
    # MemoryDenyWriteExecute=: no writable+executable mapping, no mprotect to executable.
    assert not re.search(r"mmap\([^)]*PROT_WRITE\|PROT_EXEC|mprotect\([^)]*PROT_EXEC", trace)
