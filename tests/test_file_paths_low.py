"""File store folders and the assess file check (#30 lows): every folder the store creates is
0700, its parents included; `assess` counts a file present only inside its scheme's folder."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pseamigrate.migrate.files import FileStore
from pseamigrate.sitefiles import local_file


@pytest.fixture
def umask_022() -> object:
    old = os.umask(0o022)
    yield
    os.umask(old)


def _site(tmp_path: Path) -> Path:
    files = tmp_path / "site" / "files" / "2024" / "05"
    files.mkdir(parents=True)
    (files / "form.pdf").write_bytes(b"%PDF-1.4 intake form\n")
    return tmp_path / "site"


@pytest.mark.usefixtures("umask_022")
def test_every_folder_the_file_store_creates_is_owner_only(tmp_path: Path) -> None:
    store = tmp_path / "srv" / "psea" / "store"  # none of it exists yet
    copied = FileStore(_site(tmp_path), store, "iq").copy("public://2024/05/form.pdf", False)
    assert copied.problem == "" and copied.size is not None
    made = [tmp_path / "srv", tmp_path / "srv" / "psea", store, store / "iq"]
    made += [p for p in (store / "iq").rglob("*") if p.is_dir()]
    assert len(made) >= 6
    modes = {str(p.relative_to(tmp_path)): oct(stat.S_IMODE(p.stat().st_mode)) for p in made}
    assert set(modes.values()) == {"0o700"}, modes


@pytest.mark.usefixtures("umask_022")
def test_the_file_store_leaves_existing_folders_alone(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir(mode=0o750)
    FileStore(_site(tmp_path), store, "iq").copy("public://2024/05/form.pdf", False)
    assert stat.S_IMODE(store.stat().st_mode) == 0o750
    assert stat.S_IMODE((store / "iq").stat().st_mode) == 0o700


def test_the_assess_file_check_stays_inside_the_files_folder(tmp_path: Path) -> None:
    root = _site(tmp_path)
    (root / "private").mkdir()
    (root / "files" / "out").symlink_to("/etc")
    assert local_file(root, "public://2024/05/form.pdf") == root / "files/2024/05/form.pdf"
    assert Path("/etc/passwd").is_file()
    for uri in ("/etc://passwd", "/etc/://passwd", "public://out/passwd", "public://../x"):
        assert local_file(root, uri) is None, uri
