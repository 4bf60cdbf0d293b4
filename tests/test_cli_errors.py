"""A driver error that reaches the CLI untyped is one line with its code, no values (#15)."""

from __future__ import annotations

import traceback
from typing import Annotated

import typer
from sqlalchemy import text
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from pseamigrate.cli import sub_app
from pseamigrate.db import make_engine
from pseamigrate.errors import PseamigrateError

EMAIL = "amina.survivor@example.org"


def _group(url: URL) -> typer.Typer:
    group = sub_app("A group whose command lets a raw driver error escape.")

    @group.callback()
    def _root(ctx: typer.Context, debug: Annotated[bool, typer.Option("--debug")] = False) -> None:
        ctx.obj = {"debug": debug}

    @group.command()
    def dup() -> None:
        """Insert one e-mail twice. Example: x dup"""
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(text("CREATE TABLE users (mail VARCHAR(99) PRIMARY KEY)"))
                conn.execute(
                    text("INSERT INTO users VALUES (:m), (:m2)"), {"m": EMAIL, "m2": EMAIL}
                )
        finally:
            engine.dispose()

    return group


def test_a_stray_driver_error_is_one_line_without_values(any_db: URL) -> None:
    result = CliRunner().invoke(_group(any_db), ["dup"])
    assert result.exit_code == 1
    assert result.stderr.strip() in (  # MySQL names the key with its table
        "Error: database error: MySQL error 1062: Duplicate entry '?' for key 'PRIMARY'",
        "Error: database error: MySQL error 1062: Duplicate entry '?' for key 'users.PRIMARY'",
    )
    assert EMAIL not in result.stdout + result.stderr


def test_with_debug_the_traceback_stays_without_values(any_db: URL) -> None:
    result = CliRunner().invoke(_group(any_db), ["--debug", "dup"])
    assert isinstance(result.exception, PseamigrateError)
    shown = "".join(traceback.format_exception(result.exception))
    assert "MySQL error 1062" in shown and "def dup" not in shown
    assert "conn.execute" in shown  # the frames are kept
    assert EMAIL not in shown
