"""Build the data behind `pseamigrate inspect` and `pseamigrate diff` (plain dicts, no I/O).

The inspect shape is documented in docs/inspect.md and is stable: keys are only ever added.
Only structure and counts appear here, never content values.
"""

from __future__ import annotations

from collections.abc import Mapping

from pseamigrate.drupal.facts import SiteFacts
from pseamigrate.drupal.model import Bundle, SiteCounts, SiteModel
from pseamigrate.drupal.shapes import (
    BundleData,
    DiffData,
    DiffRow,
    DiffValue,
    FieldData,
    FieldsOf,
    InspectData,
    UnknownType,
)

INSPECT_FORMAT = 1


def inspect_data(
    model: SiteModel,
    counts: SiteCounts,
    latin1_tables: list[str] | None = None,
    facts: SiteFacts | None = None,
) -> InspectData:
    """Describe a site's content model with its counts, in the documented inspect shape
    (with `facts`: charsets, languages, roles and modules added)."""
    users = model.entity_bundles.get("user", {}).get("user")
    data: InspectData = {
        "format": INSPECT_FORMAT,
        "drupal_version": model.drupal_version,
        "layout": model.layout,
        "table_prefix": model.table_prefix,
        "bundles": {
            name: {
                "label": bundle.label,
                "count": counts.nodes.get(name, 0),
                "published": counts.published.get(name, 0),
                "revisions": counts.revisions.get(name, 0),
                "comments": counts.comments.get(name, 0),
                **_fields_of(model, bundle),
                "deleted_field_rows": _deleted_rows(model, bundle, counts.deleted_rows.get(name)),
            }
            for name, bundle in sorted(model.bundles.items())
        },
        "vocabularies": {
            name: {
                "name": vocabulary.name,
                "terms": counts.terms.get(name, 0),
                "hierarchy": vocabulary.hierarchy,
                **_fields_of(model, model.entity_bundles.get("taxonomy_term", {}).get(name)),
            }
            for name, vocabulary in sorted(model.vocabularies.items())
        },
        "users": {
            "total": counts.users_total,
            "blocked": counts.users_blocked,
            "active": counts.users_total - counts.users_blocked,
            **_fields_of(model, users),
        },
        "files": {"total": counts.files},
        "unknown_field_types": _unknown_types(model),
        "latin1_tables": sorted(latin1_tables or []),
        "problems": [
            {"table": p.table, "row": p.row, "field": p.field, "message": p.message}
            for p in model.problems
        ],
        "timezone": {
            "name": model.timezone.name,
            "setting": model.timezone.setting,
            "note": model.timezone.note,
        },
    }
    if facts is not None:
        _add_facts(data, facts)
    return data


def _add_facts(data: InspectData, facts: SiteFacts) -> None:
    """Add the site facts (#14) to inspect data: charsets, languages, roles, modules."""
    data["charsets"] = {name: len(tables) for name, tables in sorted(facts.charsets.items())}
    data["default_language"] = facts.default_language
    data["languages"] = dict(sorted(facts.languages.items()))
    data["roles"] = dict(sorted(facts.roles.items()))
    data["modules"] = sorted(facts.modules)


def _fields_of(model: SiteModel, bundle: Bundle | None) -> FieldsOf:
    """Describe a bundle's live fields and name its deleted instances."""
    if bundle is None:
        return {"fields": {}, "deleted_fields": []}
    fields: dict[str, FieldData] = {}
    deleted = []
    for instance in bundle.fields:
        storage = model.fields.get((instance.entity_type, instance.field_name))
        if instance.deleted or storage is None or storage.deleted:
            deleted.append(instance.field_name)
            continue
        fields[instance.field_name] = {
            "type": storage.type,
            "cardinality": storage.cardinality,
            "required": instance.required,
            "label": instance.label,
            "module": storage.module,
            "known_type": storage.known_type,
            "allowed_values": [value.key for value in storage.allowed_values],
            "target_type": storage.target_type,
            "target_bundles": list(storage.target_bundles),
            "table": storage.data_table,
        }
    return {"fields": dict(sorted(fields.items())), "deleted_fields": sorted(set(deleted))}


def _deleted_rows(
    model: SiteModel, bundle: Bundle, counted: Mapping[str, int] | None
) -> dict[str, int]:
    """Give every deleted field of a node type its remaining rows (0: none, or no table)."""
    names = _fields_of(model, bundle)["deleted_fields"]
    return {name: (counted or {}).get(name, 0) for name in names}


def _unknown_types(model: SiteModel) -> list[UnknownType]:
    """List field types the reader only describes, with the fields that use them."""
    found: dict[str, set[str]] = {}
    for (entity_type, name), storage in model.fields.items():
        if not storage.known_type and not storage.deleted:
            found.setdefault(storage.type, set()).add(f"{entity_type}.{name}")
    return [{"type": kind, "fields": sorted(names)} for kind, names in sorted(found.items())]


