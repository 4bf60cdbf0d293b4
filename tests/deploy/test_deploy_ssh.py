"""Recipes over a real sshd (#11): provision-target on MariaDB and MySQL 9.7 ends with every
encryption check passing; new-country and backup (with its restore check) on that target; a
failing step stops the recipe naming it; an unreachable host is a clear message within 30 s."""

from __future__ import annotations

import json
import os
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from pseamigrate.deploy.server_dir import stop_detached
from pseamigrate.encryption.base import Outcome
from pseamigrate.encryption.commands import encryption_status
from pseamigrate.servers.instance import free_port
from tests.country.helpers import ADMIN, LOCATIONS, cli, scalar
from tests.deploy.conftest import SSHServer

PSEAMIGRATE = str(Path(sys.executable).parent / "pseamigrate")


def _deploy(
    monkeypatch: pytest.MonkeyPatch, ssh: SSHServer, recipe: str, **params: str
) -> tuple[int, str, str]:
    args = ["deploy", recipe, *ssh.deploy_args(), "--set", f"pseamigrate={PSEAMIGRATE}"]
    for key, value in params.items():
        args += ["--set", f"{key}={value}"]
    return cli(monkeypatch, None, *args)


@pytest.fixture(scope="module", params=["mariadb", "mysql"])
def provisioned(
    request: pytest.FixtureRequest, ssh_server: SSHServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, URL]]:
    """Run provision-target over SSH once per flavor; stop the server it started afterwards."""
    basedir = tmp_path_factory.mktemp(f"provisioned-{request.param}") / "db"
    keys = basedir.parent / "keys"
    port = free_port()
    with pytest.MonkeyPatch.context() as monkeypatch:
        code, out, err = _deploy(
            monkeypatch,
            ssh_server,
            "provision-target",
            basedir=str(basedir),
            flavor=request.param,
            port=str(port),
            key_dest=str(keys),
        )
    try:
        assert code == 0, err
        assert "[10/10] encryption status" in err and "done on" in out
        yield (
            basedir,
            URL.create(
                "mysql+pymysql", username="root", host="127.0.0.1", port=port, database="psea"
            ),
        )
    finally:
        stop_detached(basedir)


def test_provision_target_ends_with_every_encryption_check_passing(
    provisioned: tuple[Path, URL],
) -> None:
    _basedir, url = provisioned
    report = encryption_status(url)
    assert report.checks and not report.failed
    assert (
        scalar(
            url,
            "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
            "TABLE_SCHEMA = 'psea' AND TABLE_NAME = 'tenants'",
        )
        == 1
    )
    assert [c.name for c in report.checks if c.outcome is not Outcome.PASS] == []


def test_provision_backs_up_the_keys_it_made(provisioned: tuple[Path, URL]) -> None:
    basedir, _url = provisioned
    copies = list((basedir.parent / "keys").iterdir())
    assert copies and all(stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in copies)
    record = json.loads((basedir / "key-backup.json").read_text())
    assert record["verified"] is True  # the scratch restore opened the data with the copies
    assert sorted(record["digests"]) == sorted(p.name for p in copies)


