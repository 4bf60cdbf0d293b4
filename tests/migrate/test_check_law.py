"""The law of `mappings check` (#22 item 1): on a live site, check exit 0 ⇒ `migrate --dry-run`
fails no row, and every row the dry run fails is named by check, step by step.

Tried on generated Iraq sites of both layouts (its complaint statuses `awaiting_review` and
`escalated` have no model value; its incident dates are free text), under mappings that handle
the traps and mappings that do not, and on Drupal core's own databases.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.config import load_settings
from pseamigrate.errors import MappingError
from pseamigrate.migrate.run import MigrationReport, migrate
from pseamigrate.migrate.steps import Options
from pseamigrate.resources import MAPPINGS_DIR
from pseamigrate.sample import SiteReport, build_site
from pseamigrate.servers import LocalServer
from pseamigrate.target.model import load_model
from tests.conftest import _admin
from tests.mapping.test_core_scaffold import CORE_MODEL

runner = CliRunner()
SHIPPED_STATUS = """\
          map:
            new: new
            in_progress: in_progress
            referred: referred
            closed: closed
            awaiting_review: in_progress
            escalated: referred
        - {plugin: default_value, default_value: new}
"""
# What a lossless scaffold wrote on real sites: unknown words kept in extra, the column empty.
EXTRA_STATUS = """\
          map: {new: new, in_progress: in_progress, referred: referred, closed: closed}
          unmatched: extra
"""
# One word mapped, the other still kept in extra: only `escalated` complaints fail.
HALF_STATUS = """\
          map: {new: new, in_progress: in_progress, referred: referred, closed: closed,
                awaiting_review: in_progress}
          unmatched: extra
"""
INCIDENT = "      extra/camp_name: field_camp_name\n"
RECEIVED = "      extra/date_received: field_date_received\n"
DATE_FORMATS = "from_format: ['Y-m-d', 'd/m/Y', 'j F Y'], to_format: Y-m-d"
# The free-text incident date into date_received: what does not parse stays in extra, or fails.
DATE_EXTRA = (
    "      date_received: {plugin: format_date, source: field_incident_date, "
    f"{DATE_FORMATS}, on_error: extra}}\n"
)
DATE_FAILS = (
    f"      date_received: {{plugin: format_date, source: field_incident_date, {DATE_FORMATS}}}\n"
)


@dataclass
class Site:
    """One built Iraq site, an empty target database and a project file naming both."""

    config: Path
    mapping: Path
    report: SiteReport


@pytest.fixture(scope="module", params=["d7", "d8"])
def iraq(
    request: pytest.FixtureRequest,
    mariadb_server: LocalServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Site:
    """Iraq in one layout (0.3: 36 complaints, 14 with a status of its own) and a project."""
    layout = request.param
    work = tmp_path_factory.mktemp(f"law{layout}")
    names = {"site": f"law_{layout}_iraq", "target": f"law_{layout}_target"}
    for database in names.values():
        _admin(mariadb_server, f"DROP DATABASE IF EXISTS `{database}`")
        _admin(mariadb_server, f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4")
    source = mariadb_server.url(names["site"])
    report = build_site(source, "iraq", layout, scale=0.3, files_dir=work / "files")
    shutil.copytree(MAPPINGS_DIR, work / "mappings")
    config = work / "pseamigrate.yaml"
    _environ(f"PM_LAW_{layout.upper()}_SITE", source)
    _environ(f"PM_LAW_{layout.upper()}_TARGET", mariadb_server.url(names["target"]))
    env = f"PM_LAW_{layout.upper()}"
    config.write_text(
        f"sites:\n  iraq:\n    tenant: iraq\n    connection: {{url_env: {env}_SITE}}\n"
        f"    mapping: {work / 'mappings' / 'sites' / 'iraq.yaml'}\n"
        f"    files_dir: {work / 'files'}\n"
        f"target:\n  connection: {{url_env: {env}_TARGET}}\n  files_dir: {work / 'store'}\n",
        encoding="utf-8",
    )
    return Site(config, work / "mappings" / "sites" / "iraq.yaml", report)


def _environ(name: str, url: URL) -> None:
    os.environ[name] = url.render_as_string(hide_password=False)


def _shipped(_site: Site) -> str:
    return (MAPPINGS_DIR / "sites" / "iraq.yaml").read_text(encoding="utf-8")


def _with_date(site: Site, date: str) -> str:
    """The shipped mapping with `date` as the one mapping of date_received: the shipped Unix-time
    conversion is taken out (a key given twice is a load problem), its source kept in extra."""
    text = re.sub(r"\n      date_received:\n(?:        .*\n)+", "\n", _shipped(site))
    return text.replace(INCIDENT, INCIDENT + RECEIVED + date)


def check(config: Path, *more: str) -> tuple[int, dict[str, Any]]:
    """Run `mappings check --json` through the CLI; return its exit code and the site's result."""
    result = runner.invoke(app, ["--config", str(config), "mappings", "check", "--json", *more])
    assert result.exit_code in (0, 1) and result.stdout, (result.stdout, result.stderr)
    (found,) = json.loads(result.stdout)
    return result.exit_code, found


