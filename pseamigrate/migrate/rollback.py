"""`pseamigrate rollback`: delete only the rows the ledger says this tool created.

Scoped by site (its tenant's rows) or by run (the rows that run first created; refused while a
later run of the same tenant still has rows of its own, since those may point at them). Rows
are removed children first (notes and revisions, child tables, then entities, files, terms,
memberships), in one transaction. Rows other tenants share stay untouched: a merged account
keeps living while another tenant's membership uses it, a shared term while another tenant's
source link points at it; the tenant row itself is kept. A dry run counts and deletes nothing.

Scope (#30 S8): every delete of a tenant table carries `tenant_id = <the tenant>` besides the
ids the ledger names, so a ledger entry that points at another tenant's row deletes nothing of
it. An account goes only when the ledger records that this tool created it for this tenant
(`account` entries, written when a membership creates it) and no membership uses it any more:
an account another tenant created, or one that was there before (an administrator's), stays.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import ColumnElement, Engine, MetaData, Table, and_, delete, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from pseamigrate import db
from pseamigrate.config import Settings
from pseamigrate.errors import RefusedForSafety, UsageProblem
from pseamigrate.migrate import lock
from pseamigrate.target import model as cm
from pseamigrate.target import writer
from pseamigrate.target.ledger import Ledger
from pseamigrate.target.schema import build_metadata
from pseamigrate.target.store import relative_path

CHUNK = 1000


@dataclass
class RollbackReport:
    """What a rollback removed (or would remove): rows per table, files."""

    tenant: str
    run_id: int | None
    dry_run: bool
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    uris: list[str] = field(default_factory=list, repr=False)  # of the deleted file rows

    def as_dict(self) -> dict[str, object]:
        """Return the report as JSON-ready data."""
        return {
            "tenant": self.tenant,
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "files": self.files,
        }


def rollback(
    settings: Settings,
    site: str | None,
    run_id: int | None,
    dry_run: bool,
    model: cm.CanonicalModel | None = None,
) -> RollbackReport:
    """Roll back one site's tenant, or one run, in the target of the project file."""
    if (site is None) == (run_id is None):
        raise UsageProblem("name exactly one of --site or --run")
    settings.require_file()
    canonical = model or cm.load_model()
    metadata = build_metadata(canonical)
    ledger = Ledger(metadata)
    with db.engine(settings.target_connection().resolve(), "the target") as engine:
        return _rollback(engine, metadata, canonical, ledger, settings, site, run_id, dry_run)


def _rollback(
    engine: Engine,
    metadata: MetaData,
    canonical: cm.CanonicalModel,
    ledger: Ledger,
    settings: Settings,
    site: str | None,
    run_id: int | None,
    dry_run: bool,
) -> RollbackReport:
    holder = lock.Holder.me()
    try:
        if not dry_run:
            lock.acquire(engine, ledger, holder)
        with engine.connect() as conn, conn.begin() as transaction:
            tenant_id, code = _scope(conn, metadata, settings, site, run_id)
            report = RollbackReport(code, run_id, dry_run)
            try:
                _undo(conn, metadata, canonical, ledger, tenant_id, run_id, report)
            except IntegrityError:
                raise RefusedForSafety(
                    f"rows of other runs of tenant {code!r} point at rows of run {run_id}; "
                    "nothing was deleted (roll back the whole site with --site)"
                ) from None
            if dry_run:
                transaction.rollback()
                return report
            _record(conn, ledger, tenant_id, site, run_id, report)
            ledger.forget_marks(conn, tenant_id)  # the next run reads everything again
        report.files = _remove_files(settings.target_files_dir, code, report)
        return report
    finally:
        if not dry_run:
            lock.release(engine, ledger, holder)


def _scope(
    conn: Connection, metadata: MetaData, settings: Settings, site: str | None, run_id: int | None
) -> tuple[int, str]:
    tenants = metadata.tables["tenants"]
    if site is not None:
        code = settings.site(site).tenant
        tenant_id = writer.find_tenant(conn, tenants, code)
        if tenant_id is None:
            raise UsageProblem(f"tenant {code!r} of site {site!r} is not in the target")
        return tenant_id, code
    runs = metadata.tables["pm_runs"]
    row = conn.execute(select(runs.c.tenant_id, runs.c.mode).where(runs.c.id == run_id)).first()
    if row is None or row.tenant_id is None or row.mode != "run":
        raise UsageProblem(f"run {run_id} is not a migrate run of this target")
    code = conn.execute(select(tenants.c.code).where(tenants.c.id == row.tenant_id)).scalar_one()
    _refuse_later_runs(conn, metadata, int(row.tenant_id), int(run_id or 0))
    return int(row.tenant_id), str(code)


