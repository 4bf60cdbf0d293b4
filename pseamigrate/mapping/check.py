"""Check a mapping against a site's content model and the canonical model; return every problem.

Nothing may silently fall through: every bundle, vocabulary and field instance of the site
(deleted instances included, since their data remains) is mapped or ignored with a reason; each
destination exists in the model; types fit; every value of a mapped list field is covered; every
lookup targets a vocabulary or entity the mapping fills.

Warnings are what needs a person's eye but loses nothing: decisions the tool made on its own
(a step's `review:`, an ignore reason starting with REVIEW) and list values a `static_map` with
`unmatched: extra` keeps in `extra`. `check_findings` returns both; `check_mapping` the problems.
"""

from __future__ import annotations

from dataclasses import dataclass

from pseamigrate.drupal.model import Bundle, FieldInstance, FieldStorage, SiteModel
from pseamigrate.mapping.model import (
    BASE_DESTINATIONS,
    BASE_PROPERTIES,
    CALLBACK_RETURNS,
    EXTRA_PREFIX,
    LOOKUP_KINDS,
    REVIEW,
    EntityMapping,
    ProcessField,
    SiteMapping,
    Step,
    Where,
    extra_key,
    sources_used,
    split_source,
)
from pseamigrate.mapping.types import BASE_KINDS, REFERENCE_KINDS, accepts, field_kind
from pseamigrate.mapping.zones import unix_dates
from pseamigrate.target.model import CanonicalModel, Column, Entity, load_model
from pseamigrate.yamldoc import LocDict, Problem

TODO = "TODO"


@dataclass(frozen=True)
class Findings:
    """What `check` found: problems (the mapping cannot run as it is) and warnings (review)."""

    problems: list[Problem]
    warnings: list[Problem]


@dataclass(frozen=True)
class _Context:
    mapping: SiteMapping
    site: SiteModel
    model: CanonicalModel
    problems: list[Problem]
    warnings: list[Problem]

    def add(self, where: Where, message: str, path: str | None = None) -> None:
        self.problems.append(Problem(where.file, where.line, path or where.path, message))

    def warn(self, where: Where, message: str, path: str | None = None) -> None:
        self.warnings.append(Problem(where.file, where.line, path or where.path, message))


def check_mapping(
    mapping: SiteMapping, site: SiteModel, model: CanonicalModel | None = None
) -> list[Problem]:
    """Return every problem of `mapping` against `site` and the canonical model (empty: fine)."""
    return check_findings(mapping, site, model).problems


def check_findings(
    mapping: SiteMapping, site: SiteModel, model: CanonicalModel | None = None
) -> Findings:
    """Return every problem and every warning of `mapping` against `site` and the model."""
    ctx = _Context(mapping, site, model or load_model(), [], [])
    _check_vocabularies(ctx)
    _check_bundles(ctx)
    for entity_mapping in mapping.entities:
        _check_entity(ctx, entity_mapping)
        _check_time_zones(ctx, entity_mapping)
    ctx.warnings.extend(review_warnings(mapping))
    return Findings(sorted(ctx.problems, key=_order), sorted(ctx.warnings, key=_order))


def _check_time_zones(ctx: _Context, em: EntityMapping) -> None:
    """Warn where Unix times become dates in a zone the mapping does not name, or in a zone
    other than the site's (the date of a moment near midnight depends on it)."""
    site_zone = ctx.site.timezone.name
    for found in unix_dates(em, ctx.model.entities.get(em.destination)):
        if found.zone is None:
            message = (
                f"{found.column}: Unix times become dates in the site's time zone {site_zone} "
                f"(read from the site); write to_timezone: {site_zone} to make it explicit"
            )
        elif found.zone != site_zone:
            message = (
                f"{found.column}: Unix times become dates in {found.zone}, but the site's "
                f"time zone is {site_zone}"
            )
        else:
            continue
        ctx.warn(found.step.where, message)
    for pf, step in _datetime_steps(ctx, em):
        zone = step.options.get("to_timezone", "UTC")
        if zone != "UTC":
            message = f"{pf.destination} is a datetime column, which holds UTC, not {zone}"
            ctx.warn(step.where, message)


