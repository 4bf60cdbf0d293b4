"""No deleted-field data vanishes silently, and `inspect` counts what remains.

A deleted storage the model cannot hold (a live field, or another deleted storage, of the same
name shadows it) is reported as a problem with its table's row count; each node type's deleted
fields get their remaining rows in `deleted_field_rows`. Everything is checked against our own
SQL on the generated DRC site, altered by hand, on MariaDB and MySQL 9.7."""

from __future__ import annotations

import json
from typing import Any

import phpserialize
import pytest
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.db import make_engine
from pseamigrate.drupal import open_site, phpdata
from pseamigrate.drupal.model import Problem, SiteModel
from pseamigrate.drupal.service import describe
from pseamigrate.sample import build_site
from tests.drupal.helpers import query, run

SCALE = 0.15
OLD = "field_old_case_number"
LIVE = "field_complaint_code"  # a live text field of the complaint type, copied under OLD's name
LAYOUTS = [("d7", ""), ("d8", "crp_")]


def inspected(url: URL, prefix: str) -> tuple[SiteModel, dict[str, Any]]:
    """Open the site, return its model and its inspect data."""
    engine = make_engine(url)
    try:
        with open_site(engine, prefix) as site:
            return site.model, describe(site)
    finally:
        engine.dispose()


def deleted_tables(url: URL) -> list[str]:
    return sorted(t for (t,) in query(url, "SHOW TABLES") if "field_deleted_data_" in t)


def count(url: URL, table: str) -> int:
    ((n,),) = query(url, f"SELECT COUNT(*) FROM `{table}`")
    return int(n)


def shadowed(model: SiteModel, table: str) -> list[Problem]:
    return [p for p in model.problems if p.table == table and p.field == OLD]


@pytest.mark.parametrize(("layout", "prefix"), LAYOUTS)
def test_inspect_counts_deleted_field_rows(any_server, make_db, layout, prefix) -> None:
    url = make_db(any_server)
    build_site(url, "drc", layout, scale=SCALE, table_prefix=prefix)
    (table,) = deleted_tables(url)
    ((ours,),) = query(url, f"SELECT COUNT(*) FROM `{table}` WHERE bundle = 'complaint'")
    assert ours > 10 and ours == count(url, table)

    model, data = inspected(url, prefix)
    complaint = data["bundles"]["complaint"]
    assert complaint["deleted_fields"] == [OLD]  # the documented key keeps its type
    assert complaint["deleted_field_rows"] == {OLD: ours}
    assert data["bundles"]["referral"]["deleted_field_rows"] == {}
    assert not [p for p in model.problems if p.field == OLD]  # nothing shadowed here


def test_inspect_table_shows_deleted_rows(mariadb_server, make_db, tmp_path, monkeypatch) -> None:
    url = make_db(mariadb_server)
    build_site(url, "drc", "d8", scale=SCALE, table_prefix="crp_")
    ours = count(url, deleted_tables(url)[0])
    monkeypatch.setenv("PSEA_TEST_DRC_URL", url.render_as_string(hide_password=False))
    config = tmp_path / "pseamigrate.yaml"
    config.write_text(
        "sites:\n  drc: {tenant: drc, table_prefix: crp_, "
        "connection: {url_env: PSEA_TEST_DRC_URL}}\n"
    )
    result = CliRunner().invoke(app, ["--config", str(config), "inspect", "drc"])
    assert result.exit_code == 0, result.stderr
    assert f"{OLD} ({ours} rows)" in " ".join(result.stdout.split())
    result = CliRunner().invoke(app, ["--config", str(config), "inspect", "drc", "--json"])
    assert json.loads(result.stdout)["bundles"]["complaint"]["deleted_field_rows"] == {OLD: ours}


def _renamed(value: Any, old: str, new: str) -> Any:
    """Return a decoded config value with `old` replaced by `new` in every key and string."""
    if isinstance(value, dict):
        return {_renamed(k, old, new): _renamed(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, old, new) for v in value]
    return value.replace(old, new) if isinstance(value, str) else value


def _live_field_d8(url: URL, p: str) -> None:
    """Create a live storage and complaint instance named OLD, as adding a field again does."""
    copies = []
    for name in (f"field.storage.node.{LIVE}", f"field.field.node.complaint.{LIVE}"):
        ((blob,),) = query(url, f"SELECT data FROM {p}config WHERE name = :n", {"n": name})
        data = _renamed(phpdata.loads(blob), LIVE, OLD)
        data["uuid"] = f"{data['uuid'][:-4]}beef"
        copies.append((name.replace(LIVE, OLD), phpserialize.dumps(data)))
    key = f"node.field_schema_data.{LIVE}"
    ((schema,),) = query(
        url,
        f"SELECT value FROM {p}key_value WHERE collection = 'entity.storage_schema.sql' "
        "AND name = :n",
        {"n": key},
    )
    statements = [
        f"INSERT INTO {p}config (collection, name, data) VALUES ('', :n{i}, :d{i})"
        for i in range(len(copies))
    ]
    params: dict[str, Any] = {f"n{i}": n for i, (n, _) in enumerate(copies)}
    params |= {f"d{i}": d for i, (_, d) in enumerate(copies)}
    params |= {"k": key.replace(LIVE, OLD)}
    params |= {"s": phpserialize.dumps(_renamed(phpdata.loads(schema), LIVE, OLD))}
    for kind in ("node", "node_revision"):
        statements += [
            f"CREATE TABLE `{p}{kind}__{OLD}` LIKE `{p}{kind}__{LIVE}`",
            f"ALTER TABLE `{p}{kind}__{OLD}` RENAME COLUMN `{LIVE}_value` TO `{OLD}_value`",
        ]
    statements.append(
        f"INSERT INTO {p}key_value (collection, name, value) "
        "VALUES ('entity.storage_schema.sql', :k, :s)"
    )
    run(url, *statements, params=params)


