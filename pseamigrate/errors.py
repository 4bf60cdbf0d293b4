"""Typed errors of pseamigrate, each with the exit code the CLI turns it into.

The tree::

    PseamigrateError          exit 1  an operation failed
    ├── ConfigError                   project file malformed or a setting wrong
    │   ├── NoProjectFile     exit 2  no project file named or found
    │   └── UnknownSite       exit 2  a site name the project file does not define (did you mean)
    ├── ConnectionFailed              a database cannot be reached (names the site, no password)
    │   └── PingFailed                `ping`: some databases or files_dirs failed (all listed)
    ├── WriteFailed                   a statement failed: server code and table, never values
    ├── ServerError                   a throwaway MySQL/MariaDB server cannot be set up or started
    ├── ProblemsError                 a file with problems, one `file:line: path: message` each
    │   ├── ModelError                the canonical model (pseamigrate/data/mappings/model.yaml)
    │   └── MappingError              a site mapping, also when it does not fit its site
    ├── UnmappedValue                 a process step met a value its mapping does not cover
    ├── SampleError                   a sample site cannot be built (unknown site, bad options)
    ├── DrupalReadError               a legacy database cannot be read as a Drupal site
    │   ├── NotDrupal                 none of the Drupal 7 / 8+ marker tables exist
    │   ├── MissingFieldTable         a field's table named by the metadata is absent
    │   ├── UnknownBundle             a content type or vocabulary the site lacks
    │   ├── CorruptSerializedData     a PHP-serialized blob cannot be decoded (or is too big)
    │   └── SourceLost                the connection to a site was lost mid-read (site, batch)
    ├── UsageProblem          exit 2  a command asked for something it cannot do
    ├── VerificationMismatch  exit 3  source and target (or a security check) disagree
    │   └── SchemaMismatch            the target schema differs from the model (upgrade cannot fix)
    ├── TargetLost                    the target went away mid-run and did not come back
    ├── MigrationFailed               a run finished, but some rows failed (see its summary)
    └── RefusedForSafety      exit 4  refused to protect data (e.g. a plaintext target)
        ├── LockHeld                  another run holds the migration lock
        ├── UnsafePath                a path built from data would leave its folder
        └── UnsafeIdentifier          a name or tenant code outside [A-Za-z0-9_] (site, project)

Exit code 2 means a usage error (the command-line parser's, or `UsageProblem`). Messages name
things (site, table, row id, field) and never carry values from the data or secrets: see
docs/architecture.md, "Errors and exit codes".
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Sequence
from typing import Any

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_MISMATCH = 3
EXIT_REFUSED = 4


class PseamigrateError(Exception):
    """Base of every error the CLI reports as a message instead of a traceback."""

    exit_code = EXIT_FAILED

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt without calling __init__ (subclasses take their own arguments), so an error
        # raised in a worker process reaches the parent with its type and attributes.
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


def _rebuild(
    kind: type[PseamigrateError], args: tuple[Any, ...], state: dict[str, Any]
) -> PseamigrateError:
    """Recreate a pickled error (see `PseamigrateError.__reduce__`)."""
    error = kind.__new__(kind)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class ConfigError(PseamigrateError):
    """The project file or the settings it names are missing or wrong."""


class NoProjectFile(ConfigError):
    """No project file was named (--config, $PSEAMIGRATE_CONFIG) nor found: a usage error."""

    exit_code = EXIT_USAGE


class UnknownSite(ConfigError):
    """A site name that the project file does not define: a usage error, with a suggestion."""

    exit_code = EXIT_USAGE

    def __init__(self, name: str, known: list[str]) -> None:
        self.name, self.known = name, known
        choices = ", ".join(known) if known else "none are defined"
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        super().__init__(f"unknown site {name!r} (known sites: {choices}){hint}")


class ConnectionFailed(PseamigrateError):
    """A database could not be reached or refused the credentials."""

    def __init__(self, what: str, where: str, reason: str) -> None:
        self.what, self.where, self.reason = what, where, reason
        super().__init__(f"cannot connect to {what} at {where}: {reason}")


class PingFailed(ConnectionFailed):
    """`ping` found databases that cannot be reached or files_dirs that cannot be read."""

    def __init__(self, failures: Sequence[str], failed: int, total: int) -> None:
        self.failures = list(failures)
        lines = "\n".join(f"  {line}" for line in self.failures)
        PseamigrateError.__init__(self, f"{failed} of {total} failed:\n{lines}")
        self.what, self.where, self.reason = "ping", "", lines


class WriteFailed(PseamigrateError):
    """A statement failed on a table; the reason holds the server's code, never row values."""

    def __init__(self, table: str, reason: str) -> None:
        self.table, self.reason = table, reason
        super().__init__(f"writing {table} failed: {reason}")


class ServerError(PseamigrateError):
    """A throwaway database server could not be installed, initialised or started."""


class SampleError(PseamigrateError):
    """A sample Drupal site cannot be built as asked (unknown site or layout, bad options)."""


class VerificationMismatch(PseamigrateError):
    """A check found differences (reconciliation, encryption status)."""

    exit_code = EXIT_MISMATCH


