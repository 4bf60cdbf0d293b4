"""Encryption at rest on real MySQL 9.7 and MariaDB servers: setup -> restart -> enable -> status,
the proof on disk, key loss and restore from a tested backup, and rotation.

Each flavor gets its own server for this module (`enc_server`), restarted and reconfigured freely.
Every test passes alone and in any order: what a test needs (the `psea` schema, the `proof_enc`
rows, one key rotation) comes from the fixtures below, and a test that breaks the server on purpose
(lost keys, an old key backup) is healed by `keys_kept` even when it fails.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import URL

from pseamigrate.encryption import require_encrypted_target
from pseamigrate.encryption.backup import (
    backup_keys,
    key_errors_in_log,
    new_mariadb_key,
    remove_key_files,
    restore_keys,
    verify_key_backup,
)
from pseamigrate.encryption.base import Statement
from pseamigrate.encryption.commands import enable_encryption, encryption_status, rotate_keys
from pseamigrate.encryption.proof import make_canary, scan
from pseamigrate.encryption.setup import key_files
from pseamigrate.errors import RefusedForSafety, ServerError
from pseamigrate.servers import LocalServer
from tests.encryption.enc_helpers import PLAIN_OPTION, PLAIN_SCHEMA, run_cli, sql, url_env

ROWS = 50


def _fill(server: LocalServer, schema: str, table: str, canary: str, plain: bool) -> None:
    option = PLAIN_OPTION[server.flavor] if plain else ""
    sql(
        server.url(),
        f"CREATE DATABASE IF NOT EXISTS {schema}{PLAIN_SCHEMA[server.flavor] if plain else ''}",
        f"CREATE TABLE {schema}.{table} (id INT PRIMARY KEY, note VARCHAR(200)) {option}",
        *(f"INSERT INTO {schema}.{table} VALUES ({i}, '{canary}-{i}')" for i in range(ROWS)),
    )


def _flat(output: str) -> str:
    return " ".join(output.split())  # rich wraps long lines


def _count(server: LocalServer, schema: str, table: str) -> int:
    return int(sql(server.url(), f"SELECT COUNT(*) FROM {schema}.{table}")[0][0])


@pytest.fixture
def psea(enc_server: LocalServer) -> URL:
    """Ensure the encrypted `psea` schema with its `cases` table exists; return its URL."""
    sql(
        enc_server.url(),
        "CREATE DATABASE IF NOT EXISTS psea",
        "CREATE TABLE IF NOT EXISTS psea.cases (id INT PRIMARY KEY, status VARCHAR(20))",
    )
    return enc_server.url("psea")


@pytest.fixture(scope="module")
def proof_enc(enc_server: LocalServer) -> str:
    """Create the encrypted table proof_enc.t with ROWS rows, once per server; return its canary."""
    secret = make_canary("encrypted")
    _fill(enc_server, "proof_enc", "t", secret, plain=False)
    return secret


@dataclass(frozen=True)
class Rotation:
    """What the one key rotation of this module's server left: the keys from before it."""

    pre_rotation_keys: Path
    new_key_id: int | None  # MariaDB only: the key id added to the key file
    plan: list[Statement]


@pytest.fixture(scope="module")
def rotated(enc_server: LocalServer, proof_enc: str) -> Rotation:
    """Back up the keys, then rotate once per server (MariaDB: a new key id, restart, re-key)."""
    before = enc_server.basedir / "pre-rotation-keys"
    backup_keys(enc_server, before)
    new_id = None
    if enc_server.flavor == "mariadb":
        new_id = new_mariadb_key(enc_server)
        enc_server.restart()
    return Rotation(before, new_id, rotate_keys(enc_server.url("proof_enc")))


def _key_bytes(server: LocalServer) -> dict[Path, bytes | None]:
    return {path: path.read_bytes() if path.exists() else None for path in key_files(server)}


@pytest.fixture
def keys_kept(enc_server: LocalServer, tmp_path: Path) -> Iterator[None]:
    """Leave the server running on its current keys after the test, even when the test fails.

    Module-scoped fixtures (a rotation) run before this one, so the keys kept are the latest.
    """
    kept = tmp_path / "known-good-keys"
    backup_keys(enc_server, kept)
    good = _key_bytes(enc_server)
    try:
        yield
    finally:
        if enc_server.process is None or _key_bytes(enc_server) != good:
            enc_server.stop()
            restore_keys(enc_server, kept)
            enc_server.start()


def test_fresh_server_setup_restart_enable_gives_all_pass(
    enc_server: LocalServer, psea: URL
) -> None:
    result = run_cli(
        "encryption", "status", "--url-env", "PSEA_TEST_URL", "--json", env=url_env(psea)
    )
    report = json.loads(result.stdout)
    failing = [c for c in report["checks"] if c["outcome"] != "PASS"]
    assert result.exit_code == 0, failing
    assert report["flavor"] == enc_server.flavor and report["ok"] is True
    names = {c["name"] for c in report["checks"]}
    assert {
        "keyring loaded",
        "tables in psea",
        "key file" if enc_server.flavor == "mariadb" else "keyring file",
    } <= names
    cis = {c["cis"] for c in report["checks"]}
    assert {"2.2.1", "3.10", "4.10"} <= cis
    assert all(c["outcome"] == "PASS" for c in report["checks"]), failing


