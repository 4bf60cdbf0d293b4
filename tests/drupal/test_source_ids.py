"""`with_ids` and `ids_where` write a batch's ids into reader queries as integer literals only."""

from __future__ import annotations

import pytest

from pseamigrate.drupal.source import ids_where, with_ids

SQL = "SELECT k FROM t WHERE et = :et AND k IN :ids ORDER BY k"


def test_ids_become_a_list_of_integers() -> None:
    assert with_ids(SQL, [3, 1, 2]) == "SELECT k FROM t WHERE et = :et AND k IN (3,1,2) ORDER BY k"


def test_numeric_text_is_written_as_its_integer() -> None:
    assert "IN (7,8)" in with_ids(SQL, ["7", " 8"])  # type: ignore[list-item]


@pytest.mark.parametrize("bad", ["1) OR (1=1", "1; DROP TABLE t", "0x10", "1.5", None])
def test_anything_but_an_integer_is_refused(bad: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        with_ids(SQL, [1, bad])  # type: ignore[list-item]


@pytest.mark.parametrize("sql", ["SELECT 1 WHERE k IN :idsx", "SELECT 1", "k IN :ids OR j IN :ids"])
def test_the_query_names_ids_exactly_once(sql: str) -> None:
    with pytest.raises(ValueError):
        with_ids(sql, [1])


def test_a_dense_batch_reads_its_span_and_keeps_only_its_ids() -> None:
    where, keep = ids_where("entity_id", [10, 12, 13, 20])
    assert where == "entity_id BETWEEN 10 AND 20"
    assert keep == frozenset({10, 12, 13, 20})


def test_a_sparse_batch_reads_exactly_its_ids() -> None:
    where, keep = ids_where("revision_id", [1, 500, 90_000])
    assert (where, keep) == ("revision_id IN (1,500,90000)", None)


@pytest.mark.parametrize("bad", ["1 OR 1=1", "2)", None])
def test_ids_where_refuses_anything_but_integers(bad: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        ids_where("entity_id", [1, bad])  # type: ignore[list-item]
