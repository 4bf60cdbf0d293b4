"""The target schema: generated from the model, equal on MySQL and MariaDB, upgraded additively."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.db import connection
from pseamigrate.servers import LocalServer
from pseamigrate.target import logical
from pseamigrate.target.commands import create_schema, show_schema, upgrade_schema
from pseamigrate.target.docs import render_schema_docs
from pseamigrate.target.model import DEFAULT_MODEL, load_model
from pseamigrate.target.schema import build_metadata

runner = CliRunner()
MODEL_TEXT = DEFAULT_MODEL.read_text(encoding="utf-8")


def _cli(url: URL, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    monkeypatch.setenv("PSEA_TEST_TARGET", url.render_as_string(hide_password=False))
    result = runner.invoke(app, [*args, "--url-env", "PSEA_TEST_TARGET"])
    return result.exit_code, result.stdout, result.stderr


def _model_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "model.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_every_source_table_carries_tenant_and_unique_source_ids() -> None:
    metadata = build_metadata(load_model())
    merged = {"tenants", "accounts", "pm_runs", "pm_messages", "pm_locks"}  # not per tenant
    merged |= {
        f"{v}_terms" for v, voc in load_model().vocabularies.items() if voc.scope == "shared"
    }
    for table in metadata.sorted_tables:
        if table.name in merged:
            continue
        assert "tenant_id" in table.columns, table.name
        uniques = [
            [c.name for c in constraint.columns]
            for constraint in table.constraints
            if constraint.__class__.__name__ == "UniqueConstraint"
        ]
        assert any(cols[0] == "tenant_id" and len(cols) > 1 for cols in uniques), table.name
        assert table.kwargs["mysql_engine"] == "InnoDB"
        if not table.name.startswith("pm_"):
            assert "imported_at" in table.columns, table.name


def test_create_then_show_gives_the_same_schema_on_mysql_and_mariadb(
    mariadb_server: LocalServer,
    mysql_server: LocalServer,
    make_db: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shown = {}
    for server in (mariadb_server, mysql_server):
        url = make_db(server)  # type: ignore[operator]
        code, out, err = _cli(url, monkeypatch, "schema", "create")
        assert code == 0, err
        assert "applied 2" in out
        code, out, err = _cli(url, monkeypatch, "schema", "show", "--json")
        assert code == 0, err
        shown[server.flavor] = json.loads(out)
    assert shown["mariadb"] == shown["mysql"]
    assert shown["mysql"] == logical.as_json(show_schema(None))
    assert shown["mysql"]["complaints"]["engine"] == "InnoDB"
    assert shown["mariadb"]["complaints"]["charset"] == "utf8mb4"
    extra = next(c for c in shown["mariadb"]["complaints"]["columns"] if c["name"] == "extra")
    assert extra["type"] == "json"


def test_create_again_is_a_no_op_and_refuses_a_foreign_schema(
    any_db: URL, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _cli(any_db, monkeypatch, "schema", "create")[0] == 0
    code, out, _ = _cli(any_db, monkeypatch, "schema", "create")
    assert code == 0
    assert "nothing to do" in out
    engine = create_engine(any_db)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE stray (id INT PRIMARY KEY)")
    finally:
        engine.dispose()
    code, _, err = _cli(any_db, monkeypatch, "schema", "create")
    assert code == 4
    assert "not empty" in err
    assert "schema upgrade" in err


def test_dry_run_writes_nothing(any_db: URL, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = _cli(any_db, monkeypatch, "schema", "create", "--dry-run", "--sql")
    assert code == 0
    assert "would apply (dry run)" in err and "would apply" not in out  # stdout: SQL only
    assert "  create table complaints\n" in err
    assert "complaints.complaints" not in err
    assert "CREATE TABLE complaints (" in out
    assert (
        "CREATE INDEX ix_complaints_location_id_tenant_id ON complaints (location_id, tenant_id);"
        in out
    )
    with connection(any_db) as conn:
        assert show_schema(conn) == {}


def test_upgrade_after_adding_a_field_adds_that_column_and_nothing_else(
    any_db: URL, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with connection(any_db) as conn:
        create_schema(conn)
        before = show_schema(conn)
    grown = MODEL_TEXT.replace(
        "      narrative:\n",
        "      disability: {type: boolean, sensitivity: public}\n      narrative:\n",
    )
    model_path = _model_file(tmp_path, grown)
    code, out, err = _cli(any_db, monkeypatch, "schema", "upgrade", "--model", model_path)
    assert code == 0, err
    assert "add column complaints.disability" in out
    with connection(any_db) as conn:
        after = show_schema(conn)
    assert set(after) == set(before)
    for name in before:
        if name != "complaints":
            assert after[name] == before[name], name
    added = [c for c in after["complaints"].columns if before["complaints"].column(c.name) is None]
    assert added == [logical.LogicalColumn("disability", "boolean", True)]
    assert after["complaints"].indexes == before["complaints"].indexes


def test_upgrade_adds_a_missing_table_and_index(any_db: URL) -> None:
    with connection(any_db) as conn:
        create_schema(conn)
        conn.exec_driver_sql("DROP TABLE awareness_session_topics")
        conn.exec_driver_sql(
            "ALTER TABLE referrals DROP FOREIGN KEY fk_referrals_author_id_tenant_id"
        )
        conn.exec_driver_sql("DROP INDEX ix_referrals_author_id_tenant_id ON referrals")
        conn.commit()
        result = upgrade_schema(conn, dry_run=True)
        kinds = sorted((c.kind, c.name) for c in result.changes)
        assert kinds == [
            ("add foreign key", "fk_referrals_author_id_tenant_id"),
            ("add index", "ix_referrals_author_id_tenant_id"),
            ("create table", "awareness_session_topics"),
        ]
        upgrade_schema(conn)
        assert show_schema(conn) == show_schema(None)


def test_upgrade_reports_what_the_model_removed_and_exits_3(
    any_db: URL, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with connection(any_db) as conn:
        create_schema(conn)
    shrunk = MODEL_TEXT.replace("      referral_date: {", "      x-referral_date: {")
    assert shrunk != MODEL_TEXT
    model_path = _model_file(tmp_path, shrunk)
    code, _, err = _cli(any_db, monkeypatch, "schema", "upgrade", "--model", model_path)
    assert code == 3
    assert "drop column referrals.referral_date" in err
    assert "never drops" in err


def test_show_sql_prints_innodb_utf8mb4_ddl() -> None:
    result = runner.invoke(app, ["schema", "show", "--sql"])
    assert result.exit_code == 0
    assert "CREATE TABLE complaints" in result.stdout
    assert result.stdout.count("ENGINE=InnoDB") == len(build_metadata(load_model()).tables)
    assert "CHARSET=utf8mb4" in result.stdout


def test_committed_schema_docs_are_current() -> None:
    committed = Path(__file__).resolve().parents[2] / "docs" / "schema.md"
    assert committed.read_text(encoding="utf-8") == render_schema_docs(load_model()), (
        "docs/schema.md is stale: run `pseamigrate schema docs`"
    )


def test_schema_commands_refuse_without_a_target(tmp_path: Path) -> None:
    result = runner.invoke(app, ["schema", "show"], env={"PSEAMIGRATE_CONFIG": ""})
    assert result.exit_code == 2  # no project file: a usage error (#24 item 5)
    assert "--url-env" in result.stderr
