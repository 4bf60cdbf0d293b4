"""Drupal 8+ fields: types, Schema API definitions of dedicated tables, config and value rows.

The dedicated-table schema is built in Drupal's Schema API form (what
`SqlContentEntityStorageSchema::getDedicatedTableSchema()` produces and stores PHP-serialized in
`key_value`, collection `entity.storage_schema.sql`), and the MySQL DDL is derived from that same
array, so the stored schema and the real tables can never disagree.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from pseamigrate.db import quote_name
from pseamigrate.sample.sites import FieldSpec

Schema = dict[str, Any]


@dataclass(frozen=True)
class D8Type:
    """How one field kind is stored in Drupal 8+."""

    type: str
    module: str
    properties: tuple[tuple[str, Schema], ...]  # the first one is the main property
    indexes: tuple[str, ...]


_TARGET = {"description": "The ID of the target entity.", "type": "int", "unsigned": True}
TYPES = {
    "text": D8Type("string", "core", (("value", {"type": "varchar", "length": 255}),), ()),
    "date": D8Type(
        "datetime",
        "datetime",
        (("value", {"description": "The date value.", "type": "varchar", "length": 20}),),
        ("value",),
    ),
    "list": D8Type(
        "list_string", "options", (("value", {"type": "varchar", "length": 255}),), ("value",)
    ),
    "term": D8Type("entity_reference", "core", (("target_id", dict(_TARGET)),), ("target_id",)),
    "noderef": D8Type("entity_reference", "core", (("target_id", dict(_TARGET)),), ("target_id",)),
    "bool": D8Type("boolean", "core", (("value", {"type": "int", "size": "tiny"}),), ()),
    "comment": D8Type(
        "comment",
        "comment",
        (
            (
                "status",
                {
                    "description": "Whether comments are allowed on this entity: 0 = no, "
                    "1 = closed (read only), 2 = open (read/write).",
                    "type": "int",
                    "default": 0,
                },
            ),
        ),
        (),
    ),
    "int": D8Type(
        "integer", "core", (("value", {"type": "int", "unsigned": False, "size": "normal"}),), ()
    ),
    "longtext": D8Type(
        "text_long",
        "text",
        (
            ("value", {"type": "text", "size": "big"}),
            ("format", {"type": "varchar_ascii", "length": 255}),
        ),
        ("format",),
    ),
    "file": D8Type(
        "file",
        "file",
        (
            (
                "target_id",
                {"description": "The ID of the file entity.", "type": "int", "unsigned": True},
            ),
            (
                "display",
                {
                    "description": "Flag to control whether this file should be displayed "
                    "when viewing content.",
                    "type": "int",
                    "size": "tiny",
                    "unsigned": True,
                    "default": 1,
                    "not null": False,
                },
            ),
            (
                "description",
                {"description": "A description of the file.", "type": "text", "not null": False},
            ),
        ),
        ("target_id",),
    ),
}
# A date kept as Unix time in a plain integer field (#22).
TYPES["unixdate"] = TYPES["int"]
COMMON: tuple[tuple[str, Schema], ...] = (
    ("bundle", {"type": "varchar_ascii", "length": 128, "not null": True, "default": "",
                "description": "The field instance bundle to which this row belongs, "
                               "used when deleting a field instance"}),
    ("deleted", {"type": "int", "size": "tiny", "not null": True, "default": 0,
                 "description": "A boolean indicating whether this data item has been deleted"}),
    ("entity_id", {"type": "int", "unsigned": True, "not null": True,
                   "description": "The entity id this data is attached to"}),
    ("revision_id", {"type": "int", "unsigned": True, "not null": True,
                     "description": "The entity revision id this data is attached to"}),
    ("langcode", {"type": "varchar_ascii", "length": 32, "not null": True, "default": "",
                  "description": "The language code for this data item."}),
    ("delta", {"type": "int", "unsigned": True, "not null": True,
               "description": "The sequence number for this data item, "
                              "used for multi-value fields"}),
)  # fmt: skip


def short_hash(storage_uuid: str) -> str:
    """Return Drupal's 10-hex hash of a field storage's unique identifier (its UUID)."""
    return hashlib.sha256(storage_uuid.encode()).hexdigest()[:10]


# Entity types with revisions (node, term); users and comments keep one data table per field.
REVISIONABLE = frozenset({"node", "taxonomy_term"})
UNVERSIONED_REVISION_ID = (
    "The entity revision id this data is attached to, which for an unversioned entity type is "
    "the same as the entity id"
)


def table_names(entity_type: str, field: str, storage_uuid: str, deleted: bool) -> tuple[str, str]:
    """Return data and revision table names, as `DefaultTableMapping` generates them.

    Names over 48 characters become `<entity type[:34]>__<hash>` / `<…>_r__<hash>`; a deleted
    storage's tables are renamed `field_deleted_data_<hash>` / `field_deleted_revision_<hash>`.
    Unversioned entity types (`REVISIONABLE` lacks them) only have the data table.
    """
    digest = short_hash(storage_uuid)
    if deleted:
        return f"field_deleted_data_{digest}", f"field_deleted_revision_{digest}"
    names = []
    for separator, short in (("__", "__"), ("_revision__", "_r__")):
        name = f"{entity_type}{separator}{field}"
        names.append(name if len(name) <= 48 else f"{entity_type[:34]}{short}{digest}")
    return names[0], names[1]


def table_schema(entity_type: str, kind: str, field: str, revision: bool) -> Schema:
    """Return the Schema API array of one dedicated table (as stored in key_value)."""
    spec = TYPES[kind]
    fields: Schema = {name: dict(definition) for name, definition in COMMON}
    if entity_type not in REVISIONABLE:
        fields["revision_id"]["description"] = UNVERSIONED_REVISION_ID
    for i, (prop, definition) in enumerate(spec.properties):
        column = dict(definition)
        if i == 0:
            column["not null"] = True  # the main property of a stored item is never NULL
        fields[f"{field}_{prop}"] = column
    pk = ["entity_id", "revision_id", "deleted", "delta", "langcode"] if revision else [
        "entity_id", "deleted", "delta", "langcode"]  # fmt: skip
    indexes: Schema = {"bundle": ["bundle"], "revision_id": ["revision_id"]}
    for prop in spec.indexes:
        indexes[f"{field}_{prop}"] = [f"{field}_{prop}"]
    kind_label = "Revision archive storage" if revision else "Data storage"
    return {
        "description": f"{kind_label} for {entity_type} field {field}.",
        "fields": fields,
        "primary key": pk,
        "indexes": indexes,
    }


def mysql_column(definition: Schema) -> str:
    """Render one Schema API column as MySQL, like Drupal's mysql driver does."""
    kind, size = definition["type"], definition.get("size", "normal")
    if kind in ("varchar", "varchar_ascii"):
        sql = f"varchar({definition['length']})"
        if kind == "varchar_ascii":
            sql += " CHARACTER SET ascii COLLATE ascii_general_ci"
    elif kind == "text":
        sql = "longtext" if size == "big" else "text"
    else:
        sql = {"tiny": "tinyint", "small": "smallint", "big": "bigint"}.get(size, "int")
        if definition.get("unsigned"):
            sql += " unsigned"
    if definition.get("not null"):
        sql += " NOT NULL"
    if "default" in definition:
        default = definition["default"]
        sql += f" DEFAULT '{default}'" if isinstance(default, str) else f" DEFAULT {default}"
    elif not definition.get("not null"):
        sql += " DEFAULT NULL"
    return sql


