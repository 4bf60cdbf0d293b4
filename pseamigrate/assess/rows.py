"""`assess` judges rows as `mappings check` does: by the same row pass (`migrate/rehearse.py`).

With a mapping that loads, assess runs `check_opened` on the site it already has open: the
mapping against the content model, then every source row through the run's own transforms (the
dry run without a target). What check rejects is a blocker here, with the same ids — a problem
of the mapping (`mapping_check`), a row the run would fail (`row_fails`) — so assess can no
longer say "0 blockers" about a mapping that check fails. The value checks of `content.py` are
then judged by the same pass (`judge`): a finding whose rows the pass fails is a blocker; a date
finding whose rows the pass migrates is not, whatever the mapping's step looks like.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from sqlalchemy.exc import DBAPIError

from pseamigrate.assess.findings import Finding
from pseamigrate.config import SiteSettings
from pseamigrate.db import describe_db_error
from pseamigrate.drupal.read import DrupalSite
from pseamigrate.mapping.commands import CONTENT_MODEL, ROWS, SiteCheck
from pseamigrate.mapping.model import SiteMapping
from pseamigrate.migrate.items import FAILED, Item
from pseamigrate.migrate.plan import Step
from pseamigrate.migrate.rehearse import check_opened
from pseamigrate.target.model import CanonicalModel
from pseamigrate.yamldoc import Problem

# Findings whose fate the row pass decides both ways: the run's transforms are what reads these
# values (a format_date, a lookup). Others (a long text) are only made blockers by it: a column
# too small for a value is the target's matter, which a pass without a target cannot see.
JUDGED_BOTH_WAYS = ("unparseable_date", "dangling_reference")


@dataclass
class RowPass:
    """What check found on one site: its verdict, and per source entity (`node:complaint`) the
    rows the pass failed, with the first reason of each."""

    checked: SiteCheck
    failed: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def ran(self) -> bool:
        """Tell whether the rows were run (not stopped by problems of the mapping first)."""
        return self.checked.scope == ROWS

    def failing(self, entity: str, ids: tuple[int | str, ...]) -> dict[str, str]:
        """Return, of `ids`, those the pass failed in `entity`, with their reasons."""
        failed = self.failed.get(entity, {})
        return {str(i): failed[str(i)] for i in ids if str(i) in failed}


def row_pass(
    opened: DrupalSite, site: SiteSettings, mapping: SiteMapping, model: CanonicalModel
) -> RowPass:
    """Run check's row pass on an opened site, keeping every failed row's first reason."""
    failed: dict[str, dict[str, str]] = {}

    def watch(_step: Step, item: Item) -> None:
        if item.status == FAILED:
            reason = next((text for level, text in item.messages if level == "error"), "")
            failed.setdefault(item.source_entity, {}).setdefault(item.source_id, reason)

    path = str(site.mapping)
    try:
        checked = check_opened(opened, site, mapping, model, path, watch)
    except DBAPIError as exc:  # the rows cannot be read as the run reads them: check stops too
        why = f"the rows could not be read as the run reads them ({describe_db_error(exc)})"
        problem = Problem(path, 0, "rows", why)
        checked = SiteCheck(mapping.site, path, (problem,), scope=CONTENT_MODEL, note=why)
    return RowPass(checked, failed)


def check_findings(name: str, rows: RowPass) -> list[Finding]:
    """Return what check rejects as blockers: each problem of the mapping, and each reason rows
    fail with every source id (the decisions check names come as `undecided_values`)."""
    checked = rows.checked
    found = []
    if not rows.ran:  # problems of the mapping stopped check before the rows
        for problem in checked.problems:
            found.append(
                Finding(
                    name,
                    "mapping_check",
                    "blocker",
                    problem.path,
                    problem.message,
                    1,
                    (),
                    f"mappings check fails on it ({problem.file}:{problem.line}); the rows "
                    f"were not run: fix it, then pseamigrate mappings check {name}",
                )
            )
    for failure in checked.failures:
        where = " ".join(filter(None, (failure.step, failure.column)))
        found.append(
            Finding(
                name,
                "row_fails",
                "blocker",
                f"{failure.entity} {failure.column}".strip(),
                f"{len(failure.ids)} {where} row(s) would fail: {failure.reason}",
                len(failure.ids),
                failure.ids,
                "the run fails these rows, as mappings check and migrate --dry-run name them: "
                f"see pseamigrate mappings check {name}",
            )
        )
    return found


def judge(finding: Finding, entity: str, rows: RowPass | None) -> Finding:
    """Judge a value finding about rows of `entity` (`node:complaint`) by the row pass: a
    blocker when the pass fails any of its rows; for the findings the pass decides both ways, no
    blocker when it fails none of them (the mapping handles them, as the run will)."""
    if rows is None or not rows.ran:
        return finding
    failing = rows.failing(entity, finding.ids)
    if failing:
        reasons = sorted(set(failing.values()))
        action = (
            f"{finding.action}. The run's own transforms fail {len(failing)} of these rows "
            f"({'; '.join(reasons)}), as mappings check names them"
        )
        return dataclasses.replace(finding, severity="blocker", action=action)
    if finding.severity == "blocker" and finding.check in JUDGED_BOTH_WAYS:
        action = (
            f"{finding.action}. The run's own transforms (as migrate --dry-run) fail none of "
            "these rows: the mapping handles them"
        )
        return dataclasses.replace(finding, severity="warning", action=action)
    return finding
