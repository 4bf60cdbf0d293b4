"""What `verify` found, as data: per site and entity, counts, explanations, digests and ids.

Only ids, field names, counts, reasons from the mapping or the ledger, and hashes: never a value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Why a source row and the target may differ without a mismatch.
IGNORED = "ignored by the mapping"
FAILED = "failed in the last run"
NOT_YET = "not yet migrated"
CHANGED = "changed since the last run"
GONE = "no longer in the source"
EXPLANATIONS = (IGNORED, FAILED, NOT_YET, CHANGED, GONE)
# Explained, but not signed off: the target does not (yet) hold what the source holds.
PENDING_REASONS = (FAILED, NOT_YET, CHANGED, GONE)

# The verdict, per site and overall: only "reconciled" exits 0 (or "pending" when accepted).
RECONCILED, PENDING, MISMATCH = "reconciled", "pending", "mismatch"
LISTED = 50  # ids kept per explanation and entity (the JSON report lists them all)


@dataclass
class Mismatch:
    """A row whose target copy differs from its projection (or is missing or damaged)."""

    source_id: str
    problem: str  # "missing in the target", "fields differ", "store copy differs", …
    fields: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the mismatch as JSON-ready data."""
        return {"source_id": self.source_id, "problem": self.problem, "fields": self.fields}


@dataclass
class EntityCheck:
    """One planned step of one site: what the source holds and what the target holds."""

    entity: str  # the step label: "complaint", "complaint revisions", "accounts", …
    kind: str
    table: str = ""
    source: int = 0
    target: int = 0
    explained: dict[str, list[str]] = field(default_factory=dict)  # explanation → source ids
    reasons: dict[str, str] = field(default_factory=dict)  # source id or "*" → reason
    mismatches: list[Mismatch] = field(default_factory=list)
    compared: int = 0
    source_digest: str = ""
    target_digest: str = ""
    sampled: list[dict[str, Any]] = field(default_factory=list)
    merged: int = 0  # rows merged into another of the tenant (accounts by e-mail, terms by name)
    merged_across: int = 0  # rows sharing their account or term with another tenant

    def state(self) -> str:
        """Return this entity's verdict, as the site's is made (mismatch, pending, reconciled)."""
        if self.mismatches:
            return MISMATCH
        return (
            PENDING if self.pending_ids() or (self.expected() and not self.target) else RECONCILED
        )

    def explain(self, why: str, source_id: str, reason: str = "") -> None:
        """Record a difference the ledger or the mapping explains."""
        self.explained.setdefault(why, []).append(source_id)
        if reason:
            self.reasons[source_id] = reason

    def explained_count(self) -> int:
        """Return how many source rows differ for an explained reason."""
        return sum(len(ids) for ids in self.explained.values())

    def pending_ids(self) -> list[str]:
        """Return the source ids the target does not hold as the source does (yet)."""
        return [sid for why in PENDING_REASONS for sid in self.explained.get(why, [])]

    def expected(self) -> int:
        """Return the source rows that belong in the target (all but those ignored)."""
        return self.source - len(self.explained.get(IGNORED, []))

    @property
    def checksum(self) -> str:
        """Return "ok", "differs" or "-" (nothing compared)."""
        if not self.compared:
            return "-"
        return "ok" if self.source_digest == self.target_digest else "differs"

    def as_dict(self) -> dict[str, Any]:
        """Return the check as JSON-ready data (ids, names, counts and hashes only)."""
        return {
            "entity": self.entity,
            "kind": self.kind,
            "table": self.table,
            "source": self.source,
            "target": self.target,
            "explained": self.explained_count(),
            "pending": len(self.pending_ids()),
            "explanations": {why: ids for why, ids in self.explained.items()},
            "reasons": self.reasons,
            "mismatched": len(self.mismatches),
            "mismatches": [m.as_dict() for m in self.mismatches],
            "mismatched_source_ids": [m.source_id for m in self.mismatches],
            "compared": self.compared,
            "checksum": self.checksum,
            "source_digest": self.source_digest,
            "target_digest": self.target_digest,
            "merged": self.merged,
            "merged_across_tenants": self.merged_across,
            "state": self.state(),
            "sample": self.sampled,
        }


