"""The ledger: every `pm_` table of the target, defined here and nowhere else.

- `pm_runs`: one row per migrate run (who, when, mode, mapping digest, counts, whether a
  plaintext target was allowed).
- `pm_id_map`: per tenant and source entity (`node:complaint`, `user`, `file`, `comment:…`), the
  source id → the target table and id, the hash of the row as written, its status (imported,
  ignored, failed), the run that first created it and the last run that touched it.
- `pm_messages`: per row, what happened (names and ids only, never values).
- `pm_locks`: the lease lock that keeps two runs apart (holder host, pid, run id, expiry).
- `pm_encryption_residual`: tables encrypted while holding rows (see encryption/residual.py).

The queries the migrate engine runs against these tables live in `target/ledger_sql.py`.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.schema import SchemaItem

ID_MAP_STATUSES = ("imported", "ignored", "failed")
TABLE_OPTIONS = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}
RESIDUAL_TABLE = "pm_encryption_residual"


def _table(name: str, metadata: MetaData, *items: SchemaItem) -> Table:
    return Table(
        name,
        metadata,
        *items,
        mysql_engine=TABLE_OPTIONS["mysql_engine"],
        mysql_charset=TABLE_OPTIONS["mysql_charset"],
        mysql_collate=TABLE_OPTIONS["mysql_collate"],
    )


def ledger_tables(metadata: MetaData) -> None:
    """Add the ledger tables to `metadata` (tenants must be defined there first)."""
    _table(
        "pm_runs",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("tenant_id", Integer, ForeignKey("tenants.id")),
        Column("site", String(64)),
        Column("mode", String(16), nullable=False),  # run, dry-run, rollback
        Column("started_by", String(128)),  # user@host, pid
        Column("started_at", DateTime, nullable=False),
        Column("finished_at", DateTime),
        Column("status", String(16), nullable=False),  # running, done, failed, stopped
        Column("mapping_digest", String(64)),
        Column("allowed_plaintext", Boolean, nullable=False, default=False),
        Column("counts", JSON),
    )
    _table(
        "pm_id_map",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
        Column("source_entity", String(64), nullable=False),  # e.g. node:complaint
        Column("source_id", String(64), nullable=False),
        Column("target_table", String(64), nullable=False),
        Column("target_id", BigInteger),
        Column("row_hash", String(64)),  # sha256 of the row as written (mapping included)
        Column("status", String(16), nullable=False),  # one of ID_MAP_STATUSES
        Column("first_run_id", BigInteger, ForeignKey("pm_runs.id"), nullable=False),
        Column("run_id", BigInteger, ForeignKey("pm_runs.id"), nullable=False),
        Column("imported_at", DateTime, nullable=False),
        Column("updated_at", DateTime),
        UniqueConstraint("tenant_id", "source_entity", "source_id"),
        Index("ix_pm_id_map_first_run_id", "first_run_id"),
        Index("ix_pm_id_map_run_id", "run_id"),
    )
    _table(
        "pm_messages",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("run_id", BigInteger, ForeignKey("pm_runs.id"), nullable=False),
        Column("tenant_id", Integer, ForeignKey("tenants.id")),
        Column("source_entity", String(64)),
        Column("source_id", String(64)),
        Column("level", String(16), nullable=False),  # info, warning, error
        Column("message", String(1024), nullable=False),  # names and ids only, never values
        Column("created_at", DateTime, nullable=False),
        Index("ix_pm_messages_run_id", "run_id"),
        Index("ix_pm_messages_tenant_id", "tenant_id"),
    )
    _table(
        "pm_locks",
        metadata,
        Column("name", String(64), primary_key=True),
        Column("holder_host", String(255), nullable=False),
        Column("holder_pid", Integer, nullable=False),
        Column("run_id", BigInteger),
        Column("acquired_at", DateTime, nullable=False),
        Column("expires_at", DateTime, nullable=False),
    )


def residual_table(metadata: MetaData | None = None) -> Table:
    """Return `pm_encryption_residual`: tables encrypted while they held rows (names only).

    It is created by `encryption enable` on demand, also before the schema exists."""
    return _table(
        RESIDUAL_TABLE,
        metadata or MetaData(),
        Column("table_name", String(64), primary_key=True),
        Column("encrypted_at", DateTime, nullable=False),
        Column("purged_at", DateTime),
    )
