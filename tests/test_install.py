"""The tool as an operator installs it on a plain server (#25): the wheel, the tested versions
(`-c requirements.lock`), no compiler.

A plain install gets the runtime dependencies only, from wheels (`--only-binary :all:` under a
PATH with no compiler and no pkg-config), so it reads the sites through PyMySQL; the `fast`
extra, installed in the ordinary environment, builds mysqlclient and reads through it. Both run
`--help`, `mappings check` on Drupal core's own database and a small `migrate` of a generated
site into an encrypted target, then `verify` it. Without the reader's fallback to PyMySQL the
plain install cannot read a site and fails here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.encryption.filestore import create_files_key
from pseamigrate.sample import build_site
from pseamigrate.servers import LocalServer
from tests.conftest import _admin as admin

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
# What building mysqlclient needs (and pip would look for); none may be on the plain PATH.
BUILD_TOOLS = ("gcc", "cc", "c++", "g++", "clang", "pkg-config", "pkgconf", "mariadb_config")
# Modules of the package that are not imported in the import-every-module check, with the reason.
NOT_IMPORTED = {"pseamigrate.__main__": "runs the command line when imported"}
IMPORT_ALL = f"""
import importlib, pkgutil, sys
import pseamigrate
skipped = {sorted(NOT_IMPORTED)!r}
names = [m.name for m in pkgutil.walk_packages(pseamigrate.__path__, "pseamigrate.")]
for name in names:
    if name not in skipped:
        importlib.import_module(name)