@dataclass
class SiteCheck:
    """Every check of one site, with what identifies the runs and the mapping compared."""

    site: str
    tenant: str
    tenant_id: int | None = None
    mapping_digest: str = ""
    last_run_id: int | None = None
    last_run_digest: str = ""
    source_version: str = ""
    source_where: str = ""  # host:port/database of the legacy site (no user, no password)
    layout: str = ""
    entities: list[EntityCheck] = field(default_factory=list)
    tables: list[dict[str, Any]] = field(default_factory=list)  # rows the ledger cannot explain

    def mismatched(self) -> int:
        """Return the site's mismatched rows and unexplained table rows."""
        rows = sum(len(e.mismatches) for e in self.entities)
        return rows + sum(int(t["unexplained"]) for t in self.tables)

    def pending(self) -> int:
        """Return the site's rows not (yet) in the target as the source holds them."""
        return sum(len(e.pending_ids()) for e in self.entities)

    def pending_reasons(self) -> dict[str, int]:
        """Return the pending rows by reason (failed, not yet migrated, changed, gone)."""
        counts = {
            why: sum(len(e.explained.get(why, [])) for e in self.entities)
            for why in PENDING_REASONS
        }
        return {why: n for why, n in counts.items() if n}

    def pending_line(self) -> str:
        """Say how many rows are pending, why, and which command brings them in (no values)."""
        reasons = self.pending_reasons()
        listed = ", ".join(f"{why} {n}" for why, n in reasons.items())
        hint = f"`pseamigrate migrate {self.site}` brings them in"
        if FAILED in reasons:
            hint += f" (failed rows once their cause is fixed: `pseamigrate messages {self.site}`)"
        if GONE in reasons:
            hint += "; rows no longer in the source stay until removed or accepted"
        why = listed or "the target holds none of its rows"
        return f"{self.site}: {self.pending()} rows pending ({why}): {hint}"

    def empty(self) -> bool:
        """Return whether the source has rows for the target and the target holds none."""
        expected = sum(e.expected() for e in self.entities)
        return expected > 0 and not any(e.target for e in self.entities)

    def state(self) -> str:
        """Return the verdict: mismatch, pending, or reconciled (every row there and equal).

        A tenant with no rows of a site that has some is never reconciled."""
        if self.mismatched():
            return MISMATCH
        return PENDING if self.pending() or self.empty() else RECONCILED

    def as_dict(self) -> dict[str, Any]:
        """Return the site as JSON-ready data."""
        return {
            "site": self.site,
            "tenant": self.tenant,
            "tenant_id": self.tenant_id,
            "mapping_digest": self.mapping_digest,
            "last_run_id": self.last_run_id,
            "last_run_mapping_digest": self.last_run_digest,
            "source_server": self.source_version,
            "source_where": self.source_where,
            "layout": self.layout,
            "mismatched": self.mismatched(),
            "state": self.state(),
            "pending": self.pending(),
            "pending_reasons": self.pending_reasons(),
            "entities": [e.as_dict() for e in self.entities],
            "tables": self.tables,
        }


@dataclass
class Reconciliation:
    """The whole verification: every site, the target and its encryption verdict."""

    target_server: str = ""
    target_schema: str = ""
    encryption: dict[str, Any] = field(default_factory=dict)
    sites: list[SiteCheck] = field(default_factory=list)
    started_at: str = ""
    seconds: float = 0.0
    sample: int = 0
    accepted_pending: bool = False  # `--accept-pending`: pending rows signed off (recorded)
    # Who ran it with what, for a sign-off (#24 item 1): version, operator, project file and
    # its sha256, the target's host:port/database. Names and paths, never a secret.
    provenance: dict[str, str] = field(default_factory=dict)

    def mismatched(self) -> int:
        """Return every site's mismatches."""
        return sum(site.mismatched() for site in self.sites)

    def pending(self) -> int:
        """Return every site's pending rows."""
        return sum(site.pending() for site in self.sites)

    def state(self) -> str:
        """Return the overall verdict: the worst of the sites' (mismatch, pending, reconciled)."""
        states = {site.state() for site in self.sites}
        return next((s for s in (MISMATCH, PENDING) if s in states), RECONCILED)

    def ok(self) -> bool:
        """Return whether the verdict signs off: reconciled, or pending and accepted."""
        state = self.state()
        return state == RECONCILED or (state == PENDING and self.accepted_pending)

    def pending_sites(self) -> list[str]:
        """Return the sites whose verdict is pending."""
        return [site.site for site in self.sites if site.state() == PENDING]

    def as_dict(self) -> dict[str, Any]:
        """Return the documented JSON shape (docs/verify.md)."""
        return {
            "format": "pseamigrate-verify/1",
            "ok": self.ok(),
            "state": self.state(),
            "mismatched": self.mismatched(),
            "pending": self.pending(),
            "accepted_pending": self.accepted_pending,
            "target_server": self.target_server,
            "target_schema": self.target_schema,
            "encryption": self.encryption,
            "started_at": self.started_at,
            "provenance": self.provenance,
            "seconds": round(self.seconds, 3),
            "sample": self.sample,
            "sites": [site.as_dict() for site in self.sites],
        }