def _datetime_steps(ctx: _Context, em: EntityMapping) -> list[tuple[ProcessField, Step]]:
    """Return the format_date steps writing a datetime column (created_at, changed_at…)."""
    entity = ctx.model.entities.get(em.destination)
    found = []
    for pf in em.process:
        column = entity.column(pf.destination) if entity is not None else None
        kind = column.type if column is not None else BASE_DESTINATIONS.get(pf.destination)
        if kind == "datetime":
            found += [(pf, step) for step in pf.steps if step.plugin == "format_date"]
    return found


def review_warnings(mapping: SiteMapping) -> list[Problem]:
    """Return a warning for each decision marked for review (needs no site: `validate` too)."""
    ignored = [*mapping.ignore_bundles, *mapping.ignore_vocabularies]
    ignored += [item for em in mapping.entities for item in em.ignore]
    found = [
        Problem(i.where.file, i.where.line, i.where.path, f"to review: {_after(i.reason, REVIEW)}")
        for i in ignored
        if i.reason.strip().upper().startswith(REVIEW)
    ]
    for em in mapping.entities:
        found += _review_steps(em.process)
    return sorted(found, key=_order)


def _after(reason: str, marker: str) -> str:
    """Return a reason without its leading marker (`REVIEW: why` → `why`)."""
    return reason.strip()[len(marker) :].lstrip(": ")


def _order(problem: Problem) -> tuple[str, int, str]:
    return problem.file, problem.line, problem.path


def _review_steps(process: tuple[ProcessField, ...]) -> list[Problem]:
    """Warn about every step the tool wrote on its own (`review:`), sub_process steps included."""
    found = []
    for pf in process:
        for step in pf.steps:
            if "review" in step.options:
                where = step.where
                message = f"to review: {step.options['review']}"
                found.append(Problem(where.file, where.line, where.path, message))
            found += _review_steps(step.process)
    return found


def _check_vocabularies(ctx: _Context) -> None:
    mapped = {v.source: v for v in ctx.mapping.vocabularies}
    ignored = {i.name: i for i in ctx.mapping.ignore_vocabularies}
    for name in ctx.site.vocabularies:
        if name not in mapped and name not in ignored:
            message = f"source vocabulary {name!r} is neither mapped nor ignored"
            ctx.add(ctx.mapping.where, message, "vocabularies")
    for vocabulary in ctx.mapping.vocabularies:
        if vocabulary.source not in ctx.site.vocabularies:
            ctx.add(vocabulary.where, f"the site has no vocabulary {vocabulary.source!r}")
        if vocabulary.destination not in ctx.model.vocabularies:
            known = ", ".join(sorted(ctx.model.vocabularies))
            message = f"unknown vocabulary {vocabulary.destination!r} in the model ({known})"
            ctx.add(vocabulary.where, message)
    for item in ctx.mapping.ignore_vocabularies:
        _check_reason(ctx, item.reason, item.where)


def _check_bundles(ctx: _Context) -> None:
    mapped = {e.bundle for e in ctx.mapping.entities}
    ignored = {i.name for i in ctx.mapping.ignore_bundles}
    for name in ctx.site.bundles:
        if name not in mapped and name not in ignored:
            ctx.add(ctx.mapping.where, f"bundle {name!r} is neither mapped nor ignored", "entities")
    for item in ctx.mapping.ignore_bundles:
        _check_reason(ctx, item.reason, item.where)


def _check_reason(ctx: _Context, reason: str, where: Where) -> None:
    if reason.strip().upper().startswith(TODO):
        note = _after(reason, TODO).split(";")[0]
        message = f"still marked TODO ({note}): map it, or replace TODO with the reason"
        ctx.add(where, message)


