"""`jsontext` (orjson with the standard library as fallback) gives row values the same JSON-ready
data as `json.loads(json.dumps(value, default=...))` did, hashes that do not depend on key order,
and column text every JSON parser reads back as the value."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import json
import math
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pseamigrate import jsontext
from pseamigrate.migrate.items import Child, Item


@dataclasses.dataclass
class Point:
    x: int


VALUES: list[Any] = [
    {"narrative": 'l\'été à Goma — "ça va"\n\\ \x00 \U0001f600', "n": 3, "ok": True, "no": None},
    {"at": dt.datetime(2024, 2, 29, 23, 59, 58), "us": dt.datetime(2024, 1, 1, 0, 0, 0, 5)},
    {"aware": dt.datetime(2020, 5, 6, 7, 8, 9, tzinfo=ZoneInfo("Asia/Baghdad"))},
    {"day": dt.date(1999, 12, 31), "time": dt.time(10, 11, 12), "gap": dt.timedelta(hours=5)},
    {"money": decimal.Decimal("-12.3450"), "raw": b"\x00\xff'", "float": 0.1, "big": 1e300},
    {"tags": {3, 1, 2}, "frozen": frozenset({"b", "a"}), "tuple": (1, (2, 3))},
    {1: "int key", 2.5: "float key", False: "bool key", None: "none key", "s": {"7": [{}]}},
    {"point": Point(4), "nested": [[[[{"deep": [1, "two", None]}]]]]},
    {"edge ints": [2**63 - 1, -(2**63), 0]},
    [],
    {},
]


def _stdlib(value: Any) -> Any:
    return json.loads(json.dumps(value, default=jsontext.text_form, ensure_ascii=False))


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_plain_gives_what_the_standard_library_round_trip_gave(value: Any) -> None:
    assert jsontext.plain(value) == _stdlib(value)


def test_what_orjson_refuses_goes_through_the_standard_library() -> None:
    huge = {"id": 2**70, "list": [-(2**65)]}
    assert jsontext.plain(huge) == huge
    assert json.loads(jsontext.encode(huge)) == huge
    lone = {"text": "broken \ud800 surrogate"}
    assert jsontext.plain(lone) == lone
    assert jsontext.column_text(lone) == '{"text":"broken \ud800 surrogate"}'


def test_not_a_number_becomes_null_which_json_columns_accept() -> None:
    assert jsontext.plain({"x": math.nan, "y": math.inf}) == {"x": None, "y": None}


def test_sorted_encoding_does_not_depend_on_key_order() -> None:
    first = {"b": 1, "a": {"d": [1, {"z": 0, "y": 1}], "c": None}}
    second = {"a": {"c": None, "d": [1, {"y": 1, "z": 0}]}, "b": 1}
    assert jsontext.encode(first, sort_keys=True) == jsontext.encode(second, sort_keys=True)
    assert jsontext.encode(first) != jsontext.encode(second)


def test_column_text_is_compact_utf8_json_of_the_value() -> None:
    value = {"name": "Zoë 😀", "n": [1, 2], "at": dt.datetime(2020, 1, 2, 3, 4, 5)}
    text = jsontext.column_text(value)
    assert text == '{"name":"Zoë 😀","n":[1,2],"at":"2020-01-02T03:04:05"}'
    assert jsontext.load(text) == _stdlib(value)


def test_load_reads_what_orjson_refuses() -> None:
    assert math.isnan(jsontext.load('{"x": NaN}')["x"])
    assert jsontext.load(b'[1, "\\u00e9"]') == [1, "é"]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_plain_text_gives_what_plain_of_the_parsed_text_gives(value: Any) -> None:
    text = jsontext.column_text(value)
    assert jsontext.plain_text(text) == jsontext.plain(jsontext.load(text)) == _stdlib(value)
    assert jsontext.plain_text(text.encode()) == _stdlib(value)


def test_plain_text_of_what_orjson_refuses() -> None:
    for text in ['{"x": NaN, "y": [Infinity]}', '{"id": 123456789012345678901234567890}']:
        assert jsontext.plain_text(text) == jsontext.plain(jsontext.load(text))
    assert jsontext.plain_text('{"x": NaN}') == {"x": None}


def _item(values: dict[str, Any], rows: list[dict[str, Any]]) -> Item:
    item = Item("node:complaint", "7", "complaints", values=values)
    item.children.append(Child("complaint_attachments", "complaint_id", rows))
    return item


def test_row_hash_follows_the_values_not_their_order() -> None:
    values = {"title": "t", "extra": {"b": 1, "a": 2}, "at": dt.datetime(2020, 1, 1)}
    same = {"at": dt.datetime(2020, 1, 1), "extra": {"a": 2, "b": 1}, "title": "t"}
    digest = _item(values, [{"delta": 0, "file_id": 3}]).row_hash()
    assert len(digest) == 64
    assert _item(same, [{"file_id": 3, "delta": 0}]).row_hash() == digest
    assert _item({**values, "title": "u"}, [{"delta": 0, "file_id": 3}]).row_hash() != digest
    assert _item(values, [{"delta": 0, "file_id": 4}]).row_hash() != digest
    assert _item(values, [{"delta": 0, "file_id": "3"}]).row_hash() != digest
