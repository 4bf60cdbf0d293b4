"""`pseamigrate indicators`: compute the indicator set over the target, per tenant and across.

One grouped query per indicator (SQLAlchemy Core, the same on MySQL and MariaDB) returns counts
per tenant and label; the counts become a grid with its margins, which disclosure control
(`suppress.py`) masks before anything leaves this module unless the caller asked for the raw
numbers of a single tenant. The target must be encrypted unless the override, recorded in the
result like verify's report does. Nothing is written; only counts and dimension labels leave.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, case, func, literal, select
from sqlalchemy.engine import Connection

from pseamigrate.config import Settings
from pseamigrate.db import connection, server_version
from pseamigrate.encryption import require_encrypted_target
from pseamigrate.errors import ConfigError, UsageProblem
from pseamigrate.indicators.spec import Indicator, load_indicators
from pseamigrate.indicators.suppress import (
    DEFAULT_THRESHOLD,
    published,
    suppression_mask,
    with_margins,
)
from pseamigrate.target.model import load_model
from pseamigrate.target.schema import build_metadata
from pseamigrate.target.writer import find_tenant

ALL_TENANTS = "all tenants"
TOTAL = "total"
NOT_RECORDED = "not recorded"
_PERIOD_END = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")


@dataclass(frozen=True)
class Period:
    """The inclusive range of dates `--period FROM..TO` selects."""

    start: dt.date
    end: dt.date

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


@dataclass(frozen=True)
class IndicatorOptions:
    """Which period, which threshold, and the two overrides (each recorded in the output)."""

    period: Period | None = None
    threshold: int = DEFAULT_THRESHOLD
    suppression: bool = True
    allow_plaintext: bool = False


@dataclass(frozen=True)
class IndicatorTable:
    """One indicator as published: rows (tenants, then all tenants) × labels and a total."""

    indicator: Indicator
    rows: list[str]
    labels: list[str]
    cells: list[list[int | None]]  # None: suppressed; the last column holds the row totals
    suppressed: int

    def as_dict(self) -> dict[str, Any]:
        """Return the table for `--json`."""
        return {
            "name": self.indicator.name,
            "title": self.indicator.title,
            "unit": self.indicator.unit,
            "columns": [*self.labels, TOTAL],
            "rows": [
                {"row": row, "cells": dict(zip([*self.labels, TOTAL], cells, strict=True))}
                for row, cells in zip(self.rows, self.cells, strict=True)
            ],
            "suppressed_cells": self.suppressed,
        }


@dataclass
class IndicatorReport:
    """Every indicator for the chosen tenants, and how they were computed."""

    tenants: list[str]
    options: IndicatorOptions
    target_server: str = ""
    target_schema: str = ""
    tables: list[IndicatorTable] = field(default_factory=list)
    # Unsuppressed counts {indicator: {(tenant code, label): count}}, for `--compare` only:
    # never serialised.
    raw: dict[str, dict[tuple[str, str], int]] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """Return the report for `--json` (counts and labels only)."""
        period = self.options.period
        return {
            "tenants": self.tenants,
            "period": None if period is None else str(period),
            "suppression": {
                "applied": self.options.suppression,
                "threshold": self.options.threshold,
            },
            "allowed_plaintext_target": self.options.allow_plaintext,
            "target": {"server": self.target_server, "schema": self.target_schema},
            "indicators": [table.as_dict() for table in self.tables],
        }


def parse_period(text: str) -> Period:
    """Parse `FROM..TO`, each end `YYYY-MM` or `YYYY-MM-DD` (a month: its first or last day)."""
    start_text, separator, end_text = text.partition("..")
    if not separator:
        raise UsageProblem(f"--period {text!r}: expected FROM..TO, e.g. 2024-01..2024-12")
    period = Period(_period_end(start_text, first=True), _period_end(end_text, first=False))
    if period.start > period.end:
        raise UsageProblem(f"--period {text!r}: FROM is after TO")
    return period


def _period_end(text: str, first: bool) -> dt.date:
    matched = _PERIOD_END.match(text.strip())
    try:
        if matched is None:
            raise ValueError(text)
        year, month, day = int(matched[1]), int(matched[2]), matched[3]
        if day is not None:
            return dt.date(year, month, int(day))
        return dt.date(year, month, 1 if first else calendar.monthrange(year, month)[1])
    except ValueError:
        raise UsageProblem(f"--period: {text!r} is not YYYY-MM or YYYY-MM-DD") from None


def compute_indicators(
    settings: Settings, names: list[str], options: IndicatorOptions = IndicatorOptions()
) -> IndicatorReport:
    """Compute every indicator of the shipped set for the tenants of the named sites (every
    site of the project file when none are named)."""
    settings.require_file()
    tenants = list(dict.fromkeys(settings.site(n).tenant for n in names or list(settings.sites)))
    if not options.suppression and len(tenants) != 1:
        raise UsageProblem("--no-suppression is only for a single tenant's own figures")
    model = load_model(settings.model)
    indicators = load_indicators(model)
    metadata = build_metadata(model)
    url = settings.target_connection().resolve()
    report = IndicatorReport(tenants, options)
    with connection(url, "the target") as conn:
        report.target_server, report.target_schema = server_version(conn), str(url.database)
        if not options.allow_plaintext:
            require_encrypted_target(conn, str(url.database))
        ids = _tenant_ids(conn, metadata.tables["tenants"], tenants)
        for indicator in indicators:
            counts = _counts(conn, metadata.tables[indicator.table], indicator, ids, options)
            report.tables.append(_table(indicator, tenants, ids, counts, options))
            code_of = dict(zip(ids, tenants, strict=True))
            report.raw[indicator.name] = {
                (code_of[t], label): n for (t, label), n in counts.items()
            }
    return report


def _tenant_ids(conn: Connection, tenants: Table, codes: list[str]) -> list[int]:
    ids = [find_tenant(conn, tenants, code) for code in codes]
    missing = [code for code, found in zip(codes, ids, strict=True) if found is None]
    if missing:
        raise ConfigError(f"no tenant {', '.join(missing)} in the target: migrate it first")
    return [found for found in ids if found is not None]


def _counts(
    conn: Connection, table: Table, indicator: Indicator, ids: list[int], options: IndicatorOptions
) -> dict[tuple[int, str], int]:
    """Return {(tenant id, label): count} from one grouped query."""
    label = _label(table, indicator)
    value = func.count() if not indicator.summed else func.sum(_summed(table, indicator))
    conditions: list[ColumnElement[bool]] = [table.c.tenant_id.in_(ids)]
    if options.period is not None:
        dated = table.c[indicator.period_column]
        conditions.append(dated.between(options.period.start, options.period.end))
    query = (
        select(table.c.tenant_id, label.label("label"), value.label("value"))
        .where(and_(*conditions))
        .group_by(table.c.tenant_id, label)
    )
    return {(int(tenant), str(label)): int(v or 0) for tenant, label, v in conn.execute(query)}


def _label(table: Table, indicator: Indicator) -> ColumnElement[Any]:
    """Return the SQL expression of a row's label: its month, its code, yes/no."""
    column = table.c[indicator.by_column]
    if indicator.by_kind == "month":
        return func.coalesce(func.date_format(column, "%Y-%m"), literal(NOT_RECORDED))
    if not indicator.by_values:  # a boolean
        return case((column.is_(None), NOT_RECORDED), (column == 1, "yes"), else_="no")
    return func.coalesce(column, literal(NOT_RECORDED))


