"""Rendering for `health`: the Nagios summary line first, then one line per check."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from pseamigrate.console import out, print_json

if TYPE_CHECKING:
    from pseamigrate.deploy.health import HealthReport

STYLES = {"PASS": "green", "WARN": "yellow", "FAIL": "red"}


def show_health(report: HealthReport, json_out: bool) -> None:
    """Print the summary line, then `OUTCOME name: detail` per check (or the JSON document)."""
    if json_out:
        print_json(report.as_dict())
        return
    out.print(Text(report.summary()), soft_wrap=True)
    for check in report.checks:
        outcome = check.outcome.value
        line = Text.assemble((f"{outcome:4}", STYLES[outcome]), f" {check.name}: {check.detail}")
        out.print(line, soft_wrap=True)
