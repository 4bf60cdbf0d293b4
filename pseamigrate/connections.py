"""Check that the databases named in the project file can be reached, and the sites' files.

`ping_all` reports every database it is asked about, whatever happens to the others: a target
that is down or a broken site never hides the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

from pseamigrate.config import ConnectionSpec, Settings
from pseamigrate.db import connection, reading, server_version, where
from pseamigrate.errors import ConfigError, ConnectionFailed, PingFailed, PseamigrateError
from pseamigrate.sitefiles import FilesDirStatus, check_files_dir

TARGET = "target"
TEST_TARGET = "test_target"
TARGETS = (TARGET, TEST_TARGET)
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
    url = spec.resolve() if name in TARGETS else reading(spec.resolve())
    with connection(url, _what(name)) as conn:
        return PingResult(name, where(url), server_version(conn))


def _what(name: str) -> str:
    """Name a database for messages: the target, the test target, or a site."""
    return {TARGET: "the target", TEST_TARGET: "the test target"}.get(name, f"site {name!r}")


def _ping_one(name: str, spec: ConnectionSpec) -> PingResult:
    """Ping one database; a failure becomes the result's reason instead of an exception."""
    try:
        return ping(name, spec)
    except ConnectionFailed as exc:
        reason = exc.reason
        if name in TARGETS and reason.startswith(UNKNOWN_DATABASE):
            variable = spec.url_env if name == TEST_TARGET and spec.url_env else ""
            reason += f" (create it with 'pseamigrate target init{_url_env_flag(variable)}')"
        return PingResult(name, exc.where, reason=reason)
    except PseamigrateError as exc:  # e.g. an environment variable that is not set
        return PingResult(name, spec.describe(), reason=str(exc))


def _url_env_flag(variable: str) -> str:
    return f" --url-env {variable}" if variable else ""


def ping_all(settings: Settings, names: list[str]) -> list[PingResult]:
    """Ping the named sites (or every site, the target and the test target) and check each
    site's files_dir."""
    project = settings.require_file()
    targets = {TARGET: settings.target, TEST_TARGET: settings.test_target}
    wanted = names or [*settings.sites, *(name for name, spec in targets.items() if spec)]
    for name in wanted:  # an unknown name is a usage mistake: say so before connecting
        if name not in TARGETS:
            settings.site(name)
    results = []
    for name in wanted:
        if name in TARGETS:
            results.append(_ping_one(name, _target_spec(settings, name)))
            continue
        site = settings.site(name)
        result = _ping_one(name, site.connection)
        files = check_files_dir(site, project)
        results.append(PingResult(result.name, result.where, result.version, result.reason, files))
    return results


def _target_spec(settings: Settings, name: str) -> ConnectionSpec:
    if name == TARGET:
        return settings.target_connection()
    if settings.test_target is None:
        raise ConfigError(f"{settings.path}: no 'test_target' section")
    return settings.test_target


def require_ok(results: list[PingResult]) -> None:
    """Raise `PingFailed` naming every database or files_dir that failed."""
    failures = []
    for result in results:
        what = _what(result.name)
        if result.reason:
            failures.append(f"cannot connect to {what} at {result.where}: {result.reason}")
        if result.files is not None and not result.files.ok:
            failures.append(f"{what}: files_dir {result.files.path}: {result.files.reason}")
    if failures:
        raise PingFailed(failures, sum(not r.ok for r in results), len(results))
