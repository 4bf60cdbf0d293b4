"""Write one batch of items and their ledger rows (the caller holds the transaction).

Each item is compared with its id map row: new rows are inserted, rows whose hash changed are
updated (children replaced), equal ones are left alone, so a re-run changes nothing. Failed and
skipped rows get an id map row and messages, no target row; a failed row is tried, counted and
recorded again by every run until it is written. A dry run only classifies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import MetaData, Table
from sqlalchemy.engine import Connection

from pseamigrate.migrate.items import FAILED, IGNORED, OK, Item
from pseamigrate.migrate.lookups import DRY_RUN_ID, IdMaps
from pseamigrate.target import writer
from pseamigrate.target.ledger import Ledger, MapEntry, Message, now

INSERTED, UPDATED, UNCHANGED, SKIPPED = "inserted", "updated", "unchanged", "skipped"


@dataclass
class Counts:
    """How the rows of one step went."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    warnings: int = 0
    failures: list[str] = field(default_factory=list)  # "source id: reason", first few only

    def add(self, outcome: str, item: Item) -> None:
        """Count one item's outcome (and keep the first failures' reasons)."""
        setattr(self, outcome, getattr(self, outcome) + 1)
        self.warnings += sum(1 for level, _ in item.messages if level == "warning")
        if outcome == FAILED and len(self.failures) < 20:
            reasons = "; ".join(text for level, text in item.messages if level == "error")
            self.failures.append(f"{item.source_id}: {reasons}")

    def merge(self, other: Counts) -> None:
        """Add another count into this one."""
        for name in ("read", "inserted", "updated", "unchanged", "skipped", "failed", "warnings"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.failures.extend(other.failures[: max(0, 20 - len(self.failures))])


@dataclass
class Target:
    """What writing one tenant's rows needs: tables, ledger, the run and the lookups."""

    metadata: MetaData
    ledger: Ledger
    tenant_id: int
    run_id: int
    ids: IdMaps
    dry_run: bool

    def table(self, name: str) -> Table:
        """Return a target table by name."""
        return self.metadata.tables[name]


class BatchWriter:
    """Writes items of one source entity into one table; subclasses resolve merged rows."""

    key = "source_id"  # the column that holds the item's source id in the table

    def __init__(self, target: Target, kind: str, key: str | None = None) -> None:
        self.target, self.kind = target, kind
        self.key = key or self.key
        self.force = False  # --update: rewrite rows even when unchanged
        # References to rows of the same step (a term's parent, a reply's note), resolved once
        # the step has written everything: (table, own source id, column, kind, source id).
        self.pending: list[tuple[str, str, str, str, str]] = []
        # Source entities the id map held no row of when this step first wrote them: a first
        # run's batches then skip the id map query. A step's batches are disjoint keyset
        # ranges, so no later batch of the step finds a row either.
        self._unmapped: dict[str, bool] = {}

    def write(self, conn: Connection | None, items: Sequence[Item]) -> Counts:
        """Classify and (unless a dry run) write one batch; return its counts."""
        counts = Counts(read=len(items))
        if not items:
            return counts
        self.remember_deferred(items)
        t = self.target
        entries = self._entries(conn, items)
        plan = [(item, item.row_hash(), entries.get(item.source_id)) for item in items]
        outcomes = [self._outcome(item, digest, entry) for item, digest, entry in plan]
        if self.force:
            outcomes = [
                UPDATED if o == UNCHANGED and p[0].status == OK else o
                for o, p in zip(outcomes, plan, strict=True)
            ]
        for (item, _, entry), outcome in zip(plan, outcomes, strict=True):
            counts.add(outcome, item)
            if entry is not None and entry.target_id is not None:
                t.ids.add(self.kind, item.source_id, entry.target_id)
        if t.dry_run or conn is None:
            for (item, _, _), outcome in zip(plan, outcomes, strict=True):
                if outcome == INSERTED:
                    t.ids.add(self.kind, item.source_id, DRY_RUN_ID)
            return counts
        self._apply(conn, plan, outcomes)
        return counts

    def _entries(self, conn: Connection | None, items: Sequence[Item]) -> dict[str, MapEntry]:
        """Return the id map rows of a batch's items (none to ask for on a first run)."""
        if conn is None:
            return {}
        t, entity = self.target, items[0].source_entity
        if entity not in self._unmapped:
            self._unmapped[entity] = not t.ledger.has_entries(conn, t.tenant_id, entity)
        if self._unmapped[entity]:
            return {}
        return t.ledger.entries(conn, t.tenant_id, entity, [i.source_id for i in items])

    def recheck_ledger(self) -> None:
        """Ask the id map again from the next batch on: a batch whose connection was lost
        may have committed before the server's answer was lost."""
        self._unmapped.clear()

    @staticmethod
    def _outcome(item: Item, digest: str, entry: MapEntry | None) -> str:
        if item.status == FAILED:
            # A failed row stays failed until it is written: every run tries it again and
            # counts it, even when it fails as it did before (same hash, same status).
            return FAILED
        same = entry is not None and entry.row_hash == digest and entry.status == _status(item)
        if item.status != OK:
            return UNCHANGED if same else SKIPPED
        if same and entry is not None and entry.target_id is not None:
            return UNCHANGED
        return UPDATED if entry is not None and entry.target_id is not None else INSERTED

    def _apply(self, conn: Connection, plan: list[Any], outcomes: list[str]) -> None:
        new = [
            (item, digest)
            for (item, digest, _), o in zip(plan, outcomes, strict=True)
            if o == INSERTED
        ]
        changed = [
            (item, digest, entry)
            for (item, digest, entry), o in zip(plan, outcomes, strict=True)
            if o == UPDATED
        ]
        self.prepare(conn, [item for item, _ in new] + [item for item, _, _ in changed])
        entries = self.insert(conn, new) + self.update(conn, changed)
        others = [
            (item, digest, entry)
            for (item, digest, entry), o in zip(plan, outcomes, strict=True)
            if o in (FAILED, SKIPPED)
        ]
        entries += [
            self._entry(item, digest, entry.target_id if entry else None)
            for item, digest, entry in others
        ]
        t = self.target
        t.ledger.record(conn, t.tenant_id, t.run_id, entries)
        touched = [item for (item, _, _), o in zip(plan, outcomes, strict=True) if o != UNCHANGED]
        t.ledger.add_messages(conn, t.run_id, t.tenant_id, _messages(touched))

    def prepare(self, conn: Connection, items: list[Item]) -> None:
        """Resolve what the rows need before they are written (merged rows); nothing here."""

    def remember_deferred(self, items: Sequence[Item]) -> None:
        """Keep the same-step references of a batch for `fix_references`."""
        for item in items:
            if item.status == OK:
                self.pending += [(item.table, item.source_id, *ref) for ref in item.deferred]

    def fix_references(self, conn: Connection) -> int:
        """Point rows at rows of the same step (parents); return how many stayed unresolved.

        Runs after the whole step, on every run, so an interrupted run is repaired too."""
        unresolved = 0
        by_column: dict[tuple[str, str], dict[int, int | None]] = {}
        for table, own, column, kind, wanted in self.pending:
            row_id = self.target.ids.get(self.kind, own)
            target = self.target.ids.get(kind, wanted)
            unresolved += target is None
            if row_id is not None:
                by_column.setdefault((table, column), {})[row_id] = target
        for (table, column), wanted_ids in by_column.items():
            current = writer.column_values(conn, self.target.table(table), column, list(wanted_ids))
            changes = {i: v for i, v in wanted_ids.items() if current.get(i) != v}
            writer.set_column(conn, self.target.table(table), column, changes)
        self.pending = []
        return unresolved

    def table_of(self, item: Item) -> Table:
        """Return the table an item's row goes to."""
        return self.target.table(item.table)

    def insert(self, conn: Connection, new: list[tuple[Item, str]]) -> list[MapEntry]:
        """Insert new rows and their children; return their id map rows."""
        if not new:
            return []
        table = self.table_of(new[0][0])
        stamp = now()
        writer.insert_rows(conn, table, [{**item.values, "imported_at": stamp} for item, _ in new])
        found = writer.ids_by_key(
            conn, table, self.key, self.target.tenant_id, [item.source_id for item, _ in new]
        )
        entries = []
        for item, digest in new:
            target_id = found[item.source_id]
            self.target.ids.add(self.kind, item.source_id, target_id)
            entries.append(self._entry(item, digest, target_id))
        self.write_children(conn, [(item, found[item.source_id]) for item, _ in new], stamp)
        return entries

    def update(self, conn: Connection, changed: list[tuple[Item, str, MapEntry]]) -> list[MapEntry]:
        """Update changed rows by id and replace their children; return their id map rows."""
        if not changed:
            return []
        table = self.table_of(changed[0][0])
        stamp = now()
        rows = [{**item.values, "updated_at": stamp, "id": e.target_id} for item, _, e in changed]
        writer.update_rows(conn, table, rows)
        pairs = [(item, int(e.target_id or 0)) for item, _, e in changed]
        for child in {(c.table, c.fk) for item, _ in pairs for c in item.children}:
            writer.delete_by(conn, self.target.table(child[0]), child[1], [i for _, i in pairs])
        self.write_children(conn, pairs, stamp)
        return [self._entry(item, digest, e.target_id) for item, digest, e in changed]

    def write_children(self, conn: Connection, pairs: list[tuple[Item, int]], stamp: Any) -> None:
        """Insert the child rows of written items, pointing at their parents."""
        by_table: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for item, parent_id in pairs:
            for child in item.children:
                rows = by_table.setdefault((child.table, child.fk), [])
                rows.extend(
                    {**row, child.fk: parent_id, "imported_at": stamp} for row in child.rows
                )
        for (table, _), rows in by_table.items():
            if rows:
                writer.insert_rows(conn, self.target.table(table), rows)

    def _entry(self, item: Item, digest: str, target_id: int | None) -> MapEntry:
        return MapEntry(
            item.source_entity, item.source_id, item.table, target_id, digest, _status(item)
        )


def _status(item: Item) -> str:
    return {OK: "imported", FAILED: "failed", IGNORED: "ignored"}[item.status]


def _messages(items: Sequence[Item]) -> list[Message]:
    return [
        Message(item.source_entity, item.source_id, level, text)
        for item in items
        for level, text in item.messages
    ]
