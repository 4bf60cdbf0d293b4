"""Sealed files (issue #30 S4): the format detects every alteration, the store's checks FAIL on
one plaintext file, `files encrypt-store` seals in place, `files rotate-key` rewraps."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

from pseamigrate.encryption import setup as enc_setup
from pseamigrate.encryption.backup import restore_keys
from pseamigrate.encryption.base import Outcome
from pseamigrate.encryption.filestore import (
    StoreSpec,
    create_files_key,
    encrypt_store,
    load_files_keys,
    require_sealed_store,
    rotate_files_key,
    store_checks,
)
from pseamigrate.encryption.sealed import (
    CHUNK,
    HEADER_SIZE,
    TAG,
    TamperedFile,
    plaintext_sha256,
    seal,
    sealed_size,
    unseal,
)
from pseamigrate.errors import RefusedForSafety
from pseamigrate.servers import existing_server
from tests.encryption.enc_helpers import run_cli

CANARY = b"PSEA-CANARY-0b5e1c-handwritten-complaint "
NAME = "iq/files/2024/form.pdf"


def _sealed(body: bytes, keys: dict[int, bytes], name: str = NAME) -> bytes:
    out = io.BytesIO()
    assert seal(io.BytesIO(body), out, keys, name)[0] == len(body)
    return out.getvalue()


def _open(blob: bytes, keys: dict[int, bytes], name: str = NAME) -> bytes:
    return b"".join(unseal(io.BytesIO(blob), keys, name))


@pytest.fixture
def keys(tmp_path: Path) -> dict[int, bytes]:
    return load_files_keys(create_files_key(tmp_path / "keys" / "files.key"))


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5])
def test_a_sealed_file_round_trips_and_holds_no_plaintext(
    keys: dict[int, bytes], size: int
) -> None:
    body = (CANARY * (size // len(CANARY) + 1))[:size]
    blob = _sealed(body, keys)
    assert len(blob) == sealed_size(size)
    assert _open(blob, keys) == body
    if size >= len(CANARY):
        assert CANARY not in blob


def test_every_alteration_is_detected(keys: dict[int, bytes]) -> None:
    body = (CANARY * (3 * CHUNK // len(CANARY) + 1))[: 3 * CHUNK + 7]  # 3 full chunks + 7 bytes
    blob = _sealed(body, keys)
    first_chunk = HEADER_SIZE + CHUNK + TAG
    flipped = bytearray(blob)
    flipped[first_chunk + 100] ^= 1
    second = slice(first_chunk, first_chunk + CHUNK + TAG)
    reordered = (
        blob[:HEADER_SIZE] + blob[second] + blob[HEADER_SIZE:first_chunk] + blob[second.stop :]
    )
    altered = {
        "a flipped bit": bytes(flipped),
        "the final chunk cut off": blob[: HEADER_SIZE + 3 * (CHUNK + TAG)],
        "a byte cut off": blob[:-1],
        "a byte appended": blob + b"\0",
        "two chunks swapped": reordered,
        "a header bit flipped": blob[:40] + bytes([blob[40] ^ 1]) + blob[41:],
    }
    for what, damaged in altered.items():
        with pytest.raises(TamperedFile):
            _open(damaged, keys)
            pytest.fail(f"{what} went undetected")


def test_a_file_moved_to_another_path_or_opened_with_another_key_is_refused(
    keys: dict[int, bytes],
) -> None:
    blob = _sealed(b"statement", keys)
    with pytest.raises(TamperedFile, match="header"):
        _open(blob, keys, "iq/files/2024/other.pdf")
    with pytest.raises(TamperedFile, match="header"):
        _open(blob, {1: os.urandom(32)})
    with pytest.raises(TamperedFile, match="master key 1"):
        _open(blob, {2: os.urandom(32)})


def _store(tmp_path: Path) -> tuple[StoreSpec, Path]:
    root = tmp_path / "store"
    (root / "iq" / "files" / "2024").mkdir(parents=True)
    form = root / "iq" / "files" / "2024" / "form.pdf"
    form.write_bytes(CANARY * 5000)
    (root / "iq" / "private").mkdir()
    (root / "iq" / "private" / "photo.jpg").write_bytes(CANARY + b"\xff\xd8" * 10)
    return StoreSpec("target", root, tmp_path / "keys" / "files.key"), form


def _every_byte(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def test_a_plaintext_file_fails_the_gate_until_encrypt_store_seals_it(
    tmp_path: Path, keys: dict[int, bytes]
) -> None:
    spec, form = _store(tmp_path)
    checks = {c.name: c for c in store_checks(spec)}
    assert checks["file store (target)"].outcome is Outcome.FAIL
    assert "2 of 2 files are not sealed" in checks["file store (target)"].detail
    assert "form" not in checks["file store (target)"].detail  # counts, never names
    with pytest.raises(RefusedForSafety, match="file store"):
        require_sealed_store(spec)
    dry = encrypt_store(spec, dry_run=True)
    assert (dry.changed, dry.unchanged) == (2, 0) and CANARY in _every_byte(spec.root)
    done = encrypt_store(spec)
    assert (done.changed, done.unchanged) == (2, 0)
    assert CANARY not in _every_byte(spec.root)
    assert stat.S_IMODE(form.stat().st_mode) == 0o600
    assert not [p for p in spec.root.rglob(".*partial*")]
    assert plaintext_sha256(form, keys, NAME)[0] == len(CANARY) * 5000
    require_sealed_store(spec)  # passes now
    again = encrypt_store(spec)
    assert (again.changed, again.unchanged) == (0, 2)


def test_the_gate_fails_without_a_key_with_an_open_key_or_a_key_inside_the_store(
    tmp_path: Path, keys: dict[int, bytes]
) -> None:
    spec, _ = _store(tmp_path)
    encrypt_store(spec)
    failed = {
        "no key": StoreSpec("target", spec.root, None),
        "missing key": StoreSpec("target", spec.root, tmp_path / "nope.key"),
        "key in the store": StoreSpec("target", spec.root, spec.root / "files.key"),
    }
    (spec.root / "files.key").write_bytes((tmp_path / "keys" / "files.key").read_bytes())
    (spec.root / "files.key").chmod(0o600)
    for what, bad in failed.items():
        outcomes = [c.outcome for c in store_checks(bad)]
        assert Outcome.FAIL in outcomes, what
    assert spec.key is not None
    spec.key.chmod(0o640)
    assert store_checks(spec)[0].outcome is Outcome.FAIL


def test_rotate_key_rewraps_every_file_and_old_keys_still_open_nothing_new(
    tmp_path: Path, keys: dict[int, bytes]
) -> None:
    spec, form = _store(tmp_path)
    encrypt_store(spec)
    chunks_before = form.read_bytes()[HEADER_SIZE:]
    change = rotate_files_key(spec)
    assert (change.changed, change.key_id, change.problems) == (2, 2, 0)
    assert spec.key is not None
    rotated = load_files_keys(spec.key)
    assert sorted(rotated) == [1, 2]
    assert form.read_bytes()[HEADER_SIZE:] == chunks_before  # only the header changed
    assert plaintext_sha256(form, {2: rotated[2]}, NAME)[0] == len(CANARY) * 5000
    with pytest.raises(TamperedFile, match="master key 2"):
        plaintext_sha256(form, {1: rotated[1]}, NAME)
    assert all(c.outcome is Outcome.PASS for c in store_checks(spec))


def test_setup_writes_the_files_key_beside_the_database_keys_and_backup_key_copies_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    basedir = tmp_path / "srv"
    (basedir / "data").mkdir(parents=True)
    (basedir / "my.cnf").write_text(f"[mysqld]\nport=3999\ndatadir={basedir}/data\n")
    monkeypatch.setattr(enc_setup, "default_tmpdir", lambda _server: tmp_path / "shm")
    assert run_cli("encryption", "setup", "--basedir", str(basedir)).exit_code == 0
    key = basedir / "keys" / "files.key"
    first = key.read_bytes()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and sorted(load_files_keys(key)) == [1]
    again = run_cli("encryption", "setup", "--basedir", str(basedir))
    assert again.exit_code == 0 and key.read_bytes() == first  # never replaced
    backup = tmp_path / "backup"
    args = ("encryption", "backup-key", str(backup), "--basedir", str(basedir), "--no-verify")
    assert run_cli(*args).exit_code == 0
    assert (backup / "files.key").read_bytes() == first
    key.unlink()
    restore_keys(existing_server(basedir), backup)
    assert key.read_bytes() == first
