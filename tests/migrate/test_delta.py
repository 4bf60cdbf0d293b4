"""Delta runs (#27 item 1): after edits, new nodes, revisions, comments and files, a run that
reads only what changed since the marks ends with the target a full run writes; a mapping
edit and `--full` make it read everything. Real servers, both layouts, MariaDB and MySQL 9.7."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.errors import PseamigrateError
from pseamigrate.migrate.run import MigrationReport, SiteRun
from pseamigrate.migrate.status import status
from pseamigrate.migrate.sync import REMOVED
from tests.migrate.helpers import Project, canonical_dump, reset_target
from tests.migrate.source_edits import (
    add_and_replace_files,
    add_comment_and_reply,
    add_revision,
    d8,
    delete_node,
    edit_node,
)
from tests.verify.damage import copy_node, run

CONTENT_STEPS = ("complaint", "referral", "awareness_session")


def _site(report: MigrationReport, name: str) -> SiteRun:
    return next(site for site in report.sites if site.site == name)


def _read(site: SiteRun, *labels: str) -> int:
    return sum(step.counts.read for step in site.steps if step.label in labels)


def _dump(project: Project) -> dict[str, Any]:
    dump = canonical_dump(project.target)
    dump.pop("pm_marks", None)  # the marks hold the run's clock
    return dump


def test_a_delta_run_after_changes_ends_equal_to_a_full_run(project: Project) -> None:
    first = project.migrate()
    assert first.failed_rows() == 0
    assert [s.delta for s in first.sites] == [False] * 4
    iraq = project.sources["iraq"]
    edited = edit_node(iraq, "complaint")
    new_nid, _ = copy_node(iraq, "complaint")
    revised, vid = add_revision(iraq, "referral")
    comment, reply = add_comment_and_reply(iraq, "complaint")
    new_fid, replaced = add_and_replace_files(iraq, project.files["iraq"])
    tenant = "(SELECT id FROM tenants WHERE code = 'iraq')"
    file_sha = f"SELECT sha256 FROM files WHERE source_id = {replaced} AND tenant_id = {tenant}"
    sha_before = project.scalar(file_sha)

    delta = project.migrate()

    assert [s.delta for s in delta.sites] == [True] * 4, [s.full_reason for s in delta.sites]
    site = _site(delta, "iraq")
    everything = _read(_site(first, "iraq"), *CONTENT_STEPS)
    assert 0 < _read(site, *CONTENT_STEPS) < everything / 4
    # Other sites re-read only the overlap (the families stamped in the hour before their mark)
    # and the rows whose references were left empty (the sample sites plant a few).
    demo = _read(_site(first, "demo"), *CONTENT_STEPS)
    again = _read(_site(delta, "demo"), *CONTENT_STEPS)
    assert again < demo / 4, (again, demo)
    tenant = "(SELECT id FROM tenants WHERE code = 'iraq')"
    assert (
        project.count(
            "complaints",
            f"WHERE tenant_id = {tenant} AND source_id = {edited} AND title LIKE '%(edited)'",
        )
        == 1
    )
    assert project.count("complaints", f"WHERE tenant_id = {tenant} AND source_id = {new_nid}") == 1
    assert (
        project.count(
            "referral_revisions",
            f"WHERE tenant_id = {tenant} AND source_revision_id = {vid} AND source_id = {revised}",
        )
        == 1
    )
    assert (
        project.count(
            "complaint_notes", f"WHERE tenant_id = {tenant} AND source_id IN ({comment}, {reply})"
        )
        == 2
    )
    assert (
        project.count(
            "files", f"WHERE tenant_id = {tenant} AND source_id = {new_fid} AND sha256 IS NOT NULL"
        )
        == 1
    )
    assert project.scalar(file_sha) != sha_before
    after_delta = _dump(project)

    reset_target(project)
    full = project.migrate()
    assert [s.delta for s in full.sites] == [False] * 4
    assert _dump(project) == after_delta


def test_a_mapping_edit_or_full_reads_everything_and_nothing_changed_reads_nothing(
    project: Project,
) -> None:
    first = project.migrate()
    again = project.migrate()
    assert [s.delta for s in again.sites] == [True] * 4
    for site, before in zip(again.sites, first.sites, strict=True):
        assert _read(site, *CONTENT_STEPS) < _read(before, *CONTENT_STEPS) / 4, site.site
        assert all(s.counts.inserted + s.counts.updated == 0 for s in site.steps)
    forced = project.migrate(full=True)
    assert [s.delta for s in forced.sites] == [False] * 4
    assert [s.full_reason for s in forced.sites] == ["--full"] * 4
    assert _read(_site(forced, "iraq"), *CONTENT_STEPS) == _read(
        _site(first, "iraq"), *CONTENT_STEPS
    )
    mapping = project.path.parent / "mappings" / "sites" / "iraq.yaml"
    text = mapping.read_text("utf-8")
    line = "      extra/camp_name: field_camp_name\n"
    assert line in text
    mapping.write_text(text.replace(line, line + "      extra/camp_again: field_camp_name\n"))
    try:
        edited = project.migrate()
    finally:
        mapping.write_text(text, "utf-8")
    iraq = _site(edited, "iraq")
    assert not iraq.delta and "mapping" in iraq.full_reason
    complaints = next(s.counts for s in iraq.steps if s.label == "complaint")
    assert complaints.updated == complaints.read > 0
    assert [s.delta for s in edited.sites if s.site != "iraq"] == [True] * 3


def test_status_answers_from_the_ledger_without_reading_the_source(project: Project) -> None:
    project.migrate()
    exact = status(project.settings(), [], exact=True)
    quick = status(project.settings(), [])
    assert [s.exact for s in quick] == [False] * 4 and [s.exact for s in exact] == [True] * 4
    assert [s.rows for s in quick] == [s.rows for s in exact]
    assert all(s.rows and s.marks is not None for s in quick)
    hidden = "node_hidden_by_test"
    run(project.sources["iraq"], f"RENAME TABLE node TO {hidden}")
    try:
        (iraq,) = status(project.settings(), ["iraq"])
        assert iraq.rows == next(s.rows for s in quick if s.site == "iraq")
        shown = CliRunner().invoke(app, ["--config", str(project.path), "status", "iraq"])
        assert shown.exit_code == 0, shown.output
        assert "iraq: from the ledger as of run" in shown.stdout
        assert "the source was not read" in shown.stdout
        with pytest.raises((PseamigrateError, DBAPIError)):  # it reads the source
            status(project.settings(), ["iraq"], exact=True)
    finally:
        run(project.sources["iraq"], f"RENAME TABLE {hidden} TO node")


def test_rows_gone_from_the_source_are_reported_then_removed_with_sync(
    project: Project, tmp_path: Path
) -> None:
    project.migrate()
    iraq = project.sources["iraq"]
    nid = delete_node(iraq, "complaint", _with_comments(iraq))
    where = f"WHERE tenant_id = (SELECT id FROM tenants WHERE code = 'iraq') AND source_id = {nid}"
    notes = project.count("complaint_notes", where.replace("source_id", "source_entity_id"))
    entry = (
        f"{where.split(' AND ')[0]} AND source_entity = 'node:complaint' AND source_id = '{nid}'"
    )
    assert notes > 0

    reported = _site(project.migrate(), "iraq")
    assert reported.gone["node:complaint"] == [str(nid)]
    assert len(reported.gone["comment:complaint"]) == notes
    assert reported.gone["node_revision:complaint"]
    assert reported.removed == {} and project.count("complaints", where) == 1
    assert project.count("pm_id_map", entry) == 1

    dry = _site(project.migrate(dry_run=True, sync=True), "iraq")
    assert dry.removed["complaints"] == 1 and dry.removed["complaint_notes"] == notes
    assert project.count("complaints", where) == 1

    synced = _site(project.migrate(sync=True), "iraq")
    assert synced.removed["complaints"] == 1 and synced.removed["complaint_notes"] == notes
    assert project.count("complaints", where) == 0
    assert project.count("complaint_revisions", where) == 0
    assert project.count("complaint_notes", where.replace("source_id", "source_entity_id")) == 0
    assert project.count("pm_id_map", entry) == 0
    gone_ids = sum(len(ids) for ids in reported.gone.values())
    assert project.count("pm_messages", f"WHERE message = '{REMOVED}'") == gone_ids
    again = _site(project.migrate(), "iraq")
    assert again.gone == {} and again.delta

    verified = CliRunner().invoke(
        app,
        [
            "--config",
            str(project.path),
            "verify",
            "iraq",
            "--allow-plaintext-target",
            "--json-file",
            str(tmp_path / "verify.json"),
        ],
    )
    assert verified.exit_code == 0, verified.output


def _with_comments(url: URL) -> int:
    """Return the offset (by nid) of the first complaint that has comments."""
    data, node = ("comment_field_data", "entity_id") if d8(url) else ("comment", "nid")
    nids = [
        int(r[0]) for r in run(url, "SELECT nid FROM node WHERE type = 'complaint' ORDER BY nid")
    ]
    commented = {int(r[0]) for r in run(url, f"SELECT DISTINCT {node} FROM `{data}`")}
    return next(i for i, nid in enumerate(nids) if nid in commented and i > 3)
