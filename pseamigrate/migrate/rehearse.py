"""`mappings check` against the live site: every source row through the run's own transforms.

A rehearsal is `migrate --dry-run` without the target: the same plan (`plan.plan_site`), the
same `StepRunner`, producers and writers; with no target connection the writers only classify,
and lookups find the rows this same run would write (`lookups.DRY_RUN_ID`). So the rows it
finds failing are exactly the rows a first run (or a dry run on a target without an id map)
fails, and it names every one of them, grouped by step and reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pseamigrate import db
from pseamigrate.config import Settings, SiteSettings
from pseamigrate.drupal import open_site
from pseamigrate.drupal.read import DrupalSite
from pseamigrate.errors import ConfigError, ConnectionFailed, MappingError
from pseamigrate.mapping.check import check_findings, review_warnings
from pseamigrate.mapping.commands import (
    CONTENT_MODEL,
    FILE_ONLY,
    ROWS,
    RowFailures,
    SiteCheck,
)
from pseamigrate.mapping.load import load_mapping
from pseamigrate.mapping.model import SiteMapping
from pseamigrate.migrate import plan as p
from pseamigrate.migrate.crosswalk import coded_columns, undecided_message
from pseamigrate.migrate.files import FileStore
from pseamigrate.migrate.items import FAILED, Item
from pseamigrate.migrate.lookups import IdMaps
from pseamigrate.migrate.produce import Scope
from pseamigrate.migrate.run import _files_dir
from pseamigrate.migrate.steps import Link, Options, StepRunner
from pseamigrate.migrate.write import Target
from pseamigrate.target import model as cm
from pseamigrate.target.ledger import Ledger
from pseamigrate.target.schema import build_metadata
from pseamigrate.yamldoc import Problem

Say = Callable[[str], None]
Watch = Callable[[p.Step, Item], None]  # sees each row of the pass (assess judges by them)
OFFLINE_NOTE = "offline: the file alone was checked (keys, steps, callbacks), not the site"
STATIC_NOTE = "the rows were not run: the mapping has problems against the site's content model"
# "its node 12 is not in the target": one reason for every row whose node failed or is missing.
_IDS = re.compile(r"\b(node|nodes) \d+\b")
_COLUMN = re.compile(r"^([a-z_][a-z0-9_]*): ")
_STEP_PATH = re.compile(r"entities\.[^.]+\.process\.([^.:]+)")


def check_sites(
    settings: Settings,
    names: list[str],
    model: cm.CanonicalModel | None = None,
    offline: bool = False,
    say: Say | None = None,
) -> list[SiteCheck]:
    """Check the named sites' mappings (all if none named): against the live site and every
    row through the run's transforms; `offline`, the files alone."""
    settings.require_file()
    canonical = model or cm.load_model()
    results = []
    for name in names or list(settings.sites):
        if say is not None:
            say(f"checking site {name!r}" + (" (offline)" if offline else ""))
        results.append(check_site(settings.site(name), canonical, offline))
    return results


def check_site(site: SiteSettings, model: cm.CanonicalModel, offline: bool = False) -> SiteCheck:
    """Check one site's mapping as far as it can go: file, content model, rows."""
    if site.mapping is None:
        raise ConfigError(f"site {site.name!r} has no 'mapping:' path in the project file")
    path = str(site.mapping)
    try:
        mapping = load_mapping(site.mapping)
    except MappingError as exc:
        problems = tuple(p for p in exc.problems if isinstance(p, Problem))
        return SiteCheck("", path, problems, scope=FILE_ONLY)
    reviews = tuple(review_warnings(mapping))
    if offline:
        return SiteCheck(mapping.site, path, (), reviews, FILE_ONLY, note=OFFLINE_NOTE)
    try:
        return _live(site, mapping, model, path)
    except ConnectionFailed as exc:
        why = f"the site could not be reached ({exc}): only the file was checked"
        problem = Problem(path, 0, "site", f"{why}; pass --offline to check the file alone")
        return SiteCheck(mapping.site, path, (problem,), reviews, FILE_ONLY, note=why)