def _check_entity(ctx: _Context, em: EntityMapping) -> None:
    bundle = ctx.site.bundles.get(em.bundle)
    if bundle is None:
        ctx.add(em.where, f"the site has no bundle {em.bundle!r}", f"{em.where.path}.source")
    entity = ctx.model.entities.get(em.destination)
    if entity is None:
        known = ", ".join(sorted(ctx.model.entities))
        message = f"unknown entity {em.destination!r} in the model ({known})"
        ctx.add(em.where, message, f"{em.where.path}.destination")
    if bundle is None or entity is None:
        return
    _check_coverage(ctx, em, bundle)
    for process_field in em.process:
        _check_destination(ctx, em, bundle, entity, process_field)
    mapped = {f.destination for f in em.process}
    for column in entity.columns:
        if column.required and column.name not in mapped:
            ctx.add(em.where, f"required column {entity.table}.{column.name} is not mapped")


def _check_coverage(ctx: _Context, em: EntityMapping, bundle: Bundle) -> None:
    used = sources_used(em.process)
    ignored = {i.name: i for i in em.ignore}
    for instance in bundle.fields:
        if instance.field_name in used or instance.field_name in ignored:
            continue
        what = "deleted field instance" if instance.deleted else "source field"
        extra = " (its data remains in the database)" if instance.deleted else ""
        message = f"{what} {instance.field_name!r}{extra} is neither mapped nor ignored"
        ctx.add(em.where, message, f"{em.where.path}.process")
    names = {i.field_name for i in bundle.fields} | set(BASE_PROPERTIES)
    for item in em.ignore:
        if item.name not in names:
            ctx.add(item.where, f"bundle {bundle.name!r} has no field {item.name!r}")
        _check_reason(ctx, item.reason, item.where)
    for source in sorted(used - names):
        where = next(f.where for f in em.process if source in sources_used((f,)))
        ctx.add(
            where, f"unknown source field {source!r} (bundle {bundle.name!r} has no such field)"
        )


def _check_destination(
    ctx: _Context, em: EntityMapping, bundle: Bundle, entity: Entity, pf: ProcessField
) -> None:
    if pf.destination.startswith(EXTRA_PREFIX):
        _check_steps(ctx, em, bundle, pf, None)
        return
    child = entity.child(pf.destination)
    if child is not None:
        _check_child(ctx, em, bundle, pf, child.columns)
        return
    column = entity.column(pf.destination)
    if column is None and pf.destination in BASE_DESTINATIONS:
        column = Column(pf.destination, BASE_DESTINATIONS[pf.destination])
    if column is None:
        names = [c.name for c in entity.columns] + [c.name for c in entity.children]
        known = ", ".join(sorted([*names, *BASE_DESTINATIONS]))
        message = f"unknown destination {pf.destination!r} in {entity.table} (known: {known})"
        ctx.add(pf.where, message + "; use extra/<name> for country-only fields")
        return
    _check_steps(ctx, em, bundle, pf, column, entity.table)


def _check_child(
    ctx: _Context, em: EntityMapping, bundle: Bundle, pf: ProcessField, columns: tuple[Column, ...]
) -> None:
    sub = next((s for s in pf.steps if s.plugin == "sub_process"), None)
    if sub is None:
        ctx.add(pf.where, f"{pf.destination!r} is a child table: map it with sub_process")
        return
    mapped = {inner.destination for inner in sub.process}
    for required in (c for c in columns if c.required and c.name not in mapped):
        ctx.add(sub.where, f"required child column {required.name!r} is not mapped")
    for inner in sub.process:
        column = next((c for c in columns if c.name == inner.destination), None)
        if column is None:
            known = ", ".join(c.name for c in columns)
            ctx.add(inner.where, f"unknown child column {inner.destination!r} (known: {known})")
            continue
        _check_inner_steps(ctx, inner, column)


def _check_inner_steps(ctx: _Context, pf: ProcessField, column: Column) -> None:
    kind = "any"  # sub_process items are storage columns; only lookups are checked
    for step in pf.steps:
        kind = _step_kind(ctx, step, kind, column, pf)
    if column.type in ("term", "ref", "file", "member") and not kind.startswith("ref:"):
        ctx.add(pf.where, f"{column.name} is a {column.type} column: fill it with a lookup")


