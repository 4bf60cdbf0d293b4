"""`mappings scaffold --unmapped extra`: where each field goes so that no value is lost.

What fits the model goes to its column or child table, converted when that is safe (a Drupal
date, an integer holding Unix time, a free-text date — each with `on_error: extra`); a coded
column gets a `static_map` whose unmatched values stay in `extra`. Everything else — no column,
the wrong type, several values for a one-value column — is kept whole in `extra/<short name>`.
Each decision the tool takes on its own carries a `review:` note, which `mappings check` lists
as a warning until a person deletes it. The text format and the file display flag of a value are
presentation settings of the old site and are not kept (DROPPED_COLUMNS).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pseamigrate.drupal.model import FieldStorage, SiteModel
from pseamigrate.mapping.model import EXTRA_PREFIX, extra_key
from pseamigrate.mapping.types import accepts, field_kind, main_column
from pseamigrate.mapping.zones import UNIX_TIME, is_zone
from pseamigrate.target.model import Child, Column

DROPPED_COLUMNS = ("format", "display")
# Free-text dates, tried in order: ISO first, then day-first (as the CRP countries write them).
FREE_TEXT_DATES = ["Y-m-d", "Y-m-d H:i:s", "Y-m-d\\TH:i:s", "d/m/Y", "d.m.Y", "d-m-Y", "Y/m/d"]
REFERENCE_KINDS = {"term": "term", "ref": "node", "file": "file", "member": "user"}
LOOKUP_ENTITY = {"file": "file", "member": "user"}


@dataclass(frozen=True)
class Fed:
    """What the scaffolded mapping fills: source vocabulary → model vocabulary, bundle → entity."""

    vocabularies: dict[str, str]
    entities: dict[str, str]


def data_columns(storage: FieldStorage) -> list[str]:
    """Return the storage columns that hold data (not presentation settings)."""
    return [c for c in storage.columns if c not in DROPPED_COLUMNS] or [main_column(storage)]


def keep_in_extra(storage: FieldStorage, why: str) -> dict[str, Any]:
    """Return the process entry keeping every value of a field, as it is, in `extra`.

    A `why` ending in "kept" is completed with where (`kept in extra/<name>`).
    """
    key = EXTRA_PREFIX + extra_key(storage.name)
    why = f"{why} in {key}" if why.endswith("kept") else why
    columns = data_columns(storage)
    if len(columns) == 1:
        return {key: {"plugin": "get", "source": storage.name, "review": why}}
    inner = {column: column for column in columns}
    step = {"plugin": "sub_process", "source": storage.name, "process": inner, "review": why}
    return {key: step}


def lossless_entries(
    storage: FieldStorage, target: Column | Child | None, site: SiteModel, fed: Fed
) -> dict[str, Any]:
    """Return the process entries for one field: into the model where safe, else into extra."""
    key = f"extra/{extra_key(storage.name)}"
    if target is None:
        return keep_in_extra(storage, f"the model has no column for it: kept in {key}")
    if isinstance(target, Child):
        if _fits_child(storage, target, site, fed):
            return {target.name: child_pipeline(storage, target), **_child_rest(storage, target)}
        return keep_in_extra(storage, f"does not fit child table {target.name}: kept in {key}")
    if storage.cardinality != 1:
        why = f"holds several values and {target.name} takes one: all kept in {key}"
        return keep_in_extra(storage, why)
    pipeline, why = column_pipeline(storage, target, site, fed)
    if pipeline is None:
        return keep_in_extra(storage, f"{why}: kept in {key}")
    return {target.name: pipeline, **_secondary(storage, target)}


def fit_problem(storage: FieldStorage, target: Column | Child, site: SiteModel, fed: Fed) -> str:
    """Return why a field cannot go to the column or child table it matched ("" if it can):
    the same judgement `lossless_entries` makes before keeping a field in extra instead."""
    if isinstance(target, Child):
        fits = _fits_child(storage, target, site, fed)
        return "" if fits else f"does not fit child table {target.name}"
    if storage.cardinality != 1:
        return f"holds several values and {target.name} takes one"
    pipeline, why = column_pipeline(storage, target, site, fed)
    return why if pipeline is None else ""


def _secondary(storage: FieldStorage, column: Column) -> dict[str, Any]:
    """Keep a field's other data columns (a summary, an end date…) beside its main value."""
    main = main_column(storage)
    entries = {}
    for other in (c for c in data_columns(storage) if c != main):
        key = EXTRA_PREFIX + extra_key(f"{storage.name}/{other}")
        why = f"{column.name} takes the main value; {other} kept in {key}"
        entries[key] = {"plugin": "get", "source": f"{storage.name}/{other}", "review": why}
    return entries


