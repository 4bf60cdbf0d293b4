"""Sanitize replaces the numbers inside JSON values too (#30 low): a user's access times and a
complaint's GPS coordinates were copied unchanged into the test target."""

from __future__ import annotations

from typing import Any

import pytest

from pseamigrate.sanitize.rules import Rules

SOURCE: dict[str, Any] = {
    "access": 1717171717,
    "where": {"lat": 33.3152, "lon": 44.3661, "accuracy_m": 12},
    "history": [1690000000, -5, 0.5, 1e-05],
    "active": True,
    "note": None,
}


def _numbers(value: Any) -> list[int | float]:
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [value]
    return []


def test_every_number_in_a_json_value_is_replaced_keeping_its_type_and_shape() -> None:
    rules = Rules(b"k" * 32)
    out = rules.apply("json", SOURCE, tenant=1)
    before, after = _numbers(SOURCE), _numbers(out)
    assert len(after) == len(before)
    for old, new in zip(before, after, strict=True):
        assert new != old, old
        assert type(new) is type(old)
        assert (new < 0) == (old < 0)
    assert out["active"] is True and out["note"] is None  # structure, not data
    assert set(out) == set(SOURCE) and set(out["where"]) == set(SOURCE["where"])
    assert rules.apply("json", SOURCE, tenant=1) == out  # keyed and deterministic
    assert Rules(b"x" * 32).apply("json", SOURCE, tenant=1) != out


@pytest.mark.parametrize("value", [7, 0, 1717171717, 33.3152, -44.0, 1e-05, 2.5e20])
def test_a_number_keeps_its_digit_count(value: float) -> None:
    new = Rules(b"k" * 32).number(value)
    assert new != value
    assert len(repr(new).lstrip("-")) <= len(repr(value).lstrip("-"))
