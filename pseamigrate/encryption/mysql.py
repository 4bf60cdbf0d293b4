"""Oracle MySQL 8.0 / 8.4 / 9.x: keyring component (or the 8.0 `keyring_file` plugin) and TDE.

Verified in INFORMATION_SCHEMA.INNODB_TABLESPACES, TABLES.CREATE_OPTIONS, SCHEMATA and
performance_schema.keyring_component_status / keyring_keys (see docs/encryption.md).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

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
    quote_name,
    schema_checks,
    setting_check,
    variables,
)
from pseamigrate.encryption.binlogs import plaintext_binlogs
from pseamigrate.encryption.exposure import LOCAL_VARIABLES, server_is_local
from pseamigrate.encryption.keys import file_mode_check

# What `status` requires ON (CIS 4.10) and `enable` sets with SET PERSIST, which survives
# restarts (SET GLOBAL does not; docs/encryption.md).
PERSISTED = (
    "default_table_encryption",
    "table_encryption_privilege_check",
    "innodb_redo_log_encrypt",
    "innodb_undo_log_encrypt",
)
SETTINGS = (*PERSISTED, "binlog_encryption", "log_bin", "keyring_file_data")

TABLES_SQL = """
SELECT t.TABLE_NAME, t.ENGINE, t.CREATE_OPTIONS, ts.ENCRYPTION
FROM information_schema.TABLES t
LEFT JOIN information_schema.INNODB_TABLES it
  ON it.NAME = CONCAT(t.TABLE_SCHEMA, '/', t.TABLE_NAME)
