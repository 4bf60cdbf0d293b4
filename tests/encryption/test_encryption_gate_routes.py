"""The gate's last plaintext routes (issue #30 S5, S6), each proven by a canary in the raw files:
MariaDB's audit and SQL error log plugins and InnoDB's deadlock reports write statement text to
files, and binary logs written before binlog encryption keep row images in plaintext. `encryption
status` and the migration gate FAIL on each until it is switched off, on a volume named as
encrypted, or (binary logs) purged by `encryption purge-residual`.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from pseamigrate.encryption import require_encrypted_target
from pseamigrate.encryption.binlogs import file_encrypted, header_encrypted
from pseamigrate.encryption.commands import enable_encryption, encryption_status
from pseamigrate.encryption.proof import make_canary, scan
from pseamigrate.encryption.setup import apply_setup, plan_setup
from pseamigrate.errors import RefusedForSafety
from pseamigrate.servers import LocalServer, running_server
from tests.encryption.enc_helpers import run_cli, sql

DEADLOCK = 1213


def _gate(server: LocalServer, schema: str) -> None:
    engine = create_engine(server.url(schema))
    try:
        with engine.connect() as conn:
            require_encrypted_target(conn, schema)
    finally:
        engine.dispose()


def _scan_stopped(server: LocalServer, canary: str) -> set[str]:
    server.stop(slow=True)
    try:
        return {path.name for path in scan(server.basedir, canary)}
    finally:
        server.start()


def _deadlock(server: LocalServer, canary: str) -> None:
    """Make two transactions wait for each other's row: InnoDB kills one (error 1213)."""
    engine = create_engine(server.url("dl"))
    first, second = engine.connect(), engine.connect()
    try:
        first.execute(text(f"UPDATE t SET note = '{canary}-a' WHERE id = 1"))
        second.execute(text(f"UPDATE t SET note = '{canary}-b' WHERE id = 2"))
        waiting = threading.Thread(
            target=lambda: first.execute(text(f"UPDATE t SET note = '{canary}-c' WHERE id = 2"))
        )
        waiting.start()
        try:
            _until_waiting(server)
            with pytest.raises(DBAPIError) as killed:
                second.execute(text(f"UPDATE t SET note = '{canary}-d' WHERE id = 1"))
            assert killed.value.orig is not None and killed.value.orig.args[0] == DEADLOCK
        finally:
            waiting.join(30)
        first.commit()
    finally:
        first.close()
        second.close()
        engine.dispose()


def _until_waiting(server: LocalServer) -> None:
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        rows = sql(server.url(), "SELECT COUNT(*) FROM information_schema.INNODB_LOCK_WAITS")
        if rows[0][0]:
            return
        time.sleep(0.05)
    raise AssertionError("the first transaction never waited")


