"""Rendering for `pseamigrate assess`: one table of findings per site, then across sites."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from pseamigrate.console import out, print_json, verdict

MAX_IDS = 20  # ids a finding shows on the terminal; --json and --html list every one

if TYPE_CHECKING:
    from pseamigrate.assess.findings import Assessment, Finding

STYLES = {"blocker": "bold red", "warning": "yellow", "info": "cyan"}


def show_assessment(assessment: Assessment, *, json_out: bool) -> None:
    """Render the findings: JSON, or a table per site and one across sites, then a verdict."""
    if json_out:
        print_json(assessment.as_dict())
        return
    for site in assessment.sites:
        title = f"Site {site.site}: Drupal {site.drupal_version} ({site.layout}), "
        title += f"mapping {site.mapping or 'none'}"
        title += f", time zone {site.timezone}" if site.timezone else ""
        _findings_table(title, site.findings)
    if assessment.shared:
        _findings_table("Across sites", assessment.shared)
    counts = assessment.counts()
    summary = ", ".join(f"{n} {name}(s)" for name, n in counts.items())
    verdict(f"assess: {summary}", not counts["blocker"])


def _findings_table(title: str, findings: Sequence[Finding]) -> None:
    """Print one table of findings, blockers first."""
    order = {"blocker": 0, "warning": 1, "info": 2}
    table = Table(title=Text(title), title_justify="left")
    for column in (
        "severity",
        "check",
        "where",
        "found",
        "count",
        "ids",
        "what the migration does",
    ):
        table.add_column(Text(column), overflow="fold")
    for f in sorted(findings, key=lambda f: (order[f.severity], f.check, f.subject)):
        table.add_row(
            Text(f.severity, style=STYLES[f.severity]),
            Text(f.check),
            Text(f.subject),
            Text(f.message),
            Text(str(f.count)),
            Text(_ids(f)),
            Text(f.action),
        )
    out.print(table)


def _ids(finding: Finding) -> str:
    """Show the first MAX_IDS ids, and how many more --json and --html list."""
    shown = ", ".join(str(i) for i in finding.ids[:MAX_IDS])
    more = len(finding.ids) - MAX_IDS
    return f"{shown} (+{more} more: --json lists all)" if more > 0 else shown
