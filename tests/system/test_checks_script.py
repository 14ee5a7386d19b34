"""Script health checks (issue 4): Nagios exit codes decide what DNS returns, a script past its
timeout loses its whole process group, a hung script delays nothing else, and scripts run only
when the operator enabled them (enable_local_script_checks for config files,
enable_script_checks for the HTTP API)."""

import json
import time

import pytest

from checks_fixtures import (SETTLE, a_records, agent_checks, check_status, group_members,
                             health_instances, pid_alive, wait_dns, wait_status, write_script)
from harness import free_port, run_muster, scaled, wait_until

NODE = "checks-node"


def start_agent(muster, *, services=(), checks=(), **top):
    cfg = muster.config()
    cfg["node_name"] = NODE
    if services:
        cfg["services"] = list(services)
    if checks:
        cfg["checks"] = list(checks)
    cfg.update(top)
    return muster.start(cfg)


def exit_code_script(tmp_path, name="code"):
    """A script that prints to stdout and stderr and exits with the number in its code file;
    returns (script, code file)."""
    code = tmp_path / f"{name}.txt"
    code.write_text("0\n")
    script = write_script(tmp_path / f"{name}.sh",
                          f'c=$(cat "{code}")\necho "stdout says $c"\necho "stderr says $c" >&2\n'
                          'exit "$c"\n')
    return script, code


def read_runs(path):
    """The (pid, pgid, child pid) lines a process-group script wrote, one per run."""
    if not path.exists():
        return []
    runs = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 3:
            runs.append(tuple(int(p) for p in parts))
    return runs


def group_script(tmp_path, name, runs_file, seconds):
    """A script that starts `sleep seconds` in the background (same process group), records
    its own pid, its process group and the child's pid, and waits for the child."""
    return write_script(tmp_path / f"{name}.sh",
                        f"sleep {seconds} &\nchild=$!\n"
                        "read -r pid comm state ppid pgid rest < /proc/$$/stat\n"
                        f'echo "$pid $pgid $child" >> "{runs_file}"\n'
                        'wait "$child"\n')


def assert_group_gone(pid, pgid, child, timeout=SETTLE):
    def gone():
        return not pid_alive(pid) and not pid_alive(child) and not group_members(pgid)
    try:
        wait_until(gone, scaled(timeout), 0.05, f"process group {pgid} gone")
    except TimeoutError as exc:
        raise AssertionError(f"{exc}: members still alive {group_members(pgid)}") from None


# ------------------------------------------------------------------------------------------
# exit codes


def test_script_exit_codes_decide_the_status_and_dns(muster, tmp_path):
    script, code = exit_code_script(tmp_path)
    chatty = write_script(tmp_path / "chatty.sh",
                          "i=0\nwhile [ $i -lt 100 ]; do printf '%0100d' 0; i=$((i+1)); done\n")
    services = [
        {"id": "web-1", "name": "web", "address": "10.30.0.1", "port": 80,
         "check": {"id": "web-1-script", "name": "script", "args": [str(script)],
                   "interval": "200ms", "timeout": "2s"}},
        {"id": "web-2", "name": "web", "address": "10.30.0.2", "port": 80},
        {"id": "chatty-1", "name": "chatty", "address": "10.30.0.3", "port": 80,
         "check": {"id": "chatty-script", "name": "chatty", "args": [str(chatty)],
                   "interval": "1s", "timeout": "2s"}},
    ]
    agent = start_agent(muster, services=services, enable_local_script_checks=True)
    web = "web.service.internal"
    c = wait_status(agent, "web-1-script", "passing")
    assert "stdout says 0" in c["Output"] and "stderr says 0" in c["Output"], c["Output"]
    wait_dns(agent, web, ["10.30.0.1", "10.30.0.2"])
    code.write_text("1\n")
    c = wait_status(agent, "web-1-script", "warning")
    assert "stdout says 1" in c["Output"], c["Output"]
    assert a_records(agent, web) == ["10.30.0.1", "10.30.0.2"]
    code.write_text("2\n")
    c = wait_status(agent, "web-1-script", "critical")
    assert "stdout says 2" in c["Output"], c["Output"]
    wait_dns(agent, web, ["10.30.0.2"])
    assert health_instances(agent, "web", passing=True) == ["web-2"]
    code.write_text("0\n")
    wait_status(agent, "web-1-script", "passing")
    wait_dns(agent, web, ["10.30.0.1", "10.30.0.2"])
    code.write_text("3\n")  # anything but 0 and 1 is critical
    wait_status(agent, "web-1-script", "critical")
    wait_dns(agent, web, ["10.30.0.2"])
    # 10,000 bytes of output: at most 4 KiB kept (plus a short note of muster's own)
    c = wait_status(agent, "chatty-script", "passing")
    assert 4000 <= len(c["Output"]) <= 4096 + 200, len(c["Output"])
    assert "0" * 4000 in c["Output"], c["Output"][:200]


