"""Encryption at rest: keyring checks, enabling, rotation and the refusal of plaintext targets.

`backend_for(conn)` picks the server family's backend from a dict (docs/architecture.md);
`require_encrypted_target(conn, schema)` is what the migration calls before writing.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from pseamigrate.db import server_flavor
from pseamigrate.encryption.base import Check, EncryptionBackend, Outcome, Statement, TableState
from pseamigrate.encryption.mariadb import MariaDBFileKeys
from pseamigrate.encryption.mysql import MySQLKeyring
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


def require_encrypted_target(conn: Connection, schema: str) -> None:
    """Refuse to go on unless the target schema is encrypted at rest.

    Contract (the migration calls this before its first write, issue #6):

    - raises `RefusedForSafety` (exit 4) when no keyring / key management plugin is loaded;
    - raises `RefusedForSafety` when any base table of `schema` is not encrypted (or cannot be
      opened), naming up to ten of them (table names only, never content);
    - returns None when a keyring is loaded and every table is encrypted. An empty schema
      passes only if new tables will be encrypted too (MySQL: schema DEFAULT ENCRYPTION='Y';
      MariaDB: innodb_encrypt_tables ON/FORCE), so the safe order "encrypt the empty
      target, then migrate" works.

    It only reads. A caller that must write into a plaintext target anyway (an explicit
    `--allow-plaintext-target`) skips the call and records that override in its ledger.
    """
    backend = backend_for(conn)
    if not backend.keyring_loaded(conn):
        raise RefusedForSafety(
            "the target server has no keyring loaded, so nothing can be encrypted at rest: "
            "run `pseamigrate encryption setup` and `enable` first"
        )
    plain = [t.name for t in backend.tables(conn, schema) if not t.encrypted]
    if plain:
        shown = ", ".join(plain[:10]) + (f" and {len(plain) - 10} more" if len(plain) > 10 else "")
        raise RefusedForSafety(
            f"{len(plain)} tables of target schema {schema!r} are not encrypted ({shown}): "
            "run `pseamigrate encryption enable`"
        )
    checks = backend.status(conn, schema)
    new_tables = [
        c
        for c in checks
        if (c.name in NEW_TABLE_CHECKS or c.name.endswith("default encryption"))
        and c.outcome is Outcome.FAIL
    ]
    if new_tables:
        raise RefusedForSafety(
            f"new tables in {schema!r} would not be encrypted ({new_tables[0].name} is "
            f"{new_tables[0].detail}): run `pseamigrate encryption enable`"
        )


NEW_TABLE_CHECKS = {"innodb_encrypt_tables", "default_table_encryption"}
