"""Assess the sites of a project file: connect to each, read through the reader, gather findings.

One site at a time, one connection each; nothing is written anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pseamigrate.assess.content import content_findings
from pseamigrate.assess.context import SiteContext
from pseamigrate.assess.fate import MappingView
from pseamigrate.assess.files import file_findings
from pseamigrate.assess.findings import Assessment, Finding, SiteAssessment
from pseamigrate.assess.identities import Identities, collect, identity_findings
from pseamigrate.assess.rows import check_findings, row_pass
from pseamigrate.assess.structure import structure_findings
from pseamigrate.assess.zones import timezone_findings
from pseamigrate.config import Settings, SiteSettings
from pseamigrate.db import connection, reading, where
from pseamigrate.drupal.facts import site_facts
from pseamigrate.drupal.read import DrupalSite, open_site
from pseamigrate.errors import (
    ConfigError,
    ConnectionFailed,
    DrupalReadError,
    MappingError,
    UnsafeIdentifier,
    VerificationMismatch,
)
from pseamigrate.mapping.load import load_mapping
from pseamigrate.mapping.model import SiteMapping
from pseamigrate.migrate.crosswalk import coded_columns, undecided_message
from pseamigrate.sitefiles import files_root
from pseamigrate.target.model import CanonicalModel, load_model

Say = Callable[[str], None]


def assess_sites(
    settings: Settings,
    names: list[str],
    model: CanonicalModel | None = None,
    say: Say | None = None,
) -> Assessment:
    """Assess the named sites (default: all) and what they share."""
    project = settings.require_file()
    wanted = names or list(settings.sites)
    sites = [settings.site(name) for name in wanted]  # unknown names fail before connecting
    canonical = model or load_model()
    identities = Identities()
    results = []
    for site in sites:
        if say is not None:
            say(f"assessing site {site.name!r}")
        try:
            results.append(assess_site(site, canonical, identities, project))
        except ConnectionFailed:
            raise  # a site it cannot reach is an error with the reason (exit 1), not "Drupal 0"
        except (ConfigError, DrupalReadError, UnsafeIdentifier) as exc:
            # the others go on; a hostile name refuses only its own site
            results.append(_unreadable(site, exc))
    return Assessment(results, list(identity_findings(identities)))


def _unreadable(site: SiteSettings, exc: Exception) -> SiteAssessment:
    """Return a site that could not be read as one blocker naming the reason (no values)."""
    result = SiteAssessment(site.name, "-", 0, str(site.mapping or "") or None)
    result.add(
        Finding(
            site.name,
            "unreadable",
            "blocker",
            "site",
            str(exc),
            1,
            (),
            "nothing of this site can be assessed or migrated until it can be read",
        )
    )
    return result


def assess_site(
    site: SiteSettings,
    model: CanonicalModel,
    identities: Identities,
    project: Path | None = None,
) -> SiteAssessment:
    """Assess one site; add its accounts to `identities` for the cross-site findings."""
    mapping, problem = _mapping(site)
    url = reading(site.connection.resolve())
    at = f"site {site.name!r} at {where(url)}"
    with (
        connection(url, f"site {site.name!r}") as conn,
        open_site(conn, site.table_prefix, where=at) as s,
    ):
        facts = site_facts(s.source, s.model.layout)
        # check's own pass over the rows: its verdict is assess's (rows.py)
        rows = row_pass(s, site, mapping, model) if mapping is not None else None
        ctx = SiteContext(site.name, s, facts, MappingView(mapping, model), rows)
        result = SiteAssessment(
            site.name, s.model.layout, s.model.drupal_version, str(site.mapping or "") or None
        )
        result.timezone = s.model.timezone.name
        result.add(problem)
        result.findings.extend(structure_findings(ctx))
        result.findings.extend(timezone_findings(ctx))
        result.findings.extend(content_findings(ctx))
        if mapping is not None:
            result.findings.extend(_undecided(site.name, s, mapping, model))
        if rows is not None:
            result.findings.extend(check_findings(site.name, rows))
        result.findings.extend(file_findings(ctx, files_root(site, project)))
        collect(ctx, identities)
        return result


def _undecided(
    name: str, opened: DrupalSite, mapping: SiteMapping, model: CanonicalModel
) -> list[Finding]:
    """Name the nodes a required coded column fails, judged by the mapping's own pipeline
    (`migrate.crosswalk`, as `mappings check` and the run do)."""
    found = []
    for coded in coded_columns(opened, mapping, model):
        if not (coded.required and coded.failing()):
            continue
        ids = coded.failing_ids()
        found.append(
            Finding(
                name,
                "undecided_values",
                "blocker",
                f"{coded.bundle}.{coded.source}",
                undecided_message(coded),
                len(ids),
                tuple(ids),
                f"these {coded.bundle} nodes fail the run, with their revisions and notes: "
                f"see pseamigrate mappings values {name} {coded.name}",
            )
        )
    return found


def _mapping(site: SiteSettings) -> tuple[SiteMapping | None, Finding | None]:
    """Load the site's mapping; a missing or broken one is a finding, and assess goes on
    without it."""
    if site.mapping is None or not site.mapping.exists():
        return None, Finding(
            site.name,
            "mapping",
            "info",
            str(site.mapping or "mapping"),
            "no mapping yet: what each field becomes is not known",
            0,
            (),
            f"run pseamigrate mappings scaffold {site.name}",
        )
    try:
        return load_mapping(site.mapping), None
    except MappingError as exc:
        return None, Finding(  # mappings check fails on it: so is it a blocker here (#22)
            site.name,
            "mapping",
            "blocker",
            str(site.mapping),
            f"the mapping does not load ({len(exc.problems)} problem(s)): assessed without it",
            len(exc.problems),
            (),
            "fix it: pseamigrate mappings validate",
        )


def require_no_blockers(assessment: Assessment) -> None:
    """Raise `VerificationMismatch` (exit 3) when any finding is a blocker."""
    blockers = [f for f in assessment.all_findings() if f.severity == "blocker"]
    if blockers:
        named = ", ".join(sorted({f"{f.site} {f.check}" for f in blockers}))
        raise VerificationMismatch(
            f"{len(blockers)} blocker(s) to resolve before migrating: {named}"
        )
