"""Learn a Drupal 7 site's content model from `field_config`, `field_config_instance` & co.

The `data` blobs are PHP-serialized; a corrupt one becomes a `Problem` and the field is still
described from its plain columns (type, cardinality, deleted) and its table's real columns.
"""

from __future__ import annotations

from typing import Any

from pseamigrate.drupal.common import decode, group_bundles, report_shadowed, site_model
from pseamigrate.drupal.field_types import is_core, reference_target
from pseamigrate.drupal.model import (
    AllowedValue,
    Bundle,
    FieldInstance,
    FieldStorage,
    Problem,
    SiteModel,
    Vocabulary,
)
from pseamigrate.drupal.source import Row, Source


def introspect(source: Source, version: int) -> SiteModel:
    """Read the whole Drupal 7 content model."""
    problems: list[Problem] = []
    instances = _instances(source, problems)
    fields = _fields(source, instances, problems)
    bundles = _bundles(source, instances)
    return site_model(source, 7, "d7", fields, _vocabularies(source), bundles, problems)


def _instances(source: Source, problems: list[Problem]) -> list[FieldInstance]:
    sql = (
        "SELECT id, field_name, entity_type, bundle, data, deleted "
        f"FROM {source.q('field_config_instance')} ORDER BY id"
    )
    out = []
    for row in source.rows(sql):
        data = decode(
            source,
            "field_config_instance",
            f"id={row['id']}",
            row["field_name"],
            row["data"],
            problems,
        )
        out.append(
            FieldInstance(
                field_name=row["field_name"],
                entity_type=row["entity_type"],
                bundle=row["bundle"],
                label=str(data.get("label") or row["field_name"]),
                required=bool(int(data.get("required") or 0)),
                deleted=bool(row["deleted"]),
                settings=data.get("settings") or {},
            )
        )
    return out


def _fields(
    source: Source, instances: list[FieldInstance], problems: list[Problem]
) -> dict[tuple[str, str], FieldStorage]:
    sql = (
        "SELECT id, field_name, type, module, cardinality, deleted, data "
        f"FROM {source.q('field_config')} ORDER BY id"
    )
    out: dict[tuple[str, str], FieldStorage] = {}
    ids: dict[int, int] = {}
    for row in source.rows(sql):
        data = decode(
            source, "field_config", f"id={row['id']}", row["field_name"], row["data"], problems
        )
        entity_types = sorted(
            {i.entity_type for i in instances if i.field_name == row["field_name"]}
        )
        for entity_type in entity_types:
            storage = _storage(source, row, data, entity_type)
            ids[id(storage)] = int(row["id"])  # storages hold dicts: not hashable
            _keep(source, out, storage, ids, problems)
    return out


def _keep(
    source: Source,
    out: dict[tuple[str, str], FieldStorage],
    storage: FieldStorage,
    ids: dict[int, int],
    problems: list[Problem],
) -> None:
    """Keep one storage per name: a live one, else the latest deleted one (rows by id order).

    The model holds one storage per (entity type, name); a deleted storage that loses is
    reported with its remaining rows instead of vanishing silently."""
    key = (storage.entity_type, storage.name)
    old = out.get(key)
    loser, winner = (storage, old) if old is not None and not old.deleted else (old, storage)
    out[key] = winner
    if loser is not None and loser.deleted:
        why = "a deleted" if winner.deleted else "a live"
        report_shadowed(
            source,
            loser.data_table,
            f"id={ids[id(loser)]}",
            loser.name,
            f"{why} field of the same name shadows this deleted storage",
            problems,
        )


def _storage(source: Source, row: Row, data: dict[str, Any], entity_type: str) -> FieldStorage:
    name, kind = str(row["field_name"]), str(row["type"])
    data_table, revision_table, columns = _tables(source, row, data)
    settings = data.get("settings") or {}
    target_type, target_bundles = _target(kind, settings)
    return FieldStorage(
        name=name,
        entity_type=entity_type,
        type=kind,
        module=str(row["module"]),
        cardinality=int(row["cardinality"]),
        columns=columns,
        data_table=data_table,
        revision_table=revision_table,
        allowed_values=_allowed(kind, settings),
        target_type=target_type,
        target_bundles=target_bundles,
        deleted=bool(row["deleted"]),
        known_type=is_core(kind, "d7"),
        settings=settings,
    )


