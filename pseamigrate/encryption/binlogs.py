"""Which binary log files are encrypted, read from each file's first bytes (issue #30, S6).

Turning binlog encryption on encrypts only the files written afterwards: the older ones keep
row images in plaintext until they are purged (`encryption purge-residual`). Neither server
says so reliably through SQL alone (MariaDB's SHOW BINARY LOGS has no such column), so the
file itself is read:

- MySQL: an encrypted binary log starts with the magic `\\xfdbin`, a plain one with `\\xfebin`;
- MariaDB: every file starts `\\xfebin` and a format description event; in an encrypted file
  the next event is a Start_encryption event (type 164), in a plain one anything else.

When the server runs on this host its files are read directly (`log_bin_basename`); otherwise,
or when the files are not readable here, the server reads them: MariaDB's SHOW BINLOG EVENTS
(the second event's type), MySQL's SHOW BINARY LOGS `Encrypted` (from the same magic).
"""

from __future__ import annotations

import struct
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from pseamigrate.encryption.base import Check, Outcome, is_on, variables

PLAIN_MAGIC = b"\xfebin"
MYSQL_ENCRYPTED_MAGIC = b"\xfdbin"
EVENT_TYPE_AT = 4  # in an event header: timestamp (4), then the type (1)
EVENT_SIZE_AT = 9  # then server id (4), then the event's size (4, little-endian)
START_ENCRYPTION_EVENT = 164  # MariaDB's log_event.h
HEAD_BYTES = 4096  # a format description event is a few hundred bytes


def header_encrypted(head: bytes) -> bool | None:
    """Tell from a binary log file's first bytes whether it is encrypted (None: not a binlog)."""
    if head.startswith(MYSQL_ENCRYPTED_MAGIC):
        return True
    if not head.startswith(PLAIN_MAGIC) or len(head) < len(PLAIN_MAGIC) + EVENT_SIZE_AT + 4:
        return None
    start = len(PLAIN_MAGIC)
    size = int(struct.unpack_from("<I", head, start + EVENT_SIZE_AT)[0])
    second = start + size + EVENT_TYPE_AT
    if second >= len(head):
        return False  # nothing after the format description: no Start_encryption event
    return head[second] == START_ENCRYPTION_EVENT


def file_encrypted(path: Path) -> bool | None:
    """Read a binary log file's header; None when it cannot be read here."""
    try:
        with open(path, "rb") as handle:
            return header_encrypted(handle.read(HEAD_BYTES))
    except OSError:
        return None


def binlog_names(conn: Connection) -> list[tuple[str, str]]:
    """Return (file name, the server's Encrypted column or '') of every binary log."""
    if not is_on(variables(conn, ["log_bin"]).get("log_bin")):
        return []
    rows = conn.execute(text("SHOW BINARY LOGS")).all()
    return [(str(row[0]), str(row[2]) if len(row) > 2 else "") for row in rows]


def _server_says_encrypted(conn: Connection, name: str, column: str) -> bool:
    """Ask the server: MySQL's Encrypted column, MariaDB's second event of the file."""
    if column:
        return column == "Yes"
    events = conn.execute(text("SHOW BINLOG EVENTS IN :name LIMIT 2"), {"name": name}).all()
    return len(events) > 1 and str(events[1][2]) == "Start_encryption"


def plaintext_binlogs(conn: Connection, local: bool) -> list[str]:
    """Return the names of the binary log files that are not encrypted, oldest first.

    `local`: the server runs on this host, so its files are read here when readable.
    """
    names = binlog_names(conn)
    if not names:
        return []
    folder = Path(variables(conn, ["log_bin_basename"]).get("log_bin_basename", "")).parent
    plain = []
    for name, column in names:
        encrypted = file_encrypted(folder / name) if local else None
        if encrypted is None:
            encrypted = _server_says_encrypted(conn, name, column)
        if not encrypted:
            plain.append(name)
    return plain


def binlog_files_check(conn: Connection, local: bool) -> Check:
    """FAIL while a binary log file is plaintext (written before binlog encryption was on)."""
    if not is_on(variables(conn, ["log_bin"]).get("log_bin")):
        return Check("binary log files", Outcome.PASS, "binary log disabled", "2.2.1")
    try:
        plain = plaintext_binlogs(conn, local)
    except DBAPIError:
        return Check(
            "binary log files",
            Outcome.FAIL,
            "cannot tell which binary logs are encrypted (the account needs REPLICATION CLIENT)",
            "2.2.1",
        )
    if not plain:
        return Check("binary log files", Outcome.PASS, "every file encrypted", "2.2.1")
    shown = ", ".join(plain[:10]) + (f" and {len(plain) - 10} more" if len(plain) > 10 else "")
    return Check(
        "binary log files",
        Outcome.FAIL,
        f"{len(plain)} plaintext (written before binlog encryption): {shown}; back them up to "
        "encrypted storage, then `pseamigrate encryption purge-residual` purges them",
        "2.2.1",
    )
