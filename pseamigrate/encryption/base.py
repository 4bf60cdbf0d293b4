"""What every encryption backend provides, and the small data types they share.

A backend answers three questions about one server: is it encrypted at rest (`status`), which
SQL would make it so (`enable_statements`), and which SQL rotates its keys (`rotate_statements`).
Statements are returned as data so `--sql` can print them for a DBA (docs/encryption.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import Connection

from pseamigrate.names import quote_listed_name


class Outcome(StrEnum):
    """The result of one check."""

    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Check:
    """One verdict of `encryption status`: what was checked, the outcome, why, and its CIS item."""

    name: str
    outcome: Outcome
    detail: str
    cis: str = ""

    def as_dict(self) -> dict[str, str]:
        """Return the check as plain JSON-ready values."""
        return {
            "name": self.name,
            "outcome": self.outcome.value,
            "detail": self.detail,
            "cis": self.cis,
        }


@dataclass(frozen=True)
class Statement:
    """One SQL statement of a plan, with a short label for progress output."""

    sql: str
    label: str
    table: str = ""  # the table a rebuild statement encrypts, if any


# information_schema shows no engine for a table the server cannot open (e.g. its key is missing)
UNOPENABLE = "cannot be opened"


@dataclass(frozen=True)
class TableState:
    """Whether one table of the target schema is encrypted (no content, only names)."""

    name: str
    engine: str
    encrypted: bool
    key: str = ""


class EncryptionBackend(Protocol):
    """The per-server-family part of encryption at rest (MySQL keyring vs MariaDB key files)."""

    flavor: str
    table_option: str  # the CREATE TABLE option that encrypts a table

    def keyring_loaded(self, conn: Connection) -> bool:
        """Tell whether a keyring / key management plugin is active."""
        ...

    def tables(self, conn: Connection, schema: str) -> list[TableState]:
        """Return the encryption state of every base table of `schema`."""
        ...

    def status(self, conn: Connection, schema: str | None) -> list[Check]:
        """Check keyring, tables, tablespaces, logs and settings; one `Check` each."""
        ...

    def enable_statements(self, conn: Connection, schema: str | None) -> list[Statement]:
        """Return the SQL still needed to encrypt everything (empty when already done)."""
        ...

    def config_notes(self, conn: Connection) -> list[str]:
        """Say which settings SQL cannot change on this server and must go in my.cnf."""
        ...

    def rotate_statements(self, conn: Connection, schema: str | None) -> list[Statement]:
        """Return the SQL that rotates the master key (MySQL) or re-keys tables (MariaDB)."""
        ...

    def plaintext_binlogs(self, conn: Connection) -> list[str]:
        """Return the binary log files known to be unencrypted."""
        ...

    def wait_until_encrypted(self, conn: Connection, timeout: float = 60.0) -> None:
        """Wait until background encryption of system tablespaces is done (MariaDB)."""
        ...


def variables(conn: Connection, names: Sequence[str]) -> dict[str, str]:
    """Return the global values of the named server variables that exist (lower-case names)."""
    rows = conn.execute(text("SHOW GLOBAL VARIABLES")).all()
    wanted = {name.lower() for name in names}
    return {str(r[0]).lower(): str(r[1]) for r in rows if str(r[0]).lower() in wanted}


def is_on(value: str | None) -> bool:
    """Tell whether a server variable's value means enabled."""
    return (value or "").upper() in {"ON", "1", "YES", "FORCE", "TRUE"}


def quote_name(name: str) -> str:
    """Quote a name the server listed (a schema's tables): `db.quote_listed_name`."""
    return quote_listed_name(name)


def setting_check(
    values: dict[str, str], name: str, cis: str = "", why: str = "", fail: bool = True
) -> Check:
    """Check that server variable `name` is enabled."""
    if name not in values:
        return Check(name, Outcome.WARN, "not available on this server", cis)
    value = values[name]
    if is_on(value):
        return Check(name, Outcome.PASS, f"{value}", cis)
    return Check(name, Outcome.FAIL if fail else Outcome.WARN, f"{value}{why}", cis)


