"""`pseamigrate migrate`: every site of the project file into the consolidated target.

Per site: load and check its mapping against the live site, refuse a target that is not
encrypted (unless the override, which the run records), take the lease lock, then run the
planned steps; each batch and its ledger rows commit in one transaction, so a run killed at any
moment resumes to the same result. A dry run reads, transforms and classifies everything and
writes nothing (not even a run row or the lock).
"""

from __future__ import annotations

import contextlib
import dataclasses
import getpass
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, inspect
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import DBAPIError

from pseamigrate import __version__, db
from pseamigrate.config import Settings, SiteSettings
from pseamigrate.drupal import open_site
from pseamigrate.drupal.changes import Changes
from pseamigrate.drupal.read import DrupalSite
from pseamigrate.encryption import require_encrypted_target
from pseamigrate.encryption.filestore import StoreSpec, load_files_keys, require_sealed_store
from pseamigrate.errors import ConfigError, MappingError, RefusedForSafety
from pseamigrate.mapping.check import check_mapping
from pseamigrate.mapping.load import load_mapping
from pseamigrate.mapping.model import SiteMapping
from pseamigrate.migrate import lock, marks
from pseamigrate.migrate import plan as p
from pseamigrate.migrate.digest import basis_digest, mapping_digest
from pseamigrate.migrate.files import FileStore
from pseamigrate.migrate.items import ItemFilter
from pseamigrate.migrate.lookups import IdMaps
from pseamigrate.migrate.produce import Scope
from pseamigrate.migrate.steps import (
    CONFLICT,
    RETRIES,
    Link,
    Options,
    Progress,
    StepReport,
    StepRunner,
)
from pseamigrate.migrate.sync import Place, remove_files, remove_gone
from pseamigrate.migrate.write import Counts, Target
from pseamigrate.target import model as cm
from pseamigrate.target import writer
from pseamigrate.target.ledger import Ledger, Message
from pseamigrate.target.schema import build_metadata

SiteProgress = Callable[[str, str, int, int | None], None]  # site, step, done, total


@dataclass
class SiteRun:
    """What happened to one site."""

    site: str
    tenant: str
    dry_run: bool
    run_id: int | None = None
    status: str = "running"
    mapping_digest: str = ""
    allowed_plaintext: bool = False
    plaintext_files: bool = False  # attachments copied unencrypted (--allow-plaintext-files)
    steps: list[StepReport] = field(default_factory=list)
    delta: bool = False  # read only what changed since the last completed run (marks.py)
    full_reason: str = ""  # why every row was read
    gone: dict[str, list[str]] = field(default_factory=dict)  # source entity → ids gone
    removed: dict[str, int] = field(default_factory=dict)  # --sync: target table → rows
    removed_files: int = 0

    def failed_rows(self) -> int:
        """Return the rows that failed in this site."""
        return sum(step.counts.failed for step in self.steps)


