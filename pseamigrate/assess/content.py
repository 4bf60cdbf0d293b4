"""Checks over field values: dangling node references, dates, very long texts, 4-byte text.

Each check reads one field table at a time through the site's `Source` (SQL aggregates, or a
keyset stream for dates), and returns findings with entity ids, never values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from pseamigrate.assess.context import SiteContext, subject
from pseamigrate.assess.fate import Fate, from_formats
from pseamigrate.assess.findings import Finding, Severity, capped
from pseamigrate.assess.rows import judge
from pseamigrate.assess.tables import FieldTable
from pseamigrate.transform.process import parse_any

NODE_REF_NAME = re.compile(r"_(ref|nid|node|reference)$")
TIME_NAME = re.compile(r"(date|time|_at$|timestamp)")
INTEGER_TYPES = {"number_integer", "integer", "datestamp"}
TEXT_TYPES = {"text", "string", "date", "datetime", "list_text", "text_long", "string_long"}
# Formats tried on a date-like text field that no mapping formats yet (PHP date() letters).
FALLBACK_FORMATS = ["Y-m-d H:i:s", "Y-m-d\\TH:i:s", "Y-m-d", "d/m/Y", "d.m.Y", "d F Y", "d M Y"]
UNIX_MAX = 4_102_444_800  # 2100-01-01: later is not a date anyone meant
KB64, MB16 = 65_535, 16_777_215
UTC = ZoneInfo("UTC")


def content_findings(ctx: SiteContext) -> Iterator[Finding]:
    """Run every value check on every live field of every bundle."""
    for table in ctx.field_tables():
        fate = ctx.fate(table)
        found = [
            *_present(dangling_references(ctx, table, fate)),
            *_present(bad_dates(ctx, table, fate)),
            *long_texts(ctx, table, fate),
            *four_byte_text(ctx, table, fate),
        ]
        # Judged by check's row pass: the run's own transforms say which rows fail (rows.py).
        entity = f"{table.storage.entity_type}:{table.bundle}"
        yield from (judge(finding, entity, ctx.rows) for finding in found)
    yield from four_byte_titles(ctx)


def _present(finding: Finding | None) -> list[Finding]:
    return [finding] if finding is not None else []


def _ref_column(table: FieldTable, fate: Fate) -> str | None:
    """Return the column holding a nid: node references, and integers used as one."""
    storage = table.storage
    if storage.target_type == "node":
        return next((c for c in ("target_id", "nid") if c in storage.columns), None)
    lookup = fate.step("lookup")
    by_mapping = lookup is not None and lookup.options.get("entity") not in (None, "user", "file")
    integer = storage.type in INTEGER_TYPES and "value" in storage.columns
    if integer and (by_mapping or NODE_REF_NAME.search(storage.name)):
        return "value"
    return None


def dangling_references(ctx: SiteContext, table: FieldTable, fate: Fate) -> Finding | None:
    """Find entities whose node reference points at a node that no longer exists."""
    column = _ref_column(table, fate)
    if column is None:
        return None
    c = table.quoted(column)
    join = f"LEFT JOIN {ctx.source.q('node')} n ON n.nid = {c}"
    count, ids = table.matching(f"{c} IS NOT NULL AND {c} <> 0 AND n.nid IS NULL", join)
    if not count:
        return None
    if fate.kind == "extra":
        action = f"{fate.text}: the source id is kept as it is"
    elif fate.migrated:
        action = f"{fate.text}: the reference will be left empty, the source id kept in extra"
    else:
        action = f"{fate.text}: nothing of it is migrated"
    return Finding(
        ctx.name,
        "dangling_reference",
        "warning" if fate.migrated or fate.kind == "none" else "info",
        subject(table),
        f"{count} {table.bundle} point(s) at deleted or missing nodes",
        count,
        capped(ids),
        action,
    )


def bad_dates(ctx: SiteContext, table: FieldTable, fate: Fate) -> Finding | None:
    """Find date values the mapping's format_date (or common formats) cannot read."""
    storage = table.storage
    formats = from_formats(fate)
    named = bool(TIME_NAME.search(storage.name))
    integer = storage.type in INTEGER_TYPES and "value" in storage.columns
    if integer and (named or formats) and formats in (None, "U", ["U"]):
        return _unix_out_of_range(ctx, table, fate)
    if "value" not in storage.columns or storage.type not in TEXT_TYPES | {"datetime"}:
        return None
    if formats is None and not (named and storage.type in TEXT_TYPES):
        return None
    count, ids = _unparseable(table, formats or FALLBACK_FORMATS)
    if not count:
        return None
    step = fate.step("format_date")
    kept = step is not None and step.options.get("on_error") == "extra"
    return Finding(
        ctx.name,
        "unparseable_date",
        "blocker" if formats is not None and fate.kind != "extra" and not kept else "warning",
        subject(table),
        f"{count} {table.bundle} hold date values that do not parse"
        + (" with the mapping's from_format" if formats is not None else ""),
        count,
        capped(ids),
        _date_action(fate, formats is not None, kept),
    )


