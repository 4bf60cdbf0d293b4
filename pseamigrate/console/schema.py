"""Rendering for the schema command group."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pseamigrate.console import info, out, print_json

if TYPE_CHECKING:
    from pseamigrate.target.commands import SchemaResult


def show_schema_result(
    result: SchemaResult, action: str, json_out: bool, sql: bool = False
) -> None:
    """Render what `schema create|upgrade` did or would do.

    With `sql`, stdout carries only the SQL (runnable: `schema create --dry-run --sql | mariadb`)
    and the summary goes to stderr."""
    if json_out:
        changes = [
            {"kind": c.kind, "table": c.table, "name": c.name, "sql": c.sql} for c in result.changes
        ]
        print_json({"applied": result.applied, "changes": changes, "removals": result.removals})
        return
    say = info if sql else out.print
    if not result.changes:
        say(f"schema {action}: nothing to do, the target already matches the model")
        return
    verb = "applied" if result.applied else "would apply (dry run)"
    say(f"schema {action}: {verb} {len(result.changes)} change(s)")
    for change in result.changes:
        where = change.table if change.name == change.table else f"{change.table}.{change.name}"
        say(f"  {change.kind} {where}")
        if sql:
            out.print(f"{change.sql};", soft_wrap=True, markup=False, highlight=False)
