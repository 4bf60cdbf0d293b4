"""Hard cases: prefixes, hashed table names, not-Drupal, corrupt blobs, missing tables,
unknown field types. Each damage is planted in a private copy of a Drupal core database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import phpserialize
import pytest
from sqlalchemy.engine import URL

from pseamigrate.db import make_engine
from pseamigrate.drupal import open_site
from pseamigrate.drupal.service import describe
from pseamigrate.errors import MissingFieldTable, NotDrupal
from tests.drupal.helpers import add_prefix, edit_config, run


def opened(url: URL, prefix: str = "") -> Any:
    """Open a site and return (site, engine); the caller closes both."""
    engine = make_engine(url)
    return open_site(engine, prefix), engine


def test_not_drupal_names_what_was_looked_for(any_db: URL) -> None:
    run(any_db, "CREATE TABLE crp_something (id INT)")
    engine = make_engine(any_db)
    try:
        with pytest.raises(NotDrupal) as caught:
            open_site(engine, "crp_", where="site 'iraq'")
    finally:
        engine.dispose()
    message = str(caught.value)
    assert message.startswith("site 'iraq' is not a Drupal database")
    assert "crp_system" in message and "crp_key_value" in message and "crp_config" in message


@pytest.mark.parametrize(("dump", "version"), [("d7", 7), ("d10", 10)])
def test_table_prefix_is_honoured(drupal_copy: Callable[[str], URL], dump: str, version: int):
    url = drupal_copy(dump)
    add_prefix(url, "crp_")
    engine = make_engine(url)
    try:
        with pytest.raises(NotDrupal):
            open_site(engine)  # without the prefix, nothing Drupal is there
        with open_site(engine, "crp_") as site:
            assert site.model.drupal_version == version
            assert site.model.problems == ()
            tags = site.model.fields[("node", "field_tags")]
            assert tags.data_table.startswith("crp_")
            records = [r for batch in site.iter_entities("article") for r in batch]
            assert records and any(r.fields["field_tags"] for r in records)
            assert site.counts().users_total in (2, 3)
    finally:
        engine.dispose()


LONG = "field_complaint_outcome_reported_by_focal_point"


def _plant_hashed_field(url: URL) -> None:
    """Add a long-named field whose tables carry hashed names, as Drupal 8+ makes them."""
    data_t, rev_t = "node__3f9a1c2b7d", "node_r__3f9a1c2b7d"
    columns = {
        "bundle": {},
        "deleted": {},
        "entity_id": {},
        "revision_id": {},
        "langcode": {},
        "delta": {},
        f"{LONG}_value": {"type": "varchar"},
    }
    schema = {
        data_t: {"description": f"Data storage for node field {LONG}.", "fields": columns},
        rev_t: {"description": f"Revision archive storage for {LONG}.", "fields": columns},
    }
    storage = {
        "field_name": LONG,
        "entity_type": "node",
        "type": "string",
        "module": "core",
        "cardinality": -1,
        "settings": {},
    }
    instance = {
        "field_name": LONG,
        "entity_type": "node",
        "bundle": "article",
        "label": "Outcome",
        "required": True,
        "settings": {},
    }
    ddl = (
        "(bundle VARCHAR(128), deleted TINYINT DEFAULT 0, entity_id INT, revision_id INT, "
        f"langcode VARCHAR(32), delta INT, {LONG}_value VARCHAR(255))"
    )
    run(
        url,
        f"CREATE TABLE {data_t} {ddl}",
        f"CREATE TABLE {rev_t} {ddl}",
        f"INSERT INTO {data_t} VALUES ('article',0,1,2,'en',1,'second'), "
        "('article',0,1,2,'en',0,'first')",
        "INSERT INTO config (collection, name, data) VALUES "
        f"('', 'field.storage.node.{LONG}', :s), ('', 'field.field.node.article.{LONG}', :i)",
        "INSERT INTO key_value (collection, name, value) VALUES "
        f"('entity.storage_schema.sql', 'node.field_schema_data.{LONG}', :k)",
        params={
            "s": phpserialize.dumps(storage),
            "i": phpserialize.dumps(instance),
            "k": phpserialize.dumps(schema),
        },
    )


def test_hashed_field_tables_come_from_the_stored_schema(drupal_copy: Callable[[str], URL]):
    url = drupal_copy("d10")
    _plant_hashed_field(url)
    site, engine = opened(url)
    try:
        storage = site.model.fields[("node", LONG)]
        assert (storage.data_table, storage.revision_table) == (
            "node__3f9a1c2b7d",
            "node_r__3f9a1c2b7d",
        )
        assert storage.columns == ("value",)
        (article,) = [r for batch in site.iter_entities("article") for r in batch]
        assert [v["value"] for v in article.fields[LONG]] == ["first", "second"]
        assert site.model.problems == ()
    finally:
        site.close()
        engine.dispose()


def test_corrupt_blobs_are_problems_and_the_rest_is_read(drupal_copy: Callable[[str], URL]):
    url = drupal_copy("d7")
    run(
        url,
        'UPDATE field_config SET data = \'a:7:{s:8:"settings";a:3:{s:14:"allowed\' '
        "WHERE field_name = 'field_text_list'",
        "UPDATE field_config_instance SET data = 'garbage' WHERE field_name = 'field_tags'",
    )
    site, engine = opened(url)
    try:
        problems = {(p.table, p.field) for p in site.model.problems}
        assert problems == {
            ("field_config", "field_text_list"),
            ("field_config_instance", "field_tags"),
        }
        rows = {p.row for p in site.model.problems}
        assert all(row.startswith("id=") for row in rows)
        text_list = site.model.fields[("node", "field_text_list")]
        assert (text_list.type, text_list.cardinality, text_list.columns) == (
            "list_text",
            3,
            ("value",),
        )
        assert len(site.model.fields) == 66  # every field still described
        records = [r for batch in site.iter_entities("test_content_type") for r in batch]
        assert records[0].fields["field_text_list"]
        data = describe(site)
        assert {p["field"] for p in data["problems"]} == {"field_text_list", "field_tags"}
    finally:
        site.close()
        engine.dispose()


def test_missing_field_table_is_reported_then_raised(drupal_copy: Callable[[str], URL]) -> None:
    url = drupal_copy("d10")
    run(url, "DROP TABLE node__field_tags")
    site, engine = opened(url)
    try:
        (problem,) = site.model.problems
        assert (problem.table, problem.field) == ("node__field_tags", "field_tags")
        assert "missing" in problem.message
        with pytest.raises(MissingFieldTable) as caught:
            list(site.iter_entities("article"))
        assert str(caught.value) == (
            "field field_tags: its table node__field_tags is missing from the database"
        )
        assert list(site.iter_entities("page"))  # other bundles still read
    finally:
        site.close()
        engine.dispose()


def test_unknown_field_type_is_listed_not_fatal(drupal_copy: Callable[[str], URL]) -> None:
    url = drupal_copy("d10")
    edit_config(url, "field.storage.node.field_test_5", lambda c: c.update(type="address"))
    site, engine = opened(url)
    try:
        data = describe(site)
        assert data["unknown_field_types"] == [{"type": "address", "fields": ["node.field_test_5"]}]
        field = data["bundles"]["test_content_type"]["fields"]["field_test_5"]
        assert (field["type"], field["known_type"]) == ("address", False)
        (record,) = [r for batch in site.iter_entities("test_content_type") for r in batch]
        assert record.fields["field_test_5"][0]["uri"]  # its columns are still read
    finally:
        site.close()
        engine.dispose()


def test_utf8_bytes_in_latin1_tables_come_out_right(drupal_copy: Callable[[str], URL]) -> None:
    url = drupal_copy("d7")
    words = "Plainte déposée — شكوى"
    run(
        url,
        "UPDATE node SET title = :t WHERE nid = 2",
        "UPDATE field_data_body SET body_value = :t WHERE entity_id = 2",
        "UPDATE role SET name = 'référent' WHERE rid = 3",
        params={"t": words},
    )
    # what a legacy site looks like: the same UTF-8 bytes, but in latin1 columns
    for table, column, kind in [
        ("node", "title", "VARCHAR(255)"),
        ("field_data_body", "body_value", "LONGTEXT"),
        ("role", "name", "VARCHAR(64)"),
    ]:
        binary = "VARBINARY(255)" if kind.startswith("VARCHAR") else "LONGBLOB"
        run(
            url,
            f"ALTER TABLE {table} MODIFY {column} {binary}",
            f"ALTER TABLE {table} MODIFY {column} {kind} CHARACTER SET latin1 NOT NULL",
        )
    site, engine = opened(url)
    try:
        assert {"node", "field_data_body", "role"} <= set(site.latin1_tables())
        article = next(r for batch in site.iter_entities("article") for r in batch if r.id == 2)
        assert article.base["title"] == words
        assert article.fields["body"][0]["value"] == words
        users = [u for batch in site.iter_users() for u in batch]
        assert users[0].base["roles"] == ["référent"]
    finally:
        site.close()
        engine.dispose()


def test_hostile_blobs_are_problems_naming_the_limit(drupal_copy: Callable[[str], URL]) -> None:
    """#15: a 45 KB deeply nested blob stopped `inspect` with a RecursionError."""
    url = drupal_copy("d7")
    deep = "a:1:{i:0;" * 5000 + "N;" + "}" * 5000
    run(
        url,
        "UPDATE field_config SET data = :d WHERE field_name = 'field_text_list'",
        "UPDATE field_config_instance SET data = :r WHERE field_name = 'field_tags'",
        params={"d": deep, "r": "a:1:{i:0;r:1;}"},
    )
    site, engine = opened(url)
    try:
        found = {p.field: p.message for p in site.model.problems}
        assert set(found) == {"field_text_list", "field_tags"}
        assert "deeper than the limit of 64 levels" in found["field_text_list"]
        assert "a reference to an enclosing value" in found["field_tags"]
        assert len(site.model.fields) == 66
    finally:
        site.close()
        engine.dispose()