class RefusedForSafety(PseamigrateError):
    """An operation was refused because it would put sensitive data at risk."""

    exit_code = EXIT_REFUSED


class LockHeld(RefusedForSafety):
    """Another run holds the target's migration lock (a second run must not write too)."""

    def __init__(self, host: str, pid: int, run_id: Any, until: Any, *, lost: bool = False) -> None:
        self.host, self.pid, self.run_id, self.until = host, pid, run_id, until
        who = f"{host} pid {pid}" + (f" (run {run_id})" if run_id else "")
        if lost:
            message = f"this run lost the migration lock to {who}; stopped"
        else:
            message = f"another migration holds the lock: {who}, until {until} UTC"
        super().__init__(message)


class TargetLost(PseamigrateError):
    """The target connection was lost and retries did not bring it back; the run stopped."""

    def __init__(self, step: str, batch: int, reason: str) -> None:
        self.step, self.batch, self.reason = step, batch, reason
        super().__init__(
            f"lost the target during {step} (batch {batch}): {reason}; what was committed is "
            "kept, run again to resume"
        )


class MigrationFailed(PseamigrateError):
    """A migration run finished with rows that failed (their reasons are in its summary)."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        super().__init__(f"{rows} rows failed; see the summary and `pseamigrate messages`")


class UnsafePath(RefusedForSafety):
    """A path built from data (a file URI, a name) would leave its folder: `..`, an absolute
    path or a symlink. The message names the thing, never the path (it may hold a name)."""

    def __init__(self, what: str, root: object) -> None:
        self.what, self.root = what, root
        super().__init__(f"{what}: its path would leave {root}; refused")


class UnsafeIdentifier(RefusedForSafety):
    """A table, column, database or account name, or a tenant code, read from a site or a
    project file holds characters outside `[A-Za-z0-9_]` (or is empty or over 64 characters).

    Refused rather than escaped: such a name is either a mistake or an attack on the SQL built
    from it. The message gives its length and a short hash, not the name (it may hold anything,
    terminal escapes included)."""

    def __init__(self, what: str, name: str) -> None:
        self.what = what
        digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:12]
        super().__init__(
            f"{what} holds characters other than letters, digits and _ "
            f"({len(name)} characters, sha256 {digest}); refused"
        )


class ProblemsError(PseamigrateError):
    """A file with problems, each on its own line as `file:line: path: message`."""

    def __init__(self, what: str, problems: Sequence[object]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        count = len(self.problems)
        super().__init__(f"{what}: {count} problem{'s' if count != 1 else ''}\n{lines}")


class ModelError(ProblemsError):
    """The canonical model file (`pseamigrate/data/mappings/model.yaml`) is malformed."""

    def __init__(self, problems: Sequence[object]) -> None:
        super().__init__("canonical model", problems)


class MappingError(ProblemsError):
    """A site mapping file is malformed, or does not fit the site or the model."""

    def __init__(self, problems: Sequence[object]) -> None:
        super().__init__("mapping", problems)


class SchemaMismatch(VerificationMismatch):
    """The target schema differs from the model in a way the command must not fix itself."""


class UnmappedValue(PseamigrateError):
    """A process step met a value its mapping does not cover (names the step, not the value)."""

    def __init__(self, where: str) -> None:
        self.where = where
        super().__init__(f"{where}: no mapping for a source value (add it to the map)")


class DrupalReadError(PseamigrateError):
    """A legacy Drupal database could not be read as a Drupal site."""


class NotDrupal(DrupalReadError):
    """The database holds none of the tables that identify Drupal 7 or Drupal 8+."""

    def __init__(self, where: str, looked_for: list[str]) -> None:
        self.where, self.looked_for = where, looked_for
        super().__init__(
            f"{where} is not a Drupal database: looked for the tables {', '.join(looked_for)}"
        )


class MissingFieldTable(DrupalReadError):
    """A field's storage table named by the site's own metadata does not exist."""

    def __init__(self, field: str, table: str) -> None:
        self.field, self.table = field, table
        super().__init__(f"field {field}: its table {table} is missing from the database")


class UnknownBundle(DrupalReadError):
    """A content type or vocabulary the site does not have."""

    def __init__(self, what: str, name: str, known: list[str]) -> None:
        self.what, self.name, self.known = what, name, known
        super().__init__(f"unknown {what} {name!r} (known: {', '.join(known) or 'none'})")


class CorruptSerializedData(DrupalReadError):
    """A PHP-serialized blob could not be decoded."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"corrupt PHP-serialized data: {reason}")


class SourceLost(DrupalReadError):
    """The connection to a legacy site was lost (killed, stalled, server gone) while reading."""

    def __init__(self, site: str, last_batch: str, reason: str) -> None:
        self.site, self.last_batch, self.reason = site, last_batch, reason
        super().__init__(f"lost the connection to {site} while reading {last_batch}: {reason}")


class UsageProblem(PseamigrateError):
    """A command was asked for something it cannot do (e.g. diff of a single site)."""

    exit_code = EXIT_USAGE
