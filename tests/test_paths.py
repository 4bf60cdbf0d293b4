"""Paths built from data stay inside their root (#15): Drupal file URIs, `..`, symlinks."""

from __future__ import annotations

from pathlib import Path

import pytest

from pseamigrate.errors import EXIT_REFUSED, UnsafePath
from pseamigrate.paths import file_uri_path, inside
from pseamigrate.sample.content import ManagedFile
from pseamigrate.sample.files import local_path, write_files


@pytest.mark.parametrize(
    "uri",
    [
        "public:///etc/shadow",
        "public://../x",
        "public://a/../../x",
        "private://../../../etc/passwd",
        "public://",
        "public://.",
        "temporary://x",
        "file:///etc/shadow",
        "/etc/shadow",
        "public://a\0b",
    ],
)
def test_file_uris_that_leave_the_files_folder_are_refused(tmp_path: Path, uri: str) -> None:
    with pytest.raises(UnsafePath) as caught:
        local_path(tmp_path, uri, fid=42)
    assert str(caught.value).startswith(f"file 42: its path would leave {tmp_path}")
    assert "shadow" not in str(caught.value) and "passwd" not in str(caught.value)
    assert caught.value.exit_code == EXIT_REFUSED


def test_ordinary_uris_map_under_their_scheme(tmp_path: Path) -> None:
    assert local_path(tmp_path, "public://2019/a b.pdf") == (tmp_path / "public/2019/a b.pdf")
    assert local_path(tmp_path, "private://x/../y.txt") == tmp_path.resolve() / "private/y.txt"


def test_a_symlink_out_of_the_root_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "files" / "public").mkdir(parents=True)
    (tmp_path / "files" / "public" / "link").symlink_to(outside)
    with pytest.raises(UnsafePath):
        file_uri_path(tmp_path / "files", "public://link/x.pdf", "file 7")
    with pytest.raises(UnsafePath):
        inside(tmp_path / "files" / "public", "link", "file 7")


def test_write_files_writes_nothing_for_a_hostile_uri(tmp_path: Path) -> None:
    files = tmp_path / "files"
    evil = ManagedFile(
        9, 1, "public://../../escaped.txt", "x", "text/plain", b"x", 0, 1, False, "u"
    )
    with pytest.raises(UnsafePath, match="file 9"):
        write_files(files, [evil])
    assert not (tmp_path / "escaped.txt").exists()
    assert not any(tmp_path.rglob("escaped.txt"))
