"""Least privilege for the migration account (issue #30 S10): with global CREATE USER it could
ALTER USER any account (on MariaDB root included). Now tenant accounts come from an
administrator's routine, and `country grant` still works end to end, on MariaDB and MySQL 9.7.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from pseamigrate.config import ConnectionSpec
from pseamigrate.db import connection
from pseamigrate.deploy.server_dir import MIGRATION_ACCOUNT, create_migration_account
from pseamigrate.errors import ConnectionFailed
from pseamigrate.servers import LocalServer
from pseamigrate.target.tenant_accounts import ADMIN_SCHEMA, REFUSED, ROUTINE
from tests.country.helpers import PLAIN, cli, execute, new_country, target_with_schema

NEEDS_CREATE_USER = 1227  # "Access denied; you need ... the CREATE USER privilege"
DECOY_PASSWORD = "decoy-password-0123456789"


@pytest.fixture
def target(any_server: LocalServer, make_db: object) -> Iterator[URL]:
    """A target schema, an administrator's account `<target>_zz` named like a tenant's, and,
    afterwards, every account and schema the test made removed from the shared server."""
    url: URL = make_db(any_server)  # type: ignore[operator]
    target_with_schema(url)
    decoy = f"'{url.database}_zz'@'%'"
    execute(url, f"CREATE USER {decoy} IDENTIFIED BY '{DECOY_PASSWORD}'")
    try:
        yield url
    finally:
        for account in (decoy, f"'{url.database}_aa'@'%'", f"'{MIGRATION_ACCOUNT}'@'127.0.0.1'"):
            execute(url, f"DROP USER IF EXISTS {account}")
        for schema in (f"{url.database}_aa", ADMIN_SCHEMA):
            execute(url, f"DROP DATABASE IF EXISTS `{schema}`")


def _error(exc: DBAPIError) -> int:
    assert isinstance(exc.orig, pymysql.err.MySQLError)
    return int(exc.orig.args[0])


def _refused(url: URL, statement: str) -> int:
    with pytest.raises(DBAPIError) as denied, connection(url) as conn:
        conn.execute(text(statement))
    return _error(denied.value)


def test_the_migration_account_alters_no_account_it_did_not_create_and_grants_tenants(
    any_server: LocalServer, target: URL, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    option_file = tmp_path / "migration.cnf"
    create_migration_account(any_server.basedir, str(target.database), option_file)
    migration = ConnectionSpec(option_file=option_file).resolve()
    decoy = f"'{target.database}_zz'@'%'"

    for account in ("'root'@'localhost'", decoy):  # ACCOUNT UNLOCK: harmless if it went through
        assert _refused(migration, f"ALTER USER {account} ACCOUNT UNLOCK") == NEEDS_CREATE_USER
    assert _refused(migration, "CREATE USER 'pm_spy'@'%'") == NEEDS_CREATE_USER
    for user, host in ((f"{target.database}_zz", "%"), ("root", "localhost")):
        call = f"CALL {ROUTINE}('{user}', '{host}', 'taken-over-0123456789')"
        assert _refused(migration, call) == REFUSED, user
    with connection(migration) as conn:
        grants = " ".join(str(row[0]) for row in conn.execute(text("SHOW GRANTS")))
    assert "CREATE USER" not in grants and "EXECUTE ON PROCEDURE" in grants
    own = URL.create(
        target.drivername, f"{target.database}_zz", DECOY_PASSWORD, target.host, target.port
    )
    with connection(own) as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1  # its password is untouched

    new_country(monkeypatch, tmp_path, "aa", "Alpha")
    code, _out, err = cli(
        monkeypatch, migration, "country", "apply", "aa", "--root", str(tmp_path), PLAIN
    )
    assert code == 0, err
    tenant_file = tmp_path / "aa.cnf"
    grant = ("country", "grant", "aa", "--option-file", str(tenant_file))
    code, out, err = cli(monkeypatch, migration, *grant)
    assert code == 0, err
    first = ConnectionSpec(option_file=tenant_file).resolve()
    assert cli(monkeypatch, migration, *grant, "--rotate-password")[0] == 0  # the routine rotates
    rotated = ConnectionSpec(option_file=tenant_file).resolve()
    with connection(rotated) as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM roles")).scalar() == 6
    with pytest.raises(ConnectionFailed, match="MySQL error 1045"), connection(first) as conn:
        conn.execute(text("SELECT 1"))
