"""Time zones of dates (#22): a Unix time is a moment; the calendar date it falls on is not.

Drupal shows a site's dates in the site's own time zone (Drupal 7 `date_default_timezone`, 8+
config `system.date`; read into `SiteModel.timezone`). A complaint received at 01:30 in Baghdad
is, in UTC, received the day before. So a `format_date` that turns a Unix time (`from_format: U`)
into a `date` column and does not say `to_timezone` converts in the site's time zone, read from
the site whenever the mapping runs: `migrate`, `--dry-run`, `mappings check` and `assess` all read
the same setting, so they agree. Every other conversion keeps Drupal Migrate's default (UTC), and
`datetime` columns hold UTC (docs/schema.md).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pseamigrate.mapping.model import EntityMapping, ProcessField, Step
from pseamigrate.memo import IdentityCache
from pseamigrate.target.model import Child, Column, Entity

UNIX_TIME = "U"  # the PHP date() format of a Unix timestamp
TIMEZONE_OPTIONS = ("from_timezone", "to_timezone")


@dataclass(frozen=True)
class UnixDate:
    """A `format_date` step that turns Unix times into calendar dates of a `date` column."""

    column: str  # the destination: `date_received`, or `child.column` inside a sub_process
    step: Step
    zone: str | None  # the step's own `to_timezone`; None: the site's time zone


def zone_shown(value: object) -> str:
    """Return a time zone name from a file for a message when it looks like one (`Area/City`),
    else say it is none: a message must not carry arbitrary file content."""
    text = str(value)
    return text if _ZONE_NAME.fullmatch(text) else "(not a zone name)"


_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+-]{0,30}(/[A-Za-z0-9_+-]{1,30}){0,2}")


def is_zone(name: object) -> bool:
    """Tell whether `name` is a time zone name this machine knows (`Asia/Baghdad`, `UTC`)."""
    if not isinstance(name, str) or not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def reads_unix_time(step: Step) -> bool:
    """Tell whether a `format_date` step reads Unix times (`U`, alone or among its formats)."""
    if step.plugin != "format_date":
        return False
    formats = step.options.get("from_format")
    return formats == UNIX_TIME or (isinstance(formats, list | tuple) and UNIX_TIME in formats)


def unix_dates(em: EntityMapping, entity: Entity | None) -> list[UnixDate]:
    """Return the steps of `em` that turn Unix times into `date` columns of `entity`."""
    if entity is None:
        return []
    found: list[UnixDate] = []
    for pf in em.process:
        child = entity.child(pf.destination)
        if child is not None:
            found += _in_child(pf, child)
        else:
            found += _unix_steps(pf, entity.column(pf.destination), pf.destination)
    return found


def _in_child(pf: ProcessField, child: Child) -> Iterator[UnixDate]:
    for step in pf.steps:
        for inner in step.process:
            column = next((c for c in child.columns if c.name == inner.destination), None)
            yield from _unix_steps(inner, column, f"{child.name}.{inner.destination}")


def _unix_steps(pf: ProcessField, column: Column | None, name: str) -> Iterator[UnixDate]:
    if column is None or column.type != "date":
        return
    for step in pf.steps:
        if reads_unix_time(step):
            zone = step.options.get("to_timezone")
            yield UnixDate(name, step, str(zone) if zone is not None else None)


def in_site_timezone(em: EntityMapping, entity: Entity | None, zone: str) -> EntityMapping:
    """Return `em` with the site's time zone as `to_timezone` of every step that turns Unix
    times into dates without naming one (`em` itself when there is none)."""
    implicit = {id(found.step) for found in unix_dates(em, entity) if found.zone is None}
    if not implicit:
        return em
    process = tuple(_zoned(pf, implicit, zone) for pf in em.process)
    return dataclasses.replace(em, process=process)


def _zoned(pf: ProcessField, implicit: set[int], zone: str) -> ProcessField:
    steps = []
    for step in pf.steps:
        if id(step) in implicit:
            step = dataclasses.replace(step, options={**step.options, "to_timezone": zone})
        elif step.process:
            inner = tuple(_zoned(p, implicit, zone) for p in step.process)
            step = dataclasses.replace(step, process=inner)
        steps.append(step)
    return dataclasses.replace(pf, steps=tuple(steps))


def _by_zone(_em: EntityMapping) -> dict[tuple[str, str], EntityMapping]:
    return {}


# Zoned once per entity mapping (and entity, zone), not per row.
_zoned_mappings: IdentityCache[EntityMapping, dict[tuple[str, str], EntityMapping]] = IdentityCache(
    _by_zone
)


def site_dated(em: EntityMapping, entity: Entity | None, zone: str) -> EntityMapping:
    """`in_site_timezone`, computed once per entity mapping, entity and zone."""
    known = _zoned_mappings(em)
    key = (entity.name if entity is not None else "", zone)
    if key not in known:
        known[key] = in_site_timezone(em, entity, zone)
    return known[key]
