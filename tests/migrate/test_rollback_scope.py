"""Rollback deletes only rows of its own tenant, and only accounts it created (#30 S8).

Before: `_delete_orphan_accounts` deleted every account without a membership, whoever made it,
and `_delete_owned` deleted by the ledger's target ids with no `tenant_id` filter, so a ledger
entry naming another tenant's row deleted that row."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from pseamigrate.db import connection
from pseamigrate.migrate.rollback import rollback
from tests.migrate.helpers import Project, tenant_rows

SHARED = {"accounts", "allegation_type_terms", "organisation_terms", "awareness_topic_terms"}

# A rolled-back tenant keeps ledger entries only for accounts it created that are still used.
STILL_USED = (
    "NOT (target_table = 'accounts' AND target_id IN "
    "(SELECT account_id FROM memberships WHERE account_id IS NOT NULL))"
)


def _tenant(project: Project, code: str) -> int:
    return int(project.scalar(f"SELECT id FROM tenants WHERE code = '{code}'"))


def _run(project: Project, sql: str, **params: object) -> int:
    with connection(project.target, begin=True) as conn:
        result = conn.execute(text(sql), params)
        return int(result.lastrowid or 0)


def _account(project: Project, email: str, first_tenant: int) -> int:
    return _run(
        project,
        "INSERT INTO accounts (email_key, email, first_tenant_id, imported_at) "
        "VALUES (:e, :e, :t, NOW())",
        e=email,
        t=first_tenant,
    )


LEDGER_ROW = (
    "INSERT INTO pm_id_map (tenant_id, source_entity, source_id, target_table, target_id, "
    "status, first_run_id, run_id, imported_at) VALUES (:t, :e, :s, :tt, :id, 'imported', "
    "(SELECT MAX(id) FROM pm_runs WHERE tenant_id = :t AND mode = 'run'), "
    "(SELECT MAX(id) FROM pm_runs WHERE tenant_id = :t AND mode = 'run'), NOW())"
)


def test_rollback_of_a_site_keeps_accounts_it_did_not_create(one_project: Project) -> None:
    project = one_project
    project.migrate()
    iraq, syria = _tenant(project, "iraq"), _tenant(project, "syria")
    # An administrator's account that was there before, with no membership (yet).
    before_tool = _account(project, "admin.before@example.org", iraq)
    # An account syria's run created (its ledger says so) whose membership is gone.
    syrias = _account(project, "left.syria@example.org", syria)
    _run(project, LEDGER_ROW, t=syria, e="account", s="99999", tt="accounts", id=syrias)

    done = rollback(project.settings(), "iraq", None, dry_run=False)

    assert done.rows["complaints"] > 0 and done.rows["accounts"] > 0  # iraq's own went
    assert project.count("accounts", f"WHERE id = {before_tool}") == 1, "an admin's account went"
    assert project.count("accounts", f"WHERE id = {syrias}") == 1, "syria's account went"


def test_rollback_deletes_no_row_of_another_tenant_a_ledger_entry_names(
    one_project: Project,
) -> None:
    project = one_project
    project.migrate()
    iraq, syria = _tenant(project, "iraq"), _tenant(project, "syria")
    # A confused ledger entry of iraq naming one of syria's roles (members hold it).
    role = int(
        project.scalar(f"SELECT MIN(role_id) FROM membership_roles WHERE tenant_id = {syria}")
    )
    _run(project, LEDGER_ROW, t=iraq, e="role", s="confused", tt="roles", id=role)
    others_before = tenant_rows(project.target, iraq)  # every tenant's rows but iraq's

    rollback(project.settings(), "iraq", None, dry_run=False)

    assert project.count("complaints", f"WHERE tenant_id = {iraq}") == 0
    assert project.count("roles", f"WHERE id = {role}") == 1, "syria's role went"
    others_after = tenant_rows(project.target, iraq)
    for table, rows in others_before.items():
        if table not in SHARED:
            assert others_after[table] == rows, table
    # only entries of accounts it created that another tenant's membership still uses stay
    assert project.count("pm_id_map", f"WHERE tenant_id = {iraq} AND {STILL_USED}") == 0


def test_a_run_records_the_accounts_it_created(one_project: Project) -> None:
    project = one_project
    project.migrate(["iraq"])
    iraq = _tenant(project, "iraq")
    created = project.count("accounts", f"WHERE first_tenant_id = {iraq}")
    assert created > 0
    recorded = project.count(
        "pm_id_map",
        f"WHERE tenant_id = {iraq} AND source_entity = 'account' AND target_table = 'accounts' "
        "AND target_id IN (SELECT id FROM accounts)",
    )
    assert recorded == created
    rollback(project.settings(), "iraq", None, dry_run=False)
    assert project.count("accounts") == 0  # every one it created, none else existed


def test_removing_copies_goes_past_a_uri_with_a_nul_byte(tmp_path: Path) -> None:
    from pseamigrate.migrate.rollback import RollbackReport, _remove_files

    later = tmp_path / "iq" / "files" / "b.pdf"
    later.parent.mkdir(parents=True)
    later.write_bytes(b"%PDF")
    report = RollbackReport("iq", None, False, uris=["public://a\0.pdf", "public://b.pdf"])
    assert _remove_files(tmp_path, "iq", report) == 1
    assert not later.exists()