def dry_run(config: Path, model_path: Path | None = None) -> MigrationReport:
    """Run `migrate --dry-run` in process."""
    model = load_model(model_path) if model_path else None
    return migrate(load_settings(config), [], Options(dry_run=True, allow_plaintext=True), model)


def assert_law(
    code: int, found: dict[str, Any], config: Path, model_path: Path | None = None
) -> None:
    """check passes ⇔ the dry run fails no row; each step's failed rows are the ones check names
    (every id when the dry run lists them all, which it does up to 20 a step). A mapping with
    problems against the site fails check, and the dry run refuses it."""
    if found["scope"] != "rows":
        assert code == 1 and found["problems"]
        with pytest.raises(MappingError):
            dry_run(config, model_path)
        return
    report = dry_run(config, model_path)
    assert (code == 0) == (report.failed_rows() == 0) == found["ok"]
    named: dict[str, set[str]] = {}
    for failure in found["failures"]:
        named.setdefault(failure["step"], set()).update(failure["ids"])
    assert found["failed_rows"] == report.failed_rows()
    for step in report.sites[0].steps:
        counts = step.counts
        assert len(named.get(step.label, set())) == counts.failed, step.label
        listed = {line.split(":", 1)[0] for line in counts.failures}
        assert listed <= named.get(step.label, set()), step.label
        if counts.failed <= 20:
            assert listed == named.get(step.label, set()), step.label


def test_the_shipped_mapping_passes_check_and_the_dry_run_fails_nothing(iraq: Site) -> None:
    iraq.mapping.write_text(_shipped(iraq), encoding="utf-8")
    code, found = check(iraq.config)
    assert code == 0, found
    assert found["rows"] > 0 and found["failures"] == []
    assert_law(code, found, iraq.config)


@pytest.mark.parametrize("status", [EXTRA_STATUS, HALF_STATUS], ids=["extra", "half"])
def test_status_words_the_model_lacks_fail_check_with_every_row_the_dry_run_fails(
    iraq: Site, status: str
) -> None:
    iraq.mapping.write_text(_shipped(iraq).replace(SHIPPED_STATUS, status), encoding="utf-8")
    code, found = check(iraq.config)
    assert code == 1
    trapped = {str(nid) for nid in iraq.report.planted["unmodelled_statuses"]}
    assert len(trapped) > 10
    (complaints,) = [f for f in found["failures"] if f["step"] == "complaint"]
    assert complaints["column"] == "status"
    assert complaints["reason"] == "status: required, but the mapping gave no value"
    decisions = [p["message"] for p in found["problems"]]
    if status == EXTRA_STATUS:
        assert set(complaints["ids"]) == trapped
        (decision,) = decisions
        named = re.fullmatch(
            r"status: 2 source value\(s\) have no model value: awaiting_review \((\d+) rows\), "
            r"escalated \((\d+) rows\); map them or give a default_value",
            decision,
        )
        assert named is not None, decision
        assert int(named[1]) + int(named[2]) == len(trapped)
    else:
        assert set(complaints["ids"]) < trapped
        assert len(decisions) == 1 and "1 source value(s)" in decisions[0]
    assert {f["step"] for f in found["failures"]} >= {"complaint", "complaint revisions"}
    assert_law(code, found, iraq.config)


@pytest.mark.parametrize("date", [DATE_EXTRA, DATE_FAILS], ids=["on_error-extra", "fails"])
def test_free_text_dates_fail_check_exactly_when_the_dry_run_fails_them(
    iraq: Site, date: str
) -> None:
    iraq.mapping.write_text(_with_date(iraq, date), encoding="utf-8")
    code, found = check(iraq.config)
    assert_law(code, found, iraq.config)
    if date == DATE_EXTRA:
        assert code == 0
        return
    unparseable = {str(nid) for nid in iraq.report.planted["unparseable_incident_dates"]}
    (complaints,) = [f for f in found["failures"] if f["step"] == "complaint"]
    assert complaints["column"] == "date_received", complaints["reason"]
    # Every 7th complaint's date is not a date; the empty ones among them are no date at all.
    assert set(complaints["ids"]) < unparseable and len(complaints["ids"]) >= 2


