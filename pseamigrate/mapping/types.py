"""What a Drupal field yields, and which model column types can take it.

A field's *kind* is a small logical type derived from its storage type through the one table of
Drupal field types (`pseamigrate/drupal/field_types.py`): `string`, `text`, `integer`,
`decimal`, `boolean`, `list`, `list_integer`, `rawdate`, `date`, `term`, `node`, `file`, `user`.
"""

from __future__ import annotations

from pseamigrate.drupal.field_types import type_kind
from pseamigrate.drupal.model import FieldStorage

# A generic entity reference takes its kind from the entity type it targets.
_TARGETS = {"taxonomy_term": "term", "node": "node", "file": "file", "user": "user"}

# Node base properties as sources, and what they yield (`created`/`changed` are Unix times).
BASE_KINDS = {
    "nid": "integer",
    "vid": "integer",
    "title": "string",
    "uid": "user",
    "status": "boolean",
    "created": "rawdate",
    "changed": "rawdate",
    "language": "string",
}

# Which kinds each model column type accepts without a converting step.
ACCEPTS: dict[str, set[str]] = {
    "string": {"string", "list", "list_integer", "integer", "decimal", "date", "rawdate"},
    "text": {"string", "text", "list"},
    "integer": {"integer", "list_integer", "boolean"},
    "boolean": {"boolean"},
    "date": {"date"},
    "datetime": {"date"},
}
REFERENCE_KINDS = {"term", "node", "file", "user"}  # only a lookup turns these into target ids


def field_kind(storage: FieldStorage) -> str:
    """Return the logical kind of what a field stores (`other` when unknown)."""
    if storage.type in ("entity_reference", "entityreference") and storage.target_type:
        return _TARGETS.get(storage.target_type, "other")
    return type_kind(storage.type)


def main_column(storage: FieldStorage) -> str:
    """Return the storage column holding a field's main value (value, tid, target_id, fid…)."""
    for column in ("target_id", "tid", "fid", "nid", "uid", "value"):
        if column in storage.columns:
            return column
    return storage.columns[0] if storage.columns else "value"


def accepts(column_type: str, kind: str) -> bool:
    """Tell whether a column of `column_type` can take a value of `kind` as it is."""
    if column_type == "json" or kind in ("any", "other"):
        return True
    return kind in ACCEPTS.get(column_type, set())
