"""`writer.set_column` sets one column of many rows by id in a few statements, on real servers:
every listed row gets its value (None, text with quotes and `%`, numbers, booleans), every other
row keeps its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import BigInteger, Boolean, Column, Engine, Integer, MetaData, String, Table, select
from sqlalchemy.engine import URL

from pseamigrate.target import writer


def _table() -> Table:
    return Table(
        "t",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("parent_id", BigInteger),
        Column("label", String(80)),
        Column("flag", Boolean),
    )


def _rows(count: int) -> list[dict[str, Any]]:
    return [
        {"id": i, "parent_id": i * 10, "label": f"row {i}", "flag": False}
        for i in range(1, count + 1)
    ]


def _read(conn: Any, table: Table) -> dict[int, tuple[Any, ...]]:
    found = conn.execute(select(table).order_by(table.c.id)).all()
    return {row[0]: tuple(row[1:]) for row in found}


def test_set_column_changes_exactly_the_listed_rows_across_statements(
    any_db: URL, engine_for: Callable[[URL], Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer, "SET_CHUNK", 3)  # 8 rows: three statements
    table = _table()
    engine = engine_for(any_db)
    statements: list[str] = []
    with engine.begin() as conn:
        table.metadata.create_all(conn)
        conn.execute(table.insert(), _rows(12))
        before = _read(conn, table)
        labels = {1: 'it\'s "quoted" 100% %s', 2: None, 5: "é\\n\\\\", 7: "plain"}
        parents = {1: None, 2: 7, 3: None, 5: 2**40, 7: 1, 8: None, 9: 4, 11: 3}
        raw: Any = conn.connection.dbapi_connection
        original = type(raw).query

        def counting(self: Any, sql: Any, unbuffered: bool = False) -> Any:
            statements.append(str(sql))
            return original(self, sql, unbuffered)

        type(raw).query = counting  # type: ignore[method-assign]
        try:
            writer.set_column(conn, table, "parent_id", parents)
        finally:
            type(raw).query = original  # type: ignore[method-assign]
        writer.set_column(conn, table, "label", labels)
        writer.set_column(conn, table, "flag", {4: True, 6: True})
        writer.set_column(conn, table, "label", {})
        after = _read(conn, table)
    assert len([s for s in statements if s.startswith("UPDATE")]) == 3
    for ident, (parent, label, flag) in after.items():
        assert parent == parents.get(ident, before[ident][0])
        assert label == labels.get(ident, before[ident][1])
        assert bool(flag) == (ident in (4, 6))
