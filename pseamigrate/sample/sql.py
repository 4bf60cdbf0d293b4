"""Create tables and write rows in batches, the way both layouts need it.

DDL is written as plain MySQL strings rather than SQLAlchemy `Table` objects: the point of the
sample sites is to look exactly like what Drupal creates (`int unsigned`, `longblob`, per-column
`ascii` charsets, a table charset per site), and plain DDL shows that at a glance without a
type-mapping layer in between. Rows go through the driver's `executemany` in batches, which
PyMySQL turns into multi-row INSERTs, so a scale of millions of field values stays fast.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from pseamigrate.db import quote_name
from pseamigrate.sample.php import PhpObject, dumps

BATCH = 2000
CHARSETS = {
    "utf8mb3": "DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_general_ci",
    "utf8mb4": "DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci",
    "latin1": "DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci",
}


def php(value: Any) -> bytes:
    """Serialize `value` as PHP's serialize() would (dicts become arrays, keys keep order)."""
    return dumps(value)


def php_object(class_name: str, properties: dict[str, Any]) -> PhpObject:
    """Return a PHP object (e.g. Drupal 7's stdClass language) for `php`."""
    return PhpObject(class_name, properties)


class Writer:
    """Write one site's tables: names get the table prefix, rows go in batches.

    With `double_encode`, every text value is sent as its UTF-8 bytes, so a latin1 column
    stores those bytes unchanged: the "UTF-8 in latin1" double encoding of old Drupal 7 sites.
    """

    def __init__(
        self, conn: Connection, prefix: str, charset: str, double_encode: bool = False
    ) -> None:
        self.conn, self.prefix, self.charset = conn, prefix, charset
        self.double_encode = double_encode
        self.tables: list[str] = []
        self.rows: dict[str, int] = {}

    def name(self, table: str) -> str:
        """Return the real (prefixed) name of `table`."""
        return f"{self.prefix}{table}"

    def create(self, table: str, body: str) -> None:
        """Create `table` with column/key definitions `body` in the site's charset."""
        real = self.name(table)
        ddl = f"CREATE TABLE {quote_name(real)} (\n{body}\n) ENGINE=InnoDB {CHARSETS[self.charset]}"
        self.conn.exec_driver_sql(ddl)
        self.tables.append(real)
        self.rows[real] = 0

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """Insert `rows` into `table` in batches; return how many were written."""
        real = self.name(table)
        cols = ", ".join(quote_name(c) for c in columns)
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {quote_name(real)} ({cols}) VALUES ({marks})"
        batch: list[tuple[Any, ...]] = []
        written = 0
        for row in rows:
            batch.append(self._encode(row))
            if len(batch) >= BATCH:
                written += self._flush(sql, batch)
        written += self._flush(sql, batch)
        self.rows[real] = self.rows.get(real, 0) + written
        return written

    def _flush(self, sql: str, batch: list[tuple[Any, ...]]) -> int:
        if not batch:
            return 0
        self.conn.exec_driver_sql(sql, batch)
        count = len(batch)
        batch.clear()
        return count

    def _encode(self, row: Sequence[Any]) -> tuple[Any, ...]:
        if not self.double_encode:
            return tuple(row)
        return tuple(v.encode("utf-8") if isinstance(v, str) else v for v in row)
