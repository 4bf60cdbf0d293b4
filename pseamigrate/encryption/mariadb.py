"""MariaDB: the `file_key_management` plugin and InnoDB/Aria/log encryption.

Verified in INFORMATION_SCHEMA.INNODB_TABLESPACES_ENCRYPTION. file_key_management has no key
versions, so rotation means a new key id made the default and tables rebuilt with it.
"""

from __future__ import annotations

import time

from sqlalchemy import text
from sqlalchemy.engine import Connection

from pseamigrate.encryption.base import (
    UNOPENABLE,
    Check,
    Outcome,
    Statement,
    TableState,
    active_plugin,
    alter_tables,
    is_on,
    keyring_check,
    missing_schema,
    plaintext_innodb,
    schema_checks,
    setting_check,
    variables,
)
from pseamigrate.encryption.binlogs import plaintext_binlogs
from pseamigrate.encryption.exposure import LOCAL_VARIABLES, server_is_local
from pseamigrate.encryption.keys import file_mode_check
from pseamigrate.errors import PseamigrateError

# What `status` requires ON (CIS 4.10); encrypt_binlog (2.2.1) only when the binary log is on.
REQUIRED = (
    "innodb_encrypt_tables",
    "innodb_encrypt_log",
    "innodb_encrypt_temporary_tables",
    "encrypt_tmp_files",
    "aria_encrypt_tables",
)
SETTINGS = (
    *REQUIRED,
    "encrypt_binlog",
    "log_bin",
    "innodb_default_encryption_key_id",
    "innodb_encryption_threads",
    "file_key_management_filename",
    "file_key_management_filekey",
)
# Read only at start: SQL cannot switch these on (SET GLOBAL fails), my.cnf must.
STATIC = (
    "innodb_encrypt_log",
    "encrypt_tmp_files",
    "encrypt_binlog",
    "innodb_encrypt_temporary_tables",
)

TABLES_SQL = """
SELECT t.TABLE_NAME, t.ENGINE, e.ENCRYPTION_SCHEME, e.CURRENT_KEY_ID
FROM information_schema.TABLES t
LEFT JOIN information_schema.INNODB_TABLESPACES_ENCRYPTION e
  ON e.NAME = CONCAT(t.TABLE_SCHEMA, '/', t.TABLE_NAME)
WHERE t.TABLE_SCHEMA = :schema AND t.TABLE_TYPE = 'BASE TABLE'
ORDER BY t.TABLE_NAME
"""

# innodb_system has no row until the background threads first touch it.
WAIT_SQL = """
SELECT
  SUM(NAME = 'innodb_system' AND ENCRYPTION_SCHEME = 1 AND ROTATING_OR_FLUSHING = 0),
  SUM(NAME LIKE 'mysql/%' AND (ENCRYPTION_SCHEME = 0 OR ROTATING_OR_FLUSHING = 1))
FROM information_schema.INNODB_TABLESPACES_ENCRYPTION
"""