def _check_steps(
    ctx: _Context,
    em: EntityMapping,
    bundle: Bundle,
    pf: ProcessField,
    column: Column | None,
    table: str = "",
) -> None:
    source = pf.source
    storage = _storage(ctx.site, bundle, source)
    kind = field_kind(storage) if storage else BASE_KINDS.get(split_source(source or "")[0], "any")
    if source and split_source(source)[1]:
        kind = "any"  # an explicit storage column (field/format…): not type-checked
    for step in pf.steps:
        if step.plugin == "static_map":
            _check_static_map(ctx, step, storage, column)
        if step.plugin == "lookup" and storage is not None:
            _check_lookup_vocabulary(ctx, step, storage)
        kind = _step_kind(ctx, step, kind, column, pf)
    if column is None or storage is None and source is None:
        return
    if storage is not None and storage.cardinality != 1 and not _takes_first(pf):
        message = f"{storage.name} holds several values; map it into a child table or extra/…"
        ctx.add(pf.where, message)
    _check_fit(ctx, pf, column, kind, storage, table)


def _check_fit(
    ctx: _Context,
    pf: ProcessField,
    column: Column,
    kind: str,
    storage: FieldStorage | None,
    table: str,
) -> None:
    what = f"{storage.name} ({storage.type})" if storage else (pf.source or "the pipeline")
    if column.type in ("term", "ref", "file", "member"):
        if not kind.startswith("ref:") and kind != "any":
            ctx.add(
                pf.where, f"{table}.{column.name} is a {column.type} column: {what} needs a lookup"
            )
        return
    if kind.startswith("ref:") or kind in REFERENCE_KINDS:
        ctx.add(pf.where, f"{table}.{column.name} is {column.type} but {what} is a reference")
    elif not accepts(column.type, kind):
        hint = " (convert it with format_date)" if kind == "rawdate" else ""
        message = f"{table}.{column.name} is {column.type} but {what} gives {kind}{hint}"
        ctx.add(pf.where, message)


def _step_kind(
    ctx: _Context, step: Step, kind: str, column: Column | None, pf: ProcessField
) -> str:
    """Return the kind of value after `step`, checking lookups against the model."""
    if step.plugin == "format_date":
        return "date"
    if step.plugin == "callback":
        returns = CALLBACK_RETURNS.get(str(step.options.get("callable")), "any")
        return kind if returns == "any" else returns
    if step.plugin == "static_map":
        values = list(dict(step.options.get("map") or {}).values())
        if values and all(isinstance(v, bool) for v in values):
            return "boolean"
        return "integer" if values and all(isinstance(v, int) for v in values) else "string"
    if step.plugin == "lookup":
        return _lookup_kind(ctx, step, column, pf)
    return kind


def _lookup_kind(ctx: _Context, step: Step, column: Column | None, pf: ProcessField) -> str:
    vocabulary, entity = step.options.get("vocabulary"), step.options.get("entity")
    if vocabulary is not None and vocabulary not in ctx.model.vocabularies:
        ctx.add(step.where, f"lookup: unknown vocabulary {vocabulary!r}")
    elif vocabulary is not None:
        _check_vocabulary_fed(ctx, step, str(vocabulary))
    if entity is not None and entity not in ctx.model.entities and entity not in LOOKUP_KINDS:
        known = ", ".join(sorted([*ctx.model.entities, *LOOKUP_KINDS]))
        ctx.add(step.where, f"lookup: unknown entity {entity!r} (known: {known})")
    elif entity in ctx.model.entities:
        _check_entity_fed(ctx, step, str(entity))
    if column is not None:
        expected = {
            "term": ("vocabulary", column.vocabulary),
            "ref": ("entity", column.entity),
            "file": ("entity", "file"),
            "member": ("entity", "user"),
        }.get(column.type)
        if expected and step.options.get(expected[0]) != expected[1]:
            message = f"{pf.destination} needs lookup {expected[0]}: {expected[1]}"
            ctx.add(step.where, message)
    return f"ref:{vocabulary or entity}"