def test_require_encrypted_target_checks_that_new_tables_will_be_encrypted(
    enc_server: LocalServer,
) -> None:
    sql(enc_server.url(), f"CREATE DATABASE empty_target{PLAIN_SCHEMA[enc_server.flavor]}")
    engine = create_engine(enc_server.url("empty_target"))
    try:
        with engine.connect() as conn:
            if enc_server.flavor == "mysql":  # the schema default decides for new tables
                with pytest.raises(RefusedForSafety, match="empty_target default encryption"):
                    require_encrypted_target(conn, "empty_target")
            else:  # innodb_encrypt_tables=ON (from setup) covers every new table
                require_encrypted_target(conn, "empty_target")
    finally:
        engine.dispose()
    enable_encryption(enc_server.url("empty_target"))
    engine = create_engine(enc_server.url("empty_target"))
    try:
        with engine.connect() as conn:
            require_encrypted_target(conn, "empty_target")
    finally:
        engine.dispose()


def test_key_files_are_owner_only(enc_server: LocalServer) -> None:
    keys = enc_server.basedir / "keys"
    assert keys.stat().st_mode & 0o777 == 0o700
    files = list(keys.iterdir())
    assert files and all(path.stat().st_mode & 0o777 == 0o600 for path in files)


@pytest.mark.usefixtures("psea")
def test_a_key_file_readable_by_others_fails_status_and_the_gate_until_setup_fixes_it(
    enc_server: LocalServer,
) -> None:
    key = key_files(enc_server)[0]
    check = "keyring file" if enc_server.flavor == "mysql" else "key file"
    key.chmod(0o644)
    try:
        report = encryption_status(enc_server.url("psea"))
        failed = {c.name: c.detail for c in report.failed}
        assert list(failed) == [check] and "mode 0644" in failed[check], failed
        engine = create_engine(enc_server.url("psea"))
        try:
            with engine.connect() as conn, pytest.raises(RefusedForSafety, match=check):
                require_encrypted_target(conn, "psea")
        finally:
            engine.dispose()
        fixed = run_cli("encryption", "setup", "--basedir", str(enc_server.basedir))
        assert fixed.exit_code == 0, fixed.stderr
        assert f"kept existing {key}, mode fixed from 0644 to 0600" in _flat(fixed.stderr)
        assert not encryption_status(enc_server.url("psea")).failed
    finally:
        key.chmod(0o600)


def test_enable_is_idempotent(psea: URL) -> None:
    plan = enable_encryption(psea, dry_run=True)
    assert plan.statements == []
    result = run_cli("encryption", "enable", "--url-env", "PSEA_TEST_URL", env=url_env(psea))
    assert result.exit_code == 0 and "done: 0 statements run" in result.stderr


def test_plaintext_table_fails_status_refuses_migration_until_enabled(
    enc_server: LocalServer,
) -> None:
    _fill(enc_server, "legacy", "old_cases", make_canary("legacy"), plain=True)
    url = enc_server.url("legacy")
    result = run_cli("encryption", "status", "--url-env", "PSEA_TEST_URL", env=url_env(url))
    assert result.exit_code == 3
    assert "encryption checks failed" in result.stderr and "table legacy.old_cases" in result.stderr
    engine = create_engine(url)
    try:
        with engine.connect() as conn, pytest.raises(RefusedForSafety, match="old_cases"):
            require_encrypted_target(conn, "legacy")
    finally:
        engine.dispose()
    shown = run_cli("encryption", "enable", "--sql", "--url-env", "PSEA_TEST_URL", env=url_env(url))
    assert shown.exit_code == 0 and "old_cases` ENCRYPTION" in shown.stdout.replace(
        "ED = YES", "ION"
    )
    done = run_cli("encryption", "enable", "--url-env", "PSEA_TEST_URL", env=url_env(url))
    assert done.exit_code == 0 and "table legacy.old_cases" in done.stderr
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            require_encrypted_target(conn, "legacy")  # no longer raises
    finally:
        engine.dispose()
    report = encryption_status(url)
    assert not report.failed
    residual = next(c for c in report.checks if c.name == "residual plaintext")
    assert residual.outcome.value == "WARN" and "old_cases" in residual.detail
    assert _count(enc_server, "legacy", "old_cases") == ROWS


