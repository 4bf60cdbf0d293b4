"""`encryption setup` on a my.cnf an operator wrote (issue #14 item 2), and `backup-key`'s scratch
copy under signals (issue #15 item 5), on real servers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pseamigrate.encryption.commands import enable_encryption, encryption_status
from pseamigrate.encryption.setup import apply_setup, plan_setup
from pseamigrate.servers import LocalServer, existing_server, running_server
from tests.encryption.enc_helpers import run_cli, sql

OPERATOR_HEAD = "# operator: PSEA target, change control ticket 4711\n[client]\nport=3307\n"
OPERATOR_TAIL = {
    "mariadb": "[mariadbd]\n# tuned by the operator\nmax_connections=77\n",
    "mysql": "[mysqld]\n# tuned by the operator\nmax_connections=77\n",
}


def _operator_cnf(server: LocalServer, include: Path | None = None) -> list[str]:
    """Wrap the server's my.cnf in an operator's lines; return every line it then holds."""
    extra = f"!includedir {include}\n" if include else ""
    text = OPERATOR_HEAD + server.config_path.read_text() + OPERATOR_TAIL[server.flavor] + extra
    server.config_path.write_text(text)
    return text.splitlines()


def _in_order(lines: list[str], text: str) -> bool:
    """Tell whether `lines` all appear in `text`, in the same order."""
    remaining = iter(text.splitlines())
    return all(line in remaining for line in lines)


@pytest.mark.parametrize("flavor", ["mariadb", "mysql"])
def test_setup_keeps_every_operator_line_backs_up_and_its_dry_run_diff_is_the_change(
    flavor: str, tmp_path: Path
) -> None:
    with running_server(flavor, tmp_path / flavor) as server:  # type: ignore[arg-type]
        conf_dir = server.basedir / "conf.d" if flavor == "mysql" else None
        if conf_dir:
            conf_dir.mkdir()
        written = _operator_cnf(server, conf_dir)
        where = ["--conf-dir", str(conf_dir)] if conf_dir else []
        args = ("encryption", "setup", "--basedir", str(server.basedir), *where)
        shown = run_cli(*args, "--dry-run")
        assert shown.exit_code == 0, shown.stderr
        assert server.config_path.read_text().splitlines() == written  # dry run: no change
        done = run_cli(*args)
        assert done.exit_code == 0, done.stderr
        after = server.config_path.read_text()
        assert _in_order(written, after)
        if conf_dir:  # a drop-in: my.cnf itself is untouched, the new file is the diff
            assert after.splitlines() == written and not list(server.basedir.glob("*.bak"))
            dropin = conf_dir / "pseamigrate-encryption.cnf"
            assert shown.stdout.startswith(f"--- /dev/null\n+++ {dropin}\n")
            assert "".join(f"+{line}\n" for line in dropin.read_text().splitlines()) in (
                shown.stdout
            )
        else:
            [backup] = server.basedir.glob("my.cnf.pseamigrate-*.bak")
            assert backup.read_text().splitlines() == written
            from pseamigrate.servers.cnf import CnfChange

            assert CnfChange(server.config_path, backup.read_text(), after).diff() == shown.stdout
            assert "# BEGIN pseamigrate encryption" in after
        server.options.update(existing_server(server.basedir).options)  # tmpdir to clean up
        server.restart()
        assert server.config_path.read_text() == after  # a restart rewrites nothing
        enable_encryption(server.url(), purge_binlogs=True)  # MySQL: binlog.000001 predates it
        sql(server.url(), "CREATE DATABASE op", "CREATE TABLE op.t (id INT PRIMARY KEY)")
        assert not encryption_status(server.url("op")).failed
        assert sql(server.url(), "SELECT @@max_connections")[0][0] == 77


def _scratch(server: LocalServer) -> list[Path]:
    return list(server.basedir.parent.glob(f".{server.basedir.name}.keycheck-*"))


def _backup_key_process(server: LocalServer, dest: Path) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "pseamigrate", "encryption", "backup-key", str(dest)]
    return subprocess.Popen(
        [*argv, "--basedir", str(server.basedir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_for_scratch_server(server: LocalServer) -> Path:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for scratch in _scratch(server):
            if (scratch / "run" / "mysqld.pid").exists():
                return scratch
        time.sleep(0.05)
    raise AssertionError("the scratch server never started")


def test_backup_key_scratch_is_beside_the_basedir_socket_only_and_gone_after_signals(
    tmp_path: Path,
) -> None:
    with running_server("mariadb", tmp_path / "srv") as server:
        apply_setup(server, plan_setup(server))
        server.restart()
        enable_encryption(server.url())
        sql(server.url(), "CREATE DATABASE k", "CREATE TABLE k.t (id INT PRIMARY KEY)")
    # stopped: backup-key may copy the datadir
    term = _backup_key_process(server, tmp_path / "b1")
    scratch = _wait_for_scratch_server(server)
    assert scratch.parent == server.basedir.parent  # the server's volume, not $TMPDIR
    assert scratch.stat().st_mode & 0o777 == 0o700
    assert "skip-networking" in (scratch / "my.cnf").read_text().splitlines()
    term.send_signal(signal.SIGTERM)
    _, stderr = term.communicate(timeout=60)  # also closes the pipe
    assert term.returncode != 0 and b"stopped by signal 15" in stderr
    assert _scratch(server) == []

    killed = _backup_key_process(server, tmp_path / "b2")
    scratch = _wait_for_scratch_server(server)
    os.kill(killed.pid, signal.SIGKILL)
    killed.communicate(timeout=60)
    assert _scratch(server) == [scratch]  # SIGKILL cannot be caught: the next run removes it
    again = run_cli(
        "encryption", "backup-key", str(tmp_path / "b3"), "--basedir", str(server.basedir)
    )
    assert again.exit_code == 0, again.stderr
    assert "verified: the backup opened" in again.stdout
    assert _scratch(server) == []
