"""The file store copies only what stays inside a site's files_dir and the tenant's folder:
a symlinked file or folder leading out is refused, one leading inside is followed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pseamigrate.encryption.filestore import create_files_key, load_files_keys
from pseamigrate.encryption.sealed import TamperedFile, is_sealed
from pseamigrate.migrate.files import FileStore


def _site(tmp_path: Path) -> tuple[Path, Path]:
    source, outside = tmp_path / "site", tmp_path / "outside"
    (source / "files" / "2024").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"not the site's")
    (source / "files" / "2024" / "a.txt").write_bytes(b"a body")
    return source, outside


def test_a_plain_file_is_copied_with_its_size_and_sha256(tmp_path: Path) -> None:
    source, _ = _site(tmp_path)
    store = FileStore(source, tmp_path / "store", "demo")
    copied = store.copy("public://2024/a.txt", dry_run=False)
    assert (copied.size, copied.sha256, copied.problem) == (
        6,
        hashlib.sha256(b"a body").hexdigest(),
        "",
    )
    assert (tmp_path / "store" / "demo" / "files" / "2024" / "a.txt").read_bytes() == b"a body"


def test_a_symlinked_file_leading_out_is_refused(tmp_path: Path) -> None:
    source, outside = _site(tmp_path)
    (source / "files" / "2024" / "b.txt").symlink_to(outside / "secret.txt")
    store = FileStore(source, tmp_path / "store", "demo")
    assert store.copy("public://2024/a.txt", dry_run=False).problem == ""  # folder cached first
    copied = store.copy("public://2024/b.txt", dry_run=False)
    assert copied.problem == "missing in the site's files_dir"
    assert not (tmp_path / "store" / "demo" / "files" / "2024" / "b.txt").exists()


def test_a_symlinked_folder_leading_out_is_refused(tmp_path: Path) -> None:
    source, outside = _site(tmp_path)
    (source / "files" / "escape").symlink_to(outside)
    store = FileStore(source, tmp_path / "store", "demo")
    assert store.copy("public://escape/secret.txt", dry_run=False).problem != ""
    assert store.copy("public://escape/secret.txt", dry_run=True).problem != ""


def test_a_symlink_inside_the_site_is_followed(tmp_path: Path) -> None:
    source, _ = _site(tmp_path)
    (source / "files" / "2024" / "c.txt").symlink_to(source / "files" / "2024" / "a.txt")
    store = FileStore(source, tmp_path / "store", "demo")
    assert store.copy("public://2024/c.txt", dry_run=False).size == 6


def test_a_tenant_folder_symlinked_out_of_the_store_is_refused(tmp_path: Path) -> None:
    source, outside = _site(tmp_path)
    (tmp_path / "store" / "demo" / "files").mkdir(parents=True)
    (tmp_path / "store" / "demo" / "files" / "2024").symlink_to(outside)
    store = FileStore(source, tmp_path / "store", "demo")
    copied = store.copy("public://2024/a.txt", dry_run=False)
    assert copied.problem == "its path leaves the file store"
    assert not (outside / "a.txt").exists()


def test_with_keys_a_copy_is_sealed_opens_to_the_source_and_a_damaged_copy_is_rewritten(
    tmp_path: Path,
) -> None:
    """Issue #30 S4: the store never holds the plaintext; a re-run rewrites only what changed."""
    source, _ = _site(tmp_path)
    keys = load_files_keys(create_files_key(tmp_path / "keys" / "files.key"))
    store = FileStore(source, tmp_path / "store", "demo", keys)
    copied = store.copy("public://2024/a.txt", dry_run=False)
    assert copied == FileStore(source, None, "demo").copy("public://2024/a.txt", dry_run=True)
    stored = tmp_path / "store" / "demo" / "files" / "2024" / "a.txt"
    assert is_sealed(stored) and b"a body" not in stored.read_bytes()
    assert store.stored_sha256("public://2024/a.txt") == hashlib.sha256(b"a body").hexdigest()
    inode = stored.stat().st_ino
    assert (
        FileStore(source, tmp_path / "store", "demo", keys).copy(
            "public://2024/a.txt", dry_run=False
        )
        == copied
    )
    assert stored.stat().st_ino == inode  # unchanged: not rewritten
    sealed = stored.read_bytes()
    stored.write_bytes(sealed[:-1] + bytes([sealed[-1] ^ 1]))  # the body: verify's to find
    with pytest.raises(TamperedFile):
        store.stored_sha256("public://2024/a.txt")
    stored.write_bytes(sealed[:20] + bytes([sealed[20] ^ 1]) + sealed[21:])  # the header
    FileStore(source, tmp_path / "store", "demo", keys).copy("public://2024/a.txt", dry_run=False)
    assert store.stored_sha256("public://2024/a.txt") == copied.sha256  # rewritten from source
