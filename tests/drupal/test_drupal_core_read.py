"""Introspection and streaming readers against Drupal core's own databases (7, 9.4, 10.3, 11.3).

Expected numbers are the fixtures README's, each checked again here with plain SQL. Every test
runs on MariaDB and on Oracle MySQL 9.7 (the MariaDB-made dumps load into both).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from pseamigrate.db import make_engine
from pseamigrate.drupal import DrupalSite, open_site
from pseamigrate.errors import UnknownBundle


@pytest.fixture
def site_of(drupal_core_any: dict[str, URL]) -> Iterator[object]:
    engines: list[Engine] = []
    sites: list[DrupalSite] = []

    def make(name: str) -> tuple[DrupalSite, Engine]:
        engine = make_engine(drupal_core_any[name])
        engines.append(engine)
        site = open_site(engine)
        sites.append(site)
        return site, engine

    yield make
    for site in sites:
        site.close()
    for engine in engines:
        engine.dispose()


def sql(engine: Engine, statement: str) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(statement))]


@pytest.mark.parametrize(("name", "version"), [("d7", 7), ("d9", 9), ("d10", 10), ("d11", 11)])
def test_version_is_detected(site_of, name: str, version: int) -> None:
    site, _ = site_of(name)
    assert site.model.drupal_version == version
    assert site.model.layout == ("d7" if version == 7 else "d8")


def test_d7_counts_match_the_readme_and_sql(site_of) -> None:
    site, engine = site_of("d7")
    counts = site.counts()
    readme = {"article": 4, "blog": 3, "et": 1, "forum": 2, "test_content_type": 1}
    assert dict(counts.nodes) == readme
    assert dict(sql(engine, "SELECT type, COUNT(*) FROM node GROUP BY type")) == readme
    assert counts.users_total == 3 == sql(engine, "SELECT COUNT(*) FROM users WHERE uid > 0")[0][0]
    assert counts.revisions["article"] == 8
    assert counts.terms["tags"] == 10
    assert counts.files == 4


@pytest.mark.parametrize("name", ["d10", "d11"])
def test_d10_d11_counts_match_the_readme_and_sql(site_of, name: str) -> None:
    site, engine = site_of(name)
    counts = site.counts()
    assert dict(counts.nodes) == {"article": 1, "page": 1, "test_content_type": 1}
    # node_field_data holds 2 rows for the translated test_content_type node; nodes are 1
    assert sql(engine, "SELECT COUNT(*) FROM node_field_data WHERE type='test_content_type'") == [
        (2,)
    ]
    assert counts.users_total == 2
    assert counts.users_blocked == 0
    assert counts.published == {"article": 1, "page": 1, "test_content_type": 1}


def test_d7_fields_are_described(site_of) -> None:
    site, _ = site_of("d7")
    fields = site.model.fields
    tags = fields[("node", "field_tags")]
    assert (tags.type, tags.cardinality, tags.target_type, tags.target_bundles) == (
        "taxonomy_term_reference",
        -1,
        "taxonomy_term",
        ("tags",),
    )
    assert tags.columns == ("tid",)
    assert tags.data_table == "field_data_field_tags"
    text_list = fields[("node", "field_text_list")]
    assert [v.key for v in text_list.allowed_values] == ["Some Text", "Some more text", "The key"]
    assert text_list.cardinality == 3
    link = fields[("node", "field_link")]
    assert set(link.columns) == {"url", "title", "attributes"}
    # the stored storage details name a truncated table; the real one is used
    assert fields[("node", "field_text_sum_plain_filtered")].data_table == (
        "field_data_field_text_sum_plain_filtered"
    )
    unknown = {s.type for s in fields.values() if not s.known_type}
    assert {"phone", "telephone", "node_reference", "user_reference"} <= unknown
    assert site.model.problems == ()
    forum = {i.field_name: i for i in site.model.bundles["forum"].fields}
    assert forum["taxonomy_forums"].required is True
    assert site.model.vocabularies["sujet_de_discussion"].hierarchy == 1


def test_d10_fields_come_from_config_and_stored_schema(site_of) -> None:
    site, _ = site_of("d10")
    tags = site.model.fields[("node", "field_tags")]
    assert (tags.type, tags.cardinality, tags.target_type) == (
        "entity_reference",
        -1,
        "taxonomy_term",
    )
    assert tags.target_bundles == ("tags",)
    assert (tags.data_table, tags.revision_table) == (
        "node__field_tags",
        "node_revision__field_tags",
    )
    assert tags.columns == ("target_id",)
    body = site.model.fields[("node", "body")]
    assert body.columns == ("value", "summary", "format")
    assert set(site.model.bundles) == {"article", "page", "test_content_type"}
    assert ("contact_message", "field_date") not in site.model.fields  # no SQL storage


def test_d7_nodes_stream_with_fields_in_delta_order(site_of) -> None:
    site, engine = site_of("d7")
    records = [r for batch in site.iter_entities("article", batch_size=3) for r in batch]
    assert [r.id for r in records] == [2, 3, 4, 5]
    two = records[0]
    query = "SELECT field_tags_tid FROM field_data_field_tags WHERE entity_id=2 ORDER BY delta"
    expected = [t for (t,) in sql(engine, query)]
    assert [v["tid"] for v in two.fields["field_tags"]] == expected
    assert len(expected) == 3
    assert two.revision_id == sql(engine, "SELECT vid FROM node WHERE nid=2")[0][0]
    small = [r.id for batch in site.iter_entities("article", batch_size=1) for r in batch]
    assert small == [2, 3, 4, 5]


def test_d7_translations_are_kept(site_of) -> None:
    site, engine = site_of("d7")
    (record,) = [r for batch in site.iter_entities("et") for r in batch]
    query = "SELECT DISTINCT language FROM field_data_field_tree WHERE entity_id=11"
    languages = {lang for (lang,) in sql(engine, query)}
    assert record.language == "en"
    assert {t.language for t in record.translations} == languages - {"en", "und"}
    assert record.translations and all(t.fields["field_tree"] for t in record.translations)


def test_d10_translation_has_its_own_base_row(site_of) -> None:
    site, _ = site_of("d10")
    (record,) = [r for batch in site.iter_entities("test_content_type") for r in batch]
    assert record.language == "en"
    assert [t.language for t in record.translations] == ["es"]
    assert record.translations[0].base["langcode"] == "es"


@pytest.mark.parametrize("name", ["d7", "d10"])
def test_revisions_carry_author_and_timestamp(site_of, name: str) -> None:
    site, engine = site_of(name)
    revisions = site.revisions_of("article", 1 if name == "d10" else 2)
    table = "node_revision"
    expected = sql(
        engine, f"SELECT vid FROM {table} WHERE nid={1 if name == 'd10' else 2} ORDER BY vid"
    )
    assert [r.revision_id for r in revisions] == [v for (v,) in expected]
    assert all("revision_author" in r.base and r.base["revision_timestamp"] for r in revisions)
    total = sum(len(batch) for batch in site.iter_revisions("article", batch_size=1))
    assert total == site.counts().revisions["article"]


def test_terms_users_and_files(site_of) -> None:
    site, engine = site_of("d7")
    terms = {r.id: r for batch in site.iter_terms("sujet_de_discussion") for r in batch}
    assert terms[7].base["parents"] == [6]
    assert terms[1].base["parents"] == [0]
    users = [r for batch in site.iter_users() for r in batch]
    assert [u.id for u in users] == [1, 2, 3]
    assert all(u.base["roles"] == ["administrator"] for u in users)
    files = {r.id: r for batch in site.iter_files() for r in batch}
    usage = sql(engine, "SELECT COUNT(*) FROM file_usage WHERE fid=2")[0][0]
    assert len(files[2].base["usage"]) == usage == 2


def test_d10_users_terms_files(site_of) -> None:
    site, _ = site_of("d10")
    users = [r for batch in site.iter_users() for r in batch]
    assert [(u.id, u.base["roles"]) for u in users] == [(1, ["administrator"]), (3, [])]
    terms = [r for batch in site.iter_terms("test_vocabulary") for r in batch]
    assert len(terms) == 2 and all("parents" in t.base for t in terms)
    assert len([f for batch in site.iter_files() for f in batch]) == 5


def test_unknown_bundle_and_vocabulary_are_typed_errors(site_of) -> None:
    site, _ = site_of("d10")
    with pytest.raises(UnknownBundle) as caught:
        site.iter_entities("complain")
    assert str(caught.value) == (
        "unknown content type 'complain' (known: article, page, test_content_type)"
    )
    with pytest.raises(UnknownBundle, match="unknown vocabulary 'place'"):
        site.iter_terms("place")
