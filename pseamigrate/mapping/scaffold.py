"""Write a first mapping from a site's content model, so people edit rather than type.

Bundles, vocabularies and fields are matched to the canonical model by name and by the model's
`from:` hints. Whatever cannot be matched is written as an ignore entry whose reason starts with
`TODO`, and list values the model lacks are mapped to `TODO`: `mappings check` rejects both, so
nothing falls through silently before a person decides.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import yaml

from pseamigrate.drupal.model import Bundle, FieldInstance, FieldStorage, SiteModel
from pseamigrate.mapping.model import EXTRA_PREFIX, MAPPING_VERSION
from pseamigrate.mapping.types import field_kind
from pseamigrate.target.model import CanonicalModel, Child, Column, Entity

TODO_FIELD = "TODO: not in the model; map it to a column or extra/<name>, or say why it is ignored"
# Drupal 8+ nodes carry their comment setting as a field of type `comment`; the comments (case
# notes) are read on their own (`iter_comments`), so the setting itself is not mapped.
COMMENT_SETTING = (
    "The node's comment setting (open/closed), not case data; the comments are read separately"
)
TODO_DELETED = "TODO: deleted field instance whose data remains; map it to extra/<name> or say why"
DELETED_NOTE = (
    "# {field} is a DELETED field whose rows remain in the database: kept in\n"
    "# `extra` so nothing is lost. To leave it behind, move it under `ignore:` with a reason.\n"
)
TODO_BUNDLE = "TODO: no entity of the model matches; map it or say why it is ignored"
TODO_VOCABULARY = "TODO: no vocabulary of the model matches; map it or say why it is ignored"
BASE_PROCESS: dict[str, Any] = {
    "title": "title",
    "author_id": {"plugin": "lookup", "source": "uid", "entity": "user"},
    "published": "status",
    "created_at": {"plugin": "format_date", "source": "created", "from_format": "U"},
    "changed_at": {"plugin": "format_date", "source": "changed", "from_format": "U"},
}


def scaffold_mapping(site: SiteModel, model: CanonicalModel, name: str, tenant: str) -> str:
    """Return the YAML text of a first mapping of `site` into `model`."""
    doc: dict[str, Any] = {"version": MAPPING_VERSION, "site": name, "tenant": tenant}
    vocabularies, ignored_vocabularies = _vocabularies(site, model)
    doc["vocabularies"] = vocabularies
    entities: dict[str, Any] = {}
    ignored_bundles: dict[str, str] = {}
    for bundle in sorted(site.bundles.values(), key=lambda b: b.name):
        entity = _match_entity(bundle, model)
        if entity is None:
            ignored_bundles[bundle.name] = TODO_BUNDLE
        else:
            entities[bundle.name] = _entity(site, model, bundle, entity, vocabularies)
    doc["ignore"] = {"bundles": ignored_bundles, "vocabularies": ignored_vocabularies}
    doc["entities"] = entities
    header = (
        f"# First mapping of site {name!r} (Drupal {site.drupal_version}, layout {site.layout}),\n"
        "# written by `pseamigrate mappings scaffold`. Resolve every TODO, then run\n"
        f"# `pseamigrate mappings check {name}`. The language is described in docs/mappings.md.\n"
    )
    body = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=200)
    return header + _note_deleted(body, site)


def _note_deleted(body: str, site: SiteModel) -> str:
    """Put a comment above each process line that keeps a deleted field (YAML dumps none)."""
    deleted = {s.name for s in site.fields.values() if s.deleted} | {
        i.field_name for b in site.bundles.values() for i in b.fields if i.deleted
    }

    def note(match: re.Match[str]) -> str:
        if match.group(3) not in deleted:
            return match.group(0)
        comment = DELETED_NOTE.format(field=match.group(3))
        indented = "".join(match.group(1) + line + "\n" for line in comment.splitlines())
        return indented + match.group(0)

    return re.sub(r"^( +)(extra/\S+): (\S+)$", note, body, flags=re.MULTILINE)


class _Dumper(yaml.SafeDumper):
    """Write plain YAML: no anchors and aliases for repeated steps."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _vocabularies(site: SiteModel, model: CanonicalModel) -> tuple[dict[str, str], dict[str, str]]:
    mapped, ignored = {}, {}
    for name in sorted(site.vocabularies):
        match = next(
            (v.name for v in model.vocabularies.values() if name == v.name or name in v.hints),
            None,
        )
        if match is None:
            ignored[name] = TODO_VOCABULARY
        else:
            mapped[name] = match
    return mapped, ignored


