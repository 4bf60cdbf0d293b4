"""Drupal 7 fields: types, storage columns, `field_config(_instance).data`, and value rows.

Follows `_field_sql_storage_schema()` (field_sql_storage.module) and each field module's
`hook_field_schema()`; the `data` arrays copy the shape Field UI leaves in real sites (see
core's drupal7.php migrate fixture): strings where the form stored strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pseamigrate.db import quote_name
from pseamigrate.sample.sites import FieldSpec


@dataclass(frozen=True)
class D7Type:
    """How one field kind is stored in Drupal 7."""

    type: str
    module: str
    columns: tuple[tuple[str, str], ...]  # (column, MySQL definition)
    indexes: tuple[str, ...]
    widget: tuple[str, str]  # (widget type, widget module)
    formatter: tuple[str, str]


TYPES = {
    "text": D7Type(
        "text",
        "text",
        (("value", "varchar(255) DEFAULT NULL"), ("format", "varchar(255) DEFAULT NULL")),
        ("format",),
        ("text_textfield", "text"),
        ("text_default", "text"),
    ),
    "date": D7Type(
        "datetime",
        "date",
        (("value", "datetime DEFAULT NULL"),),
        (),
        ("date_popup", "date"),
        ("date_default", "date"),
    ),
    "list": D7Type(
        "list_text",
        "list",
        (("value", "varchar(255) DEFAULT NULL"),),
        ("value",),
        ("options_select", "options"),
        ("list_default", "list"),
    ),
    "term": D7Type(
        "taxonomy_term_reference",
        "taxonomy",
        (("tid", "int unsigned DEFAULT NULL"),),
        ("tid",),
        ("options_select", "options"),
        ("taxonomy_term_reference_link", "taxonomy"),
    ),
    "bool": D7Type(
        "list_boolean",
        "list",
        (("value", "int DEFAULT NULL"),),
        ("value",),
        ("options_onoff", "options"),
        ("list_default", "list"),
    ),
    "longtext": D7Type(
        "text_long",
        "text",
        (("value", "longtext DEFAULT NULL"), ("format", "varchar(255) DEFAULT NULL")),
        ("format",),
        ("text_textarea", "text"),
        ("text_default", "text"),
    ),
    "file": D7Type(
        "file",
        "file",
        (
            ("fid", "int unsigned DEFAULT NULL"),
            ("display", "tinyint unsigned NOT NULL DEFAULT 1"),
            ("description", "text DEFAULT NULL"),
        ),
        ("fid",),
        ("file_generic", "file"),
        ("file_default", "file"),
    ),
    "noderef": D7Type(
        "entityreference",
        "entityreference",
        (("target_id", "int unsigned NOT NULL"),),
        ("target_id",),
        ("options_select", "options"),
        ("entityreference_label", "entityreference"),
    ),
    "int": D7Type(
        "number_integer",
        "number",
        (("value", "int DEFAULT NULL"),),
        (),
        ("number", "number"),
        ("number_integer", "number"),
    ),
}
# A date kept as Unix time in a plain integer field, as sites built on core do (#22).
TYPES["unixdate"] = TYPES["int"]
FOREIGN = {
    "text": {"format": {"table": "filter_format", "columns": {"format": "format"}}},
    "longtext": {"format": {"table": "filter_format", "columns": {"format": "format"}}},
    "term": {"tid": {"table": "taxonomy_term_data", "columns": {"tid": "tid"}}},
    "file": {"fid": {"table": "file_managed", "columns": {"fid": "fid"}}},
    "noderef": {"node": {"table": "node", "columns": {"target_id": "nid"}}},
}


def table_names(field: FieldSpec, field_id: int) -> tuple[str, str]:
    """Return the data and revision table names (`_field_sql_storage_tablename`).

    A deleted field's tables are renamed to `field_deleted_data_<field id>` /
    `field_deleted_revision_<field id>` by `field_sql_storage_field_storage_delete_field()`.
    """
    if field.deleted:
        return f"field_deleted_data_{field_id}", f"field_deleted_revision_{field_id}"
    return f"field_data_{field.name}", f"field_revision_{field.name}"


def settings(field: FieldSpec) -> dict[str, Any]:
    """Return the field-level `settings` array Drupal 7 stores for `field`."""
    kind = field.kind
    if kind == "text":
        return {"max_length": "255"}
    if kind == "list":
        return {"allowed_values": dict(field.allowed), "allowed_values_function": ""}
    if kind == "bool":
        return {"allowed_values": {0: "No", 1: "Yes"}, "allowed_values_function": ""}
    if kind == "term":
        return {"allowed_values": [{"vocabulary": field.vocabulary, "parent": "0"}]}
    if kind == "file":
        return {"display_field": 0, "display_default": 0, "uri_scheme": "private"}
    if kind == "date":
        granularity = {"month": "month", "day": "day", "hour": 0, "minute": 0, "year": "year"}
        return {
            "granularity": granularity,
            "tz_handling": "none",
            "timezone_db": "",
            "cache_enabled": 0,
            "cache_count": "4",
            "todate": "",
        }
    if kind == "noderef":
        target = {"target_bundles": {field.target_bundle: field.target_bundle}}
        handler = {**target, "sort": {"type": "none"}}
        return {"target_type": "node", "handler": "base", "handler_settings": handler}
    return {}


def field_data(field: FieldSpec, field_id: int) -> dict[str, Any]:
    """Return `field_config.data` for `field` (unserialized)."""
    spec = TYPES[field.kind]
    data_table, revision_table = table_names(field, field_id)
    columns = {c: f"{field.name}_{c}" for c, _ in spec.columns}
    sql = {
        "FIELD_LOAD_CURRENT": {data_table: columns},
        "FIELD_LOAD_REVISION": {revision_table: columns},
    }
    return {
        "translatable": "0",
        "entity_types": {},
        "settings": settings(field),
        "storage": {
            "type": "field_sql_storage",
            "settings": {},
            "module": "field_sql_storage",
            "active": "1",
            "details": {"sql": sql},
        },
        "foreign keys": FOREIGN.get(field.kind, {}),
        "indexes": {c: [c] for c in spec.indexes},
        "id": str(field_id),
    }


def instance_data(field: FieldSpec, label: str, weight: int) -> dict[str, Any]:
    """Return `field_config_instance.data` for `field` on a node type (unserialized)."""
    spec = TYPES[field.kind]
    return {
        "label": label,
        "widget": {
            "weight": str(weight),
            "type": spec.widget[0],
            "module": spec.widget[1],
            "active": 1,
            "settings": {},
        },
        "settings": {"user_register_form": False},
        "display": {
            "default": {
                "label": "above",
                "type": spec.formatter[0],
                "weight": str(weight),
                "settings": {},
                "module": spec.formatter[1],
            }
        },
        "required": 1 if field.name == "field_complaint_code" else 0,
        "description": "",
        "default_value": None,
    }


def columns(field: FieldSpec, value: Any) -> tuple[Any, ...]:
    """Turn one layout-neutral value into this field's storage column values."""
    kind = field.kind
    if kind == "text":
        return (value, None)
    if kind == "longtext":
        return (value, "plain_text")
    if kind == "date":
        return (f"{value} 00:00:00",)
    if kind == "file":
        return (value[0], 1, value[1])
    return (value,)


