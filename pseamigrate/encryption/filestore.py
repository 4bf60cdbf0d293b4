"""The file store's master key, the gate's checks of a store, and whole-store operations.

The master keys live in one owner-only file (`files_key:` of `target`/`test_target` in the
project file), in MariaDB's key-file format (`id;64-hex` lines): the newest id seals new files,
older ids still open files sealed before a rotation. `encryption setup` writes it as
`keys/files.key` beside the database keys, so `backup-key` copies it with them.

A store passes the gate only if it has a master key (owner-only, outside the store) and every
file in it is sealed: one plaintext file is a FAIL (issue #30, S4). Only counts are reported,
never file names (they may carry people's names).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pseamigrate.config import Settings
from pseamigrate.encryption.base import Check, Outcome
from pseamigrate.encryption.keys import (
    KEY_BYTES,
    add_key,
    file_mode_check,
    generate_keys,
    key_lines,
    parse_key_lines,
    write_new_secret,
)
from pseamigrate.encryption.sealed import (
    TamperedFile,
    is_sealed,
    private_file,
    read_header,
    rewrap,
    seal,
)
from pseamigrate.errors import PseamigrateError, RefusedForSafety
from pseamigrate.paths import move_into_place, private_folder

FILES_KEY = "files.key"
PARTIAL = ".partial-"  # marks a file being written (`.name.partial-PID`), removed by the next run


@dataclass(frozen=True)
class StoreSpec:
    """A file store and its master key file, as the project file names them."""

    label: str  # "target" or "test target", for messages
    root: Path
    key: Path | None


def store_spec(settings: Settings, test: bool = False) -> StoreSpec | None:
    """Return the target's file store (or the test target's), None when none is named."""
    if test:
        root, key, label = (
            settings.test_target_files_dir,
            settings.test_target_files_key,
            "test target",
        )
    else:
        root, key, label = settings.target_files_dir, settings.target_files_key, "target"
    return StoreSpec(label, root, key) if root is not None else None


def file_stores(settings: Settings) -> list[StoreSpec]:
    """Return the file stores the project file names: the target's, then the test target's."""
    return [spec for test in (False, True) if (spec := store_spec(settings, test)) is not None]


def load_files_keys(key: Path) -> dict[int, bytes]:
    """Read the master keys; refuse a missing, group/other-readable or malformed key file."""
    try:
        mode = key.stat().st_mode & 0o777
    except OSError:
        raise RefusedForSafety(f"files key {key} is missing: run `encryption setup`") from None
    if mode & 0o077:
        raise RefusedForSafety(f"files key {key} is readable by group/others (want 0600)")
    keys = parse_key_lines(key.read_bytes(), str(key))
    if not keys or any(len(value) != KEY_BYTES for value in keys.values()):
        raise RefusedForSafety(f"files key {key} holds no 256-bit key")
    return keys


def create_files_key(key: Path) -> Path:
    """Write a new master key file (0600) with key id 1; never replace an existing one."""
    private_folder(key.parent)
    return write_new_secret(key, key_lines(generate_keys((1,))))


def name_in_store(root: Path, path: Path) -> str:
    """Return a file's name in its store (`tenant/files/a.pdf`): part of what is sealed."""
    return path.relative_to(root).as_posix()


def stored_files(root: Path) -> Iterator[Path]:
    """Yield every file in the store that is not being written (links and devices included)."""
    for folder, folders, files in os.walk(root):
        folders.sort()
        for name in sorted(files):
            if not (name.startswith(".") and PARTIAL in name):
                yield Path(folder, name)


def store_checks(spec: StoreSpec) -> list[Check]:
    """Return the gate's checks of one file store: its master key, and every file sealed."""
    name = f"file store ({spec.label})"
    key_check = _key_check(spec, name)
    keys = None
    if key_check.outcome is not Outcome.FAIL and spec.key is not None:
        try:
            keys = load_files_keys(spec.key)
        except PseamigrateError as exc:
            key_check = Check(key_check.name, Outcome.FAIL, str(exc))
    return [key_check, _contents_check(spec, name, keys)]


def _key_check(spec: StoreSpec, name: str) -> Check:
    what = f"{name} master key"
    if spec.key is None:
        return Check(what, Outcome.FAIL, "no files_key in the project file: files go plaintext")
    if not spec.key.exists():
        return Check(what, Outcome.FAIL, f"{spec.key} is missing")
    if spec.key.resolve().is_relative_to(spec.root.resolve()):
        return Check(what, Outcome.FAIL, f"{spec.key} lies inside the store it protects")
    return file_mode_check(what, str(spec.key), "")


