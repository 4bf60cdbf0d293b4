"""Throwaway local database servers for tests, the demo and benchmarks."""

from __future__ import annotations

from pathlib import Path

from pseamigrate.db import Flavor
from pseamigrate.errors import ServerError
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

    Every my.cnf option is kept in `options`, so a later `write_config` (e.g. by encryption
    setup) rewrites the same file plus the new settings. Its process is not ours to stop.
    """
    config = basedir / "my.cnf"
    if not config.is_file():
        raise ServerError(f"{basedir} is not a server directory (no my.cnf)")
    options: dict[str, str] = {}
    for line in config.read_text().splitlines():
        if line.strip() and not line.startswith(("[", "#")):
            key, _, value = line.partition("=")
            options[key.strip()] = value.strip()
    flavor = "mysql" if "plugin-dir" in options else "mariadb"  # only MySQLKind writes plugin-dir
    return LocalServer(
        kind=KINDS[flavor](), basedir=basedir, port=int(options.get("port", 0)), options=options
    )
