"""Rendering for the project command group."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text

from pseamigrate.console import info, out, print_json, print_table, verdict

if TYPE_CHECKING:
    from pseamigrate.config import Settings
    from pseamigrate.connections import PingResult
    from pseamigrate.db import ReadDriver
    from pseamigrate.demo import DemoResult, DemoRun, DemoSite
    from pseamigrate.migrate.run import MigrationReport
    from pseamigrate.sitefiles import FilesDirStatus


def show_sites(settings: Settings) -> None:
    """Render the sites and target of a project file: where credentials come from, no secrets."""
    rows = [
        (
            s.name,
            s.tenant,
            s.connection.describe(),
            s.table_prefix or "-",
            s.mapping or "-",
            s.files_dir or "-",
        )
        for s in settings.sites.values()
    ]
    columns = ["site", "tenant", "credentials", "prefix", "mapping", "files_dir"]
    print_table(f"Sites in {settings.path}", columns, rows)
    if settings.target is not None:
        out.print(f"target: credentials from {settings.target.describe()}", soft_wrap=True)
    if settings.test_target is not None:
        described = settings.test_target.describe()
        out.print(f"test_target: credentials from {described}", soft_wrap=True)


def reader_line(driver: ReadDriver) -> str:
    """Say which driver reads the legacy sites and, if it is not the fast one, how to get it."""
    said = f"sites are read through {driver.name} {driver.version}"
    if driver.fast:
        return f"{said} (rows parsed in C)"
    from pseamigrate.db import FAST_READER_HINT

    # the import error tells a missing package from a built one whose C library is gone
    return f"{said} (pure Python; {driver.missing}); for faster reads, {FAST_READER_HINT}"


def show_ping(results: Sequence[PingResult], reader: ReadDriver, *, json_out: bool) -> None:
    """Render one line per database: ok or FAILED, where, version or reason, files_dir; then
    (on stderr) the driver that reads the sites."""
    if json_out:
        print_json([_ping_dict(r, reader) for r in results])
        return
    if any(result.files is not None for result in results):  # sites were pinged
        info(reader_line(reader))
    for result in results:
        status = ("ok    ", "green") if result.ok else ("FAILED", "red")
        answer = f"({result.version})" if not result.reason else f"- {result.reason}"
        line = Text.assemble(status, f"  {result.name}: {result.where} {answer}")
        if result.files is not None:
            line.append(f"; files_dir: {_files_text(result.files)}")
        out.print(line, soft_wrap=True)


def _files_text(files: FilesDirStatus) -> str:
    """Say whether a files_dir is usable and which subfolders it lacks."""
    if files.path is None:
        return files.reason
    state = "readable" if files.ok and not files.reason else files.reason
    missing = f", missing {', '.join(f + '/' for f in files.missing_subfolders)}"
    return f"{files.path} {state}{missing if files.missing_subfolders else ''}"


def _ping_dict(result: PingResult, reader: ReadDriver) -> dict[str, Any]:
    files = result.files
    return {
        "name": result.name,
        # sites only: the driver that reached it and reads it (the target's is PyMySQL)
        "reader": None if files is None else f"{reader.name} {reader.version}",
        "where": result.where,
        "ok": result.ok,
        "version": result.version or None,
        "reason": result.reason or None,
        "files_dir": None
        if files is None
        else {
            "path": files.path,
            "ok": files.ok,
            "reason": files.reason or None,
            "missing_subfolders": list(files.missing_subfolders),
        },
    }


def show_demo(result: DemoResult, *, json_out: bool) -> None:
    """Render the demo's stages: sources, read back, mappings, encrypted target, what is next."""
    if json_out:
        print_json(result.as_dict())
        return
    for run in result.runs:
        for layout in dict.fromkeys(b.layout for b in run.sites):
            print_table(
                f"1. Sources: sample sites on {run.flavor} {run.version}, layout {layout}",
                ["site", "drupal", "complaints", "referrals", "sessions", "revisions", "users"]
                + ["blocked", "terms", "files", "missing", "field rows"],
                [_demo_row(b) for b in run.sites if b.layout == layout],
            )
        _show_demo_checks(run)
    if result.next_stages:
        out.print(f"8. Next: {', then '.join(result.next_stages)} (not built yet)")
    failures = result.failures()
    verdict("demo FAILED" if failures else "demo passed", not failures)