@dataclass
class MigrationReport:
    """Every site's run."""

    sites: list[SiteRun] = field(default_factory=list)

    def failed_rows(self) -> int:
        """Return the rows that failed in all sites."""
        return sum(site.failed_rows() for site in self.sites)

    def totals(self) -> Counts:
        """Return every site's and step's counts added up (for the closing line)."""
        total = Counts()
        for site in self.sites:
            for step in site.steps:
                total.merge(step.counts)
        return total

    def dry_run(self) -> bool:
        """Return whether nothing was written because every site was a dry run."""
        return bool(self.sites) and all(site.dry_run for site in self.sites)

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data (counts, ids and reasons; no values)."""
        return {
            "sites": [
                {
                    "site": s.site,
                    "tenant": s.tenant,
                    "dry_run": s.dry_run,
                    "run_id": s.run_id,
                    "status": s.status,
                    "mapping_digest": s.mapping_digest,
                    "allowed_plaintext_target": s.allowed_plaintext,
                    "plaintext_files": s.plaintext_files,
                    "pass": "delta" if s.delta else "full",
                    "full_reason": s.full_reason,
                    "gone": s.gone,
                    "removed": s.removed,
                    "removed_files": s.removed_files,
                    "steps": [_step_dict(step) for step in s.steps],
                }
                for s in self.sites
            ],
            "failed_rows": self.failed_rows(),
            "totals": _totals_dict(self.totals()),
        }


def _totals_dict(c: Counts) -> dict[str, int]:
    keys = ("read", "inserted", "updated", "unchanged", "skipped", "failed", "warnings")
    return {key: int(getattr(c, key)) for key in keys}


def _step_dict(step: StepReport) -> dict[str, Any]:
    c = step.counts
    return {
        "step": step.label,
        "kind": step.kind,
        "read": c.read,
        "inserted": c.inserted,
        "updated": c.updated,
        "unchanged": c.unchanged,
        "skipped": c.skipped,
        "failed": c.failed,
        "warnings": c.warnings,
        "failures": c.failures,
        "reason": step.reason,
        "seconds": round(step.seconds, 3),
    }


def migrate(
    settings: Settings,
    names: list[str],
    options: Options,
    model: cm.CanonicalModel | None = None,
    on_progress: SiteProgress | None = None,
    item_filter: ItemFilter | None = None,
) -> MigrationReport:
    """Migrate the named sites (all sites of the project file when none are named).

    With `item_filter` (`migrate --sanitize`) every row goes through it on its way, into the
    project file's `test_target` instead of the target."""
    settings.require_file()
    canonical = model or cm.load_model()
    sites = [settings.site(name) for name in names or list(settings.sites)]
    target_url, files_dir = _destination(settings, item_filter is not None)
    files_key = settings.test_target_files_key if item_filter else settings.target_files_key
    report = MigrationReport()
    what = "the test target" if item_filter else "the target"
    if min(options.jobs, len(sites)) > 1:
        # Imported here: the parallel runner builds on this module's SiteJob and migrate_site.
        from pseamigrate.migrate.parallel import migrate_parallel

        for site in sites:  # bad input stops the run before any site writes, as in turn
            preflight(site, canonical)
        report.sites = migrate_parallel(
            target_url,
            what,
            sites,
            (files_dir, files_key),
            canonical,
            options,
            on_progress,
            item_filter,
        )
        return report
    with db.engine(target_url, what) as engine:
        for site in sites:
            run = SiteRun(site.name, site.tenant, options.dry_run)
            report.sites.append(run)
            progress = _for_site(on_progress, site.name)
            job = SiteJob(
                engine,
                site,
                files_dir,
                canonical,
                options,
                progress,
                item_filter,
                files_key=files_key,
            )
            migrate_site(job, run)
    return report


def _destination(settings: Settings, sanitized: bool) -> tuple[URL, Path | None]:
    """Return where rows and files go: the target, or the test target for a sanitized run."""
    if not sanitized:
        return settings.target_connection().resolve(), settings.target_files_dir
    if settings.test_target is None:
        raise ConfigError(f"{settings.path}: no 'test_target' section for --sanitize")
    return settings.test_target.resolve(), settings.test_target_files_dir


def _for_site(on_progress: SiteProgress | None, site: str) -> Progress | None:
    if on_progress is None:
        return None
    return lambda step, done, total: on_progress(site, step, done, total)


class Turns(Protocol):
    """Whose turn it is to write rows shared across tenants (see migrate/parallel.py)."""

    def wait(self, group: str, index: int) -> None:
        """Block until site `index` may write the rows of `group`."""

    def done(self, group: str, index: int) -> None:
        """Give the turn of `group` to the next site."""


@dataclass(frozen=True)
class SiteJob:
    """One site to migrate and everything the run needs around it.

    `holder` is set when another process (the parallel runner's parent) holds the lock in its
    name for this site; `turn` holds the turns and this site's place when sites run at once."""

    engine: Engine
    site: SiteSettings
    files_dir: Path | None  # the target's file store
    model: cm.CanonicalModel
    options: Options
    on_progress: Progress | None = None
    item_filter: ItemFilter | None = None
    holder: lock.Holder | None = None
    turn: tuple[Turns, int] | None = None
    files_key: Path | None = None  # the master keys sealing the store's files (issue #30 S4)

    def store(self) -> StoreSpec | None:
        """Return the file store this job writes into, with its master key file."""
        what = "test target" if self.item_filter is not None else "target"
        return StoreSpec(what, self.files_dir, self.files_key) if self.files_dir else None

    def store_keys(self) -> dict[int, bytes] | None:
        """Return the store's master keys (None without a files_key: plaintext copies)."""
        return load_files_keys(self.files_key) if self.files_key is not None else None


