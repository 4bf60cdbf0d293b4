"""Values computed once per object (a mapping, a map of values) instead of once per row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class IdentityCache(Generic[K, V]):
    """Call `build` once per object, found by identity (mappings are not hashable).

    Each entry keeps its object, so the object's id cannot be reused by another one while the
    entry lives. Objects loaded and dropped (long test runs) fill it: it is emptied whole when it
    holds `limit` entries."""

    def __init__(self, build: Callable[[K], V], limit: int = 4096) -> None:
        self._build = build
        self._limit = limit
        self._entries: dict[int, tuple[K, V]] = {}

    def __call__(self, key: K) -> V:
        found = self._entries.get(id(key))
        if found is None or found[0] is not key:
            if len(self._entries) >= self._limit:
                self._entries.clear()
            found = (key, self._build(key))
            self._entries[id(key)] = found
        return found[1]
