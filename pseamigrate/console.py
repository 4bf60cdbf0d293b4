"""Everything that reaches the terminal: consoles, tables, progress bars, JSON output.

Results go to stdout, messages and progress to stderr, so `--json` output stays parseable.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

# Piped or captured output has no terminal width; rich would squeeze tables into 80 columns.
_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160
out = Console(highlight=False, width=_WIDTH)
err = Console(stderr=True, highlight=False)


def error(message: str) -> None:
    """Print an error message on stderr."""
    # soft_wrap: long `file:line: path` messages stay on one line (grep-able); escape: paths
    # such as `status[0]` are text, not markup.
    text = f"[bold red]Error:[/bold red] {escape(message)}"
    err.print(text, markup=True, highlight=False, soft_wrap=True)


def info(message: str) -> None:
    """Print a progress message on stderr."""
    err.print(message, markup=False)


def print_json(data: Any) -> None:
    """Print `data` as stable, sorted JSON on stdout."""
    out.print_json(json.dumps(data, sort_keys=True, default=str))


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print a simple table on stdout."""
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")  # wrap long names, never cut them
    for row in rows:
        table.add_row(*(str(value) for value in row))
    out.print(table)


@contextmanager
def progress(description: str, total: int | None = None) -> Iterator[Any]:
    """Show a progress bar on stderr; yields a callback taking the number of items done."""
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )
    with bar:
        task = bar.add_task(description, total=total)

        def advance(count: int = 1) -> None:
            bar.advance(task, count)

        yield advance


def print_lines(lines: Sequence[str]) -> None:
    """Print plain text lines on stdout (no markup interpretation)."""
    for line in lines:
        out.print(line, markup=False, highlight=False)


def show_sites(settings: Any) -> None:
    """Render the sites and target of a project file: where credentials come from, no secrets."""
    rows = [
        (s.name, s.tenant, s.connection.describe(), s.table_prefix or "-", s.mapping or "-")
        for s in settings.sites.values()
    ]
    print_table(
        f"Sites in {settings.path}", ["site", "tenant", "credentials", "prefix", "mapping"], rows
    )
    if settings.target is not None:
        out.print(f"target: credentials from {settings.target.describe()}")


def show_demo(result: Any, *, json_out: bool) -> None:
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
    out.print(f"5. Next: {', then '.join(result.next_stages)} (not built yet)", markup=False)
    failures = result.failures()
    out.print("[red]demo FAILED[/red]" if failures else "[green]demo passed[/green]")


def _show_demo_checks(run: Any) -> None:
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
        ["site", "layout", "mapping", "problems"],
        [(m.site, m.layout, m.mapping, len(m.problems)) for m in run.mappings],
    )
    for mapping in run.mappings:
        for problem in mapping.problems:
            err.print(f"  {problem}", markup=False, highlight=False, soft_wrap=True)
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


def _demo_row(built: Any) -> list[Any]:
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


def show_schema_result(result: Any, action: str, json_out: bool, sql: bool = False) -> None:
    """Render what `schema create|upgrade` did or would do (with `sql`, each change's SQL)."""
    if json_out:
        changes = [
            {"kind": c.kind, "table": c.table, "name": c.name, "sql": c.sql} for c in result.changes
        ]
        print_json({"applied": result.applied, "changes": changes, "removals": result.removals})
        return
    if not result.changes:
        out.print(f"schema {action}: nothing to do, the target already matches the model")
        return
    verb = "applied" if result.applied else "would apply (dry run)"
    out.print(f"schema {action}: {verb} {len(result.changes)} change(s)", markup=False)
    for change in result.changes:
        where = change.table if change.name == change.table else f"{change.table}.{change.name}"
        out.print(f"  {change.kind} {where}", markup=False)
        if sql:
            out.print(f"{change.sql};", markup=False, highlight=False, soft_wrap=True)


def show_mapping_checks(results: Sequence[Any], json_out: bool) -> None:
    """Render mapping checks: every problem as `file:line: path: message`, then a verdict."""
    if json_out:
        print_json(
            [
                {"site": r.site, "mapping": r.mapping, "problems": [vars(p) for p in r.problems]}
                for r in results
            ]
        )
        return
    for result in results:
        if not result.problems:
            out.print(f"ok  {result.mapping}", markup=False)
            continue
        count = len(result.problems)
        err.print(f"{result.mapping}: {count} problem(s)", markup=False, soft_wrap=True)
        for problem in result.problems:
            err.print(f"  {problem}", markup=False, highlight=False, soft_wrap=True)


# --- encryption at rest (#6) -------------------------------------------------------------------


def show_encryption_status(report: Any, *, json_out: bool) -> None:
    """Render `encryption status`: one row per check (name, PASS/WARN/FAIL, detail, CIS item)."""
    if json_out:
        print_json(report.as_dict())
        return
    rows = [(c.name, c.outcome.value, c.detail, c.cis or "-") for c in report.checks]
    title = f"Encryption at rest: {report.flavor} {report.version} at {report.where}"
    print_table(title, ["check", "result", "detail", "CIS"], rows)


