"""`migrate --sync`: remove from the target the rows whose source rows are gone.

A run finds them by comparing the source's id sets with the ledger (migrate/marks.py) and, by
default, only reports them. With `--sync` they go, in the run's own transaction before any step:
the rows the ledger names with their child rows, their notes and revisions (gone too: Drupal
deletes a node's comments and revisions with it), the store's copies of gone files, an account
this tenant created that no membership uses any more. Each delete carries `tenant_id`, like a
rollback's (the same helpers). A row still pointing at a removed one (a referral at a deleted
complaint, a note at a deleted account) loses that reference and is written again by the same
run, as a full run would write it: reference empty, the source id kept in `extra`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import MetaData, Table, select, update
from sqlalchemy.engine import Connection

from pseamigrate.migrate.accounts import ACCOUNT_ENTITY
from pseamigrate.migrate.rollback import (
    RollbackReport,
    _delete_created_accounts,
    _delete_owned,
    _deletion_order,
    _is_child,
    _of_tenant,
    _remove_files,
)
from pseamigrate.target import model as cm
from pseamigrate.target.ledger import Ledger, Message

REMOVED = "removed from the target: gone from the source (migrate --sync)"


@dataclass(frozen=True)
class Place:
    """Where rows are removed: the target's tables, ledger and the tenant."""

    metadata: MetaData
    model: cm.CanonicalModel
    ledger: Ledger
    tenant_id: int
    tenant: str
    run_id: int


def remove_gone(conn: Connection, place: Place, gone: dict[str, list[str]]) -> RollbackReport:
    """Delete the target rows of the gone source ids, and forget their ledger entries; return
    what went (the caller holds the transaction and removes the files after it commits)."""
    report = RollbackReport(place.tenant, place.run_id, dry_run=False)
    owned: dict[str, list[int]] = {}
    entries: list[int] = []
    for entity, ids in gone.items():
        for entry, table, target in place.ledger.entries_of(conn, place.tenant_id, entity, ids):
            entries.append(entry)
            if table is not None and target is not None:
                owned.setdefault(table, []).append(int(target))
    for table_name in _deletion_order(place.model):
        going = owned.get(table_name, [])
        if going:
            _unlink(conn, place, place.metadata.tables[table_name], going)
            _delete_owned(
                conn, place.metadata, place.model, place.tenant_id, table_name, going, report
            )
    _accounts(conn, place, gone.get("user", []), report, entries)
    for start in range(0, len(entries), 1000):
        place.ledger.forget(conn, place.tenant_id, entries[start : start + 1000])
    messages = [Message(entity, i, "info", REMOVED) for entity, ids in gone.items() for i in ids]
    if place.run_id:  # a dry run has no run row to hang messages on (and rolls back anyway)
        place.ledger.add_messages(conn, place.run_id, place.tenant_id, messages)
    return report


def _accounts(
    conn: Connection, place: Place, uids: list[str], report: RollbackReport, entries: list[int]
) -> None:
    """Delete the accounts this tenant created for gone users once no membership uses them."""
    if not uids:
        return
    found = place.ledger.entries_of(conn, place.tenant_id, ACCOUNT_ENTITY, uids)
    created = {entry: int(target) for entry, _, target in found if target is not None}
    kept = _delete_created_accounts(conn, place.metadata, list(created.values()), report)
    entries += [entry for entry, account in created.items() if account not in kept]


def _unlink(conn: Connection, place: Place, table: Table, ids: list[int]) -> None:
    """Empty the references of this tenant's other rows to rows about to go, and clear their
    ledger hashes so the run writes them again (child rows: their parent's entry)."""
    for other in place.metadata.sorted_tables:
        if other.name.startswith("pm_") or other is table:
            continue
        for fk in other.foreign_keys:
            column = fk.parent.name
            if fk.column.table is not table or _is_child(other, column):
                continue
            if not other.c[column].nullable:
                continue
            pointing = _of_tenant(other, column, ids, place.tenant_id)
            found = [int(i) for i in conn.execute(select(other.c.id).where(pointing)).scalars()]
            if not found:
                continue
            conn.execute(update(other).where(pointing).values({column: None}))
            _redo(conn, place, other, found)


def _redo(conn: Connection, place: Place, table: Table, ids: list[int]) -> None:
    """Clear the ledger hash of rows (or of the parents of child rows) that lost a reference."""
    parent = next(
        (fk for fk in table.foreign_keys if _is_child(table, fk.parent.name)),
        None,
    )
    if parent is None:
        place.ledger.unhash(conn, place.tenant_id, table.name, ids)
        return
    query = select(table.c[parent.parent.name]).where(table.c.id.in_(ids)).distinct()
    owners = [int(i) for i in conn.execute(query).scalars()]
    place.ledger.unhash(conn, place.tenant_id, parent.column.table.name, owners)


def remove_files(store: Path | None, report: RollbackReport) -> int:
    """Remove the store's copies of the removed file rows (after the transaction committed)."""
    return _remove_files(store, report.tenant, report)
