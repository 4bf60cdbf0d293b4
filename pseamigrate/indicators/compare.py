"""`indicators --compare`: the same indicators from each source site, through its mapping.

Each site's records of the indicator's entity are read as migrate reads them and put through
the mapping's pipelines of the columns the indicator uses (its dimension, the columns it adds
up, its period date), with the site's time zone applied to Unix times as the run does
(`site_dated`). Rows the mapping skips or fails are not counted: they are not in the target
either (migrate and verify report them). The counts are compared with the target's,
unsuppressed; a difference names the indicator, the tenant and the cell, never a count.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from pseamigrate.config import Settings, SiteSettings
from pseamigrate.db import engine, reading
from pseamigrate.drupal import open_site
from pseamigrate.drupal.read import DrupalSite
from pseamigrate.errors import ConfigError, UnmappedValue
from pseamigrate.indicators.compute import NOT_RECORDED, IndicatorReport, Period
from pseamigrate.indicators.spec import Indicator
from pseamigrate.mapping.load import load_mapping
from pseamigrate.mapping.model import EntityMapping
from pseamigrate.mapping.zones import site_dated
from pseamigrate.target.model import CanonicalModel, load_model
from pseamigrate.transform.process import Context, SkipRow, transform_row
from pseamigrate.transform.rows import source_row


@dataclass(frozen=True)
class Difference:
    """One cell whose count differs between the sources and the target."""

    indicator: str
    tenant: str
    label: str

    def as_dict(self) -> dict[str, str]:
        """Return the difference for `--json`."""
        return {"indicator": self.indicator, "tenant": self.tenant, "cell": self.label}


def compare_with_sources(
    settings: Settings, names: list[str], report: IndicatorReport
) -> list[Difference]:
    """Compute every indicator of `report` from the named sites and list the differing cells."""
    model = load_model(settings.model)
    differences = []
    for name in names or list(settings.sites):
        site = settings.site(name)
        source = _site_counts(site, model, [t.indicator for t in report.tables], report)
        for indicator, counts in source.items():
            target = {
                label: n
                for (tenant, label), n in report.raw[indicator].items()
                if tenant == site.tenant
            }
            for label in sorted(set(counts) | set(target)):
                if counts.get(label, 0) != target.get(label, 0):
                    differences.append(Difference(indicator, site.tenant, label))
    return differences


def _site_counts(
    site: SiteSettings, model: CanonicalModel, indicators: list[Indicator], report: IndicatorReport
) -> dict[str, Counter[str]]:
    if site.mapping is None:
        raise ConfigError(f"site {site.name!r} has no 'mapping:' in the project file")
    mapping = load_mapping(site.mapping)
    where = f"site {site.name!r}"
    with (
        engine(reading(site.connection.resolve()), where) as source,
        open_site(source, site.table_prefix, where=where) as opened,
    ):
        return {
            indicator.name: _count(
                opened, mapping.entities, model, indicator, report.options.period
            )
            for indicator in indicators
        }


def _count(
    opened: DrupalSite,
    mappings: tuple[EntityMapping, ...],
    model: CanonicalModel,
    indicator: Indicator,
    period: Period | None,
) -> Counter[str]:
    """Return {label: count} of one indicator over one site's records."""
    em = next((m for m in mappings if m.destination == indicator.entity), None)
    if em is None:
        return Counter()
    wanted = {indicator.by_column, indicator.period_column, *indicator.summed}
    narrowed = dataclasses.replace(
        em, process=tuple(f for f in em.process if f.destination in wanted)
    )
    dated = site_dated(narrowed, model.entities[indicator.entity], opened.model.timezone.name)
    counts: Counter[str] = Counter()
    for batch in opened.iter_entities(em.bundle):
        for record in batch:
            row = _transformed(dated, source_row(record, opened.model))
            if row is None or not _in_period(row.get(indicator.period_column), period):
                continue
            value = sum(int(row.get(c) or 0) for c in indicator.summed) if indicator.summed else 1
            counts[_label(indicator, row.get(indicator.by_column))] += value
    return counts


def _transformed(em: EntityMapping, row: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return transform_row(em, row, Context())
    except (SkipRow, UnmappedValue, ValueError, TypeError, OverflowError):
        return None  # not in the target either: migrate reports the row


def _in_period(value: Any, period: Period | None) -> bool:
    if period is None:
        return True
    if value in (None, ""):
        return False
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return period.start <= day <= period.end


def _label(indicator: Indicator, value: Any) -> str:
    """The label of a transformed value, as the target's query gives it (compute._label)."""
    if value is None or value == "":
        return NOT_RECORDED
    if indicator.by_kind == "month":
        return str(value)[:7]
    if not indicator.by_values:  # a boolean
        return "yes" if value not in (False, 0, "0") else "no"
    return str(value)
