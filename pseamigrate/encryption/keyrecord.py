"""What the last key backup of a server directory held, so `health` can tell it is still current.

`backup-key` writes `<basedir>/key-backup.json` (0600): when, where to, whether the scratch
restore proved it, and the sha256 of every key file it copied. Keys change at setup and at
rotation (MySQL's keyring gains a master key; MariaDB's key file a key id): a key file whose
digest no longer matches the record holds keys no backup has, and losing the host would lose the
data (issue #24 item 7). Digests of key files say nothing of the keys themselves.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pseamigrate.encryption.keys import write_secret

RECORD_NAME = "key-backup.json"


@dataclass(frozen=True)
class KeyBackupRecord:
    """The last key backup: when (UTC), whether it was verified, and each key file's digest."""

    at: datetime
    verified: bool
    digests: dict[str, str]


def file_digest(path: Path) -> str:
    """Return the sha256 of one key file (hex)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_record(basedir: Path, copied: list[Path], sources: list[Path], verified: bool) -> None:
    """Record a finished key backup of `sources` (whose copies are `copied`) in the basedir."""
    record = {
        "format": "pseamigrate/key-backup/1",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "verified": verified,
        "copies": [str(path) for path in copied],
        "digests": {source.name: file_digest(source) for source in sources},
    }
    write_secret(basedir / RECORD_NAME, (json.dumps(record, indent=2) + "\n").encode())


def read_record(basedir: Path) -> KeyBackupRecord | None:
    """Return the last key backup's record, or None when none was made (or it is unreadable)."""
    try:
        document = json.loads((basedir / RECORD_NAME).read_text(encoding="utf-8"))
        return KeyBackupRecord(
            at=datetime.fromisoformat(str(document["at"])),
            verified=bool(document["verified"]),
            digests={str(name): str(value) for name, value in document["digests"].items()},
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def changed_since(record: KeyBackupRecord, key_files: list[Path]) -> list[str]:
    """Name the key files that are new or differ from what the recorded backup copied."""
    return [
        path.name
        for path in key_files
        if path.exists() and record.digests.get(path.name) != file_digest(path)
    ]
