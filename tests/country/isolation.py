"""A migrated target with two tenants and the first one's runtime account, on one server, for
the isolation tests (#30 S1-S3 and the hostile-statement battery)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymysql
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from pseamigrate.config import ConnectionSpec
from pseamigrate.country.grant import grant_tenant
from pseamigrate.servers import LocalServer
from tests.conftest import _admin as admin
from tests.migrate.helpers import Project, make_project
from tests.sites import SiteCache

ATTACKER, VICTIM = "demo", "iraq"


@dataclass
class TwoTenants:
    """The project, the attacker's account (an autocommit engine) and both tenants' ids."""

    project: Project
    tenant: Engine
    attacker: int
    victim: int
    schema: str

    def admin_rows(self, sql: str, **params: Any) -> list[Any]:
        """Rows of a query run as the migration account on the target."""
        engine = create_engine(self.project.target)
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(sql), params).all())
        finally:
            engine.dispose()

    def others(self) -> dict[str, tuple[Any, ...]]:
        """Per table, the count and row checksums of every row the attacker must not change:
        the other tenants' rows and the shared tables' (computed by the server, as the
        migration account)."""
        engine = create_engine(self.project.target)
        try:
            with engine.connect() as conn:
                return {
                    table: tuple(conn.execute(text(_digest_sql(table, cols, self.attacker))).one())
                    for table, cols in _tables(conn).items()
                }
        finally:
            engine.dispose()


def _tables(conn: Any) -> dict[str, list[str]]:
    rows = conn.execute(
        text(
            "SELECT c.TABLE_NAME, c.COLUMN_NAME FROM information_schema.COLUMNS c "
            "JOIN information_schema.TABLES t USING (TABLE_SCHEMA, TABLE_NAME) "
            "WHERE c.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE' "
            "AND c.TABLE_NAME NOT LIKE 'pm\\_%' ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION"
        )
    )
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(str(table), []).append(str(column))
    return tables


def _digest_sql(table: str, columns: list[str], attacker: int) -> str:
    """Count, XOR and sum of a CRC32 and the XOR of a SHA-256 prefix of each row's every column
    (NULL marked), over the rows not the attacker's."""
    row = "CONCAT_WS(0x1f, " + ", ".join(f"COALESCE(`{c}`, 0x00)" for c in columns) + ")"
    where = f"WHERE tenant_id <> {attacker}" if "tenant_id" in columns else ""
    return (
        f"SELECT COUNT(*), BIT_XOR(CRC32({row})), SUM(CRC32({row})), "
        f"BIT_XOR(CAST(CONV(LEFT(SHA2({row}, 256), 15), 16, 10) AS UNSIGNED)) "
        f"FROM `{table}` {where}"
    )


def two_tenants(
    server: LocalServer, sites: SiteCache, workdir: Path, name: str, every_site: bool = False
) -> tuple[TwoTenants, str]:
    """Migrate the demo and iraq sites (or all four); grant demo its account; return them and
    the account."""
    project = make_project(server, workdir, name, "d7", sites=sites)
    report = project.migrate([] if every_site else [ATTACKER, VICTIM])
    assert report.failed_rows() == 0
    option_file = workdir / "demo.cnf"
    plan = grant_tenant(project.target, ATTACKER, option_file)
    tenant_url = ConnectionSpec(option_file=option_file).resolve()
    ids = dict(project_rows(project.target, "SELECT code, id FROM tenants"))
    engine = create_engine(tenant_url, isolation_level="AUTOCOMMIT")
    return TwoTenants(project, engine, ids[ATTACKER], ids[VICTIM], plan.schema), plan.account


def drop_account(server: LocalServer, schema: str, account: str) -> None:
    """Remove the tenant's schema of views and its account (they live beside the target)."""
    admin(server, f"DROP DATABASE IF EXISTS `{schema}`")
    admin(server, f"DROP USER IF EXISTS {account}")


def project_rows(url: URL, sql: str) -> list[Any]:
    """Rows of one query at `url`."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql)).all())
    finally:
        engine.dispose()


def attempt(engine: Engine, sql: str, params: Mapping[str, Any] | None = None) -> int | None:
    """Run one statement as the tenant; return the server's error code, or None if it ran."""
    try:
        with engine.connect() as conn:
            conn.execute(text(sql), dict(params or {}))
    except DBAPIError as exc:
        assert isinstance(exc.orig, pymysql.err.MySQLError), exc
        return int(exc.orig.args[0])
    return None


def tenant_query(engine: Engine, sql: str, **params: Any) -> list[Any]:
    """Rows the tenant reads."""
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params).all())


def own_row(engine: Engine, table: str) -> dict[str, Any]:
    """One of the tenant's own rows of `table`, as its view shows it."""
    with engine.connect() as conn:
        row = conn.execute(text(f"SELECT * FROM `{table}` ORDER BY id LIMIT 1")).first()
    assert row is not None, f"the attacker has no row in {table}"
    return dict(row._mapping)


def clone_insert(verb: str, table: str, row: Mapping[str, Any], tail: str = "") -> str:
    """`verb INTO table (every column of row) VALUES (:column, …) tail`."""
    names = ", ".join(f"`{name}`" for name in row)
    values = ", ".join(f":{name}" for name in row)
    return f"{verb} INTO `{table}` ({names}) VALUES ({values}) {tail}"
