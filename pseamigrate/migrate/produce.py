"""Turn the reader's records into `Item`s: content, revisions, notes, terms and files.

Pure apart from the lookups it is given: no SQL here. Accounts have their own module
(`migrate/accounts.py`), since they merge across tenants.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pseamigrate.drupal.model import EntityRecord, SiteModel
from pseamigrate.errors import UnmappedValue
from pseamigrate.mapping.model import EntityMapping, ProcessField
from pseamigrate.mapping.zones import site_dated
from pseamigrate.memo import IdentityCache
from pseamigrate.migrate.items import IGNORED, Child, Item
from pseamigrate.migrate.lookups import IdMaps, source_key
from pseamigrate.migrate.values import check_values, plain_json
from pseamigrate.target import model as cm
from pseamigrate.transform.process import (
    Context,
    PipelineFailed,
    SkipRow,
    read_source,
    transform_row,
)
from pseamigrate.transform.rows import source_row

BASE_KEYS = ("title", "author_id", "published", "created_at", "changed_at", "source_language")


@dataclass(frozen=True)
class Scope:
    """What producing rows of one site needs: its tenant, models, mapping and lookups."""

    tenant_id: int
    site: SiteModel
    model: cm.CanonicalModel
    ids: IdMaps


def unix_time(value: Any) -> dt.datetime | None:
    """Turn a Drupal unix timestamp into a naive UTC datetime (0 and empty: None)."""
    if value in (None, "", 0, "0"):
        return None
    return _EPOCH + dt.timedelta(seconds=int(value))  # fromtimestamp's value, in half the time


_EPOCH = dt.datetime(1970, 1, 1)


def transformed(
    item: Item, em: EntityMapping, record: EntityRecord, scope: Scope
) -> dict[str, Any] | None:
    """Run the mapping on one record; None when the row failed or was skipped."""
    row = source_row(record, scope.site)
    # Unix times become dates in the site's own time zone, unless the mapping names one.
    em = site_dated(em, scope.model.entities.get(em.destination), scope.site.timezone.name)
    ctx = Context(lookup=scope.ids.get)
    try:
        result = transform_row(em, row, ctx)
    except SkipRow as exc:
        item.status = IGNORED
        item.messages.append(("info", f"skipped by the mapping at {exc.where}"))
        return None
    except (UnmappedValue, ValueError, TypeError, OverflowError) as exc:
        item.fail(f"mapping failed: {_reason(exc)}")
        return None
    for message in ctx.messages:
        item.warn(message)
    extra = dict(result.pop("extra", {}) or {})
    _missing_references(item, em, row, result, extra)
    if record.translations:
        extra["translations"] = {t.language: _translation(t) for t in record.translations}
    result["extra"] = extra
    return result


def _reason(exc: Exception) -> str:
    """Say why a transform failed without quoting the value: UnmappedValue names the step,
    PipelineFailed the destination and the error's kind."""
    return str(exc) if isinstance(exc, (UnmappedValue, PipelineFailed)) else type(exc).__name__


def _translation(translation: Any) -> dict[str, Any]:
    fields = {name: [dict(v) for v in values] for name, values in translation.fields.items()}
    return {"title": translation.base.get("title"), "fields": fields}


def _missing_references(
    item: Item,
    em: EntityMapping,
    row: Mapping[str, Any],
    result: dict[str, Any],
    extra: dict[str, Any],
) -> None:
    """A lookup that found nothing keeps the row: reference empty, source id in extra."""
    for pf, kind, source in _lookup_fields(em):
        wanted = read_source(row, source)
        many = isinstance(wanted, list)
        keys = [k for k in (source_key(w) for w in (wanted if many else [wanted])) if k]
        found = result.get(pf.destination)
        found_list = found if isinstance(found, list) else [found]
        missing = [key for key, hit in zip(keys, found_list, strict=False) if hit is None]
        if not missing:
            continue
        name = f"{pf.destination}_source_id"
        extra[name] = missing if many else missing[0]
        if isinstance(found, list):
            result[pf.destination] = [hit for hit in found if hit is not None]
        item.warn(
            f"{pf.destination}: {kind} {', '.join(missing)} not in the target; reference left "
            f"empty, source id kept in extra/{name}"
        )