def _date_action(fate: Fate, formatted: bool, kept: bool = False) -> str:
    if kept:  # on_error: extra (transform/process.py): the run handles these rows
        return (
            f"{fate.text}: format_date cannot read them; with on_error: extra the date is left "
            "empty and the value kept in extra, and the rows migrate"
        )
    if formatted and fate.kind != "extra":
        return (
            f"{fate.text}: format_date cannot read them and the run stops at these rows; add "
            "their format to from_format, or keep the field in extra"
        )
    if fate.migrated:
        return f"{fate.text}: kept as text, not as a date"
    return f"{fate.text}: a mapping needs a format_date that reads them, or extra"


def _unparseable(table: FieldTable, formats: object) -> tuple[int, list[int]]:
    """Stream the values and count the entities with one that no format reads."""
    count, ids, last = 0, list[int](), -1
    for entity_id, value in table.values("value"):
        if entity_id == last or _parses(value, formats):
            continue
        count, last = count + 1, entity_id
        ids.append(entity_id)
    return count, ids


def _parses(value: object, formats: object) -> bool:
    try:
        parse_any(value, formats, UTC)
    except (ValueError, TypeError, OverflowError, OSError):
        return False
    return True


def _unix_out_of_range(ctx: SiteContext, table: FieldTable, fate: Fate) -> Finding | None:
    c = table.quoted("value")
    count, ids = table.matching(f"{c} IS NOT NULL AND ({c} <= 0 OR {c} > {UNIX_MAX})")
    if not count:
        return None
    return Finding(
        ctx.name,
        "unix_time_out_of_range",
        "warning",
        subject(table),
        f"{count} {table.bundle} hold unix times before 1970 or after 2100",
        count,
        capped(ids),
        f"{fate.text}: such a value becomes a date far from any real one; check the source",
    )


def long_texts(ctx: SiteContext, table: FieldTable, fate: Fate) -> Iterator[Finding]:
    """Find texts over 64 KB and over 16 MB, and say whether the target column holds them."""
    for column, kind, _charset in table.text_columns():
        if kind not in ("text", "mediumtext", "longtext"):
            continue
        c = table.quoted(column)
        count, ids = table.matching(f"LENGTH({c}) > {KB64}")
        if not count:
            continue
        longest = int(
            ctx.source.scalar(
                f"SELECT MAX(LENGTH({c})) FROM {table.table} f WHERE {table.where('f')}",
                table.params(),
            )
            or 0
        )
        huge, huge_ids = table.matching(f"LENGTH({c}) > {MB16}") if longest > MB16 else (0, ())
        where = subject(table) + ("" if column == "value" else f"/{column}")
        yield _long(ctx, where, fate, count, ids, longest, "64 KB")
        if huge:
            yield _long(ctx, where, fate, huge, huge_ids, longest, "16 MB")


