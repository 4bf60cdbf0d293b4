"""Shared helpers for the encryption tests: a fully encrypted throwaway server, SQL, the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.encryption.commands import enable_encryption
from pseamigrate.encryption.setup import apply_setup, plan_setup
from pseamigrate.servers import LocalServer, running_server

PLAIN_OPTION = {"mysql": "ENCRYPTION='N'", "mariadb": "ENCRYPTED=NO"}
PLAIN_SCHEMA = {"mysql": " DEFAULT ENCRYPTION='N'", "mariadb": ""}


def encrypted_server(flavor: str, basedir: Path) -> Iterator[LocalServer]:
    """From a fresh server: setup -> restart -> enable; yields the running server."""
    with running_server(flavor, basedir) as server:  # type: ignore[arg-type]
        apply_setup(server, plan_setup(server))
        server.restart()
        enable_encryption(server.url(), purge_binlogs=True)
        yield server


def sql(url: URL, *statements: str) -> list[Any]:
    """Run statements in one transaction; return the rows of the last one (if it has rows)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = None
            for statement in statements:
                result = conn.execute(text(statement))
            return list(result.all()) if result is not None and result.returns_rows else []
    finally:
        engine.dispose()


def run_cli(*args: str, env: dict[str, str] | None = None) -> Any:
    """Invoke the CLI in-process; the result has exit_code, stdout and stderr."""
    return CliRunner().invoke(app, list(args), env=env)


def url_env(url: URL) -> dict[str, str]:
    """Return an environment naming `url` in PSEA_TEST_URL (URLs never go on argv)."""
    return {"PSEA_TEST_URL": url.render_as_string(hide_password=False)}