def test_the_lossless_scaffold_fails_check_where_the_dry_run_fails(iraq: Site) -> None:
    args = ["--config", str(iraq.config), "mappings", "scaffold", "iraq"]
    scaffold = runner.invoke(app, [*args, "--unmapped", "extra", "--force"])
    assert scaffold.exit_code == 0, scaffold.stderr
    assert re.search(r"escalated: TODO \(\d+ rows\)", iraq.mapping.read_text(encoding="utf-8"))
    code, found = check(iraq.config)
    assert_law(code, found, iraq.config)
    assert code == 1  # a decision remains: the statuses the model lacks
    assert any("maps 'escalated' to 'TODO (" in p["message"] for p in found["problems"])


def test_offline_checks_the_file_alone_and_says_so(iraq: Site) -> None:
    iraq.mapping.write_text(_shipped(iraq).replace(SHIPPED_STATUS, EXTRA_STATUS), "utf-8")
    code, found = check(iraq.config, "--offline")
    assert code == 0 and found["scope"] == "file" and found["rows"] == 0
    assert "offline" in found["note"]


def test_an_unreachable_site_fails_check_with_the_reason(iraq: Site, tmp_path: Path) -> None:
    iraq.mapping.write_text(_shipped(iraq), encoding="utf-8")
    config = tmp_path / "pseamigrate.yaml"
    text = iraq.config.read_text(encoding="utf-8")
    config.write_text(text.replace("url_env: PM_LAW_", "url_env: PM_LAWGONE_"), "utf-8")
    _environ("PM_LAWGONE_D7_SITE", URL.create("mysql+pymysql", "nobody", "x", "127.0.0.1", 1))
    _environ("PM_LAWGONE_D8_SITE", URL.create("mysql+pymysql", "nobody", "x", "127.0.0.1", 1))
    code, found = check(config)
    assert code == 1 and found["scope"] == "file"
    assert "could not be reached" in found["problems"][0]["message"]


def test_values_lists_each_stored_word_and_what_the_mapping_does(iraq: Site) -> None:
    args = ["--config", str(iraq.config), "mappings", "values", "iraq", "complaint.status"]
    iraq.mapping.write_text(_shipped(iraq), encoding="utf-8")
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.stdout + result.stderr
    (status,) = json.loads(result.stdout)
    assert status["column"] == "complaint.status" and status["required"] is True
    assert status["model_values"] == ["new", "in_progress", "referred", "closed"]
    assert status["allowed"][-2:] == ["awaiting_review", "escalated"]
    fates = {v["value"]: v for v in status["values"]}
    trapped = len(iraq.report.planted["unmodelled_statuses"])
    own = fates["awaiting_review"]["rows"] + fates["escalated"]["rows"]
    assert own == trapped
    assert fates["awaiting_review"]["text"] == "mapped to in_progress"
    assert fates["escalated"]["text"] == "mapped to referred"
    if "(empty)" in fates:
        assert fates["(empty)"]["text"] == "default: new"
    iraq.mapping.write_text(_shipped(iraq).replace(SHIPPED_STATUS, EXTRA_STATUS), "utf-8")
    table = runner.invoke(app, args)
    assert table.exit_code == 1
    assert "kept in extra; the column is required: fails" in table.stdout
    assert "decision left: 2 stored value(s) fail their rows" in table.stdout


def test_assess_json_and_html_carry_every_id_of_a_finding(iraq: Site, tmp_path: Path) -> None:
    iraq.mapping.write_text(_shipped(iraq), encoding="utf-8")
    page = tmp_path / "assess.html"
    args = ["--config", str(iraq.config), "assess", "iraq"]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code in (0, 3), result.stderr
    findings = json.loads(result.stdout)["sites"][0]["findings"]
    many = [f for f in findings if len(f["ids"]) > 20]
    assert many, [(f["check"], f["count"], len(f["ids"])) for f in findings]
    assert all(f["ids_shown"] == len(f["ids"]) for f in findings)
    html = runner.invoke(app, [*args, "--html", str(page)])
    assert html.exit_code in (0, 3), html.stderr
    listed = ", ".join(str(i) for i in many[0]["ids"])
    assert listed in page.read_text(encoding="utf-8")
    shown = runner.invoke(app, args).stdout  # the terminal abbreviates and says so
    rows = [line.split("│") for line in shown.splitlines()]
    ids_column = " ".join(cells[6].strip() for cells in rows if len(cells) == 9)  # folded cells
    assert f"(+{len(many[0]['ids']) - 20} more: --json lists all)" in ids_column


