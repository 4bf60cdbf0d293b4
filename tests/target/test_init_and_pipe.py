"""The target from nothing (#14): `target init` creates the database, and the SQL that
`target init --dry-run` and `schema create --dry-run --sql` print runs as is in the real client."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.servers import LocalServer
from pseamigrate.target.commands import show_schema
from pseamigrate.target.model import load_model
from pseamigrate.target.schema import build_metadata
from tests.conftest import _admin

runner = CliRunner()
_names = itertools.count(1)


def _fresh_name(server: LocalServer) -> str:
    name = f"psea_init_{next(_names)}_{server.flavor}"
    _admin(server, f"DROP DATABASE IF EXISTS `{name}`")
    return name


def _schemata(server: LocalServer, name: str) -> tuple[str, str] | None:
    engine = create_engine(server.url())
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
                    "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = :n"
                ),
                {"n": name},
            ).first()
            return None if row is None else (str(row[0]), str(row[1]))
    finally:
        engine.dispose()


def _init(server: LocalServer, name: str, monkeypatch: pytest.MonkeyPatch, *args: str):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PSEA_INIT_TARGET", f"mysql://root@127.0.0.1:{server.port}/{name}")
    return runner.invoke(app, ["target", "init", "--url-env", "PSEA_INIT_TARGET", *args])


def test_init_creates_a_missing_database_after_saying_so(
    any_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = _fresh_name(any_server)
    dry = _init(any_server, name, monkeypatch, "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    statement = f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
    assert dry.stdout.strip() == statement
    assert "does not exist: would create it (dry run)" in dry.stderr
    assert _schemata(any_server, name) is None
    done = _init(any_server, name, monkeypatch)
    assert done.exit_code == 0, done.stderr
    assert "does not exist: creating it" in done.stderr
    assert f"created target database {name}" in done.stdout
    assert _schemata(any_server, name) == ("utf8mb4", "utf8mb4_unicode_ci")
    again = _init(any_server, name, monkeypatch)
    assert again.exit_code == 0 and f"target database {name} exists" in again.stdout
    assert "creating" not in again.stderr
    dry_again = _init(any_server, name, monkeypatch, "--dry-run")  # stdout stays pipeable: empty
    assert dry_again.exit_code == 0 and dry_again.stdout == ""
    assert f"target database {name} exists" in dry_again.stderr
    _admin(any_server, f"DROP DATABASE `{name}`")


def test_init_reports_an_existing_latin1_database_and_changes_nothing(
    mariadb_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = _fresh_name(mariadb_server)
    _admin(mariadb_server, f"CREATE DATABASE `{name}` CHARACTER SET latin1")
    result = _init(mariadb_server, name, monkeypatch)
    assert result.exit_code == 3
    assert "exists with character set latin1" in result.stderr
    assert _schemata(mariadb_server, name) == ("latin1", "latin1_swedish_ci")
    _admin(mariadb_server, f"DROP DATABASE `{name}`")


def _client(server: LocalServer, *args: str) -> tuple[list[str], dict[str, str] | None]:
    program, env = ["mariadb"], None
    if server.flavor == "mysql":
        program = server.kind.client_command("mysql")  # type: ignore[attr-defined]
        env = server.kind.environment()  # type: ignore[attr-defined]
    return [*program, "-h127.0.0.1", f"-P{server.port}", "-uroot", *args], env


def _pipe(server: LocalServer, name: str, command: list[str], *database: str) -> str:
    """Run `pseamigrate COMMAND | client [DATABASE]`; return pseamigrate's stderr."""
    env = {**os.environ, "PSEA_PIPE_TARGET": f"mysql://root@127.0.0.1:{server.port}/{name}"}
    tool = subprocess.Popen(
        [sys.executable, "-m", "pseamigrate", *command, "--url-env", "PSEA_PIPE_TARGET"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    client, client_env = _client(server, *database)
    done = subprocess.run(client, stdin=tool.stdout, capture_output=True, env=client_env)
    assert tool.stdout is not None and tool.stderr is not None
    tool.stdout.close()
    errors = tool.stderr.read().decode()
    tool.stderr.close()
    assert tool.wait(60) == 0, errors
    assert done.returncode == 0, done.stderr.decode()[-500:]
    return errors


def test_init_and_schema_sql_pipe_into_the_real_client(any_server: LocalServer) -> None:
    name = _fresh_name(any_server)
    said = _pipe(any_server, name, ["target", "init", "--dry-run"])
    assert "would create it" in said
    assert _schemata(any_server, name) == ("utf8mb4", "utf8mb4_unicode_ci")
    said = _pipe(any_server, name, ["schema", "create", "--dry-run", "--sql"], name)
    assert "would apply (dry run)" in said
    engine = create_engine(any_server.url(name))
    try:
        with engine.connect() as conn:
            tables = set(show_schema(conn))
    finally:
        engine.dispose()
    assert tables == {table.name for table in build_metadata(load_model()).sorted_tables}
    _admin(any_server, f"DROP DATABASE `{name}`")