def test_a_myisam_table_is_reported_not_silently_skipped(enc_server: LocalServer) -> None:
    sql(
        enc_server.url(),
        f"CREATE DATABASE myisam_target{PLAIN_SCHEMA[enc_server.flavor]}",
        "CREATE TABLE myisam_target.legacy_log (id INT PRIMARY KEY) ENGINE=MyISAM",
    )
    url = enc_server.url("myisam_target")
    try:
        plan = enable_encryption(url)
        assert not any("legacy_log" in step.sql for step in plan.statements)
        assert any("myisam_target.legacy_log (MyISAM) cannot be encrypted" in n for n in plan.notes)
        report = encryption_status(url)
        assert [c.name for c in report.failed] == [
            "tables in myisam_target",
            "table myisam_target.legacy_log",
        ]
    finally:
        sql(enc_server.url(), "DROP DATABASE myisam_target")


def test_canary_is_on_disk_for_plaintext_and_absent_for_encrypted(
    enc_server: LocalServer, proof_enc: str
) -> None:
    plain, secret = make_canary("plain"), proof_enc
    _fill(enc_server, "proof_plain", "t", plain, plain=True)
    enc_server.stop(slow=True)  # every page and log record on disk
    try:
        found_plain = scan(enc_server.basedir, plain)
        found_secret = scan(enc_server.basedir, secret)
    finally:
        enc_server.start()
    assert Path("data/proof_plain/t.ibd") in found_plain
    assert found_secret == []  # not in .ibd, redo, undo, doublewrite, binlog, temp files
    # the proof could fail: a binary log exists and holds the plaintext table's rows
    assert list(enc_server.datadir.glob("binlog.0*")), "no binary log to search"


@pytest.mark.usefixtures("proof_enc", "keys_kept")
def test_lost_keys_stop_the_server_and_a_tested_backup_restores_them(
    enc_server: LocalServer, tmp_path: Path
) -> None:
    backup = tmp_path / "key-backup"
    args = ("encryption", "backup-key", str(backup), "--basedir", str(enc_server.basedir))
    refused = run_cli(*args)  # the CLI does not own this server: it will not copy a live datadir
    assert refused.exit_code == 4 and "is running: stop it to verify" in _flat(refused.stderr)
    enc_server.stop()
    result = run_cli(*args)
    enc_server.start()
    assert result.exit_code == 0, result.stderr
    assert "verified: the backup opened" in result.stdout
    assert all(path.stat().st_mode & 0o777 == 0o600 for path in backup.iterdir())
    assert backup.stat().st_mode & 0o777 == 0o700
    enc_server.stop()
    remove_key_files(enc_server)
    with pytest.raises(ServerError) as lost:
        enc_server.start()
    why = "\n".join(key_errors_in_log(enc_server))
    if enc_server.flavor == "mysql":
        assert "Cannot read the encryption information in log file header" in str(lost.value)
        assert "[MY-013066]" in why
    else:
        assert "keyfile.key' not found" in why
        assert "encryption plugin is not available" in why
    restore_keys(enc_server, backup)
    enc_server.start()
    assert _count(enc_server, "proof_enc", "t") == ROWS
    assert not encryption_status(enc_server.url("proof_enc")).failed


def test_rotation_keeps_rows_readable_and_shows_the_new_key(
    enc_server: LocalServer, rotated: Rotation
) -> None:
    url = enc_server.url("proof_enc")
    if enc_server.flavor == "mariadb":
        assert rotated.new_key_id == 3
    assert rotated.plan
    report = encryption_status(url)
    assert not report.failed
    if enc_server.flavor == "mysql":
        key = next(c for c in report.checks if c.name == "InnoDB master key")
        assert key.detail.startswith("version 2 ")
    else:
        key = next(c for c in report.checks if c.name == "encryption key id")
        assert key.detail == "default 3; proof_enc uses key id 3"
    assert _count(enc_server, "proof_enc", "t") == ROWS


@pytest.mark.usefixtures("psea", "keys_kept")  # psea.cases: a second encrypted table to verify
def test_a_backup_from_before_rotation_no_longer_opens_the_data(
    enc_server: LocalServer, rotated: Rotation, tmp_path: Path
) -> None:
    fresh = tmp_path / "after-rotation"
    backup_keys(enc_server, fresh)
    enc_server.stop()
    restore_keys(enc_server, rotated.pre_rotation_keys)
    if enc_server.flavor == "mysql":
        # The old keyring lacks the new master key, which the mysql tablespace and redo now use.
        with pytest.raises(ServerError, match="MY-0"):
            enc_server.start()
    else:
        # The old key file lacks key id 3: the server starts, the rotated table cannot be read.
        enc_server.start()
        report = encryption_status(enc_server.url("proof_enc"))
        unreadable = [c for c in report.failed if c.name == "read proof_enc.t"]
        assert unreadable and "error 1877" in unreadable[0].detail
        assert "missing from the key file" in unreadable[0].detail
        enc_server.stop()
    restore_keys(enc_server, fresh)
    assert verify_key_backup(enc_server, fresh, tmp_path / "scratch") >= 2
    enc_server.start()
    assert _count(enc_server, "proof_enc", "t") == ROWS