REQ = "        required: true\n"


@pytest.mark.parametrize("unmapped", ["todo", "extra"])
@pytest.mark.parametrize("dump", ["d7", "d10"])
def test_the_law_holds_on_drupal_core(
    dump: str,
    unmapped: str,
    drupal_core: dict[str, URL],
    mariadb_server: LocalServer,
    make_db: Any,
    tmp_path: Path,
) -> None:
    """Core's own content through a model that has a place for it, with every kind of mismatch
    (tests/mapping/test_core_scaffold.py): scaffolded, then checked and dry-run."""
    _environ("PM_LAWCORE_SITE", drupal_core[dump])
    _environ("PM_LAWCORE_TARGET", make_db(mariadb_server))
    model, mapping = tmp_path / "model.yaml", tmp_path / "core.yaml"
    model.write_text(CORE_MODEL, encoding="utf-8")
    config = tmp_path / "pseamigrate.yaml"
    config.write_text(
        "sites:\n  core:\n    tenant: core\n    connection: {url_env: PM_LAWCORE_SITE}\n"
        f"    mapping: {mapping}\ntarget:\n  connection: {{url_env: PM_LAWCORE_TARGET}}\n",
        encoding="utf-8",
    )
    args = ["--config", str(config), "mappings", "scaffold", "core", "--model", str(model)]
    assert runner.invoke(app, [*args, "--unmapped", unmapped]).exit_code == 0
    code, found = check(config, "--model", str(model))
    assert_law(code, found, config, model)
    if unmapped == "extra":
        assert found["scope"] == "rows" and found["rows"] > 0
        # The same, with the coded column required: the words the model lacks now fail rows.
        required = CORE_MODEL.replace("values: [red, green]\n", "values: [red, green]\n" + REQ)
        model.write_text(required, encoding="utf-8")
        code, found = check(config, "--model", str(model))
        assert_law(code, found, config, model)
        assert code == 1  # d7: colour is not mapped at all; d10: its words fail rows
        assert found["scope"] == "content model" or found["failed_rows"] > 0


@pytest.mark.parametrize("date", [DATE_EXTRA, DATE_FAILS], ids=["on_error-extra", "fails"])
def test_assess_judges_fates_as_the_run_does(iraq: Site, date: str) -> None:
    """A date the mapping keeps in extra (on_error: extra) is no blocker; one that fails is; user
    fields, which the run keeps in the account's extra, are never "not migrated" (#22 item 3)."""
    iraq.mapping.write_text(_with_date(iraq, date), encoding="utf-8")
    result = runner.invoke(app, ["--config", str(iraq.config), "assess", "iraq", "--json"])
    findings = json.loads(result.stdout)["sites"][0]["findings"]
    (dates,) = [f for f in findings if f["subject"] == "complaint.field_incident_date"]
    code, found = check(iraq.config)
    if date == DATE_EXTRA:
        assert dates["severity"] == "warning" and "the rows migrate" in dates["action"]
        assert result.exit_code == 0 and code == 0
    else:
        assert dates["severity"] == "blocker" and result.exit_code == 3 and code == 1
    users = [f for f in findings if f["check"] == "user_field"]
    assert users and all("kept in the account's extra" in f["action"] for f in users)
    assert not any("will not be migrated" in f["action"] for f in findings)


def test_assess_names_every_node_a_status_the_model_lacks_fails(iraq: Site) -> None:
    iraq.mapping.write_text(_shipped(iraq).replace(SHIPPED_STATUS, EXTRA_STATUS), "utf-8")
    result = runner.invoke(app, ["--config", str(iraq.config), "assess", "iraq", "--json"])
    assert result.exit_code == 3
    findings = json.loads(result.stdout)["sites"][0]["findings"]
    (undecided,) = [f for f in findings if f["check"] == "undecided_values"]
    assert undecided["severity"] == "blocker"
    trapped = sorted(iraq.report.planted["unmodelled_statuses"])
    assert undecided["ids"] == trapped and undecided["count"] == len(trapped)
    code, found = check(iraq.config)
    (complaints,) = [f for f in found["failures"] if f["step"] == "complaint"]
    assert sorted(int(i) for i in complaints["ids"]) == trapped  # assess and check agree
    iraq.mapping.write_text(_shipped(iraq), encoding="utf-8")
    result = runner.invoke(app, ["--config", str(iraq.config), "assess", "iraq", "--json"])
    findings = json.loads(result.stdout)["sites"][0]["findings"]
    assert not [f for f in findings if f["check"] == "undecided_values"]


