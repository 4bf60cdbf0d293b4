"""Legacy sites are read through mysqlclient (`db.reading`, the `fast` extra), everything else
through PyMySQL; without mysqlclient the sites are read through PyMySQL too (#25).
The two must read every value alike: same Python types, same text, latin1 repair included.
Compared here table by table on Drupal core's own databases, on the generated sites (both
layouts, the latin1 and utf8mb3 ones included) and on the odd values legacy rows hold."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from pseamigrate.db import make_engine, read_driver, reading
from pseamigrate.drupal.source import Source, list_tables
from pseamigrate.sample import SITE_NAMES, build_site
from pseamigrate.servers import LocalServer
from tests.conftest import DatabaseFactory

# mysqlclient is the `fast` extra (#25); scripts/setup installs it in the development venv. Without
# it `reading` falls back to PyMySQL and these tests would compare PyMySQL with itself.
_NOT_BOTH = "mysqlclient is missing: install '.[dev,fast]' (scripts/setup) to compare both drivers"


def test_the_development_venv_compares_mysqlclient_with_pymysql() -> None:
    assert read_driver().fast, _NOT_BOTH


def _typed(rows: list[tuple[Any, ...]]) -> list[tuple[tuple[str, Any], ...]]:
    # Equal values of different types (1 == 1.0 == True, b"a" != "a") must not pass as equal.
    return [tuple((type(value).__name__, value) for value in row) for row in rows]


def _every_table(url: URL) -> dict[str, tuple[list[Any], list[Any]]]:
    """Read every table of a database through both drivers, and every row as the reader
    would (latin1 repair applied)."""
    engines: list[Engine] = [make_engine(url), make_engine(reading(url))]
    assert [e.dialect.driver for e in engines] == ["pymysql", "mysqldb"], _NOT_BOTH
    try:
        with engines[0].connect() as by_pymysql, engines[1].connect() as by_mysqldb:
            sources = [Source.open(by_pymysql, ""), Source.open(by_mysqldb, "")]
            read = {}
            for table in sorted(list_tables(by_pymysql)):
                sql = f"SELECT * FROM `{table}`"
                pair = [_typed(source.tuples(sql, {}, table=table)) for source in sources]
                read[table] = (pair[0], pair[1])
            return read
    finally:
        for engine in engines:
            engine.dispose()


def _assert_alike(url: URL) -> int:
    """Assert both drivers read the same; return how many values were compared."""
    values = 0
    for table, (by_pymysql, by_mysqldb) in _every_table(url).items():
        assert by_mysqldb == by_pymysql, f"table {table} reads differently"
        values += sum(len(row) for row in by_pymysql)
    return values


def test_the_drivers_read_drupal_cores_databases_alike(drupal_core_any: dict[str, URL]) -> None:
    for name, url in drupal_core_any.items():
        assert _assert_alike(url) > 10_000, name


@pytest.mark.parametrize("layout", ["d7", "d8"])
def test_the_drivers_read_the_generated_sites_alike(
    layout: str, any_server: LocalServer, make_db: DatabaseFactory
) -> None:
    for site in SITE_NAMES:
        url = make_db(any_server)
        build_site(url, site, layout, scale=0.05)
        assert _assert_alike(url) > 1_000, site


ODD_VALUES = [
    "(1, '0000-00-00 00:00:00', '0000-00-00', '838:59:59', 1.5, 0.1, b'101', x'00ff', 2024,"
    " '{\"a\": [1, \"é\"]}', _latin1 x'436166c3a9', 'Ünïcødé 😀', NULL)",
    "(2, '2016-02-29 23:59:59.250000', '1000-01-01', '-00:00:01', -0.000001, 1e300, b'0',"
    " '', 1901, 'null', _latin1 x'e9', '', '')",
    "(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
]


def test_the_drivers_read_odd_legacy_values_alike(any_db: URL) -> None:
    # Zero dates (mysqlclient alone would read them as None), fractions of seconds, negative
    # times, bits, binary, JSON, UTF-8 held in a latin1 column, four-byte characters.
    engine = make_engine(any_db)
    try:
        with engine.begin() as conn:
            conn.execute(text("SET SESSION sql_mode = ''"))  # as legacy servers ran
            conn.execute(
                text(
                    "CREATE TABLE odd (id INT PRIMARY KEY, at DATETIME(6), day DATE, span TIME,"
                    " amount DECIMAL(20, 6), ratio DOUBLE, flags BIT(3), raw VARBINARY(8),"
                    " year YEAR, doc JSON, legacy VARCHAR(20) CHARACTER SET latin1,"
                    " modern VARCHAR(20), body LONGTEXT)"
                )
            )
            conn.execute(text("INSERT INTO odd VALUES " + ", ".join(ODD_VALUES)))
    finally:
        engine.dispose()
    read = _every_table(any_db)["odd"]
    assert read[1] == read[0]
    row = dict(zip(["id", "at", "day", "span"], read[0][0], strict=False))
    assert row["at"] == ("str", "0000-00-00 00:00:00.000000")
    assert row["day"] == ("str", "0000-00-00")
    assert read[0][0][10] == ("str", "Café")  # repaired alike
