"""Every command, run against real servers with a real password, never shows it (#15).

A user with a non-empty password is created on each test server; the project file reaches it
through `url_env` (password inside the URL) and through an option file plus `password_env`.
Each command of the typer app (the list is walked, so a new command must be added here) runs
with its minimal valid arguments, plainly and with `--debug`, with every logger at DEBUG; the
password must appear in no output, log record or traceback.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.errors import PseamigrateError
from pseamigrate.resources import MAPPINGS_DIR
from pseamigrate.sample import build_site
from pseamigrate.servers import LocalServer
from pseamigrate.servers.instance import free_port
from tests.conftest import _admin

SECRET = "Lk7-Secret-Pw_91"
USER = "leaky"
runner = CliRunner()


@dataclass(frozen=True)
class Project:
    """A project file on one server whose every connection needs the password."""

    server: LocalServer
    path: Path
    env: dict[str, str]
    workdir: Path


def _commands() -> list[str]:
    found: list[str] = []

    def walk(command: object, prefix: list[str]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            if getattr(sub, "commands", None):
                walk(sub, [*prefix, name])
            else:
                found.append(" ".join([*prefix, name]))

    walk(typer.main.get_command(app), [])
    return found


def _arguments(project: Project, command: str) -> list[str]:
    """Return the minimal valid arguments of `command` (KeyError: a command not listed here)."""
    base, tmp = str(project.server.basedir), project.workdir
    return {
        "sites": [],
        "ping": [],
        "demo": ["--scale", "0.05", "--workdir", str(tmp / "demo")],
        "inspect": ["iraq", "--json"],
        "diff": ["iraq", "drc"],
        "encryption status": [],
        "encryption setup": ["--basedir", base, "--dry-run"],
        "encryption enable": ["--dry-run"],
        "encryption rotate": ["--dry-run"],
        "encryption backup-key": [str(tmp / "key-backup"), "--basedir", base, "--dry-run"],
        "encryption purge-residual": ["--basedir", base, "--schema", "mysql", "--dry-run"],
        "schema create": ["--dry-run"],
        "schema upgrade": ["--dry-run"],
        "schema show": [],
        "schema docs": ["-o", str(tmp / "schema.md")],
        "mappings scaffold": ["iraq", "--dry-run"],
        "mappings check": ["iraq"],
        "mappings validate": [str(MAPPINGS_DIR / "sites" / "iraq.yaml")],
        "mappings values": ["iraq"],
        "mappings init": [str(tmp / "own-mappings"), "--dry-run"],
        "migrate": ["iraq", "--dry-run"],
        "verify": ["iraq", "--allow-plaintext-target"],
        "status": ["iraq"],
        "messages": ["iraq"],
        "rollback": ["--site", "iraq", "--dry-run"],
        "sanitize": ["--dry-run"],
        "indicators": ["iraq", "--allow-plaintext-target"],
        "assess": ["iraq", "--json"],
        "target init": ["--dry-run"],
        "health": [],
        "deploy": ["backup", "--host", "local", "--dry-run"],
        "fetch-files": ["iraq", "--dest", str(tmp / "fetched")],
        "country list-templates": [],
        "country new": ["zz", "--template", "crp", "--set", "name=Zedland"],
        "country plan": ["zz"],
        "country apply": ["zz", "--dry-run"],
        "country list": [],
        "country grant": ["zz", "--option-file", str(tmp / "zz.cnf"), "--dry-run"],
        "server init": [],
        "server start": [],
        "server stop": [],
        "server create-database": [],
        "server migration-account": [],
        "server dump": [],
        "server restore-check": [],
        "server health-timer": [],
        "files export": ["iraq", str(tmp / "export")],
        "files cat": ["1"],
        "files encrypt-store": ["--dry-run"],
        "files rotate-key": ["--dry-run"],
    }[command]


def _project(server: LocalServer, workdir: Path) -> Project:
    prefix = f"leak_{server.flavor}"
    for name in ("iraq", "drc", "target"):
        _admin(server, f"DROP DATABASE IF EXISTS `{prefix}_{name}`")
        _admin(server, f"CREATE DATABASE `{prefix}_{name}` CHARACTER SET utf8mb4")
    for name in ("iraq", "drc"):
        build_site(server.url(f"{prefix}_{name}"), name, "d7", scale=0.05)
    _admin(server, f"DROP USER IF EXISTS '{USER}'@'127.0.0.1'")
    _admin(server, f"CREATE USER '{USER}'@'127.0.0.1' IDENTIFIED BY '{SECRET}'")
    _admin(server, f"GRANT ALL PRIVILEGES ON *.* TO '{USER}'@'127.0.0.1' WITH GRANT OPTION")
    option_file = workdir / "client.cnf"
    option_file.write_text(
        f"[drc]\nuser={USER}\nhost=127.0.0.1\nport={server.port}\ndatabase={prefix}_drc\n"
    )
    path = workdir / "pseamigrate.yaml"
    path.write_text(
        "sites:\n"
        f"  iraq:\n    tenant: iq\n    mapping: {MAPPINGS_DIR / 'sites' / 'iraq.yaml'}\n"
        "    connection: {url_env: PSEA_LEAK_IRAQ_URL}\n"
        f"  drc:\n    tenant: cd\n    connection: {{option_file: {option_file}, group: drc, "
        "password_env: PSEA_LEAK_PASSWORD}\n"
        "target:\n  connection: {url_env: PSEA_LEAK_TARGET_URL}\n"
    )
    url = f"mysql://{USER}:{SECRET}@127.0.0.1:{server.port}"
    env = {
        "PSEA_LEAK_IRAQ_URL": f"{url}/{prefix}_iraq",
        "PSEA_LEAK_TARGET_URL": f"{url}/{prefix}_target",
        "PSEA_LEAK_PASSWORD": SECRET,
    }
    return Project(server, path, env, workdir)


@pytest.fixture(scope="module", params=["mariadb", "mysql"])
def project(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Project]:
    server: LocalServer = request.getfixturevalue(f"{request.param}_server")
    made = _project(server, tmp_path_factory.mktemp(f"leak-{server.flavor}"))
    yield made
    _admin(server, f"DROP USER IF EXISTS '{USER}'@'127.0.0.1'")
    for name in ("iraq", "drc", "target"):
        _admin(server, f"DROP DATABASE IF EXISTS `leak_{server.flavor}_{name}`")


def _everything_shown(result: object, records: list[logging.LogRecord]) -> str:
    """Join what a run showed: stdout, stderr, log records and any traceback."""
    shown = [getattr(result, "stdout", ""), getattr(result, "stderr", "")]
    shown += [f"{record.getMessage()} {record.args!r} {record.exc_text}" for record in records]
    exception = getattr(result, "exception", None)
    if exception is not None and not isinstance(exception, SystemExit):
        shown += traceback.format_exception(exception)
    return "\n".join(shown)


def test_the_list_covers_every_command(tmp_path: Path, mariadb_server: LocalServer) -> None:
    dummy = Project(mariadb_server, tmp_path, {}, tmp_path)
    for command in _commands():
        assert isinstance(_arguments(dummy, command), list), command


def _run(project: Project, command: str, debug: bool, caplog: pytest.LogCaptureFixture) -> None:
    """Run one command with the secrets in the environment; check exit code and everything shown."""
    caplog.set_level(logging.DEBUG)
    argv = [*(["--debug"] if debug else []), "--config", str(project.path)]
    result = runner.invoke(app, [*argv, *command.split(), *_arguments(project, command)])
    shown = _everything_shown(result, caplog.records)
    assert SECRET not in shown, f"{command}: the password was shown"
    code = result.exit_code
    if debug and isinstance(result.exception, PseamigrateError):  # --debug re-raises it
        code = result.exception.exit_code
    assert code in EXPECTED.get(command, {0}), (code, shown[-2000:])


# `demo` starts servers of its own and reads nothing of the project: it runs once, below.
@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
@pytest.mark.parametrize("command", [c for c in _commands() if c != "demo"])
def test_no_command_shows_the_password(
    project: Project,
    command: str,
    debug: bool,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for name, value in project.env.items():
        monkeypatch.setenv(name, value)
    _run(project, command, debug, caplog)


def test_the_demo_shows_no_password(
    mariadb_server: LocalServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("PSEA_LEAK_TARGET_URL", f"mysql://{USER}:{SECRET}@127.0.0.1:1/x")
    config = tmp_path / "pseamigrate.yaml"
    config.write_text("target:\n  connection: {url_env: PSEA_LEAK_TARGET_URL}\n")
    _run(Project(mariadb_server, config, {}, tmp_path), "demo", False, caplog)


# Commands that end without exit 0 on a plain, unencrypted test server (what they say is right).
EXPECTED = {
    "encryption status": {3},  # FAIL checks: the server is not encrypted
    "encryption enable": {4},  # refused: no keyring loaded on the test server
    "encryption rotate": {4},
    "encryption backup-key": {1, 4},  # no key files to back up
    # The target has no schema and no encryption, no test target, no country folder: these
    # stop with a message (or a usage error); what matters here is what they show.
    "status": {0, 1},
    "verify": {0, 1, 3},
    "messages": {1, 2},
    "rollback": {1, 2},
    "sanitize": {1, 4},
    "indicators": {1},  # the target has no schema yet
    "assess": {0, 3},
    "mappings values": {0, 1},  # 1: a stored value fails its rows (a decision is left)
    "target init": {0, 3},
    "health": {0, 1, 2, 3},
    "deploy": {0, 1, 2, 4},
    "fetch-files": {1, 2},
    "country new": {0, 1, 2},
    "country plan": {1, 2, 3},
    "country apply": {1, 2, 3, 4},
    "country list": {0, 1},
    "country grant": {0, 1, 2},
    **{f"server {name}": {0, 1, 2} for name in ("init", "start", "stop", "create-database")},
    **{f"server {name}": {0, 1, 2} for name in ("migration-account", "dump", "restore-check")},
    "server health-timer": {0, 1, 2},
    # No files_key and no files_dir in this project: the store commands refuse or find nothing.
    **{f"files {name}": {0, 1, 2, 4} for name in ("export", "cat", "encrypt-store", "rotate-key")},
}


def test_the_installed_command_shows_a_traceback_with_debug_and_no_password(
    tmp_path: Path,
) -> None:
    config = tmp_path / "pseamigrate.yaml"
    config.write_text("sites:\n  iraq:\n    tenant: iq\n    connection: {url_env: PSEA_X_URL}\n")
    env = {**os.environ, "PSEA_X_URL": f"mysql://{USER}:{SECRET}@127.0.0.1:{free_port()}/psea"}
    program = Path(sys.executable).parent / "pseamigrate"
    argv = [str(program), "--debug", "--config", str(config), "ping", "iraq"]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "PingFailed" in done.stderr  # a ConnectionFailed
    assert SECRET not in done.stdout + done.stderr
    plain = subprocess.run(
        argv[:1] + argv[2:], capture_output=True, text=True, env=env, check=False
    )
    # (ping's first stderr line names the driver that reads the sites, #25)
    assert "\nError: 1 of 1 failed:\n  cannot connect to site 'iraq'" in plain.stderr
    assert "Traceback" not in plain.stderr


@pytest.mark.parametrize("command", [["sites"], ["ping"], ["inspect", "iraq"]])
def test_a_url_pasted_into_url_env_is_refused_not_printed(
    tmp_path: Path, command: list[str]
) -> None:
    """The review's finding: `sites` and `ping` printed back a URL put where a name belongs."""
    config = tmp_path / "pseamigrate.yaml"
    url = f"mysql://{USER}:{SECRET}@127.0.0.1:3306/psea"
    config.write_text(f"sites:\n  iraq:\n    tenant: iq\n    connection: {{url_env: '{url}'}}\n")
    result = runner.invoke(app, ["--config", str(config), *command])
    assert result.exit_code == 1
    assert "sites.iraq.connection.url_env: must be the name of an environment variable" in (
        result.stderr
    )
    assert SECRET not in result.stdout + result.stderr
