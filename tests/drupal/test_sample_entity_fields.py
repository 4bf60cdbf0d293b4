"""User fields and location term fields of the sample sites come back through `iter_users` and
`iter_terms`, in both layouts, on MariaDB and MySQL 9.7; each value checked against plain SQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text

from pseamigrate.drupal import open_site
from pseamigrate.drupal.service import describe
from pseamigrate.sample import build_site

SCALE = 0.1


def sql(engine: Engine, statement: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(statement))]


def table(layout: str, entity_type: str, field: str) -> str:
    if layout == "d7":
        return f"field_data_{field}"
    return f"{entity_type}__{field}"


def stored(engine: Engine, layout: str, entity_type: str, field: str, column: str) -> dict:
    """entity id → value of a single-value field, by plain SQL. Text is read from the bytes the
    server stored, so Iraq's latin1 tables holding UTF-8 give the text, not mojibake."""
    value = f"{field}_{column}"
    if column == "value":
        value = f"CONVERT(CAST({value} AS BINARY) USING utf8mb4)"
    rows = sql(
        engine,
        f"SELECT entity_id, {value} FROM {table(layout, entity_type, field)} WHERE deleted = 0",
    )
    return dict(rows)


@pytest.mark.parametrize(("site_name", "layout"), [("iraq", "d7"), ("drc", "d8")])
def test_user_fields_come_back(any_server, make_db, engine_for, site_name, layout) -> None:
    url = make_db(any_server)
    report = build_site(url, site_name, layout, seed=3, scale=SCALE)
    engine = engine_for(url)
    ref = "tid" if layout == "d7" else "target_id"
    with open_site(engine) as site:
        users = [r for batch in site.iter_users(batch_size=4) for r in batch]
        data = describe(site)

    def read(field: str, column: str) -> dict[int, Any]:
        return {u.id: u.fields[field][0][column] for u in users if u.fields[field]}

    assert read("field_full_name", "value") == stored(
        engine, layout, "user", "field_full_name", "value"
    )
    assert read("field_phone", "value") == stored(engine, layout, "user", "field_phone", "value")
    organisations = stored(engine, layout, "user", "field_organisation", ref)
    assert read("field_organisation", ref) == organisations
    assert len(users) == report.expected["users"]["total"]
    assert any(not u.fields["field_phone"] for u in users)  # not every account has a phone
    assert len(organisations) < len(users)
    org_tids = {t.id for batch in site_terms(url, "organisation") for t in batch}
    assert set(organisations.values()) <= org_tids
    fields = data["users"]["fields"]
    assert set(fields) == {"field_full_name", "field_phone", "field_organisation"}
    assert fields["field_organisation"]["target_bundles"] == ["organisation"]
    if site_name == "iraq":  # latin1 tables holding UTF-8: the Arabic names come back right
        assert any("\u0600" <= ch <= "\u06ff" for v in read("field_full_name", "value").values()
                   for ch in v)  # fmt: skip


def site_terms(url, vocabulary: str) -> list[list[Any]]:
    from pseamigrate.db import make_engine

    engine = make_engine(url)
    try:
        with open_site(engine) as site:
            return list(site.iter_terms(vocabulary))
    finally:
        engine.dispose()


@pytest.mark.parametrize("layout", ["d7", "d8"])
def test_location_terms_have_codes_and_two_parents(any_server, make_db, engine_for, layout) -> None:
    url = make_db(any_server)
    report = build_site(url, "syria", layout, seed=3, scale=SCALE)
    engine = engine_for(url)
    with open_site(engine) as site:
        terms = [t for batch in site.iter_terms("location", batch_size=5) for t in batch]
        data = describe(site)
        hierarchy = {v.machine_name: v.hierarchy for v in site.model.vocabularies.values()}
    # Drupal 7's flag, and the same reading of Drupal 8+'s parent rows: 2 = several parents
    flat = {"organisation": 0, "allegation_type": 0, "awareness_topic": 0}
    assert hierarchy == {"location": 2, **flat}
    codes = {t.id: t.fields["field_location_code"][0]["value"] for t in terms}
    assert codes == stored(engine, layout, "taxonomy_term", "field_location_code", "value")
    assert (
        len(set(codes.values()))
        == len(terms)
        == report.expected["vocabularies"]["location"]["terms"]
    )
    assert "field_location_code" in data["vocabularies"]["location"]["fields"]
    assert data["vocabularies"]["location"]["hierarchy"] == 2
    (tid,) = report.planted["multi_parent_terms"]
    if layout == "d7":
        hierarchy = "SELECT tid, parent FROM taxonomy_term_hierarchy"
    else:
        hierarchy = "SELECT entity_id, parent_target_id FROM taxonomy_term__parent"
    parents: dict[int, list[int]] = {}
    for child, parent in sql(engine, hierarchy):
        parents.setdefault(child, []).append(parent)
    assert [t for t, p in parents.items() if len(p) > 1] == [tid]
    by_id = {t.id: t for t in terms}
    assert sorted(by_id[tid].base["parents"]) == sorted(parents[tid])
    assert all(by_id[p].base["parents"] == [0] for p in parents[tid])  # two regions
    if layout == "d7":
        flag = sql(
            engine, "SELECT hierarchy FROM taxonomy_vocabulary WHERE machine_name = 'location'"
        )
        assert flag == [(2,)]  # Drupal 7's "multiple parents" flag
