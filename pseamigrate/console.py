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
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

# Piped or captured output has no terminal width; rich would squeeze tables into 80 columns.
_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160
out = Console(highlight=False, width=_WIDTH)
err = Console(stderr=True, highlight=False)


def error(message: str) -> None:
    """Print an error message on stderr."""
    err.print(f"[bold red]Error:[/bold red] {message}", markup=True, highlight=False)


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
            out.print(
                f"{name}: deleted in Drupal, data may remain: {', '.join(bundle['deleted_fields'])}"
            )
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
