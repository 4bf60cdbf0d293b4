"""Rendering for the mappings command group."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pseamigrate.console import err, out, print_json


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
            out.print(f"ok  {result.mapping}")
            continue
        count = len(result.problems)
        err.print(f"{result.mapping}: {count} problem(s)", soft_wrap=True)
        for problem in result.problems:
            err.print(f"  {problem}", soft_wrap=True)