def test_d8_deleted_storage_shadowed_by_live_field(any_server, make_db) -> None:
    url = make_db(any_server)
    build_site(url, "drc", "d8", scale=SCALE, table_prefix="crp_")
    (table,) = deleted_tables(url)
    _live_field_d8(url, "crp_")

    model, data = inspected(url, "crp_")
    assert not model.fields[("node", OLD)].deleted  # the live one wins, as before
    (problem,) = shadowed(model, table)
    assert problem.row.startswith("uuid=")
    assert f"{count(url, table)} rows remain" in problem.message
    assert "a live field" in problem.message
    assert data["bundles"]["complaint"]["deleted_field_rows"] == {OLD: 0}  # shadowed: a problem
    assert {"table": table, "row": problem.row, "field": OLD, "message": problem.message} in (
        data["problems"]
    )


def _deleted_again_d7(url: URL) -> tuple[str, str]:
    """Give OLD a second deleted storage (created and deleted again): copy its config row,
    instances and renamed tables under a new field id. Return (older, newer) data tables."""
    ((old_id,),) = query(url, "SELECT id FROM field_config WHERE field_name = :f", {"f": OLD})
    columns = (
        "field_name, type, module, active, storage_type, storage_module, storage_active, "
        "locked, data, cardinality, translatable, deleted"
    )
    copy = f"INSERT INTO field_config ({columns}) SELECT {columns} FROM field_config WHERE id = :i"
    run(url, copy, params={"i": old_id})
    ((new_id,),) = query(url, "SELECT MAX(id) FROM field_config")
    statements = [
        "INSERT INTO field_config_instance (field_id, field_name, entity_type, bundle, data, "
        "deleted) SELECT :n, field_name, entity_type, bundle, data, deleted "
        "FROM field_config_instance WHERE field_id = :i"
    ]
    for kind in ("data", "revision"):
        old, new = f"field_deleted_{kind}_{old_id}", f"field_deleted_{kind}_{new_id}"
        statements += [
            f"CREATE TABLE `{new}` LIKE `{old}`",
            f"INSERT INTO `{new}` SELECT * FROM `{old}` WHERE delta = 0",
        ]
    run(url, *statements, params={"i": old_id, "n": new_id})
    return f"field_deleted_data_{old_id}", f"field_deleted_data_{new_id}"


def test_d7_field_deleted_twice_under_one_name(any_server, make_db) -> None:
    url = make_db(any_server)
    build_site(url, "drc", "d7", scale=SCALE)
    older, newer = _deleted_again_d7(url)
    assert count(url, older) > 10 and count(url, newer) > 10

    model, data = inspected(url, "")
    assert model.fields[("node", OLD)].data_table == newer  # the latest one is read
    (problem,) = shadowed(model, older)
    assert problem.row == f"id={older.rsplit('_', 1)[1]}"
    assert f"{count(url, older)} rows remain" in problem.message
    assert "a deleted field" in problem.message
    assert not shadowed(model, newer)
    assert problem.table in {p["table"] for p in data["problems"]}


def _live_field_d7(url: URL) -> str:
    """Create a live field named OLD on complaint, as adding a field again does in Drupal 7.
    Return the deleted storage's data table."""
    ((old_id,),) = query(url, "SELECT id FROM field_config WHERE field_name = :f", {"f": OLD})
    columns = (
        "type, module, active, storage_type, storage_module, storage_active, "
        "locked, data, cardinality, translatable, deleted"
    )
    copy = (
        f"INSERT INTO field_config (field_name, {columns}) SELECT :o, {columns} "
        "FROM field_config WHERE field_name = :l"
    )
    run(url, copy, params={"o": OLD, "l": LIVE})
    ((new_id,),) = query(url, "SELECT MAX(id) FROM field_config")
    statements = [
        "INSERT INTO field_config_instance (field_id, field_name, entity_type, bundle, data, "
        "deleted) SELECT :n, :o, entity_type, bundle, data, 0 "
        "FROM field_config_instance WHERE field_name = :l AND bundle = 'complaint'"
    ]
    for kind in ("data", "revision"):
        statements += [
            f"CREATE TABLE `field_{kind}_{OLD}` LIKE `field_{kind}_{LIVE}`",
            f"ALTER TABLE `field_{kind}_{OLD}` RENAME COLUMN `{LIVE}_value` TO `{OLD}_value`",
        ]
    run(url, *statements, params={"n": new_id, "o": OLD, "l": LIVE})
    return f"field_deleted_data_{old_id}"


def test_d7_deleted_storage_shadowed_by_live_field(any_server, make_db) -> None:
    url = make_db(any_server)
    build_site(url, "drc", "d7", scale=SCALE)
    table = _live_field_d7(url)

    model, data = inspected(url, "")
    assert not model.fields[("node", OLD)].deleted
    assert model.fields[("node", OLD)].data_table == f"field_data_{OLD}"
    (problem,) = shadowed(model, table)
    assert problem.row == f"id={table.rsplit('_', 1)[1]}"
    assert f"{count(url, table)} rows remain" in problem.message
    assert "a live field" in problem.message
    # The shadowed rows are not counted as readable: only the live table's deleted rows (none).
    assert OLD in data["bundles"]["complaint"]["fields"]
    assert data["bundles"]["complaint"]["deleted_field_rows"] == {OLD: 0}