print(len(names), "MySQLdb" in sys.modules)
"""


def _run(
    args: list[str], cwd: Path, env: dict[str, str], code: int = 0, stdout_only: bool = False
) -> str:
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    said = f"{done.stdout[-3000:]}{done.stderr[-3000:]}"
    assert done.returncode == code, f"{args[:4]} exit {done.returncode}:\n{said}"
    return done.stdout if stdout_only else done.stdout + done.stderr


def _environment(path: str) -> dict[str, str]:
    """The caller's environment with `path` as PATH, less this project's and Python's own
    variables (pip's settings stay: its index and cache)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PSEAMIGRATE_", "PYTHON"))}
    return env | {"PATH": path}


def _bare_path(folder: Path) -> str:
    """A PATH that holds python3 alone (a symlink): no compiler, no pkg-config."""
    folder.mkdir()
    (folder / "python3").symlink_to(Path(sys._base_executable).resolve())
    assert not [tool for tool in BUILD_TOOLS if shutil.which(tool, path=str(folder))]
    return str(folder)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout, with its package data checked."""
    dist = tmp_path_factory.mktemp("dist")
    build = [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)]
    _run(build, dist, _environment(os.environ["PATH"]))
    built = next(dist.glob("pseamigrate-*.whl"))
    with zipfile.ZipFile(built) as archive:
        names = set(archive.namelist())
    shipped = [p.relative_to(ROOT).as_posix() for p in (ROOT / "pseamigrate" / "data").rglob("*")]
    templates = [p.relative_to(ROOT).as_posix() for p in (ROOT / "pseamigrate").rglob("*.j2")]
    assert templates and "pseamigrate/data/mappings/README.md" in shipped
    assert {name for name in shipped + templates if "." in name.rsplit("/", 1)[-1]} <= names
    return built


@dataclass
class Installed:
    """A virtualenv holding the installed wheel, and the environment to run it in."""

    home: Path
    env: dict[str, str]
    workdir: Path

    def tool(self, *args: str, code: int = 0) -> str:
        """Run the installed `pseamigrate` from a folder outside the checkout."""
        return _run([str(self.home / "bin" / "pseamigrate"), *args], self.workdir, self.env, code)

    def json(self, *args: str) -> Any:
        """Run the installed `pseamigrate` and parse what it printed on stdout as JSON."""
        home = str(self.home / "bin" / "pseamigrate")
        return json.loads(_run([home, *args], self.workdir, self.env, stdout_only=True))

    def python(self, *args: str) -> str:
        """Run the venv's interpreter with `args` (`-c CODE`, `-m MODULE ...`)."""
        return _run([str(self.home / "bin" / "python"), *args], self.workdir, self.env)


def _install(wheel: Path, folder: Path, path: str, extra: str, *pip_options: str) -> Installed:
    home = folder / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(home)
    env = _environment(path)
    pip = [str(home / "bin" / "python"), "-m", "pip", "install", "-q", *pip_options]
    _run([*pip, "-c", str(LOCK), f"{wheel}{extra}"], folder, env)
    workdir = folder / "elsewhere"
    workdir.mkdir()
    return Installed(home, env, workdir)


def _pins(text: str) -> dict[str, str]:
    """name -> version of `name==version` lines (names normalised as pip does)."""
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", text, re.M)
    return {re.sub(r"[-_.]+", "-", name).lower(): version for name, version in pins}


def _assert_the_tested_versions(installed: Installed) -> set[str]:
    """Every installed distribution is the version the lock pins; return their names."""
    frozen = _pins(installed.python("-m", "pip", "freeze", "--all"))
    locked = _pins(LOCK.read_text(encoding="utf-8"))
    differ = {name: v for name, v in frozen.items() if name in locked and locked[name] != v}
    assert not differ, f"installed versions differ from requirements.lock: {differ}"
    unlocked = set(frozen) - set(locked) - {"pip", "setuptools", "pseamigrate"}
    assert not unlocked, f"installed but not pinned in requirements.lock: {unlocked}"
    return set(frozen)


@dataclass
class Sites:
    """A Drupal core database and a generated sample site, and an encrypted server."""

    core: URL
    sample: URL
    files: Path
    encrypted: LocalServer


def _project(installed: Installed, sites: Sites, target: str) -> Path:
    """Write a project file: the core site, the sample site (its shipped mapping), the target."""
    admin(sites.encrypted, f"DROP DATABASE IF EXISTS `{target}`")
    shipped = installed.python(
        "-c", "from pseamigrate.resources import MAPPINGS_DIR; print(MAPPINGS_DIR)"
    )
    mappings = Path(shipped.strip())
    assert mappings.is_relative_to(installed.home), "the checkout's mappings, not the wheel's"
    installed.env |= {
        "PSEA_CORE_URL": sites.core.render_as_string(hide_password=False),
        "PSEA_DEMO_URL": sites.sample.render_as_string(hide_password=False),
        "PSEA_TARGET_URL": sites.encrypted.url(target).render_as_string(hide_password=False),
    }
    folder = installed.workdir
    key = folder / "keys" / "files.key"  # the store's master key: attachments are sealed
    if not key.exists():
        create_files_key(key)
    project = folder / "pseamigrate.yaml"
    project.write_text(
        "sites:\n"
        "  core:\n    tenant: core\n    connection: {url_env: PSEA_CORE_URL}\n"
        f"    mapping: {folder / 'core.yaml'}\n"
        "  demo:\n    tenant: demo\n    connection: {url_env: PSEA_DEMO_URL}\n"
        f"    mapping: {mappings / 'sites' / 'demo.yaml'}\n    files_dir: {sites.files}\n"
        f"target:\n  connection: {{url_env: PSEA_TARGET_URL}}\n  files_dir: {folder / 'store'}\n"
        f"  files_key: {key}\n",
        encoding="utf-8",
    )
    return project


def _runs_the_tool(installed: Installed, sites: Sites, target: str) -> dict[str, Any]:
    """--help, mappings check on Drupal core, migrate and verify of the sample site; return
    what verify said of it."""
    assert "mappings" in installed.tool("--help")
    config = ["--config", str(_project(installed, sites, target))]
    installed.tool(*config, "mappings", "scaffold", "core", "--unmapped", "extra")
    checked = installed.json(*config, "mappings", "check", "core", "--json")
    assert checked and all(report["ok"] for report in checked), checked
    installed.tool(*config, "target", "init")
    installed.tool(*config, "schema", "create")
    installed.tool(*config, "encryption", "status")  # exit 3 on any FAIL: the target is encrypted
    installed.tool(*config, "migrate", "demo")
    verified: dict[str, Any] = installed.json(*config, "verify", "demo", "--json")
    return verified


@pytest.fixture(scope="module")
def sites(
    drupal_core: dict[str, URL],
    mariadb_server: LocalServer,
    enc_server: LocalServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Sites:
    """Drupal core's Drupal 7 database and a small generated Drupal 7 site, once per module."""
    admin(mariadb_server, "DROP DATABASE IF EXISTS install_demo")
    admin(mariadb_server, "CREATE DATABASE install_demo CHARACTER SET utf8mb4")
    files = tmp_path_factory.mktemp("install-files")
    sample = mariadb_server.url("install_demo")
    build_site(sample, "demo", "d7", scale=0.05, files_dir=files)
    return Sites(drupal_core["d7"], sample, files, enc_server)


@pytest.mark.wheel
@pytest.mark.slow
@pytest.mark.parametrize("enc_server", ["mariadb"], indirect=True)
def test_a_plain_install_needs_no_compiler_and_reads_through_pymysql(
    wheel: Path, sites: Sites, tmp_path: Path
) -> None:
    bare = _bare_path(tmp_path / "bin")
    installed = _install(wheel, tmp_path, bare, "", "--only-binary", ":all:")
    names = _assert_the_tested_versions(installed)
    assert "mysqlclient" not in names and "phpserialize" not in names
    count, imported_mysqldb = installed.python("-c", IMPORT_ALL).split()
    assert int(count) > 150 and imported_mysqldb == "False"
    version = installed.tool("--version")
    assert version.startswith("pseamigrate ") and "read through PyMySQL" in version
    sql = installed.tool("schema", "show", "--sql")  # the shipped model, from the wheel
    assert "CREATE TABLE complaints" in sql and "ENGINE=InnoDB" in sql
    assert "Example: pseamigrate demo" in installed.tool("demo", "--help")
    assert "pseamigrate[fast]" in version and "libmariadb-dev pkg-config gcc" in version
    verified = _runs_the_tool(installed, sites, "install_plain")
    _assert_verified(verified)
    pinged = installed.tool("--config", str(installed.workdir / "pseamigrate.yaml"), "ping", "demo")
    assert "sites are read through PyMySQL" in pinged and "pseamigrate[fast]" in pinged


@pytest.mark.wheel
@pytest.mark.slow
@pytest.mark.parametrize("enc_server", ["mariadb"], indirect=True)
def test_the_fast_extra_reads_through_mysqlclient_and_runs_the_same(
    wheel: Path, sites: Sites, tmp_path: Path
) -> None:
    installed = _install(wheel, tmp_path, os.environ["PATH"], "[fast]")
    names = _assert_the_tested_versions(installed)
    assert "mysqlclient" in names and "phpserialize" not in names
    count, imported_mysqldb = installed.python("-c", IMPORT_ALL).split()
    assert int(count) > 150 and imported_mysqldb == "False"  # only a read imports it
    assert "read through mysqlclient 2.3.1" in installed.tool("--version")
    verified = _runs_the_tool(installed, sites, "install_fast")
    _assert_verified(verified)
    pinged = installed.tool("--config", str(installed.workdir / "pseamigrate.yaml"), "ping", "demo")
    assert "sites are read through mysqlclient" in pinged and "[fast]" not in pinged


def _assert_verified(verified: dict[str, Any]) -> None:
    """verify says the sample site is in the encrypted target, every row equal to its source."""
    assert verified["ok"] is True and verified["mismatched"] == 0
    assert verified["encryption"]["passed"] is True
    assert verified["encryption"]["allowed_plaintext_target"] is False
    (site,) = verified["sites"]
    entities = {e["entity"]: e for e in site["entities"]}
    assert site["site"] == "demo" and "complaint" in entities
    assert not [e for e in entities.values() if e["checksum"] == "differs"]
    complaints = entities["complaint"]
    assert complaints["source"] == complaints["target"] > 0 and complaints["checksum"] == "ok"


def test_no_module_imports_mysqldb_when_imported() -> None:
    """In the development venv mysqlclient is installed; importing every module of the package
    (as `--help` imports the command line) still leaves it unimported: only a read imports it."""
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL], cwd=ROOT, capture_output=True, text=True, check=True
    )
    count, imported_mysqldb = done.stdout.split()
    assert int(count) > 150 and imported_mysqldb == "False"


