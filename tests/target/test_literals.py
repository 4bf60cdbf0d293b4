"""Rows rendered as SQL literals (`target/literals.py`) reach a real server as the values they
were: hostile text, every type the migration writes, both escaping modes, statement splitting."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from pseamigrate.db import make_engine
from pseamigrate.target import literals

TEXTS = [
    "plain",
    'it\'s a "quote"',
    "back\\slash \\' \\\\ \\",
    "nul\x00byte and \x1a ctrl-z",
    "new\nline\r\ttab",
    "100% %s %(name)s %% {0}",
    "emoji \U0001f600 and accents éàü ñ",
    "'); DROP TABLE t; --",
    "",
    "x" * 70_000,
]
# Texts from 32 characters on are escaped by `str.replace` passes, not the driver's table.
TEXTS.append("".join(TEXTS[:8]) * 3)
DATES = [
    dt.datetime(2024, 2, 29, 23, 59, 58),
    dt.datetime(2024, 2, 29, 23, 59, 58, 123456),
    dt.datetime(1001, 1, 2, 3, 4, 5),
]


def _table(conn: Any) -> None:
    conn.execute(
        text(
            "CREATE TABLE t (id INT PRIMARY KEY, body LONGTEXT, n BIGINT, flag BOOLEAN, "
            "at DATETIME(6), day DATE, amount DECIMAL(10,3), ratio DOUBLE, raw BLOB)"
        )
    )


def _rows() -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for index, body in enumerate(TEXTS):
        rows.append(
            (
                index + 1,
                body,
                -(2**62) + index,
                index % 2 == 0,
                DATES[index % len(DATES)],
                dt.date(2001, 1, 1 + index),
                decimal.Decimal("-12.345"),
                0.1 + index,
                bytes(range(256)) if index == 0 else b"\x00'\\\"",
            )
        )
    rows.append((100, None, None, None, None, None, None, None, None))
    return rows


def _read(conn: Any) -> list[tuple[Any, ...]]:
    found = conn.execute(text("SELECT * FROM t ORDER BY id")).all()
    return [tuple(row) for row in found]


@pytest.mark.parametrize("no_backslash", [False, True], ids=["default", "no_backslash_escapes"])
def test_values_arrive_as_they_were(
    any_db: URL, engine_for: Callable[[URL], Engine], no_backslash: bool
) -> None:
    engine = engine_for(any_db)
    with engine.begin() as conn:
        if no_backslash:
            conn.execute(text("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')"))
            conn.execute(text("SELECT 1"))  # the driver learns the mode from the next reply
        _table(conn)
        literals.send_rows(conn, "INSERT INTO t VALUES ", _rows())
        assert _read(conn) == _rows()


def test_a_long_batch_is_split_into_statements_and_loses_nothing(
    any_db: URL, engine_for: Callable[[URL], Engine]
) -> None:
    engine = engine_for(any_db)
    statements: list[str] = []
    rows = [(i, f"row {i} é", i, True, None, None, None, None, None) for i in range(1, 2001)]
    with engine.begin() as conn:
        _table(conn)
        raw = conn.connection.dbapi_connection
        assert raw is not None
        original = type(raw).query

        def counting(self: Any, sql: Any, unbuffered: bool = False) -> Any:
            statements.append(sql)
            return original(self, sql, unbuffered)

        type(raw).query = counting  # type: ignore[method-assign]
        try:
            literals.send_rows(conn, "INSERT INTO t VALUES ", rows, max_bytes=4096)
        finally:
            type(raw).query = original  # type: ignore[method-assign]
        assert _read(conn) == rows
    inserts = [s for s in statements if str(s).startswith("INSERT")]
    assert len(inserts) > 10
    assert all(len(str(s).encode()) <= 4096 for s in inserts)


def test_a_row_longer_than_the_limit_goes_alone(
    any_db: URL, engine_for: Callable[[URL], Engine]
) -> None:
    engine = engine_for(any_db)
    big = "é" * 5000
    rows = [
        (1, "a", 1, 1, None, None, None, None, None),
        (2, big, 2, 0, None, None, None, None, None),
    ]
    with engine.begin() as conn:
        _table(conn)
        literals.send_rows(conn, "INSERT INTO t VALUES ", rows, max_bytes=1000)
        assert [(r[0], r[1]) for r in _read(conn)] == [(1, "a"), (2, big)]


def test_upsert_tail_and_a_percent_in_head_refused(
    any_db: URL, engine_for: Callable[[URL], Engine]
) -> None:
    engine = engine_for(any_db)
    with engine.begin() as conn:
        _table(conn)
        literals.send_rows(conn, "INSERT INTO t (id, body) VALUES ", [(1, "old"), (2, "two")])
        literals.send_rows(
            conn,
            "INSERT INTO t (id, body) VALUES ",
            [(1, "new %s")],
            " ON DUPLICATE KEY UPDATE body = VALUES(body)",
        )
        assert conn.execute(text("SELECT id, body FROM t ORDER BY id")).all() == [
            (1, "new %s"),
            (2, "two"),
        ]
        with pytest.raises(ValueError):
            literals.send_rows(conn, "INSERT INTO t (id, body) VALUES ", [(3, "x")], " -- 100%")


def test_rendering_matches_the_driver_for_each_fast_type(any_db: URL) -> None:
    aware = dt.datetime(2020, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    early = dt.datetime(999, 1, 2, 3, 4, 5, 6)  # years below 1000 padded to four digits
    values = [*TEXTS, 0, -5, 2**70, True, False, None, *DATES, aware, early]
    # Long text (32 characters on) is escaped by `str.replace` passes: every character up to
    # U+02FF and a few beyond, each at both ends and beside a backslash and a quote.
    for code in [*range(0x300), 0x2028, 0xFEFF, 0x1F600]:
        values.append(f"{chr(code)}{'a' * 40}{chr(code)}\\{chr(code)}'")
    engine = make_engine(any_db)
    try:
        with engine.connect() as conn:
            render = literals.renderer(conn)
            raw: Any = conn.connection.dbapi_connection
            for value in values:
                assert render(value) == raw.escape(value), repr(value)[:20]
    finally:
        engine.dispose()
