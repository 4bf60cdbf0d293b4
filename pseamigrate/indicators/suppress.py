"""Disclosure control: hide small counts, and enough other cells that they cannot be recovered.

A table is a grid of counts (tenants × categories) with its margins: a total per row, and when
there is more than one row a total per column and a grand total. Every published number is one
equation an outsider can use (a row's cells add up to its total), so hiding only the small cells
is not enough: a row with one hidden cell gives it away as total minus the rest.

Primary suppression hides every cell, total included, from 1 to `threshold - 1` (a zero is
published: it names nobody). Secondary suppression then repeats until no row and no column (the
margins included) holds exactly one hidden cell, each time hiding that line's smallest published
non-zero cell (zeros only when nothing else is left), the usual rule of statistical offices. The
result is a mask; the caller prints `None` where it is set. Pure functions, no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_THRESHOLD = 5

Cell = tuple[int, int]  # (row, column) in the grid that includes the margins


@dataclass(frozen=True)
class Grid:
    """Counts with their margins: `cells[r][c]`; the last column holds the row totals, and
    when `has_total_row` the last row holds the column totals and the grand total."""

    cells: tuple[tuple[int, ...], ...]
    has_total_row: bool

    def lines(self) -> list[list[Cell]]:
        """Return every row and column whose cells add up to its last cell (an equation)."""
        rows, columns = len(self.cells), len(self.cells[0])
        found = [[(r, c) for c in range(columns)] for r in range(rows)]
        if self.has_total_row:
            found += [[(r, c) for r in range(rows)] for c in range(columns)]
        return found


def with_margins(counts: Sequence[Sequence[int]]) -> Grid:
    """Return the grid of `counts` (rows × categories) with a total column, and a total row
    when there is more than one row."""
    rows = [(*row, sum(row)) for row in counts]
    if len(rows) <= 1:
        return Grid(tuple(rows), has_total_row=False)
    totals = tuple(sum(column) for column in zip(*rows, strict=True))
    return Grid((*rows, totals), has_total_row=True)


def suppression_mask(grid: Grid, threshold: int = DEFAULT_THRESHOLD) -> set[Cell]:
    """Return the cells to hide: the small ones, then enough others that no line holds exactly
    one hidden cell (so no hidden cell is total minus published cells)."""
    hidden = {
        (r, c)
        for r, row in enumerate(grid.cells)
        for c, value in enumerate(row)
        if 0 < value < threshold
    }
    lines = grid.lines()
    changed = bool(hidden)
    while changed:
        changed = False
        for line in lines:
            if sum(cell in hidden for cell in line) == 1:
                hidden.add(_complement(grid, line, hidden))
                changed = True
    return hidden


def _complement(grid: Grid, line: list[Cell], hidden: set[Cell]) -> Cell:
    """Return the published cell of `line` to hide with its one hidden cell: the smallest
    non-zero one (hiding a zero protects little: it is often guessed), else a zero."""
    published = [cell for cell in line if cell not in hidden]
    non_zero = [cell for cell in published if grid.cells[cell[0]][cell[1]] > 0]
    return min(non_zero or published, key=lambda cell: (grid.cells[cell[0]][cell[1]], cell))


def published(grid: Grid, hidden: set[Cell]) -> list[list[int | None]]:
    """Return the grid as published: `None` in every hidden cell."""
    return [
        [None if (r, c) in hidden else value for c, value in enumerate(row)]
        for r, row in enumerate(grid.cells)
    ]
