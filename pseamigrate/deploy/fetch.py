"""Fetch a legacy site's files from `files_dir: ssh://user@host[:port]/path` over SFTP.

Regular files are copied into a local folder (folders 0700, files 0600: they may be survivors'
documents), each hashed (sha256) on the way; symbolic links and special files are skipped, so a
link on the source cannot make the copy read or write outside its folder. A manifest
(`.sha256` lines, relative path and hash) is written beside the copy. Only counts and sizes are
reported: file names may carry people's names.

The copy is plaintext (the migration reads it as a site's files_dir), so the destination must
not be a plain disk (issue #30 S4): it must lie on tmpfs, on a dm-crypt (LUKS) volume, or under
a directory the operator names as an encrypted volume (`--encrypted-volume`,
`$PSEAMIGRATE_ENCRYPTED_VOLUMES`); anything else is refused before a byte is fetched.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from pseamigrate.deploy.run import Host, ssh_connect
from pseamigrate.encryption.volumes import declared_volumes, protection
from pseamigrate.errors import PseamigrateError, RefusedForSafety, UsageProblem
from pseamigrate.paths import private_folder

MANIFEST = "MANIFEST.sha256"
CHUNK = 1 << 20


@dataclass(frozen=True)
class FetchReport:
    """What a fetch copied: counts and bytes only."""

    files: int
    bytes: int
    skipped: int
    manifest: Path


def parse_ssh_url(files_dir: str) -> tuple[Host, str]:
    """Split `ssh://user@host[:port]/path` into the host and the remote path."""
    parts = urlsplit(files_dir)
    if parts.scheme != "ssh" or not parts.hostname or not parts.path.startswith("/"):
        raise UsageProblem("files_dir must look like ssh://user@host[:port]/absolute/path")
    return Host(parts.hostname, parts.username, parts.port or 22), parts.path


def fetch_files(
    files_dir: str,
    dest: Path,
    identity: Path | None = None,
    known_hosts: Path | None = None,
    volumes: Sequence[str] = (),
) -> FetchReport:
    """Copy every regular file under the remote folder into `dest` (which must be empty and
    on an encrypted volume or tmpfs: `volumes` are directories the operator names as such)."""
    host, remote = parse_ssh_url(files_dir)
    if dest.exists() and any(dest.iterdir()):
        raise UsageProblem(f"{dest} is not empty: fetch into a new folder")
    if protection(os.path.abspath(dest), declared_volumes(volumes), local=True) is None:
        raise RefusedForSafety(
            f"{dest} is on a plain disk: the fetched files would be plaintext at rest; fetch "
            "onto an encrypted volume (--encrypted-volume DIR, $PSEAMIGRATE_ENCRYPTED_VOLUMES, "
            "dm-crypt) or tmpfs"
        )
    private_folder(dest)
    conn = ssh_connect(host, identity, known_hosts)
    try:
        sftp = conn.sftp()
        lines: list[str] = []
        totals = [0, 0, 0]  # files, bytes, skipped
        _copy_tree(sftp, PurePosixPath(remote), dest, PurePosixPath(), lines, totals)
    except OSError as exc:
        raise PseamigrateError(f"cannot read {remote} on {host}: {exc.strerror or exc}") from None
    finally:
        conn.close()
    manifest = dest / MANIFEST
    _write_private(manifest, "".join(lines).encode())
    return FetchReport(totals[0], totals[1], totals[2], manifest)


def _copy_tree(
    sftp: Any,
    remote: PurePosixPath,
    dest: Path,
    relative: PurePosixPath,
    lines: list[str],
    totals: list[int],
) -> None:
    for entry in sorted(sftp.listdir_attr(str(remote / relative)), key=lambda e: e.filename):
        name = entry.filename
        if name in (".", "..") or "/" in name:
            continue
        mode = entry.st_mode or 0
        if stat.S_ISDIR(mode):
            private_folder(dest / relative / name)
            _copy_tree(sftp, remote, dest, relative / name, lines, totals)
        elif stat.S_ISREG(mode):
            digest, size = _copy_file(sftp, str(remote / relative / name), dest / relative / name)
            lines.append(f"{digest}  {relative / name}\n")
            totals[0], totals[1] = totals[0] + 1, totals[1] + size
        else:
            totals[2] += 1  # links, sockets, devices: never followed


def _copy_file(sftp: Any, remote: str, local: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    fd = os.open(local, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out, sftp.open(remote, "rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
