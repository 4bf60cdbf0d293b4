"""What reaches disk outside the encrypted tablespaces (issue #15 items 1 and 7): each new check
of `encryption status` is proven by a canary search of the raw files, first where the check FAILs
(the canary is there) and then after `setup` wrote the settings that make it PASS (it is not).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from pseamigrate.encryption import require_encrypted_target
from pseamigrate.encryption.commands import enable_encryption, encryption_status
from pseamigrate.encryption.proof import make_canary, scan
from pseamigrate.encryption.setup import SetupPlan, apply_setup, plan_setup
from pseamigrate.errors import RefusedForSafety
from pseamigrate.servers import LocalServer, running_server
from tests.encryption.enc_helpers import run_cli, sql, url_env

# 300 distinct ~3 KB TEXT values: a GROUP BY on them needs an on-disk (Aria) temporary table
# bigger than the 128 KB Aria page cache below, so its pages really reach the file.
GROUPS = 300
SPILL = "SELECT note, COUNT(*) FROM spill.t GROUP BY note HAVING SLEEP(0.01) = 0"


def _fill_text(server: LocalServer, canary: str) -> None:
    sql(
        server.url(),
        "CREATE DATABASE IF NOT EXISTS spill",
        "CREATE TABLE IF NOT EXISTS spill.t (id INT PRIMARY KEY, note TEXT)",
        f"INSERT INTO spill.t SELECT seq, CONCAT('{canary}-', seq % {GROUPS}, REPEAT('y', 3000)) "
        "FROM spill.seq_1_to_900",  # MariaDB's SEQUENCE engine
    )


def _spill_and_scan(server: LocalServer, tmpdir: Path, canary: str) -> tuple[list[str], list[Path]]:
    """Run the GROUP BY in a thread; while its temporary table exists, scan the basedir."""
    engine = create_engine(server.url())
    query = threading.Thread(target=lambda: _run(engine))
    query.start()
    try:
        deadline, seen = time.monotonic() + 20, []
        while not seen and time.monotonic() < deadline:
            seen = [p.name for p in tmpdir.glob("#sql*")]
            time.sleep(0.05)
        time.sleep(0.5)  # let the table fill past the page cache
        return seen, scan(server.basedir, canary)
    finally:
        query.join()
        engine.dispose()


def _run(engine: object) -> None:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        conn.execute(text(SPILL)).all()


def _gate(server: LocalServer, schema: str) -> None:
    engine = create_engine(server.url(schema))
    try:
        with engine.connect() as conn:
            require_encrypted_target(conn, schema)
    finally:
        engine.dispose()


def test_mariadb_temporary_table_on_disk_is_plaintext_until_tmpdir_is_on_tmpfs(
    disk_path: Path,
) -> None:
    options = {"aria_pagecache_buffer_size": "131072"}
    with running_server("mariadb", disk_path / "mariadb", options) as server:
        apply_setup(server, plan_setup(server, tmpdir=False))  # everything but tmpdir
        server.restart()
        enable_encryption(server.url())
        canary = make_canary("spill")
        _fill_text(server, canary)
        report = encryption_status(server.url("spill"))
        failed = {c.name: c.detail for c in report.failed}
        assert list(failed) == ["temporary files"], failed
        assert "Aria temporary tables" in failed["temporary files"]
        encrypt_tmp = next(c for c in report.checks if c.name == "encrypt_tmp_disk_tables")
        assert encrypt_tmp.outcome.value == "PASS"  # ON, and still not enough:
        seen, found = _spill_and_scan(server, server.basedir / "tmp", canary)
        assert any(name.endswith(".MAD") for name in seen), seen
        assert any(p.parent.name == "tmp" and p.suffix == ".MAD" for p in found), found
        with pytest.raises(RefusedForSafety, match="temporary files"):
            _gate(server, "spill")

        plan = plan_setup(server)  # the default: a private tmpfs directory
        assert plan.tmpdir is not None and str(plan.tmpdir).startswith("/dev/shm/")
        apply_setup(server, plan)
        server.restart()
        assert not encryption_status(server.url("spill")).failed
        _gate(server, "spill")
        seen, found = _spill_and_scan(server, plan.tmpdir, canary)
        assert any(name.endswith(".MAD") for name in seen), seen  # it spilled: into memory
        assert found == [], found


# 3,000 rows of ~3 KB in a user temporary table, then an UPDATE (undo in ibtmp1): with an 8 MB
# buffer pool its pages must reach the temporary tablespace files.
TEMP_FILL = (
    "INSERT INTO tt SELECT a.n * 100 + b.n, CONCAT('{canary}', REPEAT('z', 3000)) FROM "
    "(SELECT ROW_NUMBER() OVER () AS n FROM information_schema.COLUMNS LIMIT 30) a, "
    "(SELECT ROW_NUMBER() OVER () AS n FROM information_schema.COLUMNS LIMIT 100) b"
)


def _temp_table_scan(server: LocalServer, canary: str) -> list[Path]:
    """Fill a user temporary table and scan the server directory while the session holds it."""
    engine = create_engine(server.url())
    try:
        with engine.connect() as conn:
            conn.execute(text("CREATE DATABASE IF NOT EXISTS tmpproof"))
            conn.execute(text("USE tmpproof"))
            conn.execute(text("CREATE TEMPORARY TABLE tt (id INT PRIMARY KEY, note TEXT)"))
            conn.execute(text("BEGIN"))
            conn.execute(text(TEMP_FILL.format(canary=canary)))
            conn.execute(text("UPDATE tt SET note = CONCAT('x', note)"))
            time.sleep(1)
            found = scan(server.basedir, canary)
            conn.execute(text("ROLLBACK"))
            return found
    finally:
        engine.dispose()


def test_mysql_temporary_tablespaces_are_plaintext_until_they_are_on_tmpfs(
    disk_path: Path,
) -> None:
    with running_server("mysql", disk_path / "mysql", {"innodb_buffer_pool_size": "8M"}) as server:
        apply_setup(server, plan_setup(server, tmpdir=False))
        server.restart()
        enable_encryption(server.url(), purge_binlogs=True)  # binlog.000001 predates encryption
        report = encryption_status(server.url())
        failed = {c.name: c.detail for c in report.failed}
        assert list(failed) == ["temporary files", "temporary tablespaces"], failed
        found = {
            p.name if p.parent.name != "#innodb_temp" else "#innodb_temp"
            for p in _temp_table_scan(server, make_canary("temp"))
        }
        assert {"ibtmp1", "#innodb_temp"} <= found, found  # MySQL 9.7 encrypts neither

        plan = plan_setup(server)
        apply_setup(server, plan)
        server.restart()
        assert not encryption_status(server.url()).failed
        assert _temp_table_scan(server, make_canary("temp")) == []
        assert plan.tmpdir is not None and (plan.tmpdir / "ibtmp1").exists()  # in memory


@pytest.mark.parametrize("flavor", ["mysql", "mariadb"])
def test_query_logs_are_plaintext_until_setup_turns_them_off(flavor: str, disk_path: Path) -> None:
    logs_on = {
        "general_log": "ON",
        "slow_query_log": "ON",
        "long_query_time": "0",
        "log_output": "FILE,TABLE",
    }
    with running_server(flavor, disk_path / flavor, {"log-bin": "binlog"}) as server:  # type: ignore[arg-type]
        plan = plan_setup(server)
        options = {**plan.options, **logs_on}
        apply_setup(server, SetupPlan(plan.flavor, plan.files, "", options, plan.tmpdir))
        server.restart()
        enable_encryption(server.url(), purge_binlogs=True)
        canary = make_canary("logged")
        sql(
            server.url(),
            "CREATE DATABASE logged",
            "CREATE TABLE logged.t (id INT PRIMARY KEY, note VARCHAR(200))",
            f"INSERT INTO logged.t VALUES (1, '{canary}')",
        )
        report = encryption_status(server.url("logged"))
        assert {c.name for c in report.failed} == {"general log", "slow query log"}
        with pytest.raises(RefusedForSafety, match="general log, slow query log"):
            _gate(server, "logged")
        found = _scan_stopped(server, canary)
        names = {p.name for p in found}
        assert {"general_log.CSV", "slow_log.CSV"} <= names, found  # log_output=TABLE
        assert any(p.parent.name == "data" and p.suffix == ".log" for p in found), found
        binlogs = list((server.datadir).glob("binlog.0*"))
        assert binlogs and not any(n.startswith("binlog.") for n in names)  # encrypted
        named = run_cli(
            *("encryption", "status", "--json", "--url-env", "PSEA_TEST_URL"),
            *("--encrypted-volume", str(server.datadir)),
            env=url_env(server.url("logged")),
        )
        checks = {c["name"]: c for c in json.loads(named.stdout)["checks"]}
        assert named.exit_code == 0, [c for c in checks.values() if c["outcome"] == "FAIL"]
        assert "named as an encrypted volume" in checks["general log"]["detail"]

        apply_setup(server, plan_setup(server))  # writes general_log=OFF, slow_query_log=OFF
        server.restart()
        later = make_canary("unlogged")
        sql(server.url(), f"INSERT INTO logged.t VALUES (2, '{later}')")
        assert not encryption_status(server.url("logged")).failed
        assert _scan_stopped(server, later) == []


def _scan_stopped(server: LocalServer, canary: str) -> list[Path]:
    server.stop(slow=True)
    try:
        return scan(server.basedir, canary)
    finally:
        server.start()


def _replicated(replica: LocalServer, canary: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        rows = sql(replica.url(), f"SELECT COUNT(*) FROM rel.t WHERE note = '{canary}'")
        if rows and rows[0][0]:
            return
        time.sleep(0.2)
    raise AssertionError("the row never reached the replica")


REPLICATION = {
    "mariadb": (
        "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={port}, MASTER_USER='root', "
        "MASTER_USE_GTID=no",
        "START SLAVE",
        "STOP SLAVE",
    ),
    "mysql": (
        "CHANGE REPLICATION SOURCE TO SOURCE_HOST='127.0.0.1', SOURCE_PORT={port}, "
        "SOURCE_USER='root', GET_SOURCE_PUBLIC_KEY=1",
        "START REPLICA",
        "STOP REPLICA",
    ),
}
BINLOG_KEY = {"mariadb": "encrypt_binlog", "mysql": "binlog_encryption"}


@pytest.mark.parametrize("flavor", ["mysql", "mariadb"])
def test_relay_logs_are_plaintext_on_a_replica_until_binlog_encryption(
    flavor: str, tmp_path: Path
) -> None:
    change, start, stop = REPLICATION[flavor]
    key = BINLOG_KEY[flavor]
    source_options = {"log-bin": "binlog", "server_id": "1"}
    with (
        running_server(flavor, tmp_path / "source", source_options) as source,  # type: ignore[arg-type]
        running_server(flavor, tmp_path / "replica", {"server_id": "2"}) as replica,  # type: ignore[arg-type]
    ):
        apply_setup(source, plan_setup(source))
        source.restart()
        enable_encryption(source.url())
        plan = plan_setup(replica)
        no_binlog_key = {**plan.options, key: "OFF"}
        apply_setup(replica, SetupPlan(plan.flavor, plan.files, "", no_binlog_key, plan.tmpdir))
        replica.restart()
        enable_encryption(replica.url())
        if flavor == "mysql":  # enable SET PERSISTs it ON; off until the restart below
            sql(replica.url(), "SET GLOBAL binlog_encryption = OFF")
        sql(replica.url(), change.format(port=source.port), start)
        sql(
            source.url(),
            "CREATE DATABASE rel",
            "CREATE TABLE rel.t (id INT PRIMARY KEY, note VARCHAR(200))",
        )
        first = make_canary("relayed")
        sql(source.url(), f"INSERT INTO rel.t VALUES (1, '{first}')")
        _replicated(replica, first)
        report = encryption_status(replica.url("rel"))
        failed = {c.name: c.detail for c in report.failed}
        assert "is a replica" in failed.pop("relay logs", ""), report.failed
        # MySQL replicas keep a binary log of their own, plaintext while the key is off
        assert set(failed) <= {key, "binary log files"}, failed
        relay = [p for p in scan(replica.basedir, first) if "relay" in p.name]
        assert relay, scan(replica.basedir, first)  # the row image, in plaintext

        apply_setup(replica, plan_setup(replica))  # binlog encryption ON again
        replica.restart()
        enable_encryption(replica.url(), purge_binlogs=True)  # those written while it was off
        sql(replica.url(), start)
        later = make_canary("relayed-encrypted")
        sql(source.url(), f"INSERT INTO rel.t VALUES (2, '{later}')")
        _replicated(replica, later)
        assert not encryption_status(replica.url("rel")).failed
        assert [p for p in scan(replica.basedir, later) if "relay" in p.name] == []
        sql(replica.url(), stop)