def migrate_site(job: SiteJob, run: SiteRun) -> None:
    """Migrate one site into the target behind `job.engine`, filling `run` as it goes."""
    with _checked_site(job.site, job.model) as (mapping, opened):
        run.mapping_digest = mapping_digest(mapping)
        _run_site(job, run, mapping, opened)


def preflight(site: SiteSettings, model: cm.CanonicalModel) -> None:
    """Check one site before anything is written: its files_dir exists, and its mapping loads
    and fits the live site (raises what `migrate_site` would)."""
    with _checked_site(site, model):
        pass


@contextlib.contextmanager
def _checked_site(
    site: SiteSettings, model: cm.CanonicalModel
) -> Iterator[tuple[SiteMapping, DrupalSite]]:
    """Load the site's mapping, check its files_dir, open the site and check the mapping
    against it; yield the mapping and the open site."""
    mapping = _mapping_of(site)
    _files_dir(site)
    where = f"site {site.name!r}"
    with (
        db.engine(db.reading(site.connection.resolve()), where) as source,
        open_site(source, site.table_prefix, where=where) as opened,
    ):
        _check(mapping, opened, model)
        yield mapping, opened


def _files_dir(site: SiteSettings) -> Path | None:
    """Return the site's files folder; one named in the project file must exist."""
    if not site.files_dir:
        return None
    if "://" in site.files_dir:
        raise ConfigError(f"site {site.name!r}: files_dir {site.files_dir} is not a local folder")
    path = Path(site.files_dir)
    if not path.is_dir():
        raise ConfigError(f"site {site.name!r}: files_dir {path} does not exist or is no folder")
    return path


def _mapping_of(site: SiteSettings) -> SiteMapping:
    if site.mapping is None:
        raise ConfigError(
            f"site {site.name!r} has no 'mapping:' in the project file "
            f"(write one with: pseamigrate mappings scaffold {site.name})"
        )
    return load_mapping(site.mapping)


def _check(mapping: SiteMapping, site: DrupalSite, model: cm.CanonicalModel) -> None:
    """Refuse to run a mapping with errors (warnings do not stop a run)."""
    problems = check_mapping(mapping, site.model, model)  # warnings are not problems
    if problems:
        raise MappingError(problems)


def _run_site(job: SiteJob, run: SiteRun, mapping: SiteMapping, opened: DrupalSite) -> None:
    """Guard the target, take the lock, start the run row, then run every planned step."""
    metadata = build_metadata(job.model)
    ledger = Ledger(metadata)
    has_schema = _has_schema(job.engine, metadata.tables)
    if not job.options.dry_run:
        _require_target(job.engine, has_schema, job.options, run, job.store())
    holder = job.holder or lock.Holder.me()
    conn = job.engine.connect()
    try:
        tenant_id = _tenant(conn, metadata, job.site, has_schema, job.options.dry_run)
        if not job.options.dry_run:
            if job.holder is None:
                lock.acquire(job.engine, ledger, holder)
            run.run_id = _start(conn, ledger, tenant_id, job.site, run)
        link = Link(job.engine if has_schema else None, conn if has_schema else None)
        ids = IdMaps(p.lookup_sources(mapping), _loader(link, ledger, tenant_id))
        target = Target(metadata, ledger, tenant_id, run.run_id or 0, ids, job.options.dry_run)
        runner = StepRunner(
            opened,
            mapping,
            Scope(tenant_id, opened.model, job.model, ids),
            target,
            FileStore(_files_dir(job.site), job.files_dir, job.site.tenant, job.store_keys()),
            job.options,
            link,
            renew=lambda c: lock.renew(c, ledger, holder, run.run_id),
            item_filter=job.item_filter,
        )
        steps = p.plan_site(mapping, job.model, opened.model)
        found = _survey_site(job, run, mapping, opened, (link.conn, ledger, tenant_id), metadata)
        runner.delta = found.delta
        _steps(runner, steps, run, job)
        run.status = "done"
        _keep_marks(job, run, (ledger, tenant_id), found, steps)
    except BaseException:
        run.status = "stopped"
        raise
    finally:
        _finish(job.engine, ledger, holder if job.holder is None else None, run)
        _close(conn)


