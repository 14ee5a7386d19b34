"""The web UI (issue 17): /ui/ served from the binary when ui_config.enabled (on with --dev, off
otherwise, as Consul), GET / redirecting there; and a headless Chromium that sees the registered
services with their health, a failing check turn its service critical without a reload, and the
error banner once the agent is gone (and gone again once it is back)."""

import http.client
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

import harness
from harness import LOCALHOST, scaled, wait_until

try:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # reported by the browser test itself, not skipped
    webdriver = None

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

browser_test = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                  reason="no Chromium at /usr/bin/chromium (scripts/setup "
                                         "installs it)")
# Chromium under the sanitized build's slower agent adds minutes and no coverage of muster.
optimized_only = pytest.mark.skipif(os.environ.get("MUSTER_TEST_TIMEOUT_SCALE", "1") != "1",
                                    reason="the browser test runs once, in the optimized build")


def raw_get(port: int, path: str, method: str = "GET"):
    """One request without following redirects: (status, headers, body)."""
    conn = http.client.HTTPConnection(LOCALHOST, port, timeout=scaled(10))
    try:
        conn.request(method, path)
        r = conn.getresponse()
        headers = {k.lower(): v for k, v in r.getheaders()}
        headers[":reason"] = r.reason
        return r.status, headers, r.read()
    finally:
        conn.close()


def ui_config(muster, enabled: bool | None = True, **extra) -> dict:
    config = muster.config()
    if enabled is not None:
        config["ui_config"] = {"enabled": enabled}
    config.update(extra)
    return config


# ------------------------------------------------------------------------------------------
# HTTP


def test_ui_is_served_with_its_types_and_root_redirects_there(muster):
    agent = muster.start(ui_config(muster))
    port = agent.http_port
    for path in ("/", "/ui"):
        status, headers, _ = raw_get(port, path)
        assert (status, headers.get("location")) == (301, "/ui/"), path
        assert headers[":reason"] == "Moved Permanently"
    status, headers, body = raw_get(port, "/ui/")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["cache-control"] == "no-cache"
    assert b'<script src="app.js"' in body and b'href="style.css"' in body
    assert b"http://" not in body and b"https://" not in body, "no external asset"
    for name, ctype in (("index.html", "text/html; charset=utf-8"),
                        ("app.js", "text/javascript; charset=utf-8"),
                        ("style.css", "text/css; charset=utf-8")):
        status, headers, body = raw_get(port, "/ui/" + name)
        assert (status, headers["content-type"]) == (200, ctype), name
        assert body, name
    assert raw_get(port, "/ui/", "HEAD")[0] == 200
    for missing in ("/ui/nope.js", "/ui/app.js/", "/ui/../v1/agent/self", "/uix"):
        assert raw_get(port, missing)[0] == 404, missing
    assert raw_get(port, "/", "PUT")[0] == 405
    # the API beside it is untouched
    assert agent.api("GET", "/v1/agent/self").status == 200


def test_ui_is_off_by_default_outside_dev_mode(muster):
    agent = muster.start(ui_config(muster, enabled=None))
    status, _, body = raw_get(agent.http_port, "/ui/")
    assert status == 404
    assert b"ui_config" in body, "the 404 says how to turn the UI on"
    assert raw_get(agent.http_port, "/ui/app.js")[0] == 404
    status, headers, body = raw_get(agent.http_port, "/")
    assert (status, body) == (404, b"404 page not found")
    assert "location" not in headers


def test_ui_flag_and_consuls_deprecated_ui_key_turn_it_on(muster):
    flagged = muster.start(ui_config(muster, enabled=None), args=["--ui"])
    assert raw_get(flagged.http_port, "/ui/")[0] == 200
    old_key = muster.start(ui_config(muster, enabled=None, ui=True))
    assert raw_get(old_key.http_port, "/ui/")[0] == 200
    off = muster.start(ui_config(muster, enabled=False))
    assert raw_get(off.http_port, "/ui/")[0] == 404


def test_dev_mode_turns_the_ui_on(muster):
    dns, http_port = harness.free_port(), harness.free_port()
    args = ["--dev", "--dns-port", str(dns), "--http-port", str(http_port),
            "--server-port", str(harness.free_port()),
            "--recursor", harness.udp_uri(harness.closed_port())]
    agent = muster.create({"ports": {"dns": dns, "http": http_port}}, args=args,
                          use_config_file=False).start()
    status, headers, _ = raw_get(http_port, "/")
    assert (status, headers.get("location")) == (301, "/ui/")
    assert raw_get(http_port, "/ui/")[0] == 200
    assert agent.stop() == 0


# ------------------------------------------------------------------------------------------
# the browser


