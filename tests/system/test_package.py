"""The .deb (scripts/package): built from the build the tests use, its control fields and
contents, lintian without errors, and a real install into a scratch root with dpkg --root (the
maintainer scripts run there with DPKG_ROOT: the user muster, /var/lib/muster, the empty key,
the unit enabled), the installed binary's `version` and `validate /etc/muster.d`, remove keeping
the data and purge deleting it; the installed unit through systemd-analyze security and verify.

No systemd runs as PID 1 here, so the unit is enabled (links) but not started."""

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from harness import REPO_ROOT, muster_bin
from test_systemd_unit import MAX_EXPOSURE, exposure, security

UNIT_PATH = "lib/systemd/system/muster.service"
needs_systemd_analyze = pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                           reason="systemd-analyze is not installed (systemd)")

pytestmark = [
    pytest.mark.skipif(os.environ.get("MUSTER_TEST_TIMEOUT_SCALE", "1") != "1",
                       reason="packaging does not depend on the sanitizer: the optimized build "
                              "is the one packaged"),
    pytest.mark.skipif(shutil.which("dpkg-shlibdeps") is None,
                       reason="dpkg-dev is not installed (scripts/setup installs it)"),
]


def run(argv, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("timeout", 120)
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, **kw)


def project_version() -> str:
    out = run([muster_bin(), "version"]).stdout
    m = re.search(r"\d+\.\d+\.\d+\S*", out)
    assert m, out
    return m.group(0)


