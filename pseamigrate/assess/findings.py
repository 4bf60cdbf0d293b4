"""What `assess` reports: findings with a severity, a count, the ids involved and the action.

A finding never carries a value from the data: ids (node, term, user, file ids; table and field
names), counts and sizes only. A finding carries every id it is about (JSON and HTML list them
all); the terminal shows the first `MAX_IDS` and says how many more.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["blocker", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("blocker", "warning", "info")
MAX_IDS = 20  # ids the terminal shows per finding
ASSESS_FORMAT = 1


@dataclass(frozen=True)
class Finding:
    """One thing a migration will meet, found in one site (or across sites when `site` is '*')."""

    site: str
    check: str  # e.g. dangling_reference, unparseable_date, long_text
    severity: Severity
    subject: str  # where: `referral.field_complaint_ref`, a table, `users`
    message: str  # what was found: counts and names only
    count: int
    ids: tuple[int | str, ...] = ()  # every one
    action: str = ""  # what the migration does about it under the current mapping

    def as_dict(self) -> dict[str, Any]:
        """Return the finding as JSON-ready data."""
        return {
            "site": self.site,
            "check": self.check,
            "severity": self.severity,
            "subject": self.subject,
            "message": self.message,
            "count": self.count,
            "ids": list(self.ids),
            "ids_shown": len(self.ids),  # every id since format 1's cap was lifted (#22)
            "action": self.action,
        }


def capped(ids: Iterable[int | str]) -> tuple[int | str, ...]:
    """Return the ids, in the order given: every one (the terminal abbreviates, not the data)."""
    return tuple(ids)


@dataclass
class SiteAssessment:
    """Every finding of one site, with what the site is (layout, Drupal version)."""

    site: str
    layout: str
    drupal_version: int
    mapping: str | None
    findings: list[Finding] = field(default_factory=list)
    timezone: str = ""  # the zone Unix times become dates in (#22; finding `timezone` says more)

    def add(self, finding: Finding | None) -> None:
        """Keep a finding (None: the check found nothing)."""
        if finding is not None:
            self.findings.append(finding)


@dataclass
class Assessment:
    """The whole report: each site, then what the sites share (identities)."""

    sites: list[SiteAssessment]
    shared: list[Finding] = field(default_factory=list)

    def all_findings(self) -> list[Finding]:
        """Return every finding, sites first, blockers first within each."""
        order = {name: i for i, name in enumerate(SEVERITIES)}
        found = [f for s in self.sites for f in s.findings] + self.shared
        return sorted(found, key=lambda f: order[f.severity])

    def counts(self) -> dict[str, int]:
        """Count findings by severity."""
        found = [f for s in self.sites for f in s.findings] + self.shared
        return {name: sum(1 for f in found if f.severity == name) for name in SEVERITIES}

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data (the `assess --json` shape, docs/assess.md)."""
        return {
            "format": ASSESS_FORMAT,
            "counts": self.counts(),
            "sites": [
                {
                    "site": s.site,
                    "layout": s.layout,
                    "drupal_version": s.drupal_version,
                    "mapping": s.mapping,
                    "timezone": s.timezone,
                    "findings": [f.as_dict() for f in _ordered(s.findings)],
                }
                for s in self.sites
            ],
            "shared": [f.as_dict() for f in _ordered(self.shared)],
        }


def _ordered(findings: Sequence[Finding]) -> list[Finding]:
    order = {name: i for i, name in enumerate(SEVERITIES)}
    return sorted(findings, key=lambda f: (order[f.severity], f.check, f.subject))
