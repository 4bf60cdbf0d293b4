"""`pseamigrate mappings values`: each coded column's crosswalk, from the site's own rows.

A coded column is a model column with `values:` that a mapping fills from a source field. Per
column: the source field's allowed values (its field settings), the distinct values its nodes
hold (current revisions) with counts, the model's values, and what the mapping does with each —
found by running the column's own pipeline (`transform.process.run_pipeline`) on the value, so
it says what the run does. Values are codes from list fields (and, for free text mapped into a
coded column, whatever was typed: a `static_map` keys on it); nothing else is read out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pseamigrate import db
from pseamigrate.config import SiteSettings
from pseamigrate.drupal import open_site
from pseamigrate.drupal.read import DrupalSite
from pseamigrate.errors import ConfigError, UnmappedValue, UsageProblem
from pseamigrate.mapping.load import load_mapping
from pseamigrate.mapping.model import (
    EntityMapping,
    ProcessField,
    SiteMapping,
    Where,
    split_source,
)
from pseamigrate.target import model as cm
from pseamigrate.transform.process import Context, run_pipeline
from pseamigrate.transform.rows import source_row

EMPTY = "(empty)"  # a node with no value in the field
MAPPED, DEFAULT, EXTRA, FAILS = "mapped", "default", "extra", "fails"


@dataclass(frozen=True)
class ValueFate:
    """One source value of a coded column: how many nodes hold it and what the run does."""

    value: str
    rows: int  # current nodes holding it (0: allowed by the field, stored nowhere)
    allowed: bool  # among the field's allowed values (field settings)
    fate: str  # MAPPED, DEFAULT, EXTRA or FAILS
    result: str  # the model value it becomes ("" when none)
    text: str  # for people: "mapped to in_progress", "kept in extra; the row fails"…


@dataclass(frozen=True)
class CodedColumn:
    """The crosswalk of one coded column of one bundle."""

    bundle: str
    entity: str
    column: str  # `entity.column` names it on the command line
    source: str
    required: bool
    allowed: tuple[str, ...]  # the field's allowed values, in its settings' order
    model_values: tuple[str, ...]
    values: tuple[ValueFate, ...]
    where: Where  # the mapping's pipeline for the column
    holders: dict[str, list[int]]  # stored value → the nids holding it (assess names them)

    @property
    def name(self) -> str:
        """Return `entity.column` (how `mappings values SITE ENTITY.COLUMN` names it)."""
        return f"{self.entity}.{self.column}"

    def failing_ids(self) -> list[int]:
        """Return the nids holding a value whose rows the run fails, in order."""
        return sorted({nid for v in self.failing() for nid in self.holders.get(v.value, [])})

    def failing(self) -> list[ValueFate]:
        """Return the stored values whose rows the run fails (a decision only a person makes)."""
        return [v for v in self.values if v.fate == FAILS and v.rows]


def coded_columns(
    opened: DrupalSite, mapping: SiteMapping, model: cm.CanonicalModel, wanted: str = ""
) -> list[CodedColumn]:
    """Return the crosswalk of every coded column the mapping fills (or only `wanted`,
    `entity.column`), reading the current revision of every node of the bundles involved."""
    found = []
    for em in mapping.entities:
        entity = model.entities.get(em.destination)
        if entity is None:
            continue
        for pf, column in _coded(em, entity):
            if wanted and wanted != f"{entity.name}.{column.name}":
                continue
            found.append(_crosswalk(opened, em, entity, pf, column))
    return found


def _coded(em: EntityMapping, entity: cm.Entity) -> list[tuple[ProcessField, cm.Column]]:
    pairs = []
    for pf in em.process:
        column = entity.column(pf.destination)
        if column is not None and column.values and pf.source and not split_source(pf.source)[1]:
            pairs.append((pf, column))
    return pairs


def _crosswalk(
    opened: DrupalSite, em: EntityMapping, entity: cm.Entity, pf: ProcessField, column: cm.Column
) -> CodedColumn:
    assert pf.source is not None
    storage = _storage(opened, em, pf.source)
    allowed = tuple(a.key for a in storage.allowed_values) if storage is not None else ()
    holders = _stored(opened, em.bundle, pf.source)
    stored = {value: len(ids) for value, ids in holders.items()}
    values = [_fate(pf, column, value, stored.get(value, 0), value in allowed) for value in allowed]
    values += [
        _fate(pf, column, value, count, False)
        for value, count in sorted(stored.items())
        if value not in allowed
    ]
    return CodedColumn(
        em.bundle,
        entity.name,
        column.name,
        pf.source,
        column.required,
        allowed,
        tuple(column.values),
        tuple(values),
        pf.where,
        holders,
    )


def _storage(opened: DrupalSite, em: EntityMapping, source: str) -> Any:
    return opened.model.fields.get((em.entity_type, split_source(source)[0]))


def _stored(opened: DrupalSite, bundle: str, source: str) -> dict[str, list[int]]:
    """Return the values the bundle's nodes hold in a field (current revisions), each with
    the nids holding it."""
    holders: dict[str, list[int]] = {}
    for batch in opened.iter_entities(bundle):
        for record in batch:
            value = source_row(record, opened.model).get(source)
            for one in value if isinstance(value, list) else [value]:
                holders.setdefault(EMPTY if one in (None, "") else str(one), []).append(record.id)
    return holders


def _fate(pf: ProcessField, column: cm.Column, value: str, rows: int, allowed: bool) -> ValueFate:
    """Run the column's pipeline on one value and say what becomes of it."""
    assert pf.source is not None
    ctx = Context()
    source_value = None if value == EMPTY else value
    try:
        _, result = run_pipeline(pf, {pf.source: source_value}, ctx)
    except UnmappedValue:
        return ValueFate(value, rows, allowed, FAILS, "", "no mapping for it: the row fails")
    except (ValueError, TypeError, OverflowError) as exc:
        why = f"the pipeline raises {type(exc).__name__}: the row fails"
        return ValueFate(value, rows, allowed, FAILS, "", why)
    if result is not None and str(result) in column.values:
        kind = MAPPED if _listed(pf, value) else DEFAULT
        text = f"mapped to {result}" if kind == MAPPED else f"default: {result}"
        return ValueFate(value, rows, allowed, kind, str(result), text)
    where = "kept in extra" if ctx.kept or result is not None else "left empty"
    if column.required:
        return ValueFate(value, rows, allowed, FAILS, "", f"{where}; the column is required: fails")
    return ValueFate(value, rows, allowed, EXTRA, "", f"{where}; the column stays empty")