def field_table_body(field: FieldSpec, revision: bool) -> str:
    """Return the column and key definitions of a Drupal 7 field data or revision table."""
    spec = TYPES[field.kind]
    rev = "int unsigned NOT NULL" if revision else "int unsigned DEFAULT NULL"
    lines = [
        "`entity_type` varchar(128) NOT NULL DEFAULT ''",
        "`bundle` varchar(128) NOT NULL DEFAULT ''",
        "`deleted` tinyint NOT NULL DEFAULT 0",
        "`entity_id` int unsigned NOT NULL",
        f"`revision_id` {rev}",
        "`language` varchar(32) NOT NULL DEFAULT ''",
        "`delta` int unsigned NOT NULL",
    ]
    lines += [f"{quote_name(f'{field.name}_{c}')} {d}" for c, d in spec.columns]
    pk = "`entity_type`,`entity_id`,`deleted`,`delta`,`language`"
    if revision:
        pk = "`entity_type`,`entity_id`,`revision_id`,`deleted`,`delta`,`language`"
    lines.append(f"PRIMARY KEY ({pk})")
    for key in ("entity_type", "bundle", "deleted", "entity_id", "revision_id", "language"):
        lines.append(f"KEY {quote_name(key)} ({quote_name(key)})")
    for index in spec.indexes:
        length = "(191)" if index == "format" else ""
        name = quote_name(f"{field.name}_{index}")
        lines.append(f"KEY {name} ({name}{length})")
    return ",\n".join(f"  {line}" for line in lines)
