"""One source row made ready for the target: its values, children, hash and messages."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Protocol

from pseamigrate import jsontext

OK, FAILED, IGNORED = "ok", "failed", "ignored"


@dataclass
class Child:
    """Rows of a child table that hang off the item's row through `fk` (filled on write)."""

    table: str
    fk: str
    rows: list[dict[str, Any]]


@dataclass
class Item:
    """A source row as the target will hold it.

    `values` are the target row's columns (without `id`, stamps, and references to rows of the
    same batch, which `deferred` holds as (column, lookup kind, source id)). `status` is OK,
    FAILED (with the reason in `messages`) or IGNORED (a mapping skipped it on purpose).
    """

    source_entity: str
    source_id: str
    table: str
    values: dict[str, Any] = field(default_factory=dict)
    children: list[Child] = field(default_factory=list)
    deferred: list[tuple[str, str, str]] = field(default_factory=list)
    status: str = OK
    messages: list[tuple[str, str]] = field(default_factory=list)  # (level, text)
    inputs: dict[str, Any] = field(default_factory=dict)  # what a writer resolves (hashed)
    _digest: str | None = field(default=None, repr=False)

    def warn(self, text: str) -> None:
        """Record a warning about this row (names and ids only)."""
        self.messages.append(("warning", text))

    def fail(self, text: str) -> None:
        """Mark the row failed with the reason."""
        self.status = FAILED
        self.messages.append(("error", text))

    def row_hash(self) -> str:
        """Hash what would be written: values, children, deferred references and inputs.

        Computed once: writers may fill resolved ids into the values afterwards."""
        if self._digest is None:
            self._digest = self._compute_hash()
        return self._digest

    def _compute_hash(self) -> str:
        document = {
            "values": self.values,
            "children": [(c.table, c.rows) for c in self.children],
            "deferred": self.deferred,
            "inputs": self.inputs,
        }
        return hashlib.sha256(jsontext.encode(document, sort_keys=True)).hexdigest()


class ItemFilter(Protocol):
    """Changes items on their way to the target (`migrate --sanitize` passes one in)."""

    def item(self, item: Item) -> None:
        """Change an item's values, children and merge keys in place."""

    def file(self, uri: str) -> tuple[str, bytes]:
        """Return the uri a file is stored under and the content to store instead."""