# ------------------------------------------------------------------------------------------
# timeouts and process groups


def test_script_past_its_timeout_is_critical_and_its_process_group_is_killed(muster, tmp_path):
    runs_file = tmp_path / "runs.txt"
    script = group_script(tmp_path, "slow", runs_file, 30)
    services = [{"id": "slow-1", "name": "slow", "address": "10.31.0.1", "port": 80,
                 "check": {"id": "slow-script", "name": "slow", "args": [str(script)],
                           "interval": "1s", "timeout": "1s", "status": "passing"}}]
    agent = start_agent(muster, services=services, enable_local_script_checks=True)
    assert check_status(agent, "slow-script") == "passing"
    assert a_records(agent, "slow.service.internal") == ["10.31.0.1"]
    c = wait_status(agent, "slow-script", "critical")
    assert "timed out" in c["Output"], c["Output"]
    wait_dns(agent, "slow.service.internal", [])
    runs = read_runs(runs_file)
    assert runs, "the script never recorded its process group"
    pid, pgid, child = runs[0]
    assert pgid != agent.proc.pid, "the script must run in a process group of its own"
    assert pgid == pid, "the script leads its own process group"
    # the first run timed out (its result is the critical one): its sleep child is gone too
    assert_group_gone(pid, pgid, child)
    # every later run (one may be in flight) is killed when the agent stops
    assert agent.stop() == 0
    for pid, pgid, child in read_runs(runs_file):
        assert_group_gone(pid, pgid, child)


def test_a_hung_script_delays_neither_dns_nor_other_checks(muster, tmp_path):
    runs_file = tmp_path / "hung-runs.txt"
    hung = group_script(tmp_path, "hung", runs_file, 30)
    fast, code = exit_code_script(tmp_path, "fast")
    services = [
        {"id": "hung-1", "name": "hung", "address": "10.32.0.1", "port": 80,
         "check": {"id": "hung-script", "name": "hung", "args": [str(hung)],
                   "interval": "1s", "timeout": "20s", "status": "passing"}},
        {"id": "fast-1", "name": "fast", "address": "10.32.0.2", "port": 80,
         "check": {"id": "fast-script", "name": "fast", "args": [str(fast)],
                   "interval": "200ms", "timeout": "2s"}},
    ]
    agent = start_agent(muster, services=services, enable_local_script_checks=True)
    wait_until(lambda: read_runs(runs_file), scaled(SETTLE), 0.05, "the hung script running")
    wait_status(agent, "fast-script", "passing")
    # while it hangs: DNS answers at once, every time
    slowest = 0.0
    for _ in range(50):
        t0 = time.monotonic()
        addrs = a_records(agent, "fast.service.internal")
        slowest = max(slowest, time.monotonic() - t0)
        assert addrs == ["10.32.0.2"]
    assert slowest < scaled(1.0), f"a DNS answer took {slowest:.3f}s while a check hung"
    # the other check still runs and flips DNS
    code.write_text("2\n")
    wait_status(agent, "fast-script", "critical")
    wait_dns(agent, "fast.service.internal", [])
    code.write_text("0\n")
    wait_dns(agent, "fast.service.internal", ["10.32.0.2"])
    # the hung one is still in its first run: passing as registered, still served
    assert len(read_runs(runs_file)) == 1
    assert check_status(agent, "hung-script") == "passing"
    assert a_records(agent, "hung.service.internal") == ["10.32.0.1"]
    # stopping the agent kills the hung script's process group
    assert agent.stop() == 0
    pid, pgid, child = read_runs(runs_file)[0]
    assert_group_gone(pid, pgid, child)


