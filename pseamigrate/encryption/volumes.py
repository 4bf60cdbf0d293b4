"""Where a server writes files that SQL-level encryption does not cover, and whether that place is
memory (tmpfs) or an encrypted volume.

Logs and temporary files hold query text and row values in plaintext (issue #15). They are
acceptable only on tmpfs, on a dm-crypt (LUKS) device, or under a directory the operator names as
an encrypted volume (`--encrypted-volume`, or `$PSEAMIGRATE_ENCRYPTED_VOLUMES`, separated by
`:`). A path on another host cannot be inspected from here: only the operator's word covers it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

VOLUMES_ENV = "PSEAMIGRATE_ENCRYPTED_VOLUMES"
MEMORY_FILESYSTEMS = ("tmpfs", "ramfs")


def declared_volumes(extra: Sequence[str] = ()) -> tuple[str, ...]:
    """Return the encrypted volumes the operator named (arguments, then the environment)."""
    from_env = [v for v in os.environ.get(VOLUMES_ENV, "").split(os.pathsep) if v]
    return tuple(dict.fromkeys([*extra, *from_env]))


def _mounts() -> list[tuple[str, str, str]]:
    """Return (device, mount point, file system type) from /proc/self/mounts."""
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return []
    mounts = []
    for line in lines:
        fields = line.split()
        if len(fields) >= 3:
            mounts.append((fields[0], fields[1].replace("\\040", " "), fields[2]))
    return mounts


def _mount_of(path: Path) -> tuple[str, str, str] | None:
    """Return the mount holding `path` (the longest mount point that contains it)."""
    resolved = _existing_ancestor(path)
    best = None
    for device, point, fstype in _mounts():
        if resolved.is_relative_to(point) and (best is None or len(point) >= len(best[1])):
            best = (device, point, fstype)
    return best


def _existing_ancestor(path: Path) -> Path:
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    return path.resolve()


def filesystem_of(path: Path) -> str:
    """Return the file system type holding `path` on this host ('' when unknown)."""
    mount = _mount_of(path)
    return mount[2] if mount else ""


def is_dm_crypt(device: str) -> bool:
    """Tell whether a block device is a dm-crypt (LUKS) mapping."""
    try:
        real = Path(device).resolve().name
        uuid = Path(f"/sys/class/block/{real}/dm/uuid").read_text()
    except OSError:
        return False
    return uuid.startswith("CRYPT-")


def protection(path: str, declared: Sequence[str], local: bool) -> str | None:
    """Say why plaintext at `path` never reaches a disk in the clear, or None if it may."""
    for volume in declared:
        if Path(path).is_relative_to(volume):
            return f"on {volume}, named as an encrypted volume"
    if not local:
        return None
    mount = _mount_of(Path(path))
    if mount is None:
        return None
    if mount[2] in MEMORY_FILESYSTEMS:
        return f"on {mount[2]} ({mount[1]}): memory, not disk"
    if is_dm_crypt(mount[0]):
        return f"on an encrypted (dm-crypt) volume ({mount[1]})"
    return None