def diff_data(sites: Mapping[str, InspectData]) -> DiffData:
    """Compare sites' inspect data: what some have and others lack, and what differs."""
    names = list(sites)
    rows: list[DiffRow] = []
    _presence(rows, "bundle", {n: s["bundles"] for n, s in sites.items()}, names)
    _presence(rows, "vocabulary", {n: s["vocabularies"] for n, s in sites.items()}, names)
    for bundle in sorted({b for s in sites.values() for b in s["bundles"]}):
        having = {n: s["bundles"][bundle] for n, s in sites.items() if bundle in s["bundles"]}
        _field_rows(rows, bundle, having, names)
    _latin1(rows, sites, names)
    _timezones(rows, sites, names)
    _site_facts(rows, sites, names)
    return {"format": INSPECT_FORMAT, "sites": names, "differences": rows}


def _timezones(rows: list[DiffRow], sites: Mapping[str, InspectData], names: list[str]) -> None:
    """Add a row when sites turn Unix times into dates in different time zones."""
    zones: dict[str, DiffValue] = {
        n: sites[n]["timezone"]["name"] if "timezone" in sites[n] else "UTC" for n in names
    }
    if len(set(zones.values())) > 1:
        rows.append(_row("site", "timezone", zones))


def _site_facts(rows: list[DiffRow], sites: Mapping[str, InspectData], names: list[str]) -> None:
    """Add rows where sites differ in charsets, default language, roles or enabled modules."""
    facts = {n: sites[n] for n in names}
    if not all("modules" in f for f in facts.values()):
        return  # inspect data without facts (older callers)
    charsets = {n: sorted(f.get("charsets", {})) for n, f in facts.items()}
    if len({tuple(v) for v in charsets.values()}) > 1:
        rows.append(_row("encoding", "charsets", dict(charsets)))
    default = {n: f.get("default_language", "") for n, f in facts.items()}
    if len(set(default.values())) > 1:
        rows.append(_row("site", "default_language", dict(default)))
    lists = {
        "roles": {n: sorted(f.get("roles", {})) for n, f in facts.items()},
        "modules": {n: sorted(f.get("modules", [])) for n, f in facts.items()},
    }
    for prop, values in lists.items():
        if len({tuple(v) for v in values.values()}) > 1:
            common = set.intersection(*(set(v) for v in values.values()))
            row = _row("site", prop, dict(values))
            row["only_in"] = {n: sorted(set(v) - common) for n, v in values.items()}
            rows.append(row)


def _row(kind: str, prop: str, values: dict[str, DiffValue]) -> DiffRow:
    return {"kind": kind, "bundle": None, "field": None, "property": prop, "values": values}


def _presence(
    rows: list[DiffRow], kind: str, items: Mapping[str, Mapping[str, object]], names: list[str]
) -> None:
    for key in sorted({k for v in items.values() for k in v}):
        values: dict[str, DiffValue] = {n: key in items[n] for n in names}
        if len(set(values.values())) > 1:
            rows.append(
                {
                    "kind": kind,
                    "bundle": key,
                    "field": None,
                    "property": "present",
                    "values": values,
                }
            )


def _field_rows(
    rows: list[DiffRow], bundle: str, having: Mapping[str, BundleData], names: list[str]
) -> None:
    """Add field presence, deleted-instance, type, cardinality and list-value differences."""
    all_fields = sorted({f for b in having.values() for f in [*b["fields"], *b["deleted_fields"]]})
    for field in all_fields:
        state: dict[str, DiffValue] = {
            n: _state(having[n], field) if n in having else "no bundle" for n in names
        }
        if len({v for v in state.values() if v != "no bundle"}) > 1:
            rows.append(
                {
                    "kind": "field",
                    "bundle": bundle,
                    "field": field,
                    "property": "present",
                    "values": state,
                }
            )
        live = {n: b["fields"][field] for n, b in having.items() if field in b["fields"]}
        for prop in ("type", "cardinality"):
            values: dict[str, DiffValue] = {n: f[prop] for n, f in live.items()}
            if len(set(values.values())) > 1:
                rows.append(
                    {
                        "kind": "field",
                        "bundle": bundle,
                        "field": field,
                        "property": prop,
                        "values": values,
                    }
                )
        _list_values(rows, bundle, field, {n: f["allowed_values"] for n, f in live.items()})


def _list_values(
    rows: list[DiffRow], bundle: str, field: str, values: Mapping[str, list[str]]
) -> None:
    """Add a row when list fields differ in their set of keys (order is only display)."""
    if len({frozenset(v) for v in values.values()}) < 2:
        return
    common = frozenset.intersection(*(frozenset(v) for v in values.values()))
    rows.append(
        {
            "kind": "field",
            "bundle": bundle,
            "field": field,
            "property": "allowed_values",
            "values": dict(values),
            "only_in": {n: sorted(set(v) - common) for n, v in values.items()},
        }
    )


def _state(bundle: FieldsOf, field: str) -> str:
    if field in bundle["fields"]:
        return "present"
    return "deleted" if field in bundle["deleted_fields"] else "missing"


def _latin1(rows: list[DiffRow], sites: Mapping[str, InspectData], names: list[str]) -> None:
    """Add one row when sites differ in which tables hold latin1 text (legacy double encoding)."""
    tables = {n: sorted(sites[n].get("latin1_tables", [])) for n in names}
    if len({tuple(v) for v in tables.values()}) > 1:
        rows.append(
            {
                "kind": "encoding",
                "bundle": None,
                "field": None,
                "property": "latin1_tables",
                "values": {n: len(v) for n, v in tables.items()},
            }
        )
