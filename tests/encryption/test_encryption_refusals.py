"""Refusals and diagnoses: no keyring loaded (the shared session servers have none), and a MySQL
keyring lost while only tables were encrypted, where the server starts but cannot read them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import URL

from pseamigrate.encryption import require_encrypted_target
from pseamigrate.encryption.backup import key_errors_in_log, remove_key_files
from pseamigrate.encryption.commands import encryption_status
from pseamigrate.encryption.setup import SetupPlan, apply_setup, plan_setup
from pseamigrate.errors import RefusedForSafety
from pseamigrate.servers import running_server
from tests.encryption.enc_helpers import run_cli, sql, url_env


def _flat(output: str) -> str:
    return " ".join(output.split())


def test_enable_refuses_without_a_keyring(any_db: URL) -> None:
    for extra in ([], ["--sql"], ["--dry-run"]):
        result = run_cli(
            "encryption", "enable", *extra, "--url-env", "PSEA_TEST_URL", env=url_env(any_db)
        )
        assert result.exit_code == 4, extra
        assert "no keyring is loaded on this server" in _flat(result.stderr)


def test_status_fails_with_exit_3_without_a_keyring(any_db: URL) -> None:
    result = run_cli(
        "encryption", "status", "--json", "--url-env", "PSEA_TEST_URL", env=url_env(any_db)
    )
    assert result.exit_code == 3
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["keyring loaded"]["outcome"] == "FAIL"
    assert checks["keyring loaded"]["cis"] == "4.10"


def test_require_encrypted_target_refuses_a_server_without_keyring(any_db: URL) -> None:
    sql(any_db, "CREATE TABLE complaints (id INT PRIMARY KEY)")
    engine = create_engine(any_db)
    try:
        with engine.connect() as conn, pytest.raises(RefusedForSafety, match="no keyring loaded"):
            require_encrypted_target(conn, str(any_db.database))
    finally:
        engine.dispose()


def test_rotate_refuses_without_a_keyring(any_db: URL) -> None:
    result = run_cli("encryption", "rotate", "--url-env", "PSEA_TEST_URL", env=url_env(any_db))
    assert result.exit_code == 4 and "no key to rotate" in _flat(result.stderr)


def test_mysql_lost_keyring_with_only_tables_encrypted_is_explained(tmp_path: Path) -> None:
    with running_server("mysql", tmp_path / "mysql") as server:
        plan = plan_setup(server)  # keyring files only: redo, undo and mysql stay plaintext
        apply_setup(server, SetupPlan(plan.flavor, plan.files, "", {}))
        server.restart()
        sql(
            server.url(),
            "CREATE DATABASE d",
            "CREATE TABLE d.t (id INT PRIMARY KEY) ENCRYPTION='Y'",
            "INSERT INTO d.t VALUES (1)",
        )
        server.stop()
        remove_key_files(server)
        server.start()  # the component silently creates a new, empty keyring file
        report = encryption_status(server.url("d"))
    failed = {c.name: c.detail for c in report.failed}
    assert "holds no InnoDB master key" in failed["InnoDB master key"]
    assert failed["read d.t"].startswith("error 3185: the keyring holds no InnoDB master key")
    assert any("MY-012226" in line for line in key_errors_in_log(server))


def test_mariadb_with_only_the_plugin_enable_does_what_sql_can_and_names_the_rest(
    tmp_path: Path,
) -> None:
    with running_server("mariadb", tmp_path / "mariadb") as server:
        plan = plan_setup(server)
        plugin_only = {
            k: v for k, v in plan.options.items() if k.startswith(("plugin", "file_key"))
        }
        apply_setup(server, SetupPlan(plan.flavor, plan.files, "", plugin_only))
        server.restart()
        sql(server.url(), "CREATE DATABASE d", "CREATE TABLE d.t (id INT PRIMARY KEY) ENCRYPTED=NO")
        result = run_cli(
            "encryption", "enable", "--url-env", "PSEA_TEST_URL", env=url_env(server.url("d"))
        )
        report = encryption_status(server.url("d"))
    assert result.exit_code == 0, result.stderr
    out = _flat(result.stderr)
    for static in ("innodb_encrypt_log", "encrypt_tmp_files", "encrypt_binlog"):
        assert f"note: {static}=ON must be set in my.cnf" in out
    outcome = {c.name: c.outcome.value for c in report.checks}
    assert outcome["system tablespaces"] == "PASS"  # background threads were switched on
    assert outcome["tables in d"] == "PASS" and outcome["innodb_encrypt_tables"] == "PASS"
    assert outcome["innodb_encrypt_log"] == "FAIL"  # honest: only my.cnf + restart fixes it


def test_status_checks_the_project_files_target_by_default(any_db: URL, tmp_path: Path) -> None:
    config = tmp_path / "pseamigrate.yaml"
    config.write_text("target:\n  connection:\n    url_env: PSEA_TEST_URL\n")
    result = run_cli("--config", str(config), "encryption", "status", "--json", env=url_env(any_db))
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert report["schema"] == any_db.database and report["ok"] is False
    assert "PSEA_TEST_URL" not in result.stdout and "root@" not in result.stdout
