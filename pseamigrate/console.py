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
        table.add_column(column)
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
        out.print(f"  {change.kind} {change.table}.{change.name}", markup=False)
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