def _refuse_later_runs(conn: Connection, metadata: MetaData, tenant_id: int, run_id: int) -> None:
    id_map = metadata.tables["pm_id_map"]
    later = conn.execute(
        select(id_map.c.first_run_id)
        .where(id_map.c.tenant_id == tenant_id, id_map.c.first_run_id > run_id)
        .distinct()
    ).scalars()
    found = sorted(int(r) for r in later)
    if found:
        raise RefusedForSafety(
            f"later runs of this tenant created rows ({', '.join(map(str, found))}); roll them "
            "back first (newest first), or roll back the whole site with --site"
        )


def _undo(
    conn: Connection,
    metadata: MetaData,
    model: cm.CanonicalModel,
    ledger: Ledger,
    tenant_id: int,
    run_id: int | None,
    report: RollbackReport,
) -> None:
    id_map = metadata.tables["pm_id_map"]
    query = select(id_map.c.id, id_map.c.target_table, id_map.c.target_id).where(
        id_map.c.tenant_id == tenant_id
    )
    if run_id is not None:
        query = query.where(id_map.c.first_run_id == run_id)
    owned: dict[str, list[int]] = {}
    map_ids, account_entries = [], {}
    for row in conn.execute(query):
        if row.target_id is not None:
            owned.setdefault(str(row.target_table), []).append(int(row.target_id))
        if row.target_table == "accounts" and row.target_id is not None:
            account_entries[int(row.id)] = int(row.target_id)
        else:
            map_ids.append(int(row.id))
    for table_name in _deletion_order(model):
        _delete_owned(
            conn, metadata, model, tenant_id, table_name, owned.get(table_name, []), report
        )
    kept = _delete_created_accounts(conn, metadata, owned.get("accounts", []), report)
    # An account another tenant's membership still uses keeps its entry: this tenant created
    # it, and a later rollback of this tenant deletes it once nobody uses it.
    map_ids += [entry for entry, account in account_entries.items() if account not in kept]
    for chunk in _chunks(map_ids):
        ledger.forget(conn, tenant_id, chunk)


def _deletion_order(model: cm.CanonicalModel) -> list[str]:
    from pseamigrate.migrate.plan import ordered_entities

    tables: list[str] = []
    for name in reversed(ordered_entities(model)):
        entity = model.entities[name]
        tables += [entity.notes.table] if entity.notes else []
        tables += [entity.revisions.table] if entity.revisions else []
        tables.append(entity.table)
    tables.append("files")
    for vocabulary in model.vocabularies.values():
        tables.append(vocabulary.table)
    return [*tables, "memberships", "roles"]


def _delete_owned(
    conn: Connection,
    metadata: MetaData,
    model: cm.CanonicalModel,
    tenant_id: int,
    table_name: str,
    ids: list[int],
    report: RollbackReport,
) -> None:
    table = metadata.tables[table_name]
    if table_name in _shared_tables(model):
        _delete_shared_terms(conn, metadata, table, tenant_id, ids, report)
        return
    for chunk in _chunks(ids):
        mine = _of_tenant(table, "id", chunk, tenant_id)
        if table_name == "files":
            query = select(table.c.uri).where(mine)
            report.uris += [str(uri) for uri in conn.execute(query).scalars()]
        _delete_dependents(conn, metadata, table, chunk, tenant_id, report)
        if "parent_id" in table.c:  # a hierarchy: unlink before deleting
            conn.execute(update(table).where(mine).values(parent_id=None))
        _count(report, table_name, _delete(conn, table, mine))


def _of_tenant(table: Table, column: str, ids: list[int], tenant_id: int) -> ColumnElement[bool]:
    """Return `column IN ids`, and `tenant_id = <tenant>` for every table that has one: the
    ledger's ids alone would reach another tenant's row if an entry pointed at it."""
    condition: ColumnElement[bool] = table.c[column].in_(ids)
    if "tenant_id" in table.c:
        condition = and_(condition, table.c.tenant_id == tenant_id)
    return condition


