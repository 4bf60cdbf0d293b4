"""Decode Drupal's PHP-serialized blobs into plain Python values.

Downstream code wants `str`, `int`, `float`, `bool`, `None`, `list` (a PHP array keyed exactly
0..n-1) and str-keyed `dict` (any other array; a PHP object becomes its properties). A legacy
database is hostile input, so decoding is bounded: at most `MAX_BYTES` of input, `MAX_DEPTH`
levels of nesting and `MAX_VALUES` values (counting each use of a reference), each broken limit
a `CorruptSerializedData` naming it. References (`r:N;` and `R:N;`) to an earlier value resolve
to that value; one to an enclosing array (a cycle) is refused, since plain data has no cycles.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from pseamigrate.errors import CorruptSerializedData

MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
MAX_VALUES = 200_000

_INT = re.compile(rb"-?\d+")
_FLOAT = re.compile(rb"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|-?INF|NAN")
_SPECIAL = {b"INF": math.inf, b"-INF": -math.inf, b"NAN": math.nan}
_OPEN = object()  # a slot whose array is still being read: a reference to it is a cycle


def loads(blob: bytes | str | None) -> Any:
    """Decode one PHP-serialized value, or raise `CorruptSerializedData` (no data quoted)."""
    if blob is None:
        return None
    raw = blob.encode("utf-8") if isinstance(blob, str) else bytes(blob)
    if len(raw) > MAX_BYTES:
        raise CorruptSerializedData(f"larger than the limit of {MAX_BYTES} bytes")
    reader = _Reader(raw)
    value = reader.value(0)
    if reader.pos != len(raw):
        raise CorruptSerializedData(f"unexpected data after the value at byte {reader.pos}")
    return value


@dataclass
class _Reader:
    """A cursor over one blob; `slots` are the values references may point to, in PHP's order."""

    raw: bytes
    pos: int = 0
    slots: list[Any] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    count: int = 0

    def value(self, depth: int) -> Any:
        """Read one value at the cursor (PHP numbers every value but `R:` for references)."""
        if depth > MAX_DEPTH:
            raise CorruptSerializedData(f"nested deeper than the limit of {MAX_DEPTH} levels")
        kind = self.raw[self.pos : self.pos + 1]
        if kind == b"R":
            return self.reference()
        slot = len(self.slots)
        self.slots.append(_OPEN)
        self.sizes.append(1)
        start = self.count
        self.counted(1)
        value = self.reference() if kind == b"r" else self.read(kind, depth)
        self.slots[slot], self.sizes[slot] = value, max(1, self.count - start)
        return value

    def read(self, kind: bytes, depth: int) -> Any:
        """Read a value of type `kind` (one byte: N b i d s a O E)."""
        if kind == b"N":
            self.expect(b"N;")
            return None
        if kind in (b"b", b"i", b"d"):
            return self.number(kind)
        if kind in (b"s", b"E"):
            self.pos += 2
            return self.string().decode("utf-8", errors="replace")
        if kind == b"a":
            self.pos += 2
            return self.array(depth, obj=False)
        if kind == b"O":
            self.pos += 2
            self.string(end=b":")  # the class name is not needed downstream
            return self.array(depth, obj=True)
        if kind == b"C":
            raise CorruptSerializedData("custom-serialized PHP objects (C:) are not supported")
        raise CorruptSerializedData(f"unknown type at byte {self.pos}")

    def number(self, kind: bytes) -> Any:
        self.pos += 2
        text = self.until(b";")
        pattern = _FLOAT if kind == b"d" else _INT
        if pattern.fullmatch(text) is None or (kind == b"b" and text not in (b"0", b"1")):
            raise CorruptSerializedData(f"bad number at byte {self.pos}")
        if kind == b"b":
            return text == b"1"
        if kind == b"i":
            return int(text)
        return _SPECIAL[text] if text in _SPECIAL else float(text)

    def string(self, end: bytes = b";") -> bytes:
        """Read `N:"…"` (after the type letter) and the `end` byte."""
        length = self.length()
        self.expect(b'"')
        body = self.raw[self.pos : self.pos + length]
        if len(body) != length:
            raise CorruptSerializedData("a string runs past the end of the data")
        self.pos += length
        self.expect(b'"' + end)
        return body

    def array(self, depth: int, *, obj: bool) -> Any:
        """Read `N:{key value …}` (after the type letter, and an object's class name)."""
        items = self.length()
        self.expect(b"{")
        pairs = []
        for _ in range(items):
            key = self.key()
            if obj and isinstance(key, str):  # protected/private: NUL-class-NUL before the name
                key = key.split("\0")[-1]
            pairs.append((key, self.value(depth + 1)))
        self.expect(b"}")
        return _array(pairs)

    def key(self) -> int | str:
        kind = self.raw[self.pos : self.pos + 1]
        if kind == b"i":
            self.pos += 2
            text = self.until(b";")
            if _INT.fullmatch(text) is None:
                raise CorruptSerializedData(f"bad array key at byte {self.pos}")
            return int(text)
        if kind == b"s":
            self.pos += 2
            return self.string().decode("utf-8", errors="replace")
        raise CorruptSerializedData(f"bad array key at byte {self.pos}")

    def reference(self) -> Any:
        """Resolve `r:N;` or `R:N;` to the N-th value read so far (1-based)."""
        self.pos += 2
        text = self.until(b";")
        index = int(text) - 1 if _INT.fullmatch(text) else -1
        if not 0 <= index < len(self.slots):
            raise CorruptSerializedData(f"reference to a missing value at byte {self.pos}")
        if self.slots[index] is _OPEN:
            raise CorruptSerializedData("a reference to an enclosing value (a cycle)")
        self.counted(self.sizes[index])  # a reused subtree counts again: no reference bombs
        return self.slots[index]

    def counted(self, values: int) -> None:
        self.count += values
        if self.count > MAX_VALUES:
            raise CorruptSerializedData(f"more values than the limit of {MAX_VALUES}")

    def length(self) -> int:
        text = self.until(b":")
        if not text.isdigit() or len(text) > 10:
            raise CorruptSerializedData(f"bad length at byte {self.pos}")
        return int(text)

    def until(self, end: bytes) -> bytes:
        stop = self.raw.find(end, self.pos, self.pos + 400)
        if stop < 0:
            raise CorruptSerializedData(f"missing {end.decode()!r} after byte {self.pos}")
        text, self.pos = self.raw[self.pos : stop], stop + 1
        return text

    def expect(self, token: bytes) -> None:
        if self.raw[self.pos : self.pos + len(token)] != token:
            raise CorruptSerializedData(f"expected {token.decode()!r} at byte {self.pos}")
        self.pos += len(token)


def _array(pairs: list[tuple[Any, Any]]) -> Any:
    """Make a PHP array a list when its keys are exactly 0..n-1 in order, else a str-keyed dict."""
    if pairs and all(isinstance(k, int) and k == i for i, (k, _) in enumerate(pairs)):
        return [value for _, value in pairs]
    return {str(key): value for key, value in pairs}
