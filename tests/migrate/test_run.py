"""The migrate run on real servers, both Drupal layouts, MariaDB and MySQL 9.7 targets (#9)."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import create_engine, text

from pseamigrate.drupal import open_site
from pseamigrate.target.model import load_model
from pseamigrate.target.schema import build_metadata
from pseamigrate.target.store import relative_path
from tests.migrate.conftest import Migrated
from tests.migrate.helpers import SITES, Project, canonical_dump

CONTENT = {
    "complaint": "complaints",
    "referral": "referrals",
    "awareness_session": "awareness_sessions",
}
REVISIONS = {
    "complaint": "complaint_revisions",
    "referral": "referral_revisions",
    "awareness_session": "awareness_session_revisions",
}


def _tenant(project: Project, site: str) -> int:
    return int(project.scalar(f"SELECT id FROM tenants WHERE code = '{site}'"))


def test_dry_run_writes_nothing_and_counts_what_it_would_do(project: Project) -> None:
    report = project.migrate(dry_run=True)
    for table in build_metadata(load_model()).sorted_tables:
        assert project.count(table.name) == 0, table.name
    for site in report.sites:
        assert site.run_id is None and site.status == "done"
        steps = {step.label: step.counts for step in site.steps}
        expected = project.reports[site.site].expected
        for bundle in CONTENT:
            assert steps[bundle].inserted == expected["bundles"][bundle]["count"]
            assert steps[bundle].read == expected["bundles"][bundle]["count"]
        assert steps["accounts"].inserted == expected["users"]["total"]


def test_run_migrates_every_row_and_a_rerun_changes_nothing(migrated_once: Migrated) -> None:
    project, report = migrated_once.project, migrated_once.report
    assert report.failed_rows() == 0, [s.counts.failures for r in report.sites for s in r.steps]
    for site in SITES:
        tenant = _tenant(project, site)
        expected = project.reports[site].expected
        where = f"WHERE tenant_id = {tenant}"
        for bundle, table in CONTENT.items():
            assert project.count(table, where) == expected["bundles"][bundle]["count"], table
            revisions = expected["bundles"][bundle]["revisions"]
            assert project.count(REVISIONS[bundle], where) == revisions, bundle
        assert project.count("memberships", where) == expected["users"]["total"]
        assert project.count("files", where) == expected["files"]["total"]
        assert (
            project.count("location_terms", where) == expected["vocabularies"]["location"]["terms"]
        )
    first = canonical_dump(project.target)
    again = project.migrate()
    for site in again.sites:
        for step in site.steps:
            assert (step.counts.inserted, step.counts.updated) == (0, 0), (site.site, step.label)
    assert canonical_dump(project.target) == first


def test_shared_emails_become_one_account_with_a_membership_per_tenant(
    migrated_once: Migrated,
) -> None:
    project = migrated_once.project
    mails: set[str] = set()
    for url in project.sources.values():
        with open_site(create_engine(url)) as site:
            for batch in site.iter_users():
                mails |= {str(r.base["mail"]).strip().lower() for r in batch if r.base.get("mail")}
    assert project.count("accounts") == len(mails)
    shared = project.scalar(
        "SELECT COUNT(*) FROM (SELECT account_id FROM memberships WHERE account_id IS NOT NULL "
        "GROUP BY account_id HAVING COUNT(DISTINCT tenant_id) > 1) AS merged"
    )
    assert shared >= 1
    assert project.count("memberships") > project.count("accounts")


def test_copied_files_match_their_sha256_and_missing_ones_are_reported(
    migrated_once: Migrated,
) -> None:
    project = migrated_once.project
    engine = create_engine(project.target)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT t.code, f.source_id, f.uri, f.size, f.sha256 FROM files f "
                "JOIN tenants t ON t.id = f.tenant_id"
            )
        ).all()
        warned = {
            (r[0], r[1])
            for r in conn.execute(
                text(
                    "SELECT t.code, m.source_id FROM pm_messages m JOIN tenants t "
                    "ON t.id = m.tenant_id WHERE m.source_entity = 'file' AND m.level = 'warning'"
                )
            )
        }
    engine.dispose()
    copied = 0
    for code, fid, uri, size, digest in rows:
        relative = relative_path(uri)
        assert relative is not None
        stored = project.store / code / relative
        if uri in project.reports[code].missing_files:
            assert digest is None and (code, str(fid)) in warned
            continue
        body = stored.read_bytes()
        assert hashlib.sha256(body).hexdigest() == digest and len(body) == size
        copied += 1
    assert copied > 0
    assert any(project.reports[site].missing_files for site in SITES)


def test_text_arrives_exactly_as_the_reader_reads_it(migrated_once: Migrated) -> None:
    """Narratives of every site — latin1-held UTF-8, Arabic, emoji, over 64 KB — byte for byte."""
    project = migrated_once.project
    engine = create_engine(project.target)
    longest = 0
    for site in SITES:
        tenant = _tenant(project, site)
        with engine.connect() as conn:
            stored = dict(
                conn.execute(
                    text(f"SELECT source_id, narrative FROM complaints WHERE tenant_id = {tenant}")
                ).all()
            )
        with open_site(create_engine(project.sources[site])) as opened:
            for batch in opened.iter_entities("complaint"):
                for record in batch:
                    value = (record.fields.get("field_narrative") or ({},))[0].get("value")
                    assert stored[record.id] == value, (site, record.id)
                    longest = max(longest, len((value or "").encode("utf-8")))
    engine.dispose()
    assert longest > 65535  # the generator writes one narrative beyond TEXT's 64 KB


def test_json_summary_names_ids_and_counts(project: Project) -> None:
    from typer.testing import CliRunner

    from pseamigrate.cli import app

    result = CliRunner().invoke(
        app,
        [
            "--config",
            str(project.path),
            "migrate",
            "--allow-plaintext-target",
            "--allow-plaintext-files",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [s["site"] for s in data["sites"]] == list(SITES)
    assert all(s["run_id"] for s in data["sites"]) and data["failed_rows"] == 0
    runs = project.count("pm_runs", "WHERE mode = 'run' AND status = 'done' AND allowed_plaintext")
    assert runs == len(SITES)


def test_comments_arrive_as_threaded_notes(migrated_once: Migrated) -> None:
    project = migrated_once.project
    engine = create_engine(project.target)
    for site in SITES:
        tenant = _tenant(project, site)
        expected = project.reports[site].expected["bundles"]
        for bundle, table in (("complaint", "complaint_notes"), ("referral", "referral_notes")):
            with open_site(create_engine(project.sources[site])) as opened:
                source = {
                    r.id: (int(r.base["pid"] or 0), str(r.base["thread"]), int(r.base["status"]))
                    for batch in opened.iter_comments(bundle)
                    for r in batch
                }
            assert len(source) == expected[bundle]["comments"]
            with engine.connect() as conn:
                rows = conn.execute(
                    text(
                        f"SELECT n.source_id, IFNULL(p.source_id, 0), n.thread, n.published "
                        f"FROM {table} n LEFT JOIN {table} p ON p.id = n.parent_id "
                        f"WHERE n.tenant_id = {tenant}"
                    )
                ).all()
            target = {int(a): (int(b), str(c), int(d)) for a, b, c, d in rows}
            assert target == source, (site, bundle)
    engine.dispose()
    replies = project.count("complaint_notes", "WHERE parent_id IS NOT NULL")
    assert replies > 0


def test_user_fields_term_fields_and_planted_problems_are_kept(migrated_once: Migrated) -> None:
    project = migrated_once.project
    for site in SITES:
        tenant = _tenant(project, site)
        planted = project.reports[site].planted
        named = project.count(
            "memberships",
            f"WHERE tenant_id = {tenant} AND JSON_EXTRACT(extra, '$.fields.field_full_name') "
            "IS NOT NULL",
        )
        assert named == project.reports[site].expected["users"]["total"]
        coded = project.count(
            "location_terms",
            f"WHERE tenant_id = {tenant} AND JSON_EXTRACT(extra, '$.fields.field_location_code') "
            "IS NOT NULL",
        )
        assert coded == project.reports[site].expected["vocabularies"]["location"]["terms"]
        for nid in planted["dangling_complaint_ref"]:
            kept = project.scalar(
                f"SELECT JSON_UNQUOTE(JSON_EXTRACT(extra, '$.complaint_id_source_id')) "
                f"FROM referrals WHERE tenant_id = {tenant} AND source_id = {nid} "
                "AND complaint_id IS NULL"
            )
            assert str(kept) in {str(n) for n in planted["deleted_complaints"]}
        for tid in planted["multi_parent_terms"]:
            parents = project.scalar(
                f"SELECT JSON_LENGTH(extra, '$.parent_source_ids') FROM location_terms "
                f"WHERE tenant_id = {tenant} AND source_id = {tid} AND parent_id IS NOT NULL"
            )
            assert parents == 2
        for nid in planted["unparseable_incident_dates"]:
            assert project.count("complaints", f"WHERE tenant_id = {tenant} AND source_id = {nid}")
