"""The demo runs every stage with the expected verdicts, fails loudly on a planted problem, and
leaves no server behind: not when it finishes, not after Ctrl-C."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.demo import MAPPINGS_DIR, DemoFailed, differences, run_demo
from pseamigrate.errors import EXIT_MISMATCH
from pseamigrate.sample import SITE_NAMES
from pseamigrate.target.model import load_model
from pseamigrate.target.schema import build_metadata

# Small sites: what the demo shows does not depend on their size (scripts/demo runs the full one).
SCALE = "0.1"


def processes_under(directory: Path) -> list[int]:
    """Return the pids of live processes whose command line mentions `directory`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().split()[2]
        except OSError:
            continue
        if str(directory) in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def test_demo_reaches_a_server_and_stops_it(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["demo", "--flavor", "mariadb", "--workdir", str(tmp_path), "--scale", SCALE]
    )
    assert result.exit_code == 0, result.stderr
    for title in ("1. Sources: sample sites on mariadb", "2. Read back on mariadb"):
        assert title in result.stdout
    for title in ("3. Mappings on mariadb", "4. Encrypted target on mariadb", "5. Migrate on"):
        assert title in result.stdout
    assert "6. Re-run on mariadb (must change nothing)" in result.stdout
    assert "7. Verify on mariadb" in result.stdout
    assert f"verify: HTML QA report written to {tmp_path / 'verify-mariadb.html'}" in result.stdout
    assert (tmp_path / "verify-mariadb.html").read_text("utf-8").count('data-tenant="') == 4
    assert "demo passed" in result.stdout
    # Stage 3 shows a trap being named by check in a first mapping scaffolded from the site
    # (Iraq's statuses the model lacks: a decision only a person can make), then the shipped
    # mapping resolving it (#22).
    assert "iraq (d7): check names in the first mapping (scaffold --unmapped extra):" in (
        result.stdout
    )
    assert "maps 'awaiting_review' to 'TODO (" in result.stdout
    assert "maps 'escalated' to 'TODO (" in result.stdout
    assert "the shipped iraq.yaml resolves them" in result.stdout
    for site in ("demo", "iraq", "drc", "syria"):
        assert f"building {site} (d7)" in result.stderr
    assert processes_under(tmp_path) == []


