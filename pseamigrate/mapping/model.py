"""A site mapping as frozen data: which Drupal bundle feeds which canonical entity, and how.

The vocabulary is Drupal Migrate's: each entity mapping has a `source` (a bundle), a
`destination` (an entity of the canonical model) and a `process` section whose keys are
destination columns and whose values are pipelines of process steps (`get`, `static_map`,
`default_value`, `skip_on_empty`, `sub_process`, `format_date`, `lookup`, `callback`). Source
fields that are deliberately not migrated are listed under `ignore` with a reason. Pure data: no
file or database access here (see `load.py` and `check.py`).
"""

from __future__ import annotations

from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from typing import Any

MAPPING_VERSION = 1

# Node properties every bundle has, usable as `source:` like a field.
# `comment` is the node's comment setting: a node column in Drupal 7, a field in Drupal 8+.
BASE_PROPERTIES = (
    "nid",
    "vid",
    "title",
    "uid",
    "status",
    "created",
    "changed",
    "language",
    "comment",
)
# Columns every entity table has that a mapping may fill (source ids are set by the engine).
BASE_DESTINATIONS = {
    "title": "string",
    "author_id": "member",
    "published": "boolean",
    "created_at": "datetime",
    "changed_at": "datetime",
    "source_language": "string",
}
EXTRA_PREFIX = "extra/"  # `extra/<key>`: kept in the row's JSON `extra` column

# Options each process step accepts, and which of them are required. `plugin`, `source` and
# `review` (COMMON_OPTIONS) are always allowed; keys starting with `x-` are notes for humans.
STEP_OPTIONS: dict[str, tuple[set[str], set[str]]] = {
    "get": (set(), set()),
    "static_map": ({"map", "default_value", "bypass", "unmatched"}, {"map"}),
    "default_value": ({"default_value", "strict"}, {"default_value"}),
    "skip_on_empty": ({"method", "message"}, {"method"}),
    "sub_process": ({"process"}, {"process"}),
    "format_date": (
        {"from_format", "to_format", "from_timezone", "to_timezone", "on_error"},
        {"from_format"},
    ),
    "lookup": ({"entity", "vocabulary"}, set()),
    "callback": ({"callable"}, {"callable"}),
}
LOOKUP_KINDS = {"file", "user"}  # besides the canonical entities and vocabularies

# --- Fallbacks and review markers (#9 item 1) ---------------------------------------------------
COMMON_OPTIONS = {"plugin", "source", "review"}
# What a step does with a value it cannot convert: `fail` (the default) raises; `extra` leaves
# the destination empty and keeps the value as read in the row's `extra` (see transform.process).
FALLBACK_OPTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "format_date": ("on_error", ("fail", "extra")),
    "static_map": ("unmatched", ("fail", "extra", "bypass")),
}
# A decision the tool made on its own (`mappings scaffold --unmapped extra`): a step's `review:`
# option, or an ignore reason starting with REVIEW. `check` lists each as a warning until a
# person deletes the marker; `check --strict` fails on them.
REVIEW = "REVIEW"

# Callbacks a mapping may name (`plugin: callback`, `callable: NAME`) and the logical type each
# returns: a model column type, or "any" when it keeps the type it was given. This is the mapping
# language's side; the functions live in pseamigrate/transform/callbacks.py (`CALLBACKS`), and
# tests/transform/test_callbacks_agree.py checks that both name the same callbacks and types.
CALLBACK_RETURNS: dict[str, str] = {
    "trim": "any",
    "lower": "any",
    "upper": "any",
    "to_int": "integer",
    "to_bool": "boolean",
    "normalise_email": "string",
    "strip_tags": "any",
    "first": "any",
}


@dataclass(frozen=True)
class Where:
    """Where something was written: file, line and dotted path inside the document."""

    file: str
    line: int
    path: str


@dataclass(frozen=True)
class Step:
    """One process step: its plugin, optional explicit source, options and (sub_process) fields."""

    plugin: str
    where: Where
    source: str | None = None
    options: MappingABC[str, Any] = field(default_factory=dict)
    process: tuple[ProcessField, ...] = ()


@dataclass(frozen=True)
class ProcessField:
    """How one destination column gets its value: a pipeline of steps, run in order."""

    destination: str
    steps: tuple[Step, ...]
    where: Where

    @property
    def source(self) -> str | None:
        """Return the source property the pipeline starts from."""
        return self.steps[0].source if self.steps else None


@dataclass(frozen=True)
class Ignored:
    """A source field, bundle or vocabulary deliberately not migrated, and why."""

    name: str
    reason: str
    where: Where


@dataclass(frozen=True)
class EntityMapping:
    """One Drupal bundle → one canonical entity."""

    name: str
    bundle: str
    destination: str
    process: tuple[ProcessField, ...]
    ignore: tuple[Ignored, ...]
    where: Where
    entity_type: str = "node"

    def field(self, destination: str) -> ProcessField | None:
        """Return the process field writing `destination`, or None."""
        return next((f for f in self.process if f.destination == destination), None)


@dataclass(frozen=True)
class VocabularyMapping:
    """A source vocabulary (machine name) → a canonical vocabulary."""

    source: str
    destination: str
    where: Where


@dataclass(frozen=True)
class SiteMapping:
    """A whole mapping file (after includes), for one site."""

    file: str
    version: int
    site: str
    tenant: str
    entities: tuple[EntityMapping, ...]
    vocabularies: tuple[VocabularyMapping, ...]
    ignore_bundles: tuple[Ignored, ...] = ()
    ignore_vocabularies: tuple[Ignored, ...] = ()
    where: Where = Where("", 1, "")


def split_source(source: str) -> tuple[str, str | None]:
    """Split `field_x/column` into the field and the column (None: the main column)."""
    name, _, column = source.partition("/")
    return name, column or None


def sources_used(process: tuple[ProcessField, ...]) -> set[str]:
    """Return every source property (field or base property) a process section reads."""
    used: set[str] = set()
    for process_field in process:
        for step in process_field.steps:
            if step.source:
                used.add(split_source(step.source)[0])
    return used


def extra_key(source: str) -> str:
    """Return the `extra` key for a source: `field_incident_date` → `incident_date`.

    A storage column is joined with `_` (`field_x/end_value` → `x_end_value`).
    """
    name, column = split_source(source)
    short = name.removeprefix("field_")
    return f"{short}_{column}" if column else short
