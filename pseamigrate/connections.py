"""Check that the databases named in the project file can be reached, and the sites' files.

`ping_all` reports every database it is asked about, whatever happens to the others: a target
that is down or a broken site never hides the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

from pseamigrate.config import ConnectionSpec, Settings
from pseamigrate.db import connection, reading, server_version, where
from pseamigrate.errors import ConnectionFailed, PingFailed, PseamigrateError
from pseamigrate.sitefiles import FilesDirStatus, check_files_dir

TARGET = "target"
UNKNOWN_DATABASE = "MySQL error 1049"


@dataclass(frozen=True)
class PingResult:
    """One database: its name in the project file, host:port/db, and version or the reason."""

    name: str
    where: str
    version: str = ""
    reason: str = ""  # why it failed ("" when it answered)
    files: FilesDirStatus | None = None  # sites only

    @property
    def ok(self) -> bool:
        """Tell whether the database answered and the site's files_dir (if any) is usable."""
        return not self.reason and (self.files is None or self.files.ok)


def ping(name: str, spec: ConnectionSpec) -> PingResult:
    """Connect to one database and return its version, or raise `ConnectionFailed`.

    A site is reached through the driver that reads it (`db.reading`), so ok means the reader
    can connect too (mysqlclient speaks TLS through its own library)."""
    url = spec.resolve() if name == TARGET else reading(spec.resolve())
    with connection(url, f"site {name!r}" if name != TARGET else "the target") as conn:
        return PingResult(name, where(url), server_version(conn))


def _ping_one(name: str, spec: ConnectionSpec) -> PingResult:
    """Ping one database; a failure becomes the result's reason instead of an exception."""
    try:
        return ping(name, spec)
    except ConnectionFailed as exc:
        reason = exc.reason
        if name == TARGET and reason.startswith(UNKNOWN_DATABASE):
            reason += " (create it with 'pseamigrate target init')"
        return PingResult(name, exc.where, reason=reason)
    except PseamigrateError as exc:  # e.g. an environment variable that is not set
        return PingResult(name, spec.describe(), reason=str(exc))


def ping_all(settings: Settings, names: list[str]) -> list[PingResult]:
    """Ping the named sites (or every site and the target) and check each site's files_dir."""
    project = settings.require_file()
    wanted = names or [*settings.sites, *([TARGET] if settings.target else [])]
    for name in wanted:  # an unknown name is a usage mistake: say so before connecting
        if name != TARGET:
            settings.site(name)
    results = []
    for name in wanted:
        if name == TARGET:
            results.append(_ping_one(name, settings.target_connection()))
            continue
        site = settings.site(name)
        result = _ping_one(name, site.connection)
        files = check_files_dir(site, project)
        results.append(PingResult(result.name, result.where, result.version, result.reason, files))
    return results


def require_ok(results: list[PingResult]) -> None:
    """Raise `PingFailed` naming every database or files_dir that failed."""
    failures = []
    for result in results:
        what = "the target" if result.name == TARGET else f"site {result.name!r}"
        if result.reason:
            failures.append(f"cannot connect to {what} at {result.where}: {result.reason}")
        if result.files is not None and not result.files.ok:
            failures.append(f"{what}: files_dir {result.files.path}: {result.files.reason}")
    if failures:
        raise PingFailed(failures, sum(not r.ok for r in results), len(results))