LEFT JOIN information_schema.INNODB_TABLESPACES ts ON ts.SPACE = it.SPACE
WHERE t.TABLE_SCHEMA = :schema AND t.TABLE_TYPE = 'BASE TABLE'
ORDER BY t.TABLE_NAME
"""


class MySQLKeyring:
    """Encryption at rest on Oracle MySQL with a keyring component or plugin."""

    flavor = "mysql"
    table_option = "ENCRYPTION='Y'"

    def keyring(self, conn: Connection) -> dict[str, str]:
        """Return the keyring's status rows (component) or `{'plugin': name}` (8.0 plugin)."""
        try:
            rows = conn.execute(
                text(
                    "SELECT STATUS_KEY, STATUS_VALUE "
                    "FROM performance_schema.keyring_component_status"
                )
            ).all()
        except DBAPIError:
            rows = []
        found = {str(k): str(v) for k, v in rows}
        if found.get("Component_status") == "Active":
            return found
        plugin = active_plugin(conn, "PLUGIN_NAME LIKE 'keyring%'")
        return {"plugin": plugin} if plugin else {}

    def keyring_loaded(self, conn: Connection) -> bool:
        """Tell whether a keyring component or plugin is active."""
        return bool(self.keyring(conn))

    def tables(self, conn: Connection, schema: str) -> list[TableState]:
        """Return the encryption state of every base table of `schema`."""
        states = []
        for name, engine, options, space_enc in conn.execute(text(TABLES_SQL), {"schema": schema}):
            encrypted = space_enc == "Y" if space_enc else "ENCRYPTION='Y'" in (options or "")
            states.append(TableState(str(name), str(engine or UNOPENABLE), encrypted))
        return states

    def master_key(self, conn: Connection) -> str | None:
        """Return the newest InnoDB master key id in the keyring, or None."""
        try:
            ids = (
                conn.execute(
                    text(
                        "SELECT KEY_ID FROM performance_schema.keyring_keys "
                        "WHERE KEY_ID LIKE 'INNODBKey-%'"
                    )
                )
                .scalars()
                .all()
            )
        except DBAPIError:
            return None
        return max(ids, key=lambda key: int(str(key).rsplit("-", 1)[-1]), default=None)

    def status(self, conn: Connection, schema: str | None) -> list[Check]:
        """Check keyring, tables, tablespaces, logs and settings of this MySQL server."""
        values = variables(conn, SETTINGS)
        checks = self._keyring_checks(conn, values)
        checks += self._tablespace_checks(conn)
        checks += self._setting_checks(conn, values)
        if schema:
            checks += self._schema_checks(conn, schema)
        return checks

    def _keyring_checks(self, conn: Connection, values: dict[str, str]) -> list[Check]:
        keyring = self.keyring(conn)
        if not keyring:
            return [keyring_check(None, "no keyring component or plugin active")]
        kind = f"plugin {keyring['plugin']}" if "plugin" in keyring else "component_keyring_file"
        checks = [keyring_check(kind, "")]
        key = self.master_key(conn)
        spaces = conn.execute(
            text(
                "SELECT COUNT(*) FROM information_schema.INNODB_TABLESPACES WHERE ENCRYPTION = 'Y'"
            )
        ).scalar_one()
        if key:
            checks.append(
                Check(
                    "InnoDB master key",
                    Outcome.PASS,
                    f"version {key.rsplit('-', 1)[-1]} ({key})",
                    "4.10",
                )
            )
        elif spaces:
            checks.append(
                Check(
                    "InnoDB master key",
                    Outcome.FAIL,
                    f"{spaces} encrypted tablespaces but the keyring holds no InnoDB "
                    "master key: the keyring file was lost or replaced",
                    "4.10",
                )
            )
        path = keyring.get("Data_file") or values.get("keyring_file_data")
        if path:
            checks.append(file_mode_check("keyring file", path, "3.10"))
        return checks

    def _tablespace_checks(self, conn: Connection) -> list[Check]:
        rows = conn.execute(
            text(
                "SELECT NAME, ENCRYPTION FROM information_schema.INNODB_TABLESPACES "
                "WHERE NAME = 'mysql' OR NAME LIKE 'innodb\\_undo%' ORDER BY NAME"
            )
        ).all()
        return [
            Check(
                f"tablespace {name}",
                Outcome.PASS if enc == "Y" else Outcome.FAIL,
                "encrypted" if enc == "Y" else "not encrypted",
                "4.10",
            )
            for name, enc in rows
        ]

    def _setting_checks(self, conn: Connection, values: dict[str, str]) -> list[Check]:
        checks = [setting_check(values, name, "4.10") for name in PERSISTED]
        if not is_on(values.get("log_bin")):
            return [
                *checks,
                Check("binlog_encryption", Outcome.PASS, "binary log disabled", "2.2.1"),
            ]
        checks.append(setting_check(values, "binlog_encryption", "2.2.1"))
        return checks  # the files themselves: `binlogs.binlog_files_check` (exposure checks)

    def plaintext_binlogs(self, conn: Connection) -> list[str]:
        """Return the binary log files that are not encrypted (their header magic)."""
        return plaintext_binlogs(conn, server_is_local(variables(conn, LOCAL_VARIABLES)))

    def _schema_checks(self, conn: Connection, schema: str) -> list[Check]:
        default = _schema_default(conn, schema)
        if default is None:
            return missing_schema(schema)
        outcome = Outcome.PASS if default == "YES" else Outcome.FAIL
        head = Check(f"schema {schema} default encryption", outcome, default, "4.10")
        return schema_checks(conn, schema, self.tables(conn, schema), head)

    def enable_statements(self, conn: Connection, schema: str | None) -> list[Statement]:
        """Return the SQL still needed to encrypt settings, the mysql tablespace and `schema`."""
        values = variables(conn, SETTINGS)
        wanted = [*PERSISTED, *(["binlog_encryption"] if is_on(values.get("log_bin")) else [])]
        plan = [
            Statement(f"SET PERSIST {name} = ON", name)
            for name in wanted
            if name in values and not is_on(values[name])
        ]
        mysql_enc = conn.execute(
            text(
                "SELECT ENCRYPTION FROM information_schema.INNODB_TABLESPACES WHERE NAME = 'mysql'"
            )
        ).scalar()
        if mysql_enc != "Y":
            plan.append(Statement("ALTER TABLESPACE mysql ENCRYPTION = 'Y'", "mysql tablespace"))
        if schema:
            plan += self._schema_statements(conn, schema)
        return plan

    def _schema_statements(self, conn: Connection, schema: str) -> list[Statement]:
        plan = []
        if _schema_default(conn, schema) != "YES":
            sql = f"ALTER SCHEMA {quote_name(schema)} DEFAULT ENCRYPTION = 'Y'"
            plan.append(Statement(sql, f"schema {schema}"))
        tables = plaintext_innodb(self.tables(conn, schema))
        return plan + alter_tables(schema, tables, "ENCRYPTION = 'Y'")

    def config_notes(self, conn: Connection) -> list[str]:
        """Say what SQL cannot do here: loading the keyring itself (manifest + config files)."""
        if self.keyring_loaded(conn):
            return []
        return [
            "the keyring component is loaded at start from mysqld.my and "
            "component_keyring_file.cnf: run `pseamigrate encryption setup`, then restart"
        ]

    def rotate_statements(self, conn: Connection, schema: str | None) -> list[Statement]:
        """Return ALTER INSTANCE ROTATE INNODB (and BINLOG) MASTER KEY."""
        plan = [Statement("ALTER INSTANCE ROTATE INNODB MASTER KEY", "InnoDB master key")]
        if is_on(variables(conn, ["binlog_encryption"]).get("binlog_encryption")):
            plan.append(Statement("ALTER INSTANCE ROTATE BINLOG MASTER KEY", "binlog master key"))
        return plan

    def wait_until_encrypted(self, conn: Connection, timeout: float = 60.0) -> None:
        """Return at once: MySQL encrypts tablespaces synchronously in ALTER statements."""


def _schema_default(conn: Connection, schema: str) -> str | None:
    """Return the schema's DEFAULT ENCRYPTION ('YES'/'NO'), or None when it does not exist."""
    default = conn.execute(
        text("SELECT DEFAULT_ENCRYPTION FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = :s"),
        {"s": schema},
    ).scalar()
    return None if default is None else str(default)