def artifacts_dir() -> Path:
    """MUSTER_TEST_ARTIFACTS, else test-artifacts/ next to the muster binary (the build dir)."""
    base = os.environ.get("MUSTER_TEST_ARTIFACTS")
    path = Path(base) if base else Path(harness.muster_bin()).resolve().parent / "test-artifacts"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def browser(tmp_path):
    if webdriver is None or not os.path.exists(CHROMEDRIVER):
        pytest.fail("Chromium is installed but python3-selenium or chromium-driver is not "
                    "(scripts/setup installs both)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp_path)
    # Without the background-networking flags Chromium stalls on a closed network.
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", "--window-size=1200,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER, log_output=str(tmp_path / "chromedriver.log")),
                              options=options)
    driver.set_page_load_timeout(15)
    driver.set_script_timeout(10)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver, what: str, pred, timeout: float = 10):
    """Until pred(driver) is truthy (a poll is every 2 s); fails naming what, with the page."""
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: pred(d))
    except TimeoutException:
        page = driver.execute_script(
            "return document.getElementById('banner').innerText + '\\n' + "
            "document.getElementById('main').innerText;")
        raise AssertionError(f"timed out waiting for {what}; the page:\n{page}") from None


# The page redraws on every poll, so elements are read in one script call, never held.
READ = """
const el = document.querySelector(arguments[0]);
if (!el) return null;
return {status: el.getAttribute('data-status'), text: el.innerText,
        badges: [...el.querySelectorAll('.badge')].map((b) => b.textContent)};
"""


def read(driver, selector: str):
    """{status, text, badges} of the first element matching selector, or None."""
    return driver.execute_script(READ, selector)


def count(driver, selector: str) -> int:
    return driver.execute_script("return document.querySelectorAll(arguments[0]).length;",
                                 selector)


def row_status(driver, service: str):
    row = read(driver, f'#services tr[data-service="{service}"]')
    return row and row["status"]


def banner_shown(driver) -> bool:
    return driver.execute_script("return !document.getElementById('banner').hidden;")


def go(driver, hash_: str) -> None:
    driver.execute_script("location.hash = arguments[0];", hash_)


# Replaces fetch() for /v1/agent/metrics with text whose counters grow by 40 queries a poll.
FAKE_METRICS = r"""
const real = window.fetch;
let polls = 0;
window.fetch = (url, options) => {
  if (!String(url).startsWith('/v1/agent/metrics')) return real(url, options);
  polls++;
  const up = 'tls://10.0.0.1:853#dns.example', down = 'udp://10.0.0.2:53';
  const text = [
    '# HELP muster_dns_queries_total DNS queries by listener and how they were answered.',
    '# TYPE muster_dns_queries_total counter',
    `muster_dns_queries_total{listener="127.0.0.1:8600",answer="cache"} ${1000 + 30 * polls}`,
    `muster_dns_queries_total{listener="127.0.0.1:8600",answer="forwarded"} ${500 + 10 * polls}`,
    '# TYPE muster_upstream_up gauge',
    `muster_upstream_up{upstream="${up}",zone="."} 1`,
    `muster_upstream_up{upstream="${down}",zone="corp.example."} 0`,
    `muster_upstream_rtt_seconds_bucket{upstream="${up}",zone=".",le="+Inf"} 200`,
    `muster_upstream_rtt_seconds_sum{upstream="${up}",zone="."} 5`,
    `muster_upstream_rtt_seconds_count{upstream="${up}",zone="."} 200`,
    `muster_upstream_queries_total{upstream="${up}",zone="."} ${200 + 10 * polls}`,
    `muster_upstream_queries_total{upstream="${down}",zone="corp.example."} 7`,
    'muster_cache_entries 12', ''].join('\n');
  return Promise.resolve(new Response(text, {status: 200, headers: {'Content-Type': 'text/plain; version=0.0.4'}}));
};
"""
QPS = re.compile(r"^Queries per second\n[1-9]", re.M)


def register(agent, sid: str, name: str, port: int, tags: list[str], status: str) -> None:
    agent.api_ok("PUT", "/v1/agent/service/register", {
        "ID": sid, "Name": name, "Port": port, "Tags": tags,
        "Check": {"CheckID": f"{sid}-ttl", "Name": f"{sid} heartbeat", "TTL": "300s"}})
    verb = {"passing": "pass", "warning": "warn", "critical": "fail"}[status]
    agent.api_ok("PUT", f"/v1/agent/check/{verb}/{sid}-ttl?note={status}%20from%20the%20test")


