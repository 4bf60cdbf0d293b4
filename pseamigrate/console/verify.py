"""Rendering for `verify`: the reconciliation table, the differing ids, the explanations."""

from __future__ import annotations

from rich.text import Text

from pseamigrate.console import info, out, print_table, verdict
from pseamigrate.verify.report import summary_rows
from pseamigrate.verify.results import (
    LISTED,
    MISMATCH,
    PENDING,
    RECONCILED,
    Reconciliation,
)

MERGE_KEYS = {"users": "accounts by e-mail", "terms": "shared terms by name"}
COLUMNS = ["site", "entity", "source", "target", "explained", "mismatched", "checksum"]


def show_reconciliation(result: Reconciliation) -> None:
    """Render the table, then per site and entity the differing and the explained ids."""
    rows = [[row[c] for c in COLUMNS] for row in summary_rows(result)]
    print_table("Verify: source vs target", COLUMNS, rows)
    for site in result.sites:
        for e in site.entities:
            for m in e.mismatches:
                fields = f" ({', '.join(m.fields)})" if m.fields else ""
                out.print(f"mismatch {site.site} {e.entity} {m.source_id}: {m.problem}{fields}")
            for why, ids in e.explained.items():
                shown = ", ".join(ids[:LISTED]) + (
                    f" and {len(ids) - LISTED} more" if len(ids) > LISTED else ""
                )
                reason = f" — {e.reasons['*']}" if "*" in e.reasons else ""
                out.print(f"{site.site} {e.entity}: {why} ({len(ids)}): {shown}{reason}")
            if e.merged or e.merged_across:
                out.print(
                    f"{site.site} {e.entity}: merged ({MERGE_KEYS.get(e.kind, 'by key')}): "
                    f"{e.merged} within the tenant, {e.merged_across} with other tenants"
                )
        for table in site.tables:
            if table["unexplained"]:
                out.print(
                    f"mismatch {site.site} table {table['table']}: {table['unexplained']} rows "
                    "the ledger cannot explain"
                )
    if result.encryption.get("allowed_plaintext_target"):
        info("warning: the encryption gate was overridden (--allow-plaintext-target, recorded)")
    show_verdict(result)


def show_verdict(result: Reconciliation) -> None:
    """Close with the verdict: green reconciled, amber pending (with what brings the rows
    in), red mismatch."""
    state = result.state()
    if state == MISMATCH:
        pending = f" (and {result.pending()} rows pending)" if result.pending() else ""
        verdict(f"{result.mismatched()} mismatches{pending}", False)
        return
    if state == RECONCILED:
        verdict("every site reconciles: every source row is in the target, equal", True)
        return
    for site in result.sites:
        if site.state() == PENDING:
            out.print(Text(site.pending_line(), style="yellow"), soft_wrap=True)
    accepted = " accepted (--accept-pending, recorded)" if result.accepted_pending else ""
    out.print(
        Text(
            f"pending{accepted}: {result.pending()} rows are not in the target as the "
            "source holds them",
            style="yellow",
        ),
        soft_wrap=True,
    )


def written(what: str, path: object) -> None:
    """Say where a report was written (stderr)."""
    info(f"{what} report written to {path}")
