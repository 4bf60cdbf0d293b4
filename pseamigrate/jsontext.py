"""JSON for row values: hashing them, making them JSON-ready, and the text JSON columns store.

Why orjson (a C encoder) and not the standard library's: a profile of `migrate` put about a
tenth of its CPU in `json` (each row's hash, `plain` round trips, the JSON columns' serializer),
and orjson does the same work several times faster. What orjson cannot encode (integers beyond
64 bits, text with lone surrogates, nesting deeper than 254 levels) goes through the standard
library instead, so no value that encoded before fails now.

Every type JSON has no form for goes through `text_form` (orjson's own forms of datetimes and
dataclasses are turned off), so a value becomes the same data as with `json.dumps(...,
default=text_form)`. Not-a-number floats become `null` (the standard library writes `NaN`,
which no JSON column accepts).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Callable
from typing import Any

import orjson

_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


def text_form(value: Any) -> Any:
    """Turn what JSON cannot encode into a stable text form (dates ISO, bytes hex)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)


def encode(
    value: Any, *, sort_keys: bool = False, default: Callable[[Any], Any] = text_form
) -> bytes:
    """Return `value` as compact UTF-8 JSON (keys sorted when asked: for hashing)."""
    try:
        return orjson.dumps(value, default=default, option=_OPTIONS | _sorted(sort_keys))
    except orjson.JSONEncodeError:
        text = json.dumps(
            value, default=default, sort_keys=sort_keys, ensure_ascii=False, separators=(",", ":")
        )
        return text.encode("utf-8", "surrogatepass")


def _sorted(sort_keys: bool) -> int:
    return orjson.OPT_SORT_KEYS if sort_keys else 0


def plain(value: Any) -> Any:
    """Return `value` as JSON-ready data: what `json.loads(json.dumps(value, default=...))`
    gives, dates as ISO text and bytes as hex."""
    encoded = encode(value)
    try:
        return orjson.loads(encoded)
    except orjson.JSONDecodeError:  # the standard library's fallback wrote surrogates
        return json.loads(encoded.decode("utf-8", "surrogatepass"))


def load(text: str | bytes) -> Any:
    """Parse JSON text (what orjson refuses, such as `NaN`, by the standard library)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def plain_text(text: str | bytes) -> Any:
    """Parse JSON text into JSON-ready data: what `plain(load(text))` gives, without encoding
    it again (what orjson parses is JSON-ready already)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return plain(json.loads(text))


def column_text(value: Any) -> str:
    """Return the text a JSON column stores (the engine's `json_serializer`)."""
    return encode(value).decode("utf-8", "surrogatepass")