def show_setup_plan(config_path: Any, plan: Any) -> None:
    """Print what `encryption setup --dry-run` would write (key material shown as placeholders)."""
    for planned in plan.files:
        out.print(f"# {planned.path} (0600)\n{planned.shown()}", markup=False, soft_wrap=True)
    out.print(f"# {config_path} additions\n{plan.cnf_text}", markup=False, soft_wrap=True)


def show_statements(statements: Sequence[Any], *, sql: bool) -> None:
    """Print a plan's statements: their SQL for a DBA, or `would run: <label>` for a dry run."""
    for step in statements:
        text = f"{step.sql};" if sql else f"would run: {step.label}"
        out.print(text, markup=False, soft_wrap=True)


def show_key_backup(report: Any, *, dry_run: bool) -> None:
    """Print which key files `backup-key` copied (or would) and what the scratch restore read."""
    done = "would copy" if dry_run else "copied"
    for path in report.files:
        out.print(f"{done} {path.name} -> {path} (0600)", markup=False, soft_wrap=True)
    if report.verified_tables is not None:
        tables = report.verified_tables
        out.print(f"verified: the backup opened {tables} encrypted tables", markup=False)


# --- inspect and diff of Drupal sites (#4) ----------------------------------------------------


def show_inspect(data: dict[str, Any], *, json_out: bool) -> None:
    """Render `pseamigrate inspect` data: JSON, or tables of bundles, fields and counts."""
    if json_out:
        print_json(data)
        return
    out.print(
        f"site {data['site']}: Drupal {data['drupal_version']} ({data['layout']}), "
        f"prefix {data['table_prefix'] or '-'}"
    )
    bundles = data["bundles"]
    print_table(
        "Content types",
        ["type", "nodes", "published", "unpublished", "revisions", "fields", "deleted fields"],
        [
            (
                name,
                b["count"],
                b["published"],
                b["count"] - b["published"],
                b["revisions"],
                len(b["fields"]),
                len(b["deleted_fields"]),
            )
            for name, b in bundles.items()
        ],
    )
    for name, bundle in bundles.items():
        _show_fields(name, bundle["fields"])
    vocabularies = [(n, v["terms"], len(v["fields"])) for n, v in data["vocabularies"].items()]
    print_table("Vocabularies", ["vocabulary", "terms", "fields"], vocabularies)
    users, files = data["users"], data["files"]
    out.print(
        f"users: {users['total']} ({users['active']} active, {users['blocked']} blocked); "
        f"files: {files['total']}"
    )
    _show_notes(data)


def _show_fields(bundle: str, fields: dict[str, Any]) -> None:
    """Print one content type's fields: type, cardinality, required, list size, target."""
    rows = [
        (
            field,
            f["type"] + ("" if f["known_type"] else " (unknown)"),
            "unlimited" if f["cardinality"] == -1 else f["cardinality"],
            "yes" if f["required"] else "",
            len(f["allowed_values"]) or "",
            f["target_type"] or "",
        )
        for field, f in fields.items()
    ]
    columns = ["field", "field type", "cardinality", "required", "list values", "target"]
    print_table(f"Fields of {bundle}", columns, rows)


def _show_notes(data: dict[str, Any]) -> None:
    for name, bundle in data["bundles"].items():
        if bundle["deleted_fields"]:
            rows = bundle.get("deleted_field_rows", {})
            named = [f"{f} ({rows.get(f, 0)} rows)" for f in bundle["deleted_fields"]]
            out.print(f"{name}: deleted in Drupal, data may remain: {', '.join(named)}")
    for unknown in data["unknown_field_types"]:
        out.print(f"unknown field type {unknown['type']}: {', '.join(unknown['fields'])}")
    if data["latin1_tables"]:
        out.print(f"latin1 tables (text re-decoded where UTF-8): {len(data['latin1_tables'])}")
    for problem in data["problems"]:
        out.print(
            f"[yellow]problem[/yellow] {problem['table']} {problem['row']} "
            f"{problem['field']}: {problem['message']}"
        )


def show_diff(data: dict[str, Any], *, json_out: bool) -> None:
    """Render `pseamigrate diff` data: JSON, or one matrix row per difference."""
    if json_out:
        print_json(data)
        return
    sites = data["sites"]
    if not data["differences"]:
        out.print(f"no differences between {', '.join(sites)}")
        return
    rows = [
        (
            row["kind"],
            row["bundle"] or "",
            row["field"] or "",
            row["property"],
            *(_diff_cell(row, site) for site in sites),
        )
        for row in data["differences"]
    ]
    print_table(
        f"Drift between {', '.join(sites)}", ["kind", "bundle", "field", "what", *sites], rows
    )


def _diff_cell(row: dict[str, Any], site: str) -> str:
    """Show list values as their count plus the keys only some sites have."""
    if site not in row["values"]:
        return "-"
    if "only_in" in row:
        extra = " ".join(f"+{key}" for key in row["only_in"].get(site, []))
        return f"{len(row['values'][site])} values {extra}".strip()
    return _cell(row["values"][site])


def _cell(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value)
