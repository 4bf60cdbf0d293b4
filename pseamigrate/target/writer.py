"""Batch writes into the target's tables: multi-row inserts, updates by id, child rows.

Target SQL only. Every function runs inside the caller's transaction, so a batch and its ledger
rows commit together (STYLE.md C5).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection, Dialect

from pseamigrate.target import literals

Processor = Callable[[Any], Any]


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows as multi-row statements (one column set at a time).

    The statement's head is built once per table and column set, and the values are rendered
    by `literals.send_rows`: SQLAlchemy's per-row parameter processing (a profile: 7% of a run)
    and the driver's escaping (16%) both cost more. Each column's bind processor (JSON's
    serializer, …) is applied here instead."""
    for columns, group in _by_columns(rows).items():
        head, processors = _insert_plan(conn.dialect, table, columns)
        pairs = list(zip(columns, processors, strict=True))
        values = (
            [row[name] if process is None else process(row[name]) for name, process in pairs]
            for row in group
        )
        literals.send_rows(conn, head, values)


@functools.lru_cache(maxsize=1024)
def _insert_plan(
    dialect: Dialect, table: Table, columns: tuple[str, ...]
) -> tuple[str, tuple[Processor | None, ...]]:
    """Return the INSERT of `columns` up to its VALUES, and each column's bind processor."""
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES "
    processors = tuple(
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
    )
    return sql, processors


def _by_columns(
    rows: Sequence[Mapping[str, Any]],
) -> dict[tuple[str, ...], list[Mapping[str, Any]]]:
    groups: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return groups


def ids_by_key(
    conn: Connection, table: Table, key: str, tenant_id: int, source_ids: Sequence[Any]
) -> dict[str, int]:
    """Return source id (column `key`, as text) → `id` of a tenant's rows in a table."""
    if not source_ids:
        return {}
    column = table.c[key]
    query = select(column, table.c.id).where(
        table.c.tenant_id == tenant_id, column.in_(list(source_ids))
    )
    return {str(row[0]): int(row[1]) for row in conn.execute(query)}


def update_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Update rows by their `id` (each row dict holds `id` and the columns to set)."""
    for columns, group in _by_columns(rows).items():
        names = [name for name in columns if name != "id"]
        statement = (
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values({name: bindparam(f"_v_{name}") for name in names})
        )
        params = [{"_id": row["id"], **{f"_v_{n}": row[n] for n in names}} for row in group]
        conn.execute(statement, params)


def delete_by(conn: Connection, table: Table, column: str, values: Sequence[Any]) -> int:
    """Delete the rows whose `column` is in `values`; return how many went."""
    if not values:
        return 0
    result = conn.execute(delete(table).where(table.c[column].in_(list(values))))
    return int(result.rowcount or 0)


def set_column(conn: Connection, table: Table, column: str, pairs: Mapping[int, Any]) -> None:
    """Set one column of rows by id (`pairs`: id → value), many rows per statement.

    `UPDATE … SET column = CASE id WHEN … THEN … END WHERE id IN (…)`, values rendered by
    `literals` after the column's bind processor: the driver sends an UPDATE's rows one
    statement each, and a demo site's replies (parent notes) made 22,000 of them."""
    quote = conn.dialect.identifier_preparer.quote
    process = table.c[column].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    render = literals.renderer(conn)
    head = f"UPDATE {quote(table.name)} SET {quote(column)} = CASE id "
    items = list(pairs.items())
    for start in range(0, len(items), SET_CHUNK):
        chunk = items[start : start + SET_CHUNK]
        cases = " ".join(
            f"WHEN {int(key)} THEN {render(value if process is None else process(value))}"
            for key, value in chunk
        )
        ids = ",".join(str(int(key)) for key, _ in chunk)
        literals.execute(conn, f"{head}{cases} END WHERE id IN ({ids})")


# Rows per statement of `set_column`: below MariaDB's in_predicate_conversion_threshold (1000),
# from which an IN list becomes a join with a derived table instead of lookups by primary key.
SET_CHUNK = 500


def column_values(
    conn: Connection, table: Table, column: str, ids: Sequence[int]
) -> dict[int, Any]:
    """Return id → the value of one column, for rows by id."""
    if not ids:
        return {}
    query = select(table.c.id, table.c[column]).where(table.c.id.in_(list(ids)))
    return {int(row[0]): row[1] for row in conn.execute(query)}


def ensure_tenant(conn: Connection, table: Table, code: str, name: str, description: str) -> int:
    """Return the id of the tenant with this code, creating its row when missing."""
    found = conn.execute(select(table.c.id).where(table.c.code == code)).scalar()
    if found is not None:
        return int(found)
    stamp = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    values = {"code": code, "name": name, "source_description": description, "created_at": stamp}
    key = conn.execute(insert(table).values(**values)).inserted_primary_key
    assert key is not None
    return int(key[0])


def find_tenant(conn: Connection, table: Table, code: str) -> int | None:
    """Return the id of the tenant with this code, or None."""
    found = conn.execute(select(table.c.id).where(table.c.code == code)).scalar()
    return None if found is None else int(found)
