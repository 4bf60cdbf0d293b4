"""Turn an `EntityRecord` from the reader into the source row process steps read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pseamigrate.drupal.model import EntityRecord, SiteModel
from pseamigrate.mapping.types import main_column


def source_row(record: EntityRecord, site: SiteModel) -> dict[str, Any]:
    """Return the row: base properties, each field's main value, and `field/*` with all deltas.

    A single-value field gives its value (or None); a multi-value field a list of values.
    `field/*` holds every delta's storage columns, where Drupal 7's `tid`/`fid` are also
    available as `target_id` (their Drupal 8+ name). A deleted field whose rows remain is read
    under its own name too, so a mapping can keep it (in `extra/…`); should the bundle also have
    a live field of that name, the live one wins.
    """
    row: dict[str, Any] = {"nid": record.id, "vid": record.revision_id}
    row["language"] = record.language
    row.update(record.base)
    for name, deltas in record.fields.items():
        _put(row, record, site, name, deltas)
    for name, deltas in record.deleted_fields.items():
        if name not in record.fields:
            _put(row, record, site, name, deltas)
    return row


def _put(
    row: dict[str, Any],
    record: EntityRecord,
    site: SiteModel,
    name: str,
    deltas: tuple[Mapping[str, Any], ...],
) -> None:
    """Set one field's main value(s) and its `field/*` deltas in the row."""
    storage = site.fields.get((record.entity_type, name))
    column = main_column(storage) if storage else "value"
    values = [delta.get(column) for delta in deltas]
    single = storage is not None and storage.cardinality == 1
    row[name] = (values[0] if values else None) if single else values
    row[f"{name}/*"] = [_with_alias(delta, column) for delta in deltas]


def _with_alias(delta: Mapping[str, Any], column: str) -> dict[str, Any]:
    """Also offer Drupal 7's `tid`/`fid`/`nid` as `target_id`, so one mapping fits both layouts."""
    item = dict(delta)
    if column in ("tid", "fid", "nid", "uid"):
        item.setdefault("target_id", item.get(column))
    return item
