"""Rollback deletes only what the ledger says this tool created (#9), on both servers."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from pseamigrate.errors import RefusedForSafety
from pseamigrate.migrate.rollback import rollback
from tests.migrate.helpers import Project, canonical_dump, tenant_rows

TENANT_TABLES = ("complaints", "complaint_revisions", "complaint_attachments", "memberships")
TENANT_TABLES += ("membership_roles", "roles", "files", "location_terms", "referrals")
# Rows several tenants share: the tenant being rolled back may only take its own away.
SHARED = {"accounts", "allegation_type_terms", "organisation_terms", "awareness_topic_terms"}

# A rolled-back tenant keeps ledger entries only for accounts it created that are still used.
STILL_USED = (
    "NOT (target_table = 'accounts' AND target_id IN "
    "(SELECT account_id FROM memberships WHERE account_id IS NOT NULL))"
)


def _tenant(project: Project, code: str) -> int:
    return int(project.scalar(f"SELECT id FROM tenants WHERE code = '{code}'"))


def test_rolling_back_a_site_leaves_every_other_tenant_byte_identical(project: Project) -> None:
    project.migrate()
    clean = canonical_dump(project.target)
    iraq = _tenant(project, "iraq")
    before = tenant_rows(project.target, iraq)
    stored = [p for p in (project.store / "iraq").rglob("*") if p.is_file()]
    assert stored

    planned = rollback(project.settings(), "iraq", None, dry_run=True)
    assert project.count("complaints", f"WHERE tenant_id = {iraq}") > 0  # a dry run keeps all
    done = rollback(project.settings(), "iraq", None, dry_run=False)
    assert done.rows == planned.rows and done.rows["complaints"] > 0
    assert done.files == len(stored)
    assert not any(p.is_file() for p in (project.store / "iraq").rglob("*"))

    for table in TENANT_TABLES:
        assert project.count(table, f"WHERE tenant_id = {iraq}") == 0, table
    # only entries of accounts it created that another tenant's membership still uses stay
    assert project.count("pm_id_map", f"WHERE tenant_id = {iraq} AND {STILL_USED}") == 0
    after = tenant_rows(project.target, iraq)
    for table, rows in before.items():
        if table in SHARED:
            assert set(after[table]) <= set(rows), table
        else:
            assert after[table] == rows, table
    assert len(after["accounts"]) < len(before["accounts"])  # iraq's own accounts went…
    assert (
        project.count(  # …and no account is left without a membership
            "accounts",
            "WHERE id NOT IN (SELECT account_id FROM memberships WHERE account_id IS NOT NULL)",
        )
        == 0
    )

    again = project.migrate(["iraq"])
    assert again.failed_rows() == 0
    assert canonical_dump(project.target) == clean


def test_rolling_back_runs_newest_first(project: Project) -> None:
    project.migrate(["demo", "syria"])
    lonely = int(
        project.scalar(  # a complaint no referral points at, so a later run can add it alone
            "SELECT MIN(c.source_id) FROM complaints c JOIN tenants t ON t.id = c.tenant_id "
            "WHERE t.code = 'demo' AND NOT EXISTS "
            "(SELECT 1 FROM referrals r WHERE r.complaint_id = c.id)"
        )
    )
    rollback(project.settings(), "demo", None, dry_run=False)
    engine = create_engine(project.sources["demo"])
    with engine.connect() as conn:
        nids = [int(n) for n in conn.execute(text("SELECT nid FROM node")).scalars()]
    engine.dispose()
    first = project.migrate(["demo"], idlist=frozenset(n for n in nids if n != lonely))
    second = project.migrate(["demo"])
    first_id, second_id = first.sites[0].run_id, second.sites[0].run_id
    assert first_id is not None and second_id is not None
    assert [s.counts.inserted for s in second.sites[0].steps if s.label == "complaint"] == [1]
    demo = _tenant(project, "demo")
    others = tenant_rows(project.target, demo)
    with pytest.raises(RefusedForSafety, match="later runs"):
        rollback(project.settings(), None, first_id, dry_run=False)
    undone = rollback(project.settings(), None, second_id, dry_run=False)
    assert undone.rows["complaints"] == 1
    assert project.count("complaints", f"WHERE tenant_id = {demo} AND source_id = {lonely}") == 0
    assert project.count("complaints", f"WHERE tenant_id = {demo}") > 0  # the first run's rows
    rollback(project.settings(), None, first_id, dry_run=False)
    assert project.count("complaints", f"WHERE tenant_id = {demo}") == 0
    # only entries of accounts it created that another tenant's membership still uses stay
    assert project.count("pm_id_map", f"WHERE tenant_id = {demo} AND {STILL_USED}") == 0
    after = tenant_rows(project.target, demo)
    for table in after:
        if table not in SHARED:
            assert after[table] == others[table], table
