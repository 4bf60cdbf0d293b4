"""Latin1-holding-UTF-8 repair: re-decode only where it round-trips, never mangle."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from pseamigrate.db import make_engine
from pseamigrate.drupal.encoding import latin1_columns, repair_text
from pseamigrate.drupal.source import Source

SAMPLES = ["Café", "Plainte déposée à Goma", "شكوى", "Kurdî: ç ş", "“quoted” – dash €", "naïve"]


def mojibake(value: str) -> str:
    """What a utf8mb4 connection shows for UTF-8 bytes stored in a MySQL latin1 column."""
    return "".join(
        chr(b) if b in {0x81, 0x8D, 0x8F, 0x90, 0x9D} else bytes([b]).decode("cp1252")
        for b in value.encode("utf-8")
    )


@pytest.mark.parametrize("value", SAMPLES)
def test_mojibake_is_repaired(value: str) -> None:
    assert mojibake(value) != value
    assert repair_text(mojibake(value)) == value


@pytest.mark.parametrize("value", [*SAMPLES, "ASCII only", "", "Ã alone", "© 2016 Zoë"])
def test_real_text_is_never_mangled(value: str) -> None:
    # genuine latin1 / unicode text does not round-trip to valid UTF-8, so it stays as it is
    assert repair_text(value) == value


def test_latin1_columns_are_found_and_repaired_on_a_real_server(any_db: URL) -> None:
    engine: Engine = make_engine(any_db)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "CREATE TABLE legacy (id INT PRIMARY KEY, title VARCHAR(200)) "
                    "CHARACTER SET latin1"
                )
            )
            conn.execute(text("CREATE TABLE modern (id INT PRIMARY KEY, title VARCHAR(200))"))
            for index, value in enumerate(SAMPLES):
                raw = value.encode("utf-8").hex()
                # the legacy application wrote UTF-8 bytes into a latin1 column
                conn.execute(text(f"INSERT INTO legacy VALUES ({index}, _latin1 x'{raw}')"))
                conn.execute(text("INSERT INTO modern VALUES (:i, :t)"), {"i": index, "t": value})
        with engine.connect() as conn:
            assert latin1_columns(conn) == {"legacy": frozenset({"title"})}
            source = Source.open(conn, "")
            legacy = source.rows("SELECT * FROM legacy ORDER BY id", table="legacy")
            modern = source.rows("SELECT * FROM modern ORDER BY id", table="modern")
            raw_rows = source.rows("SELECT * FROM legacy ORDER BY id")
        assert [row["title"] for row in legacy] == SAMPLES
        assert [row["title"] for row in modern] == SAMPLES
        assert [row["title"] for row in raw_rows] == [mojibake(v) for v in SAMPLES]
    finally:
        engine.dispose()
