"""`pseamigrate status` and `pseamigrate messages`: what the ledger says, per site and entity.

Status compares every source row with the ledger the way a dry run does (read → transform →
hash), so "needs update" is exact: it includes rows a mapping edit changed. Nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


def status(
    settings: Settings, names: list[str], model: cm.CanonicalModel | None = None
) -> list[SiteStatus]:
    """Return, per site and step: in source, imported, needs update, failed, unprocessed."""
    canonical = model or cm.load_model()
    report: MigrationReport = migrate(settings, names, Options(dry_run=True), canonical)
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
