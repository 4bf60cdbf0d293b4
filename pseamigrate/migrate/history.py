"""Revisions (the audit trail) and notes (Drupal comments: case notes) as items."""

from __future__ import annotations

from typing import Any

from pseamigrate.drupal.model import EntityRecord
from pseamigrate.mapping.model import EntityMapping
from pseamigrate.migrate.items import Item
from pseamigrate.migrate.produce import Scope, transformed, unix_time
from pseamigrate.migrate.values import check_values, plain_json
from pseamigrate.target import model as cm

# Comment properties the notes table holds in columns; the rest goes to `extra`.
NOTE_COLUMNS = {"cid", "pid", "nid", "entity_id", "thread", "uid", "subject", "status"}
NOTE_COLUMNS |= {"created", "changed", "language", "langcode", "bundle", "node_type"}
NOTE_COLUMNS |= {"default_langcode", "entity_type", "uuid"}


def revision_item(record: EntityRecord, em: EntityMapping, scope: Scope) -> Item:
    """Build one revision row: who, when, the log, tracked columns and a full snapshot."""
    entity = scope.model.entities[em.destination]
    assert entity.revisions is not None
    item = Item(f"node_revision:{em.bundle}", str(record.revision_id), entity.revisions.table)
    parent = scope.ids.get(entity.name, record.id)
    if parent is None:
        item.fail(f"its node {record.id} is not in the target")
        return item
    result = transformed(item, em, record, scope)
    if result is None:
        return item
    extra = result.pop("extra")
    children = {child.name for child in entity.children}
    snapshot = {k: v for k, v in result.items() if k not in children}
    base = record.base
    author = base.get("revision_author")
    values: dict[str, Any] = {
        "tenant_id": scope.tenant_id,
        f"{entity.name}_id": parent,
        "source_id": record.id,
        "source_revision_id": record.revision_id,
        "author_id": scope.ids.get("user", author) if author else None,
        "revised_at": unix_time(base.get("revision_timestamp")),
        "log": base.get("log") if "log" in base else base.get("revision_log"),
    }
    tracked = [c for c in entity.columns if c.name in entity.revisions.track]
    values.update({c.name: result.get(c.name) for c in tracked})
    check_values(item, [_optional(c) for c in tracked], values, extra)
    values["snapshot"] = plain_json({**snapshot, "extra": extra})
    item.values = values
    return item


def _optional(column: cm.Column) -> cm.Column:
    """A tracked column is optional in the revision table (older revisions may lack it)."""
    return cm.Column(column.name, column.type, column.length, column.values, required=False)


def note_item(record: EntityRecord, entity: cm.Entity, bundle: str, scope: Scope) -> Item:
    """Build one note row from a comment on a node of `bundle` (replies point at parents)."""
    assert entity.notes is not None
    item = Item(f"comment:{bundle}", str(record.id), entity.notes.table)
    base = record.base
    nid = base.get("nid", base.get("entity_id"))
    parent = scope.ids.get(entity.name, nid)
    if parent is None:
        item.fail(f"its node {nid} is not in the target")
        return item
    body = (record.fields.get("comment_body") or ({},))[0]
    uid = base.get("uid")
    item.values = {
        "tenant_id": scope.tenant_id,
        f"{entity.name}_id": parent,
        "source_id": record.id,
        "source_entity_id": nid,
        "thread": str(base.get("thread") or ""),
        "author_id": scope.ids.get("user", uid) if uid else None,
        "subject": base.get("subject"),
        "body": body.get("value"),
        "body_format": body.get("format"),
        "published": bool(int(base.get("status") or 0)),
        "source_language": record.language,
        "created_at": unix_time(base.get("created")),
        "changed_at": unix_time(base.get("changed")),
        "extra": _note_extra(record),
    }
    pid = base.get("pid")
    if pid not in (None, 0, "0"):
        item.deferred.append(("parent_id", f"note:{entity.name}", str(pid)))
    return item


def _note_extra(record: EntityRecord) -> Any:
    """Keep what the notes table has no column for: other comment fields and properties."""
    extra: dict[str, Any] = {k: v for k, v in record.base.items() if k not in NOTE_COLUMNS}
    fields = {n: [dict(v) for v in vs] for n, vs in record.fields.items() if n != "comment_body"}
    if fields:
        extra["fields"] = fields
    body = record.fields.get("comment_body") or ()
    if len(body) > 1:
        extra["comment_body_more"] = [dict(v) for v in body[1:]]
    return plain_json(extra) if extra else None