def _live(
    site: SiteSettings, mapping: SiteMapping, model: cm.CanonicalModel, path: str
) -> SiteCheck:
    where = f"site {site.name!r}"
    with (
        db.engine(db.reading(site.connection.resolve()), where) as source,
        open_site(source, site.table_prefix, where=where) as opened,
    ):
        return check_opened(opened, site, mapping, model, path)


def check_opened(
    opened: DrupalSite,
    site: SiteSettings,
    mapping: SiteMapping,
    model: cm.CanonicalModel,
    path: str,
    watch: Watch | None = None,
) -> SiteCheck:
    """Check a mapping against an opened site: its content model, then every row (`watch` sees
    each row the pass produces; `assess` judges its findings by them, as check does)."""
    found = check_findings(mapping, opened.model, model)
    problems, warnings = tuple(found.problems), tuple(found.warnings)
    if problems:
        return SiteCheck(mapping.site, path, problems, warnings, CONTENT_MODEL, note=STATIC_NOTE)
    decisions = tuple(_undecided(opened, mapping, model))
    rows, failures = rehearse(opened, mapping, site, model, watch)
    return SiteCheck(mapping.site, path, decisions, warnings, ROWS, rows, failures)


def _undecided(opened: DrupalSite, mapping: SiteMapping, model: cm.CanonicalModel) -> list[Problem]:
    """Name each required coded column whose stored values the mapping leaves without a model
    value: a decision only a person can make (the rows it fails are listed as well)."""
    return [
        Problem(coded.where.file, coded.where.line, coded.where.path, undecided_message(coded))
        for coded in coded_columns(opened, mapping, model)
        if coded.required and coded.failing()
    ]


def rehearse(
    opened: DrupalSite,
    mapping: SiteMapping,
    site: SiteSettings,
    model: cm.CanonicalModel,
    watch: Watch | None = None,
) -> tuple[int, tuple[RowFailures, ...]]:
    """Run every planned step of a site as a dry run without a target; return the rows read
    and every failing row, grouped by step and reason (all ids, in the order read). `watch`
    sees every row produced, failed or not (its status and messages)."""
    metadata = build_metadata(model)
    ids = IdMaps(p.lookup_sources(mapping), lambda _entities: {})
    target = Target(metadata, Ledger(metadata), 0, 0, ids, dry_run=True)
    groups: dict[tuple[str, str, str, str], list[str]] = {}

    def keep(step: p.Step, item: Item) -> None:
        if watch is not None:
            watch(step, item)
        if item.status != FAILED:
            return
        for level, text in item.messages:
            if level == "error":
                reason = _IDS.sub(lambda m: m.group(1), text)
                key = (step.label, item.source_entity, _column(reason), reason)
                groups.setdefault(key, []).append(item.source_id)

    runner = StepRunner(
        opened,
        mapping,
        Scope(0, opened.model, model, ids),
        target,
        FileStore(_files_dir(site), None, site.tenant),
        Options(dry_run=True),
        Link(None, None),
        renew=lambda _conn: None,
        on_item=keep,
    )
    read = sum(runner.run(step).counts.read for step in p.plan_site(mapping, model, opened.model))
    failures = tuple(
        RowFailures(label, entity, column, reason, tuple(found))
        for (label, entity, column, reason), found in groups.items()
    )
    return read, failures


def _column(reason: str) -> str:
    """Return the column a run's reason names: `status: required…`, or the mapping path of a
    step that met a value it does not cover (`…process.status.0: no mapping…`)."""
    path = _STEP_PATH.search(reason)
    if path is not None:
        return path.group(1)
    named = _COLUMN.match(reason.removeprefix("mapping failed: "))
    return named.group(1) if named is not None else ""
