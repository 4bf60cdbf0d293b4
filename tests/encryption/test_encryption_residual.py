"""Residual plaintext: which files keep pre-encryption copies when a table holding rows is
encrypted in place, that `status` warns about it, and that the purge really removes them.

Measured, not assumed: the canary is searched in every file under the server directory.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pseamigrate.encryption.commands import enable_encryption, encryption_status
from pseamigrate.encryption.proof import make_canary, scan
from pseamigrate.encryption.residual import purge_residual
from pseamigrate.encryption.setup import apply_setup, plan_setup
from pseamigrate.servers import LocalServer, running_server
from tests.encryption.enc_helpers import PLAIN_OPTION, PLAIN_SCHEMA, sql

# Enough rows (about 1 MB) that the table's pages fill many doublewrite slots: later, smaller
# flushes then do not overwrite them all (with one row the residue is overwritten by chance).
FILL = (
    "INSERT INTO late.t SELECT a.n * 100 + b.n, CONCAT('{canary}', REPEAT('x', 150)) FROM "
    "(SELECT ROW_NUMBER() OVER () AS n FROM information_schema.COLUMNS LIMIT 60) a, "
    "(SELECT ROW_NUMBER() OVER () AS n FROM information_schema.COLUMNS LIMIT 99) b"
)


def _scan_stopped(server: LocalServer, canary: str) -> list[Path]:
    server.stop(slow=True)
    try:
        return scan(server.basedir, canary)
    finally:
        server.start()


def test_encrypting_existing_rows_leaves_copies_that_status_warns_about_and_purge_removes(
    enc_server: LocalServer,
) -> None:
    canary = make_canary("late")
    flavor = enc_server.flavor
    sql(
        enc_server.url(),
        f"CREATE DATABASE late{PLAIN_SCHEMA[flavor]}",
        f"CREATE TABLE late.t (id INT PRIMARY KEY, note VARCHAR(200)) {PLAIN_OPTION[flavor]}",
        FILL.format(canary=canary),
    )
    before = _scan_stopped(enc_server, canary)  # the rows are on disk, as in a legacy target
    assert Path("data/late/t.ibd") in before
    enable_encryption(enc_server.url("late"))
    warned = next(
        c
        for c in encryption_status(enc_server.url("late")).checks
        if c.name == "residual plaintext"
    )
    assert warned.outcome.value == "WARN" and "(t)" in warned.detail
    after_enable = _scan_stopped(enc_server, canary)
    assert Path("data/late/t.ibd") not in after_enable
    if flavor == "mysql":  # measured on 9.7.4: old plaintext pages survive in the doublewrite file
        assert after_enable and all(p.name.endswith(".dblwr") for p in after_enable), after_enable
    else:  # measured on 10.11: no copy survives (its doublewrite area lives in ibdata1)
        assert after_enable == []
    report = purge_residual(enc_server, "late")
    assert report.tables == 1
    assert (len(report.doublewrite) > 0) == (flavor == "mysql")
    assert report.undo == (("innodb_undo_001", "innodb_undo_002") if flavor == "mysql" else ())
    assert _scan_stopped(enc_server, canary) == []
    assert int(sql(enc_server.url(), "SELECT COUNT(*) FROM late.t")[0][0]) == 5940
    status = encryption_status(enc_server.url("late"))
    residual = next(c for c in status.checks if c.name == "residual plaintext")
    assert residual.outcome.value == "PASS" and not status.failed
    binlogs = [c.outcome.value for c in status.checks if c.name == "binary log files"]
    assert binlogs == ["PASS"]  # purge also removed binlog.000001, written before encryption


@pytest.mark.parametrize("flavor", ["mysql", "mariadb"])
def test_encrypting_a_server_that_already_holds_data_then_purging(
    flavor: str, tmp_path: Path
) -> None:
    """The unsafe order (data first, encryption later) on a server with a binary log."""
    canary = make_canary("legacy")
    options = {"log-bin": "binlog"} if flavor == "mariadb" else {}
    with running_server(flavor, tmp_path / flavor, options) as server:  # type: ignore[arg-type]
        sql(
            server.url(),
            "CREATE DATABASE late",
            "CREATE TABLE late.t (id INT PRIMARY KEY, note VARCHAR(200))",
            FILL.format(canary=canary),
            "UPDATE late.t SET note = CONCAT(note, 'u') WHERE id < 500",
        )
        plain = {p.name for p in _scan_stopped(server, canary)}
        apply_setup(server, plan_setup(server))
        server.restart()
        enable_encryption(server.url("late"))
        left = {p.name for p in _scan_stopped(server, canary)}
        purge_residual(server, "late")
        purged = _scan_stopped(server, canary)
        status = encryption_status(server.url("late"))
    assert {"t.ibd", "binlog.000001"} <= plain
    if flavor == "mysql":  # measured on 9.7.4: also redo, undo and doublewrite held it
        assert "#ib_16384_0.dblwr" in plain
        assert any(name.startswith("undo_") for name in plain)  # undo_001 or _002, by turn
        assert any(name.startswith("#ib_redo") for name in plain)
    # after encryption: the table file is clean; the old binlog keeps the canary, and so may
    # other files that already held it (spare redo, doublewrite; once, under a loaded CI run,
    # another of them): encryption must never spread plaintext into a file that did not hold it
    assert "binlog.000001" in left and "t.ibd" not in left
    assert _families(left) <= _families(plain), left
    assert purged == [], purged
    assert not status.failed


def _families(names: set[str]) -> set[str]:
    """Group redo files (renamed and recycled as #ib_redoNN[_tmp]) under one name."""
    return {"#ib_redo*" if name.startswith("#ib_redo") else name for name in names}