def test_values_says_so_when_a_site_has_no_coded_column(
    drupal_core: dict[str, URL], mariadb_server: LocalServer, make_db: Any, tmp_path: Path
) -> None:
    """Drupal core's D7 site has no list field the shipped model codes: `values` says so rather
    than printing nothing (an empty screen reads like a crash), and its JSON is an empty list."""
    _environ("PM_VALUESCORE_SITE", drupal_core["d7"])
    _environ("PM_VALUESCORE_TARGET", make_db(mariadb_server))
    config = tmp_path / "pseamigrate.yaml"
    config.write_text(
        "sites:\n  core:\n    tenant: core\n    connection: {url_env: PM_VALUESCORE_SITE}\n"
        f"    mapping: {tmp_path / 'core.yaml'}\n"
        "target:\n  connection: {url_env: PM_VALUESCORE_TARGET}\n",
        encoding="utf-8",
    )
    args = ["--config", str(config), "mappings"]
    assert runner.invoke(app, [*args, "scaffold", "core"]).exit_code == 0
    shown = runner.invoke(app, [*args, "values", "core"])
    assert shown.exit_code == 0 and "no coded column" in shown.stdout, shown.stdout
    as_json = runner.invoke(app, [*args, "values", "core", "--json"])
    assert as_json.exit_code == 0 and json.loads(as_json.stdout) == []


# `code` from the free-text incident date, read as a date with `on_error: extra`: where it is
# not a date the required column gets no value, so those complaints fail (with their revisions
# and notes), though check's static part finds nothing wrong: only the row pass sees it.
CODE_TRAP = (
    "      code: {plugin: format_date, source: field_incident_date, "
    f"{DATE_FORMATS}, on_error: extra}}\n"
    "      extra/complaint_code: field_complaint_code\n"
)


def _assess_json(site: Site) -> tuple[int, list[dict[str, Any]]]:
    result = runner.invoke(app, ["--config", str(site.config), "assess", "iraq", "--json"])
    assert result.stdout, result.stderr
    return result.exit_code, json.loads(result.stdout)["sites"][0]["findings"]


def test_assess_blocks_on_what_check_fails_with_the_same_ids(iraq: Site) -> None:
    """assess's verdict is check's (#22): every reason rows fail in check's row pass is an
    assess blocker carrying the same source ids; a problem that stops check before the rows
    is one too; the shipped mapping, which check passes, gives neither."""
    iraq.mapping.write_text(_shipped(iraq).replace(INCIDENT, INCIDENT + CODE_TRAP), "utf-8")
    code, found = check(iraq.config)
    assert code == 1 and found["failures"], found
    assert any(f["column"] == "code" for f in found["failures"])
    exit_code, findings = _assess_json(iraq)
    assert exit_code == 3
    fails = [f for f in findings if f["check"] == "row_fails"]
    assert all(f["severity"] == "blocker" for f in fails)
    assert sorted((f["count"], f["ids"]) for f in fails) == sorted(
        (f["count"], f["ids"]) for f in found["failures"]
    )
    # The date finding is judged by the same pass: on_error: extra keeps the values, yet the
    # rows fail (the old fate table said "the rows migrate").
    (dates,) = [f for f in findings if f["subject"] == "complaint.field_incident_date"]
    (complaints,) = [f for f in found["failures"] if f["step"] == "complaint"]
    assert dates["severity"] == "blocker" and "fail" in dates["action"]
    assert {str(i) for i in dates["ids"]} >= set(complaints["ids"])
    # A problem of the mapping stops check before the rows: a blocker of assess too.
    iraq.mapping.write_text(_shipped(iraq).replace(INCIDENT, ""), "utf-8")
    code, found = check(iraq.config)
    assert code == 1 and found["scope"] == "content model"
    exit_code, findings = _assess_json(iraq)
    problems = [(f["subject"], f["message"]) for f in findings if f["check"] == "mapping_check"]
    assert exit_code == 3
    assert problems == [(p["path"], p["message"]) for p in found["problems"]]
    iraq.mapping.write_text(_shipped(iraq), encoding="utf-8")
    code, found = check(iraq.config)
    exit_code, findings = _assess_json(iraq)
    assert code == 0 and exit_code == 0
    assert not [f for f in findings if f["check"] in ("row_fails", "mapping_check")]
