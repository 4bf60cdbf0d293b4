"""Rendering for the mappings command group."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pseamigrate.console import err, out, print_json

if TYPE_CHECKING:
    from pseamigrate.mapping.commands import SiteCheck


def show_mapping_checks(results: Sequence[SiteCheck], json_out: bool) -> None:
    """Render mapping checks: every problem as `file:line: path: message`, then a verdict."""
    if json_out:
        print_json(
            [
                {
                    "site": r.site,
                    "mapping": r.mapping,
                    "problems": [dataclasses.asdict(p) for p in r.problems],
                }
                for r in results
            ]
        )
        return
    for result in results:
        if not result.problems:
            out.print(f"ok  {result.mapping}", soft_wrap=True)
            continue
        count = len(result.problems)
        err.print(f"{result.mapping}: {count} problem(s)", soft_wrap=True)
        for problem in result.problems:
            err.print(f"  {problem}", soft_wrap=True)