# ------------------------------------------------------------------------------------------
# enabling scripts


def test_config_script_check_without_enable_flag_refuses_to_start(tmp_path):
    conf = tmp_path / "scripted.json"
    conf.write_text(json.dumps({
        "client_addr": "127.0.0.1", "data_dir": str(tmp_path / "data"),
        "ports": {"dns": free_port(), "http": free_port()},
        "services": [{"name": "web", "port": 80,
                      "check": {"id": "web-script", "args": ["/bin/true"], "interval": "1s"}}]}))
    r = run_muster(["agent", "--config-file", str(conf)], timeout=15)
    assert r.returncode != 0, (r.stdout, r.stderr)
    text = r.stdout + r.stderr
    assert str(conf) in text or conf.name in text, text
    assert "enable_local_script_checks" in text, text
    r = run_muster(["validate", str(conf)], timeout=15)
    assert r.returncode != 0, (r.stdout, r.stderr)
    assert "enable_local_script_checks" in r.stdout + r.stderr
    # with the flag the same file is fine
    conf.write_text(json.dumps({**json.loads(conf.read_text()), "enable_local_script_checks": True}))
    r = run_muster(["validate", str(conf)], timeout=15)
    assert r.returncode == 0, (r.stdout, r.stderr)


@pytest.mark.parametrize("flags", [{}, {"enable_local_script_checks": True}],
                         ids=["default", "local-only"])
def test_api_script_checks_are_refused_unless_enable_script_checks(muster, tmp_path, flags):
    marker = tmp_path / "ran"
    agent = start_agent(muster, **flags)
    r = agent.api("PUT", "/v1/agent/check/register",
                  {"ID": "evil", "Name": "evil", "Args": ["/usr/bin/touch", str(marker)],
                   "Interval": "100ms"})
    assert r.status == 400, (r.status, r.text)
    assert "enable_script_checks" in r.text, r.text
    r = agent.api("PUT", "/v1/agent/service/register",
                  {"ID": "evil-1", "Name": "evil", "Address": "10.33.0.1", "Port": 1,
                   "Check": {"Args": ["/usr/bin/touch", str(marker)], "Interval": "100ms"}})
    assert r.status == 400, (r.status, r.text)
    assert "enable_script_checks" in r.text, r.text
    assert "evil" not in agent_checks(agent)
    assert "evil-1" not in agent.api_ok("GET", "/v1/agent/services")
    assert a_records(agent, "evil.service.internal") == []
    time.sleep(0.5)  # several intervals: nothing may have run
    assert not marker.exists(), "a refused script check ran"


def test_api_script_checks_run_with_enable_script_checks(muster, tmp_path):
    script, code = exit_code_script(tmp_path)
    agent = start_agent(muster, enable_script_checks=True)
    agent.api_ok("PUT", "/v1/agent/service/register", {
        "ID": "job-1", "Name": "job", "Address": "10.34.0.1", "Port": 1,
        "Check": {"CheckID": "job-script", "Name": "script", "Args": [str(script)],
                  "Interval": "200ms", "Timeout": "2s"}})
    c = wait_status(agent, "job-script", "passing")
    assert "stdout says 0" in c["Output"]
    wait_dns(agent, "job.service.internal", ["10.34.0.1"])
    code.write_text("2\n")
    wait_status(agent, "job-script", "critical")
    wait_dns(agent, "job.service.internal", [])
    # a node-level script check through /v1/agent/check/register: critical takes every
    # instance of the node out of DNS
    code.write_text("0\n")
    wait_dns(agent, "job.service.internal", ["10.34.0.1"])
    node_code = tmp_path / "node-code.txt"
    node_code.write_text("2\n")
    node_script = write_script(tmp_path / "node.sh", f'exit "$(cat "{node_code}")"\n')
    agent.api_ok("PUT", "/v1/agent/check/register",
                 {"ID": "node-script", "Name": "node", "Args": [str(node_script)],
                  "Interval": "200ms", "Timeout": "2s"})
    wait_status(agent, "node-script", "critical")
    wait_dns(agent, "job.service.internal", [])
    node_code.write_text("0\n")
    wait_status(agent, "node-script", "passing")
    wait_dns(agent, "job.service.internal", ["10.34.0.1"])
