"""Every sample site, in both layouts, on MariaDB and MySQL 9.7: the report matches the database.

The counts are taken with SQL written here (not the generator's bookkeeping); Drupal 8+ field
tables are found through the schema stored in `key_value`, as a reader must.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import phpserialize
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from pseamigrate.sample import LAYOUTS, SITE_NAMES, SiteReport, build_site
from pseamigrate.servers import LocalServer

SCALE = 0.08  # about 20 nodes a site: fast, yet every drift is present


def _rows(engine: Engine, sql: str) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql)))


def _php(value: bytes) -> Any:
    return phpserialize.loads(value, decode_strings=True, object_hook=phpserialize.phpobject)


def _revisions_per_type(engine: Engine, p: str) -> dict[str, int]:
    """Count node revisions per content type (the same tables in both layouts)."""
    sql = (
        f"SELECT n.type, COUNT(*) FROM {p}node_revision r JOIN {p}node n ON n.nid = r.nid "
        "GROUP BY n.type"
    )
    return dict(_rows(engine, sql))


def _counts_d7(engine: Engine, p: str) -> dict[str, Any]:
    nodes = _rows(engine, f"SELECT type, COUNT(*), SUM(status) FROM {p}node GROUP BY type")
    revisions = _revisions_per_type(engine, p)
    fields: dict[tuple[str, str], dict[str, Any]] = {}
    for entity_type, bundle, name, ftype, cardinality in _rows(
        engine,
        f"SELECT i.entity_type, i.bundle, c.field_name, c.type, c.cardinality "
        f"FROM {p}field_config_instance i JOIN {p}field_config c ON c.id = i.field_id "
        "WHERE i.deleted = 0 AND c.deleted = 0",
    ):
        entry = {"type": ftype, "cardinality": cardinality}
        fields.setdefault((entity_type, bundle), {})[name] = entry
    terms = _rows(
        engine,
        f"SELECT v.machine_name, COUNT(*) FROM {p}taxonomy_term_data t "
        f"JOIN {p}taxonomy_vocabulary v ON v.vid = t.vid GROUP BY v.machine_name",
    )
    users = _rows(engine, f"SELECT COUNT(*), SUM(status = 0) FROM {p}users WHERE uid > 0")[0]
    system = _rows(engine, f"SELECT schema_version FROM `{p}system` WHERE name = 'system'")[0][0]
    comments = _rows(
        engine,
        f"SELECT n.type, COUNT(*) FROM {p}comment c JOIN {p}node n ON n.nid = c.nid "
        "GROUP BY n.type",
    )
    version = 7 if 7000 <= system < 8000 else 0
    return _assemble(version, nodes, revisions, fields, terms, users, dict(comments))


def _counts_d8(engine: Engine, p: str) -> dict[str, Any]:
    nodes = _rows(
        engine, f"SELECT type, COUNT(*), SUM(status) FROM {p}node_field_data GROUP BY type"
    )
    revisions = _revisions_per_type(engine, p)
    fields: dict[tuple[str, str], dict[str, Any]] = {}
    config = dict(_rows(engine, f"SELECT name, data FROM {p}config WHERE collection = ''"))
    for name in config:
        if name.startswith("field.field."):
            entity_type, bundle, field = name.split(".")[2:5]
            storage = _php(config[f"field.storage.{entity_type}.{field}"])
            fields.setdefault((entity_type, bundle), {})[field] = {
                "type": storage["type"],
                "cardinality": storage["cardinality"],
            }
    terms = _rows(engine, f"SELECT vid, COUNT(*) FROM {p}taxonomy_term_field_data GROUP BY vid")
    users = _rows(
        engine, f"SELECT COUNT(*), SUM(status = 0) FROM {p}users_field_data WHERE uid > 0"
    )[0]
    schema = _rows(
        engine,
        f"SELECT value FROM {p}key_value WHERE collection = 'system.schema' AND name = 'system'",
    )[0][0]
    version = _php(schema) // 1000
    comments = _rows(
        engine,
        f"SELECT n.type, COUNT(*) FROM {p}comment_field_data c JOIN {p}node n "
        "ON n.nid = c.entity_id AND c.entity_type = 'node' WHERE c.default_langcode = 1 "
        "GROUP BY n.type",
    )
    return _assemble(version, nodes, revisions, fields, terms, users, dict(comments))


def _assemble(
    version: int, nodes: Any, revisions: Any, fields: Any, terms: Any, users: Any, comments: Any
) -> Any:
    return {
        "drupal_version": version,
        "bundles": {
            t: {
                "count": c,
                "published": int(s),
                "revisions": revisions[t],
                "comments": comments.get(t, 0),
                "fields": fields[("node", t)],
            }
            for t, c, s in nodes
        },
        "vocabularies": {
            v: {"terms": n, "fields": fields.get(("taxonomy_term", v), {})} for v, n in terms
        },
        "users": {
            "total": users[0],
            "blocked": int(users[1]),
            "fields": fields.get(("user", "user"), {}),
        },
    }


def _field_tables(engine: Engine, p: str, layout: str, report: SiteReport) -> list[str]:
    """Name every node field table: d7 by convention, d8 from the stored entity schema."""
    if layout == "d7":
        names = [n for b in report.expected["bundles"].values() for n in b["fields"]]
        tables = [f"{p}field_{kind}_{n}" for n in names for kind in ("data", "revision")]
    else:
        rows = _rows(
            engine,
            f"SELECT value FROM {p}key_value WHERE collection = 'entity.storage_schema.sql' "
            "AND name LIKE 'node.field\\_schema\\_data.%'",
        )
        tables = [p + table for (value,) in rows for table in _php(value)]
    return tables + report.drift.get("deleted_tables", [])


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("site", SITE_NAMES)
def test_counts_match_the_database(
    any_server: LocalServer,
    make_db: Callable[[LocalServer], URL],
    engine_for: Callable[[URL], Engine],
    site: str,
    layout: str,
) -> None:
    prefix = "crp_" if site == "iraq" else ""  # Iraq is built with a table prefix
    url = make_db(any_server)
    report = build_site(url, site, layout, seed=7, scale=SCALE, table_prefix=prefix)
    engine = engine_for(url)
    counts = _counts_d7(engine, prefix) if layout == "d7" else _counts_d8(engine, prefix)
    expected = dict(report.expected)
    files = expected.pop("files")
    assert counts == expected
    assert _rows(engine, f"SELECT COUNT(*) FROM {prefix}file_managed")[0][0] == files["total"]
    tables = _field_tables(engine, prefix, layout, report)
    rows = sum(_rows(engine, f"SELECT COUNT(*) FROM `{t}`")[0][0] for t in tables)
    assert rows == report.field_values > 0
    all_tables = {r[0] for r in _rows(engine, "SHOW TABLES")}
    assert all(t.startswith(prefix) for t in all_tables)
    assert set(tables) <= all_tables


@pytest.mark.parametrize("layout", LAYOUTS)
def test_revisions_and_unpublished_are_real(
    mariadb_server: LocalServer,
    make_db: Callable[[LocalServer], URL],
    engine_for: Callable[[URL], Engine],
    layout: str,
) -> None:
    url = make_db(mariadb_server)
    build_site(url, "demo", layout, seed=3, scale=0.3)
    engine = engine_for(url)
    base = "node" if layout == "d7" else "node_field_data"
    status_table = "field_revision_field_complaint_status"
    if layout == "d8":
        status_table = "node_revision__field_complaint_status"
    several = _rows(engine, "SELECT COUNT(*) FROM (SELECT nid FROM node_revision GROUP BY nid "
                            "HAVING COUNT(*) > 1) x")[0][0]  # fmt: skip
    unpublished = _rows(engine, f"SELECT COUNT(*) FROM {base} WHERE status = 0")[0][0]
    # The status field changes between revisions: one distinct value per revision of a node.
    changing = _rows(
        engine,
        f"SELECT COUNT(*) FROM (SELECT entity_id FROM {status_table} GROUP BY entity_id "
        "HAVING COUNT(DISTINCT field_complaint_status_value) > 1) x",
    )[0][0]
    gaps = _rows(engine, f"SELECT MAX(nid) - COUNT(*) FROM {base}")[0][0]
    assert several > 0 and unpublished > 0 and changing > 0 and gaps > 0
