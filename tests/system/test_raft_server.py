"""`server: true`: catalog writes go through a Raft log (libraft) in data_dir/raft and are applied
to LMDB from it. Against the real binary: acknowledged writes survive SIGKILL, a deleted LMDB is
rebuilt from the log, a second agent on the same data_dir is refused, and a server without
bootstrap or Raft state says what is missing."""

import json
import os
import signal
import threading

import dns.rcode

from harness import free_port, run_muster, wait_until


def server_config(muster, **extra) -> dict:
    cfg = muster.config()
    cfg.update({"node_name": "srv-1", "server": True, "bootstrap": True})
    cfg["ports"]["server"] = free_port()
    cfg.update(extra)
    return cfg


def a_records(agent, name: str) -> list[str]:
    r = agent.query(name, "A")
    return sorted(rd.to_text() for rrset in r.answer for rd in rrset)


def register(agent, sid: str, address: str) -> int:
    reply = agent.api("PUT", "/v1/agent/service/register",
                      {"ID": sid, "Name": "web", "Address": address, "Port": 80})
    return reply.status


def test_writes_go_through_raft_and_dns_answers_them(muster):
    agent = muster.start(server_config(muster))
    agent.wait_log(lambda t: "raft started" in t, what="raft started")
    assert register(agent, "web-1", "10.1.0.1") == 200
    assert a_records(agent, "web.service.internal") == ["10.1.0.1"]
    # the Raft log holds the write: the log directory has segments and a stable server ID
    raft_dir = os.path.join(agent.config["data_dir"], "raft")
    assert os.path.isfile(os.path.join(raft_dir, "id"))
    assert any(name[0].isdigit() or name.startswith("open-") for name in os.listdir(raft_dir)), \
        os.listdir(raft_dir)
    # the index the API reports is the catalog's, and moves with each write
    i1 = int(agent.api("GET", "/v1/catalog/service/web").header("X-Consul-Index"))
    assert register(agent, "web-2", "10.1.0.2") == 200
    i2 = int(agent.api("GET", "/v1/catalog/service/web").header("X-Consul-Index"))
    assert i2 > i1
    assert a_records(agent, "web.service.internal") == ["10.1.0.1", "10.1.0.2"]


def test_acknowledged_writes_survive_sigkill_and_a_deleted_catalog(muster):
    cfg = server_config(muster)
    agent = muster.start(cfg)
    raft_id = None
    acked: list[str] = []
    stop = threading.Event()

    def writer():
        n = 0
        while not stop.is_set():
            sid = f"w-{n}"
            try:
                status = register(agent, sid, f"10.2.{n // 250}.{n % 250 + 1}")
            except OSError:
                return  # the agent died mid-request: that write was not acknowledged
            if status == 200:
                acked.append(sid)
            n += 1

    threads = [threading.Thread(target=writer) for _ in range(1)]
    for t in threads:
        t.start()
    wait_until(lambda: len(acked) >= 50, 20, 0.02, "50 acknowledged registrations")
    raft_id = open(os.path.join(cfg["data_dir"], "raft", "id")).read().strip()
    agent.send_signal(signal.SIGKILL)
    agent.wait_exit()
    stop.set()
    for t in threads:
        t.join(10)
    assert len(acked) >= 50

    # restart on the same data_dir: bootstrap is ignored now that Raft state exists
    again = muster.start(cfg)
    services = again.api_ok("GET", "/v1/agent/services")
    missing = [sid for sid in acked if sid not in services]
    assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {missing[:5]}"
    assert open(os.path.join(cfg["data_dir"], "raft", "id")).read().strip() == raft_id
    count = len(services)
    again.stop()

    # delete the catalog (LMDB): it is rebuilt from the Raft log (and snapshot) at start
    for name in ("catalog.mdb", "catalog.mdb-lock"):
        path = os.path.join(cfg["data_dir"], name)
        if os.path.exists(path):
            os.remove(path)
    cfg_no_bootstrap = dict(cfg, bootstrap=False)
    rebuilt = muster.start(cfg_no_bootstrap)
    services = rebuilt.api_ok("GET", "/v1/agent/services")
    assert len(services) == count
    assert not [sid for sid in acked if sid not in services]
    assert rebuilt.query("web.service.internal", "A").rcode() == dns.rcode.NOERROR


def test_a_second_agent_on_the_same_data_dir_is_refused(muster):
    cfg = server_config(muster)
    first = muster.start(cfg)
    second_cfg = dict(cfg, ports={"dns": free_port(), "http": free_port(), "server": free_port()})
    second = muster.create(second_cfg)
    second.start(wait=False)
    rc = second.wait_exit(timeout=20)
    assert rc != 0
    log = second.log_text()
    assert cfg["data_dir"] in log and "in use by another muster" in log, log
    assert f"pid {first.proc.popen.pid}" in log, log
    # the first one is undisturbed
    assert register(first, "still-1", "10.3.0.1") == 200