def _summed(table: Table, indicator: Indicator) -> ColumnElement[Any]:
    terms = [func.coalesce(table.c[name], 0) for name in indicator.summed]
    total: ColumnElement[Any] = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _table(
    indicator: Indicator,
    tenants: list[str],
    ids: list[int],
    counts: dict[tuple[int, str], int],
    options: IndicatorOptions,
) -> IndicatorTable:
    """Lay the counts out as a grid with margins and mask it (unless told not to)."""
    labels = _labels(indicator, {label for _, label in counts})
    grid = with_margins([[counts.get((i, label), 0) for label in labels] for i in ids])
    hidden: set[tuple[int, int]] = set()
    if options.suppression and indicator.suppressed:
        hidden = suppression_mask(grid, options.threshold)
    rows = [*tenants, *([ALL_TENANTS] if grid.has_total_row else [])]
    return IndicatorTable(indicator, rows, labels, published(grid, hidden), len(hidden))


def _labels(indicator: Indicator, found: set[str]) -> list[str]:
    """Return the columns of the table: every month from the first to the last found, or every
    code of the model's list (then any other value found), then `not recorded` if any."""
    recorded = found - {NOT_RECORDED}
    tail = [NOT_RECORDED] if NOT_RECORDED in found else []
    if indicator.by_kind == "month":
        return [*_months(min(recorded), max(recorded)), *tail] if recorded else tail
    codes = list(indicator.by_values) or ["yes", "no"]
    return [*codes, *sorted(recorded - set(codes)), *tail]


def _months(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    found = []
    while f"{year:04d}-{month:02d}" <= last:
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found