def _tables(
    source: Source, row: Row, data: dict[str, Any]
) -> tuple[str, str | None, tuple[str, ...]]:
    """Return the data table, revision table and storage columns.

    Drupal 7 computes the names (`field_data_<name>`, `field_deleted_data_<id>` once deleted);
    the `storage.details` copy in the blob can be stale (core's own D7 fixture holds a truncated
    one), so the rule wins when its table exists and the stored name is the fallback."""
    name = str(row["field_name"])
    stem = f"deleted_data_{row['id']}" if row["deleted"] else f"data_{name}"
    table = source.name(f"field_{stem}")
    revision: str | None = source.name(f"field_{stem.replace('data', 'revision', 1)}")
    sql = (data.get("storage") or {}).get("details", {}).get("sql", {})
    stored = next(iter(sql.get("FIELD_LOAD_CURRENT") or {}), None)
    if table not in source.tables and stored and source.name(stored) in source.tables:
        table = source.name(stored)
        stored_rev = next(iter(sql.get("FIELD_LOAD_REVISION") or {}), None)
        revision = source.name(stored_rev) if stored_rev else None
    columns = tuple(c[len(name) + 1 :] for c in source.columns(table) if c.startswith(f"{name}_"))
    return table, revision if revision in source.tables else None, columns


def _allowed(kind: str, settings: dict[str, Any]) -> tuple[AllowedValue, ...]:
    if not kind.startswith("list_"):
        return ()
    values = settings.get("allowed_values") or {}
    items = enumerate(values) if isinstance(values, list) else values.items()
    return tuple(AllowedValue(str(key), str(label)) for key, label in items)


def _target(kind: str, settings: dict[str, Any]) -> tuple[str | None, tuple[str, ...]]:
    if kind == "taxonomy_term_reference":
        trees = settings.get("allowed_values") or []
        trees = trees if isinstance(trees, list) else list(trees.values())
        return "taxonomy_term", tuple(
            str(t.get("vocabulary")) for t in trees if isinstance(t, dict)
        )
    if kind == "entityreference":
        bundles = (settings.get("handler_settings") or {}).get("target_bundles") or {}
        names = bundles if isinstance(bundles, list) else list(bundles)
        return settings.get("target_type"), tuple(str(b) for b in names)
    if kind == "node_reference":
        types = settings.get("referenceable_types") or {}
        chosen = types.items() if isinstance(types, dict) else enumerate(types)
        return "node", tuple(str(k) for k, v in chosen if v)
    return reference_target(kind), ()


def _bundles(source: Source, instances: list[FieldInstance]) -> dict[str, dict[str, Bundle]]:
    """Collect bundles of every entity type: node types, vocabularies, the user bundle."""
    labels: dict[tuple[str, str], str] = {("user", "user"): "User"}
    for row in source.rows(
        f"SELECT type, name FROM {source.q('node_type')}", table=source.name("node_type")
    ):
        labels[("node", str(row["type"]))] = str(row["name"])
    vocabularies = f"SELECT machine_name, name FROM {source.q('taxonomy_vocabulary')}"
    for row in source.rows(vocabularies, table=source.name("taxonomy_vocabulary")):
        labels[("taxonomy_term", str(row["machine_name"]))] = str(row["name"])
    return group_bundles(labels, instances)


def _vocabularies(source: Source) -> dict[str, Vocabulary]:
    sql = f"SELECT vid, name, machine_name, hierarchy FROM {source.q('taxonomy_vocabulary')}"
    return {
        str(row["machine_name"]): Vocabulary(
            str(row["machine_name"]), str(row["name"]), str(row["vid"]), int(row["hierarchy"] or 0)
        )
        for row in source.rows(sql, table=source.name("taxonomy_vocabulary"))
    }
