"""Rendering for the schema command group."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pseamigrate.console import out, print_json

if TYPE_CHECKING:
    from pseamigrate.target.commands import SchemaResult


def show_schema_result(
    result: SchemaResult, action: str, json_out: bool, sql: bool = False
) -> None:
    """Render what `schema create|upgrade` did or would do (with `sql`, each change's SQL)."""
    if json_out:
        changes = [
            {"kind": c.kind, "table": c.table, "name": c.name, "sql": c.sql} for c in result.changes
        ]
        print_json({"applied": result.applied, "changes": changes, "removals": result.removals})
        return
    if not result.changes:
        out.print(f"schema {action}: nothing to do, the target already matches the model")
        return
    verb = "applied" if result.applied else "would apply (dry run)"
    out.print(f"schema {action}: {verb} {len(result.changes)} change(s)")
    for change in result.changes:
        where = change.table if change.name == change.table else f"{change.table}.{change.name}"
        out.print(f"  {change.kind} {where}")
        if sql:
            out.print(f"{change.sql};", soft_wrap=True)
