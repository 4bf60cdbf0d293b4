"""Learn a Drupal 8+ site's content model from `config` and the stored entity schema.

Definitions are PHP-serialized config objects (`field.storage.*`, `field.field.*`,
`node.type.*`, `taxonomy.vocabulary.*`). The real per-field table names come from `key_value`
collection `entity.storage_schema.sql` (`<entity>.field_schema_data.<field>`), so hashed names
of long fields are right; they are never derived from the field name.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from pseamigrate.drupal.common import decode, group_bundles, report_shadowed, site_model
from pseamigrate.drupal.field_types import is_core, reference_target
from pseamigrate.drupal.model import (
    AllowedValue,
    Bundle,
    DrupalMajor,
    FieldInstance,
    FieldStorage,
    Problem,
    SiteModel,
    Vocabulary,
)
from pseamigrate.drupal.source import Source


def introspect(source: Source, version: int) -> SiteModel:
    """Read the whole Drupal 8+ content model."""
    problems: list[Problem] = []
    config = _config(source, problems)
    deleted = _deleted_config(source, problems)
    instances = _instances(config) + _instances(deleted)
    stored = _stored_entity_types(source)
    fields = {
        (str(c["entity_type"]), str(c["field_name"])): _storage(source, c, problems)
        for name, c in sorted(config.items())
        if name.startswith("field.storage.")
        and c.get("field_name")
        and str(c.get("entity_type")) in stored  # e.g. contact_message keeps nothing in SQL
    }
    _add_deleted_storages(source, fields, deleted, stored, problems)
    fields = {key: _with_targets(storage, instances) for key, storage in fields.items()}
    bundles = _bundles(config, instances)
    major: DrupalMajor = version  # type: ignore[assignment]  # detect() returns 8..11
    vocabularies = _vocabularies(config, _hierarchies(source))
    return site_model(source, major, "d8", fields, vocabularies, bundles, problems)


def _stored_entity_types(source: Source) -> set[str]:
    """Return the entity types whose content Drupal keeps in SQL tables (those with any
    stored schema: contact messages, for one, have none)."""
    rows = source.rows(
        f"SELECT name FROM {source.q('key_value')} WHERE collection = 'entity.storage_schema.sql'"
    )
    return {str(row["name"]).split(".")[0] for row in rows}


def _with_targets(storage: FieldStorage, instances: list[FieldInstance]) -> FieldStorage:
    """Collect the bundles a reference may point at; Drupal 8+ keeps them per instance."""
    bundles: set[str] = set()
    for i in instances:
        if (i.entity_type, i.field_name) == (storage.entity_type, storage.name):
            handler = i.settings.get("handler_settings") or {}
            targets = handler.get("target_bundles") or {}
            bundles |= set(targets if isinstance(targets, list) else targets.keys())
    return dataclasses.replace(storage, target_bundles=tuple(sorted(bundles)))


def _deleted_config(source: Source, problems: list[Problem]) -> dict[str, dict[str, Any]]:
    """Read deleted fields and storages kept in `state` until Drupal purges their data,
    keyed like config names so they flow through the same code as live ones."""
    sql = (
        f"SELECT name, value FROM {source.q('key_value')} WHERE collection = 'state' "
        "AND name IN ('field.field.deleted', 'field.storage.deleted')"
    )
    out: dict[str, dict[str, Any]] = {}
    for row in source.rows(sql):
        items = decode(source, "key_value", f"name={row['name']}", "-", row["value"], problems)
        for uuid, c in items.items():
            if not isinstance(c, dict) or not c.get("field_name"):
                continue
            kind = "storage" if row["name"] == "field.storage.deleted" else "field"
            out[f"field.{kind}.deleted.{uuid}"] = {
                **c,
                "deleted": True,
                "uuid": c.get("uuid", uuid),
            }
    return out


def _add_deleted_storages(
    source: Source,
    fields: dict[tuple[str, str], FieldStorage],
    deleted: dict[str, dict[str, Any]],
    stored: set[str],
    problems: list[Problem],
) -> None:
    """Add deleted storages; one shadowed by a storage of the same name becomes a problem."""
    for name, c in sorted(deleted.items()):
        key = (str(c.get("entity_type")), str(c.get("field_name")))
        if not name.startswith("field.storage.") or key[0] not in stored:
            continue
        storage = _deleted_storage(source, c)
        if key not in fields:
            fields[key] = storage
            continue
        why = "a deleted" if fields[key].deleted else "a live"
        report_shadowed(
            source,
            storage.data_table,
            f"uuid={c.get('uuid')}",
            storage.name,
            f"{why} field of the same name shadows this deleted storage",
            problems,
        )


def _deleted_storage(source: Source, c: dict[str, Any]) -> FieldStorage:
    """Describe a deleted storage; Drupal names its tables from a hash of its uuid."""
    digest = hashlib.sha256(str(c.get("uuid")).encode()).hexdigest()[:10]
    data, revision = f"field_deleted_data_{digest}", f"field_deleted_revision_{digest}"
    name = str(c["field_name"])
    columns = tuple(
        col[len(name) + 1 :]
        for col in source.columns(source.name(data))
        if col.startswith(f"{name}_")
    )
    return FieldStorage(
        name=name,
        entity_type=str(c.get("entity_type")),
        type=str(c.get("type")),
        module=str(c.get("module") or ""),
        cardinality=int(c.get("cardinality") or 1),
        columns=columns,
        data_table=source.name(data) if source.has(data) else "",
        revision_table=source.name(revision) if source.has(revision) else None,
        deleted=True,
        known_type=is_core(str(c.get("type")), "d8"),
        settings=c.get("settings") or {},
    )


def _config(source: Source, problems: list[Problem]) -> dict[str, dict[str, Any]]:
    """Decode the active config objects the reader needs (not their translations)."""
    sql = (
        f"SELECT name, data FROM {source.q('config')} WHERE collection = '' AND ("
        "name LIKE 'field.storage.%' OR name LIKE 'field.field.%' OR name LIKE 'node.type.%' "
        "OR name LIKE 'taxonomy.vocabulary.%') ORDER BY name"
    )
    return {
        str(row["name"]): decode(
            source, "config", f"name={row['name']}", str(row["name"]), row["data"], problems
        )
        for row in source.rows(sql)
    }


def _instances(config: dict[str, dict[str, Any]]) -> list[FieldInstance]:
    out = []
    for name, c in config.items():
        if not name.startswith("field.field.") or not c.get("field_name") or not c.get("bundle"):
            continue
        out.append(
            FieldInstance(
                field_name=str(c["field_name"]),
                entity_type=str(c.get("entity_type")),
                bundle=str(c.get("bundle")),
                label=str(c.get("label") or c["field_name"]),
                required=bool(c.get("required")),
                deleted=bool(c.get("deleted")) or c.get("status") is False,
                settings=c.get("settings") or {},
            )
        )
    return out


def _storage(source: Source, c: dict[str, Any], problems: list[Problem]) -> FieldStorage:
    name, entity_type, kind = str(c["field_name"]), str(c["entity_type"]), str(c.get("type"))
    data_table, revision_table, columns = _tables(source, entity_type, name, problems)
    settings = c.get("settings") or {}
    return FieldStorage(
        name=name,
        entity_type=entity_type,
        type=kind,
        module=str(c.get("module") or ""),
        cardinality=int(c.get("cardinality") or 1),
        columns=columns,
        data_table=data_table,
        revision_table=revision_table,
        allowed_values=_allowed(settings),
        target_type=settings.get("target_type") or reference_target(kind),
        target_bundles=(),
        deleted=bool(c.get("deleted")),
        known_type=is_core(kind, "d8"),
        settings=settings,
    )


def _tables(
    source: Source, entity_type: str, name: str, problems: list[Problem]
) -> tuple[str, str | None, tuple[str, ...]]:
    """Read the field's dedicated tables and columns from the stored entity schema."""
    key = f"{entity_type}.field_schema_data.{name}"
    blob = source.scalar(
        f"SELECT value FROM {source.q('key_value')} "
        "WHERE collection = 'entity.storage_schema.sql' AND name = :n",
        {"n": key},
    )
    schema = decode(source, "key_value", f"name={key}", name, blob, problems) if blob else {}
    if not schema:
        if blob is None:
            problems.append(
                Problem(
                    source.name("key_value"),
                    f"name={key}",
                    name,
                    "no stored table schema for this field",
                )
            )
        return source.name(f"{entity_type}__{name}"), None, ()
    data_table, revision_table = _split_tables(schema)
    spec = schema.get(data_table, {}).get("fields", {})
    columns = tuple(col[len(name) + 1 :] for col in spec if col.startswith(f"{name}_"))
    rev = source.name(revision_table) if revision_table else None
    return source.name(data_table), rev, columns


