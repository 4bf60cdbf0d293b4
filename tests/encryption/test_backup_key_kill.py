"""`backup-key` killed with SIGKILL (#30 lows): its scratch server, which holds a copy of the data
and the keys, must not outlive it. Real servers, a real `kill -9` of the command."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pseamigrate.childenv import pid_alive
from pseamigrate.encryption.commands import enable_encryption
from pseamigrate.encryption.setup import apply_setup, plan_setup
from pseamigrate.servers import LocalServer, running_server
from tests.encryption.enc_helpers import sql


def _scratch_server(server: LocalServer, stage: str) -> int:
    """Wait for the scratch server of a running `backup-key` to reach `stage`; return its pid.

    "starting": its log says it started (MariaDB then ignores SIGTERM until it is ready);
    "running": its pid file is written."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        for scratch in server.basedir.parent.glob(f".{server.basedir.name}.keycheck-*"):
            found = _stage_pid(scratch, stage)
            if found:
                return found
        time.sleep(0.01)
    raise AssertionError(f"the scratch server never reached {stage}")


def _stage_pid(scratch: Path, stage: str) -> int:
    if stage == "starting":
        log = scratch / "mysqld.log"
        found = re.search(r"as process (\d+)", log.read_text()) if log.exists() else None
        return int(found.group(1)) if found else 0
    pid_file = scratch / "run" / "mysqld.pid"
    text = pid_file.read_text().strip() if pid_file.exists() else ""
    return int(text) if text.isdigit() else 0


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("stage", ["starting"])  # "running" died before the fix too
@pytest.mark.parametrize("flavor", ["mariadb", "mysql"])
def test_the_scratch_server_dies_with_a_killed_backup_key(
    tmp_path: Path, flavor: str, stage: str
) -> None:
    with running_server(flavor, tmp_path / "srv") as server:
        apply_setup(server, plan_setup(server))
        server.restart()
        enable_encryption(server.url())
        sql(server.url(), "CREATE DATABASE k", "CREATE TABLE k.t (id INT PRIMARY KEY)")
    # stopped: backup-key copies the datadir
    argv = [sys.executable, "-m", "pseamigrate", "encryption", "backup-key", str(tmp_path / "b")]
    command = subprocess.Popen(
        [*argv, "--basedir", str(server.basedir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    pid = 0
    try:
        pid = _scratch_server(server, stage)
        os.kill(command.pid, signal.SIGKILL)
        command.wait(timeout=30)
        assert _gone_within(pid, 30), f"the scratch server {pid} outlived `backup-key`"
    finally:
        command.kill()
        if pid and pid_alive(pid):  # the scratch server this test made, by its pid
            os.kill(pid, signal.SIGKILL)
