"""A migrated target with two tenants and the first one's runtime account, on one server, for
the isolation tests (#30 S1-S3 and the hostile-statement battery)."""

from __future__ import annotations

import hashlib
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
from tests.migrate.helpers import Project, make_project, tenant_rows
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

    def others(self) -> str:
        """A digest of every row the attacker must not change: other tenants' and shared rows."""
        rows = tenant_rows(self.project.target, self.attacker)
        return hashlib.sha256(repr(sorted(rows.items())).encode()).hexdigest()


def two_tenants(
    server: LocalServer, sites: SiteCache, workdir: Path, name: str
) -> tuple[TwoTenants, str]:
    """Migrate the demo and iraq sites; grant demo its account; return them and the account."""
    project = make_project(server, workdir, name, "d7", sites=sites)
    report = project.migrate([ATTACKER, VICTIM])
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
