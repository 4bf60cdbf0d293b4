"""Shared helpers of the country tests: the CLI against a target URL held in the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.db import connection
from pseamigrate.target.commands import create_schema

runner = CliRunner()
ADMIN = "country.admin@example.org"
PLAIN = "--allow-plaintext-target"  # the session servers are not encrypted
LOCATIONS = "code,name,parent_code\nIQ-BG,Baghdad,\nIQ-BG-K,Karkh,IQ-BG\nIQ-NI,Nineveh,\n"


def cli(monkeypatch: pytest.MonkeyPatch, url: URL | None, *args: str) -> tuple[int, str, str]:
    """Run `pseamigrate ARGS` (with `--url-env` when `url` is given); return code, out, err."""
    extra: list[str] = []
    if url is not None:
        monkeypatch.setenv("PSEA_TEST_TARGET", url.render_as_string(hide_password=False))
        extra = ["--url-env", "PSEA_TEST_TARGET"]
    result = runner.invoke(app, [*args, *extra])
    return result.exit_code, result.stdout, result.stderr


def new_country(
    monkeypatch: pytest.MonkeyPatch, root: Path, code: str, name: str, *sets: str
) -> Path:
    """Render the crp template for `code` under `root` with three locations; return the CSV."""
    csv = root / f"{code}.csv"
    csv.write_text(LOCATIONS.replace("IQ-", f"{code.upper()}-"), encoding="utf-8")
    monkeypatch.setenv("PSEA_ADMIN_EMAIL", ADMIN)
    args = ["country", "new", code, "--root", str(root), "--set", f"name={name}"]
    args += ["--locations", str(csv)]
    for value in sets:
        args += ["--set", value]
    code_, out, err = cli(monkeypatch, None, *args)
    assert code_ == 0, err
    return csv


def target_with_schema(url: URL) -> URL:
    """Create the model's schema in the empty database at `url`; return the URL."""
    with connection(url) as conn:
        create_schema(conn)
    return url


def scalar(url: URL, sql: str) -> object:
    """Return the single value `sql` selects."""
    from sqlalchemy import text

    with connection(url) as conn:
        return conn.execute(text(sql)).scalar()


def execute(url: URL, sql: str) -> None:
    """Run one statement in its own transaction."""
    from sqlalchemy import text

    with connection(url, begin=True) as conn:
        conn.execute(text(sql))
