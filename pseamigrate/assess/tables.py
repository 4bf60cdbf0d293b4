"""SQL helpers over one field's table, shared by the content checks (through `Source`).

Rows are the live values of one bundle's field: `deleted = 0`, the bundle, and in Drupal 7 the
entity type. Large tables are read by keyset pagination on (entity_id, delta, language), one
batch at a time, so memory stays flat.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pseamigrate.db import quote_name
from pseamigrate.drupal.model import FieldStorage
from pseamigrate.drupal.source import Source

BATCH = 1000


@dataclass(frozen=True)
class FieldTable:
    """One field of one bundle: its table, filter and language column."""

    source: Source
    storage: FieldStorage
    bundle: str
    layout: str

    @property
    def table(self) -> str:
        """Return the real table name quoted for SQL (a name outside [A-Za-z0-9_] is refused)."""
        return quote_name(self.storage.data_table, "a field table name")

    @property
    def lang(self) -> str:
        """Return the language column's name (Drupal 7 `language`, 8+ `langcode`)."""
        return "language" if self.layout == "d7" else "langcode"

    def column(self, name: str) -> str:
        """Return the real column of a storage column (`target_id` → `field_x_target_id`)."""
        return f"{self.storage.name}_{name}"

    def quoted(self, name: str, alias: str = "f") -> str:
        """Return a storage column's real column quoted for SQL, under `alias` when given."""
        column = quote_name(self.column(name), "a field column name")
        return f"{alias}.{column}" if alias else column

    def where(self, alias: str = "") -> str:
        """Return the filter of the bundle's live rows."""
        a = f"{alias}." if alias else ""
        typed = f" AND {a}entity_type = :et" if self.layout == "d7" else ""
        return f"{a}deleted = 0 AND {a}bundle = :b{typed}"

    def params(self) -> dict[str, Any]:
        """Return the filter's parameters."""
        return {"b": self.bundle, "et": self.storage.entity_type}

    def exists(self) -> bool:
        """Tell whether the field's table is in the database."""
        return self.storage.data_table in self.source.tables

    def matching(self, condition: str, join: str = "") -> tuple[int, tuple[int, ...]]:
        """Count the entities with a row meeting `condition` (alias f); return every id."""
        s, base = self.source, f"FROM {self.table} f {join} WHERE {self.where('f')} AND "
        total = s.scalar(f"SELECT COUNT(DISTINCT f.entity_id) {base}({condition})", self.params())
        if not total:
            return 0, ()
        rows = s.rows(
            f"SELECT DISTINCT f.entity_id AS id {base}({condition}) ORDER BY f.entity_id",
            self.params(),
        )
        return int(total), tuple(int(row["id"]) for row in rows)

    def values(self, column: str) -> Iterator[tuple[int, Any]]:
        """Yield (entity id, value) of one column's non-null live values, a batch at a time."""
        real = self.quoted(column, alias="")
        sql = (
            f"SELECT entity_id AS e, delta AS d, {self.lang} AS l, {real} AS v FROM {self.table} "
            f"WHERE {self.where()} AND {real} IS NOT NULL "
            f"AND (entity_id, delta, {self.lang}) > (:e, :d, :l) "
            f"ORDER BY entity_id, delta, {self.lang} LIMIT {BATCH}"
        )
        after: dict[str, Any] = {"e": -1, "d": -1, "l": ""}
        while True:
            rows = self.source.rows(sql, {**self.params(), **after}, table=self.storage.data_table)
            yield from ((int(r["e"]), r["v"]) for r in rows)
            if len(rows) < BATCH:
                return
            last = rows[-1]
            after = {"e": last["e"], "d": last["d"], "l": last["l"]}

    def text_columns(self) -> list[tuple[str, str, str]]:
        """Return (storage column, data type, charset) of the table's character columns."""
        rows = self.source.rows(
            "SELECT COLUMN_NAME AS c, DATA_TYPE AS t, CHARACTER_SET_NAME AS cs "
            "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t "
            "AND CHARACTER_SET_NAME IS NOT NULL ORDER BY ORDINAL_POSITION",
            {"t": self.storage.data_table},
        )
        prefix = f"{self.storage.name}_"
        return [
            (str(r["c"])[len(prefix) :], str(r["t"]).lower(), str(r["cs"]))
            for r in rows
            if str(r["c"]).startswith(prefix) and str(r["c"])[len(prefix) :] in self.storage.columns
        ]
