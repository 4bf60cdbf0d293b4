"""PHP's serialize() for the values the sample sites store (config, variables, field settings).

Our own small writer instead of the phpserialize package, so that the generator (and with it
`pseamigrate demo`) runs on a plain install with the runtime dependencies only (#25). It writes
what the generator needs and no more: None, bool, int, float, str and bytes, dicts and sequences
as PHP arrays (keys keep their order), and `PhpObject` as a PHP object. It is bounded like the
reader (`pseamigrate/drupal/phpdata.py`): nesting deeper than `MAX_DEPTH` (a value that holds
itself) is refused instead of recursing without end. Its output is byte for byte phpserialize's
(tests/sample/test_php_writer.py compares them).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MAX_DEPTH = 64


@dataclass(frozen=True)
class PhpObject:
    """A PHP object: its class name and its properties in order (e.g. Drupal 7's language)."""

    class_name: str
    properties: Mapping[Any, Any] = field(default_factory=dict)


def dumps(value: Any) -> bytes:
    """Serialize `value` as PHP's serialize() would (dicts become arrays, keys keep order)."""
    out: list[bytes] = []
    _value(value, out, 0)
    return b"".join(out)


def _value(value: Any, out: list[bytes], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ValueError(f"nested deeper than the limit of {MAX_DEPTH} levels")
    if value is None:
        out.append(b"N;")
    elif isinstance(value, bool):
        out.append(b"b:1;" if value else b"b:0;")
    elif isinstance(value, int):
        out.append(b"i:%d;" % value)
    elif isinstance(value, float):
        out.append(b"d:%s;" % _float(value))
    elif isinstance(value, str | bytes):
        out.append(_string(value))
    elif isinstance(value, PhpObject):
        out.append(b'O:%d:"%s":' % (len(value.class_name.encode()), value.class_name.encode()))
        _array(value.properties.items(), len(value.properties), out, depth)
    elif isinstance(value, Mapping):
        out.append(b"a:")
        _array(value.items(), len(value), out, depth)
    elif isinstance(value, Sequence):
        out.append(b"a:")
        _array(enumerate(value), len(value), out, depth)
    else:
        raise TypeError(f"cannot serialize a {type(value).__name__} for PHP")


def _array(items: Any, size: int, out: list[bytes], depth: int) -> None:
    """Write `size:{key value ...}`, the body PHP arrays and objects share."""
    out.append(b"%d:{" % size)
    for key, item in items:
        out.append(_key(key))
        _value(item, out, depth + 1)
    out.append(b"}")


def _key(key: Any) -> bytes:
    # PHP array keys are integers or strings; phpserialize writes None as the empty string.
    if isinstance(key, bool | int | float):
        return b"i:%d;" % int(key)
    if isinstance(key, str | bytes):
        return _string(key)
    if key is None:
        return b's:0:"";'
    raise TypeError(f"cannot use a {type(key).__name__} as a PHP array key")


def _string(text: str | bytes) -> bytes:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return b's:%d:"%s";' % (len(raw), raw)


def _float(number: float) -> bytes:
    # Python's repr, as phpserialize writes it; PHP's own words for the three that have none.
    if math.isnan(number):
        return b"NAN"
    if math.isinf(number):
        return b"INF" if number > 0 else b"-INF"
    return repr(number).encode("ascii")
