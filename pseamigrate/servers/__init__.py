"""Throwaway local database servers for tests, the demo and benchmarks."""

from __future__ import annotations

from pathlib import Path

from pseamigrate.db import Flavor
from pseamigrate.errors import ServerError
from pseamigrate.servers.cnf import server_options
from pseamigrate.servers.instance import LocalServer, ServerKind, running_server
from pseamigrate.servers.mariadb import MariaDBKind
from pseamigrate.servers.mysql import MySQLKind

KINDS: dict[str, type[MariaDBKind] | type[MySQLKind]] = {
    "mariadb": MariaDBKind,
    "mysql": MySQLKind,
}

__all__ = ["KINDS", "LocalServer", "ServerKind", "existing_server", "new_server", "running_server"]


def new_server(
    flavor: Flavor | str, basedir: Path, options: dict[str, str] | None = None
) -> LocalServer:
    """Describe (not yet initialise) a private server of `flavor` living under `basedir`."""
    if flavor not in KINDS:
        raise ServerError(f"unknown server flavor {flavor!r} (known: {', '.join(sorted(KINDS))})")
    return LocalServer(kind=KINDS[flavor](), basedir=basedir, options=dict(options or {}))


def existing_server(basedir: Path) -> LocalServer:
    """Describe a server directory made by `new_server` earlier, from its my.cnf.

    The server groups' options are read into `options` (later lines win, as for the server).
    my.cnf is never rewritten from them: changes go through `servers.cnf` blocks, which keep
    every line an operator wrote. Its process is not ours to stop.
    """
    config = basedir / "my.cnf"
    if not config.is_file():
        raise ServerError(f"{basedir} is not a server directory (no my.cnf)")
    options = server_options(config.read_text())
    flavor = "mysql" if "plugin-dir" in options else "mariadb"  # only MySQLKind writes plugin-dir
    return LocalServer(
        kind=KINDS[flavor](), basedir=basedir, port=int(options.get("port", 0)), options=options
    )
