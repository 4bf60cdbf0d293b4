"""A failed row stays failed until it is written, and the closing lines say what a run did (#22).

Every run tries again the rows the ledger holds as failed and counts them (exit 1), `status`
counts them, `verify` lists them as pending; once the cause is fixed a plain run writes them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.verify import results as r
from tests.migrate.helpers import Project

runner = CliRunner()

COLUMN = "field_intake_channel_value"
BOGUS = "zz_"  # a prefix that makes a stored channel a value the mapping's map does not have


def damage_channels(url: URL, undo: bool = False) -> None:
    """Give every other Syria complaint an intake channel the mapping cannot map (every table
    and revision holding it, both layouts), so those complaints fail; `undo` repairs them."""
    engine = create_engine(url)
    try:
        found = inspect(engine)
        tables = [
            name
            for name in found.get_table_names()
            if COLUMN in {c["name"] for c in found.get_columns(name)}
        ]
        with engine.begin() as conn:
            for table in tables:
                change = (
                    f"SUBSTRING(`{COLUMN}`, {len(BOGUS) + 1})"
                    if undo
                    else f"CONCAT('{BOGUS}', `{COLUMN}`)"
                )
                where = f"`{COLUMN}` LIKE '{BOGUS}%'" if undo else "MOD(entity_id, 2) = 0"
                conn.execute(text(f"UPDATE `{table}` SET `{COLUMN}` = {change} WHERE {where}"))
    finally:
        engine.dispose()
    assert tables


def _cli(project: Project, *args: str) -> Any:
    return runner.invoke(app, ["--config", str(project.path), *args])


def _migrate(project: Project, *args: str) -> tuple[Any, dict[str, Any]]:
    """Run `migrate syria` twice as the CLI does: the closing line, then the JSON counts."""
    text = _cli(
        project, "migrate", "syria", "--allow-plaintext-target", "--allow-plaintext-files", *args
    )
    # --json replaces the table and the closing line: a dry run tells the counts again.
    data = _cli(
        project,
        "migrate",
        "syria",
        "--allow-plaintext-target",
        "--allow-plaintext-files",
        "--dry-run",
        "--json",
    )
    return text, json.loads(data.stdout)


def _step(data: dict[str, Any], label: str) -> dict[str, Any]:
    (site,) = data["sites"]
    return next(step for step in site["steps"] if step["step"] == label)


def _failed_ids(project: Project) -> set[str]:
    rows = project.scalar(
        "SELECT GROUP_CONCAT(source_id) FROM pm_id_map "
        "WHERE source_entity = 'node:complaint' AND status = 'failed'"
    )
    return set(str(rows or "").split(",")) - {""}


def test_failed_rows_are_retried_counted_and_pending_until_written(
    one_project: Project, tmp_path: Path
) -> None:
    p = one_project
    damage_channels(p.sources["syria"])
    first = _cli(
        p, "migrate", "syria", "--allow-plaintext-target", "--allow-plaintext-files", "--json"
    )
    assert first.exit_code == 1, first.output
    assert first.stdout, first.stderr
    failed = _step(json.loads(first.stdout), "complaint")["failed"]
    assert failed > 0
    ids = _failed_ids(p)
    assert len(ids) == failed

    second, counts = _migrate(p)
    assert second.exit_code == 1, second.output  # not "unchanged": still failed
    assert f"{counts['totals']['failed']} rows failed and are not in the target" in second.stdout
    assert "every run tries them again" in second.stdout and "every row was written" not in (
        second.stdout
    )
    assert "messages SITE` (syria)" in second.stdout
    assert _step(counts, "complaint")["failed"] == failed
    assert _step(counts, "complaint")["unchanged"] + failed == _step(counts, "complaint")["read"]
    assert _failed_ids(p) == ids

    status = _cli(p, "status", "syria", "--json")
    assert status.exit_code == 0, status.output
    (site,) = json.loads(status.stdout)
    complaint = next(row for row in site["rows"] if row["step"] == "complaint")
    assert (
        complaint["failed"] == failed and complaint["imported"] == complaint["in_source"] - failed
    )

    report = tmp_path / "verify.json"
    verified = _cli(p, "verify", "syria", "--allow-plaintext-target", "--json-file", str(report))
    assert verified.exit_code == 3, verified.output
    data = json.loads(report.read_text("utf-8"))
    assert data["state"] == r.PENDING and data["mismatched"] == 0
    (checked,) = data["sites"]
    entity = next(e for e in checked["entities"] if e["entity"] == "complaint")
    assert set(entity["explanations"][r.FAILED]) == ids
    assert "pseamigrate messages syria" in verified.stdout

    damage_channels(p.sources["syria"], undo=True)  # the cause fixed: a plain run writes them
    fixed = _cli(
        p, "migrate", "syria", "--allow-plaintext-target", "--allow-plaintext-files", "--json"
    )
    assert fixed.exit_code == 0, fixed.output
    assert _step(json.loads(fixed.stdout), "complaint")["inserted"] == failed
    assert _failed_ids(p) == set()
    green = _cli(p, "verify", "syria", "--allow-plaintext-target")
    assert green.exit_code == 0, green.output
    assert "every site reconciles" in green.stdout


def test_closing_lines_say_what_was_written(one_project: Project) -> None:
    p = one_project
    dry = _cli(p, "migrate", "--dry-run", "--allow-plaintext-target", "--allow-plaintext-files")
    assert dry.exit_code == 0, dry.output
    planned = p.migrate(dry_run=True).totals()
    assert planned.inserted > 0 and p.count("complaints") == 0
    assert (
        f"dry run: {planned.inserted} rows would be inserted, 0 updated, 0 unchanged, "
        "0 would fail — nothing written"
    ) in dry.stdout
    assert "every row was written" not in dry.stdout

    first = _cli(p, "migrate", "--allow-plaintext-target", "--allow-plaintext-files")
    assert first.exit_code == 0, first.output
    assert f"every row was written ({planned.inserted} inserted, 0 updated" in first.stdout

    again = _cli(p, "migrate", "--allow-plaintext-target", "--allow-plaintext-files")
    assert again.exit_code == 0, again.output
    assert "nothing written: every row was already in the target (0 inserted, 0 updated, " in (
        again.stdout
    )
    assert "every row was written" not in again.stdout

    damage_channels(p.sources["syria"])
    try:
        # The channels change behind Drupal's back (no `changed` stamp): only --full reads them.
        plain = ("--allow-plaintext-target", "--allow-plaintext-files")
        broken = _cli(p, "migrate", "syria", "--dry-run", "--full", *plain)
        fails = p.migrate(["syria"], dry_run=True, full=True).totals()
    finally:
        damage_channels(p.sources["syria"], undo=True)
    assert broken.exit_code == 1 and fails.failed > 0 and fails.updated == 0
    assert (
        f"dry run: 0 rows would be inserted, 0 updated, {fails.unchanged} unchanged, "
        f"{fails.failed} would fail — nothing written"
    ) in broken.stdout