def test_mariadb_audit_and_error_logs_and_deadlock_reports_fail_the_gate_until_off(
    disk_path: Path,
) -> None:
    with running_server("mariadb", disk_path / "mariadb") as server:
        apply_setup(server, plan_setup(server))
        server.restart()
        enable_encryption(server.url(), purge_binlogs=True)
        sql(
            server.url(),
            "INSTALL SONAME 'server_audit'",
            "INSTALL SONAME 'sql_errlog'",
            "SET GLOBAL server_audit_logging = ON",
            "SET GLOBAL innodb_print_all_deadlocks = ON",
            "CREATE DATABASE dl",
            "CREATE TABLE dl.t (id INT PRIMARY KEY, note VARCHAR(200))",
            "INSERT INTO dl.t VALUES (1, 'one'), (2, 'two')",
        )
        canary = make_canary("logged")
        _deadlock(server, canary)
        with pytest.raises(DBAPIError):  # a failed statement: sql_errlog keeps its text
            sql(server.url(), f"INSERT INTO dl.t VALUES (1, '{canary}-dup')")

        routes = {"audit log", "SQL error log", "deadlock reports"}
        report = encryption_status(server.url("dl"))
        assert {c.name for c in report.failed} == routes, report.failed
        with pytest.raises(RefusedForSafety, match="audit log, SQL error log, deadlock reports"):
            _gate(server, "dl")
        named = encryption_status(server.url("dl"), volumes=[str(server.basedir)])
        assert not named.failed, named.failed
        assert all(
            "named as an encrypted volume" in c.detail for c in named.checks if c.name in routes
        )

        found = _scan_stopped(server, canary)
        assert {"server_audit.log", "sql_errors.log", "mysqld.log"} <= found, found
        # SET GLOBAL did not survive the restart: only the plugin sql_errlog is left
        assert {c.name for c in encryption_status(server.url("dl")).failed} == {"SQL error log"}
        sql(server.url(), "UNINSTALL SONAME 'sql_errlog'")
        later = encryption_status(server.url("dl"))
        assert not later.failed, later.failed
        outcomes = {c.name: c.outcome.value for c in later.checks if c.name in routes}
        assert outcomes == {"audit log": "PASS", "deadlock reports": "PASS"}
        sql(server.url(), "SET GLOBAL innodb_status_output = ON")  # its monitor: latest deadlock
        monitor = encryption_status(server.url("dl"))
        assert {c.name for c in monitor.failed} == {"deadlock reports"}, monitor.failed


@pytest.mark.parametrize("flavor", ["mysql", "mariadb"])
def test_binlogs_written_before_encryption_fail_the_gate_until_purge_residual(
    flavor: str, tmp_path: Path
) -> None:
    canary = make_canary("binlog")
    basedir = tmp_path / flavor
    options = {"log-bin": "binlog"} if flavor == "mariadb" else {}
    with running_server(flavor, basedir, options) as server:  # type: ignore[arg-type]
        sql(
            server.url(),
            "CREATE DATABASE late",
            "CREATE TABLE late.t (id INT PRIMARY KEY, note VARCHAR(200))",
            f"INSERT INTO late.t VALUES (1, '{canary}')",
        )
        apply_setup(server, plan_setup(server))
        server.restart()  # binlog encryption on from here: binlog.000002 on
        enable_encryption(server.url("late"))

        assert file_encrypted(server.datadir / "binlog.000001") is False
        assert file_encrypted(server.datadir / "binlog.000002") is True
        report = encryption_status(server.url("late"))
        failed = {c.name: c.detail for c in report.failed}
        assert list(failed) == ["binary log files"], failed
        assert "binlog.000001" in failed["binary log files"]
        assert "binlog.000002" not in failed["binary log files"]
        with pytest.raises(RefusedForSafety, match="binary log files"):
            _gate(server, "late")
        assert "binlog.000001" in _scan_stopped(server, canary)

        args = ["encryption", "purge-residual", "--basedir", str(basedir), "--schema", "late"]
        dry = run_cli(*args, "--dry-run")
        assert dry.exit_code == 0, dry.stderr
        assert "plaintext now: binlog.000001\n" in dry.stdout
        assert (server.datadir / "binlog.000001").exists()
        purged = run_cli(*args)
        assert purged.exit_code == 0, purged.stderr
        assert "purged binary logs: binlog.000001, " in purged.stderr
        assert server.process is not None and server.process.wait(60) == 0
        server.start()  # the operator's restart

        assert not encryption_status(server.url("late")).failed
        _gate(server, "late")
        assert _scan_stopped(server, canary) == set()


def test_the_binlog_header_tells_encrypted_from_plain() -> None:
    event = bytes(9) + (30).to_bytes(4, "little") + bytes(17)  # a 30-byte description event
    assert header_encrypted(b"\xfdbin" + bytes(40)) is True  # MySQL's encrypted magic
    assert header_encrypted(b"\xfebin" + event + bytes(4) + bytes([164])) is True  # MariaDB
    assert header_encrypted(b"\xfebin" + event + bytes(4) + bytes([163])) is False
    assert header_encrypted(b"\xfebin" + event) is False  # nothing follows the description
    assert header_encrypted(b"GIF89a") is None