def test_demo_json_holds_every_stage_with_its_verdict(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["demo", "--workdir", str(tmp_path), "--json", "--scale", SCALE]
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["failures"] == []
    (run,) = data["runs"]
    assert run["flavor"] == "mariadb"
    assert [s["site"] for s in run["sources"]] == list(SITE_NAMES)
    assert all(s["expected"]["bundles"]["complaint"]["count"] > 0 for s in run["sources"])
    assert {r["site"]: r["agrees"] for r in run["read_back"]} == dict.fromkeys(SITE_NAMES, True)
    assert {m["site"]: m["problems"] for m in run["mappings"]} == dict.fromkeys(SITE_NAMES, [])
    (iraq,) = [m for m in run["mappings"] if m["site"] == "iraq"]
    named = " ".join(iraq["first_mapping"]["named_by_check"])
    assert "'awaiting_review' to 'TODO (" in named and "'escalated' to 'TODO (" in named
    target = run["target"]
    model_tables = len(build_metadata(load_model()).tables)
    assert target["tables_created"] == target["model_tables"] == model_tables
    assert target["encrypted"] is True
    assert target["outcomes"]["FAIL"] == 0 and target["outcomes"]["PASS"] > 0
    assert data["next_stages"] == []
    assert run["verify"] == {
        "ok": True,
        "mismatched": 0,
        "html": str(tmp_path / "verify-mariadb.html"),
    }
    assert processes_under(tmp_path) == []


def test_a_broken_site_mapping_fails_the_demo_after_every_stage(tmp_path: Path) -> None:
    mappings = tmp_path / "mappings"
    shutil.copytree(MAPPINGS_DIR, mappings)
    iraq = mappings / "sites" / "iraq.yaml"
    text = iraq.read_text()
    assert "camp_committee: other" in text
    iraq.write_text(text.replace("camp_committee: other", ""))  # a list value left unmapped
    with pytest.raises(DemoFailed) as failed:
        run_demo(
            ["mariadb"], tmp_path / "work", lambda _line: None, scale=0.1, mappings_dir=mappings
        )
    assert failed.value.exit_code == EXIT_MISMATCH
    assert "iraq (d7): mapping problems" in str(failed.value)
    (run,) = failed.value.result.runs
    problems = {m.site: len(m.problems) for m in run.mappings}
    assert problems["iraq"] > 0
    assert [site for site, count in problems.items() if count] == ["iraq"]
    assert all(r.agrees for r in run.read_back)  # the other stages still ran and passed
    assert run.target is not None and run.target.encrypted
    assert processes_under(tmp_path) == []


def test_differences_name_paths_never_values() -> None:
    expected = {"bundles": {"complaint": {"count": 3, "fields": {"field_a": {"type": "text"}}}}}
    assert differences(expected, json.loads(json.dumps(expected))) == []
    actual = {
        "bundles": {
            "complaint": {"count": 4, "fields": {"field_a": {"type": "text"}, "field_b": {}}},
            "extra": {},
        }
    }
    assert differences(expected, actual) == [
        "bundles.complaint.count",
        "bundles.complaint.fields.field_b (extra)",
        "bundles.extra (extra)",
    ]


def test_ctrl_c_stops_the_servers(tmp_path: Path) -> None:
    demo = subprocess.Popen(
        [sys.executable, "-m", "pseamigrate", "demo", "--flavor", "mysql", "--scale", SCALE]
        + ["--workdir", str(tmp_path)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    assert demo.stderr is not None
    for line in demo.stderr:
        if "starting a throwaway mysql server" in line:
            break
    deadline = time.monotonic() + 60
    while not processes_under(tmp_path / "mysql") and time.monotonic() < deadline:
        time.sleep(0.05)  # until MySQL is being initialised or started: a server to clean up
    assert processes_under(tmp_path / "mysql"), "no server process appeared"
    os.killpg(demo.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    rest = demo.stderr.read()
    demo.stderr.close()
    assert demo.wait(60) == 130
    assert "interrupted" in rest
    assert "Traceback" not in rest
    deadline = time.monotonic() + 20
    while processes_under(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_under(tmp_path) == []


def test_check_names_the_planted_status_trap_in_an_unresolved_copy(tmp_path: Path) -> None:
    """Stage 3 runs each site's rows through the transforms (#22): a copy of the shipped Iraq
    mapping that leaves its own statuses unmapped fails, naming the decision and every row."""
    mappings = tmp_path / "mappings"
    shutil.copytree(MAPPINGS_DIR, mappings)
    iraq = mappings / "sites" / "iraq.yaml"
    text = iraq.read_text()
    for resolved in (
        "            awaiting_review: in_progress\n",
        "            escalated: referred\n",
    ):
        assert resolved in text
        text = text.replace(resolved, "")
    text = text.replace("        - {plugin: default_value, default_value: new}\n", "", 1)
    iraq.write_text(
        text.replace(
            "            closed: closed\n",
            "            closed: closed\n          unmatched: extra\n",
            1,
        )
    )
    with pytest.raises(DemoFailed) as failed:
        run_demo(["mariadb"], tmp_path / "work", lambda _line: None, mappings_dir=mappings)
    (run,) = failed.value.result.runs
    named = {m.site: m.problems for m in run.mappings if m.problems}
    assert set(named) == {"iraq"}
    assert any(
        "have no model value: awaiting_review (" in p and "escalated (" in p for p in named["iraq"]
    )
    assert any(
        p.startswith("complaint status: ") and "row(s) would fail" in p for p in named["iraq"]
    )
    assert processes_under(tmp_path) == []
