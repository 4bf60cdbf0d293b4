"""`pseamigrate target init`: create the target database, utf8mb4, when it is missing.

The target URL names the database; this connects to the server without it, looks the database
up in `information_schema.SCHEMATA`, and creates it only when absent. An existing database is
never altered: one with another character set is reported, for a DBA to decide.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import URL

from pseamigrate.db import connection, quote_name, where
from pseamigrate.errors import ConfigError, VerificationMismatch

CHARSET = "utf8mb4"
COLLATION = "utf8mb4_unicode_ci"


@dataclass(frozen=True)
class InitResult:
    """What `target init` found or did: the database, the statement, and its character set."""

    database: str
    where: str
    existed: bool
    created: bool
    statement: str
    charset: str = CHARSET
    collation: str = COLLATION


def create_statement(database: str) -> str:
    """Return the CREATE DATABASE statement for the target (name checked, then quoted)."""
    quoted = quote_name(database, "the target database name")
    return f"CREATE DATABASE {quoted} CHARACTER SET {CHARSET} COLLATE {COLLATION}"


def init_target(
    url: URL, dry_run: bool = False, say: Callable[[str], None] | None = None
) -> InitResult:
    """Create the target database named by `url` if it is missing (not on a dry run)."""
    database = url.database
    if not database:
        raise ConfigError("the target URL names no database (e.g. .../psea_crp)")
    statement = create_statement(database)
    server = url.set(database="")  # the server itself: the database may not exist yet
    with connection(server, "the target server", autocommit=True) as conn:
        found = conn.execute(
            text(
                "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
                "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = :n"
            ),
            {"n": database},
        ).first()
        if found is not None:
            return _existing(database, url, statement, str(found[0]), str(found[1]))
        if say is not None:
            done = "would create it (dry run)" if dry_run else "creating it"
            say(f"the target database {database!r} does not exist: {done}")
        if not dry_run:
            conn.exec_driver_sql(statement)
    return InitResult(database, where(url), existed=False, created=not dry_run, statement=statement)


def _existing(database: str, url: URL, statement: str, charset: str, collation: str) -> InitResult:
    """Describe an existing database; raise when its character set is not utf8mb4."""
    if charset != CHARSET:
        raise VerificationMismatch(
            f"the target database {database!r} at {where(url)} exists with character set "
            f"{charset}; the target needs {CHARSET} (ALTER DATABASE by hand, or use another name)"
        )
    return InitResult(database, where(url), True, False, statement, charset, collation)