def _listed(pf: ProcessField, value: str) -> bool:
    """Tell whether a `static_map` of the pipeline names the value itself (not a default)."""
    return any(
        step.plugin == "static_map" and value in {str(k) for k in (step.options.get("map") or {})}
        for step in pf.steps
    )


def undecided_message(coded: CodedColumn) -> str:
    """Say which stored values of a required coded column have no model value (check's words)."""
    failing = coded.failing()
    named = ", ".join(f"{v.value} ({v.rows} rows)" for v in failing)
    return (
        f"{coded.column}: {len(failing)} source value(s) have no model value: {named}; "
        "map them or give a default_value"
    )


def site_values(
    site: SiteSettings, model: cm.CanonicalModel | None = None, wanted: str = ""
) -> list[CodedColumn]:
    """Return the crosswalks of a site's coded columns (`mappings values SITE [ENTITY.COLUMN]`)."""
    if site.mapping is None or not site.mapping.exists():
        raise ConfigError(
            f"site {site.name!r} has no mapping yet: run pseamigrate mappings scaffold {site.name}"
        )
    mapping = load_mapping(site.mapping)
    canonical = model or cm.load_model()
    where = f"site {site.name!r}"
    with (
        db.engine(db.reading(site.connection.resolve()), where) as source,
        open_site(source, site.table_prefix, where=where) as opened,
    ):
        found = coded_columns(opened, mapping, canonical, wanted)
        if wanted and not found:
            known = ", ".join(c.name for c in coded_columns(opened, mapping, canonical)) or "none"
            raise UsageProblem(f"no coded column {wanted!r} in {site.mapping} (coded: {known})")
        return found