def test_provision_again_keeps_what_is_there(
    provisioned: tuple[Path, URL], ssh_server: SSHServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    basedir, url = provisioned
    flavor = "mysql" if (basedir / "my.cnf").read_text().count("plugin-dir") else "mariadb"
    code, _out, err = _deploy(
        monkeypatch,
        ssh_server,
        "provision-target",
        basedir=str(basedir),
        flavor=flavor,
        port=str(url.port),
        key_dest=str(basedir.parent / "keys-again"),
    )
    assert code == 0, err
    assert "key backup" in err and "skipped (already done)" in err
    assert not (basedir.parent / "keys-again").exists()  # one key backup is recorded already
    assert "already a server directory" not in err  # the remote's messages stay remote
    assert not encryption_status(url).failed


def test_new_country_over_ssh(
    provisioned: tuple[Path, URL],
    ssh_server: SSHServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _basedir, url = provisioned
    (tmp_path / "iq.csv").write_text(LOCATIONS)
    monkeypatch.setenv("PSEA_TARGET_URL", url.render_as_string(hide_password=False))
    monkeypatch.setenv("PSEA_ADMIN_EMAIL", ADMIN)
    params = {
        "code": "iq",
        "name": "Iraq",
        "root": str(tmp_path),
        "locations": str(tmp_path / "iq.csv"),
        "option_file": str(tmp_path / "iq.cnf"),
    }
    code, out, err = _deploy(monkeypatch, ssh_server, "new-country", **params)
    assert code == 0, err
    assert ADMIN not in out + err
    assert scalar(url, "SELECT COUNT(*) FROM location_terms") == 3
    assert stat.S_IMODE(os.stat(tmp_path / "iq.cnf").st_mode) == 0o600
    code, _out, err = _deploy(monkeypatch, ssh_server, "new-country", **params)
    assert code == 0, err
    assert "skipped (already done)" in err


def test_backup_with_restore_check_then_health(
    provisioned: tuple[Path, URL],
    ssh_server: SSHServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    basedir, url = provisioned
    monkeypatch.setenv("PSEA_BACKUP_PASSPHRASE", "backup-pass-Zq81")
    marker = tmp_path / "state" / "last-backup"
    dest = tmp_path / "dumps"
    code, out, err = _deploy(
        monkeypatch,
        ssh_server,
        "backup",
        basedir=str(basedir),
        dest=str(dest),
        marker=str(marker),
    )
    assert code == 0, err
    assert "backup-pass-Zq81" not in out + err
    dumps = list(dest.glob("psea-*.sql.gz.enc"))
    assert len(dumps) == 1 and dumps[0].read_bytes()[:8] == b"Salted__"  # encrypted, not SQL
    assert stat.S_IMODE(os.stat(dumps[0]).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o700
    code, out, _err = cli(
        monkeypatch, url, "health", "--basedir", str(basedir), "--backup-marker", str(marker)
    )
    assert code == 0, out
    assert "PASS last backup" in out and "PASS key backup" in out  # provision's key backup


def test_a_failing_step_stops_the_recipe_naming_it(
    ssh_server: SSHServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PSEA_BACKUP_PASSPHRASE", "x")
    not_a_server = tmp_path / "empty"
    not_a_server.mkdir()
    code, _out, err = _deploy(
        monkeypatch,
        ssh_server,
        "backup",
        basedir=str(not_a_server),
        dest=str(tmp_path / "d"),
        marker=str(tmp_path / "m"),
    )
    assert code == 1
    assert "recipe backup stopped at step 1/3 'dump': exit 1" in err
    assert "is not a server directory" in err
    assert "[2/3]" not in err and not (tmp_path / "m").exists()


def test_unreachable_host_is_a_clear_message_within_30s(
    ssh_server: SSHServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    closed = free_port()
    args = [
        "deploy",
        "provision-target",
        "--host",
        f"root@127.0.0.1:{closed}",
        "--identity",
        str(ssh_server.identity),
        "--set",
        f"basedir={tmp_path}",
        "--set",
        f"key_dest={tmp_path / 'keys'}",
    ]
    started = time.monotonic()
    code, _out, err = cli(monkeypatch, None, *args)
    assert time.monotonic() - started < 30
    assert code == 1
    assert f"cannot connect to the host at root@127.0.0.1:{closed}: connection refused" in err


def test_unknown_host_key_is_refused(
    ssh_server: SSHServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    args = [
        "deploy",
        "provision-target",
        "--host",
        ssh_server.host,
        "--identity",
        str(ssh_server.identity),
        "--known-hosts",
        str(empty),
        "--set",
        f"basedir={tmp_path}",
        "--set",
        f"key_dest={tmp_path / 'keys'}",
    ]
    code, _out, err = cli(monkeypatch, None, *args)
    assert code == 1 and "cannot connect to the host" in err
    assert not (tmp_path / "my.cnf").exists()


def test_health_timer_falls_back_to_cron_without_systemd(
    provisioned: tuple[Path, URL],
    ssh_server: SSHServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    basedir, url = provisioned
    option_file = tmp_path / "target.cnf"
    option_file.write_text(f"[client]\nuser=root\nhost=127.0.0.1\nport={url.port}\ndatabase=psea\n")
    project = tmp_path / "pseamigrate.yaml"
    project.write_text(f"target:\n  connection: {{option_file: {option_file}}}\n")
    prom, cron = tmp_path / "psea.prom", tmp_path / "cron.d" / "pseamigrate-health"
    code, _out, err = _deploy(
        monkeypatch,
        ssh_server,
        "health-timer",
        project=str(project),
        basedir=str(basedir),
        prometheus=str(prom),
        cron_file=str(cron),
        unit_dir=str(tmp_path / "units"),
    )
    assert code == 0, err
    assert "pseamigrate_up 1" in prom.read_text()  # the first step ran the check itself
    line = cron.read_text().splitlines()[-1]
    assert line.startswith("*/5 * * * * root ") and f"--config {project} health" in line
    assert not (tmp_path / "units").exists()


def test_new_country_on_this_machine(
    provisioned: tuple[Path, URL], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _basedir, url = provisioned
    monkeypatch.setenv("PSEA_TARGET_URL", url.render_as_string(hide_password=False))
    monkeypatch.setenv("PSEA_ADMIN_EMAIL", ADMIN)
    args = ["deploy", "new-country", "--host", "local", "--set", f"pseamigrate={PSEAMIGRATE}"]
    for key, value in {
        "code": "cd",
        "name": "DRC",
        "root": str(tmp_path),
        "option_file": str(tmp_path / "cd.cnf"),
    }.items():
        args += ["--set", f"{key}={value}"]
    code, out, err = cli(monkeypatch, None, *args)
    assert code == 0, err
    assert "done on local: 5 step(s) ran" in out
    assert scalar(url, "SELECT template FROM tenants WHERE code = 'cd'") == "crp"


def test_the_migration_account_runs_country_apply_and_grant(
    provisioned: tuple[Path, URL], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from pseamigrate.config import ConnectionSpec
    from pseamigrate.db import connection
    from tests.country.helpers import new_country

    basedir, _url = provisioned
    option_file = basedir / "migration.cnf"
    assert stat.S_IMODE(os.stat(option_file).st_mode) == 0o600
    migration = ConnectionSpec(option_file=option_file).resolve()
    assert migration.username == "psea_migrate" and migration.password
    new_country(monkeypatch, tmp_path, "sy", "Syria")
    root = ["--root", str(tmp_path)]
    code, _out, err = cli(monkeypatch, migration, "country", "apply", "sy", *root)
    assert code == 0, err
    tenant_file = tmp_path / "sy.cnf"
    code, _out, err = cli(
        monkeypatch, migration, "country", "grant", "sy", "--option-file", str(tenant_file)
    )
    assert code == 0, err
    with connection(ConnectionSpec(option_file=tenant_file).resolve()) as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM roles")).scalar() == 6
    with pytest.raises(DBAPIError), connection(migration) as conn:
        conn.execute(text("SELECT COUNT(*) FROM mysql.user"))
