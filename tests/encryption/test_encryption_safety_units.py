"""Safety pieces that need no server (issue #15 items 2 and 5, issue #14 item 2): the marked
my.cnf block, the TLS policy of connections, key sets and key backups that never replace."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from pseamigrate.config import load_settings
from pseamigrate.db import reading, tls_policy
from pseamigrate.encryption import setup as enc_setup
from pseamigrate.encryption.tls import make_server_certificates
from pseamigrate.encryption.volumes import protection
from pseamigrate.errors import ConfigError, PseamigrateError
from pseamigrate.servers.cnf import block_options, plan_block, server_options, with_block
from tests.encryption.enc_helpers import run_cli

OPERATOR_CNF = """\
# operator: tuned for the Iraq office, do not touch
[client]
port=3307
[mariadbd]
max_connections=77
tmpdir=/var/tmp/operator
"""


def test_a_block_is_appended_then_updated_in_place_and_nothing_else_changes() -> None:
    first = with_block(OPERATOR_CNF, "encryption", "mysqld", {"a": "1", "skip-x": ""})
    assert first.startswith(OPERATOR_CNF)
    assert "# BEGIN pseamigrate encryption\n" in first and first.endswith(
        "[mysqld]\na=1\nskip-x\n# END pseamigrate encryption\n"
    )
    edited = first + "# operator line after the block\n"
    second = with_block(edited, "encryption", "mysqld", {"a": "2"})
    assert second.count("# BEGIN pseamigrate encryption") == 1
    assert second.startswith(OPERATOR_CNF) and second.endswith("# operator line after the block\n")
    assert block_options(second, "encryption") == {"a": "2"}
    # later lines win, as for the server: the block overrides the operator's tmpdir
    assert server_options(first)["tmpdir"] == "/var/tmp/operator"
    assert (
        server_options(with_block(OPERATOR_CNF, "e", "mysqld", {"tmpdir": "/t"}))["tmpdir"] == "/t"
    )
    assert "port" not in server_options(first)  # [client] is not the server's


def test_a_broken_block_is_refused_not_guessed(tmp_path: Path) -> None:
    cnf = tmp_path / "my.cnf"
    cnf.write_text("[mysqld]\n# BEGIN pseamigrate encryption\na=1\n")
    with pytest.raises(PseamigrateError, match="block is broken"):
        plan_block(cnf, "encryption", "mysqld", {"a": "2"})


def test_plan_block_merges_and_apply_keeps_a_timestamped_backup(tmp_path: Path) -> None:
    cnf = tmp_path / "my.cnf"
    cnf.write_text(OPERATOR_CNF)
    cnf.chmod(0o640)
    change = plan_block(cnf, "encryption", "mysqld", {"a": "1"})
    assert cnf.read_text() == OPERATOR_CNF  # planning writes nothing
    assert change.diff().startswith(f"--- {cnf}\n+++ {cnf}\n")
    backup = change.apply()
    assert backup is not None and backup.read_text() == OPERATOR_CNF
    assert backup.name.startswith("my.cnf.pseamigrate-") and backup.name.endswith(".bak")
    assert cnf.stat().st_mode & 0o777 == 0o640
    again = plan_block(cnf, "encryption", "mysqld", {"b": "2"})
    assert block_options(again.new, "encryption") == {"a": "1", "b": "2"}
    assert plan_block(cnf, "encryption", "mysqld", {"a": "1"}).changed is False


def test_loopback_may_go_plain_but_a_remote_server_gets_verified_tls() -> None:
    assert tls_policy(make_url("mysql+pymysql://u@127.0.0.1:3306/d"))[1] == {}
    assert tls_policy(make_url("mysql+pymysql://u@localhost/d?tls=off"))[1] == {
        "ssl_disabled": True
    }
    driver_url, args = tls_policy(make_url("mysql+pymysql://u:pw@db.example.org:3306/psea"))
    context = args["ssl"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert "tls" not in driver_url.query
    with pytest.raises(ConfigError, match="tls: off is allowed only for loopback"):
        tls_policy(make_url("mysql+pymysql://u@10.1.2.3/d?tls=off"))
    with pytest.raises(ConfigError, match="cannot be used"):
        tls_policy(make_url("mysql+pymysql://u@127.0.0.1/d?ssl_ca=/nonexistent/ca.pem"))


def test_the_reading_driver_gets_the_same_tls_policy_in_its_own_words(tmp_path: Path) -> None:
    # Legacy sites are read through mysqlclient (db.reading); tests/encryption/
    # test_encryption_tls.py checks these options against a real TLS-only server.
    local = reading(make_url("mysql+pymysql://u@localhost:3307/d"))
    assert local.drivername == "mysql+mysqldb" and local.host == "127.0.0.1"  # TCP, not a socket
    assert reading(make_url("mysql://u@localhost/d?unix_socket=/s")).host == "localhost"
    assert tls_policy(local)[1] == {}
    assert tls_policy(local.update_query_dict({"tls": "off"}))[1] == {"ssl_mode": "DISABLED"}
    remote = reading(make_url("mariadb+pymysql://u:pw@db.example.org:3306/psea"))
    args = tls_policy(remote)[1]
    assert args["ssl_mode"] == "VERIFY_IDENTITY"
    assert set(args["ssl"]) & {"ca", "capath"}  # the system's CAs, named
    ca = tmp_path / "ca.pem"
    ca.write_bytes(make_server_certificates().ca_cert)
    named = tls_policy(remote.update_query_dict({"ssl_ca": str(ca)}))[1]
    assert named == {"ssl": {"ca": str(ca)}, "ssl_mode": "VERIFY_IDENTITY"}
    with pytest.raises(ConfigError, match="tls: off is allowed only for loopback"):
        tls_policy(remote.update_query_dict({"tls": "off"}))


def test_project_file_tls_keys_are_validated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "pseamigrate.yaml"
    config.write_text(
        "target:\n  connection:\n    url_env: T_URL\n    tls: off\n    ssl_ca: /etc/ca.pem\n"
    )
    with pytest.raises(ConfigError, match="tls: off contradicts ssl_ca"):
        load_settings(config)
    config.write_text("target:\n  connection:\n    url_env: T_URL\n    tls: maybe\n")
    with pytest.raises(ConfigError, match="tls: must be verify or off"):
        load_settings(config)
    config.write_text("target:\n  connection:\n    url_env: T_URL\n    tls: off\n")
    monkeypatch.setenv("T_URL", "mysql://u@db.example.org/psea")
    url = load_settings(config).target_connection().resolve()
    with pytest.raises(ConfigError, match="not for db.example.org"):
        tls_policy(url)


def test_declared_volumes_and_tmpfs_protect_a_path_a_plain_disk_does_not(disk_path: Path) -> None:
    assert protection("/dev/shm/x", [], local=True) is not None  # tmpfs
    assert protection(str(disk_path), [], local=True) is None  # ext4 here
    assert protection(str(disk_path / "logs"), [str(disk_path)], local=True) is not None
    assert protection("/dev/shm/x", [], local=False) is None  # not our host: only a declaration


def _fake_server_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    basedir = tmp_path / "srv"
    (basedir / "data").mkdir(parents=True)
    (basedir / "my.cnf").write_text(f"[mysqld]\nport=3999\ndatadir={basedir}/data\n")
    monkeypatch.setattr(enc_setup, "default_tmpdir", lambda _server: tmp_path / "shm")
    return basedir


def test_setup_refuses_an_incomplete_key_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    basedir = _fake_server_dir(tmp_path, monkeypatch)
    assert run_cli("encryption", "setup", "--basedir", str(basedir)).exit_code == 0
    (basedir / "keys" / "keyfile.key").unlink()
    cnf = (basedir / "my.cnf").read_text()
    for extra in ([], ["--dry-run"]):
        result = run_cli("encryption", "setup", "--basedir", str(basedir), *extra)
        assert result.exit_code == 4, result.stderr
        assert "keyfile.key missing beside keys.enc" in " ".join(result.stderr.split())
    assert not (basedir / "keys" / "keyfile.key").exists()
    assert (basedir / "my.cnf").read_text() == cnf


def test_setup_dry_run_diff_is_exactly_what_it_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    basedir = _fake_server_dir(tmp_path, monkeypatch)
    cnf = basedir / "my.cnf"
    cnf.write_text(OPERATOR_CNF + cnf.read_text())
    shown = run_cli("encryption", "setup", "--basedir", str(basedir), "--dry-run")
    assert shown.exit_code == 0 and cnf.read_text().startswith(OPERATOR_CNF)
    assert not (basedir / "keys").exists()
    done = run_cli("encryption", "setup", "--basedir", str(basedir))
    assert done.exit_code == 0, done.stderr
    [backup] = basedir.glob("my.cnf.pseamigrate-*.bak")
    from pseamigrate.servers.cnf import CnfChange

    assert CnfChange(cnf, backup.read_text(), cnf.read_text()).diff() == shown.stdout
    assert f"+tmpdir={tmp_path / 'shm'}" in shown.stdout


def test_key_backups_never_replace_one_another_nor_change_a_directorys_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    basedir = _fake_server_dir(tmp_path, monkeypatch)
    assert run_cli("encryption", "setup", "--basedir", str(basedir)).exit_code == 0
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    args = ("encryption", "backup-key", str(shared), "--basedir", str(basedir), "--no-verify")
    first = run_cli(*args)
    assert first.exit_code == 0, first.stderr
    assert shared.stat().st_mode & 0o7777 == 0o1777
    assert {p.stat().st_mode & 0o777 for p in shared.iterdir()} == {0o600}
    before = {p.name: p.read_bytes() for p in shared.iterdir()}
    second = run_cli(*args)
    assert second.exit_code == 4 and "already holds a key backup" in second.stderr
    assert {p.name: p.read_bytes() for p in shared.iterdir()} == before
    fresh = tmp_path / "fresh"
    assert run_cli(*args[:2], str(fresh), *args[3:]).exit_code == 0
    assert fresh.stat().st_mode & 0o777 == 0o700