def child_pipeline(storage: FieldStorage, child: Child) -> dict[str, Any]:
    """Return the sub_process filling a child table from a field's values."""
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
            entity = LOOKUP_ENTITY.get(column.type, column.entity)
            inner[column.name] = {"plugin": "lookup", "source": key, "entity": entity}
        elif column.name in storage.columns:
            inner[column.name] = column.name
    return {"plugin": "sub_process", "source": storage.name, "process": inner}


def _fits_child(storage: FieldStorage, child: Child, site: SiteModel, fed: Fed) -> bool:
    """Tell whether the child table takes this field's main value and can fill its columns."""
    takes_main = main_column(storage) in {c.name for c in child.columns}
    for column in child.columns:
        if column.type in REFERENCE_KINDS:
            if _reference_problem(storage, column, site, fed):
                return False
            takes_main = True
        elif column.required and column.name not in storage.columns:
            return False
    return takes_main


def _child_rest(storage: FieldStorage, child: Child) -> dict[str, Any]:
    """Keep the data columns a child table has no column for (an image's alt text…) in extra."""
    taken = {main_column(storage), *(c.name for c in child.columns)}
    rest = [column for column in data_columns(storage) if column not in taken]
    if not rest:
        return {}
    key = EXTRA_PREFIX + extra_key(storage.name)
    why = f"{child.name} has no column for {', '.join(rest)}: kept in {key}"
    inner = {column: column for column in rest}
    return {key: {"plugin": "sub_process", "source": storage.name, "process": inner, "review": why}}


def column_pipeline(
    storage: FieldStorage, column: Column, site: SiteModel, fed: Fed
) -> tuple[Any, str]:
    """Return (the pipeline into `column`, "") or (None, why it cannot go there)."""
    kind = field_kind(storage)
    if column.type in REFERENCE_KINDS:
        problem = _reference_problem(storage, column, site, fed)
        return (None, problem) if problem else (lookup_step(storage, column), "")
    if column.type in ("date", "datetime"):
        return _date_pipeline(storage, column, site, kind)
    if column.values and kind in ("list", "list_integer", "string"):
        return _coded(storage, column), ""
    if accepts(column.type, kind) and kind not in ("any", "other"):
        return storage.name, ""
    return None, f"{storage.type} does not fit the {column.type} column {column.name}"


def lookup_step(storage: FieldStorage, column: Column) -> dict[str, Any]:
    """Return the lookup filling a reference column from a field."""
    if column.type == "term":
        return {"plugin": "lookup", "source": storage.name, "vocabulary": column.vocabulary}
    entity = LOOKUP_ENTITY.get(column.type, column.entity)
    return {"plugin": "lookup", "source": storage.name, "entity": entity}


def _reference_problem(storage: FieldStorage, column: Column, site: SiteModel, fed: Fed) -> str:
    """Return why a field cannot fill a reference column through a lookup ("" if it can)."""
    wanted = REFERENCE_KINDS[column.type]
    if field_kind(storage) != wanted:
        return f"{storage.type} is not a {wanted} reference, which {column.name} needs"
    if column.type == "term":
        if column.vocabulary not in fed.vocabularies.values():
            return f"no vocabulary of the site is mapped to {column.vocabulary}"
        for vocabulary in (v for v in storage.target_bundles if v in site.vocabularies):
            if fed.vocabularies.get(vocabulary) != column.vocabulary:
                return f"it points at vocabulary {vocabulary}, not mapped to {column.vocabulary}"
    if column.type == "ref" and column.entity not in fed.entities.values():
        return f"no bundle of the site is mapped to {column.entity}"
    targets = [fed.entities.get(bundle) for bundle in storage.target_bundles]
    if column.type == "ref" and targets and column.entity not in targets:
        return f"it points at {', '.join(storage.target_bundles)}, not mapped to {column.entity}"
    return ""


