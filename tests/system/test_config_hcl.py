"""HCL configuration files: a --config-dir mixing .hcl and .json merges in lexical order (the
later file's value wins), services defined in HCL are answered, files of other extensions are
skipped with a warning, and `muster validate` reports FILE:LINE for a bad HCL file."""

import json
import re

import dns.rcode

import harness
from harness import run_muster, udp_uri


def base_hcl(dns_port: int, http_port: int, data_dir, recursor: str) -> str:
    return f'''# the agent's base settings, as Consul's docs write them
client_addr = "127.0.0.1"
data_dir    = "{data_dir}"
log_level   = "debug"
node_name   = "hcl-node"
bind_addr   = "127.0.0.1"
ports {{
  dns  = {dns_port}
  http = {http_port}
}}
recursors = ["{recursor}"]
dns_config {{
  recursor_timeout = "1s"
}}

/* one service, written as a block, with a TTL check that starts passing */
service {{
  name = "web"
  id   = "web-a"
  tags = ["blue"]
  port = 8080
  check {{
    id     = "web-ttl"
    name   = "web alive"
    ttl    = "30s"
    status = "passing"
  }}
}}

records {{
  name  = "m.lan.test"
  type  = "A"
  value = "192.0.2.1"
}}
'''


def addresses(agent, name):
    r = agent.query(name, "A")
    return sorted(rd.to_text() for rrset in r.answer for rd in rrset)


def test_mixed_dir_merges_in_lexical_order_and_answers_hcl_services(muster, nsd, tmp_path):
    d = tmp_path / "conf.d"
    d.mkdir()
    port = harness.free_port()
    (d / "10-base.hcl").write_text(base_hcl(harness.free_port(), harness.free_port(),
                                            tmp_path / "data", udp_uri(nsd.port)))
    # 20-*.json comes later: its ports.dns wins, its records append
    (d / "20-port.json").write_text(json.dumps({
        "ports": {"dns": port},
        "records": [{"name": "j.lan.test", "type": "A", "value": "192.0.2.2"}]}))
    (d / "README.txt").write_text("not a config file\n")
    agent = muster.create({"ports": {"dns": port}}, use_config_file=False,
                          args=["--config-dir", str(d)])
    agent.start()
    harness.wait_until(lambda: agent.query("web.service.internal", "A").rcode() ==
                       dns.rcode.NOERROR, timeout=10)
    assert addresses(agent, "web.service.internal") == ["127.0.0.1"]
    assert addresses(agent, "blue.web.service.internal") == ["127.0.0.1"]
    assert addresses(agent, "m.lan.test") == ["192.0.2.1"]
    assert addresses(agent, "j.lan.test") == ["192.0.2.2"]
    assert addresses(agent, "www.example.test") == ["192.0.2.1"]
    readme = str(d / "README.txt")
    agent.wait_log(lambda log: readme in log and "skipped" in log, timeout=5)


def test_validate_accepts_a_mixed_dir_and_warns_about_other_files(tmp_path):
    d = tmp_path / "conf.d"
    d.mkdir()
    (d / "10-base.hcl").write_text(base_hcl(8600, 8500, tmp_path / "data", "10.0.0.3"))
    (d / "20-more.json").write_text(json.dumps({"datacenter": "dc2"}))
    (d / "README.txt").write_text("notes\n")
    res = run_muster(["validate", str(d)])
    assert res.returncode == 0, res.stdout + res.stderr
    assert "configuration valid" in res.stdout
    assert re.search(re.escape(str(d / "README.txt")) + r": skipped", res.stderr), res.stderr


def test_validate_names_file_and_line_of_a_bad_hcl_file(tmp_path):
    d = tmp_path / "conf.d"
    d.mkdir()
    (d / "10-ok.json").write_text(json.dumps({"datacenter": "dc1"}))
    bad = d / "20-bad.hcl"
    bad.write_text('datacenter = "dc2"\n\nports 8600\n')
    res = run_muster(["validate", str(d)])
    assert res.returncode != 0, res.stdout
    assert f"{bad}:3: expected '=' or '{{' after \"ports\"" in res.stderr, res.stderr

    bad.write_text('datacenter = "dc2"\nports {\n  dns = "fifty"\n}\nportz = 1\n')
    res = run_muster(["validate", str(bad)])
    assert res.returncode != 0, res.stdout
    assert f"{bad}:3: ports.dns: expected" in res.stderr, res.stderr
    assert f"{bad}:5: portz: unknown key" in res.stderr, res.stderr


def test_sample_hcl_config_validates():
    res = run_muster(["validate", str(harness.REPO_ROOT / "etc" / "muster.hcl")])
    assert res.returncode == 0, res.stdout + res.stderr
