"""Tenant isolation by construction (#30 S1-S3): a tenant's runtime account, on a migrated target
with two tenants, cannot move, delete or read another tenant's rows, nor any account's password.

Before: the tables were keyed on a global `id` and the views let a tenant write `id`, `tenant_id`
and `memberships.account_id`; ODKU moved another tenant's complaint into the attacker's tenant
(both flavours), MariaDB's REPLACE deleted it, and a forged membership showed every account's
e-mail and password hash."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pseamigrate.servers import LocalServer
from tests.country.isolation import (
    TwoTenants,
    attempt,
    clone_insert,
    drop_account,
    own_row,
    tenant_query,
    two_tenants,
)

SIGNALLED = 1644  # SIGNAL SQLSTATE 45000 in a routine


@pytest.fixture(scope="module", params=["mariadb", "mysql"])
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TwoTenants]:
    """demo and iraq migrated on one server; demo's runtime account attacks iraq's rows."""
    flavor = str(request.param)
    server: LocalServer = request.getfixturevalue(f"{flavor}_server")
    name = f"iso_{flavor[:2]}"
    made, account = two_tenants(
        server, request.getfixturevalue("sample_sites"), tmp_path_factory.mktemp(name), name
    )
    yield made
    made.tenant.dispose()
    drop_account(server, made.schema, account)


def _victim_complaint(target: TwoTenants, offset: int) -> int:
    """An iraq complaint with a narrative (a different one per test: attacks may succeed)."""
    rows = target.admin_rows(
        "SELECT id, tenant_id FROM complaints WHERE tenant_id = :t AND narrative IS NOT NULL "
        "ORDER BY id LIMIT 1 OFFSET :o",
        t=target.victim,
        o=offset,
    )
    assert rows, "the victim tenant has complaints with narratives"
    return int(rows[0][0])


def _complaint_state(target: TwoTenants, complaint: int) -> list[object]:
    return target.admin_rows(
        "SELECT tenant_id, source_id, SHA2(narrative, 256) FROM complaints WHERE id = :i",
        i=complaint,
    )


def test_s1_odku_cannot_move_another_tenants_complaint(target: TwoTenants) -> None:
    complaint = _victim_complaint(target, 0)
    before = _complaint_state(target, complaint)
    row = own_row(target.tenant, "complaints")
    row.update(id=complaint, source_id=900_000_001)
    odku = clone_insert(
        "INSERT",
        "complaints",
        row,
        # a fresh source id too: the sites' node ids overlap, and (tenant_id, source_id) is unique
        f"ON DUPLICATE KEY UPDATE tenant_id = {target.attacker}, source_id = 900000003",
    )
    error = attempt(target.tenant, odku, row)
    read = tenant_query(
        target.tenant, "SELECT narrative FROM complaints WHERE id = :i", i=complaint
    )
    # The victim's row is where it was, unchanged, and the attacker read nothing of it.
    assert _complaint_state(target, complaint) == before, f"moved (error {error})"
    assert [r for r in read if r[0] is not None and r[0] != row["narrative"]] == []


def test_s2_replace_cannot_delete_another_tenants_revision(target: TwoTenants) -> None:
    # A revision: no row refers to one, so no foreign key stops REPLACE's delete.
    revision = int(
        target.admin_rows(
            "SELECT MIN(id) FROM complaint_revisions WHERE tenant_id = :t", t=target.victim
        )[0][0]
    )
    state = "SELECT tenant_id, source_revision_id, SHA2(snapshot, 256) FROM complaint_revisions"
    before = target.admin_rows(f"{state} WHERE id = :i", i=revision)
    row = own_row(target.tenant, "complaint_revisions")
    row.update(id=revision, source_revision_id=900_000_002)
    error = attempt(target.tenant, clone_insert("REPLACE", "complaint_revisions", row), row)
    assert target.admin_rows(f"{state} WHERE id = :i", i=revision) == before, (
        f"replaced (error {error})"
    )


def test_s3_forged_memberships_show_no_other_account(target: TwoTenants) -> None:
    strangers = [
        int(r[0])
        for r in target.admin_rows(
            "SELECT id FROM accounts WHERE id NOT IN (SELECT account_id FROM memberships "
            "WHERE tenant_id = :t AND account_id IS NOT NULL) ORDER BY id",
            t=target.attacker,
        )
    ]
    assert strangers, "the victim tenant has accounts of its own"
    member = own_row(target.tenant, "memberships")
    for number, account in enumerate(strangers):
        forged = {**member, "account_id": account, "source_id": 800_000_000 + number}
        forged.pop("id")
        attempt(target.tenant, clone_insert("INSERT", "memberships", forged), forged)
    seen = {int(r[0]) for r in tenant_query(target.tenant, "SELECT id FROM accounts")}
    assert seen & set(strangers) == set()


def test_s3_no_password_hash_is_visible_to_a_tenant(target: TwoTenants) -> None:
    for table in ("accounts", "memberships"):
        hashes = attempt(target.tenant, f"SELECT password_hash FROM `{table}`")
        assert hashes is not None, f"{table}.password_hash is readable"


def test_a_tenant_still_writes_its_own_rows_and_links_accounts_by_email(
    target: TwoTenants,
) -> None:
    row = own_row(target.tenant, "complaints")
    row.pop("id")
    row["source_id"] = 900_000_010
    assert attempt(target.tenant, clone_insert("INSERT", "complaints", row), row) is None
    made = tenant_query(target.tenant, "SELECT id FROM complaints WHERE source_id = 900000010")
    assert len(made) == 1
    renamed = "UPDATE complaints SET title = 'renamed' WHERE source_id = 900000010"
    assert attempt(target.tenant, renamed) is None
    stranger, email = target.admin_rows(
        "SELECT id, email FROM accounts WHERE id NOT IN (SELECT account_id FROM memberships "
        "WHERE tenant_id = :t AND account_id IS NOT NULL) ORDER BY id LIMIT 1",
        t=target.attacker,
    )[0]
    member = own_row(target.tenant, "memberships")["id"]
    assert attempt(target.tenant, "CALL link_account(:m, :e)", {"m": member, "e": email}) is None
    seen = tenant_query(target.tenant, "SELECT id, email FROM accounts WHERE id = :i", i=stranger)
    assert seen == [(stranger, email)]
    # Another tenant's membership is out of the routine's reach, and it says nothing.
    victims = "SELECT id, account_id FROM memberships WHERE tenant_id = :t ORDER BY id LIMIT 1"
    victim, before = target.admin_rows(victims, t=target.victim)[0]
    call = "CALL link_account(:m, :e)"
    assert attempt(target.tenant, call, {"m": victim, "e": "x@example.org"}) == SIGNALLED
    assert target.admin_rows(victims, t=target.victim)[0] == (victim, before)