def test_a_server_without_bootstrap_or_state_says_what_is_missing(muster):
    cfg = server_config(muster, bootstrap=False)
    agent = muster.create(cfg)
    agent.start(wait=False)
    assert agent.wait_exit(timeout=20) != 0
    log = agent.log_text()
    assert "bootstrap" in log and "holds no Raft state" in log, log


def test_bootstrap_expect_without_retry_join_is_refused_naming_what_is_missing(muster, tmp_path):
    cfg = server_config(muster, bootstrap=False, bootstrap_expect=3)
    path = tmp_path / "expect3.json"
    path.write_text(json.dumps(cfg))
    res = run_muster(["validate", str(path)])
    assert res.returncode != 0
    assert "bootstrap_expect" in res.stderr and "retry_join" in res.stderr, res.stderr
    assert str(path) in res.stderr


def test_bootstrap_expect_one_starts_a_cluster_of_one(muster):
    agent = muster.start(server_config(muster, bootstrap=False, bootstrap_expect=1))
    assert register(agent, "one-1", "10.4.0.1") == 200
    assert a_records(agent, "web.service.internal") == ["10.4.0.1"]


def test_health_check_results_reach_dns_through_raft(muster):
    cfg = server_config(muster)
    agent = muster.start(cfg)
    assert agent.api("PUT", "/v1/agent/service/register",
                     {"ID": "ttl-1", "Name": "ttlsvc", "Address": "10.5.0.1", "Port": 80,
                      "Check": {"CheckID": "ttl-1-check", "TTL": "30s"}}).status == 200
    # a new check starts critical: not answered
    assert agent.query("ttlsvc.service.internal", "A").rcode() == dns.rcode.NXDOMAIN
    assert agent.api("PUT", "/v1/agent/check/pass/ttl-1-check").status == 200
    wait_until(lambda: a_records(agent, "ttlsvc.service.internal") == ["10.5.0.1"], 5, 0.02,
               "the passing TTL check to reach DNS")
    assert agent.api("PUT", "/v1/agent/check/fail/ttl-1-check").status == 200
    wait_until(lambda: agent.query("ttlsvc.service.internal", "A").rcode() == dns.rcode.NXDOMAIN,
               5, 0.02, "the failing TTL check to reach DNS")


def test_advertise_addr_is_what_others_see_while_bind_addr_is_where_it_listens(muster):
    """bind 127.0.0.41 (the Raft/RPC listener), advertise 127.0.0.42: the catalog, DNS and the
    Raft configuration say .42; the server port answers on .41 only."""
    import socket
    cfg = server_config(muster, bind_addr="127.0.0.41", advertise_addr="127.0.0.42")
    agent = muster.start(cfg)
    port = cfg["ports"]["server"]
    wait_until(lambda: agent.api_ok("GET", "/v1/status/leader") == f"127.0.0.42:{port}",
               10, 0.1, "the advertised address as the leader's")
    assert agent.api_ok("GET", "/v1/status/peers") == [f"127.0.0.42:{port}"]
    node = agent.api_ok("GET", "/v1/catalog/node/srv-1")
    assert node["Node"]["Address"] == "127.0.0.42", node
    assert a_records(agent, "srv-1.node.internal") == ["127.0.0.42"]
    with socket.create_connection(("127.0.0.41", port), timeout=2):
        pass
    try:
        socket.create_connection(("127.0.0.42", port), timeout=2).close()
        raise AssertionError("the server port listens on the advertised address too")
    except ConnectionRefusedError:
        pass


def test_advertise_flag_sets_advertise_addr_and_a_wildcard_is_refused(muster, tmp_path):
    cfg = server_config(muster, bind_addr="127.0.0.43")
    agent = muster.start(cfg, args=["--advertise", "127.0.0.44"])
    port = cfg["ports"]["server"]
    wait_until(lambda: agent.api_ok("GET", "/v1/status/leader") == f"127.0.0.44:{port}",
               10, 0.1, "the --advertise address as the leader's")
    assert agent.api_ok("GET", "/v1/catalog/node/srv-1")["Node"]["Address"] == "127.0.0.44"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"advertise_addr": "0.0.0.0"}))
    res = run_muster(["validate", str(bad)])
    assert res.returncode != 0
    assert "advertise_addr: expected a specific IP address" in res.stderr, res.stderr
