"""Shared helpers for the encryption tests: SQL on a server, the CLI in-process."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from pseamigrate.cli import app

PLAIN_OPTION = {"mysql": "ENCRYPTION='N'", "mariadb": "ENCRYPTED=NO"}
PLAIN_SCHEMA = {"mysql": " DEFAULT ENCRYPTION='N'", "mariadb": ""}


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
