"""Check that the databases named in the project file can be reached."""

from __future__ import annotations

from dataclasses import dataclass

from pseamigrate.config import ConnectionSpec, Settings
from pseamigrate.db import connection, server_version, where


@dataclass(frozen=True)
class PingResult:
    """One reachable database: its name in the project file, host:port/db and server version."""

    name: str
    where: str
    version: str


def ping(name: str, spec: ConnectionSpec) -> PingResult:
    """Connect to one database and return its version, or raise `ConnectionFailed`."""
    url = spec.resolve()
    with connection(url, f"site {name!r}" if name != "target" else "the target") as conn:
        return PingResult(name, where(url), server_version(conn))


def ping_all(settings: Settings, names: list[str]) -> list[PingResult]:
    """Ping the named sites (or every site and the target); stops at the first failure."""
    settings.require_file()
    wanted = names or [*settings.sites, *(["target"] if settings.target else [])]
    results = []
    for name in wanted:
        spec = settings.target_connection() if name == "target" else settings.site(name).connection
        results.append(ping(name, spec))
    return results
