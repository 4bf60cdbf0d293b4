"""Source id → target id, per lookup kind, from the ledger (loaded once per kind and run).

A kind is what a mapping's `lookup` step names — a canonical entity (`complaint`), a canonical
vocabulary (`location`), `user` or `file` — or `note:<entity>` for replies. Each kind is fed by
one or more ledger source entities (`node:complaint`, `taxonomy_term:locations`…). Rows written
during the run are added as they are written; a dry run adds a placeholder, so references to
rows the same run would create still count as resolved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

DRY_RUN_ID = -1  # stands for "would be created by this run"


def source_key(value: Any) -> str | None:
    """Return a source id as the ledger keeps it (text; `12`, `12.0` and `'12'` agree)."""
    if type(value) is int:  # most ids: the same text the general path gives, sooner
        return str(value)
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return str(int(text)) if text.lstrip("-").isdigit() else text


class IdMaps:
    """The lookup tables of one tenant, filled lazily from the ledger."""

    def __init__(
        self,
        sources: Mapping[str, Iterable[str]],
        load: Callable[[list[str]], dict[str, int]],
    ) -> None:
        self._sources = {kind: list(entities) for kind, entities in sources.items()}
        self._load = load
        self._maps: dict[str, dict[str, int]] = {}

    def kinds(self) -> list[str]:
        """Return the kinds this tenant can look up."""
        return sorted(self._sources)

    def _map(self, kind: str) -> dict[str, int]:
        if kind not in self._maps:
            self._maps[kind] = self._load(self._sources.get(kind, []))
        return self._maps[kind]

    def get(self, kind: str, source_id: Any) -> int | None:
        """Return the target id of a source row of `kind`, or None if it is not there."""
        key = source_key(source_id)
        return None if key is None else self._map(kind).get(key)

    def add(self, kind: str, source_id: Any, target_id: int) -> None:
        """Remember a row just written (or, in a dry run, about to be)."""
        key = source_key(source_id)
        if key is not None:
            self._map(kind)[key] = target_id

    def forget(self, kind: str) -> None:
        """Drop what was cached for a kind (after a rolled-back batch); reloaded when asked."""
        self._maps.pop(kind, None)

    def known(self, kind: str) -> bool:
        """Tell whether any ledger source entity feeds `kind`."""
        return kind in self._sources
