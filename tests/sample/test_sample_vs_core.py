"""The sample sites' tables have the columns of real Drupal databases (core's own fixtures)."""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from pseamigrate.sample import build_site
from pseamigrate.servers import LocalServer
from tests.conftest import DRUPAL_CORE_FIXTURES, need_drupal_fixtures

D7_TABLES = (
    "node",
    "node_revision",
    "node_type",
    "field_config",
    "field_config_instance",
    "taxonomy_vocabulary",
    "taxonomy_term_data",
    "taxonomy_term_hierarchy",
    "taxonomy_index",
    "users",
    "role",
    "users_roles",
    "file_managed",
    "file_usage",
    "variable",
    "system",
    "comment",
    "node_comment_statistics",
)
D8_TABLES = (
    "config",
    "key_value",
    "node",
    "node_field_data",
    "node_revision",
    "node_field_revision",
    "taxonomy_term_data",
    "taxonomy_term_field_data",
    "taxonomy_term_revision",
    "taxonomy_term_field_revision",
    "taxonomy_term__parent",
    "taxonomy_index",
    "users",
    "users_field_data",
    "user__roles",
    "file_managed",
    "file_usage",
    "comment",
    "comment_field_data",
    "comment_entity_statistics",
)
# A dedicated field table of the same type in core's dump, and ours.
FIELD_TABLES = {
    "d7": (
        ("field_data_field_text_list", "field_data_field_intake_channel"),
        ("field_revision_field_term_reference", "field_revision_field_location"),
        ("field_data_field_file", "field_data_field_attachments"),
        ("field_data_comment_body", "field_data_comment_body"),
        ("field_revision_comment_body", "field_revision_comment_body"),
    ),
    "d8": (
        ("node__field_tags", "node__field_location"),
        ("node_revision__field_tags", "node_revision__field_location"),
        ("node__field_test_9", "node__field_attachments"),
        ("node__field_test_16", "node__field_intake_channel"),
        ("node__comment", "node__comment"),
        ("node_revision__comment", "node_revision__comment"),
        ("comment__comment_body", "comment__comment_body"),
    ),
}
# Worktrees sit one level deeper than the main checkout; let them point at the fixtures.
FIXTURES = Path(os.environ.get("PSEAMIGRATE_DRUPAL_FIXTURES", str(DRUPAL_CORE_FIXTURES)))
DUMPS = {"d7": "d7_migrate_fixture.sql.gz", "d8": "d10_3_filled_standard.sql.gz"}


def _dump_columns(dump: Path) -> dict[str, list[str]]:
    """Parse the column names of every CREATE TABLE in a mariadb-dump file."""
    sql = gzip.decompress(dump.read_bytes()).decode("utf-8", "replace")
    tables = {}
    for name, body in re.findall(r"CREATE TABLE `(\w+)` \((.*?)\n\) ENGINE", sql, re.S):
        tables[name] = re.findall(r"^\s+`(\w+)` ", body, re.M)
    return tables


def _dump_definitions(dump: Path) -> dict[str, dict[str, str]]:
    """Parse every column definition line of every CREATE TABLE in a mariadb-dump file."""
    sql = gzip.decompress(dump.read_bytes()).decode("utf-8", "replace")
    return {name: _definitions(body) for name, body in _TABLE.findall(sql)}


_TABLE = re.compile(r"CREATE TABLE `(\w+)` \((.*?)\n\) ENGINE", re.S)


def _definitions(body: str) -> dict[str, str]:
    lines = re.finditer(r"^\s+`(\w+)` (.*?),?$", body, re.M)
    return {m.group(1): m.group(2) for m in lines}


def _columns(engine: Engine, table: str) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT COLUMN_NAME FROM information_schema.COLUMNS "
                "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t ORDER BY ORDINAL_POSITION"
            ),
            {"t": table},
        )
        return [r[0] for r in rows]


def _shape(columns: list[str], field: str) -> list[str]:
    """Replace a field's name in its column names so two fields can be compared."""
    return [c.replace(field, "FIELD") for c in columns]


@pytest.mark.parametrize("layout", ["d7", "d8"])
def test_tables_have_core_columns(
    mariadb_server: LocalServer,
    make_db: Callable[[LocalServer], URL],
    engine_for: Callable[[URL], Engine],
    layout: str,
) -> None:
    dump = FIXTURES / DUMPS[layout]
    need_drupal_fixtures(FIXTURES)
    core = _dump_columns(dump)
    url = make_db(mariadb_server)
    build_site(url, "demo", layout, scale=0.05)
    engine = engine_for(url)
    for table in D7_TABLES if layout == "d7" else D8_TABLES:
        ours = _columns(engine, table)
        # Core's fixtures carry contrib/translation columns (i18n, content_translation) too.
        assert ours and set(ours) <= set(core[table]), table
        assert [c for c in core[table] if c in ours] == ours, f"column order of {table}"
    for core_table, our_table in FIELD_TABLES[layout]:
        core_field = re.sub(
            r"^(field_data_|field_revision_|node__|node_revision__)", "", core_table
        )
        our_field = re.sub(r"^(field_data_|field_revision_|node__|node_revision__)", "", our_table)
        assert _shape(_columns(engine, our_table), our_field) == _shape(
            core[core_table], core_field
        ), our_table


def test_d8_column_definitions_equal_drupal_10(
    mariadb_server: LocalServer,
    make_db: Callable[[LocalServer], URL],
    engine_for: Callable[[URL], Engine],
) -> None:
    """Same server family as the dump (MariaDB 10.11), so the definitions must match exactly."""
    dump = FIXTURES / DUMPS["d8"]
    need_drupal_fixtures(FIXTURES)
    core = _dump_definitions(dump)
    url = make_db(mariadb_server)
    build_site(url, "demo", "d8", scale=0.05)
    engine = engine_for(url)
    pairs = [(t, t) for t in D8_TABLES] + list(FIELD_TABLES["d8"])
    with engine.connect() as conn:
        for core_table, our_table in pairs:
            created = conn.execute(text(f"SHOW CREATE TABLE `{our_table}`")).one()[1]
            ours = _definitions(created.split("\n", 1)[1])
            core_field = core_table.split("__")[-1] if "__" in core_table else ""
            our_field = our_table.split("__")[-1] if "__" in our_table else ""
            for column, definition in ours.items():
                core_column = column.replace(our_field, core_field) if our_field else column
                assert definition == core[core_table][core_column], f"{our_table}.{column}"
