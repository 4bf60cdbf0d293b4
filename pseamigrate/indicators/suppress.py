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
from fractions import Fraction

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
    """Return the cells to hide: the small ones, then enough others that no hidden cell can be
    solved from the published ones, neither as one line's total minus the rest nor by
    combining lines (checked by linear algebra, `determined`)."""
    hidden = {
        (r, c)
        for r, row in enumerate(grid.cells)
        for c, value in enumerate(row)
        if 0 < value < threshold
    }
    while hidden:
        _two_per_line(grid, hidden)
        solvable = determined(grid, hidden)
        if not solvable:
            break
        hidden.add(_protector(grid, min(solvable), hidden))
    return hidden


def _two_per_line(grid: Grid, hidden: set[Cell]) -> None:
    """Hide more cells until no line holds exactly one hidden cell."""
    lines = grid.lines()
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(cell in hidden for cell in line) == 1:
                hidden.add(_complement(grid, line, hidden))
                changed = True


def _protector(grid: Grid, cell: Cell, hidden: set[Cell]) -> Cell:
    """Return a published cell to hide so that `cell` is no longer solvable: the smallest one
    sharing a line with it, else the smallest anywhere."""
    near = [c for line in grid.lines() if cell in line for c in line if c not in hidden]
    anywhere = [
        (r, c) for r, row in enumerate(grid.cells) for c in range(len(row)) if (r, c) not in hidden
    ]
    return min(
        near or anywhere, key=lambda c: (grid.cells[c[0]][c[1]] == 0, grid.cells[c[0]][c[1]], c)
    )


def determined(grid: Grid, hidden: set[Cell]) -> set[Cell]:
    """Return the hidden cells whose value follows from the published ones: those whose unit
    vector lies in the row space of the lines' equations restricted to the hidden cells."""
    unknowns = sorted(hidden)
    index = {cell: i for i, cell in enumerate(unknowns)}
    rows = []
    for line in grid.lines():
        row = [Fraction(0)] * len(unknowns)
        *parts, total = line
        for cell in parts:
            if cell in index:
                row[index[cell]] += 1
        if total in index:
            row[index[total]] -= 1
        if any(row):
            rows.append(row)
    basis, pivots = _echelon(rows)
    return {
        cell
        for cell in unknowns
        if not any(
            _reduce([Fraction(int(i == index[cell])) for i in range(len(unknowns))], basis, pivots)
        )
    }


def _echelon(rows: list[list[Fraction]]) -> tuple[list[list[Fraction]], list[int]]:
    """Return a basis of the row space of `rows` and each basis row's pivot (exact Gaussian
    elimination)."""
    basis: list[list[Fraction]] = []
    pivots: list[int] = []
    for original in rows:
        row = _reduce(original, basis, pivots)
        lead = next((i for i, value in enumerate(row) if value), None)
        if lead is not None:
            basis.append(row)
            pivots.append(lead)
    return basis, pivots


def _reduce(
    vector: list[Fraction], basis: list[list[Fraction]], pivots: list[int]
) -> list[Fraction]:
    """Return `vector` minus its part along the basis: all zeros iff it lies in the row space."""
    row = list(vector)
    for pivot, base in zip(pivots, basis, strict=True):
        if row[pivot]:
            factor = row[pivot] / base[pivot]
            row = [a - factor * b for a, b in zip(row, base, strict=True)]
    return row


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
