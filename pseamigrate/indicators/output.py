"""`indicators --csv DIR`: one CSV file per indicator, readable by its owner only.

Suppressed cells are written as `x` (the statistical offices' mark for "confidential"), the same
for a small cell and for one hidden to protect it, so the mark itself says nothing. `_about.csv`
records how the numbers were made: tenants, period, threshold and whether suppression applied.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from pseamigrate.indicators.compute import TOTAL, IndicatorReport, IndicatorTable
from pseamigrate.paths import private_folder

SUPPRESSED = "x"
ABOUT = "_about.csv"


def cell_text(value: int | None) -> str:
    """Return how a published cell is shown: the count, or the suppression mark."""
    return SUPPRESSED if value is None else str(value)


def write_csv(folder: Path, report: IndicatorReport) -> list[Path]:
    """Write one file per indicator and `_about.csv` into `folder` (0700, files 0600)."""
    private_folder(folder)
    os.chmod(folder, 0o700)  # the folder holds tenants' figures, even if it existed before
    written = [_write(folder / ABOUT, _about_rows(report))]
    for table in report.tables:
        written.append(_write(folder / f"{table.indicator.name}.csv", _table_rows(table)))
    return written


def _about_rows(report: IndicatorReport) -> list[list[str]]:
    about = report.as_dict()
    return [
        ["key", "value"],
        ["tenants", " ".join(report.tenants)],
        ["period", about["period"] or "all"],
        ["suppression_applied", str(report.options.suppression).lower()],
        ["suppression_threshold", str(report.options.threshold)],
        ["allowed_plaintext_target", str(report.options.allow_plaintext).lower()],
    ]


def _table_rows(table: IndicatorTable) -> list[list[str]]:
    header = ["tenant", *table.labels, TOTAL]
    body = [
        [row, *(cell_text(value) for value in cells)]
        for row, cells in zip(table.rows, table.cells, strict=True)
    ]
    return [header, *body]


def _write(path: Path, rows: list[list[str]]) -> Path:
    """Write `rows` as CSV into a new 0600 file, atomically."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(buffer.getvalue())
    os.replace(partial, path)
    return path
