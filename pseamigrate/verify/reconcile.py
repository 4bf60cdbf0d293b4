"""`pseamigrate verify`: reconcile every site of the project file against the target.

Per site: load the mapping and check it against the live site (as migrate does), then run each
planned step through `verify/steps.py` (counts, explanations from the ledger and the mapping,
chunk digests, bisection), and finally count each target table's rows of the tenant against the
rows the steps accounted for, so a row the ledger cannot explain is a mismatch too. Nothing is
written anywhere; the target must be encrypted unless the override (recorded in the report).
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, func, inspect, select
from sqlalchemy.engine import URL, Connection

from pseamigrate import __version__
from pseamigrate.config import Settings, SiteSettings
from pseamigrate.db import connection, reading, server_version, where
from pseamigrate.db import engine as checked_engine
from pseamigrate.drupal import open_site
from pseamigrate.drupal.read import DrupalSite
from pseamigrate.encryption import backend_for, require_encrypted_target
from pseamigrate.encryption.filestore import load_files_keys
from pseamigrate.errors import ConfigError
from pseamigrate.migrate import plan as p
from pseamigrate.migrate.digest import mapping_digest
from pseamigrate.migrate.files import FileStore
from pseamigrate.migrate.lookups import IdMaps
from pseamigrate.migrate.parallel import in_workers, worker_progress
from pseamigrate.migrate.produce import Scope
from pseamigrate.migrate.run import _check, _files_dir, _mapping_of
from pseamigrate.migrate.steps import Link, Options
from pseamigrate.migrate.write import Target
from pseamigrate.target import model as cm
from pseamigrate.target import writer
from pseamigrate.target.ledger import Ledger
from pseamigrate.target.schema import build_metadata
from pseamigrate.verify import results as r
from pseamigrate.verify.shapes import shape_of
from pseamigrate.verify.steps import Projector, StepCheck, StepProgress

SiteProgress = Callable[[str, str, int, int | None], None]  # site, step, done, total


@dataclass(frozen=True)
class VerifyOptions:
    """How to verify: rows sampled per entity, the plaintext override, the chunk size."""

    sample: int = 0
    allow_plaintext: bool = False
    batch_size: int = 500
    jobs: int = 1  # sites verified at once, each in its own process (migrate/parallel.py)
    accept_pending: bool = False  # sign off rows not (yet) in the target; the report says so


@dataclass(frozen=True)
class SiteTask:
    """What a worker process needs to verify one site (everything picklable)."""

    url: URL
    site: SiteSettings
    settings: Settings
    model: cm.CanonicalModel
    options: VerifyOptions


def verify(
    settings: Settings,
    names: list[str],
    options: VerifyOptions = VerifyOptions(),
    model: cm.CanonicalModel | None = None,
    on_progress: SiteProgress | None = None,
) -> r.Reconciliation:
    """Reconcile the named sites (every site of the project file when none are named)."""
    settings.require_file()
    canonical = model or cm.load_model()
    sites = [settings.site(name) for name in names or list(settings.sites)]
    url = settings.target_connection().resolve()
    started = time.monotonic()
    result = r.Reconciliation(started_at=_now(), sample=options.sample)
    result.accepted_pending = options.accept_pending
    result.provenance = provenance(settings, url)
    metadata = build_metadata(canonical)
    with connection(url, "the target") as conn:
        schema = str(url.database)
        result.target_server, result.target_schema = server_version(conn), schema
        result.encryption = _encryption(conn, schema, options.allow_plaintext)
        if not set(metadata.tables) <= set(inspect(conn).get_table_names()):
            raise ConfigError("the target has no schema yet: run `pseamigrate schema create`")
    if min(options.jobs, len(sites)) > 1:
        tasks = [SiteTask(url, site, settings, canonical, options) for site in sites]
        result.sites = in_workers(_verify_worker, tasks, options.jobs, on_progress)
    else:
        with connection(url, "the target") as conn:
            for site in sites:
                progress = _for_site(on_progress, site.name)
                check = verify_site(conn, metadata, site, settings, canonical, options, progress)
                result.sites.append(check)
    result.seconds = time.monotonic() - started
    return result


def _verify_worker(task: SiteTask) -> r.SiteCheck:
    """Verify one site in a worker process, on its own connection to the target."""
    metadata = build_metadata(task.model)
    progress = worker_progress(task.site.name)
    with connection(task.url, "the target") as conn:
        return verify_site(
            conn, metadata, task.site, task.settings, task.model, task.options, progress
        )


def provenance(settings: Settings, url: URL) -> dict[str, str]:
    """Say who verified what with which tool: what a QA lead signs off (#24 item 1)."""
    project = settings.require_file()
    return {
        "pseamigrate": __version__,
        "operator": _operator(),
        "host": socket.gethostname(),
        "project_file": str(project.resolve()),
        "project_sha256": hashlib.sha256(project.read_bytes()).hexdigest(),
        "target": where(url),
    }


def _operator() -> str:
    """Return the login running verify (the environment's, else the uid's), for the report."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry for the uid (some containers)
        return f"uid {os.getuid()}"


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _for_site(on_progress: SiteProgress | None, site: str) -> StepProgress | None:
    if on_progress is None:
        return None
    return lambda step, done, total: on_progress(site, step, done, total)


def _encryption(conn: Connection, schema: str, allow_plaintext: bool) -> dict[str, Any]:
    """Refuse a plaintext target unless the override; return the checks for the report."""
    if not allow_plaintext:
        require_encrypted_target(conn, schema)
    checks = [check.as_dict() for check in backend_for(conn).status(conn, schema)]
    return {
        "required": not allow_plaintext,
        "allowed_plaintext_target": allow_plaintext,
        "passed": not any(c.get("outcome") == "FAIL" for c in checks),
        "checks": checks,
    }


def verify_site(
    conn: Connection,
    metadata: MetaData,
    site: SiteSettings,
    settings: Settings,
    model: cm.CanonicalModel,
    options: VerifyOptions,
    on_progress: StepProgress | None = None,
) -> r.SiteCheck:
    """Reconcile one site with its tenant in the target."""
    mapping = _mapping_of(site)
    check = r.SiteCheck(site.name, site.tenant, mapping_digest=mapping_digest(mapping))
    ledger = Ledger(metadata)
    check.tenant_id = writer.find_tenant(conn, metadata.tables["tenants"], site.tenant)
    _last_run(conn, ledger, check)
    what = f"site {site.name!r}"
    source_url = site.connection.resolve()
    check.source_where = where(source_url)
    with (
        checked_engine(reading(source_url), what) as source,
        open_site(source, site.table_prefix, where=what) as opened,
    ):
        _check(mapping, opened, model)
        with source.connect() as sconn:
            check.source_version = server_version(sconn)
        check.layout = str(opened.model.layout)
        projector = _projector(conn, ledger, site, settings, model, mapping, opened, check)
        steps = StepCheck(conn, projector, ledger, check.tenant_id, options.sample)
        for step in p.plan_site(mapping, model, opened.model):
            check.entities.append(_step(steps, step, metadata, model, on_progress))
    check.tables = _tables(conn, metadata, check)
    return check


def _last_run(conn: Connection, ledger: Ledger, check: r.SiteCheck) -> None:
    if check.tenant_id is None:
        return
    runs = [run for run in ledger.last_runs(conn, check.tenant_id) if run["mode"] == "run"]
    if runs:
        check.last_run_id = int(runs[0]["id"])
        check.last_run_digest = str(runs[0].get("mapping_digest") or "")


def _projector(
    conn: Connection,
    ledger: Ledger,
    site: SiteSettings,
    settings: Settings,
    model: cm.CanonicalModel,
    mapping: Any,
    opened: DrupalSite,
    check: r.SiteCheck,
) -> Projector:
    """Build the dry-run step runner whose lookups read the ledger (read-only)."""
    tenant_id = check.tenant_id

    def load(entities: list[str]) -> dict[str, int]:
        return {} if tenant_id is None else ledger.targets(conn, tenant_id, entities)

    ids = IdMaps(p.lookup_sources(mapping), load)
    scope = Scope(tenant_id or 0, opened.model, model, ids)
    metadata = ledger.runs.metadata
    target = Target(metadata, ledger, tenant_id or 0, 0, ids, dry_run=True)
    keys = load_files_keys(settings.target_files_key) if settings.target_files_key else None
    store = FileStore(_files_dir(site), _store(settings), site.tenant, keys)
    options = Options(dry_run=True)
    return Projector(
        opened, mapping, scope, target, store, options, Link(None, None), renew=lambda _: None
    )


def _store(settings: Settings) -> Path | None:
    return settings.target_files_dir


def _step(
    steps: StepCheck,
    step: p.Step,
    metadata: MetaData,
    model: cm.CanonicalModel,
    on_progress: StepProgress | None,
) -> r.EntityCheck:
    shape = shape_of(step, metadata, model)
    if shape is not None:
        return steps.run(step, shape, on_progress)
    return _ignored(steps.runner, step)


def _ignored(runner: Projector, step: p.Step) -> r.EntityCheck:
    """A bundle or vocabulary the mapping ignores: its rows, explained with the reason."""
    check = r.EntityCheck(step.label, step.kind)
    kind = p.NODES if step.kind == p.IGNORED_BUNDLE else p.TERMS
    for batch in runner.batches(p.Step(kind, step.label, step.source)):
        for record in batch:
            check.source += 1
            check.explain(r.IGNORED, str(record.id))
    if check.source:
        check.reasons["*"] = step.reason
    return check


def _tables(conn: Connection, metadata: MetaData, check: r.SiteCheck) -> list[dict[str, Any]]:
    """Count each table's rows of the tenant against the rows the steps accounted for."""
    if check.tenant_id is None:
        return []
    accounted: dict[str, int] = {}
    for entity in check.entities:
        if entity.table:
            accounted[entity.table] = accounted.get(entity.table, 0) + entity.target
    out = []
    for name, expected in sorted(accounted.items()):
        table = metadata.tables[name]
        query = select(func.count()).select_from(table).where(table.c.tenant_id == check.tenant_id)
        rows = int(conn.execute(query).scalar() or 0)
        unexplained = max(0, rows - expected)
        out.append({"table": name, "rows": rows, "accounted": expected, "unexplained": unexplained})
    return out