def mysql_body(schema: Schema) -> str:
    """Render a Schema API table (fields, primary key, indexes) as MySQL column/key lines."""
    lines = [f"{quote_name(name)} {mysql_column(d)}" for name, d in schema["fields"].items()]
    lines.append("PRIMARY KEY (" + ",".join(map(quote_name, schema["primary key"])) + ")")
    for key, cols in schema["indexes"].items():
        rendered = []
        for c in cols:
            d = schema["fields"][c]
            long = d["type"] == "varchar" and d.get("length", 0) > 191
            rendered.append(f"{quote_name(c)}(191)" if long else quote_name(c))
        lines.append(f"KEY {quote_name(key)} (" + ",".join(rendered) + ")")
    return ",\n".join(f"  {line}" for line in lines)


def storage_settings(field: FieldSpec) -> Schema:
    """Return `settings` of a `field.storage.node.*` config for `field`."""
    kind = field.kind
    if kind == "list":
        values = [{"value": k, "label": v} for k, v in field.allowed]
        return {"allowed_values": values, "allowed_values_function": ""}
    if kind == "term":
        return {"target_type": "taxonomy_term"}
    if kind == "noderef":
        return {"target_type": "node"}
    if kind == "date":
        return {"datetime_type": "date"}
    if kind == "text":
        return {"max_length": 255, "case_sensitive": False, "is_ascii": False}
    if kind in ("int", "unixdate"):
        return {"unsigned": False, "size": "normal"}
    if kind == "comment":
        return {"comment_type": "comment"}
    if kind == "file":
        return {
            "target_type": "file",
            "display_field": False,
            "display_default": False,
            "uri_scheme": "private",
        }
    return {}


def instance_settings(field: FieldSpec) -> Schema:
    """Return `settings` of a `field.field.node.<bundle>.*` config for `field`."""
    if field.kind in ("term", "noderef"):
        target = field.vocabulary or field.target_bundle
        handler = "default:taxonomy_term" if field.kind == "term" else "default:node"
        return {
            "handler": handler,
            "handler_settings": {
                "target_bundles": {target: target},
                "sort": {"field": "_none"},
                "auto_create": False,
            },
        }
    if field.kind == "bool":
        return {"on_label": "On", "off_label": "Off"}
    if field.kind == "comment":
        return {"default_mode": 1, "per_page": 50, "anonymous": 0, "form_location": True} | {
            "preview": 1
        }
    if field.kind == "file":
        return {
            "handler": "default:file",
            "handler_settings": {},
            "file_directory": "complaints/[date:custom:Y]-[date:custom:m]",
            "file_extensions": "txt pdf jpg",
            "max_filesize": "",
            "description_field": True,
        }
    return {}


def columns(field: FieldSpec, value: Any) -> tuple[Any, ...]:
    """Turn one layout-neutral value into this field's column values."""
    if field.kind == "longtext":
        return (value, "plain_text")
    if field.kind == "file":
        return (value[0], 1, value[1])
    return (value,)
