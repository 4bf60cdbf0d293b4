"""Folders that hold keys, sealed files and backups (#30 lows): every folder the toolkit creates
for them is 0700, the parents it creates included (`mkdir(parents=True, mode=0o700)` gives the
mode to the last folder only); a database name that would reach `sed` or a file name is refused
by the one identifier rule."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from pseamigrate.deploy.backup import dump_database, newest_dump, restore_check
from pseamigrate.encryption import setup as enc_setup
from pseamigrate.encryption.filestore import create_files_key
from pseamigrate.encryption.keys import write_secret
from pseamigrate.errors import UnsafeIdentifier
from pseamigrate.servers import LocalServer
from tests.conftest import DatabaseFactory
from tests.encryption.enc_helpers import run_cli

PASSPHRASE = "dump-pass-Hq27"


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    """The usual umask: with it a plain `mkdir` makes 0755 folders."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _modes(base: Path, folders: list[Path]) -> dict[str, str]:
    assert all(folder.is_dir() for folder in folders), folders
    return {str(p.relative_to(base)): oct(stat.S_IMODE(p.stat().st_mode)) for p in folders}


def _chain(base: Path, *parts: str) -> list[Path]:
    """Return base/a, base/a/b, … for the parts: the folders a call must create."""
    return [base.joinpath(*parts[: i + 1]) for i in range(len(parts))]


def test_a_secret_and_the_files_key_get_owner_only_parents(tmp_path: Path) -> None:
    write_secret(tmp_path / "etc" / "psea" / "keys" / "tenant.cnf", b"password=x\n")
    create_files_key(tmp_path / "srv" / "keys" / "files.key")
    made = _chain(tmp_path, "etc", "psea", "keys") + _chain(tmp_path, "srv", "keys")
    assert set(_modes(tmp_path, made).values()) == {"0o700"}, _modes(tmp_path, made)


def test_setup_and_backup_key_get_owner_only_parents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    basedir = tmp_path / "srv"
    (basedir / "data").mkdir(parents=True)
    (basedir / "my.cnf").write_text(f"[mysqld]\nport=3999\ndatadir={basedir}/data\n")
    tmpdir = tmp_path / "shm" / "psea" / "tmp"
    monkeypatch.setattr(enc_setup, "default_tmpdir", lambda _server: tmpdir)
    setup = run_cli("encryption", "setup", "--basedir", str(basedir))
    assert setup.exit_code == 0, setup.stderr
    backup = tmp_path / "backups" / "2026" / "keys"
    args = ("encryption", "backup-key", str(backup), "--basedir", str(basedir), "--no-verify")
    copied = run_cli(*args)
    assert copied.exit_code == 0, copied.stderr
    made = [basedir / "keys", *_chain(tmp_path, "shm", "psea", "tmp")]
    made += _chain(tmp_path, "backups", "2026", "keys")
    assert set(_modes(tmp_path, made).values()) == {"0o700"}, _modes(tmp_path, made)


def test_a_database_dump_gets_owner_only_parents_and_restores(
    mariadb_server: LocalServer,
    make_db: DatabaseFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PSEA_BACKUP_PASSPHRASE", PASSPHRASE)
    database = str(make_db(mariadb_server).database)
    dest = tmp_path / "dumps" / "2026" / "target"
    dump = dump_database(mariadb_server.basedir, database, dest)
    made = _chain(tmp_path, "dumps", "2026", "target")
    assert set(_modes(tmp_path, made).values()) == {"0o700"}, _modes(tmp_path, made)
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600
    assert newest_dump(dest, database) == dump
    assert restore_check(mariadb_server.basedir, dump, database) == (0, 0)


@pytest.mark.parametrize("name", ["a/b", "x`/d;s/a/", "../up", "t;e"])
def test_a_database_name_outside_the_identifier_rule_is_refused(
    mariadb_server: LocalServer,
    make_db: DatabaseFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    """The name goes into restore_check's `sed` script, the dump's file name and a glob: it is
    refused before anything runs (before: sed read it as commands, or a path left `dest`)."""
    monkeypatch.setenv("PSEA_BACKUP_PASSPHRASE", PASSPHRASE)
    dest = tmp_path / "dumps"
    legit = str(make_db(mariadb_server).database)
    dump = dump_database(mariadb_server.basedir, legit, dest)
    with pytest.raises(UnsafeIdentifier):
        dump_database(mariadb_server.basedir, name, dest)
    with pytest.raises(UnsafeIdentifier):
        restore_check(mariadb_server.basedir, dump, name)
    with pytest.raises(UnsafeIdentifier):
        newest_dump(dest, name)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["dumps", dump.name]
