"""Pre-encryption copies of data: record where encryption was applied over existing rows.

When a table that already holds rows is encrypted in place, older plaintext copies of its pages
can survive outside the new tablespace file (the doublewrite file, binary logs written before
binlog encryption, free blocks of the file system). `enable` records such tables here, `status`
warns about them until they are marked purged. See docs/encryption.md, "Residual plaintext".
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateTable

from pseamigrate.db import connection
from pseamigrate.encryption.base import Check, Outcome, quote_name
from pseamigrate.errors import PseamigrateError
from pseamigrate.ledger import RESIDUAL_TABLE, residual_table
from pseamigrate.servers import LocalServer


def has_rows(conn: Connection, schema: str, table: str) -> bool:
    """Tell whether a table holds at least one row (reads no values)."""
    sql = f"SELECT EXISTS(SELECT 1 FROM {quote_name(schema)}.{quote_name(table)})"
    return bool(conn.execute(text(sql)).scalar_one())


def record_residual(conn: Connection, schema: str, tables: list[str], table_option: str) -> None:
    """Remember that `tables` were encrypted while holding rows (names only)."""
    if not tables:
        return
    qualified = f"{quote_name(schema)}.{RESIDUAL_TABLE}"
    create = str(CreateTable(residual_table(), if_not_exists=True).compile(dialect=conn.dialect))
    create = create.replace(f"EXISTS {RESIDUAL_TABLE}", f"EXISTS {qualified}", 1)
    conn.execute(text(f"{create.strip()} {table_option}"))
    for table in tables:
        conn.execute(
            text(
                f"INSERT INTO {qualified} (table_name, encrypted_at) VALUES (:t, UTC_TIMESTAMP()) "
                "ON DUPLICATE KEY UPDATE encrypted_at = UTC_TIMESTAMP(), purged_at = NULL"
            ),
            {"t": table},
        )


def _unpurged(conn: Connection, schema: str) -> list[str]:
    exists = conn.execute(
        text(
            "SELECT COUNT(*) FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = :s AND TABLE_NAME = :t"
        ),
        {"s": schema, "t": RESIDUAL_TABLE},
    ).scalar_one()
    if not exists:
        return []
    rows = conn.execute(
        text(
            f"SELECT table_name FROM {quote_name(schema)}.{RESIDUAL_TABLE} "
            "WHERE purged_at IS NULL ORDER BY table_name"
        )
    )
    return [str(name) for name in rows.scalars()]


def residual_checks(conn: Connection, schema: str) -> list[Check]:
    """Warn while tables encrypted over existing data have not been purged of old copies."""
    tables = _unpurged(conn, schema)
    if not tables:
        return [
            Check("residual plaintext", Outcome.PASS, "no table was encrypted over existing data")
        ]
    return [
        Check(
            "residual plaintext",
            Outcome.WARN,
            f"{len(tables)} tables were encrypted over existing rows ({', '.join(tables[:5])}): "
            "old plaintext pages may remain in the doublewrite file, old binlogs and free disk "
            "blocks - purge them (docs/encryption.md, 'Residual plaintext')",
            "4.10",
        )
    ]


def mark_purged(conn: Connection, schema: str) -> int:
    """Record that residual copies were purged; return how many tables that covered."""
    if not _unpurged(conn, schema):
        return 0
    result = conn.execute(
        text(
            f"UPDATE {quote_name(schema)}.{RESIDUAL_TABLE} SET purged_at = UTC_TIMESTAMP() "
            "WHERE purged_at IS NULL"
        )
    )
    return int(result.rowcount)


def doublewrite_files(server: LocalServer) -> list[Path]:
    """Return MySQL's doublewrite files (`#ib_*.dblwr`) in the datadir."""
    return sorted(server.datadir.glob("#ib_*.dblwr"))


def purge_doublewrite(server: LocalServer) -> list[Path]:
    """Slow-stop the server, delete its doublewrite files and start it (they are recreated).

    Safe only after a clean shutdown: the doublewrite buffer protects against torn pages of a
    crash, and a slow shutdown leaves every page written to its tablespace.
    """
    server.stop(slow=True)
    removed = doublewrite_files(server)
    for path in removed:
        os.remove(path)
    server.start()
    return removed


