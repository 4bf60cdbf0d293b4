"""Turn one batch of base rows plus their field rows into `EntityRecord`s.

Shared by both layouts: Drupal 7 `field_data_*` and Drupal 8+ `node__*` tables have the same
shape (entity_id, revision_id, a language column, delta, deleted, `<field>_<column>`). Only the
language column's name and Drupal 7's extra `entity_type` column differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pseamigrate.db import quote_name
from pseamigrate.drupal.model import EntityRecord, FieldStorage, Translation
from pseamigrate.drupal.source import Row, Source, ids_where

# Languages meaning "not language specific": their values belong to every translation.
NEUTRAL = frozenset({"und", "zxx", ""})
NEUTRAL_ORDER = ("und", "zxx", "")

Values = dict[tuple[int, str], list[dict[str, Any]]]
# Which rows of a field table to read: live ones (deleted = 0), the `deleted = 1` rows a deleted
# instance leaves in a live table, or every row of a renamed `field_deleted_*` table.
Rows = Literal["live", "deleted", "all"]
ROW_FILTER = {"live": "deleted = 0 AND", "deleted": "deleted = 1 AND", "all": ""}


@dataclass(frozen=True)
class FieldQuery:
    """How one layout addresses field tables."""

    lang_column: str  # "language" (7) or "langcode" (8+)
    entity_type_column: bool  # Drupal 7 field tables hold several entity types
    key: str = "entity_id"  # "revision_id" when reading revision tables


def fetch_values(
    source: Source,
    storage: FieldStorage,
    table: str,
    ids: Sequence[int],
    how: FieldQuery,
    rows_of: Rows = "live",
) -> Values:
    """Read one field's rows for a batch of ids, grouped by (id, language), ordered by delta."""
    source.require(table, storage.name)
    if not ids:
        return {}
    # Columns keep their real names so latin1 repair (keyed by column) applies; renamed below.
    real = {f"{storage.name}_{col}": col for col in storage.columns}
    props = ", ".join(quote_name(column) for column in real)
    where = ROW_FILTER[rows_of] + (" entity_type = :et AND" if how.entity_type_column else "")
    batch, keep = ids_where(how.key, ids)
    sql = (
        f"SELECT {how.key} AS k, {how.lang_column} AS lang, delta, {props} "
        f"FROM {quote_name(table)} "
        f"WHERE {where} {batch} ORDER BY {how.key}, {how.lang_column}, delta"
    )
    rows = source.tuples(sql, {"et": storage.entity_type}, table=table)
    if keep is not None:  # read as a span: other ids' rows (other bundles) are dropped
        rows = [row for row in rows if row[0] in keep]
    names = list(real.values())
    grouped: Values = {}
    for row in rows:  # k, lang, delta, then the columns in `names` order
        key = (int(row[0]), str(row[1]))
        grouped.setdefault(key, []).append(dict(zip(names, row[3:], strict=True)))
    return grouped


def pick(values: Values, ident: int, language: str) -> tuple[dict[str, Any], ...]:
    """Return a field's values for one entity in one language (neutral values count too)."""
    found = values.get((ident, language))
    if found is not None:
        return tuple(found)
    for neutral in NEUTRAL_ORDER:  # a fixed order: a set's would change with the hash seed
        found = values.get((ident, neutral))
        if found is not None:
            return tuple(found)
    return ()


def language_index(values: Iterable[Values]) -> dict[int, set[str]]:
    """Return, per entity id of a batch, the specific languages its fields have values in.

    Built once per batch: scanning the batch's keys for each record would make a batch cost
    its size squared."""
    index: dict[int, set[str]] = {}
    for value in values:
        for ident, lang in value:
            if lang not in NEUTRAL:
                index.setdefault(ident, set()).add(lang)
    return index


def pick_all(values: Mapping[str, Values], ident: int, language: str) -> dict[str, Any]:
    """Return every field's values for one entity in one language, by field name."""
    return {name: pick(v, ident, language) for name, v in values.items()}


def build_record(
    entity_type: str,
    base: Row,
    ident: int,
    values: Mapping[str, Values],
    translated_bases: Mapping[str, Row] | None = None,
    lookup: int | None = None,
    deleted: Mapping[str, Values] | None = None,
    languages: Mapping[int, set[str]] | None = None,
) -> EntityRecord:
    """Build one record: fields in the entity's own language, other languages as translations.

    `lookup` is the key the field values are grouped by when it is not the entity id (the
    revision id, when reading revisions); `deleted` holds the deleted fields' values;
    `languages` is the batch's `language_index` (computed here when not given)."""
    key = ident if lookup is None else lookup
    deleted = deleted or {}
    language = str(base.get("language") or base.get("langcode") or "und")
    if languages is None:
        languages = language_index([*values.values(), *deleted.values()])
    others = languages.get(key, set()) | set(translated_bases or {})
    translations = tuple(
        Translation(
            language=lang,
            base=(translated_bases or {}).get(lang, {}),
            fields=pick_all(values, key, lang),
            deleted_fields=pick_all(deleted, key, lang),
        )
        for lang in sorted(others - {language})
    )
    # Only nodes call their revision "vid"; Drupal 7 terms' "vid" is the vocabulary.
    revision = base.get("vid") if entity_type == "node" else base.get("revision_id")
    return EntityRecord(
        entity_type=entity_type,
        bundle=str(base.get("bundle", "")),
        id=ident,
        revision_id=int(revision) if revision is not None else None,
        language=language,
        base=base,
        fields=pick_all(values, key, language),
        translations=translations,
        deleted_fields=pick_all(deleted, key, language),
    )
