"""Encryption pieces that need no server: the key file format (checked against the openssl
binary), the canary scanner, setup rendering and the CLI's help and argument errors."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pseamigrate.encryption import proof
from pseamigrate.encryption import setup as enc_setup
from pseamigrate.encryption.keys import (
    KeyFileError,
    generate_keys,
    key_lines,
    openssl_decrypt,
    openssl_encrypt,
    parse_key_lines,
    read_key_file,
    write_key_file,
    write_secret,
)
from pseamigrate.encryption.setup import cnf_options
from tests.encryption.enc_helpers import run_cli

COMMANDS = ["status", "setup", "enable", "rotate", "backup-key"]


@pytest.fixture(autouse=True)
def _private_tmpdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep setup's tmpfs directory inside tmp_path: these fake servers never clean up."""
    monkeypatch.setattr(enc_setup, "default_tmpdir", lambda _server: tmp_path / "shm")


def test_key_file_written_in_python_is_what_openssl_md_sha1_decrypts(tmp_path: Path) -> None:
    keys = generate_keys()
    passphrase = tmp_path / "keyfile.key"
    write_secret(passphrase, b"0123abcd" * 8)
    write_key_file(tmp_path / "keys.enc", keys, passphrase)
    assert (tmp_path / "keys.enc").read_bytes().startswith(b"Salted__")
    done = subprocess.run(
        [
            "openssl",
            "enc",
            "-d",
            "-aes-256-cbc",
            "-md",
            "sha1",
            "-pass",
            f"file:{passphrase}",
            "-in",
            str(tmp_path / "keys.enc"),
        ],
        capture_output=True,
        check=True,
    )
    assert done.stdout == key_lines(keys)
    assert read_key_file(tmp_path / "keys.enc", passphrase) == keys


def test_openssl_encrypted_key_file_is_read_back(tmp_path: Path) -> None:
    plain = tmp_path / "keys.txt"
    plain.write_bytes(key_lines({1: bytes(32), 7: bytes(range(32))}))
    passphrase = tmp_path / "pass"
    passphrase.write_bytes(b"secret-pass")
    subprocess.run(
        [
            "openssl",
            "enc",
            "-aes-256-cbc",
            "-md",
            "sha1",
            "-pass",
            f"file:{passphrase}",
            "-in",
            str(plain),
            "-out",
            str(tmp_path / "keys.enc"),
        ],
        capture_output=True,
        check=True,
    )
    assert read_key_file(tmp_path / "keys.enc", passphrase) == {1: bytes(32), 7: bytes(range(32))}


def test_wrong_passphrase_and_bad_lines_are_errors_without_content() -> None:
    blob = openssl_encrypt(key_lines(generate_keys()), b"right")
    with pytest.raises(KeyFileError):
        parse_key_lines(openssl_decrypt(blob, b"wrong", "keys.enc"), "keys.enc")
    with pytest.raises(KeyFileError, match="line 2 is not 'id;hex'") as bad:
        parse_key_lines(b"1;" + b"ab" * 32 + b"\nSECRETSTUFF\n", "keys.txt")
    assert "SECRETSTUFF" not in str(bad.value)


def test_write_secret_is_owner_only_even_over_a_world_readable_file(tmp_path: Path) -> None:
    target = tmp_path / "k" / "key"
    target.parent.mkdir()
    target.write_text("old")
    target.chmod(0o644)
    write_secret(target, b"new")
    assert target.stat().st_mode & 0o777 == 0o600 and target.read_bytes() == b"new"


def test_scan_finds_across_chunks_and_does_not_follow_symlinks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(proof, "CHUNK", 7)
    canary = proof.make_canary("unit")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "data.ibd").write_bytes(b"\0" * 5 + canary.encode() + b"\0" * 9)
    root = tmp_path / "root"
    root.mkdir()
    (root / "link.ibd").symlink_to(outside / "data.ibd")
    (root / "linkdir").symlink_to(outside, target_is_directory=True)
    assert proof.scan(root, canary) == []
    assert proof.scan(outside, canary) == [Path("data.ibd")]


def test_cnf_options_drop_comments_and_groups() -> None:
    text = "# c\n[mysqld]\nplugin_load_add=file_key_management\nskip-name-resolve\n"
    assert cnf_options(text) == {"plugin_load_add": "file_key_management", "skip-name-resolve": ""}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_encryption_command_has_help_with_an_example(command: str) -> None:
    result = run_cli("encryption", command, "--help")
    assert result.exit_code == 0 and "Example:" in result.stdout


def test_status_needs_a_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PSEAMIGRATE_CONFIG", raising=False)
    missing = run_cli("encryption", "status", "--url-env", "NO_SUCH_VAR")
    assert missing.exit_code == 1 and "NO_SUCH_VAR is not set" in missing.stderr
    none = run_cli("encryption", "status")
    assert none.exit_code == 2 and "--url-env" in none.stderr  # no project file: usage


