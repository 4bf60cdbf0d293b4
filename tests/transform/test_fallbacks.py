"""Values a step cannot convert stay in `extra`, with a message that never holds the value (#9)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pseamigrate.errors import MappingError, UnmappedValue
from pseamigrate.mapping.model import extra_key
from pseamigrate.transform.process import Context, transform_row
from tests.transform.test_process import _entity

DATE = (
    "      date_received: {plugin: format_date, source: field_incident_date,\n"
    "        from_format: ['Y-m-d', 'd/m/Y'], to_format: Y-m-d, on_error: extra}\n"
)


def test_extra_key_is_the_short_field_name() -> None:
    assert extra_key("field_incident_date") == "incident_date"
    assert extra_key("field_x/end_value") == "x_end_value"
    assert extra_key("created") == "created"


def test_a_date_that_parses_is_converted_without_a_message(tmp_path: Path) -> None:
    ctx = Context()
    values = transform_row(_entity(tmp_path, DATE), {"field_incident_date": "03/02/2024"}, ctx)
    assert values == {"date_received": "2024-02-03"}
    assert ctx.messages == []


def test_a_date_that_does_not_parse_stays_in_extra_with_a_message(tmp_path: Path) -> None:
    ctx = Context()
    row = {"field_incident_date": "last Tuesday, by the well"}
    values = transform_row(_entity(tmp_path, DATE), row, ctx)
    assert values == {"date_received": None, "extra": {"incident_date": row["field_incident_date"]}}
    assert ctx.messages == [
        "field_incident_date: value does not parse as a date; kept in extra/incident_date"
    ]
    assert all("Tuesday" not in message for message in ctx.messages)


def test_unix_time_out_of_range_stays_in_extra(tmp_path: Path) -> None:
    process = (
        "      date_received: {plugin: format_date, source: field_when, from_format: U,\n"
        "        to_format: Y-m-d, on_error: extra}\n"
    )
    ctx = Context()
    entity = _entity(tmp_path, process)
    assert transform_row(entity, {"field_when": 1700000000}, ctx) == {"date_received": "2023-11-14"}
    huge = transform_row(entity, {"field_when": 10**20}, ctx)
    assert huge == {"date_received": None, "extra": {"when": 10**20}}
    assert ctx.messages == ["field_when: value does not parse as a date; kept in extra/when"]


def test_without_on_error_a_bad_date_still_fails(tmp_path: Path) -> None:
    strict = DATE.replace(", on_error: extra", "")
    with pytest.raises(ValueError):
        transform_row(_entity(tmp_path, strict), {"field_incident_date": "soon"}, Context())


def test_static_map_unmatched_extra_keeps_the_value(tmp_path: Path) -> None:
    process = (
        "      intake_channel: {plugin: static_map, source: field_intake_channel,\n"
        "        map: {hotline: hotline}, unmatched: extra}\n"
    )
    entity = _entity(tmp_path, process)
    ctx = Context()
    assert transform_row(entity, {"field_intake_channel": "hotline"}, ctx) == {
        "intake_channel": "hotline"
    }
    kept = transform_row(entity, {"field_intake_channel": "camp_committee"}, ctx)
    assert kept == {"intake_channel": None, "extra": {"intake_channel": "camp_committee"}}
    assert ctx.messages == [
        "field_intake_channel: value has no match in the map; kept in extra/intake_channel"
    ]
    several = transform_row(entity, {"field_intake_channel": ["hotline", "radio"]}, Context())
    assert several["extra"] == {"intake_channel": ["hotline", "radio"]}  # the whole list, as read


def test_static_map_unmatched_bypass_and_fail(tmp_path: Path) -> None:
    bypass = "      a: {plugin: static_map, source: s, map: {x: y}, unmatched: bypass}\n"
    assert transform_row(_entity(tmp_path, bypass), {"s": "z"}) == {"a": "z"}
    fail = "      a: {plugin: static_map, source: s, map: {x: y}, unmatched: fail}\n"
    with pytest.raises(UnmappedValue):
        transform_row(_entity(tmp_path, fail), {"s": "z"})


def test_a_mapped_extra_key_wins_over_a_kept_value(tmp_path: Path) -> None:
    process = DATE + "      extra/incident_date: {plugin: callback, source: s, callable: upper}\n"
    values = transform_row(_entity(tmp_path, process), {"field_incident_date": "?", "s": "a"})
    assert values["extra"] == {"incident_date": "A"}


def test_kept_values_do_not_leak_into_the_next_row(tmp_path: Path) -> None:
    entity = _entity(tmp_path, DATE)
    ctx = Context()
    transform_row(entity, {"field_incident_date": "never"}, ctx)
    assert transform_row(entity, {"field_incident_date": "2024-01-01"}, ctx) == {
        "date_received": "2024-01-01"
    }


def test_inside_sub_process_kept_values_are_keyed_by_field_and_delta(tmp_path: Path) -> None:
    process = (
        "      extra/dates:\n        plugin: sub_process\n        source: field_dates\n"
        "        process:\n          value: {plugin: format_date, source: value,\n"
        "            from_format: Y-m-d, to_format: Y-m-d, on_error: extra}\n"
    )
    row = {"field_dates/*": [{"value": "2024-01-01"}, {"value": "soon"}]}
    ctx = Context()
    values = transform_row(_entity(tmp_path, process), row, ctx)
    assert values["extra"] == {
        "dates": [{"delta": 0, "value": "2024-01-01"}, {"delta": 1, "value": None}],
        "dates/1/value": "soon",
    }
    assert ctx.messages == [
        "dates/1/value: value does not parse as a date; kept in extra/dates/1/value"
    ]


def test_fallback_options_and_review_are_validated(tmp_path: Path) -> None:
    process = (
        "      a: {plugin: format_date, source: s, from_format: U, on_error: ignore}\n"
        "      b: {plugin: static_map, source: s, map: {}, unmatched: drop}\n"
        "      c: {plugin: get, source: s, review: ''}\n"
    )
    with pytest.raises(MappingError) as caught:
        _entity(tmp_path, process)
    text = str(caught.value)
    assert "a.on_error: must be one of fail, extra (got 'ignore')" in text
    assert "b.unmatched: must be one of fail, extra, bypass (got 'drop')" in text
    assert "c.review: must say what to review" in text
