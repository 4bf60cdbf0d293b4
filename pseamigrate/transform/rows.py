"""Turn an `EntityRecord` from the reader into the source row process steps read."""

from __future__ import annotations

from typing import Any

from pseamigrate.drupal.model import EntityRecord, SiteModel
from pseamigrate.mapping.types import main_column


def source_row(record: EntityRecord, site: SiteModel) -> dict[str, Any]:
    """Return the row: base properties, each field's main value, and `field/*` with all deltas.

    A single-value field gives its value (or None); a multi-value field a list of values.
    """
    row: dict[str, Any] = {"nid": record.id, "vid": record.revision_id}
    row["language"] = record.language
    row.update(record.base)
    for name, deltas in record.fields.items():
        storage = site.fields.get((record.entity_type, name))
        column = main_column(storage) if storage else "value"
        values = [delta.get(column) for delta in deltas]
        single = storage is not None and storage.cardinality == 1
        row[name] = (values[0] if values else None) if single else values
        row[f"{name}/*"] = [dict(delta) for delta in deltas]
    return row