def _survey_site(
    job: SiteJob,
    run: SiteRun,
    mapping: SiteMapping,
    opened: DrupalSite,
    where: tuple[Connection | None, Ledger, int],
    metadata: Any,
) -> marks.Survey:
    """Survey the site; with --sync remove the rows found gone, then survey again (the rows
    that pointed at them are read again)."""
    conn, ledger, tenant_id = where
    found = _survey(job, run, mapping, opened, where)
    if not (job.options.sync and found.gone and conn is not None):
        return found
    place = Place(metadata, job.model, ledger, tenant_id, job.site.tenant, run.run_id or 0)
    _sync(job, run, conn, place, found)
    after = _survey(job, run, mapping, opened, where)
    run.gone = found.gone  # what this run found gone, and removed
    if found.delta is not None and found.delta.files is None and after.delta is not None:
        after.delta = dataclasses.replace(after.delta, files=None)  # their usage went too
    return after


def _survey(
    job: SiteJob,
    run: SiteRun,
    mapping: SiteMapping,
    opened: DrupalSite,
    where: tuple[Connection | None, Ledger, int],
) -> marks.Survey:
    """Find the rows gone from the source and whether this run may read only what changed."""
    conn, ledger, tenant_id = where
    changes = Changes(opened.source, opened.model.drupal_version)
    basis = _basis(job, run, opened)
    with _reading(conn):
        found = marks.survey(
            changes,
            mapping,
            job.model,
            opened.model.vocabularies,
            (conn, ledger, tenant_id, job.site.name),
            basis,
            _asked_full(job.options),
        )
    run.gone, run.delta, run.full_reason = found.gone, found.delta is not None, found.reason
    return found


def _basis(job: SiteJob, run: SiteRun, opened: DrupalSite) -> str:
    return basis_digest(run.mapping_digest, job.model, opened.model, __version__)


def _asked_full(options: Options) -> str:
    """Name the option that makes a run read every row ("" if none does)."""
    if options.full:
        return "--full"
    if options.update:
        return "--update rewrites every row"
    if options.limit is not None or options.idlist:
        return "--limit and --idlist read a part, which leaves no marks"
    return ""


def _sync(job: SiteJob, run: SiteRun, conn: Connection, place: Place, found: marks.Survey) -> None:
    """Remove the gone rows (a dry run counts them and rolls back), then their copied files."""
    # A dry run's reads may have begun a transaction already: it removes inside a savepoint.
    with conn.begin_nested() if conn.in_transaction() else conn.begin() as transaction:
        removal = remove_gone(conn, place, found.gone)
        if job.options.dry_run:
            transaction.rollback()
    run.removed = dict(removal.rows)
    if not job.options.dry_run:
        run.removed_files = remove_files(job.files_dir, removal)


def _keep_marks(
    job: SiteJob,
    run: SiteRun,
    where: tuple[Ledger, int],
    found: marks.Survey,
    steps: list[p.Step],
) -> None:
    """Record the marks of a completed run (not of a dry run, nor of a part of the rows)."""
    ledger, tenant_id = where
    partial = job.options.limit is not None or bool(job.options.idlist)
    if job.options.dry_run or partial or run.run_id is None:
        return
    counted = [(step, report.counts.read) for step, report in zip(steps, run.steps, strict=True)]
    for attempt in range(RETRIES + 1):
        try:
            with job.engine.begin() as conn:
                marks.keep(conn, (ledger, tenant_id, job.site.name), run.run_id, found, counted)
            return
        except DBAPIError as exc:  # sites finishing at once: the server rolled one back
            if db.error_code(exc) not in CONFLICT or attempt == RETRIES:
                raise
            time.sleep(min(2**attempt, 10))


def _steps(runner: StepRunner, steps: list[p.Step], run: SiteRun, job: SiteJob) -> None:
    """Run the steps; with turns, the steps writing shared rows wait for this site's turn."""
    groups = [p.shared_group(step, job.model) for step in steps]
    first = {group: groups.index(group) for group in groups if group is not None}
    last = {group: i for i, group in enumerate(groups) if group is not None}
    if job.turn is not None:
        for unused in set(p.SHARED_GROUPS) - set(last):
            job.turn[0].done(unused, job.turn[1])
    for i, (step, group) in enumerate(zip(steps, groups, strict=True)):
        if job.turn is not None and group is not None and first[group] == i:
            job.turn[0].wait(group, job.turn[1])
        run.steps.append(runner.run(step, job.on_progress))
        if job.turn is not None and group is not None and last[group] == i:
            job.turn[0].done(group, job.turn[1])


