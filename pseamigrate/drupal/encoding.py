"""Repair text that legacy sites stored as UTF-8 bytes inside latin1 columns.

Many Drupal 5/6-era databases were created with latin1 tables while the application wrote UTF-8
bytes into them. Read through a utf8mb4 connection, the server converts each byte as if it were
latin1 (MySQL's latin1 is really cp1252), so "é" arrives as "Ã©". We undo that only where it
round-trips: the text re-encodes to bytes exactly as the server decoded them and those bytes
are valid UTF-8. Anything else is returned untouched, so genuine latin1 text is never mangled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

# MySQL's latin1 is cp1252, except that the five bytes cp1252 leaves undefined map to C1 controls.
_UNDEFINED_CP1252 = {0x81, 0x8D, 0x8F, 0x90, 0x9D}


def _server_bytes(value: str) -> bytes | None:
    """Return the bytes a MySQL latin1 column held for `value`, or None if impossible."""
    try:  # cp1252 gives the same bytes wherever it can encode every character
        return value.encode("cp1252")
    except UnicodeEncodeError:
        pass  # one of the five bytes cp1252 leaves undefined, or a character no byte gives
    out = bytearray()
    for char in value:
        code = ord(char)
        if code < 0x80 or 0xA0 <= code <= 0xFF or code in _UNDEFINED_CP1252:
            out.append(code)
            continue
        try:
            out += char.encode("cp1252")
        except UnicodeEncodeError:
            return None
    return bytes(out)


def repair_text(value: str) -> str:
    """Return `value` re-decoded as UTF-8 if it is UTF-8 read through latin1, else unchanged."""
    if value.isascii():
        return value
    raw = _server_bytes(value)
    if raw is None:
        return value
    try:
        fixed = raw.decode("utf-8")
    except UnicodeDecodeError:
        return value
    return fixed


def repair_row(row: Mapping[str, Any], columns: frozenset[str]) -> dict[str, Any]:
    """Repair the string values of `columns` in one row; other values pass through."""
    return {
        key: repair_text(value) if key in columns and isinstance(value, str) else value
        for key, value in row.items()
    }


def repair_tuple(row: tuple[Any, ...], positions: list[int]) -> tuple[Any, ...]:
    """Repair the string values at `positions` of one row; other values pass through."""
    fixed = list(row)
    for i in positions:
        if isinstance(fixed[i], str):
            fixed[i] = repair_text(fixed[i])
    return tuple(fixed)


def latin1_columns(conn: Connection) -> dict[str, frozenset[str]]:
    """Map each table of the current database to its columns declared with a latin1 charset."""
    rows = conn.execute(
        text(
            "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = DATABASE() AND CHARACTER_SET_NAME = 'latin1'"
        )
    )
    found: dict[str, set[str]] = {}
    for table, column in rows:
        found.setdefault(str(table), set()).add(str(column))
    return {table: frozenset(columns) for table, columns in found.items()}
