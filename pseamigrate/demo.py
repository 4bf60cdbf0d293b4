"""The end-to-end demo behind `pseamigrate demo` (the README's first command).

For each flavor it starts a throwaway server and runs the toolkit's stages on it, all through
library calls: build the four sample CRP sites (sources), read each back with the reader and
compare with what the generator wrote (read back), check each site against its shipped mapping
(mappings; before it, a first mapping
scaffolded from the site, in which check names the traps the shipped mapping resolves), then
set up an encrypted target on a second throwaway server and create the schema
in it (target), migrate the four sites of the first layout into it (migrate) and run again, which
must change nothing (re-run), then reconcile every site with the target (verify), writing
the HTML QA report into the work folder (or a kept temporary folder). Every stage returns
data (counts, ids, verdicts; never content) that `console.project.show_demo` renders; a failed
verdict raises `DemoFailed` carrying the whole result, so the CLI can show everything before
exiting 3.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import URL

from pseamigrate.config import ConnectionSpec, Settings, SiteSettings, load_settings
from pseamigrate.db import connection, quote_name, server_version
from pseamigrate.drupal import open_site
from pseamigrate.drupal.model import SiteModel
from pseamigrate.drupal.service import describe
from pseamigrate.encryption import require_encrypted_target
from pseamigrate.encryption.base import Outcome
from pseamigrate.encryption.commands import enable_encryption, encryption_status
from pseamigrate.encryption.filestore import FILES_KEY
from pseamigrate.encryption.setup import apply_setup, key_dir, plan_setup
from pseamigrate.errors import RefusedForSafety, VerificationMismatch
from pseamigrate.mapping.commands import SiteCheck, read_site, scaffold_text
from pseamigrate.migrate.rehearse import check_site
from pseamigrate.migrate.run import MigrationReport, migrate
from pseamigrate.migrate.steps import Options
from pseamigrate.resources import MAPPINGS_DIR
from pseamigrate.sample import SITE_NAMES, SiteReport, build_site
from pseamigrate.servers import LocalServer, running_server
from pseamigrate.target.commands import create_schema
from pseamigrate.target.model import CanonicalModel, load_model
from pseamigrate.target.schema import build_metadata
from pseamigrate.verify.html import render_html
from pseamigrate.verify.reconcile import VerifyOptions, verify
from pseamigrate.verify.report import write_private
from pseamigrate.verify.results import Reconciliation

Say = Callable[[str], None]
TARGET_DATABASE = "pseamigrate_target"
NEXT_STAGES: tuple[str, ...] = ()  # stages not built yet


@dataclass(frozen=True)
class DemoSite:
    """One sample site built by the demo, on which server and in which layout."""

    flavor: str
    version: str
    layout: str
    database: str
    report: SiteReport


@dataclass(frozen=True)
class ReadBack:
    """Whether the reader's inspect data of a built site agrees with the generator's record."""

    site: str
    layout: str
    differences: tuple[str, ...]  # paths into the inspect data (keys only, never values)

    @property
    def agrees(self) -> bool:
        """Return True when the reader found exactly what the generator wrote."""
        return not self.differences


@dataclass(frozen=True)
class MappingCheck:
    """The shipped mapping of a site checked against the built site's model; before it, the
    site's first mapping (`scaffold --unmapped extra`) and what check names in it: the traps
    the sample sites plant (Iraq's statuses the model lacks), which the shipped mapping resolves."""

    site: str
    layout: str
    mapping: str
    problems: tuple[str, ...]  # `file:line: path: message`, names only
    first_named: tuple[str, ...] = ()  # what check names in the scaffolded first mapping


@dataclass(frozen=True)
class TargetCheck:
    """The encrypted target: schema created from the model, encryption verdicts."""

    flavor: str
    version: str
    database: str
    tables_created: int
    model_tables: int
    encrypted: bool  # require_encrypted_target passed
    outcomes: dict[str, int]  # PASS/WARN/FAIL -> number of checks


@dataclass
class DemoRun:
    """Every stage's result on one server flavor."""

    flavor: str
    version: str = ""
    sites: list[DemoSite] = field(default_factory=list)
    read_back: list[ReadBack] = field(default_factory=list)
    mappings: list[MappingCheck] = field(default_factory=list)
    target: TargetCheck | None = None
    migration: MigrationReport | None = None  # stage 5: every site into the encrypted target
    rerun: MigrationReport | None = None  # stage 6: the same again, which must change nothing
    verification: Reconciliation | None = None  # stage 7: every site reconciles
    verify_html: str = ""  # where stage 7 wrote the HTML QA report


@dataclass
class DemoResult:
    """The whole demo: one run per flavor, and the stages still to come."""

    runs: list[DemoRun] = field(default_factory=list)
    next_stages: tuple[str, ...] = NEXT_STAGES

    def failures(self) -> list[str]:
        """Return one line per failed verdict (empty: the demo passed)."""
        lines = []
        for run in self.runs:
            for check in run.read_back:
                if not check.agrees:
                    lines.append(f"{run.flavor} {check.site} ({check.layout}): reader disagrees")
            for mapping in run.mappings:
                if mapping.problems:
                    lines.append(
                        f"{run.flavor} {mapping.site} ({mapping.layout}): mapping problems"
                    )
            target = run.target
            if target is not None and (not target.encrypted or target.outcomes["FAIL"]):
                lines.append(f"{run.flavor} target: encryption checks failed")
            lines += _migration_failures(run)
        return lines

    def as_dict(self) -> dict[str, Any]:
        """Return every stage's data as one JSON-ready document (counts and verdicts only)."""
        return {
            "ok": not self.failures(),
            "failures": self.failures(),
            "runs": [_run_dict(run) for run in self.runs],
            "next_stages": list(self.next_stages),
        }


def _migration_failures(run: DemoRun) -> list[str]:
    """Say what went wrong in the migrate and re-run stages (counts only)."""
    lines = []
    if run.migration is not None and run.migration.failed_rows():
        lines.append(f"{run.flavor} migrate: {run.migration.failed_rows()} rows failed")
    if run.rerun is not None:
        changed = sum(
            step.counts.inserted + step.counts.updated + step.counts.failed
            for site in run.rerun.sites
            for step in site.steps
        )
        if changed:
            lines.append(f"{run.flavor} re-run: {changed} rows changed (expected none)")
    if run.verification is not None and run.verification.mismatched():
        lines.append(f"{run.flavor} verify: {run.verification.mismatched()} mismatches")
    elif run.verification is not None and run.verification.pending():
        lines.append(f"{run.flavor} verify: {run.verification.pending()} rows pending")
    return lines


def _run_dict(run: DemoRun) -> dict[str, Any]:
    return {
        "flavor": run.flavor,
        "version": run.version,
        "sources": [
            {
                "site": s.report.site,
                "layout": s.layout,
                "database": s.database,
                "expected": s.report.expected,
                "drift": s.report.drift,
                "missing_files": len(s.report.missing_files),
                "field_values": s.report.field_values,
            }
            for s in run.sites
        ],
        "read_back": [
            {"site": r.site, "layout": r.layout, "agrees": r.agrees, "differences": r.differences}
            for r in run.read_back
        ],
        "mappings": [
            {"site": m.site, "layout": m.layout, "mapping": m.mapping, "problems": m.problems}
            | {"first_mapping": {"named_by_check": m.first_named}}
            for m in run.mappings
        ],
        "target": dataclasses.asdict(run.target) if run.target else None,
        "migrate": run.migration.as_dict() if run.migration else None,
        "rerun": run.rerun.as_dict() if run.rerun else None,
        "verify": _verify_dict(run),
    }


def _verify_dict(run: DemoRun) -> dict[str, Any] | None:
    if run.verification is None:
        return None
    v = run.verification
    return {"ok": v.ok(), "mismatched": v.mismatched(), "html": run.verify_html}


class DemoFailed(VerificationMismatch):
    """A demo stage found something wrong; carries the whole result so it can be shown."""

    def __init__(self, result: DemoResult) -> None:
        self.result = result
        failures = result.failures()
        super().__init__(f"the demo found {len(failures)} problem(s): " + "; ".join(failures))


@dataclass(frozen=True)
class _Plan:
    """What every stage of one demo needs to know."""

    base: Path
    say: Say
    layouts: tuple[str, ...]
    scale: float
    seed: int
    mappings_dir: Path
    model: CanonicalModel
    reports: Path  # where the verify stage writes its HTML report (kept after the demo)


def run_demo(
    flavors: list[str],
    workdir: Path | None,
    say: Say,
    layouts: tuple[str, ...] = ("d7",),
    scale: float = 1.0,
    seed: int = 1,
    mappings_dir: Path = MAPPINGS_DIR,
) -> DemoResult:
    """Run every stage on each flavor's throwaway servers; raise `DemoFailed` on a bad verdict.

    `mappings_dir` holds `model.yaml` and `sites/<site>.yaml` (default: the shipped package data).
    """
    model = load_model(mappings_dir / "model.yaml")
    result = DemoResult()
    with tempfile.TemporaryDirectory(prefix="pseamigrate-demo-") as scratch:
        reports = workdir or Path(tempfile.mkdtemp(prefix="pseamigrate-demo-report-"))
        base = workdir or Path(scratch)
        plan = _Plan(base, say, layouts, scale, seed, mappings_dir, model, reports)
        for flavor in flavors:
            run = DemoRun(flavor)
            result.runs.append(run)
            _run_flavor(run, plan)
    if result.failures():
        raise DemoFailed(result)
    return result


def _run_flavor(run: DemoRun, plan: _Plan) -> None:
    """Run the source stages on one server, then the target stage on a second one."""
    say = plan.say
    say(f"starting a throwaway {run.flavor} server under {plan.base / run.flavor}")
    with running_server(run.flavor, plan.base / run.flavor) as server:  # type: ignore[arg-type]
        run.version = _version(server)
        say("sources: building the four sample sites")
        run.sites = [
            _build(server, run, plan, layout, site)
            for layout in plan.layouts
            for site in SITE_NAMES
        ]
        say("read back: reading each site with the reader")
        models = [_read_back(server, built, run, say) for built in run.sites]
        say("mappings: checking each site's shipped mapping and running its rows (check)")
        folder = plan.base / f"{run.flavor}-project"
        folder.mkdir(parents=True, exist_ok=True)
        sources = _option_file(folder / "sources.cnf", server)
        for built, _ in zip(run.sites, models, strict=True):
            run.mappings.append(_check_mapping(built, sources, plan))
        basedir = plan.base / f"{run.flavor}-target"
        say(f"target: starting a throwaway {run.flavor} server under {basedir}")
        with running_server(run.flavor, basedir) as target:  # type: ignore[arg-type]
            run.target = prepare_target(target, plan.model, say)
            _migrate_stages(run, plan, server, target)
        say(f"stopped the {run.flavor} servers")


def _migrate_stages(run: DemoRun, plan: _Plan, source: LocalServer, target: LocalServer) -> None:
    """Stages 5 and 6: migrate every site of the first layout, then run again."""
    if run.target is None or not run.target.encrypted:
        return
    if any(m.problems for m in run.mappings):
        plan.say("migrate: skipped, a shipped mapping has problems (stage 3)")
        return
    layout = plan.layouts[0]
    settings = _project(run, plan, source, target, layout)
    plan.say(f"migrate: the four sites ({layout}) into the encrypted target")
    # Four sites at once, as `pseamigrate migrate` and `verify` do by default (--jobs 4).
    run.migration = migrate(settings, [], Options(jobs=4), plan.model)
    plan.say("re-run: migrating again, which must change nothing")
    run.rerun = migrate(settings, [], Options(jobs=4), plan.model)
    plan.say("verify: reconciling every site with the target")
    run.verification = verify(settings, [], VerifyOptions(jobs=4), plan.model)
    html = plan.reports / f"verify-{run.flavor}.html"
    run.verify_html = str(write_private(html, render_html(run.verification)))


def _project(
    run: DemoRun, plan: _Plan, source: LocalServer, target: LocalServer, layout: str
) -> Settings:
    """Write the demo's project file: credentials in owner-only option files, never in YAML."""
    folder = plan.base / f"{run.flavor}-project"
    folder.mkdir(parents=True, exist_ok=True)
    sources = _option_file(folder / "sources.cnf", source)
    targets = _option_file(folder / "target.cnf", target)
    lines = ["sites:"]
    for built in (b for b in run.sites if b.layout == layout):
        site = built.report.site
        lines += [
            f"  {site}:",
            f"    tenant: {site}",
            f"    connection: {{option_file: {sources}, database: {built.database}}}",
            f"    mapping: {plan.mappings_dir / 'sites' / f'{site}.yaml'}",
            f"    files_dir: {plan.base / 'files' / run.flavor / built.database}",
        ]
    lines += [
        "target:",
        f"  connection: {{option_file: {targets}, database: {TARGET_DATABASE}}}",
        f"  files_dir: {folder / 'store'}",
        f"  files_key: {key_dir(target) / FILES_KEY}",  # written by setup: files sealed (#30)
    ]
    path = folder / "pseamigrate.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_settings(path)


def _option_file(path: Path, server: LocalServer) -> Path:
    """Write a [client] option file for a throwaway server (root, no password), mode 0600."""
    path.write_text(f"[client]\nuser=root\nhost=127.0.0.1\nport={server.port}\n", "utf-8")
    path.chmod(0o600)
    return path


def _build(server: LocalServer, run: DemoRun, plan: _Plan, layout: str, site: str) -> DemoSite:
    database = f"crp_{site}_{layout}"
    _create_database(server, database)
    plan.say(f"building {site} ({layout}) in {database}")
    report = build_site(
        server.url(database),
        site,
        layout,
        seed=plan.seed,
        scale=plan.scale,
        files_dir=plan.base / "files" / run.flavor / database,
    )
    return DemoSite(run.flavor, run.version, layout, database, report)


def _read_back(server: LocalServer, built: DemoSite, run: DemoRun, say: Say) -> SiteModel:
    """Open a built site with the reader, compare its inspect data with the generator's record."""
    site = built.report.site
    say(f"reading {site} ({built.layout}) back")
    what = f"sample site {site!r}"
    with (
        connection(server.url(built.database), what) as conn,
        open_site(conn, where=what) as opened,
    ):
        data = describe(opened)
        model: SiteModel = opened.model
    run.read_back.append(
        ReadBack(site, built.layout, tuple(differences(built.report.expected, data)))
    )
    return model


# Where the reader must find exactly the generator's keys (nothing more): bundles, fields, ...
EXACT_KEYS = frozenset({"bundles", "vocabularies", "fields"})


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Return the paths where `actual` differs from `expected` (only `expected`'s keys count,
    except under `EXACT_KEYS`, where extra keys count too); never the values themselves."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [path or "."]
        found = []
        for key, value in expected.items():
            found += differences(value, actual.get(key), f"{path}.{key}" if path else str(key))
        if path.rsplit(".", 1)[-1] in EXACT_KEYS:
            found += [f"{path}.{key} (extra)" for key in actual if key not in expected]
        return found
    return [] if expected == actual else [path or "."]


def _check_mapping(built: DemoSite, sources: Path, plan: _Plan) -> MappingCheck:
    """Check the site's shipped mapping as `mappings check` does: against the live site, then
    every row through the run's transforms (each failing row is a problem, by step and id)."""
    site = built.report.site
    path = plan.mappings_dir / "sites" / f"{site}.yaml"
    settings = SiteSettings(
        site,
        site,
        ConnectionSpec(option_file=sources, database=built.database),
        mapping=path,
        files_dir=str(plan.base / "files" / built.flavor / built.database),
    )
    first = _first_mapping(settings, built, plan)
    checked = check_site(settings, plan.model)
    plan.say(
        f"checked {path.name} against {site} ({built.layout}): {len(checked.problems)} "
        f"problems, {checked.rows} rows through the transforms, {checked.failed_rows()} would fail"
    )
    return MappingCheck(site, built.layout, path.name, _named(checked), first)


def _first_mapping(settings: SiteSettings, built: DemoSite, plan: _Plan) -> tuple[str, ...]:
    """Scaffold the site's first mapping as a new user would (`--unmapped extra`: it loses
    nothing) and check it: return what check names in it — the decisions only a person can make,
    such as Iraq's statuses `awaiting_review` and `escalated`, which the model lacks."""
    folder = plan.base / f"{built.flavor}-first-mappings"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{settings.name}-{built.layout}.yaml"
    site_model, counts = read_site(settings)
    path.write_text(scaffold_text(settings, site_model, plan.model, "extra", counts).text, "utf-8")
    checked = check_site(dataclasses.replace(settings, mapping=path), plan.model)
    plan.say(
        f"scaffolded a first mapping of {settings.name} ({built.layout}) with --unmapped extra: "
        f"check names {len(checked.problems)} problem(s), {checked.failed_rows()} failing row(s)"
    )
    return _named(checked)


def _named(checked: SiteCheck) -> tuple[str, ...]:
    """Return what a check named: each problem (`file:line: path: message`), each reason rows
    fail (step, column, count, ids)."""
    problems = tuple(str(problem) for problem in checked.problems)
    failures = tuple(
        f"{' '.join(filter(None, (f.step, f.column)))}: {len(f.ids)} row(s) would fail: "
        f"{f.reason}; ids {', '.join(f.ids)}"
        for f in checked.failures
    )
    return problems + failures


def prepare_target(server: LocalServer, model: CanonicalModel, say: Say) -> TargetCheck:
    """Encrypt a running server's target database while empty, create the schema, check."""
    _create_database(server, TARGET_DATABASE)
    url = server.url(TARGET_DATABASE)
    apply_setup(server, plan_setup(server), say)
    say("target: restarting the server so the keyring loads")
    server.restart()
    say("target: encrypting the empty target")
    enable_encryption(url, on_step=say, purge_binlogs=True)  # a fresh server: nothing to keep
    tables = _create_schema(url, model, say)
    encrypted = _require_encrypted(url, say)
    report = encryption_status(url)
    outcomes = {o.name: sum(c.outcome is o for c in report.checks) for o in Outcome}
    say(f"target: encryption status {outcomes}")
    model_tables = len(build_metadata(model).tables)
    flavor = server.flavor
    return TargetCheck(
        flavor, report.version, TARGET_DATABASE, tables, model_tables, encrypted, outcomes
    )


def _require_encrypted(url: URL, say: Say) -> bool:
    """Ask the migration's own guard whether it would write into this target."""
    with connection(url, "the demo target") as conn:
        try:
            require_encrypted_target(conn, TARGET_DATABASE)
        except RefusedForSafety as exc:
            say(f"target: refused: {exc}")
            return False
    return True


def _create_schema(url: URL, model: CanonicalModel, say: Say) -> int:
    """Create the model's tables in the (encrypted, empty) target; return how many."""
    with connection(url, "the demo target") as conn:
        created = create_schema(conn, model)
    say(f"target: schema create made {len(created.changes)} tables")
    return len(created.changes)


def _version(server: LocalServer) -> str:
    with connection(server.url()) as conn:
        return server_version(conn)


def _create_database(server: LocalServer, name: str) -> None:
    with connection(server.url(), begin=True) as conn:
        conn.execute(text(f"CREATE DATABASE {quote_name(name)} CHARACTER SET utf8mb4"))