class MariaDBFileKeys:
    """Encryption at rest on MariaDB with file_key_management."""

    flavor = "mariadb"
    table_option = "ENCRYPTED=YES"

    def plugin(self, conn: Connection) -> str | None:
        """Return the active encryption plugin's name, or None."""
        return active_plugin(conn, "PLUGIN_TYPE = 'ENCRYPTION'")

    def keyring_loaded(self, conn: Connection) -> bool:
        """Tell whether an encryption (key management) plugin is active."""
        return self.plugin(conn) is not None

    def tables(self, conn: Connection, schema: str) -> list[TableState]:
        """Return the encryption state of every base table of `schema`."""
        states = []
        for name, engine, scheme, key_id in conn.execute(text(TABLES_SQL), {"schema": schema}):
            if engine is None:
                states.append(TableState(str(name), UNOPENABLE, False))
                continue
            # Only InnoDB's encryption is visible through SQL. aria_encrypt_tables covers only
            # Aria tables created or rebuilt after it was switched on, and nothing says which;
            # MyISAM and CSV are never encrypted. The target is InnoDB only.
            encrypted = engine == "InnoDB" and scheme == 1
            key = f"key id {key_id}" if key_id is not None and encrypted else ""
            states.append(TableState(str(name), str(engine), encrypted, key))
        return states

    def status(self, conn: Connection, schema: str | None) -> list[Check]:
        """Check plugin, key files, system tablespaces, logs, settings and `schema`'s tables."""
        values = variables(conn, SETTINGS)
        checks = [keyring_check(self.plugin(conn), "no encryption plugin active")]
        checks += self._key_file_checks(values)
        checks += self._system_checks(conn)
        checks += [setting_check(values, name, "4.10") for name in REQUIRED]
        checks.append(
            setting_check(values, "encrypt_binlog", "2.2.1", fail=is_on(values.get("log_bin")))
        )
        if schema:
            checks += self._schema_checks(conn, schema, values)
        return checks

    def _key_file_checks(self, values: dict[str, str]) -> list[Check]:
        checks = []
        if values.get("file_key_management_filename"):
            checks.append(
                file_mode_check("key file", values["file_key_management_filename"], "3.10")
            )
        filekey = values.get("file_key_management_filekey", "")
        if filekey.startswith("FILE:"):
            checks.append(file_mode_check("key file passphrase", filekey[5:], "3.10"))
        elif "file_key_management_filename" in values:
            checks.append(
                Check(
                    "key file passphrase",
                    Outcome.WARN,
                    "key file is not encrypted with a file key",
                    "3.10",
                )
            )
        return checks

    def _system_checks(self, conn: Connection) -> list[Check]:
        rows = conn.execute(
            text(
                "SELECT NAME, ENCRYPTION_SCHEME "
                "FROM information_schema.INNODB_TABLESPACES_ENCRYPTION "
                "WHERE NAME = 'innodb_system' OR NAME LIKE 'mysql/%' ORDER BY NAME"
            )
        ).all()
        plain = [str(name) for name, scheme in rows if scheme != 1]
        if not rows or "innodb_system" in plain or not any(n == "innodb_system" for n, _ in rows):
            return [Check("tablespace innodb_system", Outcome.FAIL, "not encrypted", "4.10")]
        if plain:
            return [
                Check(
                    "system tablespaces", Outcome.FAIL, f"not encrypted: {', '.join(plain)}", "4.10"
                )
            ]
        return [Check("system tablespaces", Outcome.PASS, f"{len(rows)} encrypted", "4.10")]

    def _schema_checks(self, conn: Connection, schema: str, values: dict[str, str]) -> list[Check]:
        exists = conn.execute(
            text("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = :s"),
            {"s": schema},
        ).scalar_one()
        if not exists:
            return missing_schema(schema)
        tables = self.tables(conn, schema)
        default_id = values.get("innodb_default_encryption_key_id", "1")
        keys = ", ".join(sorted({t.key for t in tables if t.key})) or "none"
        head = Check(
            "encryption key id", Outcome.PASS, f"default {default_id}; {schema} uses {keys}", "4.10"
        )
        return schema_checks(conn, schema, tables, head)

    def enable_statements(self, conn: Connection, schema: str | None) -> list[Statement]:
        """Return the SQL still needed: innodb_encrypt_tables and each plaintext InnoDB table."""
        values = variables(conn, SETTINGS)
        plan = []
        if not is_on(values.get("innodb_encrypt_tables")):
            plan.append(Statement("SET GLOBAL innodb_encrypt_tables = ON", "innodb_encrypt_tables"))
        if values.get("innodb_encryption_threads") == "0":
            # Without background threads innodb_system and mysql/* are never encrypted.
            plan.append(
                Statement("SET GLOBAL innodb_encryption_threads = 2", "innodb_encryption_threads")
            )
        if not is_on(values.get("aria_encrypt_tables")) and "aria_encrypt_tables" in values:
            plan.append(Statement("SET GLOBAL aria_encrypt_tables = ON", "aria_encrypt_tables"))
        if schema:
            plan += alter_tables(
                schema, plaintext_innodb(self.tables(conn, schema)), "ENCRYPTED = YES"
            )
        return plan

    def config_notes(self, conn: Connection) -> list[str]:
        """Say which settings must go in my.cnf (MariaDB has no SET PERSIST)."""
        values = variables(conn, SETTINGS)
        notes = [
            f"{name}=ON must be set in my.cnf (read only at start), then restart"
            for name in STATIC
            if name in values and not is_on(values[name])
        ]
        if not self.keyring_loaded(conn):
            notes.insert(0, "load file_key_management at start: run `pseamigrate encryption setup`")
        notes.append(
            "SET GLOBAL does not survive a restart: keep innodb_encrypt_tables=ON in my.cnf"
        )
        return notes

    def rotate_statements(self, conn: Connection, schema: str | None) -> list[Statement]:
        """Return ALTER TABLE … ENCRYPTION_KEY_ID=<default> for tables still on an older key."""
        default = variables(conn, ["innodb_default_encryption_key_id"]).get(
            "innodb_default_encryption_key_id", "1"
        )
        if not schema:
            return []
        older = [
            t
            for t in self.tables(conn, schema)
            if t.engine == "InnoDB" and t.key != f"key id {default}"
        ]
        return alter_tables(schema, older, f"ENCRYPTED = YES ENCRYPTION_KEY_ID = {int(default)}")

    def plaintext_binlogs(self, conn: Connection) -> list[str]:
        """Return the binary log files with no Start_encryption event after their header."""
        return plaintext_binlogs(conn, server_is_local(variables(conn, LOCAL_VARIABLES)))

    def wait_until_encrypted(self, conn: Connection, timeout: float = 60.0) -> None:
        """Wait for the background threads to finish encrypting system tablespaces."""
        if not is_on(variables(conn, ["innodb_encrypt_tables"]).get("innodb_encrypt_tables")):
            return  # nothing would ever finish: status reports it
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done, pending = conn.execute(text(WAIT_SQL)).one()
            if done and not pending:
                return
            time.sleep(0.2)
        raise PseamigrateError("background encryption did not finish in time; run status later")
