"""What a Consul user brings along works unchanged: a `consul agent` command line with
single-dash flags and -pid-file, and the servers found as consul.service.<domain>."""
import dns.rcode
import dns.rdatatype

from harness import free_port, run_muster, scaled, wait_until


def test_a_consul_agent_command_line_starts_a_server_with_a_pid_file(muster, tmp_path):
    dns_port, http_port, server_port = free_port(), free_port(), free_port()
    pid_file = tmp_path / "run" / "muster.pid"
    pid_file.parent.mkdir()
    agent = muster.create({}, args=[
        "-dev", f"-dns-port={dns_port}", "-http-port", str(http_port),
        f"-server-port={server_port}", "-node=web-1", "-pid-file", str(pid_file),
        f"-data-dir={tmp_path / 'data'}", "-log-level=debug"], use_config_file=False)
    agent.dns_port, agent.http_port = dns_port, http_port
    agent.start()
    wait_until(pid_file.exists, scaled(5), 0.05, "the pid file")
    assert pid_file.read_text() == f"{agent.proc.pid}\n"
    # the servers' own service, under Consul's name
    r = agent.query("consul.service.internal", "SRV")
    assert r.rcode() == dns.rcode.NOERROR, r
    assert [rd.port for rrset in r.answer for rd in rrset] == [server_port]
    assert agent.api_ok("GET", "/v1/catalog/service/consul")[0]["Node"] == "web-1"
    assert agent.stop() == 0
    assert not pid_file.exists(), "the pid file is removed when the agent stops"


def test_a_pid_file_taken_over_by_another_process_is_left_alone(muster, tmp_path):
    pid_file = tmp_path / "muster.pid"
    cfg = muster.config([])
    cfg["pid_file"] = str(pid_file)
    agent = muster.start(cfg)
    wait_until(pid_file.exists, scaled(5), 0.05, "the pid file")
    pid_file.write_text("1\n")  # e.g. a second agent started with the same file
    assert agent.stop() == 0
    assert pid_file.read_text() == "1\n"


def test_an_unwritable_pid_file_stops_the_start_with_a_clear_error(muster, tmp_path):
    cfg = muster.config([])
    cfg["pid_file"] = str(tmp_path / "no-such-dir" / "muster.pid")
    agent = muster.create(cfg)
    agent.start(wait=False)
    assert agent.wait_exit(scaled(20)) == 1
    assert "pid_file: cannot write" in agent.log_text()
    assert "no-such-dir/muster.pid" in agent.log_text()


def test_the_servers_service_can_be_renamed(muster):
    cfg = muster.config([])
    cfg.update({"server": True, "bootstrap": True, "server_service_name": "muster-servers"})
    cfg["ports"]["server"] = free_port()
    agent = muster.start(cfg)
    wait_until(lambda: agent.query("muster-servers.service.internal", "A").answer, scaled(10),
               0.1, "muster-servers.service.internal")
    assert agent.query("consul.service.internal", "A").rcode() == dns.rcode.NXDOMAIN


def test_a_server_upgraded_from_the_muster_name_drops_its_old_instance(muster):
    # Builds before the rename registered the servers' service as "muster": the instance such
    # a build left in the catalog goes when the upgraded server registers itself.
    cfg = muster.config([])
    cfg.update({"server": True, "bootstrap": True, "node_name": "old-srv"})
    cfg["ports"]["server"] = port = free_port()
    agent = muster.start(cfg)
    wait_until(lambda: agent.query("consul.service.internal", "A").answer, scaled(10), 0.1,
               "consul.service.internal")
    node = agent.api_ok("GET", "/v1/catalog/node/old-srv")["Node"]
    agent.api_ok("PUT", "/v1/catalog/register",
                 {"Node": "old-srv", "Address": node["Address"],
                  "Service": {"ID": "muster", "Service": "muster", "Port": port}})
    agent.api_ok("PUT", "/v1/catalog/register",  # another node's "muster" is not ours
                 {"Node": "elsewhere", "Address": "192.0.2.7",
                  "Service": {"ID": "muster", "Service": "muster", "Port": port}})
    assert agent.stop() == 0
    agent.start()
    wait_until(lambda: [e["Node"] for e in agent.api_ok("GET", "/v1/catalog/service/muster")]
               == ["elsewhere"], scaled(10), 0.1, "old-srv's old instance gone")
    assert agent.api_ok("GET", "/v1/catalog/service/consul")[0]["Node"] == "old-srv"


def test_a_bad_server_service_name_is_refused_naming_the_key(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"server_service_name": "two.labels"}')
    r = run_muster(["validate", str(path)])
    assert r.returncode == 2
    assert f"{path}: server_service_name: expected a DNS label" in r.stderr, r.stderr



def test_node_meta_is_in_the_catalog_the_api_and_dns_txt(muster):
    cfg = muster.config([])
    cfg.update({"node_name": "meta-host", "server": True, "bootstrap": True,
                "node_meta": {"rack": "r12", "rfc1035-owner": "team dns"}})
    cfg["ports"]["server"] = free_port()
    agent = muster.start(cfg)
    wait_until(lambda: agent.api_ok("GET", "/v1/catalog/node/meta-host"), scaled(10), 0.1,
               "the node in the catalog")
    node = agent.api_ok("GET", "/v1/catalog/node/meta-host")["Node"]
    assert node["Meta"] == {"rack": "r12", "rfc1035-owner": "team dns"}
    assert agent.api_ok("GET", "/v1/agent/self")["Meta"] == node["Meta"]
    txt = sorted(b"".join(rd.strings).decode() for rrset in
                 agent.query("meta-host.node.internal", "TXT").answer for rd in rrset)
    assert txt == ["rack=r12", "team dns"]  # RFC 1464; "rfc1035-" gives the value alone
    # An A answer carries them in the additional section (Consul's
    # enable_additional_node_meta_txt, on by default)
    a = agent.query("meta-host.node.internal", "A")
    assert [rrset.rdtype for rrset in a.answer] == [dns.rdatatype.A]
    extra = sorted(b"".join(rd.strings).decode() for rrset in a.additional
                   if rrset.rdtype == dns.rdatatype.TXT for rd in rrset)
    assert extra == ["rack=r12", "team dns"]