def table_checks(tables: list[TableState], schema: str, cis: str) -> list[Check]:
    """Turn the per-table states into checks: one summary plus one line per table."""
    plain = [t for t in tables if not t.encrypted]
    checks = []
    for t in tables:
        if t.engine == UNOPENABLE:
            continue  # the read check says why
        detail = ", ".join(filter(None, [t.engine, t.key]))
        if t.encrypted:
            checks.append(
                Check(f"table {schema}.{t.name}", Outcome.PASS, f"encrypted ({detail})", cis)
            )
        else:
            checks.append(
                Check(f"table {schema}.{t.name}", Outcome.FAIL, f"not encrypted ({detail})", cis)
            )
    outcome = Outcome.FAIL if plain else Outcome.PASS
    detail = f"{len(tables) - len(plain)} of {len(tables)} tables encrypted"
    return [Check(f"tables in {schema}", outcome, detail, cis), *checks]


def readable_checks(conn: Connection, schema: str, tables: list[TableState]) -> list[Check]:
    """Read one row of each encrypted table: proves the key really opens the data."""
    checks = []
    for table in tables:
        if not table.encrypted and table.engine != UNOPENABLE:
            continue
        sql = f"SELECT 1 FROM {quote_name(schema)}.{quote_name(table.name)} LIMIT 1"
        try:
            conn.execute(text(sql)).all()
        except Exception as exc:  # noqa: BLE001 - any driver error means unreadable
            checks.append(Check(f"read {schema}.{table.name}", Outcome.FAIL, explain(exc)))
    if not checks and any(t.encrypted for t in tables):
        checks.append(
            Check(f"encrypted tables of {schema} readable", Outcome.PASS, "keys open them")
        )
    return checks


KNOWN_ERRORS = {
    3185: "the keyring holds no InnoDB master key for this table (keyring file lost or "
    "replaced?) - restore the keyring from `encryption backup-key`",
    1877: "the key id this table uses is missing from the key file (MariaDB reports it as "
    "'corrupted') - restore the key file from a backup",
    1932: "the table's tablespace cannot be opened",
}


def explain(exc: Exception) -> str:
    """Turn a driver error on an encrypted table into the reason, without SQL or values."""
    orig = getattr(exc, "orig", exc)
    code = orig.args[0] if getattr(orig, "args", None) else None
    if isinstance(code, int):
        return f"error {code}: {KNOWN_ERRORS.get(code, 'cannot be read')}"
    return f"cannot be read ({type(orig).__name__})"


def active_plugin(conn: Connection, condition: str) -> str | None:
    """Return the name of the first active server plugin matching the SQL `condition`, or None."""
    name = conn.execute(
        text(
            "SELECT PLUGIN_NAME FROM information_schema.PLUGINS "
            f"WHERE {condition} AND PLUGIN_STATUS = 'ACTIVE' LIMIT 1"
        )
    ).scalar()
    return str(name) if name else None


def keyring_check(active: str | None, missing: str) -> Check:
    """Check that a keyring is loaded: PASS naming what is `active`, else FAIL saying `missing`."""
    if active:
        return Check("keyring loaded", Outcome.PASS, f"{active} active", "4.10")
    return Check("keyring loaded", Outcome.FAIL, missing, "4.10")


def schema_checks(
    conn: Connection, schema: str, tables: list[TableState], head: Check
) -> list[Check]:
    """Return the checks of an existing schema: `head` (the server's own), tables, readability."""
    return [head, *table_checks(tables, schema, "4.10"), *readable_checks(conn, schema, tables)]


def missing_schema(schema: str) -> list[Check]:
    """Return the single check that reports a schema that does not exist."""
    return [Check(f"schema {schema}", Outcome.FAIL, "does not exist")]


def alter_tables(schema: str, tables: list[TableState], option: str) -> list[Statement]:
    """Return one `ALTER TABLE schema.table <option>` per table, labelled for progress output."""
    q = quote_name(schema)
    return [
        Statement(
            f"ALTER TABLE {q}.{quote_name(t.name)} {option}", f"table {schema}.{t.name}", t.name
        )
        for t in tables
    ]


def plaintext_innodb(tables: list[TableState]) -> list[TableState]:
    """Return the InnoDB tables that are not encrypted yet (the ones `enable` rebuilds)."""
    return [t for t in tables if not t.encrypted and t.engine == "InnoDB"]
