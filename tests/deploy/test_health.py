"""`pseamigrate health` (#11): Nagios exit codes on a real encrypted target, per flavor.

0 on a healthy target; 2 when a key file is readable by others or a table is unencrypted, or
the target cannot be reached; 1 when the last backup is older than its threshold.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL

from pseamigrate.db import connection
from pseamigrate.encryption.commands import backup_key, rotate_keys
from pseamigrate.encryption.keyrecord import RECORD_NAME
from pseamigrate.encryption.setup import MARIADB_KEY_FILE, MYSQL_KEYRING, key_files
from pseamigrate.servers import LocalServer
from pseamigrate.servers.instance import free_port
from pseamigrate.target.commands import create_schema
from tests.country.helpers import cli


@pytest.fixture(scope="module")
def healthy(enc_server: LocalServer, tmp_path_factory: pytest.TempPathFactory) -> URL:
    """An encrypted target with the schema, one tenant and one finished migration run."""
    with connection(enc_server.url(), begin=True) as conn:
        conn.execute(text("CREATE DATABASE IF NOT EXISTS health_target"))
    url = enc_server.url("health_target")
    with connection(url) as conn:
        create_schema(conn)
    with connection(url, begin=True) as conn:
        conn.execute(text("INSERT INTO tenants (code, name, created_at) VALUES ('iq', 'I', NOW())"))
        conn.execute(
            text(
                "INSERT INTO pm_runs (tenant_id, mode, started_at, finished_at, status) "
                "SELECT id, 'run', NOW() - INTERVAL 3 HOUR, NOW() - INTERVAL 2 HOUR, 'done' "
                "FROM tenants"
            )
        )
    # A key backup of today's keys (unverified: that needs the server stopped), recorded.
    backup_key(enc_server.basedir, tmp_path_factory.mktemp("keys") / "k", verify=False)
    return url


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    """A backup marker touched just now."""
    path = tmp_path / "last-backup"
    path.write_text("backup\n")
    return path


def _health(
    monkeypatch: pytest.MonkeyPatch, url: URL, server: LocalServer, marker: Path, *extra: str
) -> tuple[int, str, str]:
    args = ["health", "--basedir", str(server.basedir), "--backup-marker", str(marker), *extra]
    return cli(monkeypatch, url, *args)


def test_healthy_target_is_ok_with_metrics(
    healthy: URL,
    enc_server: LocalServer,
    marker: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prom = tmp_path / "psea.prom"
    code, out, err = _health(monkeypatch, healthy, enc_server, marker, "--prometheus", str(prom))
    assert out.splitlines()[0].startswith("PSEAMIGRATE OK - "), out
    assert code == 0, out + err
    assert "PASS encryption: keyring loaded" in out and "PASS last migration run iq" in out
    assert "PASS key backup: 0.0 h ago, not verified by a scratch restore" in out
    metrics = prom.read_text()
    assert "pseamigrate_health_status 0\n" in metrics and "pseamigrate_up 1\n" in metrics
    assert 'pseamigrate_last_run_timestamp_seconds{tenant="iq"}' in metrics
    assert f"pseamigrate_last_backup_timestamp_seconds {marker.stat().st_mtime!r}\n" in metrics
    assert "pseamigrate_key_backup_current 1\n" in metrics
    # every family has its HELP and TYPE once, HELP first (issue #24 item 7)
    families = [line.split()[2] for line in metrics.splitlines() if line.startswith("# TYPE ")]
    helped = [line.split()[2] for line in metrics.splitlines() if line.startswith("# HELP ")]
    assert families == helped and len(families) == len(set(families)) >= 7
    assert "age_seconds" not in metrics  # times are timestamps, the Prometheus convention

    code, out, _err = _health(monkeypatch, healthy, enc_server, marker, "--json")
    document = json.loads(out)
    assert code == 0 and document["status"] == "OK" and document["exit_code"] == 0
    assert any(c["name"] == "free disk in datadir" for c in document["checks"])


@pytest.fixture
def readable_key(enc_server: LocalServer) -> Iterator[Path]:
    """Make the server's first key file readable by others; put its mode back afterwards."""
    path = key_files(enc_server)[0]
    mode = os.stat(path).st_mode
    path.chmod(0o644)
    yield path
    path.chmod(mode)


