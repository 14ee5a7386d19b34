"""The sample systemd unit etc/muster.service: hardened (an exposure score of at most 2.0 in
`systemd-analyze security --offline=true`, where Debian's unbound and dnsmasq units score 9.6),
only CAP_NET_BIND_SERVICE, and still a unit systemd accepts without a warning.

These read the unit file; they need no running systemd (this container has none as PID 1, so
starting the unit for real is not tested here)."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness import REPO_ROOT

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
