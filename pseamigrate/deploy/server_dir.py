"""A pseamigrate server directory operated from recipes: init, start detached, stop, databases.

`pseamigrate.servers` ties each server to the process that starts it (right for tests and the
demo). A recipe runs each step as its own command, so here the server is started in its own
session (`setsid -f`), outlives the step, and is stopped later through its pid file. Root has no
password on these private, loopback-only servers: they serve test targets and drills; a
production target is the packaged service (docs/operations.md).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from sqlalchemy import text

from pseamigrate.db import connection
from pseamigrate.encryption.base import quote_name
from pseamigrate.errors import ServerError
from pseamigrate.servers import LocalServer, existing_server, new_server
from pseamigrate.servers.instance import START_TIMEOUT, _answers


def init_server(flavor: str, basedir: Path, port: int) -> LocalServer:
    """Create a server directory (my.cnf, initialised datadir) listening on 127.0.0.1:`port`."""
    server = new_server(flavor, basedir, {})
    server.port = port
    server.initialize()
    return server


def pid_of(server: LocalServer) -> int | None:
    """Return the pid the running server wrote, or None when it is not running."""
    pid_file = server.basedir / "run" / "mysqld.pid"
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def start_detached(basedir: Path, timeout: float = START_TIMEOUT) -> LocalServer:
    """Start the server of `basedir` in its own session and wait until it answers."""
    server = existing_server(basedir)
    if pid_of(server) is not None and _answers(server.port):
        return server
    with open(server.log_path, "ab") as log:
        subprocess.run(
            ["setsid", "-f", *server.kind.server_command(server)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=server.kind.environment(),
            check=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _answers(server.port):
            return server
        time.sleep(0.2)
    raise ServerError(
        f"the server in {basedir} did not answer within {timeout:.0f}s:\n{server.log_tail()}"
    )


def stop_detached(basedir: Path, timeout: float = 120.0) -> bool:
    """Stop the server of `basedir` (SIGTERM, a clean shutdown); return whether it ran."""
    server = existing_server(basedir)
    pid = pid_of(server)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            return True
        time.sleep(0.2)
    raise ServerError(f"the server in {basedir} (pid {pid}) did not stop within {timeout:.0f}s")


def create_database(basedir: Path, name: str) -> None:
    """Create the utf8mb4 database `name` on the server of `basedir` (kept if it exists)."""
    server = existing_server(basedir)
    with connection(server.url(), begin=True) as conn:
        conn.execute(
            text(f"CREATE DATABASE IF NOT EXISTS {quote_name(name)} CHARACTER SET utf8mb4")
        )