def _delete(conn: Connection, table: Table, condition: ColumnElement[bool]) -> int:
    return int(conn.execute(delete(table).where(condition)).rowcount or 0)


def _delete_dependents(
    conn: Connection,
    metadata: MetaData,
    table: Table,
    ids: list[int],
    tenant_id: int,
    report: RollbackReport,
) -> None:
    """Delete child rows (not in the ledger) of this tenant that point at rows about to go."""
    for child in metadata.sorted_tables:
        if child.name.startswith("pm_") or child is table:
            continue
        for fk in child.foreign_keys:
            # `id` elements only: tenant_id is also in the composite same-tenant keys (#30)
            if (
                fk.column.table is table
                and fk.column.name == "id"
                and _is_child(child, fk.parent.name)
            ):
                mine = _of_tenant(child, fk.parent.name, ids, tenant_id)
                _count(report, child.name, _delete(conn, child, mine))


def _is_child(table: Table, column: str) -> bool:
    """Tell child tables (rows owned by their parent) from other references."""
    return not table.c[column].nullable and ("delta" in table.c or table.name == "membership_roles")


def _shared_tables(model: cm.CanonicalModel) -> set[str]:
    return {v.table for v in model.vocabularies.values() if v.scope == "shared"}


def _delete_shared_terms(
    conn: Connection,
    metadata: MetaData,
    terms: Table,
    tenant_id: int,
    term_ids: list[int],
    report: RollbackReport,
) -> None:
    """Remove this tenant's source links; a merged term goes only when this tenant linked to
    it and no tenant links to it any more (a term nobody linked, e.g. one `country apply`
    made, is not this tenant's to delete even if a ledger entry names it)."""
    links = metadata.tables[terms.name.replace("_terms", "_term_sources")]
    for chunk in _chunks(term_ids):
        mine = _of_tenant(links, "term_id", chunk, tenant_id)
        linked = set(conn.execute(select(links.c.term_id).where(mine)).scalars())
        _count(report, links.name, _delete(conn, links, mine))
        still = set(
            conn.execute(select(links.c.term_id).where(links.c.term_id.in_(chunk))).scalars()
        )
        orphans = [term for term in chunk if term in linked and term not in still]
        _count(report, terms.name, writer.delete_by(conn, terms, "id", orphans))


def _delete_created_accounts(
    conn: Connection, metadata: MetaData, created: list[int], report: RollbackReport
) -> set[int]:
    """Delete the accounts the ledger says this tool created for this tenant (`created`, from
    its `account` entries) that no membership uses any more. Accounts are merged across
    tenants: one another tenant's membership still uses stays; so does every account of no
    ledger entry. Return the created accounts that stay."""
    accounts, memberships = metadata.tables["accounts"], metadata.tables["memberships"]
    used = select(memberships.c.account_id).where(memberships.c.account_id.is_not(None))
    kept: set[int] = set()
    for chunk in _chunks(created):
        unused = and_(accounts.c.id.in_(chunk), accounts.c.id.not_in(used))
        _count(report, "accounts", _delete(conn, accounts, unused))
        kept |= set(conn.execute(select(accounts.c.id).where(accounts.c.id.in_(chunk))).scalars())
    return kept


def _record(
    conn: Connection,
    ledger: Ledger,
    tenant_id: int,
    site: str | None,
    run_id: int | None,
    report: RollbackReport,
) -> None:
    rollback_id = ledger.start_run(conn, tenant_id=tenant_id, site=site, mode="rollback")
    counts = {"rolled_back_run": run_id, "rows": report.rows}
    ledger.finish_run(conn, rollback_id, "done", counts)


def _remove_files(store: Path | None, tenant: str, report: RollbackReport) -> int:
    """Remove the store's copies of the files whose rows went (paths stay inside the store)."""
    if store is None:
        return 0
    root = (store / tenant).resolve()
    removed = 0
    for uri in report.uris:
        # A NUL byte makes no path (resolve raises): it ran after the commit and left every
        # later copy on disk (#30 low). Such a URI has no copy in the store.
        relative = relative_path(uri) if "\0" not in uri else None
        path = (root / relative).resolve() if relative is not None else None
        if path is not None and path.is_relative_to(root) and path.is_file():
            path.unlink()
            removed += 1
    return removed


def _count(report: RollbackReport, table: str, rows: int) -> None:
    if rows:
        report.rows[table] = report.rows.get(table, 0) + rows


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    items = list(ids)
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]
