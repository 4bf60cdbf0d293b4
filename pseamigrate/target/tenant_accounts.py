"""Tenant accounts created by an administrator's routine, so the migration account needs no
global CREATE USER (issue #30, S10).

With CREATE USER an account may ALTER USER every other account: on MariaDB root included
(MySQL protects accounts holding SYSTEM_USER, MariaDB has no such privilege). So the
administrator (`server migration-account`, or a DBA running `admin_statements()` by hand, see
docs/operations.md) creates, in the schema `pseamigrateadmin`, a `SQL SECURITY DEFINER`
procedure the migration account may only EXECUTE. It creates or re-passwords one tenant
account and takes its earlier privileges away, and refuses

- a name that is not `<a registered target>_<code>` (letters, digits, `_`; 32 characters at
  most), a host outside `[A-Za-z0-9_.%:-]`, a password outside `[A-Za-z0-9_-]{20,128}`;
- an account that exists but was not created by this procedure (root, a DBA, another
  application's): it never alters an account it did not create.

The schema's name has no `_`, so no grant on `<target>\\_%` (the tenant schemas, which the
migration account holds with GRANT OPTION) can ever match it.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

ADMIN_SCHEMA = "pseamigrateadmin"
ROUTINE = f"{ADMIN_SCHEMA}.tenant_account"
CALL = f"CALL {ROUTINE}(:user, :host, :password)"
REFUSED = 1644  # the routine's SIGNAL: ER_SIGNAL_EXCEPTION

_RUN = "PREPARE pm_stmt FROM @pm_sql; EXECUTE pm_stmt; DEALLOCATE PREPARE pm_stmt;"
_ACCOUNT = "QUOTE(account_user), '@', QUOTE(account_host)"
PROCEDURE = f"""CREATE PROCEDURE {ROUTINE}(
  IN account_user VARCHAR(80), IN account_host VARCHAR(255), IN account_password VARCHAR(128))
  MODIFIES SQL DATA SQL SECURITY DEFINER
  COMMENT 'pseamigrate: create or re-password a tenant account it created (issue 30)'
BEGIN
  IF account_user IS NULL OR account_host IS NULL OR account_password IS NULL
     OR account_user NOT REGEXP '^[A-Za-z0-9_]{{1,32}}$'
     OR account_host NOT REGEXP '^[A-Za-z0-9_.%:-]{{1,255}}$'
     OR account_password NOT REGEXP '^[A-Za-z0-9_-]{{20,128}}$' THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'not a tenant account name, host or password';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM {ADMIN_SCHEMA}.targets
                 WHERE LEFT(account_user, CHAR_LENGTH(name) + 1) = CONCAT(name, '_')) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'not a tenant account of a registered target';
  END IF;
  IF EXISTS (SELECT 1 FROM mysql.user WHERE User = account_user AND Host = account_host)
     AND NOT EXISTS (SELECT 1 FROM {ADMIN_SCHEMA}.accounts
                     WHERE user_name = account_user AND host_name = account_host) THEN
    SIGNAL SQLSTATE '45000'
      SET MESSAGE_TEXT = 'the account exists and was not created by this routine';
  END IF;
  INSERT IGNORE INTO {ADMIN_SCHEMA}.accounts (user_name, host_name, created_at)
    VALUES (account_user, account_host, UTC_TIMESTAMP());
  SET @pm_sql = CONCAT('CREATE USER IF NOT EXISTS ', {_ACCOUNT},
                       ' IDENTIFIED BY ', QUOTE(account_password));
  {_RUN}
  SET @pm_sql = CONCAT('ALTER USER ', {_ACCOUNT}, ' IDENTIFIED BY ', QUOTE(account_password));
  {_RUN}
  SET @pm_sql = CONCAT('REVOKE ALL PRIVILEGES, GRANT OPTION FROM ', {_ACCOUNT});
  {_RUN}
  SET @pm_sql = NULL;
END"""


def admin_statements() -> list[str]:
    """Return the SQL (run by an administrator) that creates the schema, tables and routine."""
    return [
        f"CREATE DATABASE IF NOT EXISTS {ADMIN_SCHEMA}",
        f"CREATE TABLE IF NOT EXISTS {ADMIN_SCHEMA}.targets "
        "(name VARCHAR(64) NOT NULL PRIMARY KEY)",
        f"CREATE TABLE IF NOT EXISTS {ADMIN_SCHEMA}.accounts (user_name VARCHAR(80) NOT NULL, "
        "host_name VARCHAR(255) NOT NULL, created_at DATETIME NOT NULL, "
        "PRIMARY KEY (user_name, host_name))",
        f"DROP PROCEDURE IF EXISTS {ROUTINE}",
        PROCEDURE,
    ]


def register_statements(database: str, account: str) -> list[str]:
    """Return the SQL that lets `account` create the tenant accounts of `database` (whose
    name must be a plain identifier, checked by the caller) through the routine."""
    return [
        f"INSERT IGNORE INTO {ADMIN_SCHEMA}.targets (name) VALUES ('{database}')",
        f"GRANT EXECUTE ON PROCEDURE {ROUTINE} TO {account}",
    ]


def routine_available(conn: Connection) -> bool:
    """Tell whether the routine exists and the connected account may see (execute) it."""
    found = conn.execute(
        text(
            "SELECT COUNT(*) FROM information_schema.ROUTINES "
            "WHERE ROUTINE_SCHEMA = :schema AND ROUTINE_NAME = 'tenant_account'"
        ),
        {"schema": ADMIN_SCHEMA},
    ).scalar_one()
    return bool(found)
