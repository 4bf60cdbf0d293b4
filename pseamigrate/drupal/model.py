"""The content model of a legacy Drupal site, as plain frozen data.

This is the contract between the reader (`pseamigrate.drupal`, which fills it from a live
database, Drupal 7 or 8+) and everything downstream (inspect, diff, mappings, migrate). It holds
no connection and no content: only structure. Entity content comes from the streaming readers as
`EntityRecord` batches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

DrupalMajor = Literal[7, 8, 9, 10, 11]
Layout = Literal["d7", "d8"]  # the schema family: Drupal 7, or Drupal 8 and later


@dataclass(frozen=True)
class AllowedValue:
    """One value of a list field: the stored key and its human label."""

    key: str
    label: str


@dataclass(frozen=True)
class FieldStorage:
    """A field as stored, shared by every bundle that has an instance of it.

    `columns` are the storage columns without the field-name prefix (Drupal 7 `value`, `format`,
    `tid`, `fid`, `display`, `description`; Drupal 8+ properties `value`, `target_id`, …).
    `data_table`/`revision_table` are the real table names, prefix included; for Drupal 8+ they
    come from the stored entity schema, so hashed long names are right.
    """

    name: str
    entity_type: str
    type: str
    module: str
    cardinality: int  # -1: unlimited
    columns: tuple[str, ...]
    data_table: str
    revision_table: str | None
    allowed_values: tuple[AllowedValue, ...] = ()
    target_type: str | None = None  # taxonomy_term, node, user, file…
    target_bundles: tuple[str, ...] = ()  # vocabularies or node types the field may point at
    deleted: bool = False
    known_type: bool = True  # False: a contrib type the reader only describes
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldInstance:
    """A field attached to one bundle, with its per-bundle label and required flag."""

    field_name: str
    entity_type: str
    bundle: str
    label: str
    required: bool
    deleted: bool = False
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Bundle:
    """A node type (or another entity type's bundle) with the fields its instances carry."""

    entity_type: str
    name: str
    label: str
    fields: tuple[FieldInstance, ...] = ()


@dataclass(frozen=True)
class Vocabulary:
    """A taxonomy vocabulary (`vid` is numeric in Drupal 7, the machine name in 8+)."""

    machine_name: str
    name: str
    vid: str
    # 0 flat, 1 single parent, 2 multiple parents: Drupal 7's own flag; in 8+ read from the
    # `taxonomy_term__parent` rows (a delta above 0 means several parents)
    hierarchy: int = 0


@dataclass(frozen=True)
class Problem:
    """Something the reader could not understand, reported without stopping (no data values)."""

    table: str
    row: str
    field: str
    message: str


@dataclass(frozen=True)
class SiteTimeZone:
    """The time zone the site shows dates in: Unix times become calendar dates in it (#22).

    Drupal 7 keeps it in `variable` `date_default_timezone`, 8+ in config `system.date`
    (`timezone.default`). A site that sets none, or names a zone this machine does not know, is
    read as UTC, and `note` says so (shown by inspect and assess)."""

    name: str = "UTC"  # an IANA zone name zoneinfo knows
    setting: str = ""  # where the site says it; "" when it says nothing usable
    note: str = ""  # why UTC is used instead of the site's own zone ("" when it has one)


@dataclass(frozen=True)
class SiteModel:
    """Everything introspection learned about one site."""

    drupal_version: DrupalMajor
    layout: Layout
    table_prefix: str
    bundles: Mapping[str, Bundle]  # node types by machine name
    fields: Mapping[tuple[str, str], FieldStorage]  # (entity_type, field_name) → storage
    vocabularies: Mapping[str, Vocabulary]
    problems: tuple[Problem, ...] = ()
    # Bundles of every entity type (node, taxonomy_term, user, comment…) by entity type, then name.
    entity_bundles: Mapping[str, Mapping[str, Bundle]] = field(default_factory=dict)
    timezone: SiteTimeZone = SiteTimeZone()


@dataclass(frozen=True)
class EntityRecord:
    """One entity (e.g. a node) with its base columns and every field value.

    `fields` maps a field name to its values ordered by delta; each value maps a storage column
    to what the database holds (text already decoded right, also from latin1 tables).
    `deleted_fields` holds, the same way, the values of the bundle's deleted fields whose rows
    Drupal still keeps (until cron purges them): from the renamed `field_deleted_*` tables, or
    the `deleted = 1` rows of a live table when only this bundle's instance was deleted. They are
    kept apart so nobody takes them for live data, and so a mapping can still keep them.
    """

    entity_type: str
    bundle: str
    id: int
    revision_id: int | None
    language: str
    base: Mapping[str, Any]
    fields: Mapping[str, tuple[Mapping[str, Any], ...]]
    translations: tuple[Translation, ...] = ()
    deleted_fields: Mapping[str, tuple[Mapping[str, Any], ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Translation:
    """An entity's content in another language: its own base columns and field values."""

    language: str
    base: Mapping[str, Any]
    fields: Mapping[str, tuple[Mapping[str, Any], ...]]
    deleted_fields: Mapping[str, tuple[Mapping[str, Any], ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class SiteCounts:
    """Row counts that describe a site's size (what `inspect` reports; no content)."""

    nodes: Mapping[str, int]  # node type → nodes, unpublished included
    published: Mapping[str, int]
    revisions: Mapping[str, int]
    terms: Mapping[str, int]  # vocabulary machine name → terms
    users_total: int  # anonymous (uid 0) excluded
    users_blocked: int
    files: int
    # node type → deleted field → its rows Drupal still keeps (value rows: one per delta/language)
    deleted_rows: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    comments: Mapping[str, int] = field(default_factory=dict)  # node type → comments on its nodes
