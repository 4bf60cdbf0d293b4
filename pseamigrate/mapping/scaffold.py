"""Write a first mapping from a site's content model, so people edit rather than type.

Bundles, vocabularies and fields are matched to the canonical model by name and by the model's
`from:` hints, then by what the site says (#22): a vocabulary by what its term fields are used
as (`_used_as`), a reference field by what it points at (`_by_target`). What cannot be matched
depends on `unmapped`:

- `todo` (the default): an ignore entry whose reason starts with `TODO` (also for a field that
  matches a column it does not fit, with the reason), and list values the model lacks are
  mapped to `TODO`: `mappings check` rejects these and nothing else the scaffold wrote, so
  nothing falls through silently before a person decides;
- `extra`: a mapping that `check` accepts as it is and that loses nothing (`lossless.py`): fields
  without a place in the model are kept in `extra`, bundles and vocabularies without one are
  ignored with the reason; each such decision is marked for review (a warning of `check`).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from pseamigrate.drupal.model import Bundle, FieldInstance, FieldStorage, SiteModel
from pseamigrate.mapping.lossless import (
    Fed,
    child_pipeline,
    column_pipeline,
    date_zones,
    drupal_date_format,
    fit_problem,
    keep_in_extra,
    lookup_step,
    lossless_entries,
    value_map,
)
from pseamigrate.mapping.model import EXTRA_PREFIX, MAPPING_VERSION, REVIEW
from pseamigrate.mapping.types import field_kind
from pseamigrate.target.model import CanonicalModel, Child, Column, Entity

UNMAPPED_MODES = ("todo", "extra")

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
TODO_MISFIT = "TODO: {why}; map it elsewhere, keep it in extra/<name>, or say why it is ignored"
TODO_BUNDLE = "TODO: no entity of the model matches; map it or say why it is ignored"
TODO_VOCABULARY = "TODO: no vocabulary of the model matches; map it or say why it is ignored"
REVIEW_BUNDLE = f"{REVIEW}: no entity of the model matches; its nodes are not migrated"
REVIEW_VOCABULARY = (
    f"{REVIEW}: no vocabulary of the model matches; its terms are not migrated "
    "(fields pointing at them keep the source term ids in extra)"
)
REVIEW_DELETED = f"{REVIEW}: deleted field instance whose storage is gone: no rows to keep"
REVIEW_NO_STORAGE = f"{REVIEW}: field instance without storage: the reader finds nothing to keep"
REVIEW_HEADER = (
    "# Written with --unmapped extra: nothing is left out. What the model has no place for is\n"
    "# kept in `extra` or ignored with the reason; each decision the tool took on its own says\n"
    "# `review:` (or its reason starts with REVIEW) and `mappings check` lists it as a warning.\n"
    "# Delete the marker when you agree, or change the mapping.\n"
)
UTC_ZONES = {"from_timezone": "UTC", "to_timezone": "UTC"}
BASE_PROCESS: dict[str, Any] = {
    "title": "title",
    "author_id": {"plugin": "lookup", "source": "uid", "entity": "user"},
    "published": "status",
    # Moments: datetime columns hold UTC (#22), and the scaffold says so.
    "created_at": {"plugin": "format_date", "source": "created", "from_format": "U", **UTC_ZONES},
    "changed_at": {"plugin": "format_date", "source": "changed", "from_format": "U", **UTC_ZONES},
}


# Stored values per (bundle, field): how many current nodes hold each (EMPTY_VALUE: none).
ValueCounts = Mapping[tuple[str, str], Mapping[str, int]]
EMPTY_VALUE = ""


@dataclass(frozen=True)
class Scaffold:
    """A scaffolded mapping: its YAML text, and what it leaves to a person.

    `todos`: the entries `check` rejects until a person decides (ignore reasons, map values and
    defaults starting with TODO); `decisions`: the choices the tool took on its own (`review:`
    notes, REVIEW reasons, deleted fields kept in extra), which a person should look at."""

    text: str
    todos: int
    decisions: int


def scaffold_mapping(
    site: SiteModel,
    model: CanonicalModel,
    name: str,
    tenant: str,
    unmapped: str = "todo",
    counts: ValueCounts | None = None,
) -> str:
    """Return the YAML text of a first mapping of `site` into `model` (see `scaffold`)."""
    return scaffold(site, model, name, tenant, unmapped, counts).text


def scaffold(
    site: SiteModel,
    model: CanonicalModel,
    name: str,
    tenant: str,
    unmapped: str = "todo",
    counts: ValueCounts | None = None,
) -> Scaffold:
    """Write a first mapping of `site` into `model` (`unmapped`: see above), counting its TODOs
    and decisions.

    With `counts` (the values the nodes hold), a required coded column's stored values the
    model lacks become `TODO (N rows)` in both modes: only a person can decide what they mean,
    and `check` fails until one has; nodes without a value get a `default_value` TODO."""
    extra = unmapped == "extra"
    doc: dict[str, Any] = {"version": MAPPING_VERSION, "site": name, "tenant": tenant}
    matched = {b.name: _match_entity(b, model) for b in site.bundles.values()}
    entity_of = {b: e for b, e in matched.items() if e is not None}
    vocabularies, ignored_vocabularies = _vocabularies(site, model, entity_of, extra)
    doc["vocabularies"] = vocabularies
    fed = Fed(vocabularies, {b: e.name for b, e in entity_of.items()})
    entities: dict[str, Any] = {}
    ignored_bundles: dict[str, str] = {}
    for bundle in sorted(site.bundles.values(), key=lambda b: b.name):
        entity = matched[bundle.name]
        if entity is None:
            ignored_bundles[bundle.name] = REVIEW_BUNDLE if extra else TODO_BUNDLE
        else:
            entities[bundle.name] = _entity(site, bundle, entity, fed, extra)
            _decisions(entities[bundle.name], bundle.name, entity, counts or {})
    doc["ignore"] = {"bundles": ignored_bundles, "vocabularies": ignored_vocabularies}
    doc["entities"] = entities
    header = (
        f"# First mapping of site {name!r} (Drupal {site.drupal_version}, layout {site.layout}),\n"
        "# written by `pseamigrate mappings scaffold`. Resolve every TODO, then run\n"
        f"# `pseamigrate mappings check {name}`. The language is described in docs/mappings.md.\n"
    )
    if extra:
        header = header.replace("Resolve every TODO", "Review every warning") + REVIEW_HEADER
    body = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=200)
    noted = _note_deleted(body, site)
    kept_deleted = noted.count("is a DELETED field whose rows remain")
    return Scaffold(header + noted, _todos(doc), _reviews(doc) + kept_deleted)


def _todos(node: Any) -> int:
    """Count the values starting with TODO (each one a problem of `check`)."""
    if isinstance(node, dict):
        return sum(_todos(value) for value in node.values())
    if isinstance(node, list):
        return sum(_todos(value) for value in node)
    return int(isinstance(node, str) and node.startswith("TODO"))


def _reviews(node: Any) -> int:
    """Count the decisions marked for review: `review:` notes and REVIEW reasons."""
    if isinstance(node, dict):
        own = int("review" in node)
        return own + sum(_reviews(v) for k, v in node.items() if k != "review")
    if isinstance(node, list):
        return sum(_reviews(value) for value in node)
    return int(isinstance(node, str) and node.startswith(REVIEW))


def _decisions(mapped: dict[str, Any], bundle: str, entity: Entity, counts: ValueCounts) -> None:
    """Turn a required coded column's stored values without a model value into TODOs, with
    how many nodes hold each; nodes holding none need a default a person picks."""
    for column in (c for c in entity.columns if c.required and c.values):
        step = mapped["process"].get(column.name)
        if not isinstance(step, dict) or step.get("plugin") != "static_map":
            continue
        held = counts.get((bundle, str(step.get("source"))), {})
        table = step.setdefault("map", {})
        for value, rows in held.items():
            if value != EMPTY_VALUE and rows and table.get(value) in (None, "TODO"):
                table[value] = f"TODO ({rows} rows)"
        empty = held.get(EMPTY_VALUE, 0)
        if empty and "default_value" not in step:
            step["default_value"] = f"TODO ({empty} rows have no value)"


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


def _vocabularies(
    site: SiteModel, model: CanonicalModel, entity_of: Mapping[str, Entity], extra: bool
) -> tuple[dict[str, str], dict[str, str]]:
    """Map each site vocabulary to a model vocabulary: by its name or the model's `from:`
    hints, else by what it is used as (the term fields that point at it, see `_used_as`)."""
    mapped: dict[str, str] = {}
    for name in sorted(site.vocabularies):
        match = next(
            (v.name for v in model.vocabularies.values() if name == v.name or name in v.hints),
            None,
        )
        if match is not None:
            mapped[name] = match
    ignored = {}
    for name in sorted(site.vocabularies):
        if name not in mapped:
            used = _used_as(site, name, entity_of, set(mapped.values()))
            if used is not None:
                mapped[name] = used
            else:
                ignored[name] = REVIEW_VOCABULARY if extra else TODO_VOCABULARY
    return dict(sorted(mapped.items())), ignored


def _used_as(
    site: SiteModel, vocabulary: str, entity_of: Mapping[str, Entity], fed: Collection[str]
) -> str | None:
    """Return the model vocabulary a site vocabulary is used as, when its term fields agree.

    A term field of a mapped bundle that points at `vocabulary` and matches a term column or
    child table by name says which model vocabulary the terms are (Iraq's `crp_topics` is what
    `field_session_topics`, the model's `topics`, points at); a field matching none says so when
    its entity has exactly one term slot of a vocabulary nothing else feeds yet. A model
    vocabulary another site vocabulary already feeds by name is not given a second one."""
    found: set[str] = set()
    for bundle, entity in entity_of.items():
        for instance in site.bundles[bundle].fields:
            storage = site.fields.get((instance.entity_type, instance.field_name))
            if instance.deleted or storage is None or field_kind(storage) != "term":
                continue
            if vocabulary not in storage.target_bundles:
                continue
            target = _match_field(instance, entity, ())
            slots = _term_slots(target) if target is not None else []
            if not slots:
                free = set(_entity_term_vocabularies(entity))
                slots = sorted(free) if len(free - set(fed)) == 1 else []
            found.update(v for v in slots if v not in fed)
    return found.pop() if len(found) == 1 else None


def _term_slots(target: Column | Child) -> list[str]:
    """Return the vocabularies a column or child table takes terms of."""
    columns = target.columns if isinstance(target, Child) else [target]
    return [c.vocabulary for c in columns if c.type == "term" and c.vocabulary]


def _entity_term_vocabularies(entity: Entity) -> list[str]:
    slots = [v for column in entity.columns for v in _term_slots(column)]
    return slots + [v for child in entity.children for v in _term_slots(child)]


def _match_entity(bundle: Bundle, model: CanonicalModel) -> Entity | None:
    return next((e for e in model.entities.values() if bundle.name in (e.name, e.table)), None)


def _entity(
    site: SiteModel, bundle: Bundle, entity: Entity, fed: Fed, extra: bool
) -> dict[str, Any]:
    """Return one entity mapping (`extra`: `--unmapped extra` mode, lossless.py)."""
    process: dict[str, Any] = copy.deepcopy(BASE_PROCESS)
    ignore: dict[str, str] = {}
    targets = _targets(site, bundle, entity, fed)
    for instance in sorted(bundle.fields, key=lambda i: (i.deleted, i.field_name)):
        storage = site.fields.get((instance.entity_type, instance.field_name))
        if instance.deleted and storage is not None and extra:
            process.update(keep_in_extra(storage, "a deleted field whose rows remain: kept"))
        elif instance.deleted and storage is not None:  # its rows remain: keep them (a comment)
            process[f"{EXTRA_PREFIX}{instance.field_name.removeprefix('field_')}"] = storage.name
        elif instance.deleted or storage is None:
            ignore[instance.field_name] = _missing(instance.deleted, extra)
        elif storage.type == "comment":  # the setting, not the comments: both modes
            ignore[instance.field_name] = COMMENT_SETTING
        elif extra:
            process.update(lossless_entries(storage, targets.get(instance.field_name), site, fed))
        else:
            target = targets.get(instance.field_name)
            _todo_entry(site, fed, instance, storage, target, process, ignore)
    result: dict[str, Any] = {
        "source": {"bundle": bundle.name},
        "destination": {"entity": entity.name},
        "process": process,
    }
    if ignore:
        result["ignore"] = ignore
    return result


def _targets(
    site: SiteModel, bundle: Bundle, entity: Entity, fed: Fed
) -> dict[str, Column | Child]:
    """Return the column or child table each live field goes to: first every field that matches
    one by name or the model's hints, then references by what they point at (`_by_target`)."""
    live = [
        (instance, storage)
        for instance in sorted(bundle.fields, key=lambda i: i.field_name)
        if not instance.deleted
        and (storage := site.fields.get((instance.entity_type, instance.field_name))) is not None
        and storage.type != "comment"
    ]
    taken: set[str] = set(BASE_PROCESS)
    targets: dict[str, Column | Child] = {}
    for instance, _storage in live:
        target = _match_field(instance, entity, taken)
        if target is not None:
            targets[instance.field_name] = target
            taken.add(target.name)
    for instance, storage in live:
        if instance.field_name not in targets:
            target = _by_target(storage, entity, taken, fed)
            if target is not None:
                targets[instance.field_name] = target
                taken.add(target.name)
    return targets


def _by_target(
    storage: FieldStorage, entity: Entity, taken: Collection[str], fed: Fed
) -> Column | Child | None:
    """Return the one free reference column (or child table) of `entity` that a reference field
    fits by what it points at: Iraq's `field_case_nid`, an entity reference to complaints, is
    `referrals.complaint_id` although no name says so. None unless exactly one fits."""
    kind = field_kind(storage)
    if kind == "node":
        wanted = {fed.entities.get(b) for b in storage.target_bundles}
        column_type, key = "ref", "entity"
    elif kind == "term":
        wanted = {fed.vocabularies.get(v) for v in storage.target_bundles}
        column_type, key = "term", "vocabulary"
    else:
        return None
    if len(wanted) != 1 or None in wanted:
        return None
    (points_at,) = wanted

    def fits(column: Column) -> bool:
        return column.type == column_type and getattr(column, key) == points_at

    free: list[Column | Child] = [
        c for c in entity.columns if c.name not in taken and storage.cardinality == 1 and fits(c)
    ]
    free += [c for c in entity.children if c.name not in taken and any(map(fits, c.columns))]
    return free[0] if len(free) == 1 else None


def _missing(deleted: bool, extra: bool) -> str:
    """Return the ignore reason of an instance without storage."""
    if extra:
        return REVIEW_DELETED if deleted else REVIEW_NO_STORAGE
    return TODO_DELETED if deleted else TODO_FIELD


def _todo_entry(
    site: SiteModel,
    fed: Fed,
    instance: FieldInstance,
    storage: FieldStorage,
    target: Column | Child | None,
    process: dict[str, Any],
    ignore: dict[str, str],
) -> None:
    """Add the `--unmapped todo` entry of one live field: into the model where it fits as
    `check` demands, else a TODO ignore saying why (the scaffold writes nothing of its own that
    `check` rejects: every problem it leaves is a TODO a person resolves)."""
    if target is None:
        ignore[instance.field_name] = TODO_FIELD
        return
    misfit = fit_problem(storage, target, site, fed)
    if misfit:
        ignore[instance.field_name] = TODO_MISFIT.format(why=misfit)
    elif isinstance(target, Child):
        process[target.name] = child_pipeline(storage, target)
    else:
        strict = _pipeline(storage, target, site)
        if isinstance(strict, str):  # a plain copy: unless the value fits as it is, convert
            converted, _why = column_pipeline(storage, target, site, fed)
            strict = converted if converted is not None else strict
        process[target.name] = strict


def _match_field(
    instance: FieldInstance, entity: Entity, taken: Collection[str]
) -> Column | Child | None:
    name = instance.field_name
    short = name.removeprefix("field_")
    for child in entity.children:
        if child.name not in taken and (name in child.hints or short == child.name):
            return child
    for column in entity.columns:
        if column.name in taken:
            continue
        if name in column.hints or short in (column.name, column.name.removesuffix("_id")):
            return column
    return None


def _pipeline(storage: FieldStorage, column: Column, site: SiteModel) -> Any:
    source = storage.name
    if column.type in ("term", "ref", "file", "member"):
        return lookup_step(storage, column)
    unix_time = column.type == "date" and field_kind(storage) == "integer"
    if column.type in ("date", "datetime") and (field_kind(storage) == "rawdate" or unix_time):
        to_format = "Y-m-d" if column.type == "date" else "Y-m-d H:i:s"
        from_format = "U" if unix_time else drupal_date_format(storage, site)
        return {
            "plugin": "format_date",
            "source": source,
            "from_format": from_format,
            "to_format": to_format,
            **date_zones(storage, column, site, from_format),
        }
    if column.values and storage.allowed_values:
        matched = value_map(storage, column)
        table = {key: value or "TODO" for key, value in matched.items()}
        return {"plugin": "static_map", "source": source, "map": table}
    return source
