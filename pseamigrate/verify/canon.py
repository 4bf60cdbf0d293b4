"""Canonical rows: one text form for a value whether it comes from a producer or the server.

A projected row (what the migrate producers compute from the source) and the row read back
from the target must hash the same when they hold the same data, so both go through the same
normalisation, driven by the target column's type: booleans as 0/1, dates and times in ISO
form, JSON re-encoded with sorted keys, numbers without trailing zeros. Pure: no SQL here.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, Numeric, Table
from sqlalchemy.types import TypeEngine

from pseamigrate import jsontext

STAMPS = frozenset({"id", "imported_at", "updated_at"})


def normal(value: Any, kind: TypeEngine[Any]) -> Any:
    """Return `value` in the one form both sides agree on for a column of type `kind`."""
    if value is None:
        return None
    if isinstance(kind, JSON):
        if isinstance(value, str | bytes):  # read back from the target
            return jsontext.plain_text(value)
        return jsontext.plain(value)
    if isinstance(kind, Boolean):
        return int(value) if isinstance(value, str) else int(bool(value))
    if isinstance(kind, Integer):
        return int(value)
    if isinstance(kind, DateTime):
        return _datetime(value)
    if isinstance(kind, Date):
        return _datetime(value)[:10]
    if isinstance(kind, Numeric | Float):
        return format(decimal.Decimal(str(value)).normalize(), "f")
    return value.hex() if isinstance(value, bytes) else str(value)


def _datetime(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time()).isoformat(sep=" ")
    return dt.datetime.fromisoformat(str(value)).replace(microsecond=0).isoformat(sep=" ")


def canonical(table: Table, values: Mapping[str, Any], skip: Iterable[str] = ()) -> dict[str, Any]:
    """Return every column of `table` (ids, stamps and `skip` left out) in canonical form."""
    left_out = STAMPS | set(skip)
    return {c.name: normal(values.get(c.name), c.type) for c in table.c if c.name not in left_out}


def canonical_rows(
    table: Table, rows: Iterable[Mapping[str, Any]], skip: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """Return child rows in canonical form, in a stable order (by delta, then content)."""
    done = [canonical(table, row, skip) for row in rows]
    return sorted(done, key=lambda row: (row.get("delta") or 0, _encode(row)))


def _encode(document: Any) -> bytes:
    return jsontext.encode(document, sort_keys=True, default=str)


def row_digest(document: Mapping[str, Any]) -> str:
    """Return the sha256 of a canonical row (with its children and merge keys)."""
    return hashlib.sha256(_encode(document)).hexdigest()


def combined(digests: Iterable[str]) -> str:
    """Return an order-independent digest of many row digests (their XOR)."""
    total = 0
    for digest in digests:
        total ^= int(digest, 16)
    return format(total, "064x")


def bisect(ids: Sequence[str], ours: Mapping[str, str], theirs: Mapping[str, str]) -> list[str]:
    """Return the ids whose digests differ, halving the id list while the halves differ."""
    if combined(ours.get(i) or _absent(i) for i in ids) == combined(
        theirs.get(i) or _absent(i) for i in ids
    ):
        return []
    if len(ids) == 1:
        return list(ids)
    middle = len(ids) // 2
    return bisect(ids[:middle], ours, theirs) + bisect(ids[middle:], ours, theirs)


def _absent(source_id: str) -> str:
    """Return the digest standing for a row that is not there."""
    return row_digest({"absent": source_id})


def differing_fields(ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> list[str]:
    """Return the names of the fields whose canonical values differ (names only)."""
    names = sorted(set(ours) | set(theirs))
    return [name for name in names if _encode(ours.get(name)) != _encode(theirs.get(name))]
