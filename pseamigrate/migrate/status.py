"""`pseamigrate status` and `pseamigrate messages`: what the ledger says, per site and entity.

Plain `status` answers from the target alone, in a moment: the ledger's rows per step (the steps
and the rows of ignored bundles as the last completed run recorded them in its marks) less the
rows that run found gone from the source. It does not open the source: what changed there since
is for `status --exact`, which compares every source row with the ledger the way a dry run does
(read → transform → hash), so its "needs update" includes rows a mapping edit changed. Nothing
is written either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from pseamigrate.config import Settings
from pseamigrate.db import connection
from pseamigrate.errors import UsageProblem
from pseamigrate.migrate.run import MigrationReport, migrate
from pseamigrate.migrate.steps import Options
from pseamigrate.target import model as cm
from pseamigrate.target import writer
from pseamigrate.target.ledger import Ledger
from pseamigrate.target.schema import build_metadata


@dataclass
class SiteStatus:
    """One site: its last run and, per step, the dry-run classification."""

    site: str
    tenant: str
    last_run: dict[str, Any] | None
    rows: list[dict[str, Any]] = field(default_factory=list)
    exact: bool = True  # False: from the ledger and the marks, the source not read
    marks: dict[str, Any] | None = None  # the last completed run's: run, since, gone rows


def status(
    settings: Settings,
    names: list[str],
    model: cm.CanonicalModel | None = None,
    exact: bool = False,
) -> list[SiteStatus]:
    """Return, per site and step: in source, imported, needs update, failed, unprocessed
    (`exact`: by reading every source row; otherwise from the ledger and the marks)."""
    canonical = model or cm.load_model()
    if not exact:
        return _from_ledger(settings, names, canonical)
    options = Options(dry_run=True, full=True)
    report: MigrationReport = migrate(settings, names, options, canonical)
    ledger = Ledger(build_metadata(canonical))
    out = []
    with connection(settings.target_connection().resolve()) as conn:
        tenants = ledger.runs.metadata.tables["tenants"]
        for site in report.sites:
            tenant_id = writer.find_tenant(conn, tenants, site.tenant)
            runs = ledger.last_runs(conn, tenant_id) if tenant_id is not None else []
            last = next((r for r in runs if r["mode"] == "run"), None)
            out.append(SiteStatus(site.site, site.tenant, _run_summary(last), _rows(site)))
    return out


def _from_ledger(
    settings: Settings, names: list[str], model: cm.CanonicalModel
) -> list[SiteStatus]:
    """Answer from the target alone: the ledger's rows per step of the last completed run."""
    settings.require_file()
    ledger = Ledger(build_metadata(model))
    out = []
    with connection(settings.target_connection().resolve()) as conn:
        tenants = ledger.runs.metadata.tables["tenants"]
        for name in names or list(settings.sites):
            site = settings.site(name)
            tenant_id = writer.find_tenant(conn, tenants, site.tenant)
            runs = ledger.last_runs(conn, tenant_id) if tenant_id is not None else []
            last = next((r for r in runs if r["mode"] == "run"), None)
            found = ledger.read_marks(conn, tenant_id, site.name) if tenant_id else None
            rows = _ledger_rows(conn, ledger, tenant_id or 0, found) if found else []
            marks = _marks_summary(found)
            out.append(SiteStatus(name, site.tenant, _run_summary(last), rows, False, marks))
    return out


def _ledger_rows(
    conn: Connection, ledger: Ledger, tenant_id: int, marks: dict[str, Any]
) -> list[dict[str, Any]]:
    """Return the status rows of the marks' steps, counted in the id map (gone rows left out)."""
    counts = ledger.counts(conn, tenant_id)
    gone = _gone_statuses(conn, ledger, tenant_id, marks.get("gone") or {})
    rows = []
    for step in marks.get("steps") or []:
        entity = step["entity"]
        if entity is None:  # an ignored bundle or vocabulary: its rows as the run counted them
            read = int(step["rows"])
            rows.append(_row(step, read, 0, 0, read))
            continue
        left = {
            status: counts.get((entity, status), 0) - gone.get((entity, status), 0)
            for status in ("imported", "ignored", "failed")
        }
        imported = left["imported"] + left["ignored"]  # both as a dry run counts them: unchanged
        rows.append(_row(step, imported + left["failed"], imported, left["failed"], 0))
    return rows


def _row(
    step: dict[str, Any], read: int, imported: int, failed: int, skipped: int
) -> dict[str, Any]:
    return {
        "step": step["label"],
        "in_source": read,
        "imported": imported,
        "needs_update": 0,
        "unprocessed": 0,
        "failed": failed,
        "skipped": skipped,
        "reason": step["reason"],
    }


def _gone_statuses(
    conn: Connection, ledger: Ledger, tenant_id: int, gone: dict[str, list[str]]
) -> dict[tuple[str, str], int]:
    """Count the gone rows per (entity, status), to leave them out of the ledger's counts."""
    out: dict[tuple[str, str], int] = {}
    for entity, ids in gone.items():
        statuses = ledger.statuses(conn, tenant_id, entity)
        for source_id in ids:
            status = statuses.get(source_id)
            if status is not None:
                key = (entity, "imported" if status == "redo" else status)
                out[key] = out.get(key, 0) + 1
    return out


def _marks_summary(marks: dict[str, Any] | None) -> dict[str, Any] | None:
    if marks is None:
        return None
    gone = {entity: len(ids) for entity, ids in (marks.get("gone") or {}).items()}
    return {
        "run_id": marks["run_id"],
        "since": marks["since"],
        "updated_at": marks["updated_at"],
        "gone": gone,
    }


def _run_summary(run: dict[str, Any] | None) -> dict[str, Any] | None:
    if run is None:
        return None
    keys = ("id", "status", "started_at", "finished_at", "started_by", "allowed_plaintext")
    return {key: run[key] for key in keys}


def _rows(site: Any) -> list[dict[str, Any]]:
    return [
        {
            "step": step.label,
            "in_source": step.counts.read,
            "imported": step.counts.unchanged,
            "needs_update": step.counts.updated,
            "unprocessed": step.counts.inserted,
            "failed": step.counts.failed,
            "skipped": step.counts.skipped,
            "reason": step.reason,
        }
        for step in site.steps
    ]


def messages(
    settings: Settings, site: str, run_id: int | None, model: cm.CanonicalModel | None = None
) -> list[dict[str, Any]]:
    """Return a site's messages (of one run, if given): level, entity, id and text only."""
    code = settings.site(site).tenant
    ledger = Ledger(build_metadata(model or cm.load_model()))
    with connection(settings.target_connection().resolve()) as conn:
        tenants = ledger.runs.metadata.tables["tenants"]
        tenant_id = writer.find_tenant(conn, tenants, code)
        if tenant_id is None:
            raise UsageProblem(f"tenant {code!r} of site {site!r} is not in the target")
        rows = ledger.list_messages(conn, tenant_id, run_id)
    keys = ("run_id", "level", "source_entity", "source_id", "message", "created_at")
    return [{key: row[key] for key in keys} for row in rows]
