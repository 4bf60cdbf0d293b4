"""What both layouts' introspection shares: decoding blobs, grouping bundles, the SiteModel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pseamigrate.db import quote_name
from pseamigrate.drupal import phpdata
from pseamigrate.drupal.facts import site_timezone
from pseamigrate.drupal.model import (
    Bundle,
    DrupalMajor,
    FieldInstance,
    FieldStorage,
    Layout,
    Problem,
    SiteModel,
    Vocabulary,
)
from pseamigrate.drupal.source import Source
from pseamigrate.errors import CorruptSerializedData


def decode(
    source: Source, table: str, row: str, field: str, blob: Any, problems: list[Problem]
) -> Any:
    """Decode a blob, or record a `Problem` naming table, row and field and return {}."""
    try:
        value = phpdata.loads(blob)
    except CorruptSerializedData as exc:
        problems.append(Problem(source.name(table), row, field, str(exc)))
        return {}
    return value if isinstance(value, dict) else {}


def group_bundles(
    labels: dict[tuple[str, str], str], instances: list[FieldInstance]
) -> dict[str, dict[str, Bundle]]:
    """Group instances into bundles of every entity type, from (entity type, name) → label."""
    for instance in instances:
        # Node types and vocabularies must exist; left-over instances of removed ones do not
        # make them exist again (e.g. Drupal 10's deleted forum field after forum's removal).
        if instance.entity_type not in ("node", "taxonomy_term"):
            labels.setdefault((instance.entity_type, instance.bundle), instance.bundle)
    out: dict[str, dict[str, Bundle]] = {}
    for (entity_type, name), label in sorted(labels.items()):
        mine = tuple(i for i in instances if (i.entity_type, i.bundle) == (entity_type, name))
        out.setdefault(entity_type, {})[name] = Bundle(entity_type, name, label, mine)
    return out


def site_model(
    source: Source,
    version: DrupalMajor,
    layout: Layout,
    fields: Mapping[tuple[str, str], FieldStorage],
    vocabularies: Mapping[str, Vocabulary],
    entity_bundles: dict[str, dict[str, Bundle]],
    problems: list[Problem],
) -> SiteModel:
    """Return the site model; `bundles` are the node types."""
    return SiteModel(
        drupal_version=version,
        layout=layout,
        table_prefix=source.prefix,
        bundles=dict(entity_bundles.get("node", {})),
        fields=fields,
        vocabularies=vocabularies,
        problems=tuple(problems),
        entity_bundles=entity_bundles,
        timezone=site_timezone(source, layout),
    )


def report_shadowed(
    source: Source, table: str, row: str, field: str, why: str, problems: list[Problem]
) -> None:
    """Record a deleted storage the model cannot hold, if its data table still has rows.

    The model keeps one storage per (entity type, field name); a second one of the same name
    would be dropped silently, so its remaining rows are counted and reported instead."""
    if not table or table not in source.tables or any(p.table == table for p in problems):
        return
    rows = int(source.scalar(f"SELECT COUNT(*) FROM {quote_name(table)}") or 0)
    if rows:
        problems.append(
            Problem(table, row, field, f"deleted field data not read ({why}): {rows} rows remain")
        )