def test_additional_node_meta_txt_can_be_turned_off(muster):
    cfg = muster.config([], enable_additional_node_meta_txt=False)
    cfg.update({"node_name": "meta-host", "server": True, "bootstrap": True,
                "node_meta": {"rack": "r12"}})
    cfg["ports"]["server"] = free_port()
    agent = muster.start(cfg)
    wait_until(lambda: agent.query("meta-host.node.internal", "A").answer, scaled(10), 0.1,
               "the node in DNS")
    a = agent.query("meta-host.node.internal", "A")
    assert not [rrset for rrset in a.additional if rrset.rdtype == dns.rdatatype.TXT]
    txt = agent.query("meta-host.node.internal", "TXT")
    assert [b"".join(rd.strings) for rrset in txt.answer for rd in rrset] == [b"rack=r12"]


def test_bad_node_meta_is_refused_naming_the_key(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"node_meta": {"consul-x": "1", "ok": 2, "bad key": "v"}}')
    r = run_muster(["validate", str(path)])
    assert r.returncode == 2
    assert f'{path}: node_meta.consul-x: the prefix "consul-" is reserved' in r.stderr, r.stderr
    assert f"{path}: node_meta.ok: expected a string (got 2)" in r.stderr, r.stderr
    assert f"{path}: node_meta.bad key: expected a key of 1-128 letters" in r.stderr, r.stderr


# A server's consul.hcl in the shape of Consul's deployment guide and its JSON twin (as the
# configs our users run look: gossip key, UI, Connect, ACLs off, performance, telemetry).
SERVER_HCL = """
datacenter = "dc1"
data_dir = "{data}"
encrypt = "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s="
server = true
bootstrap_expect = 1
node_name = "consul-server-1"
client_addr = "127.0.0.1"
bind_addr = "127.0.0.1"
ui_config {{
  enabled = true
}}
connect {{
  enabled = true
}}
acl {{
  enabled = false
  default_policy = "allow"
  enable_token_persistence = true
}}
performance {{
  raft_multiplier = 1
}}
telemetry {{
  prometheus_retention_time = "24h"
  disable_hostname = true
}}
addresses {{
  grpc = "127.0.0.1"
}}
ports {{
  dns = {dns}
  http = {http}
  server = {server}
  grpc = 8502
}}
dns_config {{
  allow_stale = true
  enable_truncate = true
  only_passing = true
}}
node_meta {{
  rack = "r1"
}}
disable_update_check = true
leave_on_terminate = false
log_level = "INFO"
"""

SERVER_JSON = """{{
  "datacenter": "dc1", "data_dir": "{data}",
  "encrypt": "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=",
  "server": true, "bootstrap_expect": 1, "node_name": "consul-server-1",
  "client_addr": "127.0.0.1", "bind_addr": "127.0.0.1",
  "ui_config": {{"enabled": true}}, "connect": {{"enabled": true}},
  "acl": {{"enabled": false, "default_policy": "allow", "enable_token_persistence": true}},
  "performance": {{"raft_multiplier": 1}},
  "telemetry": {{"prometheus_retention_time": "24h", "disable_hostname": true}},
  "addresses": {{"grpc": "127.0.0.1"}},
  "ports": {{"dns": {dns}, "http": {http}, "server": {server}, "grpc": 8502}},
  "dns_config": {{"allow_stale": true, "enable_truncate": true, "only_passing": true}},
  "node_meta": {{"rack": "r1"}},
  "disable_update_check": true, "leave_on_terminate": false, "log_level": "INFO"
}}"""

WARNED = ["connect", "acl.default_policy", "acl.enable_token_persistence",
          "performance", "telemetry", "addresses.grpc", "ports.grpc", "disable_update_check"]


def start_consul_config(muster, tmp_path, name, text):
    conf = tmp_path / f"{name}.d"
    conf.mkdir()
    ports = {"dns": free_port(), "http": free_port(), "server": free_port()}
    path = conf / name
    path.write_text(text.format(data=tmp_path / f"data-{name}", **ports))
    r = run_muster(["validate", str(conf)])
    assert r.returncode == 0, r.stderr
    for key in WARNED:
        assert f": {key}: recognized Consul key, not used by muster" in r.stderr, (key, r.stderr)
    assert "consul.hcl:" in r.stderr or name.endswith(".json")
    agent = muster.create({}, args=["-config-dir", str(conf)], use_config_file=False)
    agent.dns_port, agent.http_port = ports["dns"], ports["http"]
    agent.start()
    return agent


def test_a_consul_server_config_in_hcl_and_in_json_drops_in(muster, tmp_path):
    for name, text in (("consul.hcl", SERVER_HCL), ("consul.json", SERVER_JSON)):
        agent = start_consul_config(muster, tmp_path, name, text)
        wait_until(lambda: agent.query("consul.service.internal", "A").answer, scaled(10), 0.1,
                   f"consul.service.internal with {name}")
        txt = agent.query("consul-server-1.node.internal", "TXT")
        assert [b"".join(rd.strings) for rrset in txt.answer for rd in rrset] == [b"rack=r1"]
        assert "recognized Consul key, not used by muster" in agent.log_text()
        assert agent.stop() == 0