@pytest.fixture(scope="module")
def deb(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("deb")
    res = run([REPO_ROOT / "scripts" / "package", Path(muster_bin()).parent, out])
    assert res.returncode == 0, res.stdout + res.stderr
    path = Path(res.stdout.strip().splitlines()[-1])
    assert path.name == f"muster_{project_version()}_{arch()}.deb"
    assert path.is_file()
    return path


def arch() -> str:
    return run(["dpkg", "--print-architecture"]).stdout.strip()


def field(deb: Path, name: str) -> str:
    res = run(["dpkg-deb", "-f", deb, name])
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


@pytest.fixture(scope="module")
def extracted(deb, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("extracted")
    res = run(["dpkg-deb", "-R", deb, root])
    assert res.returncode == 0, res.stderr
    return root


def test_control_fields(deb):
    info = run(["dpkg-deb", "-I", deb]).stdout
    for name in ("Package", "Version", "Architecture", "Maintainer", "Installed-Size",
                 "Depends", "Section", "Priority", "Description"):
        assert re.search(rf"^ {name}: \S", info, re.M), f"{name} missing:\n{info}"
    assert field(deb, "Package") == "muster"
    assert field(deb, "Version") == project_version()
    assert field(deb, "Architecture") == arch()
    assert re.fullmatch(r"[^<>]+ <[^<>@\s]+@[^<>@\s]+>", field(deb, "Maintainer"))
    depends = [d.strip() for d in field(deb, "Depends").split(",")]
    # dpkg-shlibdeps found the libraries the binary links, with versions from their symbols
    for lib in ("libldns", "libraft", "libevent", "liblmdb", "libssl3", "libc6", "libuv1"):
        assert any(d.startswith(lib) and "(>=" in d for d in depends), (lib, depends)
    assert any(re.fullmatch(r"libraft\d+ \(>= 0\.22\)", d) for d in depends), depends
    # what the maintainer scripts call: deb-systemd-helper, systemd-sysusers
    assert any(d.startswith("init-system-helpers") for d in depends)
    assert "systemd | systemd-standalone-sysusers" in depends
    assert int(field(deb, "Installed-Size")) > 1000


def test_contents(deb, extracted):
    listing = run(["dpkg-deb", "-c", deb]).stdout
    entries = {line.split()[-1].removeprefix("."): line.split()[:2]
               for line in listing.splitlines()}
    for path in ("/usr/bin/muster", "/usr/share/man/man8/muster.8.gz",
                 "/usr/share/man/man5/muster.json.5.gz", "/etc/muster.d/muster.hcl",
                 "/" + UNIT_PATH, "/usr/lib/sysusers.d/muster.conf",
                 "/usr/share/doc/muster/copyright", "/usr/share/doc/muster/changelog.gz",
                 "/usr/share/doc/muster/forwarding/unbound.conf",
                 "/usr/share/doc/muster/forwarding/dnsmasq.conf",
                 "/usr/share/doc/muster/forwarding/bind.conf",
                 "/usr/share/doc/muster/examples/muster.hcl"):
        assert path in entries, f"{path} not in\n{listing}"
    assert entries["/usr/bin/muster"][0] == "-rwxr-xr-x"
    assert all(owner == "root/root" for _, owner in entries.values())
    # /var/lib/muster and the key are the maintainer scripts' to make and remove, not dpkg's
    assert not any(p.startswith(("/var/lib/muster", "/etc/muster.d/encrypt.key")) for p in entries)
    assert (extracted / "DEBIAN" / "conffiles").read_text().split() == ["/etc/muster.d/muster.hcl"]
    # stripped: no symbol table in the packaged binary, while the build dir keeps one
    sections = run(["readelf", "-S", extracted / "usr/bin/muster"]).stdout
    assert ".symtab" not in sections and ".debug_info" not in sections
    assert ".symtab" in run(["readelf", "-S", muster_bin()]).stdout


@pytest.mark.skipif(shutil.which("lintian") is None,
                    reason="lintian is not installed (scripts/setup installs it)")
def test_lintian_reports_no_errors(deb):
    # lintian takes about 7 s for this package here (2 cores), most of it its own start-up
    start = time.monotonic()
    res = run(["lintian", "--tag-display-limit", "0", deb], timeout=300)
    errors = [line for line in res.stdout.splitlines() if line.startswith("E:")]
    assert not errors, res.stdout
    assert res.returncode in (0, 1) and "internal error" not in res.stderr.lower(), res.stderr
    print(f"lintian: {time.monotonic() - start:.1f} s\n{res.stdout}")


def test_the_packaged_config_validates(extracted):
    binary = extracted / "usr/bin/muster"
    res = run([binary, "version"])
    assert res.returncode == 0 and project_version() in res.stdout, res.stdout + res.stderr
    res = run([binary, "validate", extracted / "etc/muster.d"])
    assert res.returncode == 0, res.stdout + res.stderr
    # the data_dir is the unit's StateDirectory=
    assert 'data_dir  = "/var/lib/muster"' in (extracted / "etc/muster.d/muster.hcl").read_text()


@needs_systemd_analyze
def test_installed_unit_scores_at_most_2(extracted):
    res = security(extracted / UNIT_PATH)
    assert res.returncode == 0, res.stdout + res.stderr
    assert exposure(res) <= MAX_EXPOSURE, res.stdout


def test_installed_unit_runs_the_package_binary_as_user_muster(extracted):
    text = (extracted / UNIT_PATH).read_text()
    assert re.search(r"^ExecStart=/usr/bin/muster agent --config-dir /etc/muster\.d$", text, re.M)
    assert re.search(r"^User=muster$", text, re.M) and "DynamicUser" not in text.replace(
        "in place of DynamicUser=", "")
    assert re.search(r"^Type=notify$", text, re.M) and re.search(r"^ExecReload=", text, re.M)
    assert re.search(r"^StateDirectory=muster$", text, re.M)
    assert re.search(r"^LoadCredential=encrypt:/etc/muster\.d/encrypt\.key$", text, re.M)


@needs_systemd_analyze
def test_systemd_accepts_the_installed_unit(extracted, tmp_path):
    # verify insists that ExecStart exists: point it at the extracted binary
    copy = tmp_path / "muster.service"
    copy.write_text((extracted / UNIT_PATH).read_text().replace(
        "/usr/bin/muster", str(extracted / "usr/bin/muster")))
    res = run(["systemd-analyze", "verify", "--man=no", copy], cwd=tmp_path, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout + res.stderr == ""


def scratch_root(tmp_path: Path) -> Path:
    """An empty root with the dpkg database dpkg --root wants."""
    root = tmp_path / "root"
    admin = root / "var/lib/dpkg"
    for d in ("info", "updates", "triggers"):
        (admin / d).mkdir(parents=True)
    (admin / "status").write_text("")
    (admin / "available").write_text("")
    return root


def dpkg(root: Path, *args) -> subprocess.CompletedProcess:
    # --force-script-chrootless: the root holds no /bin/sh, so the maintainer scripts run on
    # the host with DPKG_ROOT set, as they support; --force-depends: no libraries in the root.
    res = run(["dpkg", f"--root={root}", "--force-script-chrootless", "--force-depends",
               *args], timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    return res


def passwd_entry(root: Path, user: str) -> list[str] | None:
    for line in (root / "etc/passwd").read_text().splitlines():
        if line.split(":")[0] == user:
            return line.split(":")
    return None


def test_install_remove_purge_in_a_scratch_root(deb, tmp_path):
    root = scratch_root(tmp_path)
    dpkg(root, "-i", deb)
    status = run(["dpkg-query", f"--admindir={root}/var/lib/dpkg", "-W",
                  "-f=${Status} ${Version}", "muster"]).stdout
    assert status == f"install ok installed {project_version()}"

    # the postinst: a system user with no login, its private data_dir, an empty root-only key
    user = passwd_entry(root, "muster")
    assert user and int(user[2]) < 1000 and user[5] == "/var/lib/muster", user
    assert user[6].endswith("nologin")
    state = (root / "var/lib/muster").stat()
    assert (state.st_uid, state.st_gid) == (int(user[2]), int(user[3]))
    assert state.st_mode & 0o777 == 0o700
    key = root / "etc/muster.d/encrypt.key"
    assert key.stat().st_size == 0 and key.stat().st_mode & 0o777 == 0o600
    assert key.stat().st_uid == 0
    # enabled: the unit's WantedBy= link, made by deb-systemd-helper inside the root
    wants = root / "etc/systemd/system/multi-user.target.wants/muster.service"
    assert os.readlink(wants) == "/" + UNIT_PATH

    # the installed binary, with the installed configuration and the key file beside it
    binary = root / "usr/bin/muster"
    assert project_version() in run([binary, "version"]).stdout
    res = run([binary, "validate", root / "etc/muster.d"])
    assert res.returncode == 0, res.stdout + res.stderr

    # reinstalling (an upgrade's configure) keeps the user and the data
    (root / "var/lib/muster/catalog.mdb").write_text("data")
    dpkg(root, "-i", deb)
    assert passwd_entry(root, "muster") == user

    # remove: binary and unit gone; the data, the key and the edited conffile stay
    hcl = root / "etc/muster.d/muster.hcl"
    hcl.write_text(hcl.read_text() + '\nnode_name = "edited"\n')
    dpkg(root, "-r", "muster")
    assert not binary.exists() and not (root / UNIT_PATH).exists()
    assert (root / "var/lib/muster/catalog.mdb").read_text() == "data"
    assert key.exists() and hcl.exists()

    # purge: the data, the key, the configuration and the enablement go; the user stays
    dpkg(root, "-P", "muster")
    assert not (root / "var/lib/muster").exists()
    assert not (root / "etc/muster.d").exists()
    assert not wants.exists() and not wants.is_symlink()
    assert passwd_entry(root, "muster") == user
    assert run(["dpkg-query", f"--admindir={root}/var/lib/dpkg", "-W", "muster"]).returncode != 0


@pytest.mark.parametrize("script", ["postinst", "prerm", "postrm"])
def test_maintainer_scripts_are_posix_sh(script):
    path = REPO_ROOT / "packaging" / "deb" / script
    res = run(["sh", "-n", path])
    assert res.returncode == 0, res.stderr
    if shutil.which("shellcheck"):
        res = run(["shellcheck", "-s", "sh", path])
        assert res.returncode == 0, res.stdout
