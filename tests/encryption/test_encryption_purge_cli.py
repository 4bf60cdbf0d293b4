"""`pseamigrate encryption purge-residual` on a server the operator runs (named by --basedir).

The CLI stops the server with a slow SHUTDOWN and leaves it stopped; the test then plays the
operator who starts it again, and runs the command's `--record` part. Measured with the canary.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pseamigrate.encryption.commands import enable_encryption, encryption_status
from pseamigrate.encryption.proof import make_canary
from pseamigrate.encryption.residual import doublewrite_files
from pseamigrate.encryption.setup import apply_setup, plan_setup
from pseamigrate.servers import LocalServer, running_server
from tests.encryption.enc_helpers import PLAIN_OPTION, PLAIN_SCHEMA, run_cli, sql
from tests.encryption.test_encryption_residual import FILL, _scan_stopped


def _residual(server: LocalServer) -> str:
    checks = encryption_status(server.url("late")).checks
    return next(c for c in checks if c.name == "residual plaintext").outcome.value


def _encrypted_late_table(server: LocalServer, canary: str) -> None:
    """Set up encryption, then encrypt a table that already holds rows (leaves residue)."""
    apply_setup(server, plan_setup(server))
    server.restart()
    flavor = server.flavor
    sql(
        server.url(),
        f"CREATE DATABASE late{PLAIN_SCHEMA[flavor]}",
        f"CREATE TABLE late.t (id INT PRIMARY KEY, note VARCHAR(200)) {PLAIN_OPTION[flavor]}",
        FILL.format(canary=canary),
    )
    _scan_stopped(server, canary)  # a slow stop puts the plaintext pages on disk
    enable_encryption(server.url("late"))


@pytest.mark.slow
@pytest.mark.parametrize("flavor", ["mysql", "mariadb"])
def test_purge_residual_in_two_parts_around_the_operators_restart(
    flavor: str, tmp_path: Path
) -> None:
    canary = make_canary("purge")
    basedir = tmp_path / flavor
    with running_server(flavor, basedir) as server:  # type: ignore[arg-type]
        _encrypted_late_table(server, canary)
        assert _residual(server) == "WARN"
        args = ["encryption", "purge-residual", "--basedir", str(basedir), "--schema", "late"]

        dry = run_cli(*args, "--dry-run")
        assert dry.exit_code == 0, dry.stderr
        steps = [line for line in dry.stdout.splitlines() if line.startswith("would run: ")]
        assert len(steps) == (5 if flavor == "mysql" else 3)
        assert "SHUTDOWN" in dry.stdout and "--record" in dry.stdout
        assert _residual(server) == "WARN"  # the dry run changed nothing, the server still runs

        first = run_cli(*args)
        assert first.exit_code == 0, first.stderr
        assert "the server has stopped" in first.stderr
        assert server.process is not None and server.process.wait(60) == 0  # a clean shutdown
        assert doublewrite_files(server) == []
        assert "next: start the server again" in first.stdout

        server.start()  # the operator's restart
        assert _residual(server) == "WARN"  # not recorded until --record
        last = run_cli(*args, "--record")
        assert last.exit_code == 0, last.stderr
        assert "recorded: 1 table(s) marked purged" in last.stdout
        assert _residual(server) == "PASS"
        assert _scan_stopped(server, canary) == []
        assert not encryption_status(server.url("late")).failed


def test_purge_residual_names_a_directory_that_is_no_server(tmp_path: Path) -> None:
    result = run_cli(
        "encryption", "purge-residual", "--basedir", str(tmp_path), "--schema", "x", "--dry-run"
    )
    assert result.exit_code == 1
    assert "is not a server directory" in result.stderr