@dataclass(frozen=True)
class PurgeReport:
    """What `purge_residual` removed: doublewrite files, binary logs, tables marked purged."""

    doublewrite: list[Path]
    binlogs: list[str]
    tables: int
    undo: tuple[str, ...] = ()


def purge_binlogs(conn: Connection) -> list[str]:
    """Start a new (encrypted) binary log and purge every older one; return the purged names.

    Old binlogs written before `binlog_encryption`/`encrypt_binlog` hold row images in
    plaintext. Purging them loses point-in-time recovery before now: back them up first,
    to encrypted storage.
    """
    if str(conn.execute(text("SELECT @@GLOBAL.log_bin")).scalar_one()) not in ("1", "ON"):
        return []
    conn.execute(text("FLUSH BINARY LOGS"))
    names = [str(row[0]) for row in conn.execute(text("SHOW BINARY LOGS"))]
    conn.execute(text(f"PURGE BINARY LOGS TO '{names[-1]}'"))
    return names[:-1]


SCRATCH_UNDO = "pm_purge_undo"


def truncate_undo(conn: Connection, timeout: float = 120.0) -> tuple[str, ...]:
    """Rebuild every active MySQL undo tablespace; return their names.

    Undo pages written before `innodb_undo_log_encrypt` keep old row images in plaintext (a
    loaded CI run found the canary in `undo_001` after every other purge step). MySQL rebuilds
    an undo tablespace at its initial size when it is set inactive and purged, so each one is
    cycled inactive → empty → active, with a scratch tablespace keeping two active meanwhile.
    """
    active = tuple(
        str(name)
        for name in conn.execute(
            text(
                "SELECT NAME FROM information_schema.INNODB_TABLESPACES "
                "WHERE SPACE_TYPE = 'Undo' AND STATE = 'active' ORDER BY NAME"
            )
        ).scalars()
    )
    conn.execute(text(f"CREATE UNDO TABLESPACE {SCRATCH_UNDO} ADD DATAFILE '{SCRATCH_UNDO}.ibu'"))
    for name in active:
        _cycle_undo(conn, name, timeout)
    conn.execute(text(f"ALTER UNDO TABLESPACE {SCRATCH_UNDO} SET INACTIVE"))
    _wait_for_undo_state(conn, SCRATCH_UNDO, "empty", timeout)
    conn.execute(text(f"DROP UNDO TABLESPACE {SCRATCH_UNDO}"))
    return active


def _cycle_undo(conn: Connection, name: str, timeout: float) -> None:
    conn.execute(text(f"ALTER UNDO TABLESPACE {quote_name(name)} SET INACTIVE"))
    _wait_for_undo_state(conn, name, "empty", timeout)
    conn.execute(text(f"ALTER UNDO TABLESPACE {quote_name(name)} SET ACTIVE"))


def _wait_for_undo_state(conn: Connection, name: str, state: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    query = text("SELECT STATE FROM information_schema.INNODB_TABLESPACES WHERE NAME = :name")
    while conn.execute(query, {"name": name}).scalar_one() != state:
        if time.monotonic() > deadline:
            raise PseamigrateError(f"undo tablespace {name} did not become {state} in time")
        time.sleep(0.2)


def purge_residual(server: LocalServer, schema: str) -> PurgeReport:
    """Purge pre-encryption copies on a local server this process runs, then mark them purged.

    Order matters: binlogs first (SQL), then (MySQL) every undo tablespace is rebuilt, then a
    slow shutdown that writes every page to its
    now-encrypted tablespace, then the doublewrite files are deleted and recreated at start.
    """
    with connection(server.url(), begin=True) as conn:
        binlogs = purge_binlogs(conn)
    undo: tuple[str, ...] = ()
    if server.flavor == "mysql":
        with connection(server.url()) as conn:
            undo = truncate_undo(conn.execution_options(isolation_level="AUTOCOMMIT"))
    removed = purge_doublewrite(server)
    with connection(server.url(), begin=True) as conn:
        tables = mark_purged(conn, schema)
    return PurgeReport(removed, binlogs, tables, undo)
