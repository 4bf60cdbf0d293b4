"""The hostile-statement battery (#30 "What to build" 1): as a tenant's runtime account, against
every tenant table it can reach, on both flavours, statements that tried to reach another
tenant's rows — ODKU and REPLACE naming another tenant's id, INSERT…SELECT into another tenant,
references to another tenant's rows, multi-table UPDATE and DELETE, `tenant_id` changes, a view
of its views, LOAD DATA — and a digest of every other tenant's (and shared) row, taken by the
migration account before and after each table's attacks, must not change."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import ForeignKeyConstraint, MetaData

from pseamigrate.servers import LocalServer
from pseamigrate.target.model import load_model
from pseamigrate.target.schema import build_metadata
from tests.country.isolation import (
    TwoTenants,
    attempt,
    clone_insert,
    drop_account,
    tenant_query,
    two_tenants,
)

UNIQUE_SOURCES = ("source_id", "source_revision_id", "delta")
_fresh = itertools.count(700_000_000)


@pytest.fixture(scope="module", params=["mariadb", "mysql"])
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TwoTenants]:
    """The four sites migrated on one server; demo's runtime account attacks the others."""
    flavor = str(request.param)
    server: LocalServer = request.getfixturevalue(f"{flavor}_server")
    name = f"bat_{flavor[:2]}"
    made, account = two_tenants(
        server,
        request.getfixturevalue("sample_sites"),
        tmp_path_factory.mktemp(name),
        name,
        every_site=True,
    )
    yield made
    made.tenant.dispose()
    drop_account(server, made.schema, account)


def _tenant_tables(target: TwoTenants) -> list[str]:
    names = [str(r[0]) for r in tenant_query(target.tenant, "SHOW TABLES")]
    return [t for t in names if "tenant_id" in _view_columns(target, t)]


def _view_columns(target: TwoTenants, table: str) -> list[str]:
    with target.tenant.connect() as conn:
        return list(conn.exec_driver_sql(f"SELECT * FROM `{table}` LIMIT 0").keys())


def _template(target: TwoTenants, table: str) -> dict[str, Any]:
    """A row the attacker could write: one of its own, else another tenant's values (it can
    guess them) with its own tenant id; unique source ids fresh."""
    columns = _view_columns(target, table)
    mine = tenant_query(target.tenant, f"SELECT * FROM `{table}` ORDER BY id LIMIT 1")
    if mine:
        row = dict(mine[0]._mapping)
    else:
        other = target.admin_rows(
            f"SELECT * FROM `{table}` WHERE tenant_id <> :t LIMIT 1", t=target.attacker
        )
        # No site fills it (awareness session notes in the samples): a row of NULLs still
        # makes every statement run, and fail or not, the digest must hold.
        row = {c: other[0]._mapping[c] if other else None for c in columns}
    row["tenant_id"] = target.attacker
    for name in UNIQUE_SOURCES:
        if name in row:
            row[name] = next(_fresh)
    return row


def _victim_id(target: TwoTenants, table: str) -> int:
    found = target.admin_rows(
        f"SELECT MIN(id) FROM `{table}` WHERE tenant_id <> :t", t=target.attacker
    )[0][0]
    # A table no site fills (the samples' awareness session notes): the statements still run.
    return 1 if found is None else int(found)