def _find_lookup_fields(em: EntityMapping) -> list[tuple[ProcessField, str, str]]:
    """Return the mapping's process fields that look up references, with the kind and source."""
    fields = [(pf, _lookup_kind(pf), pf.source) for pf in em.process]
    return [(pf, kind, source) for pf, kind, source in fields if kind and source is not None]


# Found once per mapping, not per row: a profile of `migrate` put the per-row search at 2%.
_lookup_fields: IdentityCache[EntityMapping, list[tuple[ProcessField, str, str]]] = IdentityCache(
    _find_lookup_fields
)


def _lookup_kind(pf: ProcessField) -> str | None:
    for step in pf.steps:
        if step.plugin == "lookup":
            return str(step.options.get("vocabulary") or step.options.get("entity"))
    return None


def entity_item(record: EntityRecord, em: EntityMapping, scope: Scope) -> Item:
    """Build the item of one node: its entity row and its child rows."""
    entity = scope.model.entities[em.destination]
    item = Item(f"node:{em.bundle}", str(record.id), entity.table)
    result = transformed(item, em, record, scope)
    if result is None:
        return item
    values: dict[str, Any] = {
        "tenant_id": scope.tenant_id,
        "source_id": record.id,
        "source_revision_id": record.revision_id,
        "source_language": record.language,
    }
    extra = result.pop("extra")
    for child in entity.children:
        rows = result.pop(child.name, None) or []
        item.children.append(
            _child_rows(item, scope.tenant_id, child, entity, record.id, rows, extra)
        )
    for key, value in result.items():
        if key in BASE_KEYS or entity.column(key) is not None:
            values[key] = value
    check_values(item, entity.columns, values, extra)
    values["extra"] = plain_json(extra) if extra else None
    item.values = values
    return item


def _child_rows(
    item: Item,
    tenant_id: int,
    child: cm.Child,
    entity: cm.Entity,
    nid: int,
    rows: list[dict[str, Any]],
    extra: dict[str, Any],
) -> Child:
    """Child rows of one node; a row missing a required reference moves to extra."""
    kept, unresolved = [], []
    required = [c.name for c in child.columns if c.required]
    for row in rows:
        if any(row.get(name) is None for name in required):
            unresolved.append(row.get("delta"))
            continue
        kept.append({"tenant_id": tenant_id, "source_id": nid, **row})
    if unresolved:
        extra[f"{child.name}_unresolved_deltas"] = unresolved
        item.warn(f"{child.name}: deltas {unresolved} lack a required value; kept out")
    return Child(child.table, f"{entity.name}_id", kept)


def file_item(record: EntityRecord, scope: Scope, copied: Any) -> Item:
    """Build one `files` row: the source row, the copy's size and sha256, usage in extra."""
    base = record.base
    uid = base.get("uid")
    item = Item("file", str(record.id), "files")
    if copied.problem:
        item.warn(f"file {record.id}: {copied.problem}; the row is kept without a copy")
    extra: dict[str, Any] = {"usage": [dict(u) for u in base.get("usage") or ()]}
    if base.get("filesize") is not None and copied.size not in (None, base.get("filesize")):
        extra["source_filesize"] = base.get("filesize")
    item.values = {
        "tenant_id": scope.tenant_id,
        "source_id": record.id,
        "owner_id": scope.ids.get("user", uid) if uid else None,
        "filename": str(base.get("filename") or ""),
        "uri": str(base.get("uri") or ""),
        "mime": base.get("filemime"),
        "size": copied.size,
        "sha256": copied.sha256,
        "status": base.get("status"),
        "created_at": unix_time(base.get("timestamp", base.get("created"))),
        "extra": plain_json(extra),
    }
    return item
