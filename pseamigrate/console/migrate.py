"""Rendering for `migrate`, `status`, `messages` and `rollback`: counts, ids and reasons only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pseamigrate.console import err, out, print_json, print_table, verdict

if TYPE_CHECKING:
    from pseamigrate.migrate.rollback import RollbackReport
    from pseamigrate.migrate.run import MigrationReport
    from pseamigrate.migrate.status import SiteStatus

SUMMARY = ["site", "step", "read", "inserted", "updated", "unchanged", "skipped", "failed"]
SUMMARY += ["warnings", "seconds"]
GONE_SHOWN = 20  # ids listed per entity (all of them are in --json)


def show_migration(report: MigrationReport, *, json_out: bool) -> None:
    """Render a run's closing summary (like pgloader's): per site and step, then failures."""
    if json_out:
        print_json(report.as_dict())
        return
    data = report.as_dict()
    for site in data["sites"]:
        mode = "dry run (nothing written)" if site["dry_run"] else f"run {site['run_id']}"
        rows = [
            [site["site"], s["step"], s["read"], s["inserted"], s["updated"], s["unchanged"]]
            + [s["skipped"], s["failed"], s["warnings"], f"{s['seconds']:.1f}"]
            for s in site["steps"]
        ]
        title = f"Migrate {site['site']} → tenant {site['tenant']}: {mode}, {site['status']}"
        print_table(title, SUMMARY, rows, total=_total_row(site["steps"]))
        _show_pass(site)
        if site["allowed_plaintext_target"]:
            err.print("warning: the target is not encrypted (--allow-plaintext-target, recorded)")
        if site["plaintext_files"]:
            err.print("warning: attachments copied unencrypted (--allow-plaintext-files, recorded)")
        _show_reasons(site["steps"])
    verdict(closing_line(report), not report.failed_rows())


def _total_row(steps: Sequence[dict[str, Any]]) -> list[object]:
    """Return the table's total row (like pgloader's): every count summed over the steps."""
    counted = ["read", "inserted", "updated", "unchanged", "skipped", "failed", "warnings"]
    seconds = sum(step["seconds"] for step in steps)
    return ["total", "", *(sum(step[key] for step in steps) for key in counted), f"{seconds:.1f}"]


def closing_line(report: MigrationReport) -> str:
    """Say what the run did, in numbers: nothing is called written that was not."""
    t = report.totals()
    if report.dry_run():
        return (
            f"dry run: {t.inserted} rows would be inserted, {t.updated} updated, "
            f"{t.unchanged} unchanged, {t.failed} would fail — nothing written"
        )
    written = t.inserted + t.updated
    counts = f"{t.inserted} inserted, {t.updated} updated, {t.unchanged} unchanged"
    counts += f", {t.skipped} skipped by the mapping" if t.skipped else ""
    if t.failed:
        sites = ", ".join(s.site for s in report.sites if s.failed_rows())
        return (
            f"{t.failed} rows failed and are not in the target ({counts}): every run tries "
            f"them again until they are written; why: `pseamigrate messages SITE` ({sites})"
        )
    if not written:
        return f"nothing written: every row was already in the target ({counts})"
    return f"every row was written ({counts})"


def _show_pass(site: dict[str, Any]) -> None:
    """Say whether the run read only what changed, and which source rows are gone."""
    name = site["site"]
    if site["pass"] == "delta":
        out.print(f"{name}: delta run, only what changed since the last completed run was read")
    else:
        out.print(f"{name}: full pass, every row was read ({site['full_reason']})")
    for entity, ids in site["gone"].items():
        shown = ", ".join(ids[:GONE_SHOWN]) + (" …" if len(ids) > GONE_SHOWN else "")
        out.print(f"{name}: {len(ids)} {entity} rows gone from the source: {shown}")
    if site["removed"] or site["removed_files"]:
        verb = "would remove" if site["dry_run"] else "removed"
        rows = sum(site["removed"].values())
        out.print(f"{name}: --sync {verb} {rows} target rows, {site['removed_files']} files")
    elif site["gone"]:
        out.print(f"{name}: still in the target; `pseamigrate migrate {name} --sync` removes them")


def _show_reasons(steps: Sequence[dict[str, Any]]) -> None:
    for step in steps:
        if step["reason"] and step["read"]:
            out.print(
                f"{step['step']}: {step['read']} rows ignored by the mapping: {step['reason']}"
            )
        for failure in step["failures"]:
            out.print(f"{step['step']} failed {failure}")


def show_status(sites: Sequence[SiteStatus], *, json_out: bool) -> None:
    """Render per site and step: in source, imported, needs update, failed, unprocessed."""
    if json_out:
        print_json([vars(site) for site in sites])
        return
    columns = ["step", "in source", "imported", "needs update", "unprocessed", "failed"]
    columns += ["skipped"]
    for site in sites:
        last = site.last_run
        when = (
            f"last run {last['id']} {last['status']} at {last['finished_at']}"
            if last
            else "never run"
        )
        rows = [
            [r["step"], r["in_source"], r["imported"], r["needs_update"], r["unprocessed"]]
            + [r["failed"], r["skipped"]]
            for r in site.rows
        ]
        print_table(f"Status of {site.site} (tenant {site.tenant}): {when}", columns, rows)
        if not site.exact:
            out.print(_ledger_note(site))


def _ledger_note(site: SiteStatus) -> str:
    """Say where a plain status' numbers come from, and what it did not look at."""
    if site.marks is None:
        return (
            f"{site.site}: no completed run left marks yet; `pseamigrate status {site.site} "
            "--exact` reads the source"
        )
    gone = sum(site.marks["gone"].values())
    gone_note = f", {gone} rows gone from the source left out" if gone else ""
    return (
        f"{site.site}: from the ledger as of run {site.marks['run_id']}{gone_note}; the source "
        f"was not read (`pseamigrate status {site.site} --exact` compares every row)"
    )


def show_messages(rows: Sequence[dict[str, Any]], *, json_out: bool) -> None:
    """Render a site's messages: run, level, entity, source id and text (no values)."""
    if json_out:
        print_json(list(rows))
        return
    columns = ["run", "level", "source entity", "source id", "message"]
    keys = ("run_id", "level", "source_entity", "source_id", "message")
    print_table("Messages", columns, [[row[k] for k in keys] for row in rows])


def show_rollback(report: RollbackReport, *, json_out: bool) -> None:
    """Render what a rollback removed (or would remove), per table."""
    if json_out:
        print_json(report.as_dict())
        return
    scope = f"run {report.run_id}" if report.run_id else f"tenant {report.tenant}"
    verb = "dry run, would delete" if report.dry_run else "deleted"
    out.print(f"rollback of {scope}: {verb} {sum(report.rows.values())} rows")
    print_table("Rows per table", ["table", "rows"], sorted(report.rows.items()))
    if not report.dry_run:
        out.print(f"files removed from the store: {report.files}")
