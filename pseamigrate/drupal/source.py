"""One read-only view of a legacy database: prefixed table names, catalog, latin1 repair.

Both the Drupal 7 and the Drupal 8+ readers sit on a `Source`; it owns every bit of SQL that
does not depend on the Drupal version (listing tables and columns, reading a batch of rows).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Executable, text
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.exc import DBAPIError

from pseamigrate.db import describe_db_error, is_lost_connection, quote_name
from pseamigrate.drupal.encoding import latin1_columns, repair_row, repair_tuple
from pseamigrate.errors import MissingFieldTable, SourceLost

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
    """A connection, the site's table prefix and what the catalog says about its tables.

    `where` names the site and `position` the batch being read, for `SourceLost`."""

    conn: Connection
    prefix: str
    tables: frozenset[str]
    latin1: Mapping[str, frozenset[str]]
    where: str = "the database"
    position: str = "the site's metadata"

    @classmethod
    def open(cls, conn: Connection, prefix: str, where: str = "the database") -> Source:
        """Read the catalog once: table names and which columns are declared latin1."""
        with lost_as(where, "the catalog"):
            return cls(conn, prefix, list_tables(conn), latin1_columns(conn), where)

    def execute(self, statement: Executable, params: Mapping[str, Any]) -> CursorResult[Any]:
        """Run one statement; a lost connection becomes `SourceLost` naming site and batch."""
        with lost_as(self.where, self.position):
            return self.conn.execute(statement, dict(params))

    def name(self, table: str) -> str:
        """Return the real (prefixed) name of a Drupal table."""
        return f"{self.prefix}{table}"

    def has(self, table: str) -> bool:
        """Tell whether the (unprefixed) Drupal table exists."""
        return self.name(table) in self.tables

    def q(self, table: str) -> str:
        """Return the prefixed table name quoted for SQL (backquotes doubled)."""
        return quote_name(self.name(table))

    def columns(self, real_table: str) -> list[str]:
        """Return the column names of a real table, in table order."""
        rows = self.execute(
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
        result = self.execute(text(sql), params or {})
        repair = self.latin1.get(table, frozenset()) if table else frozenset()
        rows = _dicts(result)
        return [repair_row(row, repair) for row in rows] if repair else rows

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        """Run a query returning one value."""
        return self.execute(text(sql), params or {}).scalar()

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
        result = self.execute(text(with_ids(sql, ids)), params or {})
        repair = self.latin1.get(table, frozenset())
        repair |= {alias for alias, column in (aliases or {}).items() if column in repair}
        rows = _dicts(result)
        return [repair_row(row, repair) for row in rows] if repair else rows

    def tuples(self, sql: str, params: Mapping[str, Any], *, table: str) -> list[tuple[Any, ...]]:
        """Run a bounded query and return its rows as tuples in the query's column order (no
        dict per row: field tables are most of what a site holds); `table` as in `rows`."""
        result = self.execute(text(sql), params)
        repair = self.latin1.get(table, frozenset())
        at = [i for i, key in enumerate(result.keys()) if key in repair]
        rows = [tuple(row) for row in result]
        return [repair_tuple(row, at) for row in rows] if at else rows

    def require(self, real_table: str, field: str) -> None:
        """Raise `MissingFieldTable` if a field's table is absent."""
        if real_table not in self.tables:
            raise MissingFieldTable(field, real_table)


def with_ids(sql: str, ids: Sequence[int]) -> str:
    """Write a batch's ids into `sql` in place of `:ids`, as a list of integer literals.

    Why not an expanding parameter: SQLAlchemy renders one bind per id and the driver escapes
    each, for every field table of every batch (a profile: about 3% of a migration). Each id
    goes through `int()`, so nothing but digits reaches the SQL."""
    replaced, found = _IDS.subn(_integers([int(ident) for ident in ids]), sql)
    if found != 1:
        raise ValueError("the query must name :ids exactly once")
    return replaced


_IDS = re.compile(r":ids\b")
# When a batch's ids fill at least 1/DENSE of the span between its lowest and highest id, a
# field query reads that span (one index range) and drops the rows of other ids, instead of an
# IN list of every id (one index dive per id): 2.2 against 9.6 ms per 500 revisions on MariaDB.
# Keyset batches are disjoint spans, so a step reads each field table at most once in total.
DENSE = 4


def ids_where(column: str, ids: Sequence[int]) -> tuple[str, frozenset[int] | None]:
    """Return the SQL condition on `column` that reads a batch's ids, and the ids to keep of
    what it returns when it reads their whole span (None: it reads exactly those ids).

    Each id goes through `int()`, so nothing but digits reaches the SQL."""
    wanted = [int(ident) for ident in ids]
    low, high = min(wanted), max(wanted)
    if high - low < DENSE * len(wanted):
        return f"{column} BETWEEN {low} AND {high}", frozenset(wanted)
    return f"{column} IN {_integers(wanted)}", None


def _integers(ids: Sequence[int]) -> str:
    """Render ids already passed through `int()` as an SQL list: `(1,2,3)`."""
    return "(" + ",".join(map(str, ids)) + ")"


def _dicts(result: CursorResult[Any]) -> list[Row]:
    """Return a result's rows as dicts (zipped with the keys: a quarter faster than
    `dict(row._mapping)`, which builds a mapping view per row)."""
    keys = list(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result]


@contextmanager
def lost_as(where: str, position: str) -> Iterator[None]:
    """Turn a lost connection (killed, timed out, server gone) into `SourceLost`."""
    try:
        yield
    except DBAPIError as exc:
        if is_lost_connection(exc):
            raise SourceLost(where, position, describe_db_error(exc)) from None
        raise


def keyset(
    source: Source,
    sql: str,
    params: Mapping[str, Any],
    key: str,
    size: int,
    *,
    table: str,
    only: Collection[int] | None = None,
) -> Iterator[list[Row]]:
    """Yield batches of rows by keyset pagination: `sql` must filter `key > :after`, order by it
    and end in `LIMIT :size`. Memory holds one batch whatever the table size.

    With `only` (a delta run's changed ids), just the rows of those keys are read: a chunk of
    `size` ids at a time, each an index range of the key (migrate/marks.py)."""
    if only is None:
        yield from _pages(source, sql, params, key, size, table)
        return
    wanted = sorted({int(ident) for ident in only})
    for start in range(0, len(wanted), size):
        chunk = restricted(sql, key, wanted[start : start + size])
        yield from _pages(source, chunk, params, key, size, table)


def restricted(sql: str, key: str, ids: Sequence[int]) -> str:
    """Add `AND <key> IN (ids)` next to a keyset query's `key > :after` (the same qualified
    column), so the query reads only those rows. Each id goes through `int()`."""
    pattern = re.compile(rf"((?:\w+\.)?\b{re.escape(key)}) > :after\b")
    listed = _integers([int(ident) for ident in ids])
    replaced, found = pattern.subn(lambda m: f"{m.group(0)} AND {m.group(1)} IN {listed}", sql)
    if found != 1:
        raise ValueError(f"the query must filter {key} > :after exactly once")
    return replaced


def _pages(
    source: Source, sql: str, params: Mapping[str, Any], key: str, size: int, table: str
) -> Iterator[list[Row]]:
    after: Any = -1
    while True:
        which = "the first batch" if after == -1 else f"the batch after {key} {after}"
        source.position = f"{table} ({which})"
        batch = source.rows(sql, {**params, "after": after, "size": size}, table=table)
        if not batch:
            return
        yield batch
        after = batch[-1][key]
        if len(batch) < size:
            return
