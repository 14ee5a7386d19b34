"""The command line: `muster version`, `muster validate PATH...` (exit 0 and "configuration
valid", or exit 2 and one "FILE: KEY: ..." line per problem), and `muster agent` refusing a bad
config with exit 2 and the same message, or running from command-line options alone; and the
man page's SYNOPSIS naming every command the usage lists."""

import json
import re

import pytest

import harness
from harness import run_muster, udp_uri

GOOD = {
    "client_addr": "127.0.0.1",
    "ports": {"dns": 8600, "http": 8500},
    "log_level": "info",
    "recursors": ["tls://127.0.0.1:8853#dot.test", "tcp://192.0.2.1:53", "udp://192.0.2.2:53",
                  "192.0.2.3:5353"],
    "records": [
        {"name": "a.lan.test", "type": "A", "value": "192.0.2.1", "ttl": 30},
        {"name": "a.lan.test", "type": "AAAA", "value": "2001:db8::1"},
        {"name": "c.lan.test", "type": "CNAME", "value": "a.lan.test"},
        {"name": "1.2.0.192.in-addr.arpa", "type": "PTR", "value": "a.lan.test"},
        {"name": "_x._tcp.lan.test", "type": "SRV", "value": "1 1 80 a.lan.test"},
        {"name": "t.lan.test", "type": "TXT", "value": "hello"},
        {"name": "lan.test", "type": "MX", "value": "10 a.lan.test"},
    ],
    "dns_config": {
        "workers": 2,
        "allow_recursion": ["127.0.0.0/8", "::1/128", "10.0.0.0/8"],
        "recursor_timeout": "2s",
        "recursor_strategy": "fastest",
        "forward_zones": {"corp.test.": ["udp://127.0.0.1:5300"]},
        "cache": {"size": 5000, "min_ttl": "0s", "max_ttl": "3600s", "negative_max_ttl": "300s",
                  "serve_stale": True, "stale_max_age": "86400s", "prefetch": True},
        "tcp_idle_timeout": "500ms",
        "tcp_max_connections": 100,
        "edns_udp_size": 1232,
    },
}


def write(tmp_path, name, obj) -> str:
    path = tmp_path / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj, indent=2))
    return str(path)


def output(res) -> str:
    return res.stdout + res.stderr


def test_version():
    res = run_muster(["version"])
    assert res.returncode == 0
    assert re.search(r"\b\d+\.\d+\.\d+\b", res.stdout), res.stdout


def test_validate_good_file(tmp_path):
    path = write(tmp_path, "good.json", GOOD)
    res = run_muster(["validate", path])
    assert res.returncode == 0, output(res)
    assert "configuration valid" in output(res)


def test_validate_accepts_comments(tmp_path):
    text = '// muster config\n{\n  /* ports */ "ports": {"dns": 8600}, // trailing\n' \
           '  "log_level": "warn"\n}\n'
    res = run_muster(["validate", write(tmp_path, "commented.json", text)])
    assert res.returncode == 0, output(res)
    assert "configuration valid" in output(res)


@pytest.mark.parametrize("mutate,key", [
    (lambda c: c.update(bogus_key=1), "bogus_key"),
    (lambda c: c["dns_config"].update(no_such_option=True), "dns_config.no_such_option"),
    (lambda c: c["ports"].update(dns="fifty-three"), "ports.dns"),
    (lambda c: c["ports"].update(dns=70000), "ports.dns"),
    (lambda c: c["dns_config"].update(recursor_timeout="soon"), "dns_config.recursor_timeout"),
    (lambda c: c["dns_config"].update(recursor_strategy="loudest"), "dns_config.recursor_strategy"),
    (lambda c: c["dns_config"].update(allow_recursion=["10.0.0.0/33"]), "dns_config.allow_recursion"),
    (lambda c: c.update(recursors=["ftp://192.0.2.1:53"]), "recursors"),
    (lambda c: c.update(log_level="chatty"), "log_level"),
    (lambda c: c["records"].append({"name": "x.lan.test", "type": "A", "value": "not-an-ip"}), "records"),
    (lambda c: c["records"].append({"name": "x.lan.test", "type": "BOGUS", "value": "1"}), "records"),
])
def test_validate_bad_file_names_file_and_key(tmp_path, mutate, key):
    cfg = json.loads(json.dumps(GOOD))
    mutate(cfg)
    path = write(tmp_path, "bad.json", cfg)
    res = run_muster(["validate", path])
    assert res.returncode == 2, output(res)
    assert "configuration valid" not in output(res)
    # "FILE: KEY: expected ..." (list keys may carry an index: records[7].value, recursors[0])
    pattern = re.escape(path) + r": " + re.escape(key) + r"[\w.\[\]]*: \S"
    assert re.search(pattern, output(res)), f"no '{path}: {key}...: ...' in:\n{output(res)}"


def test_validate_wrong_type_says_what_was_expected(tmp_path):
    cfg = json.loads(json.dumps(GOOD))
    cfg["ports"]["dns"] = "fifty-three"
    path = write(tmp_path, "bad.json", cfg)
    res = run_muster(["validate", path])
    assert res.returncode == 2
    assert re.search(re.escape(path) + r": ports\.dns: expected ", output(res)), output(res)


