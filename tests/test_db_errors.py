"""Server errors without values, identifiers quoted with escaping (#15)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from pseamigrate.db import describe_db_error, hide_values, make_engine, quote_listed_name


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        (
            "Duplicate entry 'name@example.org' for key 'users.mail'",
            "Duplicate entry '?' for key 'users.mail'",
        ),
        (
            "Duplicate entry 'it''s \\' me' for key 'PRIMARY'",
            "Duplicate entry '?' for key 'PRIMARY'",
        ),
        (
            "Incorrect string value: '\\xF0\\x9F\\x98' for column `t`.`c` at row 1",
            "Incorrect string value: '?' for column `t`.`c` at row 1",
        ),
        ("Truncated incorrect DOUBLE value: 'Amina K.'", "Truncated incorrect DOUBLE value: '?'"),
        (
            "Access denied for user 'root'@'localhost' (using password: YES)",
            "Access denied for user 'root'@'localhost' (using password: YES)",
        ),
        (
            "Data too long for column 'narrative' at row 1",
            "Data too long for column 'narrative' at row 1",
        ),
        ("Column 'a b c' cannot be null", "Column '?' cannot be null"),
        (
            "Check constraint 'c' fails for 'O'Brien' in 'x'",
            "Check constraint 'c' fails for '?' in 'x'",
        ),
        ("Duplicate entry 'O'Brien' for key 'mail'", "Duplicate entry '?' for key 'mail'"),
        ("Truncated incorrect INTEGER value: 'O'Neil 3'", "Truncated incorrect INTEGER value: '?'"),
        (
            "Incorrect datetime value: 'd'Arc' for column 'created' at row 4",
            "Incorrect datetime value: '?' for column 'created' at row 4",
        ),
        (
            "You have an error in your SQL syntax; near 'VALUES ('O'Brien')' at line 1",
            "You have an error in your SQL syntax; near '?' at line 1",
        ),
    ],
)
def test_quoted_values_are_hidden_names_kept(message: str, shown: str) -> None:
    assert hide_values(message) == shown


def test_a_duplicate_email_is_reported_by_code_and_table_only(any_db: URL) -> None:
    engine = make_engine(any_db)
    try:
        with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
            conn.execute(text("CREATE TABLE users (uid INT PRIMARY KEY, mail VARCHAR(99) UNIQUE)"))
            conn.execute(text("INSERT INTO users VALUES (1, :m)"), {"m": "name@example.org"})
            conn.execute(text("INSERT INTO users VALUES (2, :m)"), {"m": "name@example.org"})
    finally:
        engine.dispose()
    assert "name@example.org" in str(caught.value.orig)  # the server does quote it …
    reason = describe_db_error(caught.value, table="users")
    assert reason.startswith("MySQL error 1062 on table users: Duplicate entry '?' for key '")
    assert "example" not in reason  # … and it never passes through


@pytest.mark.parametrize("name", ["plain", "with`tick", "``", "a`; DROP TABLE x; --"])
def test_quote_listed_name_doubles_backquotes(any_db: URL, name: str) -> None:
    """Names the server lists (encryption reaches every table); site names are refused."""
    quoted = quote_listed_name(name)
    assert quoted == "`" + name.replace("`", "``") + "`"
    engine = make_engine(any_db)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"CREATE TABLE {quoted} ({quoted} INT)"))
            conn.execute(text(f"INSERT INTO {quoted} VALUES (7)"))
            tables = conn.execute(text("SHOW TABLES")).scalars().all()
            value = conn.execute(text(f"SELECT {quoted} FROM {quoted}"))
            assert value.scalar_one() == 7
    finally:
        engine.dispose()
    assert tables == [name]
