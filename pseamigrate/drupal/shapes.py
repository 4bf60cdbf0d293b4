"""The typed shapes of the `inspect` and `diff` data (docs/inspect.md), as `TypedDict`s.

`report.py` builds them, `service.py` returns them, `console/drupal.py` renders them, and
`--json` prints them as they are. Keys are only ever added (the format is stable).
"""

from __future__ import annotations

from typing import NotRequired, TypedDict


class FieldData(TypedDict):
    """One live field of a bundle: storage facts and its per-bundle label (never content)."""

    type: str
    cardinality: int
    required: bool
    label: str
    module: str
    known_type: bool
    allowed_values: list[str]
    target_type: str | None
    target_bundles: list[str]
    table: str


class FieldsOf(TypedDict):
    """The fields of a bundle: live ones described, deleted instances named."""

    fields: dict[str, FieldData]
    deleted_fields: list[str]


class BundleData(FieldsOf):
    """One content type with its counts."""

    label: str
    count: int
    published: int
    revisions: int
    comments: int
    deleted_field_rows: dict[str, int]


class VocabularyData(FieldsOf):
    """One vocabulary: its human name, term count, hierarchy (0 flat, 1, 2 several) and fields."""

    name: str
    terms: int
    hierarchy: int


class UsersData(FieldsOf):
    """Accounts: totals and the user entity's fields."""

    total: int
    blocked: int
    active: int


class FilesData(TypedDict):
    """Managed files: how many."""

    total: int


class UnknownType(TypedDict):
    """A field type the reader only describes, and the fields (`entity.field`) using it."""

    type: str
    fields: list[str]


class ProblemData(TypedDict):
    """A problem met while reading: where it is and what it is (never a data value)."""

    table: str
    row: str
    field: str
    message: str


class TimeZoneData(TypedDict):
    """The site's time zone: Unix times become calendar dates in it (#22)."""

    name: str  # the IANA zone name (UTC when the site sets none)
    setting: str  # where the site says it; "" when it says nothing usable
    note: str  # why UTC is used instead ("" when the site has its own zone)


class InspectData(TypedDict):
    """`inspect --json` of one site (format 1)."""

    format: int
    drupal_version: int
    layout: str
    table_prefix: str
    bundles: dict[str, BundleData]
    vocabularies: dict[str, VocabularyData]
    users: UsersData
    files: FilesData
    unknown_field_types: list[UnknownType]
    latin1_tables: list[str]
    problems: list[ProblemData]
    timezone: TimeZoneData
    # Site facts (#14, pseamigrate/drupal/facts.py); absent from callers that pass no facts.
    charsets: NotRequired[dict[str, int]]
    default_language: NotRequired[str]
    languages: NotRequired[dict[str, int]]
    roles: NotRequired[dict[str, int]]
    modules: NotRequired[list[str]]


class SiteInspectData(InspectData):
    """`inspect --json` of a site named in the project file."""

    site: str


DiffValue = bool | int | str | list[str]


class DiffRow(TypedDict):
    """One difference between sites: what differs, and each site's value."""

    kind: str
    bundle: str | None
    field: str | None
    property: str
    values: dict[str, DiffValue]
    only_in: NotRequired[dict[str, list[str]]]


class DiffData(TypedDict):
    """`diff --json`: the sites compared and every difference between them."""

    format: int
    sites: list[str]
    differences: list[DiffRow]