def _long(
    ctx: SiteContext,
    where: str,
    fate: Fate,
    count: int,
    ids: tuple[int, ...],
    longest: int,
    limit: str,
) -> Finding:
    capacity = fate.capacity
    severity: Severity
    if fate.kind == "column" and capacity is not None and longest > capacity:
        severity, action = (
            "blocker",
            (
                f"{fate.text}, a {fate.sql_type} column (at most {capacity} bytes): the longest "
                f"({longest} bytes) does not fit; give the model column a longer type (LONGTEXT)"
            ),
        )
    elif fate.migrated and limit == "16 MB":
        severity, action = (
            "warning",
            (
                f"{fate.text}: raise max_allowed_packet above {longest} bytes on the source and "
                "the target server (MariaDB's default is 16 MB)"
            ),
        )
    else:
        severity, action = "info", f"{fate.text}" + (": it holds them" if fate.migrated else "")
    return Finding(
        ctx.name,
        f"long_text_{limit.replace(' ', '').lower()}",
        severity,
        where,
        f"{count} with a value over {limit} (longest {longest} bytes)",
        count,
        capped(ids),
        action,
    )


# A 4-byte UTF-8 character: gone when converted to utf8mb3, so the byte length changes.
_FOUR_BYTE = {
    "utf8mb4": "LENGTH({c}) <> LENGTH(CONVERT({c} USING utf8mb3))",
    # UTF-8 bytes kept in a latin1 column (double encoding): read the bytes as utf8mb4 first.
    "latin1": "LENGTH(CONVERT(CONVERT({c} USING binary) USING utf8mb4)) <> "
    "LENGTH(CONVERT(CONVERT(CONVERT({c} USING binary) USING utf8mb4) USING utf8mb3))",
}


def four_byte_text(ctx: SiteContext, table: FieldTable, fate: Fate) -> Iterator[Finding]:
    """Find values holding 4-byte characters (emoji, rare CJK), which need utf8mb4."""
    for column, _kind, charset in table.text_columns():
        test = _FOUR_BYTE.get(charset)
        if test is None:
            continue
        count, ids = table.matching(test.format(c=table.quoted(column)))
        if not count:
            continue
        stored = (
            " (UTF-8 bytes in a latin1 table, re-decoded on read)" if charset == "latin1" else ""
        )
        yield Finding(
            ctx.name,
            "four_byte_characters",
            "info",
            subject(table) + ("" if column == "value" else f"/{column}"),
            f"{count} {table.bundle} hold 4-byte characters{stored}",
            count,
            capped(ids),
            f"{fate.text}: the target column must be utf8mb4, as every target table is",
        )


def four_byte_titles(ctx: SiteContext) -> Iterator[Finding]:
    """Find nodes whose title holds 4-byte characters, per node type."""
    s = ctx.source
    table = "node" if ctx.layout == "d7" else "node_field_data"
    charset = s.scalar(
        "SELECT CHARACTER_SET_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
        "DATABASE() AND TABLE_NAME = :t AND COLUMN_NAME = 'title'",
        {"t": s.name(table)},
    )
    test = _FOUR_BYTE.get(str(charset))
    if test is None:
        return
    found = f"FROM {s.q(table)} n WHERE ({test.format(c='n.title')})"
    for row in s.rows(f"SELECT n.type AS t, COUNT(DISTINCT n.nid) AS c {found} GROUP BY n.type"):
        ids = s.rows(
            f"SELECT DISTINCT n.nid AS id {found} AND n.type = :b ORDER BY n.nid",
            {"b": row["t"]},
        )
        yield Finding(
            ctx.name,
            "four_byte_characters",
            "info",
            f"{row['t']}.title",
            f"{row['c']} {row['t']} title(s) hold 4-byte characters",
            int(row["c"]),
            tuple(int(r["id"]) for r in ids),
            "mapped to the entity's title: the target column is utf8mb4, as every target table is",
        )
