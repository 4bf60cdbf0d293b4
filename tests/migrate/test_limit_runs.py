"""`migrate SITE --limit N` (#30 lows): reported to crash with `InvalidRequestError … already
initialized a Transaction()` and leave its run `stopped`. A limited run ends cleanly, with its
run row closed, and a following run completes the site; on both layouts and both servers, one
site at a time and several at once, and as a dry run."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pseamigrate.cli import app
from tests.migrate.helpers import SITES, Project

runner = CliRunner()


def _migrate(project: Project, *args: str, codes: tuple[int, ...] = (0,)) -> dict[str, object]:
    argv = ["--config", str(project.path), "migrate", "--allow-plaintext-target", "--json"]
    argv.append("--allow-plaintext-files")  # the project's store has no files_key
    result = runner.invoke(app, [*argv, *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stderr and "InvalidRequestError" not in result.stderr
    assert result.exit_code in codes, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def _runs(project: Project) -> list[tuple[str, str]]:
    engine_rows = project.scalar(
        "SELECT GROUP_CONCAT(CONCAT(site, ':', status) ORDER BY id SEPARATOR ' ') FROM pm_runs"
    )
    return [tuple(pair.split(":")) for pair in str(engine_rows or "").split()]  # type: ignore[misc]


@pytest.mark.parametrize("dry_run", [False, True], ids=["run", "dry"])
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_limited_run_ends_cleanly_and_the_next_run_completes(
    project: Project, jobs: int, dry_run: bool
) -> None:
    sites = ["iraq"] if jobs == 1 else []  # one site named, or every site two at a time
    dry = ["--dry-run"] if dry_run else []
    # Exit 1 at most: a row whose references were cut off by the limit fails, and says so.
    limited = _migrate(project, *sites, "--limit", "1", "--jobs", str(jobs), *dry, codes=(0, 1))
    reports = limited["sites"]
    assert isinstance(reports, list) and len(reports) == (1 if sites else len(SITES))
    for site in reports:
        assert site["status"] == "done" and site["dry_run"] == dry_run, site
        for step in site["steps"]:
            assert step["read"] <= 1, (site["site"], step)
    if dry_run:
        assert _runs(project) == [] and project.count("complaints") == 0
    else:
        assert {status for _site, status in _runs(project)} == {"done"}, _runs(project)
        assert 0 < project.count("complaints") <= len(reports)
    full = _migrate(project, *sites, "--jobs", str(jobs))
    assert full["failed_rows"] == 0
    assert {status for _site, status in _runs(project)} == {"done"}, _runs(project)
    named = sites or list(SITES)
    expected = sum(project.reports[s].expected["bundles"]["complaint"]["count"] for s in named)
    assert project.count("complaints") == expected
