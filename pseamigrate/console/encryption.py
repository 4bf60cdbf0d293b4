"""Rendering for the encryption command group."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pseamigrate.console import info, out, print_json, print_table

if TYPE_CHECKING:
    from pseamigrate.encryption.backup import BackupReport
    from pseamigrate.encryption.base import Statement
    from pseamigrate.encryption.commands import StatusReport
    from pseamigrate.encryption.purge import PurgePlan
    from pseamigrate.encryption.setup import SetupPlan
    from pseamigrate.servers.cnf import CnfChange


def show_encryption_status(report: StatusReport, *, json_out: bool) -> None:
    """Render `encryption status`: one row per check (name, PASS/WARN/FAIL, detail, CIS item)."""
    if json_out:
        print_json(report.as_dict())
        return
    rows = [(c.name, c.outcome.value, c.detail, c.cis or "-") for c in report.checks]
    title = f"Encryption at rest: {report.flavor} {report.version} at {report.where}"
    print_table(title, ["check", "result", "detail", "CIS"], rows)


def show_setup_plan(change: CnfChange, plan: SetupPlan) -> None:
    """Print what `encryption setup --dry-run` would do: files on stderr, the exact diff on stdout.

    Key material is shown as placeholders; stdout holds only the unified diff of the option file.
    """
    for planned in plan.files:
        info(f"would write {planned.path} (0600): {planned.shown().strip()}")
    if not change.changed:
        info(f"{change.path}: no change")
    out.file.write(change.diff())
    out.file.flush()


def show_statements(statements: Sequence[Statement], *, sql: bool) -> None:
    """Print a plan's statements: their SQL for a DBA, or `would run: <label>` for a dry run."""
    for step in statements:
        text = f"{step.sql};" if sql else f"would run: {step.label}"
        out.print(text, soft_wrap=True)


def show_key_backup(report: BackupReport, *, dry_run: bool) -> None:
    """Print which key files `backup-key` copied (or would) and what the scratch restore read."""
    done = "would copy" if dry_run else "copied"
    for path in report.files:
        out.print(f"{done} {path.name} -> {path} (0600)", soft_wrap=True)
    if report.verified_tables is not None:
        tables = report.verified_tables
        out.print(f"verified: the backup opened {tables} encrypted tables")


def show_purge(plan: PurgePlan, *, dry_run: bool, tables: int | None = None) -> None:
    """Print the purge's steps (`would run` on a dry run), what it recorded, and what is next."""
    for number, step in enumerate(plan.steps, 1):
        out.print(f"{'would run' if dry_run else 'done'}: {number}. {step}", soft_wrap=True)
    if tables is not None and not dry_run:
        out.print(f"recorded: {tables} table(s) marked purged", soft_wrap=True)
    out.print(f"next: {plan.next_step}", soft_wrap=True)
