"""Rendering for the mappings command group."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pseamigrate.console import info, out, print_json

if TYPE_CHECKING:
    from pseamigrate.mapping.commands import SiteCheck


def show_scaffolded(path: Path, text: str) -> None:
    """Say where the scaffold went and what is left to a person (TODOs, review notes)."""
    todo = text.count("TODO")
    review = sum(1 for line in text.splitlines() if _is_review(line))
    info(f"wrote {path}: {todo} TODO(s) to resolve, {review} decision(s) to review")


def _is_review(line: str) -> bool:
    """Tell whether a scaffold line is a review note (`review:` or a REVIEW reason)."""
    stripped = line.strip()
    return stripped.startswith("review:") or ": 'REVIEW" in line or ": REVIEW" in line


def show_mapping_checks(results: Sequence[SiteCheck], json_out: bool, strict: bool = False) -> None:
    """Render mapping checks on stdout: every problem and warning as `file:line: path: message`.

    A mapping without problems gets `ok  FILE` on stdout (with its warning count), unless
    `strict` and it has warnings.
    """
    if json_out:
        print_json([_as_json(r, strict) for r in results])
        return
    for result in results:
        count, warned = len(result.problems), len(result.warnings)
        if result.passed(strict):
            note = f" ({warned} warning(s) to review)" if warned else ""
            out.print(f"ok  {result.mapping}{note}", soft_wrap=True)
        else:
            note = f", {warned} warning(s)" + (" (--strict)" if strict else "") if warned else ""
            out.print(f"{result.mapping}: {count} problem(s){note}", soft_wrap=True)
        for problem in result.problems:
            out.print(f"  {problem}", soft_wrap=True)
        for warning in result.warnings:
            out.print(f"  warning: {warning}", soft_wrap=True)


def _as_json(result: SiteCheck, strict: bool) -> dict[str, Any]:
    return {
        "site": result.site,
        "mapping": result.mapping,
        "ok": result.passed(strict),
        "problems": [dataclasses.asdict(p) for p in result.problems],
        "warnings": [dataclasses.asdict(w) for w in result.warnings],
    }
