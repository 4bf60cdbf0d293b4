"""Scaffold and check against live sample sites: built by `pseamigrate.sample`, read by the reader.

The four sites are built once per module for each layout on each server; the CLI reads them
through a project file whose connections name environment variables.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.db import make_engine
from pseamigrate.drupal import open_site
from pseamigrate.mapping.load import load_mapping
from pseamigrate.resources import MAPPINGS_DIR
from pseamigrate.sample import build_site
from pseamigrate.servers import LocalServer
from pseamigrate.transform.process import Context, transform_row
from pseamigrate.transform.rows import source_row
from tests.conftest import _admin
from tests.mapping.lossless import MESSAGE, assert_lossless
from tests.mapping.test_scaffold import HUMAN_EDITS

runner = CliRunner()
# Live sites hold rows too: where complaints have no status, the scaffold asks for a default of
# the required column (a TODO with the count); the generated Iraq also has two statuses of its
# own (#22) a person maps to the model's words.
STATUS_DEFAULT = ("default_value: TODO (", "default_value: new  # (")
LIVE_EDITS = {site: [*edits, STATUS_DEFAULT] for site, edits in HUMAN_EDITS.items()}
LIVE_EDITS["iraq"] += [
    ("awaiting_review: TODO", "awaiting_review: in_progress  #"),
    ("escalated: TODO", "escalated: referred  #"),
]
SITES = ("demo", "iraq", "drc", "syria")


@pytest.fixture(
    scope="module",
    params=[("mariadb", "d7"), ("mariadb", "d8"), ("mysql", "d7"), ("mysql", "d8")],
    ids="-".join,
)
def live_sites(request: pytest.FixtureRequest) -> Iterator[tuple[str, dict[str, URL]]]:
    """The four sample sites in one layout on one server, built once for this module."""
    flavor, layout = request.param
    server: LocalServer = request.getfixturevalue(f"{flavor}_server")
    urls = {}
    for site in SITES:
        name = f"live_{site}_{layout}"
        _admin(server, f"DROP DATABASE IF EXISTS `{name}`")
        _admin(server, f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        urls[site] = server.url(name)
        build_site(urls[site], site, layout, scale=0.1)
    yield layout, urls
    for site in SITES:
        _admin(server, f"DROP DATABASE IF EXISTS `live_{site}_{layout}`")


def _project(
    tmp_path: Path, urls: dict[str, URL], mappings: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> Path:
    lines = ["sites:"]
    for site, url in urls.items():
        variable = f"PSEA_LIVE_{site.upper()}"
        monkeypatch.setenv(variable, url.render_as_string(hide_password=False))
        lines += [
            f"  {site}:",
            f"    tenant: {site}",
            f"    connection: {{url_env: {variable}}}",
            f"    mapping: {mappings[site]}",
        ]
    path = tmp_path / "pseamigrate.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_shipped_mappings_pass_check_on_live_sites(
    live_sites: tuple[str, dict[str, URL]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, urls = live_sites
    shipped = {site: MAPPINGS_DIR / "sites" / f"{site}.yaml" for site in SITES}
    config = _project(tmp_path, urls, shipped, monkeypatch)
    result = runner.invoke(app, ["--config", str(config), "mappings", "check"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("ok  ") == 4


def test_scaffold_on_live_sites_then_human_edits_pass_check(
    live_sites: tuple[str, dict[str, URL]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout, urls = live_sites
    targets = {site: tmp_path / f"{site}.yaml" for site in SITES}
    config = _project(tmp_path, urls, targets, monkeypatch)
    for site in SITES:
        result = runner.invoke(app, ["--config", str(config), "mappings", "scaffold", site])
        assert result.exit_code == 0, result.stderr
        assert targets[site].exists()
    result = runner.invoke(app, ["--config", str(config), "mappings", "check"])
    assert result.exit_code == 1
    # Every site needs a person for its free-text incident date, Iraq also for its extra field
    # and list value; DRC's deleted field is kept in `extra` by the scaffold itself, and Drupal
    # 8+'s node comment setting is ignored with a reason.
    for site in ("demo", "drc", "syria"):
        # …and a default for the required status where complaints have none (#22)
        defaults = targets[site].read_text(encoding="utf-8").count("default_value: TODO (")
        assert f"{site}.yaml: {1 + defaults} problem(s)" in result.stdout  # on stdout (#14)
    assert "extra/old_case_number: field_old_case_number" in targets["drc"].read_text("utf-8")
    assert "ignore.field_camp_name: still marked TODO" in result.stdout
    assert "maps 'camp_committee' to 'TODO'" in result.stdout
    assert result.stdout.count("ignore.field_incident_date: still marked TODO") == 4
    assert result.stdout.count("problem(s)") == 4
    for site in SITES:
        text = targets[site].read_text(encoding="utf-8")
        for before, after in LIVE_EDITS[site]:
            text = text.replace(before, after, 1)
        targets[site].write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["--config", str(config), "mappings", "check", "--json"])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert layout in ("d7", "d8")
    again = runner.invoke(app, ["--config", str(config), "mappings", "scaffold", "demo"])
    assert again.exit_code == 4


def test_drc_old_case_numbers_reach_extra(live_sites: tuple[str, dict[str, URL]]) -> None:
    """Nothing lost: every remaining row of DRC's deleted field lands in a complaint's extra."""
    _, urls = live_sites
    engine = make_engine(urls["drc"])
    mapping = load_mapping(MAPPINGS_DIR / "sites" / "drc.yaml")
    complaint = next(e for e in mapping.entities if e.bundle == "complaint")
    kept = {}
    try:
        with engine.connect() as conn:
            (table,) = [t for (t,) in conn.exec_driver_sql("SHOW TABLES") if "deleted_data" in t]
            sql = f"SELECT entity_id, field_old_case_number_value FROM `{table}`"
            stored = {int(i): v for i, v in conn.exec_driver_sql(sql)}
        with open_site(engine) as site:
            for batch in site.iter_entities("complaint"):
                for record in batch:
                    row = source_row(record, site.model)
                    values = transform_row(complaint, row, Context(lambda kind, ident: ident))
                    extra = values.get("extra", {})
                    if "old_case_number" in extra:
                        kept[record.id] = extra["old_case_number"]
    finally:
        engine.dispose()
    assert len(stored) > 5
    assert kept == stored


# --- scaffold --unmapped extra: check passes as written, nothing lost (#9 item 1) --------------


def test_scaffold_extra_passes_check_and_loses_no_value(
    live_sites: tuple[str, dict[str, URL]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, urls = live_sites
    targets = {site: tmp_path / f"{site}.yaml" for site in SITES}
    config = ["--config", str(_project(tmp_path, urls, targets, monkeypatch))]
    for site in SITES:
        result = runner.invoke(app, [*config, "mappings", "scaffold", site, "--unmapped", "extra"])
        assert result.exit_code == 0, result.stderr
        decisions = targets[site].read_text(encoding="utf-8").count("TODO (")
        assert f"{decisions} TODO(s) to resolve" in result.stderr
    # A decision only a person can make remains (#22): Iraq's own statuses (and complaints
    # without a status) have no model value for the required status; the scaffold writes each
    # as a TODO with its count, and check names them and nothing else.
    iraq = targets["iraq"].read_text(encoding="utf-8")
    assert re.search(r"awaiting_review: TODO \(\d+ rows\)", iraq)
    assert re.search(r"escalated: TODO \(\d+ rows\)", iraq)
    result = runner.invoke(app, [*config, "mappings", "check"])
    assert result.exit_code == 1, result.stderr
    problems = [line for line in result.stdout.splitlines() if ": static_map maps " in line]
    assert any("maps 'awaiting_review' to 'TODO (" in line for line in problems)
    assert len(problems) == result.stdout.count("TODO (") > 0
    assert "warning:" in result.stdout
    assert "extra/camp_name: to review: the model has no column for it" in result.stdout
    assert "value 'camp_committee' of field_intake_channel: kept as it is" in result.stdout
    assert "extra/old_case_number: to review: a deleted field whose rows remain" in result.stdout
    for site in SITES:
        checked, messages = assert_lossless(urls[site], load_mapping(targets[site]))
        assert checked > 100, site  # field values of many nodes were followed
        assert all(MESSAGE.fullmatch(m) for m in messages), messages


# --- the scaffold uses what the site says and what the model has (#22 item 4) ------------------


def _summary(stderr: str) -> tuple[int, int]:
    found = re.search(r"(\d+) TODO\(s\) to resolve, (\d+) decision\(s\) to review", stderr)
    assert found is not None, stderr
    return int(found.group(1)), int(found.group(2))


def test_scaffold_finds_iraqs_renamed_topics_and_case_link(
    live_sites: tuple[str, dict[str, URL]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Iraq's clone calls the topics vocabulary `crp_topics` and the referral's link to its
    complaint `field_case_nid`: neither name is the model's, yet the scaffold maps both by what
    references them and what they point at, in both modes; the default scaffold leaves only
    TODOs to `check`, and its summary counts every one of them and every decision."""
    _, urls = live_sites
    engine = make_engine(urls["iraq"])
    try:
        with open_site(engine) as site:  # the generator planted both traps
            assert "awareness_topic" not in site.model.vocabularies
            topics = site.model.fields[("node", "field_session_topics")]
            link = site.model.fields[("node", "field_case_nid")]
    finally:
        engine.dispose()
    assert topics.target_bundles == ("crp_topics",)
    assert (link.target_type, link.target_bundles) == ("node", ("complaint",))
    targets = {site: tmp_path / f"{site}.yaml" for site in SITES}
    config = ["--config", str(_project(tmp_path, urls, targets, monkeypatch))]
    for mode in ("todo", "extra"):
        args = [*config, "mappings", "scaffold", "iraq", "--unmapped", mode, "--force"]
        scaffolded = runner.invoke(app, args)
        assert scaffolded.exit_code == 0, scaffolded.stderr
        mapping = load_mapping(targets["iraq"])
        assert {(v.source, v.destination) for v in mapping.vocabularies} >= {
            ("crp_topics", "awareness_topic")
        }
        assert not mapping.ignore_vocabularies
        referral = next(e for e in mapping.entities if e.bundle == "referral")
        (link_step,) = next(pf for pf in referral.process if pf.destination == "complaint_id").steps
        assert (link_step.plugin, link_step.source) == ("lookup", "field_case_nid")
        assert link_step.options["entity"] == "complaint"
        session = next(e for e in mapping.entities if e.bundle == "awareness_session")
        assert "topics" in {pf.destination for pf in session.process}
        todos, decisions = _summary(scaffolded.stderr)
        checked = runner.invoke(app, [*config, "mappings", "check", "iraq", "--json"])
        (result,) = json.loads(checked.stdout)
        problems, warnings = result["problems"], result["warnings"]
        # Every problem is a TODO the scaffold wrote and counted: nothing of its own.
        assert [p for p in problems if "TODO" not in p["message"]] == []
        assert todos == len(problems) > 0  # Iraq's own statuses are a decision in both modes
        reviews = [w for w in warnings if w["message"].startswith("to review: ")]
        assert decisions == len(reviews)
