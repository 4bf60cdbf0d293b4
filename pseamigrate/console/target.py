"""Rendering for the target command group."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pseamigrate.console import info, out, print_json

if TYPE_CHECKING:
    from pseamigrate.target.init import InitResult


def show_init(result: InitResult, *, dry_run: bool, json_out: bool) -> None:
    """Render `target init`; a dry run prints only SQL on stdout (none when the database exists),
    so it pipes into the client."""
    if json_out:
        print_json(
            {
                "database": result.database,
                "existed": result.existed,
                "created": result.created,
                "statement": None if result.existed else result.statement,
                "charset": result.charset,
                "collation": result.collation,
            }
        )
        return
    names = f"{result.charset} / {result.collation}"
    if result.existed:
        say = info if dry_run else out.print  # a dry run's stdout is SQL only: nothing to run
        say(f"target database {result.database} exists at {result.where} ({names})")
    elif dry_run:
        out.print(f"{result.statement};", soft_wrap=True)
    else:
        out.print(f"created target database {result.database} at {result.where} ({names})")
        info("next: pseamigrate encryption enable, then pseamigrate schema create")
