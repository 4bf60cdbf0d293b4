"""Copy a site's files into the target's file store, checked by size and sha256.

A site's `files_dir` holds `files/` (Drupal's public://) and `private/` (private://); the
target's store keeps one folder per tenant with the same two folders. A copy is written to a
temporary name and renamed into place, so a killed run never leaves half a file; a file already
there with the same sha256 is not copied again.

With the store's master keys (`files_key`, issue #30 S4) every copy is *sealed*
(encryption/sealed.py): nothing reaches the store in plaintext, and a file is unchanged when
the sha256 sealed in its header equals the source's, so a re-run opens 151 bytes per file and
rewrites none. Without keys (only under `--allow-plaintext-target`) files are copied as they are.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

from pseamigrate.encryption.filestore import PARTIAL, partial_of
from pseamigrate.encryption.sealed import (
    TamperedFile,
    is_sealed,
    plaintext_sha256,
    private_file,
    read_header,
    seal,
    sealed_size,
)
from pseamigrate.paths import move_into_place, private_folder
from pseamigrate.target.store import relative_path

# Where a site's files_dir may keep public:// files: `files/` (as Drupal's sites/*/files), or
# `public/` (as some copies of a server are laid out).
SOURCE_FOLDERS = {"files": ("files", "public"), "private": ("private",)}
CHUNK = 1 << 20
# No attachment of a complaint is this large; a bigger file is a mistake or an attack on the
# store's disk (a sparse file of gigabytes whose row says 10 bytes), and is not copied.
MAX_FILE_BYTES = 2 << 30


@dataclass(frozen=True)
class Copied:
    """What the store holds for one file: its size and sha256 (None: missing in the source)."""

    size: int | None
    sha256: str | None
    problem: str = ""  # why there is no copy (names and ids only)


def sha256_of(path: Path) -> str:
    """Return the sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class FileStore:
    """The source folder of one site and its tenant's folder in the target's store."""

    def __init__(
        self,
        source: Path | None,
        target: Path | None,
        tenant: str,
        keys: dict[int, bytes] | None = None,
    ) -> None:
        # Resolved once: every file's path is checked against them (symlinks included).
        self.source = source.resolve() if source is not None else None
        self.target = (target / tenant).resolve() if target is not None else None
        self.tenant, self.keys = tenant, keys
        self._swept: set[Path] = set()
        self._folders: dict[Path, Path] = {}  # unresolved folder → resolved (see `_inside`)

    def copy(self, uri: str, dry_run: bool, expected_size: object = None) -> Copied:
        """Copy one file (unless a dry run) and return its size and sha256.

        `expected_size` is the row's `file_managed.filesize`: a file whose size on disk
        differs, or one over `MAX_FILE_BYTES`, is not copied and the reason is returned."""
        relative = relative_path(uri)
        if relative is None:
            return Copied(None, None, "its uri has no public:// or private:// path")
        if self.source is None:
            return Copied(None, None, "the site has no files_dir in the project file")
        origin = self._origin(relative)
        if origin is None:
            return Copied(None, None, "missing in the site's files_dir")
        refused = _size_problem(origin.stat().st_size, expected_size)
        if refused:
            return Copied(None, None, refused)
        if dry_run or self.target is None:
            return Copied(origin.stat().st_size, sha256_of(origin))
        destination = self._inside(self.target, relative)
        if destination is None:
            return Copied(None, None, "its path leaves the file store")
        self._sweep(destination.parent)
        if self.keys is not None:
            return _seal_checked(origin, destination, self.keys, self._name(relative))
        return _copy_checked(origin, destination)

    def _name(self, relative: Path) -> str:
        """Return the file's name in the store (`tenant/files/a.pdf`), sealed with it."""
        return f"{self.tenant}/{relative.as_posix()}"

    def stored_sha256(self, uri: str) -> str | None:
        """Return the sha256 of the plaintext the store holds for `uri` (decrypted and
        authenticated when sealed); None when there is no copy. Raises `TamperedFile`."""
        relative = relative_path(uri)
        if relative is None or self.target is None:
            return None
        path = self._inside(self.target, relative)
        if path is None or not path.is_file():
            return None
        if self.keys is not None and is_sealed(path):
            return plaintext_sha256(path, self.keys, self._name(relative))[1]
        if self.keys is not None:
            raise TamperedFile(f"{self._name(relative)}: not sealed (plaintext in the store)")
        return sha256_of(path)

    def _sweep(self, folder: Path) -> None:
        """Remove what a run killed while copying left in a folder (once per folder and run).

        Once, not per file: listing a folder of thousands of files for each would make a
        tenant's copy cost its file count squared."""
        if folder in self._swept:
            return
        self._swept.add(folder)
        private_folder(folder)  # the store's parents too, not only the leaf
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith(".") and PARTIAL in entry.name and entry.is_file():
                    os.unlink(entry.path)

    def put(
        self, uri: str, original: str, body: bytes, dry_run: bool, expected_size: object = None
    ) -> Copied:
        """Store `body` under `uri` in place of the file `original` (a sanitized copy)."""
        found = self.copy(original, dry_run=True, expected_size=expected_size)
        if found.problem:
            return found
        relative = relative_path(uri)
        destination = self._inside(self.target, relative) if self.target and relative else None
        if destination is None or relative is None:
            return Copied(None, None, "its path leaves the file store")
        if not dry_run:
            write_stored(destination, self._name(relative), body, self.keys)
        return Copied(len(body), hashlib.sha256(body).hexdigest())

    def _origin(self, relative: Path) -> Path | None:
        """Return the source file, looking in each folder its scheme may live in."""
        assert self.source is not None
        for folder in SOURCE_FOLDERS[relative.parts[0]]:
            path = self._inside(self.source, Path(folder, *relative.parts[1:]))
            if path is not None and path.is_file():
                return path
        return None

    def _inside(self, root: Path, relative: Path) -> Path | None:
        """Return root/relative when it stays inside root (already resolved) once symlinks are.

        `relative` holds no `..` or `.` (`relative_path` refuses them), so only a symlink can
        lead out: each folder is resolved once per run (thousands of files share a few
        folders; resolving every path was 5% of a migration), and the file's own name only
        when it is a symlink."""
        folder = root / relative.parent
        resolved = self._folders.get(folder)
        if resolved is None:
            resolved = self._folders[folder] = folder.resolve()
        path = resolved / relative.name
        if path.is_symlink():
            path = path.resolve()
        return path if path.is_relative_to(root) else None


