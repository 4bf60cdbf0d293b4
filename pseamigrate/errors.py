"""Typed errors of pseamigrate, each with the exit code the CLI turns it into.

The tree::

    PseamigrateError          exit 1  an operation failed
    ├── ConfigError                   project file missing or malformed
    │   └── UnknownSite               a site name the project file does not define
    ├── ConnectionFailed              a database cannot be reached (names the site, no password)
    ├── ServerError                   a throwaway MySQL/MariaDB server cannot be set up or started
    ├── SampleError                   a sample site cannot be built (unknown site, bad options)
    ├── VerificationMismatch  exit 3  source and target (or a security check) disagree
    └── RefusedForSafety      exit 4  refused to protect data (e.g. a plaintext target)

Exit code 2 is left to the command-line parser (usage errors). Messages name things (site, table,
row id, field) and never carry values from the data or secrets: see STYLE.md C3.
"""

from __future__ import annotations

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_MISMATCH = 3
EXIT_REFUSED = 4


class PseamigrateError(Exception):
    """Base of every error the CLI reports as a message instead of a traceback."""

    exit_code = EXIT_FAILED


class ConfigError(PseamigrateError):
    """The project file or the settings it names are missing or wrong."""


class UnknownSite(ConfigError):
    """A site name that the project file does not define."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name, self.known = name, known
        choices = ", ".join(known) if known else "none are defined"
        super().__init__(f"unknown site {name!r} (known sites: {choices})")


class ConnectionFailed(PseamigrateError):
    """A database could not be reached or refused the credentials."""

    def __init__(self, what: str, where: str, reason: str) -> None:
        self.what, self.where, self.reason = what, where, reason
        super().__init__(f"cannot connect to {what} at {where}: {reason}")


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