def _check_vocabulary_fed(ctx: _Context, step: Step, vocabulary: str) -> None:
    """A lookup into a vocabulary no source vocabulary of this mapping fills finds nothing."""
    if any(v.destination == vocabulary for v in ctx.mapping.vocabularies):
        return
    names = {vocabulary, *ctx.model.vocabularies[vocabulary].hints}
    ignored = [i.name for i in ctx.mapping.ignore_vocabularies if i.name in names]
    why = f"the mapping ignores the site's vocabulary {ignored[0]!r}" if ignored else ""
    why = why or "no vocabulary of this mapping is mapped to it"
    ctx.add(step.where, f"lookup into vocabulary {vocabulary!r}, which nothing fills: {why}")


def _check_entity_fed(ctx: _Context, step: Step, entity: str) -> None:
    """A lookup into an entity no bundle of this mapping fills finds nothing."""
    if any(e.destination == entity for e in ctx.mapping.entities):
        return
    names = {entity, ctx.model.entities[entity].table}
    ignored = [i.name for i in ctx.mapping.ignore_bundles if i.name in names]
    why = f"the mapping ignores the site's bundle {ignored[0]!r}" if ignored else ""
    why = why or "no bundle of this mapping is mapped to it"
    ctx.add(step.where, f"lookup into entity {entity!r}, which nothing fills: {why}")


def _check_lookup_vocabulary(ctx: _Context, step: Step, storage: FieldStorage) -> None:
    """A term field's vocabularies must be mapped to the vocabulary its lookup names."""
    wanted = step.options.get("vocabulary")
    if wanted is None or storage.target_type != "taxonomy_term":
        return
    mapped = {v.source: v.destination for v in ctx.mapping.vocabularies}
    for source in storage.target_bundles:
        if source in mapped and mapped[source] != wanted:
            message = (
                f"{storage.name} points at vocabulary {source!r}, which is mapped to "
                f"{mapped[source]!r}, but the lookup uses {wanted!r}"
            )
            ctx.add(step.where, message)
        elif source not in mapped and source in ctx.site.vocabularies:
            ctx.add(
                step.where, f"{storage.name} points at vocabulary {source!r}, which is not mapped"
            )


def _check_static_map(
    ctx: _Context, step: Step, storage: FieldStorage | None, column: Column | None
) -> None:
    table = dict(step.options.get("map") or {})
    keys = {str(k) for k in table}
    unmatched = step.options.get("unmatched")
    fallback = "default_value" in step.options or bool(step.options.get("bypass"))
    if storage is not None and storage.allowed_values and not fallback:
        for allowed in (a for a in storage.allowed_values if a.key not in keys):
            if unmatched == "extra":
                kept = f"kept as it is in extra/{extra_key(storage.name)}"
                ctx.warn(step.where, f"value {allowed.key!r} of {storage.name}: {kept}")
            elif unmatched != "bypass":
                message = (
                    f"static_map does not cover value {allowed.key!r} of {storage.name} "
                    "(add it to map, or set default_value, bypass or unmatched: extra)"
                )
                ctx.add(step.where, message)
    if column is not None and column.values:
        targets = list(table.items())
        if "default_value" in step.options:
            targets.append(("default_value", step.options["default_value"]))
        for key, value in targets:
            if value is not None and str(value) not in column.values:
                known = ", ".join(column.values)
                message = (
                    f"static_map maps {key!r} to {value!r}, which is not a value of "
                    f"{column.name} ({known})"
                )
                ctx.add(_map_where(step, key), message)


def _map_where(step: Step, key: object) -> Where:
    table = step.options.get("map")
    if isinstance(table, LocDict) and key in table:
        return Where(table.key_file(key), table.key_line(key), f"{step.where.path}.map.{key}")
    return step.where


def _storage(site: SiteModel, bundle: Bundle, source: str | None) -> FieldStorage | None:
    if not source:
        return None
    name = split_source(source)[0]
    instance: FieldInstance | None = next((f for f in bundle.fields if f.field_name == name), None)
    if instance is None:
        return None
    return site.fields.get((instance.entity_type, instance.field_name))


def _takes_first(pf: ProcessField) -> bool:
    return any(s.plugin == "callback" and s.options.get("callable") == "first" for s in pf.steps)
