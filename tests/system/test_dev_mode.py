"""`muster agent --dev`: starts with no config at all, answers DNS, keeps one temporary data
dir across reloads and removes it when it stops (nothing left behind, as Consul's dev mode)."""

import glob
import os
import re
import signal

import harness


def dev_dirs() -> set[str]:
    return set(glob.glob("/tmp/muster-dev-*"))


def test_dev_agent_answers_and_cleans_up_its_data_dir(muster):
    before = dev_dirs()
    port = harness.free_port()
    # A closed loopback recursor: tests never send queries off the machine.
    args = ["--dev", "--dns-port", str(port), "--http-port", str(harness.free_port()),
            "--server-port", str(harness.free_port()),
            "--recursor", harness.udp_uri(harness.closed_port())]
    agent = muster.create({"ports": {"dns": port}}, args=args,
                          use_config_file=False)
    agent.start()
    m = re.search(r"data_dir=(/tmp/muster-dev-\w+)", agent.log_text())
    assert m, agent.log_text()
    data_dir = m.group(1)
    assert os.path.isdir(data_dir)
    r = harness.send_raw_udp(port, harness.make_query("version.muster.invalid", "A").to_wire(),
                             timeout=harness.scaled(3))
    assert r is not None and len(r) >= 12, "the dev agent answers DNS"
    for _ in range(2):
        agent.mark_log()
        agent.send_signal(signal.SIGHUP)
        harness.wait_until(lambda: "reloaded" in agent.log_since_mark(), harness.scaled(5), 0.05,
                           "reload logged")
    assert dev_dirs() - before == {data_dir}, "a reload must not make another temp dir"
    assert agent.stop() == 0
    assert not os.path.exists(data_dir), "--dev removes its temporary data dir when it stops"
