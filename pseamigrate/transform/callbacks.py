"""The registry of named Python functions a mapping may call with `plugin: callback`.

Mappings name a function; they never carry code (no eval). To add one, write a small pure
function below and add it to `CALLBACKS` with the logical type it returns ("any" if it keeps the
type it was given); docs/mappings.md explains the steps.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Callback:
    """A registered function and the logical type of what it returns."""

    function: Callable[[Any], Any]
    returns: str  # a model column type, or "any"
    description: str


def trim(value: Any) -> Any:
    """Strip surrounding whitespace from text; leave other values alone."""
    return value.strip() if isinstance(value, str) else value


def lower(value: Any) -> Any:
    """Lower-case text."""
    return value.lower() if isinstance(value, str) else value


def upper(value: Any) -> Any:
    """Upper-case text."""
    return value.upper() if isinstance(value, str) else value


def to_int(value: Any) -> int | None:
    """Turn '12', 12.0 or 12 into 12; empty into None."""
    if value is None or value == "":
        return None
    return int(float(value))


def to_bool(value: Any) -> bool | None:
    """Turn Drupal's 0/1, '0'/'1', 'on'/'off' into a boolean; empty into None."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "off", "no")
    return bool(value)


def normalise_email(value: Any) -> Any:
    """Trim and lower-case an e-mail address (the account de-duplication key)."""
    return value.strip().lower() if isinstance(value, str) else value


def strip_tags(value: Any) -> Any:
    """Remove HTML tags from text (formatted Drupal text into plain text)."""
    return re.sub(r"<[^>]*>", "", value) if isinstance(value, str) else value


def first(value: Any) -> Any:
    """Take the first of several values (a multi-value field into one column)."""
    if isinstance(value, list | tuple):
        return value[0] if value else None
    return value


CALLBACKS: dict[str, Callback] = {
    "trim": Callback(trim, "any", "strip surrounding whitespace"),
    "lower": Callback(lower, "any", "lower-case text"),
    "upper": Callback(upper, "any", "upper-case text"),
    "to_int": Callback(to_int, "integer", "text or number into an integer"),
    "to_bool": Callback(to_bool, "boolean", "0/1, on/off into true/false"),
    "normalise_email": Callback(normalise_email, "string", "trim and lower-case an e-mail"),
    "strip_tags": Callback(strip_tags, "any", "remove HTML tags"),
    "first": Callback(first, "any", "keep the first of several values"),
}
