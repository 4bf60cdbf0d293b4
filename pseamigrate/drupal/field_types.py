"""The one table of Drupal field types: what each stores, where it is core, what it points at.

The readers (`d7_model.py`, `d8_model.py`) mark a field `known_type` when its type is core in
that layout (others are described but listed as unknown, docs/inspect.md); the mapping language
(`pseamigrate/mapping/types.py`) reads each type's logical *kind*: `string`, `text`, `integer`,
`decimal`, `boolean`, `list`, `list_integer`, `rawdate` (a date as Drupal stores it, which
`format_date` must convert), `term`, `node`, `file`, `user`, or `other` (nothing to infer: a
generic entity reference takes its kind from its target type).
"""

from __future__ import annotations

from dataclasses import dataclass

D7, D8 = "d7", "d8"


@dataclass(frozen=True)
class FieldType:
    """One storage type: its logical kind, the layouts where it is core, what it references."""

    kind: str
    core_in: frozenset[str] = frozenset()
    target: str | None = None  # the entity type a reference type points at


def _t(kind: str, *core_in: str, target: str | None = None) -> FieldType:
    return FieldType(kind, frozenset(core_in), target)


FIELD_TYPES: dict[str, FieldType] = {
    "text": _t("string", D7, D8),
    "string": _t("string", D8),
    "email": _t("string", D7, D8),
    "telephone": _t("string", D8),
    "link": _t("string", D8),
    "link_field": _t("other", D7),
    "uri": _t("other", D8),
    "text_long": _t("text", D7, D8),
    "text_with_summary": _t("text", D7, D8),
    "string_long": _t("text", D8),
    "number_integer": _t("integer", D7),
    "integer": _t("integer", D8),
    "number_decimal": _t("decimal", D7),
    "number_float": _t("decimal", D7),
    "decimal": _t("decimal", D8),
    "float": _t("decimal", D8),
    "boolean": _t("boolean", D8),
    "list_boolean": _t("boolean", D7),
    "list_text": _t("list", D7),
    "list_string": _t("list", D8),
    "list_integer": _t("list_integer", D7, D8),
    "list_float": _t("list", D7, D8),
    "datetime": _t("rawdate", D7, D8),
    "date": _t("rawdate", D7),
    "datestamp": _t("rawdate", D7),
    "daterange": _t("rawdate", D8),
    "timestamp": _t("other", D8),
    "comment": _t("other", D8),
    "taxonomy_term_reference": _t("term", D7, target="taxonomy_term"),
    "file": _t("file", D7, D8, target="file"),
    "image": _t("file", D7, D8, target="file"),
    "entityreference": _t("other", D7),
    "entity_reference": _t("other", D8),
    "node_reference": _t("node", target="node"),  # contrib (D7 References)
    "user_reference": _t("user", target="user"),  # contrib (D7 References)
}


def is_core(field_type: str, layout: str) -> bool:
    """Tell whether `field_type` is a core type the reader knows in `layout` (d7, d8)."""
    known = FIELD_TYPES.get(field_type)
    return known is not None and layout in known.core_in


def reference_target(field_type: str) -> str | None:
    """Return the entity type a reference field type points at (None: not a fixed reference)."""
    known = FIELD_TYPES.get(field_type)
    return known.target if known else None


def type_kind(field_type: str) -> str:
    """Return the logical kind of a storage type (`other` when unknown)."""
    known = FIELD_TYPES.get(field_type)
    return known.kind if known else "other"
