"""One read-only view of a legacy database: prefixed table names, catalog, latin1 repair.

Both the Drupal 7 and the Drupal 8+ readers sit on a `Source`; it owns every bit of SQL that
does not depend on the Drupal version (listing tables and columns, reading a batch of rows).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from pseamigrate.drupal.encoding import latin1_columns, repair_row
from pseamigrate.errors import MissingFieldTable

Row = dict[str, Any]


def list_tables(conn: Connection) -> frozenset[str]:
    """Return the names of every table of the connection's current database."""
    rows = conn.execute(
        text(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
            "AND TABLE_TYPE = 'BASE TABLE'"
        )
    )
    return frozenset(str(name) for (name,) in rows)


@dataclass
class Source:
    """A connection, the site's table prefix and what the catalog says about its tables."""

    conn: Connection
    prefix: str
    tables: frozenset[str]
    latin1: Mapping[str, frozenset[str]]

    @classmethod
    def open(cls, conn: Connection, prefix: str) -> Source:
        """Read the catalog once: table names and which columns are declared latin1."""
        return cls(conn, prefix, list_tables(conn), latin1_columns(conn))

    def name(self, table: str) -> str:
        """Return the real (prefixed) name of a Drupal table."""
        return f"{self.prefix}{table}"

    def has(self, table: str) -> bool:
        """Tell whether the (unprefixed) Drupal table exists."""
        return self.name(table) in self.tables

    def q(self, table: str) -> str:
        """Return the prefixed table name quoted for SQL."""
        return f"`{self.name(table)}`"

    def columns(self, real_table: str) -> list[str]:
        """Return the column names of a real table, in table order."""
        rows = self.conn.execute(
            text(
                "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
                " AND TABLE_NAME = :t ORDER BY ORDINAL_POSITION"
            ),
            {"t": real_table},
        )
        return [str(name) for (name,) in rows]

    def rows(
        self, sql: str, params: Mapping[str, Any] | None = None, *, table: str = ""
    ) -> list[Row]:
        """Run a bounded query (metadata or one batch) and return dict rows; `table` is the real
        table whose latin1 columns need repair."""
        result = self.conn.execute(text(sql), dict(params or {}))
        repair = self.latin1.get(table, frozenset()) if table else frozenset()
        rows = [dict(row._mapping) for row in result]
        return [repair_row(row, repair) for row in rows] if repair else rows

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        """Run a query returning one value."""
        return self.conn.execute(text(sql), dict(params or {})).scalar()

    def rows_in(
        self,
        sql: str,
        ids: Sequence[int],
        params: Mapping[str, Any] | None = None,
        *,
        table: str,
        aliases: Mapping[str, str] | None = None,
    ) -> list[Row]:
        """Run a query with an expanding `:ids` list (one batch of entity ids); `aliases` maps
        result names to `table`'s real columns so aliased latin1 columns are repaired too."""
        if not ids:
            return []
        statement = text(sql).bindparams(bindparam("ids", expanding=True))
        result = self.conn.execute(statement, {**dict(params or {}), "ids": list(ids)})
        repair = self.latin1.get(table, frozenset())
        repair |= {alias for alias, column in (aliases or {}).items() if column in repair}
        rows = [dict(row._mapping) for row in result]
        return [repair_row(row, repair) for row in rows] if repair else rows

    def require(self, real_table: str, field: str) -> None:
        """Raise `MissingFieldTable` if a field's table is absent."""
        if real_table not in self.tables:
            raise MissingFieldTable(field, real_table)


def keyset(
    source: Source, sql: str, params: Mapping[str, Any], key: str, size: int, *, table: str
) -> Iterator[list[Row]]:
    """Yield batches of rows by keyset pagination: `sql` must filter `key > :after`, order by it
    and end in `LIMIT :size`. Memory holds one batch whatever the table size."""
    after: Any = -1
    while True:
        batch = source.rows(sql, {**params, "after": after, "size": size}, table=table)
        if not batch:
            return
        yield batch
        after = batch[-1][key]
        if len(batch) < size:
            return