def _contents_check(spec: StoreSpec, name: str, keys: dict[int, bytes] | None) -> Check:
    """Count plaintext files (and, with the keys, sealed files whose header does not open)."""
    if not spec.root.exists():
        return Check(name, Outcome.PASS, f"{spec.root} does not exist yet: nothing stored")
    total, plain, broken = 0, 0, 0
    for path in stored_files(spec.root):
        total += 1
        if path.is_symlink() or not path.is_file() or not is_sealed(path):
            plain += 1
        elif keys is not None and not _opens(path, keys, name_in_store(spec.root, path)):
            broken += 1
    if plain:
        return Check(
            name,
            Outcome.FAIL,
            f"{plain} of {total} files are not sealed (plaintext on disk): "
            "run `pseamigrate files encrypt-store`",
        )
    if broken:
        why = "do not open with the files key (wrong key, or altered)"
        return Check(name, Outcome.FAIL, f"{broken} of {total} sealed files {why}")
    return Check(name, Outcome.PASS, f"{total} files, every one sealed ({spec.root})")


def _opens(path: Path, keys: dict[int, bytes], name: str) -> bool:
    try:
        read_header(path, keys, name)
    except TamperedFile:
        return False
    return True


def require_sealed_store(spec: StoreSpec) -> None:
    """Refuse (exit 4) unless every check of the store passes (the migration's gate)."""
    failed = [c for c in store_checks(spec) if c.outcome is Outcome.FAIL]
    if failed:
        why = "; ".join(f"{c.name}: {c.detail}" for c in failed)
        raise RefusedForSafety(f"the {spec.label}'s file store is not safe to write: {why}")


def partial_of(path: Path) -> Path:
    """Return the temporary name a file is written under before it is renamed into place."""
    return path.with_name(f".{path.name}{PARTIAL}{os.getpid()}")


@dataclass
class StoreChange:
    """What `files encrypt-store` / `rotate-key` did (or would do): counts only."""

    dry_run: bool
    changed: int = 0  # sealed now (encrypt-store) / rewrapped (rotate-key)
    unchanged: int = 0
    skipped: int = 0  # links and special files: never followed, never sealed
    key_id: int | None = None
    problems: int = 0  # sealed files that did not open (counted, never named)


def encrypt_store(spec: StoreSpec, dry_run: bool = False) -> StoreChange:
    """Seal every plaintext file of a store in place (temp file, fsync, rename, fsync folder).

    A file already sealed is left alone, so the command can be run again after a kill."""
    keys = load_files_keys(_require_key(spec))
    change = StoreChange(dry_run, key_id=max(keys))
    for path in stored_files(spec.root) if spec.root.exists() else ():
        if path.is_symlink() or not path.is_file():
            change.skipped += 1
        elif is_sealed(path):
            change.unchanged += 1
        else:
            change.changed += 1
            if not dry_run:
                _seal_in_place(spec.root, path, keys)
    return change


def _seal_in_place(root: Path, path: Path, keys: dict[int, bytes]) -> None:
    partial = partial_of(path)
    with open(path, "rb") as reading, private_file(partial) as writing:
        seal(reading, writing, keys, name_in_store(root, path))
    move_into_place(partial, path)


def rotate_files_key(spec: StoreSpec, dry_run: bool = False) -> StoreChange:
    """Add a master key and rewrap every sealed file's data key under it (chunks untouched).

    Older key ids stay in the key file (files sealed with them still open), so a run killed
    half-way leaves every file readable; running it again finishes the rewrap."""
    key = _require_key(spec)
    keys = load_files_keys(key)
    change = StoreChange(dry_run, key_id=max(keys) + 1)
    if not dry_run:
        add_key(key, None)
        keys = load_files_keys(key)
    for path in stored_files(spec.root) if spec.root.exists() else ():
        if path.is_symlink() or not path.is_file() or not is_sealed(path):
            change.skipped += 1
        elif dry_run:
            change.changed += 1
        else:
            _rewrap_one(spec.root, path, keys, change)
    return change


def _rewrap_one(root: Path, path: Path, keys: dict[int, bytes], change: StoreChange) -> None:
    try:
        before = rewrap(path, keys, name_in_store(root, path), partial_of(path))
    except TamperedFile:
        change.problems += 1
        return
    if before == max(keys):
        change.unchanged += 1
    else:
        change.changed += 1


def _require_key(spec: StoreSpec) -> Path:
    if spec.key is None:
        raise PseamigrateError(
            f"the {spec.label} has no files_key in the project file: set it to the files key "
            "that `encryption setup` wrote (keys/files.key)"
        )
    return spec.key
