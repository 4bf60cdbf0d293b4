"""Decode Drupal's PHP-serialized blobs into plain Python values.

phpserialize returns bytes and dicts keyed 0..n-1 for PHP lists; downstream code wants `str`
and `list`. PHP objects (rare in Drupal config, e.g. `stdClass` in user data) become dicts.
"""

from __future__ import annotations

from typing import Any

import phpserialize

from pseamigrate.errors import CorruptSerializedData


def loads(blob: bytes | str | None) -> Any:
    """Decode one PHP-serialized value, or raise `CorruptSerializedData` (no data quoted)."""
    if blob is None:
        return None
    raw = blob.encode("utf-8") if isinstance(blob, str) else bytes(blob)
    try:
        value = phpserialize.loads(raw, decode_strings=False, object_hook=_object)
    except (ValueError, IndexError, TypeError, EOFError) as exc:
        raise CorruptSerializedData(_reason(exc)) from None
    return plain(value)


def plain(value: Any) -> Any:
    """Turn phpserialize output into str/int/float/bool/None, lists and str-keyed dicts."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, dict):
        if _is_list(value):
            return [plain(value[index]) for index in range(len(value))]
        return {_key(key): plain(item) for key, item in value.items()}
    return value


def _is_list(value: dict[Any, Any]) -> bool:
    """Tell a PHP list (keys exactly 0..n-1 in order) from an associative array."""
    return bool(value) and list(value) == list(range(len(value)))


def _key(key: Any) -> str:
    return key.decode("utf-8", errors="replace") if isinstance(key, bytes) else str(key)


def _object(name: bytes, properties: dict[Any, Any]) -> dict[Any, Any]:
    """Represent a PHP object as its properties (the class name is not needed downstream).

    Protected and private properties are serialized as NUL-star-NUL or NUL-class-NUL names;
    only the property name is kept."""
    return {
        key.split(b"\0")[-1] if isinstance(key, bytes) else key: value
        for key, value in properties.items()
    }


def _reason(exc: Exception) -> str:
    """Say why decoding failed without quoting the blob (it may hold personal data)."""
    text = str(exc).split(":")[0].strip()
    return text[:80] if text else type(exc).__name__
