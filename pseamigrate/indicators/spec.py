"""The indicator set: `data/indicators/crp.yaml` read and checked against the canonical model.

Every problem is reported with its file and line (yamldoc), all at once. What the checks
guarantee is what makes an indicator safe to publish: it counts rows (or adds up integer
columns) of a model entity, grouped by the month of a date column or by a coded column (a list
of `values`) or a boolean, so no output cell can carry free text, a name or a case code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pseamigrate.errors import ProblemsError
from pseamigrate.resources import data_path
from pseamigrate.target.model import CanonicalModel, Column, Entity
from pseamigrate.yamldoc import (
    LocDict,
    LocList,
    Problem,
    YamlSyntaxError,
    duplicate_problems,
    load_located,
    unknown_keys,
)

DEFAULT_SET = data_path("indicators", "crp.yaml")
UNITS = ("cases", "people", "sessions")
SUPPRESSED_UNITS = {"cases", "people"}  # a cell of sessions names nobody
INDICATOR_KEYS = {"title", "entity", "unit", "count", "by", "period", "description"}


@dataclass(frozen=True)
class Indicator:
    """One indicator: what it counts in which entity, grouped by what."""

    name: str
    title: str
    entity: str
    table: str
    unit: str
    by_kind: str  # "month" or "column"
    by_column: str
    by_values: tuple[str, ...]  # the labels of a coded column, in the model's order
    period_column: str
    summed: tuple[str, ...] = ()  # empty: count rows

    @property
    def suppressed(self) -> bool:
        """Whether small cells of this indicator are hidden (it counts cases or people)."""
        return self.unit in SUPPRESSED_UNITS


def load_indicators(model: CanonicalModel, path: Path | None = None) -> list[Indicator]:
    """Load and check the indicator set; raise `ProblemsError` listing every problem."""
    path = path or DEFAULT_SET
    try:
        doc = load_located(path)
    except OSError as exc:
        raise ProblemsError(
            "indicator set", [Problem(str(path), 1, "", exc.strerror or "")]
        ) from None
    except YamlSyntaxError as exc:
        raise ProblemsError("indicator set", [exc.problem]) from None
    problems = duplicate_problems(doc)
    found = _parse(doc, model, str(path), problems)
    if problems:
        raise ProblemsError("indicator set", problems)
    return found


def _parse(
    doc: object, model: CanonicalModel, file: str, problems: list[Problem]
) -> list[Indicator]:
    if not isinstance(doc, LocDict) or doc.get("version") != 1:
        problems.append(
            Problem(file, getattr(doc, "line", 1), "", "expected a mapping with version: 1")
        )
        return []
    problems += unknown_keys(doc, {"version", "indicators", "description"})
    entries = doc.get("indicators")
    if not isinstance(entries, LocDict) or not entries:
        problems.append(
            Problem(file, doc.key_line("indicators"), "indicators", "expected a mapping")
        )
        return []
    found = []
    for name, entry in entries.items():
        where = Problem(file, entries.key_line(name), f"indicators.{name}", "")
        indicator = _indicator(str(name), entry, model, where, problems)
        if indicator is not None:
            found.append(indicator)
    return found


def _indicator(
    name: str, entry: object, model: CanonicalModel, where: Problem, problems: list[Problem]
) -> Indicator | None:
    """Return one indicator, or None after adding its problems."""
    before = len(problems)
    if not isinstance(entry, LocDict):
        problems.append(_at(where, "expected a mapping"))
        return None
    problems += unknown_keys(entry, INDICATOR_KEYS, where.path)
    entity = model.entities.get(str(entry.get("entity")))
    if entity is None:
        problems.append(_at(where, f"unknown entity {entry.get('entity')!r}", entry, "entity"))
        return None
    unit = entry.get("unit")
    if unit not in UNITS:
        problems.append(_at(where, f"unit must be one of {', '.join(UNITS)}", entry, "unit"))
    summed = _summed(entry, entity, where, problems)
    by_kind, by_column = _by(entry, entity, where, problems)
    period = entry.get("period")
    if _date_column(entity, period) is None:
        problems.append(_at(where, f"period {period!r} is not a date column", entry, "period"))
    if len(problems) > before:
        return None
    column = entity.column(by_column)
    assert column is not None  # checked by _by
    labels = column.values if by_kind == "column" else ()
    return Indicator(
        name, str(entry.get("title") or name), entity.name, entity.table, str(unit),
        by_kind, by_column, labels, str(period), summed,
    )  # fmt: skip


def _summed(
    entry: LocDict, entity: Entity, where: Problem, problems: list[Problem]
) -> tuple[str, ...]:
    """Return the integer columns to add up (empty: count rows)."""
    count = entry.get("count", "rows")
    if count == "rows":
        return ()
    if not isinstance(count, LocList) or not count:
        problems.append(_at(where, "count must be `rows` or a list of columns", entry, "count"))
        return ()
    for name in count:
        column = entity.column(str(name))
        if column is None or column.type != "integer" or column.sensitivity != "public":
            problems.append(_at(where, f"{name!r} is not a public integer column", entry, "count"))
    return tuple(str(name) for name in count)


def _by(entry: LocDict, entity: Entity, where: Problem, problems: list[Problem]) -> tuple[str, str]:
    """Return how the indicator groups its rows: ("month", date column) or ("column", coded)."""
    by = entry.get("by")
    if not isinstance(by, LocDict) or len(by) != 1 or next(iter(by)) not in ("month", "column"):
        problems.append(
            _at(where, "by must be {month: DATE_COLUMN} or {column: COLUMN}", entry, "by")
        )
        return "", ""
    kind, name = next(iter(by.items()))
    if kind == "month" and _date_column(entity, name) is None:
        problems.append(_at(where, f"{name!r} is not a date column of {entity.name}", entry, "by"))
    if kind == "column" and not _is_dimension(entity.column(str(name))):
        message = f"{name!r} is not a public coded (values) or boolean column of {entity.name}"
        problems.append(_at(where, message, entry, "by"))
    return str(kind), str(name)


def _is_dimension(column: Column | None) -> bool:
    """Whether grouping by `column` can only print labels: a coded list or a boolean."""
    if column is None or column.sensitivity != "public":
        return False
    return column.type == "boolean" or (column.type == "string" and bool(column.values))


def _date_column(entity: Entity, name: object) -> Column | None:
    column = entity.column(str(name))
    return column if column is not None and column.type == "date" else None


def _at(where: Problem, message: str, entry: LocDict | None = None, key: str = "") -> Problem:
    line = entry.key_line(key) if entry is not None and key else where.line
    return Problem(where.file, line, f"{where.path}.{key}" if key else where.path, message)
