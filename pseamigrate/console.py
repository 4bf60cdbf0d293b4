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
