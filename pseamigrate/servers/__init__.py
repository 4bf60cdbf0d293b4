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

__all__ = ["KINDS", "LocalServer", "ServerKind", "new_server", "running_server"]


def new_server(
    flavor: Flavor | str, basedir: Path, options: dict[str, str] | None = None
) -> LocalServer:
    """Describe (not yet initialise) a private server of `flavor` living under `basedir`."""
    if flavor not in KINDS:
        raise ServerError(f"unknown server flavor {flavor!r} (known: {', '.join(sorted(KINDS))})")
    return LocalServer(kind=KINDS[flavor](), basedir=basedir, options=dict(options or {}))
