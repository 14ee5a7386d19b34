"""Pytest fixtures for the system tests: the test CA, NSD (authority for example.test. and, in a
second instance, sub.example.test./badexample.test.), Unbound as a DoT upstream, and muster agents.

Run with Debian's interpreter: /usr/bin/python3 -m pytest tests/system (meson test --suite system
does this with MUSTER_BIN set to the built binary).
"""

from __future__ import annotations

import sys
from pathlib import Path

import os

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import LOCALHOST, Muster, Nsd, TestCA, UnboundDoT  # noqa: E402

from harness import BADEXAMPLE_A, DOT_NAME, SUB_ZONE_A, WRONG_DOT_NAME  # noqa: E402


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # remember each phase's outcome so fixtures can dump logs of failed tests at teardown
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def _failed(request) -> bool:
    rep = getattr(request.node, "rep_call", None)
    setup = getattr(request.node, "rep_setup", None)
    return bool((rep and rep.failed) or (setup and setup.failed))


def pytest_sessionfinish(session, exitstatus):
    harness.kill_all()


@pytest.fixture(scope="session", autouse=True)
def loopback_resolv_conf(tmp_path_factory):
    """Agents without recursors fall back to resolv.conf: give them one that names a closed
    loopback address, so no test ever sends a query to the host's real resolver."""
    path = tmp_path_factory.mktemp("resolv") / "resolv.conf"
    path.write_text("nameserver 127.0.0.254\n")
    old = os.environ.get("MUSTER_RESOLV_CONF")
    os.environ["MUSTER_RESOLV_CONF"] = str(path)
    yield path
    if old is None:
        os.environ.pop("MUSTER_RESOLV_CONF", None)
    else:
        os.environ["MUSTER_RESOLV_CONF"] = old


# ------------------------------------------------------------------------------------------
# ports and certificates


@pytest.fixture
def free_port():
    """Callable: a port free for UDP and TCP on 127.0.0.1."""
    return harness.free_port


@pytest.fixture(scope="session")
def ca(tmp_path_factory) -> TestCA:
    return TestCA(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="session")
def dot_cert(ca):
    """Server certificate for the DoT upstream: SAN DNS:dot.test, IP:127.0.0.1."""
    return ca.issue(DOT_NAME, [f"DNS:{DOT_NAME}", f"IP:{LOCALHOST}"])


@pytest.fixture(scope="session")
def wrong_cert(ca):
    """Certificate from the same CA that names another host only (SAN DNS:other.test)."""
    return ca.issue(WRONG_DOT_NAME, [f"DNS:{WRONG_DOT_NAME}"])


# ------------------------------------------------------------------------------------------
# authoritative peers (never killed by tests: session scope)


@pytest.fixture(scope="session")
def nsd(tmp_path_factory) -> Nsd:
    """NSD authoritative for example.test. (see harness.EXAMPLE_ZONE)."""
    server = Nsd(tmp_path_factory.mktemp("nsd"), {"example.test.": harness.example_zone_text()})
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def nsd_sub(tmp_path_factory) -> Nsd:
    """A second NSD, authoritative for sub.example.test. (host.sub.example.test A 198.51.100.7)
    and badexample.test. (www.badexample.test A 203.0.113.9); the first NSD knows nothing of
    either, so answers tell which server a query went to."""
    server = Nsd(tmp_path_factory.mktemp("nsd-sub"), {
        "sub.example.test.": harness.simple_zone("sub.example.test", f"host IN A {SUB_ZONE_A}"),
        "badexample.test.": harness.simple_zone("badexample.test", f"www IN A {BADEXAMPLE_A}"),
    })
    server.start()
    yield server
    server.stop()


# ------------------------------------------------------------------------------------------
# DoT upstreams (function scope: tests kill them; a fresh cache each time)


@pytest.fixture
def unbound(tmp_path, dot_cert, nsd) -> UnboundDoT:
    """Unbound serving DoT on 127.0.0.1:<port> with the dot.test certificate, resolving
    example.test from NSD. Tests may kill() and start() it again on the same port."""
    server = UnboundDoT(tmp_path / "unbound", dot_cert, {"example.test.": nsd.port})
    server.start()
    yield server
    server.kill()


@pytest.fixture
def unbound_wrong_name(tmp_path, wrong_cert, nsd) -> UnboundDoT:
    """Unbound serving DoT with a certificate for other.test only."""
    server = UnboundDoT(tmp_path / "unbound-wrong", wrong_cert, {"example.test.": nsd.port})
    server.start()
    yield server
    server.kill()


# ------------------------------------------------------------------------------------------
# muster


class MusterFactory:
    """make(recursors, **dns_config) builds an agent config on free ports; start(...) runs it.
    Every agent is killed at teardown; for failed tests its log is printed."""

    def __init__(self, tmp_path: Path, ca: TestCA):
        self.tmp_path = tmp_path
        self.ca = ca
        self.agents: list[Muster] = []

    def config(self, recursors: list[str] | None = None, *, ca_file: bool = True,
               **dns_config) -> dict:
        data_dir = self.tmp_path / f"data{len(self.agents)}"
        data_dir.mkdir(parents=True, exist_ok=True)
        return harness.base_config(harness.free_port(), recursors or [], data_dir=data_dir,
                                   ca_file=self.ca.pem if ca_file else None, **dns_config)

    def create(self, config: dict, *, args: list[str] | None = None, env: dict | None = None,
               use_config_file: bool = True) -> Muster:
        agent = Muster(self.tmp_path / f"muster{len(self.agents)}", config, args=args, env=env,
                       use_config_file=use_config_file)
        self.agents.append(agent)
        return agent

    def start(self, config: dict, *, args: list[str] | None = None, env: dict | None = None,
              wait: bool = True) -> Muster:
        return self.create(config, args=args, env=env).start(wait=wait)

    def teardown(self, dump_logs: bool) -> None:
        for agent in self.agents:
            agent.kill()
            if dump_logs:
                print(f"\n--- {agent.log_path} ---\n{agent.log_text()[-20000:]}")


@pytest.fixture
def muster(tmp_path, ca, request) -> MusterFactory:
    """Factory for muster agents: muster.start(muster.config([...recursors], **dns_config))."""
    factory = MusterFactory(tmp_path, ca)
    yield factory
    factory.teardown(dump_logs=_failed(request))
