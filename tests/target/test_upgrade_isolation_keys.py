"""`schema upgrade` brings a target made before #30 (primary keys on `id` alone, single-column
foreign keys between tenant rows: the DDL in schema_before_30.sql, as main's `schema show --sql`
printed it) to the isolation keys in place, after a migration, and `verify` then exits 0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.db import connection
from pseamigrate.servers import LocalServer
from pseamigrate.target.commands import show_schema
from pseamigrate.target.model import load_model
from pseamigrate.target.schema import build_metadata
from tests.migrate.helpers import make_project
from tests.verify.conftest import ignore_old_case_number

runner = CliRunner()
BEFORE = Path(__file__).with_name("schema_before_30.sql")


@pytest.mark.parametrize("flavor", ["mariadb", "mysql"])
def test_upgrade_tightens_the_keys_in_place_and_verify_passes(
    flavor: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    server: LocalServer = request.getfixturevalue(f"{flavor}_server")
    project = make_project(
        server, tmp_path, f"upk_{flavor[:2]}", "d7", sites=request.getfixturevalue("sample_sites")
    )
    ignore_old_case_number(project)
    with connection(project.target, autocommit=True) as conn:
        for table in conn.exec_driver_sql("SHOW TABLES").scalars().all():
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 0")
            conn.exec_driver_sql(f"DROP TABLE `{table}`")
        conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 1")
        for statement in BEFORE.read_text("utf-8").split(";\n"):
            if statement.strip():
                conn.exec_driver_sql(statement)
        # The ledger table #27 added since (its delta marks), which the migration below needs;
        # this test is about the keys of #30, so it is made as the model says.
        build_metadata(load_model()).tables["pm_marks"].create(conn)
        before = show_schema(conn)
    assert before["complaints"].primary_key == ("id",)
    assert project.migrate().failed_rows() == 0
    config = ["--config", str(project.path)]

    dry = runner.invoke(app, [*config, "schema", "upgrade", "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    planned = json.loads(dry.stdout)
    kinds = {(c["kind"], c["table"]) for c in planned["changes"]}
    assert ("extend primary key", "complaints") in kinds
    assert ("drop foreign key", "complaint_notes") in kinds
    assert planned["removals"] == [] and planned["applied"] is False
    with connection(project.target) as conn:
        assert show_schema(conn) == before  # a dry run changes nothing

    done = runner.invoke(app, [*config, "schema", "upgrade"])
    assert done.exit_code == 0, done.output
    with connection(project.target) as conn:
        assert show_schema(conn) == show_schema(None)
    again = runner.invoke(app, [*config, "schema", "upgrade"])
    assert again.exit_code == 0 and "nothing to do" in again.stdout

    verified = runner.invoke(app, [*config, "verify", "--allow-plaintext-target"])
    assert verified.exit_code == 0, verified.output