def _date_pipeline(
    storage: FieldStorage, column: Column, site: SiteModel, kind: str
) -> tuple[Any, str]:
    to_format = "Y-m-d" if column.type == "date" else "Y-m-d H:i:s"
    step = {"plugin": "format_date", "source": storage.name}
    key = f"extra/{extra_key(storage.name)}"
    if kind == "rawdate":
        from_format: Any = drupal_date_format(storage, site)
    elif kind == "integer":
        from_format = "U"
        step["review"] = f"an integer read as Unix time; values that do not convert stay in {key}"
    elif kind in ("string", "text"):
        from_format = FREE_TEXT_DATES
        step["review"] = f"free text read as a date; values that do not parse stay in {key}"
    else:
        return None, f"{storage.type} does not fit the {column.type} column {column.name}"
    zones = date_zones(storage, column, site, from_format)
    return {
        **step,
        "from_format": from_format,
        "to_format": to_format,
        **zones,
        "on_error": "extra",
    }, ""


def date_zones(
    storage: FieldStorage | None, column: Column | None, site: SiteModel, from_format: Any
) -> dict[str, str]:
    """Return the `from_timezone`/`to_timezone` a scaffolded `format_date` writes (#22).

    Unix times and Drupal datetimes stored in UTC with a time of day become dates (`date`
    columns) in the site's time zone, since that is the date the site shows; calendar dates stay
    as written; `datetime` columns (`column` None: created_at, changed_at) hold UTC."""
    stored = _stored_zone(storage, site)
    if column is None or column.type != "date":
        return {"from_timezone": stored, "to_timezone": "UTC"}
    if from_format == UNIX_TIME or (storage is not None and _stores_time_of_day(storage, site)):
        return {"from_timezone": stored, "to_timezone": site.timezone.name}
    return {"from_timezone": stored, "to_timezone": stored}


def _stored_zone(storage: FieldStorage | None, site: SiteModel) -> str:
    """Return the zone a field's values are written in (Drupal stores UTC unless told so)."""
    if storage is None or site.layout != "d7":
        return "UTC"
    settings = storage.settings
    if settings.get("tz_handling") == "none" and _stores_time_of_day(storage, site, any_zone=True):
        return site.timezone.name  # Drupal 7 "no conversion": the wall clock of the site
    zone = settings.get("timezone_db")
    return str(zone) if is_zone(zone) else "UTC"


def _stores_time_of_day(storage: FieldStorage, site: SiteModel, *, any_zone: bool = False) -> bool:
    """Tell whether a Drupal date field keeps a time of day (converted by Drupal, `any_zone`:
    or not)."""
    if field_kind(storage) != "rawdate":
        return False
    settings = storage.settings
    if site.layout != "d7":
        return settings.get("datetime_type") != "date"
    granularity = settings.get("granularity")
    hours = isinstance(granularity, dict) and bool(granularity.get("hour"))
    return hours and (any_zone or settings.get("tz_handling") != "none")


def drupal_date_format(storage: FieldStorage, site: SiteModel) -> str:
    """Return the PHP date format a Drupal date field stores its values in."""
    if storage.type == "datestamp":
        return "U"
    if site.layout == "d7" and storage.type == "datetime":
        return "Y-m-d H:i:s"
    if storage.settings.get("datetime_type") == "date":
        return "Y-m-d"
    return "Y-m-d\\TH:i:s"


def _coded(storage: FieldStorage, column: Column) -> dict[str, Any]:
    """Map a field into a coded column; values the model lacks stay in extra (check warns)."""
    step: dict[str, Any] = {"plugin": "static_map", "source": storage.name}
    if storage.allowed_values:
        step["map"] = {k: v for k, v in value_map(storage, column).items() if v is not None}
    else:
        step["map"] = {value: value for value in column.values}
        key = f"extra/{extra_key(storage.name)}"
        step["review"] = f"free text into a coded column; other values stay in {key}"
    step["unmatched"] = "extra"
    return step


def value_map(storage: FieldStorage, column: Column) -> dict[str, str | None]:
    """Match each allowed value of a list field to a value of the column (None: no match)."""
    result = {}
    for allowed in storage.allowed_values:
        candidates = (allowed.key, allowed.key.lower(), allowed.label.lower().replace(" ", "_"))
        result[allowed.key] = next((c for c in candidates if c in column.values), None)
    return result