@browser_test
@optimized_only
def test_browser_shows_services_live_and_the_banner_when_the_agent_is_gone(muster, browser):
    config = ui_config(muster, node_meta={"rack": "r12"})
    agent = muster.start(config)
    # a tag a careless page would run as HTML
    evil = '<img src=x id=injected onerror="document.title=1">'
    register(agent, "web-1", "web", 8080, ["v1", evil], "passing")
    register(agent, "web-2", "web", 8081, ["v1"], "passing")
    register(agent, "db-1", "db", 5432, ["primary"], "warning")
    shots = artifacts_dir()

    browser.get(f"http://{LOCALHOST}:{agent.http_port}/")  # the redirect, as a user types it
    assert browser.current_url.endswith("/ui/")
    wait_for(browser, "web and db listed", lambda d: row_status(d, "web") and row_status(d, "db"))
    assert row_status(browser, "web") == "passing"
    assert row_status(browser, "db") == "warning"
    web = read(browser, '#services tr[data-service="web"]')
    assert web["badges"] == ["2", "0", "0"]
    assert evil in web["text"], "the tag is shown as text"
    assert count(browser, "#injected") == 0, "a tag must never become HTML"
    assert not banner_shown(browser)

    # a check fails: the page follows without a reload (the marker survives)
    browser.execute_script("window.__not_reloaded = true;")
    agent.api_ok("PUT", "/v1/agent/check/fail/web-1-ttl?note=connection%20refused")
    wait_for(browser, "web critical", lambda d: row_status(d, "web") == "critical")
    assert browser.execute_script("return window.__not_reloaded === true;")
    assert read(browser, '#services tr[data-service="web"]')["badges"] == ["1", "0", "1"]
    browser.save_screenshot(str(shots / "ui-services.png"))

    # a service's instances: node, address, port, tags and every check with its output
    go(browser, "#/service/web")
    wait_for(browser, "web's instances", lambda d: count(d, ".instance") == 2)
    one = read(browser, '.instance[data-instance="web-1"]')
    assert one["status"] == "critical"
    assert "8080" in one["text"] and "connection refused" in one["text"], one["text"]
    check = read(browser, '.instance[data-instance="web-1"] .check[data-check="web-1-ttl"]')
    assert check["status"] == "critical"
    browser.save_screenshot(str(shots / "ui-service.png"))

    # nodes with their metadata, members with role and status
    go(browser, "#/nodes")
    wait_for(browser, "the node with its metadata",
             lambda d: "rack=r12" in ((read(d, "#nodes") or {}).get("text") or ""))
    browser.save_screenshot(str(shots / "ui-nodes.png"))
    go(browser, "#/members")
    member = wait_for(browser, "this agent as a member",
                      lambda d: read(d, "#members tr[data-member]"))
    assert member["status"] == "alive"
    assert "alive" in member["text"]

    # the DNS side: cache figures; upstreams from the metrics, or word that they are missing
    go(browser, "#/dns")
    wait_for(browser, "cache figures", lambda d: count(d, "#cache-hit-ratio"))
    if agent.api("GET", "/v1/agent/metrics?format=prometheus").status == 200:
        # the agent's own metrics: queries per second once two polls were read
        agent.query("example.internal.", "A")
        wait_for(browser, "queries per second from the agent's metrics",
                 lambda d: re.search(r"^Queries per second\n[0-9]", read(d, "#qps")["text"], re.M)
                 if count(d, "#qps") else False)
        wait_for(browser, "upstreams, or none", lambda d: count(d, "#upstreams, #no-upstreams"))
    else:
        wait_for(browser, "'metrics not available'", lambda d: count(d, "#metrics-missing"))
    # the Prometheus side, from canned text in the metric names the agent exports: health,
    # mean RTT (sum / count) and queries per second (the counters' change between two polls)
    browser.execute_script(FAKE_METRICS)
    wait_for(browser, "upstreams from the metrics",
             lambda d: count(d, "#upstreams tr[data-upstream]") == 2)
    wait_for(browser, "queries per second", lambda d: QPS.search(read(d, "#qps")["text"]))
    good = read(browser, '#upstreams tr[data-upstream="tls://10.0.0.1:853#dns.example"]')
    assert good["status"] == "passing" and "25 ms" in good["text"], good
    bad = read(browser, '#upstreams tr[data-upstream="udp://10.0.0.2:53"]')
    assert bad["status"] == "critical" and "down" in bad["text"], bad
    assert "corp.example." in bad["text"], bad
    browser.save_screenshot(str(shots / "ui-dns.png"))

    # at phone width the page is still one column without sideways scrolling
    go(browser, "#/services")
    browser.set_window_size(390, 844)
    wait_for(browser, "services at phone width", lambda d: row_status(d, "web") == "critical")
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth + 1;")
    browser.save_screenshot(str(shots / "ui-phone.png"))

    # the agent goes away: the banner; it comes back: the banner goes
    agent.stop()
    wait_for(browser, "the error banner", banner_shown)
    assert "Cannot reach the agent" in browser.find_element(By.ID, "banner").text
    browser.save_screenshot(str(shots / "ui-agent-down.png"))
    agent.start()
    wait_for(browser, "the banner cleared", lambda d: not banner_shown(d), timeout=scaled(15))
    print(f"\nUI screenshots in {shots}: ui-services.png, ui-service.png, ui-nodes.png, "
          "ui-dns.png, ui-phone.png, ui-agent-down.png")