def _show_demo_checks(run: DemoRun) -> None:
    """Render one flavor's read-back, mapping and target verdicts (yes/no and counts only)."""
    print_table(
        f"2. Read back on {run.flavor}",
        ["site", "layout", "reader agrees", "differences"],
        [
            (r.site, r.layout, "yes" if r.agrees else "NO", len(r.differences))
            for r in run.read_back
        ],
    )
    print_table(
        f"3. Mappings on {run.flavor}",
        ["site", "layout", "first mapping: named by check", "shipped mapping", "problems"],
        [(m.site, m.layout, len(m.first_named), m.mapping, len(m.problems)) for m in run.mappings],
    )
    for mapping in run.mappings:
        if mapping.first_named:  # the traps a new user meets, then how the shipped file fares
            out.print(
                f"{mapping.site} ({mapping.layout}): check names in the first mapping "
                "(scaffold --unmapped extra):",
                soft_wrap=True,
            )
            for named in mapping.first_named:
                out.print(Text(f"  {named}"), soft_wrap=True)
            resolved = "resolves them" if not mapping.problems else "does NOT resolve them"
            out.print(f"  the shipped {mapping.mapping} {resolved}", soft_wrap=True)
        for problem in mapping.problems:
            out.print(Text(f"  {problem}"), soft_wrap=True)
    target = run.target
    if target is not None:
        o = target.outcomes
        print_table(
            f"4. Encrypted target on {target.flavor} {target.version}",
            ["tables created", "model tables", "encrypted target", "PASS", "WARN", "FAIL"],
            [
                (target.tables_created, target.model_tables, "yes" if target.encrypted else "NO")
                + (o["PASS"], o["WARN"], o["FAIL"])
            ],
        )
    _show_migration_stage(f"5. Migrate on {run.flavor}", run.migration)
    _show_migration_stage(f"6. Re-run on {run.flavor} (must change nothing)", run.rerun)
    _show_verify_stage(run)


def _show_verify_stage(run: DemoRun) -> None:
    """Render stage 7: per site, mismatches, and where the HTML report was written."""
    if run.verification is None:
        return
    rows = [
        [site.site, sum(e.source for e in site.entities), sum(e.target for e in site.entities)]
        + [sum(e.explained_count() for e in site.entities), site.mismatched()]
        for site in run.verification.sites
    ]
    columns = ["site", "source rows", "target rows", "explained", "mismatched"]
    print_table(f"7. Verify on {run.flavor}", columns, rows)
    out.print(f"verify: HTML QA report written to {run.verify_html}")


def _show_migration_stage(title: str, report: MigrationReport | None) -> None:
    """Render one migrate stage: per site, rows read and what happened to them."""
    if report is None:
        return
    columns = ["site", "read", "inserted", "updated", "unchanged", "skipped", "failed", "seconds"]
    rows = []
    for site in report.sites:
        c = [step.counts for step in site.steps]
        seconds = sum(step.seconds for step in site.steps)
        rows.append(
            [site.site, sum(x.read for x in c), sum(x.inserted for x in c)]
            + [sum(x.updated for x in c), sum(x.unchanged for x in c)]
            + [sum(x.skipped for x in c), sum(x.failed for x in c), f"{seconds:.1f}"]
        )
    print_table(title, columns, rows)


def _demo_row(built: DemoSite) -> list[object]:
    """Turn one built site's report into a table row of counts."""
    expected = built.report.expected
    bundles = expected["bundles"]
    users = expected["users"]
    return [
        built.report.site,
        expected["drupal_version"],
        bundles["complaint"]["count"],
        bundles["referral"]["count"],
        bundles["awareness_session"]["count"],
        sum(b["revisions"] for b in bundles.values()),
        users["total"],
        users["blocked"],
        sum(v["terms"] for v in expected["vocabularies"].values()),
        expected["files"]["total"],
        len(built.report.missing_files),
        built.report.field_values,
    ]
