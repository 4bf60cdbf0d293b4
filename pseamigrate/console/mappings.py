"""Rendering for the mappings command group."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pseamigrate.console import out, print_json


def show_mapping_checks(results: Sequence[Any], json_out: bool) -> None:
    """Render mapping checks on stdout: `ok  FILE`, or every problem as
    `file:line: path: message` under `FILE: N problem(s)`."""
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
        out.print(f"{result.mapping}: {count} problem(s)", soft_wrap=True)
        for problem in result.problems:
            out.print(f"  {problem}", soft_wrap=True)