def _attacks(target: TwoTenants, table: str) -> list[tuple[str, dict[str, Any]]]:
    """(SQL, parameters) of each hostile statement against `table`."""
    victim = _victim_id(target, table)
    row = _template(target, table)
    named = {**row, "id": victim}
    moved = f"ON DUPLICATE KEY UPDATE tenant_id = {target.attacker}"
    cols = [c for c in row if c != "id"]
    spliced = ", ".join(str(target.victim) if c == "tenant_id" else f"`{c}`" for c in cols)
    listed = ", ".join(f"`{c}`" for c in cols)
    first = [c for c in cols if c != "tenant_id"][0]
    attacks = [
        (clone_insert("INSERT", table, named, moved), named),
        (
            clone_insert("INSERT", table, named, f"ON DUPLICATE KEY UPDATE `{first}` = `{first}`"),
            named,
        ),
        (clone_insert("REPLACE", table, named), named),
        (clone_insert("INSERT IGNORE", table, named), named),
        (f"INSERT INTO `{table}` ({listed}) SELECT {spliced} FROM `{table}` LIMIT 1", {}),
        (f"UPDATE `{table}` SET tenant_id = {target.victim}", {}),
        (f"UPDATE `{table}` SET id = {victim} ORDER BY id LIMIT 1", {}),
        (
            f"UPDATE `{table}` a JOIN `{table}` b ON a.id = b.id SET a.`{first}` = b.`{first}` "
            f"WHERE a.id = {victim}",
            {},
        ),
        (f"DELETE a FROM `{table}` a JOIN `{table}` b ON a.id = b.id WHERE a.id = {victim}", {}),
        (f"DELETE FROM `{table}` WHERE id = {victim}", {}),
    ]
    return attacks + _foreign_references(target, table, row)


@functools.cache
def _metadata() -> MetaData:
    return build_metadata(load_model())


def _foreign_references(
    target: TwoTenants, table: str, row: dict[str, Any]
) -> list[tuple[str, dict[str, Any]]]:
    """Rows of the attacker that point at another tenant's row (a membership of a stranger's
    account, a complaint by another tenant's member…)."""
    metadata = _metadata()
    attacks = []
    for key in metadata.tables[table].constraints:
        if not isinstance(key, ForeignKeyConstraint):
            continue
        column, referred = key.column_keys[0], key.referred_table.name
        if column == "tenant_id" or column not in row:
            continue
        if "tenant_id" in key.referred_table.c:
            foreign = _victim_id(target, referred)
        else:  # an account: one no member of the attacker uses
            foreign = int(
                target.admin_rows(
                    "SELECT MAX(id) FROM accounts WHERE id NOT IN (SELECT account_id FROM "
                    "memberships WHERE tenant_id = :t AND account_id IS NOT NULL)",
                    t=target.attacker,
                )[0][0]
            )
        forged = {**row, column: foreign}
        forged.pop("id", None)
        for name in UNIQUE_SOURCES:
            if name in forged:
                forged[name] = next(_fresh)
        attacks.append((clone_insert("INSERT", table, forged), forged))
        update = f"UPDATE `{table}` SET `{column}` = {foreign} ORDER BY id LIMIT 1"
        attacks.append((update, {}))
    return attacks


def test_no_statement_of_a_tenant_reaches_another_tenants_rows(target: TwoTenants) -> None:
    tables = _tenant_tables(target)
    assert {"complaints", "memberships", "membership_roles", "files", "location_terms"} <= set(
        tables
    )
    accounts_seen = tenant_query(target.tenant, "SELECT * FROM accounts ORDER BY id")
    changed: dict[str, list[int | None]] = {}
    for table in tables:
        before = target.others()
        errors = [attempt(target.tenant, sql, params) for sql, params in _attacks(target, table)]
        if target.others() != before:
            changed[table] = errors
        leaked = tenant_query(
            target.tenant, f"SELECT COUNT(*) FROM `{table}` WHERE tenant_id <> {target.attacker}"
        )
        assert leaked[0][0] == 0, table
    assert changed == {}
    assert tenant_query(target.tenant, "SELECT * FROM accounts ORDER BY id") == accounts_seen


def test_no_view_of_views_and_no_load_data(target: TwoTenants, tmp_path: Any) -> None:
    before = target.others()
    spy = "CREATE VIEW spy AS SELECT * FROM complaints"
    assert attempt(target.tenant, spy) is not None
    data = tmp_path / "rows.tsv"
    data.write_text("1\t1\n", encoding="utf-8")
    load = f"LOAD DATA INFILE '{data}' INTO TABLE roles (id, tenant_id)"
    assert attempt(target.tenant, load) is not None
    assert attempt(target.tenant, "SELECT * FROM complaints INTO OUTFILE '/tmp/x'") is not None
    assert target.others() == before
