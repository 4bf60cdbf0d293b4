"""The lease lock that keeps two runs from writing one target at the same time.

The lock is a row in `pm_locks` naming its holder (host, pid, run) and when it expires. The
holder pushes the expiry forward after every batch. A second run is refused, told who holds
it and until when; a lock whose holder process is gone on this host is taken over at once (a
run killed with -9 leaves no sticky "busy" state), one held from another host after it expires.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from pseamigrate.childenv import pid_alive
from pseamigrate.errors import LockHeld
from pseamigrate.target.ledger import Ledger, now

LOCK_NAME = "migrate"
LEASE = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Holder:
    """Who holds the lock: this host and process."""

    host: str
    pid: int

    @classmethod
    def me(cls) -> Holder:
        """Return this process as a lock holder."""
        return cls(socket.gethostname(), os.getpid())

    def key(self) -> tuple[str, int]:
        """Return (host, pid), how the ledger matches the holder."""
        return (self.host, self.pid)


def takeable(row: dict[str, Any], holder: Holder, moment: dt.datetime) -> bool:
    """Tell whether `holder` may take a lock row: expired, its own, or its holder is gone."""
    if row["expires_at"] <= moment:
        return True
    if row["holder_host"] != holder.host:
        return False
    return int(row["holder_pid"]) == holder.pid or not pid_alive(int(row["holder_pid"]))


def acquire(engine: Engine, ledger: Ledger, holder: Holder) -> None:
    """Take the lock or raise `LockHeld` naming the holder and its expiry."""
    try:
        with engine.begin() as conn:
            moment = now()
            row = ledger.read_lock(conn, LOCK_NAME)
            if row is not None and not takeable(dict(row), holder, moment):
                raise LockHeld(
                    str(row["holder_host"]),
                    int(row["holder_pid"]),
                    row["run_id"],
                    row["expires_at"],
                )
            # Runs start only under the lock, so every run still "running" died: with a holder
            # taken over, or interrupted between writing its row and learning its id.
            ledger.stop_running(conn)
            values = {
                "holder_host": holder.host,
                "holder_pid": holder.pid,
                "run_id": None,
                "acquired_at": moment,
                "expires_at": moment + LEASE,
            }
            ledger.write_lock(conn, LOCK_NAME, values)
    except DBAPIError:  # two runs raced for a free lock: the other one won it
        raise LockHeld("another process", 0, None, now() + LEASE) from None


def renew(conn: Connection, ledger: Ledger, holder: Holder, run_id: int | None) -> None:
    """Push the expiry forward (and name the run); raise `LockHeld` if the lock was lost."""
    values: dict[str, Any] = {"expires_at": now() + LEASE}
    if run_id is not None:
        values["run_id"] = run_id
    if not ledger.renew_lock(conn, LOCK_NAME, holder.key(), values):
        raise LockHeld("another process", 0, None, now() + LEASE, lost=True)


def release(engine: Engine, ledger: Ledger, holder: Holder) -> None:
    """Give the lock back (a no-op when this process no longer holds it)."""
    with engine.begin() as conn:
        ledger.release_lock(conn, LOCK_NAME, holder.key())
