"""Checks a row's values against the model's columns before they reach the server.

A value the column cannot hold fails the row with a message naming the column — never the
value — instead of a server error that would quote it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pseamigrate import jsontext
from pseamigrate.migrate.items import Item
from pseamigrate.target import model as cm


def plain_json(value: Mapping[str, Any]) -> Any:
    """Return `value` as JSON-ready data (dates as ISO text, bytes as hex)."""
    return jsontext.plain(value)


def check_values(
    item: Item, columns: Iterable[cm.Column], values: dict[str, Any], extra: dict[str, Any]
) -> None:
    """Make the values fit their columns: a text too long for its column, or outside the
    model's list, moves to `extra/<column>_unfit` with a warning (the row still migrates); a
    required column left empty fails the row."""
    for column in columns:
        value = values.get(column.name)
        if value is None:
            if column.required and column.type not in cm.REFERENCE_TYPES:
                item.fail(f"{column.name}: required, but the mapping gave no value")
            continue
        if column.type != "string":
            continue
        text = str(value)
        why = ""
        if len(text) > column.length:
            why = f"longer than {column.length} characters"
        elif column.values and text not in column.values:
            why = "a value outside the model's list"
        if why:
            extra[f"{column.name}_unfit"] = value
            values[column.name] = None
            if column.required:
                item.fail(f"{column.name}: {why}")
            else:
                item.warn(f"{column.name}: {why}; kept in extra/{column.name}_unfit")
