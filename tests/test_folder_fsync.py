"""A file renamed into place survives a power cut only once its folder is fsynced (#30 lows).

Real files on a real file system; the seam is the `os` module itself: `os.fsync`, `os.replace`
and `os.link` are wrapped to record what they were called on (an fd's path read back through
/proc/self/fd) and still do their work. Each write must fsync the file before the rename and
the folder after it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from pseamigrate.encryption.filestore import (
    StoreSpec,
    create_files_key,
    encrypt_store,
    load_files_keys,
    rotate_files_key,
)
from pseamigrate.encryption.keys import write_new_secret, write_secret
from pseamigrate.migrate.files import FileStore, write_stored

Event = tuple[str, Path, Path | None]  # what, path (fsync: the fd's; rename: the new name), from


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> list[Event]:
    """Record every fsync, replace and link of the test, in order; each still happens."""
    seen: list[Event] = []
    real_fsync, real_replace, real_link = os.fsync, os.replace, os.link

    def fsync(fd: int) -> None:
        seen.append(("fsync", Path(os.readlink(f"/proc/self/fd/{fd}")), None))
        real_fsync(fd)

    def rename(real: Callable[..., None], what: str) -> Callable[..., None]:
        def call(src: os.PathLike[str] | str, dst: os.PathLike[str] | str, **kw: object) -> None:
            real(src, dst, **kw)
            seen.append((what, Path(dst), Path(src)))

        return call

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", rename(real_replace, "replace"))
    monkeypatch.setattr(os, "link", rename(real_link, "link"))
    return seen


def assert_durable(events: list[Event], path: Path) -> None:
    """The last rename or link onto `path` had its source fsynced before and its folder after."""
    placed = [i for i, (what, at, _src) in enumerate(events) if what != "fsync" and at == path]
    assert placed, f"{path} was never renamed into place: {events}"
    i = placed[-1]
    source = events[i][2]
    synced = [at for what, at, _ in events[:i] if what == "fsync"]
    assert source in synced or path.parent in synced, f"{source} not fsynced before its rename"
    after = [at for what, at, _ in events[i + 1 :] if what == "fsync"]
    assert path.parent in after, f"{path.parent} not fsynced after {path.name} was placed"


def _site(tmp_path: Path) -> Path:
    folder = tmp_path / "site" / "files" / "2024"
    folder.mkdir(parents=True)
    (folder / "form.pdf").write_bytes(b"%PDF-1.4 intake form\n" * 50)
    return tmp_path / "site"


def test_secrets_and_new_secrets_sync_their_folder(tmp_path: Path, events: list[Event]) -> None:
    write_secret(tmp_path / "keys" / "tenant.cnf", b"password=x\n")
    assert_durable(events, tmp_path / "keys" / "tenant.cnf")
    write_new_secret(tmp_path / "backup" / "keyfile.key", b"1;00\n")
    assert_durable(events, tmp_path / "backup" / "keyfile.key")  # the link, not only its partial


@pytest.mark.parametrize("sealed", [True, False], ids=["sealed", "plain"])
def test_store_copies_and_placeholders_sync_their_folder(
    tmp_path: Path, events: list[Event], sealed: bool
) -> None:
    keys = load_files_keys(create_files_key(tmp_path / "k" / "files.key")) if sealed else None
    store = FileStore(_site(tmp_path), tmp_path / "store", "iq", keys)
    copied = store.copy("public://2024/form.pdf", dry_run=False)
    assert copied.problem == "" and copied.size == 21 * 50
    assert_durable(events, tmp_path / "store" / "iq" / "files" / "2024" / "form.pdf")
    placeholder = tmp_path / "store" / "iq" / "files" / "2024" / "placeholder.pdf"
    write_stored(placeholder, "iq/files/2024/placeholder.pdf", b"placeholder", keys)
    assert_durable(events, placeholder)


def test_sealing_and_rewrapping_a_store_sync_each_folder(
    tmp_path: Path, events: list[Event]
) -> None:
    spec = StoreSpec("target", tmp_path / "store", tmp_path / "k" / "files.key")
    assert spec.key is not None
    create_files_key(spec.key)
    plain = tmp_path / "store" / "iq" / "private" / "statement.pdf"
    plain.parent.mkdir(parents=True)
    plain.write_bytes(b"statement\n" * 10)
    assert encrypt_store(spec).changed == 1
    assert_durable(events, plain)
    events.clear()
    assert rotate_files_key(spec).changed == 1
    assert_durable(events, plain)


def test_verify_reports_are_durable_and_never_written_through_a_link(
    events: list[Event], tmp_path: Path
) -> None:
    from pseamigrate.verify.report import write_private

    report = tmp_path / "qa" / "v.html"
    report.parent.mkdir()
    planted = report.with_name(f".{report.name}.partial-{os.getpid()}")
    elsewhere = tmp_path / "elsewhere"
    planted.symlink_to(elsewhere)
    write_private(report, "<!DOCTYPE html>")
    assert_durable(events, report)
    assert report.read_text() == "<!DOCTYPE html>" and not elsewhere.exists()
    assert report.stat().st_mode & 0o777 == 0o600
