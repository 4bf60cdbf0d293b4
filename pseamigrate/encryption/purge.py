"""`pseamigrate encryption purge-residual`: clear pre-encryption copies on an operator's server.

`residual.purge_residual` does the same on a server this process started (it can stop and start
it). A server the operator runs (named by `--basedir`) is stopped with a slow `SHUTDOWN` through
SQL, but only the operator can start it again (systemd, a service script), so the work has two
parts with the restart between them:

1. `purge-residual --basedir DIR --schema S`: purge the binary logs written before encryption,
   rebuild MySQL's undo tablespaces, slow shutdown, wait until the server has stopped, delete
   MySQL's doublewrite files (recreated at start). The server is left stopped.
2. The operator starts the server as usual.
3. `purge-residual --basedir DIR --schema S --record`: record the purge in
   `S.pm_encryption_residual`, which clears the residual-plaintext WARN of `encryption status`.

See docs/encryption.md, "Residual plaintext".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from pseamigrate.db import connection
from pseamigrate.encryption.binlogs import plaintext_binlogs
from pseamigrate.encryption.residual import (
    doublewrite_files,
    mark_purged,
    purge_binlogs,
    truncate_undo,
)
from pseamigrate.errors import PseamigrateError
from pseamigrate.ledger import RESIDUAL_TABLE
from pseamigrate.servers import LocalServer, existing_server

Say = Callable[[str], None]
STOP_TIMEOUT = 600.0  # a slow shutdown writes every dirty page first


@dataclass(frozen=True)
class PurgePlan:
    """The steps one part of the purge runs, in order, and what the operator does next."""

    flavor: str
    steps: tuple[str, ...]
    next_step: str


def plan_purge(
    server: LocalServer, schema: str, record: bool = False, plaintext: Sequence[str] = ()
) -> PurgePlan:
    """Return the steps of the purge's first part (or, with `record`, of its last part);
    `plaintext`: the binary log files not encrypted now (`binlogs.plaintext_binlogs`)."""
    again = f"pseamigrate encryption purge-residual --basedir {server.basedir} --schema {schema}"
    if record:
        done = f"record the purge in {schema}.{RESIDUAL_TABLE} (clears the status WARN)"
        return PurgePlan(server.flavor, (done,), "run `pseamigrate encryption status` to confirm")
    steps = [
        "purge the binary logs written before binlog encryption (FLUSH BINARY LOGS, then PURGE "
        "BINARY LOGS TO the new one): point-in-time recovery before now is lost, so back them "
        "up to encrypted storage first; plaintext now: " + (", ".join(plaintext) or "none")
    ]
    if server.flavor == "mysql":
        steps.append("rebuild every active undo tablespace (inactive, emptied, active again)")
    steps.append(
        "slow shutdown: SET GLOBAL innodb_fast_shutdown = 0, then SHUTDOWN (every page is "
        "written to its encrypted tablespace); the server stops"
    )
    steps.append(f"wait until the server has stopped (at most {STOP_TIMEOUT:.0f} s)")
    if server.flavor == "mysql":
        steps.append(f"delete the doublewrite files #ib_*.dblwr in {server.datadir}")
    restart = (
        f"start the server again the way you normally do (its options: {server.config_path}); "
        f"it recreates the doublewrite files; then run `{again} --record`"
    )
    return PurgePlan(server.flavor, tuple(steps), restart)


def purge_until_restart(
    basedir: Path, schema: str, dry_run: bool = False, say: Say | None = None
) -> PurgePlan:
    """Run the purge's first part on the server in `basedir`; it ends with the server stopped."""
    server = existing_server(basedir)
    with connection(server.url(), "the server", autocommit=True) as conn:
        plan = plan_purge(server, schema, plaintext=plaintext_binlogs(conn, local=True))
        if dry_run:
            return plan
    tell = say or (lambda _message: None)
    with connection(server.url(), "the server", autocommit=True) as conn:
        tell(f"purged binary logs: {', '.join(purge_binlogs(conn)) or 'none'}")
        if server.flavor == "mysql":
            tell(f"rebuilt undo tablespaces: {', '.join(truncate_undo(conn))}")
        conn.execute(text("SET GLOBAL innodb_fast_shutdown = 0"))
        try:
            conn.execute(text("SHUTDOWN"))
        except DBAPIError as exc:  # the server may drop the connection as it goes down
            if not _lost(exc):
                raise
        conn.invalidate()  # the server is going away: close without a rollback
    _wait_until_stopped(server)
    tell("the server has stopped")
    for path in doublewrite_files(server) if server.flavor == "mysql" else []:
        path.unlink()
        tell(f"deleted {path.name}")
    return plan


def record_purge(basedir: Path, schema: str, dry_run: bool = False) -> tuple[PurgePlan, int]:
    """Run the purge's last part: mark the residual tables purged; return how many."""
    server = existing_server(basedir)
    plan = plan_purge(server, schema, record=True)
    if dry_run:
        return plan, 0
    with connection(server.url(), "the server", begin=True) as conn:
        return plan, mark_purged(conn, schema)


def _wait_until_stopped(server: LocalServer) -> None:
    """Wait until the server's pid file is gone and its port refuses connections."""
    pid_file = Path(server.options.get("pid-file", server.basedir / "run" / "mysqld.pid"))
    deadline = time.monotonic() + STOP_TIMEOUT
    while pid_file.exists() or _answers(server):
        if time.monotonic() > deadline:
            raise PseamigrateError(f"the server in {server.basedir} did not stop in time")
        time.sleep(0.5)


def _lost(exc: DBAPIError) -> bool:
    """Tell whether a driver error says the connection was lost (what SHUTDOWN may cause)."""
    code = exc.orig.args[0] if exc.orig is not None and exc.orig.args else None
    return code in (1927, 2006, 2013)  # killed, server has gone away, lost during query


def _answers(server: LocalServer) -> bool:
    try:
        with connection(server.url(), "the server"):
            return True
    except PseamigrateError:
        return False
