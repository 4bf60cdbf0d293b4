"""`files_dir: ssh://…` (#11): a site's files copied over SFTP from a real sshd, hashed,
owner-only, links never followed, names never printed."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from tests.country.helpers import cli
from tests.deploy.conftest import SSHServer


def _source_tree(root: Path) -> dict[str, bytes]:
    files = {
        "private/complaint-17/statement-Amina.pdf": b"%PDF-1.4 not really\n" * 100,
        "public/logo.png": bytes(range(256)) * 50,
        "empty.txt": b"",
    }
    for relative, content in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(content)
    (root / "public" / "escape").symlink_to("/etc/passwd")
    return files


def _project(tmp_path: Path, files_dir: str) -> Path:
    project = tmp_path / "pseamigrate.yaml"
    project.write_text(
        "sites:\n  iraq:\n    tenant: iq\n    connection: {url_env: PSEA_IRAQ_URL}\n"
        f"    files_dir: {files_dir}\n"
    )
    return project


def test_fetch_copies_regular_files_with_hashes(
    ssh_server: SSHServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "site-files"
    expected = _source_tree(source)
    project = _project(tmp_path, f"ssh://{ssh_server.user}@127.0.0.1:{ssh_server.port}{source}")
    dest = tmp_path / "fetched" / "copy"  # neither exists: both made 0700 (#30 lows)
    code, out, err = cli(
        monkeypatch,
        None,
        "--config",
        str(project),
        "fetch-files",
        "iraq",
        "--dest",
        str(dest),
        "--identity",
        str(ssh_server.identity),
        "--known-hosts",
        str(ssh_server.known_hosts),
        "--encrypted-volume",
        str(tmp_path),
    )
    assert code == 0, err
    assert "copied 3 files" in out and "1 links or special files skipped" in out
    assert "Amina" not in out + err
    for relative, content in expected.items():
        copy = dest / relative
        assert copy.read_bytes() == content
        assert stat.S_IMODE(os.stat(copy).st_mode) == 0o600
    folders = [dest.parent, dest, *(p for p in dest.rglob("*") if p.is_dir())]
    assert {stat.S_IMODE(os.stat(p).st_mode) for p in folders} == {0o700}
    assert len(folders) == 5  # fetched, copy, private, private/complaint-17, public
    assert not (dest / "public" / "escape").exists()
    manifest = dict(
        reversed(line.split("  ", 1))
        for line in (dest / "MANIFEST.sha256").read_text().splitlines()
    )
    assert manifest == {k: hashlib.sha256(v).hexdigest() for k, v in expected.items()}


def test_fetch_refuses_a_non_ssh_files_dir_and_a_non_empty_dest(
    ssh_server: SSHServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(tmp_path, "/srv/files")
    code, _out, err = cli(
        monkeypatch,
        None,
        "--config",
        str(project),
        "fetch-files",
        "iraq",
        "--dest",
        str(tmp_path / "d"),
    )
    assert code == 2 and "not an ssh:// location" in err
    project = _project(tmp_path, f"ssh://root@127.0.0.1:{ssh_server.port}/nowhere")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    code, _out, err = cli(
        monkeypatch,
        None,
        "--config",
        str(project),
        "fetch-files",
        "iraq",
        "--dest",
        str(tmp_path / "full"),
    )
    assert code == 2 and "is not empty" in err


def test_fetch_refuses_a_dest_on_a_plain_disk(
    ssh_server: SSHServer, tmp_path: Path, disk_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copy is plaintext: a destination on no encrypted volume is refused before any byte
    is fetched (issue #30 S4)."""
    source = tmp_path / "site-files"
    _source_tree(source)
    project = _project(tmp_path, f"ssh://{ssh_server.user}@127.0.0.1:{ssh_server.port}{source}")
    monkeypatch.delenv("PSEAMIGRATE_ENCRYPTED_VOLUMES", raising=False)
    dest = disk_path / "copy"  # tmp_path may be tmpfs, which is allowed
    code, _out, err = cli(
        monkeypatch,
        None,
        "--config",
        str(project),
        "fetch-files",
        "iraq",
        "--dest",
        str(dest),
        "--identity",
        str(ssh_server.identity),
        "--known-hosts",
        str(ssh_server.known_hosts),
    )
    assert code == 4 and "plain disk" in err, err
    assert not dest.exists()