def test_validate_syntax_error_names_file(tmp_path):
    path = write(tmp_path, "broken.json", '{"ports": {"dns": 8600,}')
    res = run_muster(["validate", path])
    assert res.returncode == 2
    assert path in output(res)


def test_validate_reports_every_bad_file(tmp_path):
    good = write(tmp_path, "good.json", GOOD)
    bad1 = write(tmp_path, "bad1.json", {"bogus_one": 1})
    bad2 = write(tmp_path, "bad2.json", {"ports": {"dns": "x"}})
    res = run_muster(["validate", good, bad1, bad2])
    assert res.returncode == 2
    assert re.search(re.escape(bad1) + r": bogus_one: ", output(res)), output(res)
    assert re.search(re.escape(bad2) + r": ports\.dns: ", output(res)), output(res)
    assert good + ":" not in output(res)


def test_validate_missing_file(tmp_path):
    path = str(tmp_path / "nope.json")
    res = run_muster(["validate", path])
    assert res.returncode == 2
    assert path in output(res)


def test_agent_with_unknown_key_exits_2(tmp_path):
    cfg = json.loads(json.dumps(GOOD))
    cfg["ports"] = {"dns": harness.free_port(), "http": harness.free_port()}
    cfg["bogus_key"] = True
    path = write(tmp_path, "bad.json", cfg)
    res = run_muster(["agent", "--config-file", path, "--data-dir", str(tmp_path / "data")], timeout=20)
    assert res.returncode == 2, output(res)
    assert re.search(re.escape(path) + r": bogus_key: ", res.stderr), res.stderr


def test_agent_with_bad_value_in_config_dir_exits_2(tmp_path):
    d = tmp_path / "conf.d"
    d.mkdir()
    write(d, "10-base.json", {"ports": {"dns": harness.free_port(), "http": harness.free_port()}})
    bad = write(d, "20-bad.json", {"dns_config": {"recursor_timeout": "whenever"}})
    res = run_muster(["agent", "--config-dir", str(d), "--data-dir", str(tmp_path / "data")], timeout=20)
    assert res.returncode == 2, output(res)
    assert re.search(re.escape(bad) + r": dns_config\.recursor_timeout: ", res.stderr), res.stderr


def test_agent_from_command_line_options_only(muster, nsd, tmp_path):
    port = harness.free_port()
    cfg = {"ports": {"dns": port}}  # only for the harness: the process gets no config file
    agent = muster.create(cfg, use_config_file=False, args=[
        "--client", "127.0.0.1", "--dns-port", str(port), "--recursor", udp_uri(nsd.port),
        "--data-dir", str(tmp_path / "data"), "--log-level", "debug",
        "--http-port", str(harness.free_port())])
    agent.start()
    r = agent.query("www.example.test", "A")
    assert harness.rrset_values(r, "www.example.test.", "A") == ["192.0.2.1"]


def test_command_line_overrides_config_file(muster, nsd, tmp_path):
    cfg = muster.config([udp_uri(harness.closed_port())])
    port = harness.free_port()
    agent = muster.create(cfg, args=["--dns-port", str(port), "--recursor", udp_uri(nsd.port)])
    agent.dns_port = port  # the command line wins over ports.dns in the file
    agent.start()
    r = agent.query("www.example.test", "A", timeout=5)
    assert harness.rrset_values(r, "www.example.test.", "A") == ["192.0.2.1"]


def test_config_dir_files_merge_in_lexical_order(muster, nsd, tmp_path):
    # later files override scalars of earlier ones; files not named *.json are not read
    d = tmp_path / "conf.d"
    d.mkdir()
    port = harness.free_port()
    write(d, "20-port.json", {"ports": {"dns": port}})
    write(d, "10-base.json", {"client_addr": "127.0.0.1",
                              "ports": {"dns": harness.free_port(), "http": harness.free_port()},
                              "recursors": [udp_uri(nsd.port)],
                              "records": [{"name": "m.lan.test", "type": "A", "value": "192.0.2.1"}]})
    write(d, "ignored.txt", "not json at all")
    agent = muster.create({"ports": {"dns": port}}, use_config_file=False,
                          args=["--config-dir", str(d), "--data-dir", str(tmp_path / "data")])
    agent.start()
    assert harness.rrset_values(agent.query("m.lan.test"), "m.lan.test.", "A") == ["192.0.2.1"]
    assert harness.rrset_values(agent.query("www.example.test"), "www.example.test.", "A") == ["192.0.2.1"]


def test_unknown_option_is_a_usage_error():
    res = run_muster(["agent", "--no-such-option"])
    assert res.returncode == 2, output(res)
    assert "no-such-option" in output(res)


def test_man_page_synopsis_lists_every_command_of_the_usage():
    res = run_muster(["--help"])
    assert res.returncode == 0, output(res)
    commands = set(re.findall(r"^(?:usage:)?\s+muster ([a-z]+)", res.stdout, re.M))
    assert {"agent", "reload", "cache"} <= commands, res.stdout
    man = (harness.REPO_ROOT / "man" / "muster.8").read_text()
    synopsis = man.split(".SH SYNOPSIS", 1)[1].split(".SH ", 1)[0]
    for command in sorted(commands):
        assert re.search(rf"^\.B (muster )?{command}( |$)", synopsis, re.M), \
            f"man/muster.8's SYNOPSIS lacks `muster {command}`"
