"""What the current mapping does with a source field: the column it feeds, `extra`, or nothing.

`assess` states, for each finding, what the migration will do about it; that depends on the
site's mapping (the project file's `mapping:`) and on the canonical model's column types.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects import mysql

from pseamigrate.mapping.model import (
    EXTRA_PREFIX,
    EntityMapping,
    ProcessField,
    SiteMapping,
    Step,
    split_source,
)
from pseamigrate.target.model import CanonicalModel
from pseamigrate.target.schema import sql_type

# Bytes the MySQL/MariaDB text types hold (L + 2, 3 or 4 bytes of length, per the manuals).
TEXT_CAPACITY = {
    "TINYTEXT": 255,
    "TEXT": 65_535,
    "MEDIUMTEXT": 16_777_215,
    "LONGTEXT": 4_294_967_295,
}


@dataclass(frozen=True)
class Fate:
    """Where a source field goes: `kind` is column, extra, child, ignored, unmapped or none."""

    kind: str
    text: str  # for people: "mapped to referrals.complaint_id", "ignored by the mapping: …"
    table: str = ""
    column: str = ""
    sql_type: str = ""  # of the target column, e.g. TEXT
    steps: tuple[Step, ...] = ()

    @property
    def migrated(self) -> bool:
        """Tell whether the field's values reach the target (a column, a child table, extra)."""
        return self.kind in ("column", "extra", "child")

    @property
    def capacity(self) -> int | None:
        """Return the bytes the target column holds, for text columns (None: not a text type)."""
        return TEXT_CAPACITY.get(self.sql_type)

    def step(self, plugin: str) -> Step | None:
        """Return the first step of `plugin` in the field's pipeline (sub_process included)."""
        return next((s for s in self.steps if s.plugin == plugin), None)


NO_MAPPING = Fate("none", "no mapping for this site yet (pseamigrate mappings scaffold)")


class MappingView:
    """Answer 'what happens to field F of bundle B' for one site's mapping and the model."""

    def __init__(self, mapping: SiteMapping | None, model: CanonicalModel) -> None:
        self.mapping = mapping
        self.model = model

    def entity(self, entity_type: str, bundle: str) -> EntityMapping | None:
        """Return the entity mapping fed by a bundle, or None."""
        if self.mapping is None:
            return None
        return next(
            (
                em
                for em in self.mapping.entities
                if em.entity_type == entity_type and em.bundle == bundle
            ),
            None,
        )

    def notes_table(self, node_type: str) -> str | None:
        """Return the model's notes table that receives a node type's comments (or None)."""
        em = self.entity("node", node_type)
        target = self.model.entities.get(em.destination) if em is not None else None
        notes = getattr(target, "notes", None)  # models without notes tables have none
        table = getattr(notes, "table", None)
        return str(table) if table else None

    def maps_entity_type(self, entity_type: str) -> bool:
        """Tell whether any entity mapping reads this entity type (e.g. comment)."""
        return self.mapping is not None and any(
            em.entity_type == entity_type for em in self.mapping.entities
        )

    def fate(self, entity_type: str, bundle: str, field: str) -> Fate:
        """Return what the mapping does with one field of one bundle."""
        if self.mapping is None:
            return NO_MAPPING
        em = self.entity(entity_type, bundle)
        if em is None:
            return self._unmapped_bundle(entity_type, bundle)
        for pf in em.process:
            steps = tuple(_steps(pf.steps))
            if any(s.source and split_source(s.source)[0] == field for s in steps):
                return self._destination(em, pf, steps)
        ignored = next((i for i in em.ignore if i.name == field), None)
        if ignored is not None:
            return Fate("ignored", f"ignored by the mapping ({ignored.reason})")
        return Fate("unmapped", f"not in the mapping of {entity_type} {bundle}")

    def _unmapped_bundle(self, entity_type: str, bundle: str) -> Fate:
        assert self.mapping is not None
        # The run keeps every field of an account and of a mapped vocabulary's terms in the
        # row's extra (`fields`: migrate/accounts.py, migrate/terms.py): say so, as it does.
        if entity_type == "user":
            return Fate("extra", "kept in the account's extra (fields)", "users", "extra", "JSON")
        if entity_type == "taxonomy_term":
            ignored = any(i.name == bundle for i in self.mapping.ignore_vocabularies)
            fed = next((v for v in self.mapping.vocabularies if v.source == bundle), None)
            if fed is not None:
                text = f"kept in the extra (fields) of vocabulary {fed.destination}'s terms"
                return Fate("extra", text, fed.destination, "extra", "JSON")
            if ignored:
                return Fate("ignored", f"vocabulary {bundle} is ignored by the mapping")
        if any(i.name == bundle for i in self.mapping.ignore_bundles):
            return Fate("ignored", f"{entity_type} {bundle} is ignored by the mapping")
        return Fate("unmapped", f"{entity_type} {bundle} is not in the mapping")

    def _destination(self, em: EntityMapping, pf: ProcessField, steps: tuple[Step, ...]) -> Fate:
        target = self.model.entities.get(em.destination)
        table = target.table if target is not None else em.destination
        if pf.destination.startswith(EXTRA_PREFIX):
            key = pf.destination[len(EXTRA_PREFIX) :]
            return Fate("extra", f"kept in {table}.extra ({key})", table, "extra", "JSON", steps)
        column = (
            next((c for c in target.columns if c.name == pf.destination), None) if target else None
        )
        if column is None:
            return Fate(
                "child", f"mapped to {table}/{pf.destination}", table, pf.destination, "", steps
            )
        kind = (
            str(sql_type(column).compile(dialect=mysql.dialect())) if column.type in _SCALAR else ""
        )
        return Fate("column", f"mapped to {table}.{column.name}", table, column.name, kind, steps)


_SCALAR = {"string", "text", "integer", "boolean", "date", "datetime", "json"}


def _steps(steps: tuple[Step, ...]) -> Iterator[Step]:
    """Yield the steps of a pipeline, those inside sub_process too."""
    for step in steps:
        yield step
        for inner in step.process:
            yield from _steps(inner.steps)


def from_formats(fate: Fate) -> Any:
    """Return the mapping's `format_date` from_format(s) for the field, or None."""
    step = fate.step("format_date")
    return None if step is None else step.options.get("from_format")
