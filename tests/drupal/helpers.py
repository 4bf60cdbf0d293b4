"""Small SQL helpers the Drupal tests use to plant drift and damage in a database copy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import phpserialize
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from pseamigrate.drupal import phpdata


def run(url: URL, *statements: str, params: dict[str, Any] | None = None) -> None:
    """Run statements in one transaction."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement), params or {})
    finally:
        engine.dispose()


def query(url: URL, statement: str, params: dict[str, Any] | None = None) -> list[Any]:
    """Return the rows of one query."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(statement), params or {})]
    finally:
        engine.dispose()


def edit_config(url: URL, name: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Decode one Drupal 8+ config object, let `change` edit it, store it back serialized."""
    ((blob,),) = query(url, "SELECT data FROM config WHERE collection='' AND name=:n", {"n": name})
    data = phpdata.loads(blob)
    change(data)
    run(
        url,
        "UPDATE config SET data=:d WHERE collection='' AND name=:n",
        params={"d": phpserialize.dumps(data), "n": name},
    )


def add_prefix(url: URL, prefix: str) -> None:
    """Rename every table of the database to carry `prefix`, as a prefixed Drupal install does."""
    tables = [t for (t,) in query(url, "SHOW TABLES")]
    run(url, "RENAME TABLE " + ", ".join(f"`{t}` TO `{prefix}{t}`" for t in tables))
