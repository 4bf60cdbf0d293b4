"""The ledger: every `pm_` table of the target, defined here and nowhere else.

- `pm_runs`: one row per migrate run (who, when, mode, mapping digest, counts, whether a
  plaintext target was allowed).
- `pm_id_map`: per tenant and source entity (`node:complaint`, `user`, `file`, `comment:…`), the
  source id → the target table and id, the hash of the row as written, its status (imported,
  ignored, failed), the run that first created it and the last run that touched it.
- `pm_messages`: per row, what happened (names and ids only, never values).
- `pm_locks`: the lease lock that keeps two runs apart (holder host, pid, run id, expiry).
- `pm_marks`: per tenant and site, the high-water mark of its last completed run (the source's
  clock when that run's read began), the digest of what produced its rows, and what it found
  gone from the source; a delta run reads only what changed since (migrate/marks.py).
- `pm_encryption_residual`: tables encrypted while holding rows (see encryption/residual.py).

The queries the migrate engine runs against these tables live in `target/ledger.py`. This
module sits low in the layers (docs/architecture.md), so `target/` and `encryption/` both use it.
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

from pseamigrate.tables import target_table

ID_MAP_STATUSES = ("imported", "ignored", "failed")
RESIDUAL_TABLE = "pm_encryption_residual"


def ledger_tables(metadata: MetaData) -> None:
    """Add the ledger tables to `metadata` (tenants must be defined there first)."""
    target_table(
        metadata,
        "pm_runs",
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("tenant_id", Integer, ForeignKey("tenants.id")),
        Column("site", String(64)),
        Column("mode", String(16), nullable=False),  # run, dry-run, rollback
        Column("started_by", String(128)),  # user@host, pid
        Column("started_at", DateTime, nullable=False),
        Column("finished_at", DateTime),
        Column("status", String(16), nullable=False),  # running, done, failed, stopped
        Column("mapping_digest", String(64)),
        Column("allowed_plaintext", Boolean, nullable=False, default=False, server_default="0"),
        Column("counts", JSON),
    )
    target_table(
        metadata,
        "pm_id_map",
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
    target_table(
        metadata,
        "pm_messages",
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
    target_table(
        metadata,
        "pm_locks",
        Column("name", String(64), primary_key=True),
        Column("holder_host", String(255), nullable=False),
        Column("holder_pid", Integer, nullable=False),
        Column("run_id", BigInteger),
        Column("acquired_at", DateTime, nullable=False),
        Column("expires_at", DateTime, nullable=False),
    )
    marks_table(metadata)


def marks_table(metadata: MetaData) -> None:
    """Add `pm_marks`: one row per tenant and site, replaced by each completed run."""
    target_table(
        metadata,
        "pm_marks",
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
        Column("site", String(64), nullable=False),
        Column("basis", String(64), nullable=False),  # digest of mapping, model and version
        Column("since", BigInteger, nullable=False),  # unix time, the source's clock
        Column("run_id", BigInteger, nullable=False),  # the run that set it (no key: rollback)
        Column("gone", JSON),  # source entity → ids the ledger has and the source no longer
        Column("steps", JSON),  # per step: label, kind, ledger entity, rows of ignored steps
        Column("updated_at", DateTime, nullable=False),
        UniqueConstraint("tenant_id", "site"),
    )


def residual_table(metadata: MetaData | None = None) -> Table:
    """Return `pm_encryption_residual`: tables encrypted while they held rows (names only).

    It is created by `encryption enable` on demand, also before the schema exists."""
    return target_table(
        metadata or MetaData(),
        RESIDUAL_TABLE,
        Column("table_name", String(64), primary_key=True),
        Column("encrypted_at", DateTime, nullable=False),
        Column("purged_at", DateTime),
    )
