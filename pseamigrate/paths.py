"""Paths built from data stay inside their root: Drupal file URIs, names read from a database.

A legacy database is hostile input: a `file_managed.uri` of `public:///etc/shadow` or
`public://../../x`, or a symlink planted under the files folder, must not make the toolkit read
or write outside the folder it was given. Every such path goes through `inside`, which resolves
symlinks and `..` first (`Path.resolve`) and then checks `is_relative_to`.
"""

from __future__ import annotations

import os
from pathlib import Path

from pseamigrate.errors import UnsafePath

# Drupal's stream wrappers that map to a folder of their own under a site's files folder.
FILE_SCHEMES = ("public", "private")


def inside(root: Path, relative: str, what: str) -> Path:
    """Return `root / relative` resolved, or raise `UnsafePath` (naming `what`, never the path)
    when it is absolute, holds a NUL, or ends up outside `root` through `..` or a symlink."""
    if not relative or relative.startswith("/") or "\0" in relative:
        raise UnsafePath(what, root)
    base = root.resolve()
    path = (base / relative).resolve()
    if path == base or not path.is_relative_to(base):
        raise UnsafePath(what, root)
    return path


def file_uri_path(files_dir: Path, uri: str, what: str) -> Path:
    """Return where the Drupal file `uri` (`public://a/b.pdf`) lives under `files_dir`
    (`<files_dir>/public/a/b.pdf`), refusing any other scheme and any escape."""
    scheme, separator, rest = uri.partition("://")
    if not separator or scheme not in FILE_SCHEMES:
        raise UnsafePath(what, files_dir)
    return inside(files_dir / scheme, rest, what)


def private_folder(folder: Path) -> Path:
    """Create `folder` and every missing parent 0700 (`mkdir(parents=True, mode=…)` gives the
    mode to the last folder only, the parents get 0755); existing folders are left alone."""
    create_private_folders(folder)
    return folder


def create_private_folders(folder: Path) -> list[Path]:
    """Create `folder` and every missing parent 0700, whatever the umask; return the folders
    created, outermost first (a caller giving them to another account chowns each)."""
    missing = []
    at = folder
    while not at.exists():
        missing.append(at)
        at = at.parent
    created = list(reversed(missing))
    for path in created:
        path.mkdir(mode=0o700, exist_ok=True)
        os.chmod(path, 0o700)  # whatever the umask
    return created


def sync_folder(folder: Path) -> None:
    """fsync a folder, so a rename in it survives a power cut (the file alone is not enough)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def move_into_place(partial: Path, path: Path) -> None:
    """Rename a written (and fsynced) temporary file to its name, then fsync the folder."""
    os.replace(partial, path)
    sync_folder(path.parent)
