"""A pseamigrate server directory operated from recipes: init, start detached, stop, databases.

`pseamigrate.servers` ties each server to the process that starts it (right for tests and the
demo). A recipe runs each step as its own command, so here the server is started in its own
session (`setsid -f`), outlives the step, and is stopped later through its pid file. Root has no
password on these private, loopback-only servers: they serve test targets and drills; a
production target is the packaged service (docs/operations.md).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from pathlib import Path

from sqlalchemy import text

from pseamigrate.db import connection
from pseamigrate.encryption.base import quote_name
from pseamigrate.encryption.keys import write_secret
from pseamigrate.errors import ServerError, UsageProblem
from pseamigrate.names import check_name, quote_account
from pseamigrate.servers import LocalServer, existing_server, new_server
from pseamigrate.servers.instance import START_TIMEOUT, _answers
from pseamigrate.target.tenant_accounts import ADMIN_SCHEMA, admin_statements, register_statements


def init_server(flavor: str, basedir: Path, port: int) -> LocalServer:
    """Create a server directory (my.cnf, initialised datadir) listening on 127.0.0.1:`port`."""
    server = new_server(flavor, basedir, {})
    server.port = port
    server.initialize()
    return server


def pid_of(server: LocalServer) -> int | None:
    """Return the pid the running server wrote, or None when it is not running."""
    pid_file = server.basedir / "run" / "mysqld.pid"
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def start_detached(basedir: Path, timeout: float = START_TIMEOUT) -> LocalServer:
    """Start the server of `basedir` in its own session and wait until it answers."""
    server = existing_server(basedir)
    if pid_of(server) is not None and _answers(server.port):
        return server
    with open(server.log_path, "ab") as log:
        subprocess.run(
            ["setsid", "-f", *server.kind.server_command(server)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=server.kind.environment(),
            check=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _answers(server.port):
            return server
        time.sleep(0.2)
    raise ServerError(
        f"the server in {basedir} did not answer within {timeout:.0f}s:\n{server.log_tail()}"
    )


def stop_detached(basedir: Path, timeout: float = 120.0) -> bool:
    """Stop the server of `basedir` (SIGTERM, a clean shutdown); return whether it ran."""
    server = existing_server(basedir)
    pid = pid_of(server)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            return True
        time.sleep(0.2)
    raise ServerError(f"the server in {basedir} (pid {pid}) did not stop within {timeout:.0f}s")


def create_database(basedir: Path, name: str) -> None:
    """Create the utf8mb4 database `name` on the server of `basedir` (kept if it exists)."""
    server = existing_server(basedir)
    with connection(server.url(), begin=True) as conn:
        conn.execute(
            text(f"CREATE DATABASE IF NOT EXISTS {quote_name(name)} CHARACTER SET utf8mb4")
        )


MIGRATION_ACCOUNT = "psea_migrate"


def migration_grants(database: str, account: str, flavor: str) -> list[str]:
    """Return the grants of the migration account: the target's DDL and data, the tenant
    schemas `<database>_<code>` (views, with grant option for `country grant`), the routine
    that creates tenant accounts (never CREATE USER itself: with it the account could alter
    every other account, on MariaDB root included; issue #30 S10), and what the encryption
    checks run before every write read (PROCESS for the INNODB_* tables, REPLICATION CLIENT for
    the binary logs, MySQL's keyring status)."""
    tenants = database.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + "\\_%"
    grants = [
        f"GRANT ALL PRIVILEGES ON {quote_name(database)}.* TO {account}",
        f"GRANT ALL PRIVILEGES ON {quote_name(tenants)}.* TO {account} WITH GRANT OPTION",
        f"REVOKE CREATE USER ON *.* FROM {account}",  # granted by versions before issue #30
        f"GRANT PROCESS, REPLICATION CLIENT ON *.* TO {account}",
        *register_statements(database, account),
    ]
    if flavor == "mysql":  # key ids and status only, never key material
        for table in ("keyring_component_status", "keyring_keys"):
            grants.append(f"GRANT SELECT ON performance_schema.{table} TO {account}")
    return grants


def create_migration_account(
    basedir: Path, database: str, option_file: Path, client_host: str = "127.0.0.1"
) -> str:
    """Create (or rotate) the account migrations and `country` commands use; write its option
    file (0600, never printed). Returns the account name."""
    check_name(database, "the target database name")
    if database == ADMIN_SCHEMA:
        raise UsageProblem(f"{ADMIN_SCHEMA} holds the tenant account routine: name another one")
    server = existing_server(basedir)
    account = quote_account(MIGRATION_ACCOUNT, client_host)
    password = secrets.token_urlsafe(24)
    with connection(server.url(), begin=True) as conn:
        for statement in admin_statements():
            conn.execute(text(statement))
        conn.execute(
            text(f"CREATE USER IF NOT EXISTS {account} IDENTIFIED BY :pw"), {"pw": password}
        )
        conn.execute(text(f"ALTER USER {account} IDENTIFIED BY :pw"), {"pw": password})
        for statement in migration_grants(database, account, server.flavor):
            conn.execute(text(statement))
    lines = [
        "# pseamigrate: the migration account (owns the target's DDL). Keep this file 0600.",
        "[client]",
        f"user={MIGRATION_ACCOUNT}",
        f"password={password}",
        f"host={client_host}",
        f"port={server.port}",
        f"database={database}",
    ]
    write_secret(option_file, ("\n".join(lines) + "\n").encode())
    return account