def test_key_file_readable_by_others_is_critical(
    healthy: URL,
    enc_server: LocalServer,
    marker: Path,
    readable_key: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, _err = _health(monkeypatch, healthy, enc_server, marker)
    assert code == 2
    assert out.startswith("PSEAMIGRATE CRITICAL - ")
    assert f"FAIL key file {readable_key.name}" in out


@pytest.fixture
def plain_table(healthy: URL, enc_server: LocalServer) -> Iterator[None]:
    """An unencrypted table in the target, dropped afterwards."""
    option = "ENCRYPTION='N'" if enc_server.flavor == "mysql" else "ENCRYPTED=NO"
    with connection(healthy, begin=True) as conn:
        conn.execute(text(f"CREATE TABLE plain_notes (id INT PRIMARY KEY) {option}"))
    yield
    with connection(healthy, begin=True) as conn:
        conn.execute(text("DROP TABLE plain_notes"))


def test_unencrypted_table_is_critical(
    healthy: URL,
    enc_server: LocalServer,
    marker: Path,
    plain_table: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, _err = _health(monkeypatch, healthy, enc_server, marker)
    assert code == 2
    assert "FAIL encryption: table health_target.plain_notes" in out


def test_old_backup_is_a_warning(
    healthy: URL, enc_server: LocalServer, marker: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = time.time() - 30 * 3600
    os.utime(marker, (old, old))
    code, out, _err = _health(monkeypatch, healthy, enc_server, marker)
    assert code == 1, out
    assert out.startswith("PSEAMIGRATE WARNING - 1 of ") and "last backup" in out.splitlines()[0]
    code, _out, _err = _health(
        monkeypatch, healthy, enc_server, marker, "--backup-warn-hours", "48"
    )
    assert code == 0


def test_late_or_failed_migration_run_is_a_warning(
    healthy: URL, enc_server: LocalServer, marker: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _err = _health(monkeypatch, healthy, enc_server, marker, "--run-warn-hours", "1")
    assert code == 1 and "WARN last migration run iq: 2.0 h ago, done" in out
    with connection(healthy, begin=True) as conn:
        conn.execute(
            text(
                "INSERT INTO pm_runs (tenant_id, mode, started_at, finished_at, status) "
                "SELECT id, 'run', NOW(), NOW(), 'failed' FROM tenants"
            )
        )
    try:
        code, out, _err = _health(monkeypatch, healthy, enc_server, marker)
        assert code == 1 and "WARN last migration run iq: 0.0 h ago, failed" in out
    finally:
        with connection(healthy, begin=True) as conn:
            conn.execute(text("DELETE FROM pm_runs WHERE status = 'failed'"))


def test_unreachable_target_is_critical_and_quick(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = URL.create("mysql+pymysql", username="root", host="127.0.0.1", port=free_port())
    started = time.monotonic()
    code, out, _err = cli(monkeypatch, url, "health", "--backup-marker", str(tmp_path / "none"))
    assert code == 2
    assert out.startswith("PSEAMIGRATE CRITICAL - 1 of 1 checks not OK: reachable")
    assert time.monotonic() - started < 30


def test_no_target_configured_is_unknown(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PSEAMIGRATE_CONFIG", raising=False)
    code, out, _err = cli(monkeypatch, None, "health")
    assert code == 3 and out.startswith("PSEAMIGRATE UNKNOWN - no project file")


def test_perfdata_has_units_and_the_thresholds_in_force(
    healthy: URL, enc_server: LocalServer, marker: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _err = _health(monkeypatch, healthy, enc_server, marker)
    perf = dict(item.split("=", 1) for item in out.splitlines()[0].split(" | ")[1].split())
    assert code == 0 and perf["critical"] == "0;;;0" and perf["warning"] == "0;;;0"
    assert perf["backup_age"].endswith("s;93600;259200;0")
    assert perf["datadir_free"].endswith("%;15:;5:;0;100")
    assert perf["run_age_iq"].startswith("72") and perf["run_age_iq"].endswith("s;;;0")
    assert perf["key_backup_age"].endswith("s;;;0")
    extra = (
        "--warning",
        "backup_age=0h",
        "--critical",
        "run_age=1h",
        "--warning",
        "datadir_free=101%",
    )
    code, out, _err = _health(monkeypatch, healthy, enc_server, marker, *extra)
    perf = dict(item.split("=", 1) for item in out.splitlines()[0].split(" | ")[1].split())
    assert code == 2, out  # the run is 2 h old: over the critical 1 h
    assert perf["backup_age"].endswith("s;0;259200;0") and ";3600;0" in perf["run_age_iq"]
    assert "FAIL last migration run iq" in out and "WARN free disk in datadir" in out


def test_a_bad_threshold_is_unknown(
    healthy: URL, enc_server: LocalServer, marker: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _err = _health(monkeypatch, healthy, enc_server, marker, "--warning", "disk=3")
    assert code == 3 and out.startswith(
        "PSEAMIGRATE UNKNOWN - --warning: 'disk' is not a threshold"
    )
    code, out, _err = _health(monkeypatch, healthy, enc_server, marker, "--critical", "run_age=x")
    assert code == 3 and "give NAME=NUMBERh" in out


def test_keys_rotated_after_the_last_key_backup_warn_until_backed_up(
    healthy: URL,
    enc_server: LocalServer,
    marker: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    record = enc_server.basedir / RECORD_NAME
    kept = record.read_bytes()
    record.unlink()
    code, out, _err = _health(monkeypatch, healthy, enc_server, marker)
    assert code == 1 and "WARN key backup: no key backup recorded" in out
    record.write_bytes(kept)
    if enc_server.flavor == "mysql":
        rotate_keys(healthy)  # a new master key in the keyring file
        changed = MYSQL_KEYRING
    else:
        code, out, _err = cli(
            monkeypatch, None, "encryption", "rotate", "--basedir", str(enc_server.basedir)
        )
        assert code == 0, out  # a new key id in the key file (used after a restart)
        changed = MARIADB_KEY_FILE
    code, out, _err = _health(monkeypatch, healthy, enc_server, marker)
    assert code == 1 and "WARN key backup: keys changed after the last key backup (" in out
    assert changed in out.split("WARN key backup:")[1].splitlines()[0]
    backup_key(enc_server.basedir, tmp_path / "after-rotation", verify=False)
    code, out, _err = _health(monkeypatch, healthy, enc_server, marker)
    assert code == 0 and "PASS key backup" in out, out
