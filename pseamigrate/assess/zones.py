"""The site's time zone and the date columns it decides (#22): a visible decision, not a default.

A Unix time is a moment; the calendar date it falls on depends on the zone. The run turns Unix
times into `date` columns in the site's own time zone unless the mapping names another
(pseamigrate/mapping/zones.py); this finding says which zone that is, where the site says it, and
which columns it applies to. Names only, no values.
"""

from __future__ import annotations

from collections.abc import Iterator

from pseamigrate.assess.context import SiteContext
from pseamigrate.assess.findings import Finding
from pseamigrate.mapping.zones import unix_dates

DATETIME_NOTE = "datetime columns (created_at, changed_at…) hold UTC"


def timezone_findings(ctx: SiteContext) -> Iterator[Finding]:
    """Say the site's time zone and the date columns whose Unix times become dates in it."""
    zone = ctx.model.timezone
    columns, elsewhere = _columns(ctx)
    said = f"time zone {zone.name} ({zone.note or zone.setting})"
    if ctx.view.mapping is None:
        message = f"{said}; no mapping yet to say which date columns it decides"
    elif columns or elsewhere:
        message = f"{said}; Unix times become dates in it in {len(columns)} column(s)"
        if elsewhere:
            message += f"; in another zone in {', '.join(elsewhere)}"
    else:
        message = f"{said}; the mapping turns no Unix time into a date column"
    unset = bool(zone.note) and bool(columns)
    yield Finding(
        ctx.name,
        "timezone",
        "warning" if unset or elsewhere else "info",
        "site",
        message,
        len(columns),
        tuple(columns),
        _action(unset, bool(elsewhere)),
    )


def _columns(ctx: SiteContext) -> tuple[list[str], list[str]]:
    """Return the `entity.column`s converted in the site's zone, and those the mapping converts
    in another zone (`entity.column zone`)."""
    mapping, site_zone = ctx.view.mapping, ctx.model.timezone.name
    if mapping is None:
        return [], []
    inside: list[str] = []
    elsewhere: list[str] = []
    for em in mapping.entities:
        for found in unix_dates(em, ctx.view.model.entities.get(em.destination)):
            name = f"{em.destination}.{found.column}"
            if found.zone in (None, site_zone):
                inside.append(name)
            else:
                elsewhere.append(f"{name} {found.zone}")
    return sorted(set(inside)), sorted(set(elsewhere))


def _action(unset: bool, elsewhere: bool) -> str:
    if unset:
        return (
            "the site names no time zone: find the one it showed dates in and write it as "
            f"to_timezone in the mapping; {DATETIME_NOTE}"
        )
    if elsewhere:
        return f"check that these columns should not use the site's zone; {DATETIME_NOTE}"
    return f"dates are written as the site shows them; {DATETIME_NOTE}"
