"""verify signs off only what is there: reconciled, pending (exit 3 unless --accept-pending,
recorded), mismatch; a rolled-back tenant and a row deleted in the source are never green (#22)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.servers import LocalServer
from pseamigrate.verify import results as r
from tests.migrate.helpers import Project, make_project
from tests.verify import damage
from tests.verify.conftest import ignore_old_case_number

runner = CliRunner()


@pytest.fixture(scope="module", params=[("mariadb", "d7"), ("mysql", "d8")], ids="-".join)
def clean(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The sample sites migrated once; each test leaves them reconciled, but the last."""
    flavor, layout = request.param
    server: LocalServer = request.getfixturevalue(f"{flavor}_server")
    name = f"vpending_{flavor[:2]}{layout}"
    sites = request.getfixturevalue("sample_sites")
    project = make_project(server, tmp_path_factory.mktemp(name), name, layout, sites=sites)
    ignore_old_case_number(project)
    assert project.migrate().failed_rows() == 0
    return project


def _cli(project: Project, *args: str) -> Any:
    return runner.invoke(app, ["--config", str(project.path), *args])


def _verify(project: Project, tmp_path: Path, site: str, *args: str) -> tuple[Any, dict[str, Any]]:
    """Run `verify SITE` through the CLI with a JSON and an HTML report; return both."""
    report = tmp_path / f"{site}.json"
    html = tmp_path / f"{site}.html"
    result = _cli(
        project,
        "verify",
        site,
        "--allow-plaintext-target",
        "--json-file",
        str(report),
        "--html",
        str(html),
        *args,
    )
    return result, json.loads(report.read_text("utf-8"))


def _entity(data: dict[str, Any], entity: str) -> dict[str, Any]:
    (site,) = data["sites"]
    return next(e for e in site["entities"] if e["entity"] == entity)


def test_a_rolled_back_site_is_pending_never_green(clean: Project, tmp_path: Path) -> None:
    before, data = _verify(clean, tmp_path / "before", "iraq")
    assert before.exit_code == 0, before.output
    assert data["state"] == data["sites"][0]["state"] == r.RECONCILED and data["ok"]
    assert "every site reconciles" in before.stdout
    rolled = _cli(clean, "rollback", "--site", "iraq")
    assert rolled.exit_code == 0, rolled.output
    assert clean.count("complaints", f"WHERE tenant_id = {damage.tenant_id(clean, 'iraq')}") == 0

    after, data = _verify(clean, tmp_path / "after", "iraq")
    assert after.exit_code == 3, after.output
    assert data["state"] == r.PENDING and data["ok"] is False and data["mismatched"] == 0
    (site,) = data["sites"]
    complaints = _entity(data, "complaint")
    assert complaints["target"] == 0 and complaints["source"] > 0
    assert len(complaints["explanations"][r.NOT_YET]) == complaints["pending"] > 0
    assert site["state"] == r.PENDING and site["pending"] >= complaints["pending"]
    assert site["pending_reasons"][r.NOT_YET] == site["pending"]
    assert "every site reconciles" not in after.stdout
    assert f"iraq: {site['pending']} rows pending" in after.stdout
    assert "`pseamigrate migrate iraq` brings them in" in after.stdout
    html = (tmp_path / "after" / "iraq.html").read_text("utf-8")
    assert 'class="verdict pending"' in html and "Every site reconciles" not in html
    assert f"Pending: {site['pending']} rows" in html
    assert "pseamigrate migrate iraq" in html

    again = _cli(clean, "migrate", "iraq", "--allow-plaintext-target", "--allow-plaintext-files")
    assert again.exit_code == 0, again.output
    restored, data = _verify(clean, tmp_path / "restored", "iraq")
    assert restored.exit_code == 0, restored.output
    assert data["state"] == r.RECONCILED and data["pending"] == 0


def test_a_row_deleted_in_the_source_is_pending_until_accepted(
    clean: Project, tmp_path: Path
) -> None:
    # Damages the module's project for good: it runs last.
    nid, vids = damage.delete_node(clean.sources["syria"], "awareness_session")
    result, data = _verify(clean, tmp_path / "gone", "syria")
    assert result.exit_code == 3, result.output
    assert data["state"] == r.PENDING and not data["ok"] and not data["accepted_pending"]
    sessions = _entity(data, "awareness_session")
    assert sessions["explanations"] == {r.GONE: [nid]} and sessions["mismatched"] == 0
    assert _entity(data, "awareness_session revisions")["explanations"] == {r.GONE: vids}
    assert data["sites"][0]["pending_reasons"] == {r.GONE: 1 + len(vids)}
    assert "rows no longer in the source stay until removed or accepted" in result.stdout

    accepted, data = _verify(clean, tmp_path / "accepted", "syria", "--accept-pending")
    assert accepted.exit_code == 0, accepted.output
    assert data["state"] == r.PENDING and data["ok"] is True and data["accepted_pending"] is True
    assert "pending accepted (--accept-pending, recorded)" in accepted.stdout
    html = (tmp_path / "accepted" / "syria.html").read_text("utf-8")
    assert "accepted with --accept-pending (recorded)" in html
    assert 'id="accepted-pending">yes</' in html