def write_stored(destination: Path, name: str, body: bytes, keys: dict[int, bytes] | None) -> None:
    """Write `body` into a store (sealed under `name` with `keys`; as it is without), 0600,
    through a temporary name renamed into place."""
    private_folder(destination.parent)
    partial = partial_of(destination)
    with private_file(partial) as writing:
        if keys is None:
            writing.write(body)
        else:
            seal(io.BytesIO(body), writing, keys, name)
    move_into_place(partial, destination)


def _size_problem(size: int, expected: object) -> str:
    """Say why a file of `size` bytes on disk is not copied ("" when it is)."""
    if expected is not None and str(expected).strip().isdigit() and int(str(expected)) != size:
        return "its size on disk differs from file_managed.filesize; not copied"
    if size > MAX_FILE_BYTES:
        return f"it is larger than {MAX_FILE_BYTES} bytes; not copied"
    return ""


def _copy_checked(origin: Path, destination: Path) -> Copied:
    """Copy through a temporary name, hashing on the way; check the copy before renaming it."""
    size = origin.stat().st_size
    if destination.is_file() and destination.stat().st_size == size:
        digest = sha256_of(origin)
        if sha256_of(destination) == digest:
            return Copied(size, digest)
    partial = partial_of(destination)
    digest = _copy_hashing(origin, partial)
    if sha256_of(partial) != digest or partial.stat().st_size != size:
        partial.unlink()
        return Copied(None, None, "the copy did not match the source (size or sha256)")
    move_into_place(partial, destination)
    return Copied(size, digest)


def _seal_checked(origin: Path, destination: Path, keys: dict[int, bytes], name: str) -> Copied:
    """Seal through a temporary name; check the sealed copy decrypts to the source's sha256.

    An unchanged file (the sha256 sealed in its header equals the source's) is not rewritten."""
    size = origin.stat().st_size
    unchanged = _unchanged(origin, destination, size, keys, name)
    if unchanged is not None:
        return Copied(size, unchanged)
    partial = partial_of(destination)
    with open(origin, "rb") as reading, private_file(partial) as writing:
        written, digest = seal(reading, writing, keys, name)
    try:
        matches = plaintext_sha256(partial, keys, name) == (size, digest) and written == size
    except TamperedFile:
        matches = False
    if not matches:
        partial.unlink()
        return Copied(None, None, "the copy did not match the source (size or sha256)")
    move_into_place(partial, destination)
    return Copied(size, digest)


def _unchanged(
    origin: Path, destination: Path, size: int, keys: dict[int, bytes], name: str
) -> str | None:
    """Return the source's sha256 when the store's sealed copy holds the same bytes (by the
    sha256 sealed in its header, no decryption of the body); None when it must be written."""
    if not destination.is_file() or destination.stat().st_size != sealed_size(size):
        return None
    try:
        opened = read_header(destination, keys, name)
    except TamperedFile:
        return None  # altered or sealed for another path: written again from the source
    digest = sha256_of(origin)
    return digest if opened.size == size and opened.sha256 == digest else None


def _copy_hashing(origin: Path, partial: Path) -> str:
    """Copy a file owner-only and return the sha256 of what was read."""
    digest = hashlib.sha256()
    created = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # never readable
    with open(origin, "rb") as reading, open(created, "wb") as writing:
        while chunk := reading.read(CHUNK):
            digest.update(chunk)
            writing.write(chunk)
        writing.flush()
        os.fsync(writing.fileno())  # the bytes on disk before the rename makes them the file
    return digest.hexdigest()
