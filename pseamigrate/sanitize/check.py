"""`pseamigrate sanitize --check`: the test target against the target, row by row.

Counts and ids must match table by table, references must point at the same ids, and no value of
a personal or sensitive column may equal its production value. Reports table and column names
and counts, never values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, MetaData

from pseamigrate import db
from pseamigrate.config import Settings
from pseamigrate.errors import ConfigError
from pseamigrate.sanitize.run import SKIPPED_TABLES, _batches
from pseamigrate.target import model as cm
from pseamigrate.target.schema import build_metadata
from pseamigrate.target.sensitivity import classify

HIDDEN = {"personal", "email", "sensitive", "password", "filename", "uri", "json"}


@dataclass
class SanitizedCheck:
    """Per table: rows on each side, and what disagrees (names and counts only)."""

    rows: dict[str, tuple[int, int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return True when counts, ids and references match and nothing leaked."""
        return not self.problems


def check_sanitized(settings: Settings, model: cm.CanonicalModel | None = None) -> SanitizedCheck:
    """Compare the test target with the target (see the module docstring)."""
    if settings.test_target is None:
        raise ConfigError(f"{settings.path}: no 'test_target' section")
    canonical = model or cm.load_model()
    metadata = build_metadata(canonical)
    kinds = classify(metadata, canonical)
    result = SanitizedCheck()
    with (
        db.engine(settings.target_connection().resolve(), "the target") as source,
        db.engine(settings.test_target.resolve(), "the test target") as test,
    ):
        for table in metadata.sorted_tables:
            if table.name not in SKIPPED_TABLES:
                _compare(source, test, metadata, table.name, kinds[table.name], result)
    return result


def _compare(
    source: Engine,
    test: Engine,
    metadata: MetaData,
    name: str,
    kinds: dict[str, str],
    result: SanitizedCheck,
) -> None:
    table = metadata.tables[name]
    key = list(table.primary_key.columns)[0]
    references = [c.name for c in table.columns if c.foreign_keys]
    hidden = [c for c, kind in kinds.items() if kind in HIDDEN]
    counts = [0, 0]
    leaks: dict[str, int] = {}
    with source.connect() as a, test.connect() as b:
        mirror = {}
        for batch in _batches(b, table):
            counts[1] += len(batch)
            mirror.update({row[key.name]: row for row in batch})
        for batch in _batches(a, table):
            counts[0] += len(batch)
            for row in batch:
                twin = mirror.pop(row[key.name], None)
                if twin is None:
                    result.problems.append(f"{name}: row {row[key.name]} is missing")
                    continue
                if any(row[r] != twin[r] for r in references):
                    result.problems.append(f"{name}: row {row[key.name]} points elsewhere")
                for column in hidden:
                    if _leaked(row[column], twin[column]):
                        leaks[column] = leaks.get(column, 0) + 1
    result.rows[name] = (counts[0], counts[1])
    if mirror:
        result.problems.append(f"{name}: {len(mirror)} rows the target does not have")
    for column, count in leaks.items():
        result.problems.append(f"{name}.{column}: {count} values equal production's")


def _leaked(production: Any, copy: Any) -> bool:
    """Tell whether a copy still holds a production text: one with a letter or a digit in it,
    at the same place (JSON values are compared leaf by leaf; punctuation alone tells nothing)."""
    if isinstance(production, dict) and isinstance(copy, dict):
        return any(_leaked(v, copy.get(k)) for k, v in production.items())
    if isinstance(production, list) and isinstance(copy, list):
        return any(_leaked(a, b) for a, b in zip(production, copy, strict=False))
    if isinstance(production, str) and isinstance(copy, str) and production.startswith(("{", "[")):
        try:
            return _leaked(json.loads(production), json.loads(copy))
        except ValueError:
            pass
    text = str(production) if production is not None else ""
    return any(c.isalnum() for c in text) and production == copy and isinstance(production, str)
