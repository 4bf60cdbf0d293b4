"""Canonical rows, digests and bisection: pure functions (#10)."""

from __future__ import annotations

import datetime as dt
import decimal

from sqlalchemy import JSON, BigInteger, Boolean, Column, Date, DateTime, MetaData, String, Table

from pseamigrate.verify.canon import (
    bisect,
    canonical,
    canonical_rows,
    combined,
    differing_fields,
    normal,
    row_digest,
)

TABLE = Table(
    "t",
    MetaData(),
    Column("id", BigInteger, primary_key=True),
    Column("source_id", BigInteger),
    Column("published", Boolean),
    Column("created_at", DateTime),
    Column("day", Date),
    Column("title", String(20)),
    Column("extra", JSON),
    Column("imported_at", DateTime),
)


def test_both_sides_of_a_value_agree() -> None:
    assert normal(True, Boolean()) == normal(1, Boolean()) == normal("1", Boolean()) == 1
    moment = dt.datetime(2024, 5, 1, 10, 2, 3, 400)
    assert normal(moment, DateTime()) == normal("2024-05-01T10:02:03", DateTime())
    assert normal("2024-05-01", Date()) == normal(dt.date(2024, 5, 1), Date()) == "2024-05-01"
    assert normal('{"b": 1, "a": [1, 2]}', JSON()) == normal({"a": [1, 2], "b": 1}, JSON())
    assert normal(decimal.Decimal("7"), BigInteger()) == normal("7", BigInteger()) == 7
    assert normal(12, String()) == "12"


def test_canonical_leaves_out_ids_stamps_and_skipped_columns() -> None:
    row = {"id": 9, "source_id": "4", "published": True, "title": "x", "imported_at": "now"}
    document = canonical(TABLE, row, skip=("day",))
    assert set(document) == {"source_id", "published", "created_at", "title", "extra"}
    assert document["source_id"] == 4 and document["extra"] is None


def test_child_rows_are_ordered_by_delta() -> None:
    rows = [{"id": 2, "source_id": 1, "title": "b"}, {"id": 1, "source_id": 1, "title": "a"}]
    assert canonical_rows(TABLE, rows) == canonical_rows(TABLE, list(reversed(rows)))


def test_combined_digest_ignores_order_and_bisect_finds_the_differing_ids() -> None:
    ours = {str(i): row_digest({"i": i}) for i in range(40)}
    assert combined(ours.values()) == combined(reversed(list(ours.values())))
    theirs = dict(ours)
    theirs["7"] = row_digest({"i": "changed"})
    del theirs["31"]
    assert bisect(sorted(ours), ours, theirs) == ["31", "7"]
    assert bisect(sorted(ours), ours, ours) == []


def test_differing_fields_names_fields_only() -> None:
    assert differing_fields({"a": 1, "b": [1]}, {"a": 1, "b": [2], "c": None}) == ["b"]