def test_version_and_ping_name_the_driver_that_reads_the_sites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mariadb_server: LocalServer
) -> None:
    runner = CliRunner()
    version = runner.invoke(app, ["--version"])
    assert version.stdout.splitlines()[1] == (
        f"sites are read through mysqlclient {metadata.version('mysqlclient')} (rows parsed in C)"
    )
    monkeypatch.setenv("PSEA_SITE_URL", f"mysql://root@127.0.0.1:{mariadb_server.port}/mysql")
    config = tmp_path / "pseamigrate.yaml"
    config.write_text("sites:\n  s:\n    tenant: s\n    connection: {url_env: PSEA_SITE_URL}\n")
    pinged = runner.invoke(app, ["--config", str(config), "ping"])
    assert pinged.exit_code == 0, pinged.stderr
    assert pinged.stderr.startswith("sites are read through mysqlclient")
    assert pinged.stdout.startswith("ok") and len(pinged.stdout.splitlines()) == 1
    as_json = runner.invoke(app, ["--config", str(config), "ping", "--json"])
    assert json.loads(as_json.stdout)[0]["reader"].startswith("mysqlclient ")


def test_runtime_dependencies_are_what_the_package_imports() -> None:
    """pyproject's dependencies name exactly the distributions whose modules the package
    imports (ast), so nothing rides along that the installed tool never uses."""
    import ast
    import tomllib

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    names = {re.split(r"[<>=\[ ;]", spec)[0].lower() for spec in declared["dependencies"]}
    tops: set[str] = set()
    for module in (ROOT / "pseamigrate").rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                tops |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                tops.add(node.module.split(".")[0])
    owners = metadata.packages_distributions()
    imported = {dist.lower() for top in tops for dist in owners.get(top, [])}
    assert imported - {"pseamigrate", "mysqlclient"} == names
    assert "mysqlclient" in imported  # imported where a site is read, from the fast extra
