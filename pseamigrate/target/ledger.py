"""What the migrate engine asks of the ledger tables (`pseamigrate/ledger.py`): runs, the id map,
messages and the lease lock. Target SQL only; the engine (`pseamigrate/migrate/`) decides.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    MetaData,
    Table,
    Text,
    and_,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.mysql import insert as upsert
from sqlalchemy.engine import Connection, Dialect

from pseamigrate.target import literals


def now() -> dt.datetime:
    """Return the current UTC time without tzinfo (DATETIME columns hold UTC)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


_NAMED = re.compile(r"%\((\w+)\)s")


def _row(width: int) -> str:
    """Return one row of positional parameters as the compiled SQL writes it."""
    return "(" + ", ".join(["%s"] * width) + ")"


@dataclass(frozen=True)
class MapEntry:
    """One id map row: where a source row went, as what, and in which state."""

    source_entity: str
    source_id: str
    target_table: str
    target_id: int | None
    row_hash: str | None
    status: str  # imported, ignored, failed


@dataclass(frozen=True)
class Message:
    """One message about a source row (names and ids only)."""

    source_entity: str
    source_id: str
    level: str  # info, warning, error
    text: str


class Ledger:
    """The ledger tables of one target database, bound to a metadata."""

    def __init__(self, metadata: MetaData) -> None:
        self.runs: Table = metadata.tables["pm_runs"]
        self.id_map: Table = metadata.tables["pm_id_map"]
        self.messages: Table = metadata.tables["pm_messages"]
        self.locks: Table = metadata.tables["pm_locks"]
        self.marks: Table = metadata.tables["pm_marks"]
        self._compiled: dict[tuple[Dialect, tuple[str, ...]], tuple[str, list[str]]] = {}

    # --- runs -------------------------------------------------------------------------------

    def start_run(self, conn: Connection, **values: Any) -> int:
        """Insert a `pm_runs` row (status running) and return its id."""
        row = {"started_at": now(), "status": "running", **values}
        key = conn.execute(insert(self.runs).values(**row)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def finish_run(self, conn: Connection, run_id: int, status: str, counts: Any) -> None:
        """Close a run with its status and counts."""
        values = {"finished_at": now(), "status": status, "counts": counts}
        conn.execute(update(self.runs).where(self.runs.c.id == run_id).values(**values))

    def last_runs(self, conn: Connection, tenant_id: int | None = None) -> list[dict[str, Any]]:
        """Return the runs, newest first (of one tenant, if given)."""
        query = select(self.runs).order_by(self.runs.c.id.desc())
        if tenant_id is not None:
            query = query.where(self.runs.c.tenant_id == tenant_id)
        return [dict(row._mapping) for row in conn.execute(query)]

    # --- id map -----------------------------------------------------------------------------

    def entries(
        self, conn: Connection, tenant_id: int, source_entity: str, source_ids: Sequence[str]
    ) -> dict[str, MapEntry]:
        """Return the id map rows of a batch of source ids, by source id."""
        if not source_ids:
            return {}
        c = self.id_map.c
        query = select(
            c.source_entity, c.source_id, c.target_table, c.target_id, c.row_hash, c.status
        ).where(
            c.tenant_id == tenant_id,
            c.source_entity == source_entity,
            c.source_id.in_(list(source_ids)),
        )
        return {row.source_id: MapEntry(*row) for row in conn.execute(query)}

    def has_entries(self, conn: Connection, tenant_id: int, source_entity: str) -> bool:
        """Tell whether the id map holds any row of a tenant's source entity."""
        c = self.id_map.c
        query = (
            select(c.id).where(c.tenant_id == tenant_id, c.source_entity == source_entity).limit(1)
        )
        return conn.execute(query).first() is not None

    def targets(
        self, conn: Connection, tenant_id: int, source_entities: Iterable[str]
    ) -> dict[str, int]:
        """Return source id → target id of every imported row of some source entities."""
        c = self.id_map.c
        query = select(c.source_id, c.target_id).where(
            c.tenant_id == tenant_id,
            c.source_entity.in_(list(source_entities)),
            c.target_id.is_not(None),
        )
        return {str(row.source_id): int(row.target_id) for row in conn.execute(query)}

    def record(
        self, conn: Connection, tenant_id: int, run_id: int, entries: Sequence[MapEntry]
    ) -> None:
        """Insert or update id map rows (one statement for the whole batch)."""
        if not entries:
            return
        stamp = now()
        rows = [
            {
                "tenant_id": tenant_id,
                "source_entity": e.source_entity,
                "source_id": e.source_id,
                "target_table": e.target_table,
                "target_id": e.target_id,
                "row_hash": e.row_hash,
                "status": e.status,
                "first_run_id": run_id,
                "run_id": run_id,
                "imported_at": stamp,
            }
            for e in entries
        ]
        # Compiled once per server dialect, sent as multi-row statements whose values
        # `literals` renders: SQLAlchemy's per-row parameter processing and the driver's
        # escaping cost more (see writer.py), and PyMySQL batches no upsert written with MySQL
        # 8.0.20+'s row alias (`AS new`).
        sql, order = self._upsert_sql(conn.dialect, tuple(rows[0]))
        head, _, tail = sql.partition(_row(len(order)))
        literals.send_rows(conn, head, ([row[n] for n in order] for row in rows), tail)

    def _upsert_sql(self, dialect: Dialect, columns: tuple[str, ...]) -> tuple[str, list[str]]:
        """Return the id map's insert-or-update for these columns in the dialect's SQL, and
        the order its parameters take."""
        key = (dialect, columns)
        if key not in self._compiled:
            statement = upsert(self.id_map)
            fresh = statement.inserted
            statement = statement.on_duplicate_key_update(
                target_table=fresh.target_table,
                target_id=fresh.target_id,
                row_hash=fresh.row_hash,
                status=fresh.status,
                run_id=fresh.run_id,
                updated_at=fresh.imported_at,
            )
            sql = str(statement.compile(dialect=dialect, column_keys=list(columns)))
            # PyMySQL's dialect names its parameters (%(name)s); positional ones are cheaper.
            order = _NAMED.findall(sql)
            if sorted(order) != sorted(columns):
                raise AssertionError(f"unexpected parameters {order} for {columns}")
            positional = _NAMED.sub("%s", sql)
            if positional.count(_row(len(order))) != 1:
                raise AssertionError("the upsert's VALUES group was not found")
            self._compiled[key] = (positional, order)
        return self._compiled[key]

    def counts(self, conn: Connection, tenant_id: int) -> dict[tuple[str, str], int]:
        """Return (source entity, status) → rows of one tenant."""
        c = self.id_map.c
        query = (
            select(c.source_entity, c.status, func.count())
            .where(c.tenant_id == tenant_id)
            .group_by(c.source_entity, c.status)
        )
        return {(row[0], row[1]): int(row[2]) for row in conn.execute(query)}

    def forget(self, conn: Connection, tenant_id: int, ids: Sequence[int]) -> None:
        """Delete id map rows by their own ids (after a rollback removed what they point at)."""
        if ids:
            conn.execute(
                delete(self.id_map).where(
                    self.id_map.c.tenant_id == tenant_id, self.id_map.c.id.in_(list(ids))
                )
            )

    def statuses(self, conn: Connection, tenant_id: int, source_entity: str) -> dict[str, str]:
        """Return source id → status of every id map row of a tenant's source entity ("redo":
        an imported row whose hash was cleared)."""
        c = self.id_map.c
        query = select(c.source_id, c.status, c.row_hash.is_(None).label("unhashed")).where(
            c.tenant_id == tenant_id, c.source_entity == source_entity
        )
        # An imported row without a hash was unlinked by `migrate --sync`: it is read again.
        return {
            str(row.source_id): "redo" if row.unhashed and row.status == "imported" else row.status
            for row in conn.execute(query)
        }

    def entries_of(
        self, conn: Connection, tenant_id: int, source_entity: str, source_ids: Sequence[str]
    ) -> list[tuple[int, str | None, int | None]]:
        """Return (id map row id, target table, target id) of some source ids of an entity."""
        c = self.id_map.c
        found: list[tuple[int, str | None, int | None]] = []
        wanted = list(source_ids)
        for start in range(0, len(wanted), 1000):
            query = select(c.id, c.target_table, c.target_id).where(
                c.tenant_id == tenant_id,
                c.source_entity == source_entity,
                c.source_id.in_(wanted[start : start + 1000]),
            )
            found += [(int(r.id), r.target_table, r.target_id) for r in conn.execute(query)]
        return found

    def unhash(
        self, conn: Connection, tenant_id: int, target_table: str, target_ids: Sequence[int]
    ) -> None:
        """Clear the hash of the entries of some target rows: the next run writes them again
        (`migrate --sync` unlinked a reference of theirs)."""
        c = self.id_map.c
        wanted = list(target_ids)
        for start in range(0, len(wanted), 1000):
            conn.execute(
                update(self.id_map)
                .where(
                    c.tenant_id == tenant_id,
                    c.target_table == target_table,
                    c.target_id.in_(wanted[start : start + 1000]),
                )
                .values(row_hash=None)
            )

    def unresolved(
        self, conn: Connection, tenant_id: int, table_name: str, keys: Sequence[str]
    ) -> set[int]:
        """Return the source ids of a tenant's rows in `table_name` that keep an unresolved
        reference in `extra` (one of `keys`, or a child's `…_unresolved_deltas`)."""
        table = self.runs.metadata.tables[table_name]
        written = cast(table.c.extra, Text)
        patterns = [f'%"{key}"%' for key in keys] + ['%_unresolved_deltas"%']
        query = select(table.c.source_id).where(
            table.c.tenant_id == tenant_id, or_(*[written.like(p) for p in patterns])
        )
        return {int(i) for i in conn.execute(query).scalars()}

    # --- high-water marks -------------------------------------------------------------------

    def read_marks(self, conn: Connection, tenant_id: int, site: str) -> dict[str, Any] | None:
        """Return the marks row of a tenant's site (None: no completed run set them)."""
        c = self.marks.c
        query = select(self.marks).where(c.tenant_id == tenant_id, c.site == site)
        row = conn.execute(query).first()
        return dict(row._mapping) if row is not None else None

    def write_marks(self, conn: Connection, tenant_id: int, site: str, **values: Any) -> None:
        """Replace the marks row of a tenant's site (one upsert: a delete then an insert took
        gap locks that deadlocked sites finishing at once)."""
        row = {"tenant_id": tenant_id, "site": site, "updated_at": now(), **values}
        statement = upsert(self.marks).values(**row)
        fresh = {k: statement.inserted[k] for k in row if k not in ("tenant_id", "site")}
        conn.execute(statement.on_duplicate_key_update(**fresh))

    def forget_marks(self, conn: Connection, tenant_id: int) -> None:
        """Drop a tenant's marks: its next run reads everything (after a rollback)."""
        conn.execute(delete(self.marks).where(self.marks.c.tenant_id == tenant_id))

    # --- messages ---------------------------------------------------------------------------

    def add_messages(
        self, conn: Connection, run_id: int, tenant_id: int | None, messages: Sequence[Message]
    ) -> None:
        """Store messages about rows (names and ids only)."""
        if not messages:
            return
        stamp = now()
        rows = [
            {
                "run_id": run_id,
                "tenant_id": tenant_id,
                "source_entity": m.source_entity,
                "source_id": m.source_id,
                "level": m.level,
                "message": m.text[:1024],
                "created_at": stamp,
            }
            for m in messages
        ]
        conn.execute(insert(self.messages), rows)

    def list_messages(
        self, conn: Connection, tenant_id: int, run_id: int | None = None
    ) -> list[dict[str, Any]]:
        """Return one tenant's messages (of one run, if given), oldest first."""
        c = self.messages.c
        query = select(self.messages).where(c.tenant_id == tenant_id).order_by(c.id)
        if run_id is not None:
            query = query.where(c.run_id == run_id)
        return [dict(row._mapping) for row in conn.execute(query)]

    # --- lease lock -------------------------------------------------------------------------

    def read_lock(self, conn: Connection, name: str) -> Mapping[str, Any] | None:
        """Return the lock row, locked for update (inside the caller's transaction)."""
        query = select(self.locks).where(self.locks.c.name == name).with_for_update()
        row = conn.execute(query).first()
        return dict(row._mapping) if row is not None else None

    def write_lock(self, conn: Connection, name: str, values: Mapping[str, Any]) -> None:
        """Create or replace the lock row."""
        conn.execute(delete(self.locks).where(self.locks.c.name == name))
        conn.execute(insert(self.locks).values(name=name, **values))

    def renew_lock(
        self, conn: Connection, name: str, holder: tuple[str, int], values: Mapping[str, Any]
    ) -> bool:
        """Update the lock held by `holder` (host, pid); False when it no longer holds it."""
        c = self.locks.c
        result = conn.execute(
            update(self.locks)
            .where(and_(c.name == name, c.holder_host == holder[0], c.holder_pid == holder[1]))
            .values(**values)
        )
        return bool(result.rowcount)

    def release_lock(self, conn: Connection, name: str, holder: tuple[str, int]) -> None:
        """Remove the lock if `holder` holds it."""
        c = self.locks.c
        conn.execute(
            delete(self.locks).where(
                and_(c.name == name, c.holder_host == holder[0], c.holder_pid == holder[1])
            )
        )

    def stop_running(self, conn: Connection) -> None:
        """Close the runs that died holding the lock (taken over by a later run)."""
        conn.execute(
            update(self.runs)
            .where(self.runs.c.status == "running")
            .values(status="stopped", finished_at=now())
        )
