"""Rendering for `indicators`: one table per indicator, rows tenants, columns labels."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pseamigrate.console import info, out, print_table, verdict

if TYPE_CHECKING:  # the engine loads when the command runs, not for every command's --help
    from pseamigrate.indicators.compare import Difference
    from pseamigrate.indicators.compute import IndicatorReport


def show_indicators(report: IndicatorReport) -> None:
    """Print every indicator, then how it was made (suppression, period, overrides)."""
    from pseamigrate.indicators.compute import TOTAL
    from pseamigrate.indicators.output import SUPPRESSED, cell_text

    for table in report.tables:
        rows = [
            [row, *(cell_text(value) for value in cells)]
            for row, cells in zip(table.rows, table.cells, strict=True)
        ]
        print_table(table.indicator.title, ["tenant", *table.labels, TOTAL], rows)
    period = report.options.period
    out.print(f"period: {period if period is not None else 'all dates'}")
    if report.options.suppression:
        out.print(
            f"suppression: cells of cases or people below {report.options.threshold} and the "
            f"cells that would reveal them are shown as {SUPPRESSED}"
        )
    else:
        out.print("suppression: OFF (--no-suppression): for the tenant's own staff only")
    if report.options.allow_plaintext:
        info("warning: the encryption gate was overridden (--allow-plaintext-target, recorded)")


def written(paths: list[Path]) -> None:
    """Say where the CSV files went."""
    info(f"wrote {len(paths)} CSV files to {paths[0].parent}")


def as_json(report: IndicatorReport, differences: list[Difference] | None) -> dict[str, Any]:
    """Return the report for `--json`, with the comparison when one was made."""
    data = report.as_dict()
    if differences is not None:
        data["compare"] = {"differences": [d.as_dict() for d in differences]}
    return data


def show_differences(differences: list[Difference]) -> None:
    """List each cell that differs between the sources and the target (names, no counts)."""
    for d in differences:
        out.print(f"differs: {d.indicator} {d.tenant} {d.label}")
    if differences:
        verdict(
            f"{len(differences)} indicator cells differ between the sources and the target", False
        )
    else:
        verdict("every indicator is equal on the sources and the target", True)