def _fake_server_dir(tmp_path: Path, mysql: bool) -> Path:
    basedir = tmp_path / "srv"
    (basedir / "data").mkdir(parents=True)
    extra = "plugin-dir=/nonexistent\n" if mysql else ""
    (basedir / "my.cnf").write_text(f"[mysqld]\n{extra}port=3999\ndatadir={basedir}/data\n")
    return basedir


def test_setup_dry_run_never_shows_key_material_and_writes_nothing(tmp_path: Path) -> None:
    basedir = _fake_server_dir(tmp_path, mysql=False)
    result = run_cli("encryption", "setup", "--basedir", str(basedir), "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "<generated: 2 keys>" in result.stderr
    assert "<generated: key file passphrase>" in result.stderr
    assert f"+file_key_management_filekey=FILE:{basedir}/keys/keyfile.key" in result.stdout
    assert "Salted__" not in result.stdout + result.stderr and not (basedir / "keys").exists()
    assert result.stdout.startswith(f"--- {basedir}/my.cnf\n+++ {basedir}/my.cnf\n")


def test_setup_mysql_plugin_alternative_for_80(tmp_path: Path) -> None:
    basedir = _fake_server_dir(tmp_path, mysql=True)
    result = run_cli(
        "encryption", "setup", "--basedir", str(basedir), "--keyring", "plugin", "--dry-run"
    )
    assert result.exit_code == 0, result.stderr
    assert "+early-plugin-load=keyring_file.so" in result.stdout
    assert f"+keyring_file_data={basedir}/keys/keyring" in result.stdout
    assert "component_keyring_file.cnf" not in result.stdout + result.stderr
    component = run_cli("encryption", "setup", "--basedir", str(basedir), "--dry-run")
    assert '"components": "file://component_keyring_file"' in component.stderr
    assert "+innodb_redo_log_encrypt=ON" in component.stdout


def test_setup_writes_owner_only_files_and_never_replaces_keys(tmp_path: Path) -> None:
    basedir = _fake_server_dir(tmp_path, mysql=False)
    first = run_cli("encryption", "setup", "--basedir", str(basedir))
    assert first.exit_code == 0, first.stderr
    keys = basedir / "keys"
    assert keys.stat().st_mode & 0o777 == 0o700
    assert {p.name: p.stat().st_mode & 0o777 for p in keys.iterdir()} == {
        "keys.enc": 0o600,
        "keyfile.key": 0o600,
        "files.key": 0o600,  # the file store's master key (issue #30 S4)
    }
    before = (keys / "keys.enc").read_bytes()
    again = run_cli("encryption", "setup", "--basedir", str(basedir))
    assert again.exit_code == 0 and "kept existing" in again.stderr
    assert (keys / "keys.enc").read_bytes() == before
    assert "innodb_encrypt_log=ON" in (basedir / "my.cnf").read_text()


def test_rotate_basedir_adds_a_mariadb_key_id_and_keeps_the_old_ones(tmp_path: Path) -> None:
    basedir = _fake_server_dir(tmp_path, mysql=False)
    assert run_cli("encryption", "setup", "--basedir", str(basedir)).exit_code == 0
    keys = basedir / "keys"
    before = read_key_file(keys / "keys.enc", keys / "keyfile.key")
    result = run_cli("encryption", "rotate", "--basedir", str(basedir))
    assert result.exit_code == 0, result.stderr
    assert "added key id 3 as the default" in result.stderr
    after = read_key_file(keys / "keys.enc", keys / "keyfile.key")
    assert sorted(after) == [1, 2, 3] and {k: after[k] for k in before} == before
    assert "innodb_default_encryption_key_id=3" in (basedir / "my.cnf").read_text()
    assert (keys / "keys.enc").stat().st_mode & 0o777 == 0o600


def test_rotate_basedir_is_refused_for_mysql(tmp_path: Path) -> None:
    basedir = _fake_server_dir(tmp_path, mysql=True)
    result = run_cli("encryption", "rotate", "--basedir", str(basedir))
    assert result.exit_code == 1 and "MySQL rotates with SQL only" in result.stderr


def test_dry_runs_of_rotate_and_backup_key_write_nothing(tmp_path: Path) -> None:
    basedir = _fake_server_dir(tmp_path, mysql=False)
    assert run_cli("encryption", "setup", "--basedir", str(basedir)).exit_code == 0
    key_file = basedir / "keys" / "keys.enc"
    before, cnf = key_file.read_bytes(), (basedir / "my.cnf").read_text()
    rotate = run_cli("encryption", "rotate", "--basedir", str(basedir), "--dry-run")
    assert rotate.exit_code == 0 and "would add key id 3" in rotate.stderr
    dest = tmp_path / "backup"
    backup = run_cli("encryption", "backup-key", str(dest), "--basedir", str(basedir), "--dry-run")
    assert backup.exit_code == 0 and "would copy keys.enc" in backup.stdout
    assert key_file.read_bytes() == before and (basedir / "my.cnf").read_text() == cnf
    assert not dest.exists()