def _split_tables(schema: dict[str, Any]) -> tuple[str, str | None]:
    """Tell the data table from the revision table (their names may both be hashes)."""
    data, revision = None, None
    for table, spec in schema.items():
        description = str((spec or {}).get("description", "")).lower()
        if "revision" in description or "_revision__" in table or "_r__" in table:
            revision = table
        elif data is None:
            data = table
    return data or next(iter(schema)), revision


def _allowed(settings: dict[str, Any]) -> tuple[AllowedValue, ...]:
    values = settings.get("allowed_values") or []
    if isinstance(values, dict):  # older configs keyed by value
        return tuple(AllowedValue(str(k), str(v)) for k, v in values.items())
    return tuple(
        AllowedValue(str(item.get("value")), str(item.get("label")))
        for item in values
        if isinstance(item, dict)
    )


def _bundles(
    config: dict[str, dict[str, Any]], instances: list[FieldInstance]
) -> dict[str, dict[str, Bundle]]:
    labels: dict[tuple[str, str], str] = {("user", "user"): "User"}
    for name, c in config.items():
        if name.startswith("node.type.") and c.get("type"):
            labels[("node", str(c["type"]))] = str(c.get("name") or c["type"])
        if name.startswith("taxonomy.vocabulary.") and c.get("vid"):
            labels[("taxonomy_term", str(c["vid"]))] = str(c.get("name") or c["vid"])
    return group_bundles(labels, instances)


def _vocabularies(
    config: dict[str, dict[str, Any]], hierarchies: dict[str, int]
) -> dict[str, Vocabulary]:
    return {
        str(c["vid"]): Vocabulary(
            str(c["vid"]),
            str(c.get("name") or c["vid"]),
            str(c["vid"]),
            hierarchies.get(str(c["vid"]), 0),
        )
        for name, c in config.items()
        if name.startswith("taxonomy.vocabulary.") and c.get("vid")
    }


def _hierarchies(source: Source) -> dict[str, int]:
    """Return each vocabulary's hierarchy as Drupal 7 flags it (0 flat, 1 single parents,
    2 some term has several); Drupal 8+ no longer stores the flag, its parent rows tell."""
    if not source.has("taxonomy_term__parent"):
        return {}
    sql = (
        "SELECT bundle, MAX(delta) AS deltas, MAX(parent_target_id) AS parent "
        f"FROM {source.q('taxonomy_term__parent')} WHERE deleted = 0 GROUP BY bundle"
    )
    return {
        str(row["bundle"]): 2 if int(row["deltas"] or 0) > 0 else int(bool(row["parent"]))
        for row in source.rows(sql)
    }