def _match_entity(bundle: Bundle, model: CanonicalModel) -> Entity | None:
    return next((e for e in model.entities.values() if bundle.name in (e.name, e.table)), None)


def _entity(
    site: SiteModel,
    model: CanonicalModel,
    bundle: Bundle,
    entity: Entity,
    vocabularies: dict[str, str],
) -> dict[str, Any]:
    process: dict[str, Any] = copy.deepcopy(BASE_PROCESS)
    ignore: dict[str, str] = {}
    for instance in sorted(bundle.fields, key=lambda i: (i.deleted, i.field_name)):
        storage = site.fields.get((instance.entity_type, instance.field_name))
        if instance.deleted and storage is not None:  # its rows remain: keep them (a comment says)
            process[f"{EXTRA_PREFIX}{instance.field_name.removeprefix('field_')}"] = storage.name
            continue
        if instance.deleted or storage is None:
            ignore[instance.field_name] = TODO_DELETED if instance.deleted else TODO_FIELD
            continue
        if storage.type == "comment":
            ignore[instance.field_name] = COMMENT_SETTING
            continue
        target = _match_field(instance, entity, process)
        if target is None:
            ignore[instance.field_name] = TODO_FIELD
        elif isinstance(target, Child):
            process[target.name] = _sub_process(storage, target, model, vocabularies)
        else:
            process[target.name] = _pipeline(storage, target, model, site, vocabularies)
    result: dict[str, Any] = {
        "source": {"bundle": bundle.name},
        "destination": {"entity": entity.name},
        "process": process,
    }
    if ignore:
        result["ignore"] = ignore
    return result


def _match_field(
    instance: FieldInstance, entity: Entity, taken: dict[str, Any]
) -> Column | Child | None:
    name = instance.field_name
    short = name.removeprefix("field_")
    for child in entity.children:
        if name in child.hints or short == child.name:
            return child
    for column in entity.columns:
        if column.name in taken:
            continue
        if name in column.hints or short in (column.name, column.name.removesuffix("_id")):
            return column
    return None


def _pipeline(
    storage: FieldStorage,
    column: Column,
    model: CanonicalModel,
    site: SiteModel,
    vocabularies: dict[str, str],
) -> Any:
    source = storage.name
    if column.type == "term":
        return {"plugin": "lookup", "source": source, "vocabulary": column.vocabulary}
    if column.type in ("ref", "file", "member"):
        entity = {"ref": column.entity, "file": "file", "member": "user"}[column.type]
        return {"plugin": "lookup", "source": source, "entity": entity}
    if column.type in ("date", "datetime") and field_kind(storage) == "rawdate":
        to_format = "Y-m-d" if column.type == "date" else "Y-m-d H:i:s"
        from_format = _date_format(storage, site)
        return {
            "plugin": "format_date",
            "source": source,
            "from_format": from_format,
            "to_format": to_format,
        }
    if column.values and storage.allowed_values:
        return {"plugin": "static_map", "source": source, "map": _value_map(storage, column)}
    return source


def _value_map(storage: FieldStorage, column: Column) -> dict[str, str]:
    result = {}
    for allowed in storage.allowed_values:
        candidates = (allowed.key, allowed.key.lower(), allowed.label.lower().replace(" ", "_"))
        result[allowed.key] = next((c for c in candidates if c in column.values), "TODO")
    return result


def _date_format(storage: FieldStorage, site: SiteModel) -> str:
    if storage.type == "datestamp":
        return "U"
    if site.layout == "d7" and storage.type == "datetime":
        return "Y-m-d H:i:s"
    if storage.settings.get("datetime_type") == "date":
        return "Y-m-d"
    return "Y-m-d\\TH:i:s"


def _sub_process(
    storage: FieldStorage, child: Child, model: CanonicalModel, vocabularies: dict[str, str]
) -> dict[str, Any]:
    inner: dict[str, Any] = {}
    key = "target_id"  # Drupal 7's tid/fid are offered under this name too (transform.rows)
    for column in child.columns:
        if column.type == "term":
            inner[column.name] = {
                "plugin": "lookup",
                "source": key,
                "vocabulary": column.vocabulary,
            }
        elif column.type in ("file", "ref", "member"):
            entity = {"ref": column.entity, "file": "file", "member": "user"}[column.type]
            inner[column.name] = {"plugin": "lookup", "source": key, "entity": entity}
        elif column.name in storage.columns:
            inner[column.name] = column.name
    return {"plugin": "sub_process", "source": storage.name, "process": inner}
