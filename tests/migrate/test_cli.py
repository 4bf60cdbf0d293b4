"""The migrate commands through the CLI: exit codes, output shapes, and no values (#9)."""

from __future__ import annotations

import json
import re

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from pseamigrate.cli import app
from tests.migrate.helpers import SITES, Project

runner = CliRunner()


def _run(project: Project, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--config", str(project.path), *args])
    return result.exit_code, result.stdout, result.stderr


def _sensitive_values(project: Project) -> set[str]:
    """Names, e-mails, titles, narratives and notes the target holds (long enough to matter)."""
    queries = [
        "SELECT email FROM accounts",
        "SELECT username FROM memberships",
        "SELECT title FROM complaints",
        "SELECT narrative FROM complaints",
        "SELECT title FROM referrals",
        "SELECT body FROM complaint_notes",
        "SELECT password_hash FROM memberships",
    ]
    found: set[str] = set()
    engine = create_engine(project.target)
    with engine.connect() as conn:
        for query in queries:
            found |= {str(v) for v in conn.execute(text(query)).scalars() if v and len(str(v)) >= 6}
    engine.dispose()
    return found


def test_every_command_prints_counts_and_ids_never_values(one_project: Project) -> None:
    outputs = []
    code, out, err = _run(
        one_project, "migrate", "--dry-run", "--allow-plaintext-target", "--allow-plaintext-files"
    )
    assert code == 0, err
    assert "dry run (nothing written)" in out and one_project.count("complaints") == 0
    assert re.search(r"^progress: \w+ \S+ \d+(/\d+)? rows", err, re.M)  # no terminal: lines
    outputs += [out, err]
    every = ("--progress", "plain", "--progress-every", "0.1")
    plain = ("--allow-plaintext-target", "--allow-plaintext-files")
    code, out, err = _run(one_project, "migrate", *plain, *every)
    assert code == 0, err
    assert "every row was written" in out
    assert {line.split()[1] for line in err.splitlines() if line.startswith("progress: ")} == set(
        SITES
    )
    totals = [line for line in out.splitlines() if line.strip("│ ").startswith("total")]
    assert len(totals) == len(SITES)  # a total row closes each site's table
    outputs += [out, err]
    code, out, err = _run(one_project, "status", "--json")
    assert code == 0, err
    status = json.loads(out)
    assert [s["site"] for s in status] == list(SITES)
    for site in status:
        for row in site["rows"]:
            assert row["unprocessed"] == row["needs_update"] == row["failed"] == 0, row
    outputs += [out, err]
    code, out, err = _run(one_project, "messages", "iraq", "--json")
    assert code == 0, err
    messages = json.loads(out)
    assert any(m["source_entity"] == "file" for m in messages)  # files missing on disk
    outputs += [out, err]
    code, out, err = _run(one_project, "rollback", "--site", "iraq", "--dry-run")
    assert code == 0, err
    assert "would delete" in out and one_project.count("complaints") > 0
    outputs += [out, err]
    everything = "\n".join(outputs)
    leaked = [value for value in _sensitive_values(one_project) if value in everything]
    assert leaked == []


def test_progress_can_be_switched_off_and_a_bad_mode_is_a_usage_error(
    one_project: Project,
) -> None:
    code, _, err = _run(one_project, "migrate", "iraq", "--dry-run", "--progress", "off")
    assert code == 0 and "progress:" not in err
    code, _, err = _run(one_project, "migrate", "--progress", "loud")
    assert code == 2 and "choose from auto, bar, plain, off" in err


def test_usage_errors_are_one_line_and_exit_2(one_project: Project) -> None:
    code, _, err = _run(one_project, "rollback")
    assert code == 2 and "exactly one of --site or --run" in err
    code, _, err = _run(one_project, "migrate", "--idlist", "1,x")
    assert code == 2 and "--idlist" in err
    code, _, err = _run(one_project, "migrate", "nowhere")
    assert code == 2 and "unknown site 'nowhere'" in err


def test_each_command_has_help_with_an_example() -> None:
    for command in ("migrate", "status", "messages", "rollback"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0
        assert "Example: pseamigrate" in result.stdout
