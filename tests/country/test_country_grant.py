"""Least privilege (#11): tenant A's runtime account reaches no row of tenant B, on MariaDB and
MySQL 9.7, through any object it can reach; the ledger and the target schema are out of reach."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from pseamigrate.config import ConnectionSpec, read_option_file
from pseamigrate.db import connection
from pseamigrate.errors import ConnectionFailed
from tests.country.helpers import PLAIN, cli, execute, new_country, scalar, target_with_schema

ACCESS_DENIED = {1142, 1143, 1044, 1049}  # table/column/database access denied, unknown db
CHECK_OPTION_FAILED = 1369


@pytest.fixture(autouse=True)
def _drop_tenant_schemas_and_accounts(any_db: URL) -> Iterator[None]:
    """Tenant schemas and accounts live beside the test database: remove them afterwards."""
    yield
    for code in ("aa", "bb"):
        name = f"{any_db.database}_{code}"
        execute(any_db, f"DROP DATABASE IF EXISTS `{name}`")
        execute(any_db, f"DROP USER IF EXISTS '{name}'@'%'")


def _two_tenants(url: URL, root: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    target_with_schema(url)
    for code, name in (("aa", "Alpha"), ("bb", "Beta")):
        new_country(monkeypatch, root, code, name, f"organisations=Org {code}")
        assert cli(monkeypatch, url, "country", "apply", code, "--root", str(root), PLAIN)[0] == 0
    with connection(url, begin=True) as conn:  # a ledger row, which no tenant may read
        conn.execute(
            text(
                "INSERT INTO pm_runs (tenant_id, mode, started_at, status) "
                "SELECT id, 'run', NOW(), 'done' FROM tenants"
            )
        )
        ids = conn.execute(text("SELECT code, id FROM tenants")).all()
    return {str(code): int(tenant_id) for code, tenant_id in ids}


def _error_code(exc: DBAPIError) -> int:
    assert isinstance(exc.orig, pymysql.err.MySQLError)
    return int(exc.orig.args[0])


def test_tenant_account_sees_and_changes_only_its_own_rows(
    any_db: URL, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _two_tenants(any_db, tmp_path, monkeypatch)
    option_file = tmp_path / "secrets" / "aa.cnf"
    code, out, err = cli(
        monkeypatch, any_db, "country", "grant", "aa", "--option-file", str(option_file)
    )
    assert code == 0, err
    password = read_option_file(option_file, "client")["password"]
    assert len(password) >= 24 and password not in out + err
    assert stat.S_IMODE(os.stat(option_file).st_mode) == 0o600

    tenant_url = ConnectionSpec(option_file=option_file).resolve()
    assert tenant_url.database == f"{any_db.database}_aa"
    with connection(tenant_url) as conn:
        _sees_only_its_own_rows(conn, ids["aa"])
        _cannot_touch_other_rows(conn, ids["bb"], ids["aa"])
        _cannot_reach_the_target_or_ledger(conn, str(any_db.database))
    assert scalar(any_db, "SELECT COUNT(*) FROM roles WHERE name = 'Changed'") == 0


def _sees_only_its_own_rows(conn: object, own: int) -> None:
    from sqlalchemy import Connection

    assert isinstance(conn, Connection)
    schemas = set(conn.execute(text("SHOW DATABASES")).scalars())
    assert schemas - {"information_schema", "performance_schema"} == {
        conn.execute(text("SELECT DATABASE()")).scalar()
    }
    objects = list(conn.execute(text("SHOW TABLES")).scalars())
    assert "roles" in objects and "location_terms" in objects and "tenants" in objects
    assert not [name for name in objects if str(name).startswith("pm_")]
    checked = 0
    for name in objects:
        columns = [r[0] for r in conn.execute(text(f"SHOW COLUMNS FROM `{name}`"))]
        if "tenant_id" in columns:
            others = conn.execute(text(f"SELECT COUNT(*) FROM `{name}` WHERE tenant_id <> {own}"))
            assert others.scalar() == 0, name
            checked += 1
    assert checked >= 5
    assert list(conn.execute(text("SELECT id FROM tenants")).scalars()) == [own]
    assert conn.execute(text("SELECT COUNT(*) FROM roles")).scalar() == 6  # its own are there
    assert conn.execute(text("SELECT COUNT(*) FROM accounts")).scalar() == 1


def _cannot_touch_other_rows(conn: object, other: int, own: int) -> None:
    from sqlalchemy import Connection

    assert isinstance(conn, Connection)
    changed = conn.execute(text(f"UPDATE roles SET name = 'Changed' WHERE tenant_id = {other}"))
    assert changed.rowcount == 0
    assert conn.execute(text(f"DELETE FROM roles WHERE tenant_id = {other}")).rowcount == 0
    with pytest.raises(DBAPIError) as moved:
        conn.execute(text(f"UPDATE roles SET tenant_id = {other} WHERE tenant_id = {own}"))
    assert _error_code(moved.value) in ACCESS_DENIED  # no UPDATE privilege on tenant_id (#30)
    with pytest.raises(DBAPIError) as planted:
        conn.execute(
            text(
                "INSERT INTO roles (tenant_id, source_id, name, imported_at) "
                f"VALUES ({other}, 'spy', 'Spy', NOW())"
            )
        )
    assert _error_code(planted.value) == CHECK_OPTION_FAILED
    with pytest.raises(DBAPIError) as shared:
        conn.execute(text("DELETE FROM organisation_terms"))
    assert _error_code(shared.value) in ACCESS_DENIED
    conn.rollback()


def _cannot_reach_the_target_or_ledger(conn: object, target: str) -> None:
    from sqlalchemy import Connection

    assert isinstance(conn, Connection)
    for table in ("roles", "pm_runs", "pm_id_map", "tenants"):
        with pytest.raises(DBAPIError) as denied:
            conn.execute(text(f"SELECT COUNT(*) FROM `{target}`.`{table}`"))
        assert _error_code(denied.value) in ACCESS_DENIED, table
        conn.rollback()


def test_grant_again_keeps_the_password_unless_told_to_rotate_it(
    any_db: URL, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _two_tenants(any_db, tmp_path, monkeypatch)
    option_file = tmp_path / "bb.cnf"
    args = ("country", "grant", "bb", "--option-file", str(option_file))
    assert cli(monkeypatch, any_db, *args)[0] == 0
    first_url = ConnectionSpec(option_file=option_file).resolve()
    code, out, _err = cli(monkeypatch, any_db, *args)  # a recipe run twice (#24 item 8)
    assert code == 0 and "password kept from" in out
    assert ConnectionSpec(option_file=option_file).resolve().password == first_url.password
    with connection(first_url) as conn:  # the running application's login still works
        assert conn.execute(text("SELECT COUNT(*) FROM roles")).scalar() == 6
    code, out, _err = cli(monkeypatch, any_db, *args, "--rotate-password")
    assert code == 0 and "new password" in out
    new_url = ConnectionSpec(option_file=option_file).resolve()
    assert first_url.password != new_url.password
    with connection(new_url) as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM roles")).scalar() == 6
    with pytest.raises(ConnectionFailed, match="MySQL error 1045"), connection(first_url) as conn:
        conn.execute(text("SELECT 1"))


def test_grant_dry_run_and_sql_show_no_password_and_write_nothing(
    any_db: URL, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _two_tenants(any_db, tmp_path, monkeypatch)
    option_file = tmp_path / "aa.cnf"
    args = ("country", "grant", "aa", "--option-file", str(option_file))
    code, out, _err = cli(monkeypatch, any_db, *args, "--sql")
    assert code == 0
    assert "IDENTIFIED BY '<password>'" in out and "WITH CASCADED CHECK OPTION" in out
    assert "pm_runs" not in out
    code, out, _err = cli(monkeypatch, any_db, *args, "--dry-run")
    assert code == 0 and "would run: view" in out
    assert not option_file.exists()
    account = f"{any_db.database}_aa"
    assert scalar(any_db, f"SELECT COUNT(*) FROM mysql.user WHERE user = '{account}'") == 0


def test_grant_unknown_tenant(any_db: URL, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target_with_schema(any_db)
    code, _out, err = cli(
        monkeypatch, any_db, "country", "grant", "zz", "--option-file", str(tmp_path / "z.cnf")
    )
    assert code == 1 and "no tenant 'zz'" in err
