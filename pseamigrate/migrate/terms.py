"""Vocabulary terms as items: per-tenant terms with hierarchy, shared terms merged by name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from pseamigrate.drupal.model import EntityRecord
from pseamigrate.migrate.items import Item
from pseamigrate.migrate.produce import Scope
from pseamigrate.migrate.values import plain_json
from pseamigrate.migrate.write import BatchWriter
from pseamigrate.target import model as cm
from pseamigrate.target import writer
from pseamigrate.target.ledger import MapEntry, now

TERM_COLUMNS = {"tid", "vid", "name", "weight", "parents", "bundle", "langcode"}
TERM_COLUMNS |= {"default_langcode", "uuid", "status", "revision_id", "changed"}


def name_key(name: Any) -> str:
    """Return the key shared terms merge on: the name trimmed, spaces folded, lower-cased."""
    return " ".join(str(name or "").split()).lower()


def term_item(record: EntityRecord, vocabulary: cm.Vocabulary, source: str, scope: Scope) -> Item:
    """Build one term's item; a per-tenant term defers its parent to the end of the step."""
    base = record.base
    parents = [str(p) for p in base.get("parents") or () if str(p) not in ("0", "")]
    extra: dict[str, Any] = {k: v for k, v in base.items() if k not in TERM_COLUMNS}
    fields = {name: [dict(v) for v in values] for name, values in record.fields.items()}
    if fields:
        extra["fields"] = fields
    if len(parents) > 1:
        extra["parent_source_ids"] = parents
    name = str(base.get("name") or "")
    values: dict[str, Any] = {
        "tenant_id": scope.tenant_id,
        "source_id": record.id,
        "name": name,
        "weight": int(base.get("weight") or 0),
        "extra": plain_json(extra) if extra else None,
    }
    item = Item(f"taxonomy_term:{source}", str(record.id), vocabulary.table, values)
    if vocabulary.scope == "shared":
        item.table = f"{vocabulary.name}_term_sources"
        item.inputs = {"name_key": name_key(name), "name": name}
        if parents:
            item.warn("a shared vocabulary keeps no hierarchy; parents kept in extra")
            extra["parent_source_ids"] = parents
            values["extra"] = plain_json(extra)
    elif parents:
        item.deferred.append(("parent_id", vocabulary.name, parents[0]))
    return item


class SharedTermWriter(BatchWriter):
    """Merges terms across tenants by name: one `<vocabulary>_terms` row per name, and one
    `<vocabulary>_term_sources` row per tenant and source term; the id map points at the
    merged term, so lookups find it."""

    def __init__(self, target: Any, vocabulary: cm.Vocabulary) -> None:
        super().__init__(target, vocabulary.name)
        self.vocabulary = vocabulary

    def prepare(self, conn: Connection, items: list[Item]) -> None:
        """Find or create the merged terms and put their ids into the rows."""
        terms = self.target.table(self.vocabulary.table)
        keys = sorted({str(item.inputs["name_key"]) for item in items})
        found = self._merged(conn, keys)
        stamp = now()
        fresh = {i.inputs["name_key"]: i.inputs["name"] for i in items}
        missing = [k for k in keys if k not in found]
        writer.insert_rows(
            conn,
            terms,
            [{"name": fresh[k], "name_key": k, "weight": 0, "imported_at": stamp} for k in missing],
        )
        found.update(self._merged(conn, missing))
        for item in items:
            item.values = {
                "tenant_id": item.values["tenant_id"],
                "source_id": item.values["source_id"],
                "term_id": found[str(item.inputs["name_key"])],
                "extra": item.values.get("extra"),
            }

    def _merged(self, conn: Connection, keys: list[str]) -> dict[str, int]:
        if not keys:
            return {}
        terms = self.target.table(self.vocabulary.table)
        query = select(terms.c.name_key, terms.c.id).where(terms.c.name_key.in_(keys))
        return {str(row[0]): int(row[1]) for row in conn.execute(query)}

    def insert(self, conn: Connection, new: list[tuple[Item, str]]) -> list[MapEntry]:
        """Insert the tenant's source links; the id map records the merged term."""
        entries = super().insert(conn, new)
        return [self._merged_entry(entry, new[i][0]) for i, entry in enumerate(entries)]

    def update(self, conn: Connection, changed: list[Any]) -> list[MapEntry]:
        """Update the tenant's source links; the id map records the merged term."""
        if not changed:
            return []
        links = self.target.table(changed[0][0].table)
        ids = writer.ids_by_key(
            conn, links, "source_id", self.target.tenant_id, [i.source_id for i, _, _ in changed]
        )
        fixed = [(item, digest, _with_id(e, ids[item.source_id])) for item, digest, e in changed]
        entries = super().update(conn, fixed)
        return [self._merged_entry(entry, fixed[i][0]) for i, entry in enumerate(entries)]

    def _merged_entry(self, entry: MapEntry, item: Item) -> MapEntry:
        term_id = int(item.values["term_id"])
        self.target.ids.add(self.kind, item.source_id, term_id)
        return MapEntry(
            entry.source_entity,
            entry.source_id,
            self.vocabulary.table,
            term_id,
            entry.row_hash,
            entry.status,
        )


def _with_id(entry: MapEntry, link_id: int) -> MapEntry:
    return MapEntry(
        entry.source_entity,
        entry.source_id,
        entry.target_table,
        link_id,
        entry.row_hash,
        entry.status,
    )
