"""Rendering for the mappings command group."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

from pseamigrate.console import info, out, print_json

if TYPE_CHECKING:
    from pseamigrate.mapping.commands import RowFailures, SiteCheck
    from pseamigrate.migrate.crosswalk import CodedColumn

MAX_IDS = 20  # ids a terminal line shows; --json carries them all


def show_scaffolded(path: Path, todos: int, decisions: int) -> None:
    """Say where the scaffold went and what is left to a person (TODOs, decisions to review),
    as the scaffold counted them."""
    info(f"wrote {path}: {todos} TODO(s) to resolve, {decisions} decision(s) to review")


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
            rows = f", {result.failed_rows()} row(s) would fail" if result.failures else ""
            out.print(f"{result.mapping}: {count} problem(s){rows}{note}", soft_wrap=True)
        for problem in result.problems:
            out.print(f"  {problem}", soft_wrap=True)
        for failure in result.failures:
            out.print(f"  {_failure_line(failure)}", soft_wrap=True)
        for warning in result.warnings:
            out.print(f"  warning: {warning}", soft_wrap=True)
        scope = _scope_line(result)
        if scope:
            out.print(f"  {scope}", soft_wrap=True)


def _scope_line(result: SiteCheck) -> str:
    """Say what the check covered: every row through the transforms, or less and why."""
    if result.scope == "rows":
        failed = result.failed_rows()
        return (
            f"rows: {result.rows} source rows run through the mapping's transforms "
            f"(as migrate --dry-run), {failed} would fail"
        )
    return f"only checked: {result.scope} ({result.note})" if result.note else ""


def _failure_line(failure: RowFailures) -> str:
    """One reason rows fail: step, entity, column, count and ids (the first MAX_IDS)."""
    shown = ", ".join(failure.ids[:MAX_IDS])
    more = len(failure.ids) - MAX_IDS
    tail = f", … {more} more (--json lists every id)" if more > 0 else ""
    column = f" {failure.column}" if failure.column else ""
    return (
        f"{failure.step} ({failure.entity}){column}: {len(failure.ids)} row(s) would fail: "
        f"{failure.reason}; ids {shown}{tail}"
    )


def _as_json(result: SiteCheck, strict: bool) -> dict[str, Any]:
    return {
        "site": result.site,
        "mapping": result.mapping,
        "ok": result.passed(strict),
        "scope": result.scope,
        "note": result.note,
        "rows": result.rows,
        "failed_rows": result.failed_rows(),
        "problems": [dataclasses.asdict(p) for p in result.problems],
        "failures": [
            {**dataclasses.asdict(f), "ids": list(f.ids), "count": len(f.ids)}
            for f in result.failures
        ],
        "warnings": [dataclasses.asdict(w) for w in result.warnings],
    }


def show_values(columns: Sequence[CodedColumn], json_out: bool) -> None:
    """Render coded columns' crosswalks: a table per column (values are list codes, printed
    literally), or JSON."""
    if json_out:
        print_json([_coded_json(c) for c in columns])
        return
    if not columns:  # say so: an empty screen reads like a crash
        out.print(Text("no coded column: no list field of the mapping feeds a column with values"))
    for coded in columns:
        need = "required" if coded.required else "optional"
        title = (
            f"{coded.name} ({need}) <- {coded.bundle}.{coded.source}; "
            f"model values: {', '.join(coded.model_values)}"
        )
        table = Table(title=Text(title), title_justify="left")
        for name in ("source value", "allowed", "nodes", "what the mapping does"):
            table.add_column(Text(name), overflow="fold")
        for value in coded.values:
            style = "red" if value.fate == "fails" and value.rows else ""
            allowed = "yes" if value.allowed else "no"
            table.add_row(
                Text(value.value), Text(allowed), Text(str(value.rows)), Text(value.text, style)
            )
        out.print(table)
        failing = coded.failing()
        if failing:
            out.print(Text(f"  decision left: {len(failing)} stored value(s) fail their rows"))


def _coded_json(coded: CodedColumn) -> dict[str, Any]:
    return {
        "column": coded.name,
        "bundle": coded.bundle,
        "source": coded.source,
        "required": coded.required,
        "allowed": list(coded.allowed),
        "model_values": list(coded.model_values),
        "values": [dataclasses.asdict(v) for v in coded.values],
        "mapping": f"{coded.where.file}:{coded.where.line}",
    }
