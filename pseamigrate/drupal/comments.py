"""Read comments (on CRP sites: the complaint handlers' case notes), Drupal 7 and 8+ alike.

A layout gives the keyset SQL for the comments of one node type; here each batch gets its
field values. One node type's comments may span several comment bundles (Drupal 7 names them
`comment_node_<type>`; Drupal 8+ has comment types), so fields load per bundle.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import TYPE_CHECKING

from pseamigrate.drupal.assemble import Rows, Values, build_record, language_index
from pseamigrate.drupal.model import EntityRecord, FieldStorage
from pseamigrate.drupal.source import Row, keyset

if TYPE_CHECKING:
    from pseamigrate.drupal.base import BaseSite


def comment_batches(
    site: BaseSite,
    node_bundle: str,
    sql: str,
    table: str,
    batch_size: int,
    only: Collection[int] | None = None,
) -> Iterator[list[EntityRecord]]:
    """Stream the comments `sql` selects for `node_bundle` (with `only`: those cids), ordered by
    cid, with their fields."""
    params = {"b": node_bundle}
    for rows in keyset(site.source, sql, params, "cid", batch_size, table=table, only=only):
        yield _records(site, rows)


def _records(site: BaseSite, rows: list[Row]) -> list[EntityRecord]:
    ids = [int(row["cid"]) for row in rows]
    by_bundle: dict[str, list[int]] = {}
    for row, cid in zip(rows, ids, strict=True):
        by_bundle.setdefault(str(row["bundle"]), []).append(cid)
    values: dict[str, Values] = {}
    gone: dict[str, Values] = {}
    for bundle, cids in by_bundle.items():
        live: list[tuple[FieldStorage, Rows]] = [
            (storage, "live") for storage in site.storages("comment", bundle)
        ]
        deleted = site.deleted_storages("comment", bundle)
        _merge(values, site.field_values(live, cids, revisions=False))
        _merge(gone, site.field_values(deleted, cids, revisions=False))
    translated = site.translations("comment", ids)
    languages = language_index([*values.values(), *gone.values()])
    return [
        build_record(
            "comment", row, cid, values, translated.get(cid), deleted=gone, languages=languages
        )
        for row, cid in zip(rows, ids, strict=True)
    ]


def _merge(into: dict[str, Values], more: dict[str, Values]) -> None:
    """Add one bundle's field values (keys are (cid, language), so bundles never collide)."""
    for name, found in more.items():
        into.setdefault(name, {}).update(found)
