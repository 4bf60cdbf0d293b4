"""Everything that reaches the terminal: one pair of consoles, tables, progress bars, JSON.

Results go to stdout, messages and progress to stderr, so `--json` and `--sql` output stay
parseable. Both consoles print text literally: rich markup and emoji codes are off, because
the text comes from files and legacy databases (`bad.yaml:100:` must not become an emoji, a
Drupal label `[bold]` must print as it is). The tool's own styling is applied with `Text`
styles, never with markup in strings. Each command group renders its results in its own module
(`console/drupal.py`, `console/encryption.py`, …) on top of the helpers here.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

# Piped or captured output has no terminal width; rich would squeeze tables into 80 columns.
_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160
out = Console(highlight=False, markup=False, emoji=False, width=_WIDTH)
err = Console(stderr=True, highlight=False, markup=False, emoji=False)


def error(message: str) -> None:
    """Print an error message on stderr (on one line where it has one: grep-able)."""
    err.print(Text.assemble(("Error:", "bold red"), " ", message), soft_wrap=True)


def info(message: str) -> None:
    """Print a progress message on stderr."""
    err.print(Text(message), soft_wrap=True)


def verdict(message: str, ok: bool) -> None:
    """Print a closing verdict on stdout, green when it is good news and red when not."""
    out.print(Text(message, style="green" if ok else "red"), soft_wrap=True)  # one line: grep-able


def print_json(data: object) -> None:
    """Print `data` as stable, sorted JSON on stdout."""
    out.print_json(json.dumps(data, sort_keys=True, default=str))


def print_table(
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    total: Sequence[object] | None = None,
) -> None:
    """Print a simple table on stdout; every cell is literal text. Columns whose values are all
    numbers are right-aligned; `total`, if given, is a last row set apart by a rule."""
    table = Table(title=Text(title), title_justify="left", show_footer=total is not None)
    numeric = [all(_is_number(row[i]) for row in rows) and bool(rows) for i in range(len(columns))]
    for index, column in enumerate(columns):
        table.add_column(
            Text(column),
            footer=Text(str(total[index])) if total is not None else "",
            justify="right" if numeric[index] else "left",
            overflow="fold",  # wrap long names, never cut them
        )
    for row in rows:
        table.add_row(*(Text(str(value)) for value in row))
    out.print(table)


def _is_number(value: object) -> bool:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return True
    return isinstance(value, str) and value.replace(".", "", 1).isdigit()


def print_raw(text: str) -> None:
    """Print text on stdout exactly as it is: no wrapping, nothing added (YAML, SQL)."""
    out.print(Text(text), soft_wrap=True, end="")


def print_lines(lines: Sequence[str]) -> None:
    """Print plain text lines on stdout."""
    for line in lines:
        out.print(Text(line), soft_wrap=True)