def guard_target(engine: Engine, tables: Any, options: Options, run: SiteRun) -> None:
    """Refuse a target without the schema, or not encrypted (unless the override); each site's
    run checks its file store as well (`_run_site`)."""
    _require_target(engine, _has_schema(engine, tables), options, run, None)


def _has_schema(engine: Engine, tables: Any) -> bool:
    existing = set(inspect(engine).get_table_names())
    return set(tables) <= existing


def _require_target(
    engine: Engine, has_schema: bool, options: Options, run: SiteRun, store: StoreSpec | None
) -> None:
    """Refuse a target without the schema, or whose tables or file store are not encrypted
    (unless the override, recorded in the run: then a store without a files_key is plaintext)."""
    if not has_schema:
        raise ConfigError("the target has no schema yet: run `pseamigrate schema create` first")
    if options.allow_plaintext:
        run.allowed_plaintext = True
        run.plaintext_files = _plaintext_files(store, options)
        return
    with engine.connect() as conn:
        require_encrypted_target(conn, str(engine.url.database))
    if store is not None:
        require_sealed_store(store)


def _plaintext_files(store: StoreSpec | None, options: Options) -> bool:
    """Tell whether attachments go into the store unencrypted: a store without a files_key,
    under the override. The target's override does not cover them (a plaintext table is not a
    photo of a handwritten complaint on disk): refused unless `--allow-plaintext-files`."""
    if store is None or store.key is not None:
        return False
    if not options.allow_plaintext_files:
        raise RefusedForSafety(
            f"the {store.label}'s file store has no files_key: attachments would be copied "
            "unencrypted. Name the key `encryption setup` wrote (files_key: keys/files.key), "
            "or add --allow-plaintext-files to copy them in plaintext (recorded in the run)"
        )
    return True


def _tenant(
    conn: Connection, metadata: Any, site: SiteSettings, has_schema: bool, dry_run: bool
) -> int:
    if not has_schema:
        return 0
    tenants = metadata.tables["tenants"]
    if dry_run:
        return writer.find_tenant(conn, tenants, site.tenant) or 0
    with conn.begin():
        name = site.description or site.name
        return writer.ensure_tenant(conn, tenants, site.tenant, name, f"site {site.name}")


def _start(
    conn: Connection, ledger: Ledger, tenant_id: int, site: SiteSettings, run: SiteRun
) -> int:
    who = f"{getpass.getuser()}@{socket.gethostname()} pid {os.getpid()}"
    with conn.begin():
        run_id = ledger.start_run(
            conn,
            tenant_id=tenant_id,
            site=site.name,
            mode="run",
            started_by=who[:128],
            mapping_digest=run.mapping_digest,
            allowed_plaintext=run.allowed_plaintext,
        )
        if run.plaintext_files:
            said = "attachments copied unencrypted into the file store (--allow-plaintext-files)"
            ledger.add_messages(
                conn, run_id, tenant_id, [Message("run", site.name, "warning", said)]
            )
        return run_id


def _loader(link: Link, ledger: Ledger, tenant_id: int) -> Callable[[list[str]], dict[str, int]]:
    def load(entities: list[str]) -> dict[str, int]:
        conn = link.conn
        if conn is None:
            return {}
        # Asked between batches too (a delta run may read a lookup before its step wrote any
        # row): the read then ends its own transaction, so the next batch can begin one.
        with _reading(conn):
            return ledger.targets(conn, tenant_id, entities)

    return load


def _reading(conn: Connection | None) -> contextlib.AbstractContextManager[Any]:
    """Return a transaction for reads between batches, which must end before the next batch
    begins its own (none when one is open already, or there is no target)."""
    if conn is None or conn.in_transaction():
        return contextlib.nullcontext()
    return conn.begin()


def _close(conn: Connection) -> None:
    # A connection the server dropped closes with an error; there is nothing left to close.
    with contextlib.suppress(Exception):
        conn.close()


def _finish(engine: Engine, ledger: Ledger, holder: lock.Holder | None, run: SiteRun) -> None:
    """Close the run row and give the lock back (None: another process holds it for us)."""
    if run.run_id is None:
        return
    counts = MigrationReport([run]).as_dict()["sites"][0]["steps"]
    try:
        with engine.begin() as conn:
            ledger.finish_run(conn, run.run_id, run.status, counts)
        if holder is not None:
            lock.release(engine, ledger, holder)
    except Exception:  # noqa: BLE001 - the target may be gone; the lease expires by itself
        pass
