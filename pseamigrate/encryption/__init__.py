"""Encryption at rest: keyring checks, enabling, rotation and the refusal of plaintext targets.

`backend_for(conn)` picks the server family's backend from a dict (docs/architecture.md);
`require_encrypted_target(conn, schema)` is what the migration calls before writing: it
refuses unless `status_checks` (what `encryption status` shows) has no FAIL.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Connection

from pseamigrate.db import server_flavor
from pseamigrate.encryption.base import Check, EncryptionBackend, Outcome, Statement, TableState
from pseamigrate.encryption.exposure import exposure_checks
from pseamigrate.encryption.mariadb import MariaDBFileKeys
from pseamigrate.encryption.mysql import MySQLKeyring
from pseamigrate.encryption.volumes import declared_volumes
from pseamigrate.errors import PseamigrateError, RefusedForSafety

__all__ = [
    "BACKENDS",
    "Check",
    "EncryptionBackend",
    "Outcome",
    "Statement",
    "TableState",
    "backend_for",
    "require_encrypted_target",
    "status_checks",
]

BACKENDS: dict[str, type[MySQLKeyring] | type[MariaDBFileKeys]] = {
    "mysql": MySQLKeyring,
    "mariadb": MariaDBFileKeys,
}


def backend_for(conn: Connection) -> EncryptionBackend:
    """Return the encryption backend for the server behind `conn`."""
    flavor = server_flavor(conn)
    if flavor not in BACKENDS:
        raise PseamigrateError(
            f"no encryption support for {flavor!r} (known: {', '.join(BACKENDS)})"
        )
    return BACKENDS[flavor]()


def status_checks(conn: Connection, schema: str | None, volumes: Sequence[str] = ()) -> list[Check]:
    """Return every check of `encryption status`: keyring, tables, logs, temp files, transport.

    `volumes` are directories the operator names as encrypted volumes (added to those in
    `$PSEAMIGRATE_ENCRYPTED_VOLUMES`); logs and temporary files there are not plaintext on disk.
    """
    from pseamigrate.encryption.residual import residual_checks

    backend = backend_for(conn)
    checks = backend.status(conn, schema)
    checks += exposure_checks(conn, backend.flavor, declared_volumes(volumes))
    if schema:
        checks += residual_checks(conn, schema)
    return checks


def require_encrypted_target(conn: Connection, schema: str) -> None:
    """Refuse to go on unless `encryption status` of the target schema has no FAIL.

    The one gate (issue #15 item 1) of migrate, verify, sanitize and the deploy recipes: it runs
    exactly the checks of `encryption status` (keyring, key file modes, system tablespaces,
    redo/undo/binlog/relay log encryption, every table and its readability, query logs,
    temporary files and tables, transport) and raises `RefusedForSafety` (exit 4) naming up to
    ten failed checks (names of checks and tables only, never content). Encrypted volumes are
    taken from `$PSEAMIGRATE_ENCRYPTED_VOLUMES`. An empty schema passes only if new tables will
    be encrypted too (MySQL: schema DEFAULT ENCRYPTION='Y'; MariaDB: innodb_encrypt_tables).

    It only reads. A caller that must write into a plaintext target anyway (an explicit
    `--allow-plaintext-target`) skips the call and records that override in its ledger.
    """
    backend = backend_for(conn)
    if not backend.keyring_loaded(conn):
        raise RefusedForSafety(
            "the target server has no keyring loaded, so nothing can be encrypted at rest: "
            "run `pseamigrate encryption setup` and `enable` first"
        )
    failed = [c for c in status_checks(conn, schema) if c.outcome is Outcome.FAIL]
    if failed:
        names = [c.name for c in failed]
        shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        raise RefusedForSafety(
            f"target schema {schema!r} is not safe to write: {len(failed)} encryption checks "
            f"fail ({shown}); see `pseamigrate encryption status`"
        )
