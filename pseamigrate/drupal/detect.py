"""Tell which Drupal a database holds (7, or 8 and later with its major), with a table prefix.

Drupal 7 keeps module schema versions in `system.schema_version`; Drupal 8+ keeps them
PHP-serialized in `key_value` (collection `system.schema`). Core modules' update numbers carry
the major version (`system` 8901 on 9.4, 10201 on 10.3, 11300 on 11.3), so the highest one among
core modules tells the major as far as the database can.
"""

from __future__ import annotations

from dataclasses import dataclass

from pseamigrate.drupal import phpdata
from pseamigrate.drupal.model import DrupalMajor, Layout
from pseamigrate.drupal.source import Source
from pseamigrate.errors import CorruptSerializedData, DrupalReadError, NotDrupal

D7_MARKERS = ("system", "variable", "field_config", "node")
D8_MARKERS = ("key_value", "config", "node_field_data")
CORE_MODULES = (
    "system",
    "user",
    "node",
    "field",
    "taxonomy",
    "file",
    "text",
    "comment",
    "block",
    "block_content",
    "views",
    "locale",
    "language",
    "filter",
    "dblog",
    "help",
    "path_alias",
)


@dataclass(frozen=True)
class Detected:
    """What detection found: the schema family and the major version."""

    layout: Layout
    version: DrupalMajor


def detect(source: Source, where: str) -> Detected:
    """Return the layout and major version, or raise `NotDrupal` naming the tables looked for."""
    if all(source.has(t) for t in D8_MARKERS):
        return Detected("d8", _d8_major(source))
    if all(source.has(t) for t in D7_MARKERS):
        return Detected("d7", _d7_major(source))
    looked = [
        " + ".join(source.name(t) for t in D7_MARKERS) + " (Drupal 7)",
        " + ".join(source.name(t) for t in D8_MARKERS) + " (Drupal 8+)",
    ]
    raise NotDrupal(where, looked)


def _d7_major(source: Source) -> DrupalMajor:
    value = source.scalar(f"SELECT schema_version FROM {source.q('system')} WHERE name = 'system'")
    if value is not None and 0 < int(value) < 7000:
        raise DrupalReadError(f"Drupal {int(value) // 1000} is not supported (only 7 and 8+)")
    return 7


def _d8_major(source: Source) -> DrupalMajor:
    rows = source.rows(
        f"SELECT name, value FROM {source.q('key_value')} WHERE collection = 'system.schema'"
    )
    numbers = []
    for row in rows:
        if row["name"] not in CORE_MODULES:
            continue
        try:
            value = phpdata.loads(row["value"])
        except CorruptSerializedData:
            continue
        if isinstance(value, int):
            numbers.append(value)
    major = max((n // 1000 for n in numbers if n >= 8000), default=8)
    return _clamp(major)


def _clamp(major: int) -> DrupalMajor:
    if major <= 8:
        return 8
    if major == 9:
        return 9
    if major == 10:
        return 10
    return 11
