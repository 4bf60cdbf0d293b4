"""`pseamigrate assess` on the generated sample sites (real MariaDB, Drupal 7): each problem the
generator plants (`SiteReport.planted`) and a few more planted here in plain SQL is found with
the right count and ids, and nothing printed holds a value."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from pseamigrate.assess.findings import SEVERITIES as SEVERITY_ORDER
from pseamigrate.assess.identities import normalise
from pseamigrate.cli import app
from pseamigrate.resources import MAPPINGS_DIR
from pseamigrate.sample import SiteReport, build_site
from pseamigrate.servers import LocalServer
from tests.conftest import _admin
from tests.drupal.helpers import query, run
from tests.verify import chromium

runner = CliRunner()
SITES = ("demo", "iraq", "drc", "syria")
SCALE = 0.15  # every kind of planted problem appears (tests/sample/test_sample_planted.py)


@dataclass
class Planted:
    """The sample sites, what the generator planted, and what the tests planted on top."""

    urls: dict[str, URL]
    files: dict[str, Path]
    reports: dict[str, SiteReport]
    bad_dates: list[int]  # demo: field_date_received (formatted by the mapping) made free text
    int_ref: int  # drc: a referral whose plain integer nid field points nowhere
    huge: int  # demo: a complaint with a narrative over 16 MB


def _ids(url: URL, sql: str, params: dict[str, Any] | None = None) -> list[int]:
    return [int(value) for (value,) in query(url, sql, params)]


def _plant_mapped_dates(url: URL) -> list[int]:
    """Turn demo's date_received (the mapping formats it) into text; two values no date."""
    dated = _ids(url, "SELECT entity_id FROM field_data_field_date_received ORDER BY entity_id "
                      "LIMIT 2")  # fmt: skip
    run(
        url,
        "ALTER TABLE field_data_field_date_received MODIFY field_date_received_value "
        "VARCHAR(64) NULL",
        "UPDATE field_data_field_date_received SET field_date_received_value = 'sometime in May' "
        "WHERE entity_id IN :d",
        params={"d": tuple(dated)},
    )
    return dated


def _plant_integer_reference(url: URL) -> int:
    """Turn drc's referral → complaint link into a plain Drupal 7 integer field (number_integer,
    column `_value`), as sites built on core keep it, and point one more referral nowhere."""
    (referral,) = _ids(url, "SELECT MIN(entity_id) FROM field_data_field_complaint_ref")
    run(
        url,
        "UPDATE field_config SET type = 'number_integer', module = 'number' "
        "WHERE field_name = 'field_complaint_ref'",
        "ALTER TABLE field_data_field_complaint_ref CHANGE field_complaint_ref_target_id "
        "field_complaint_ref_value INT NULL",
        # …in both tables: assess now runs check's row pass, which reads revisions too (#22)
        "ALTER TABLE field_revision_field_complaint_ref CHANGE field_complaint_ref_target_id "
        "field_complaint_ref_value INT NULL",
        "UPDATE field_data_field_complaint_ref SET field_complaint_ref_value = 777777 "
        "WHERE entity_id = :r",
        params={"r": referral},
    )
    return referral


def _plant_huge_narrative(url: URL) -> int:
    """Give one complaint a narrative over 16 MB (the test server allows 256 MB packets)."""
    (nid,) = _ids(url, "SELECT MAX(entity_id) FROM field_data_field_narrative")
    run(
        url,
        "UPDATE field_data_field_narrative SET field_narrative_value = REPEAT('x', 17000000) "
        "WHERE entity_id = :n",
        params={"n": nid},
    )
    return nid


@pytest.fixture(scope="module")
def planted(
    mariadb_server: LocalServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Planted]:
    """The four sample sites (Drupal 7) with their files on disk, and the extra plants."""
    base = tmp_path_factory.mktemp("assess")
    urls, files, reports = {}, {}, {}
    for site in SITES:
        name = f"assess_{site}"
        _admin(mariadb_server, f"DROP DATABASE IF EXISTS `{name}`")
        _admin(mariadb_server, f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        urls[site], files[site] = mariadb_server.url(name), base / site
        reports[site] = build_site(urls[site], site, "d7", scale=SCALE, files_dir=files[site])
    bad_dates = _plant_mapped_dates(urls["demo"])
    int_ref = _plant_integer_reference(urls["drc"])
    huge = _plant_huge_narrative(urls["demo"])
    yield Planted(urls, files, reports, bad_dates, int_ref, huge)
    for site in SITES:
        _admin(mariadb_server, f"DROP DATABASE IF EXISTS `assess_{site}`")


def _project(tmp_path: Path, planted: Planted, monkeypatch: pytest.MonkeyPatch) -> Path:
    lines = ["sites:"]
    for site, url in planted.urls.items():
        variable = f"PSEA_ASSESS_{site.upper()}"
        monkeypatch.setenv(variable, url.render_as_string(hide_password=False))
        lines += [
            f"  {site}:",
            f"    tenant: {site}",
            f"    connection: {{url_env: {variable}}}",
            f"    mapping: {MAPPINGS_DIR / 'sites' / f'{site}.yaml'}",
            f"    files_dir: {planted.files[site]}",
        ]
    path = tmp_path / "pseamigrate.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _all(data: dict[str, Any], site: str, check: str) -> list[dict[str, Any]]:
    return [
        f for s in data["sites"] if s["site"] == site for f in s["findings"] if f["check"] == check
    ]


def _find(data: dict[str, Any], site: str, check: str, where: str = "") -> dict[str, Any]:
    found = [f for f in _all(data, site, check) if not where or f["subject"] == where]
    assert len(found) == 1, (site, check, where, found)
    return found[0]


@pytest.fixture(scope="module")
def assessed(planted: Planted, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run assess once (terminal, JSON, HTML) and keep every output."""
    tmp = tmp_path_factory.mktemp("assess-run")
    with pytest.MonkeyPatch.context() as monkeypatch:
        config = _project(tmp, planted, monkeypatch)
        html = tmp / "assess.html"
        terminal = runner.invoke(app, ["--config", str(config), "assess", "--html", str(html)])
        as_json = runner.invoke(app, ["--config", str(config), "assess", "--json"])
    return {
        "terminal": terminal,
        "json": as_json,
        "data": json.loads(as_json.stdout),
        "html": html.read_text(encoding="utf-8"),
    }


def test_references_to_deleted_complaints(planted: Planted, assessed: dict[str, Any]) -> None:
    for site in SITES:
        expected = sorted(planted.reports[site].planted["dangling_complaint_ref"])
        assert expected, f"{site}: the generator plants a referral to a deleted complaint"
        if site == "drc":
            expected = sorted({*expected, planted.int_ref})  # and the integer field planted here
        link = "field_case_nid" if site == "iraq" else "field_complaint_ref"  # Iraq's own name
        found = _find(assessed["data"], site, "dangling_reference", f"referral.{link}")
        assert (found["count"], found["ids"]) == (len(expected), expected[:20])
        assert found["severity"] == "warning"
        assert "the reference will be left empty, the source id kept in extra" in found["action"]
        assert "mapped to referrals.complaint_id" in found["action"]


def test_dates_that_do_not_parse(planted: Planted, assessed: dict[str, Any]) -> None:
    data = assessed["data"]
    for site in SITES:
        expected = sorted(planted.reports[site].planted["unparseable_incident_dates"])
        free = _find(data, site, "unparseable_date", "complaint.field_incident_date")
        assert (free["count"], free["ids"]) == (len(expected), expected[:20])
        assert free["severity"] == "warning" and "kept in complaints.extra" in free["action"]
    mapped = _find(data, "demo", "unparseable_date", "complaint.field_date_received")
    assert (mapped["count"], mapped["ids"]) == (2, planted.bad_dates)
    assert mapped["severity"] == "blocker" and "format_date cannot read them" in mapped["action"]


def test_terms_with_two_parents_and_comments(planted: Planted, assessed: dict[str, Any]) -> None:
    data = assessed["data"]
    for site, url in planted.urls.items():
        two = _ids(url, "SELECT tid FROM taxonomy_term_hierarchy GROUP BY tid HAVING COUNT(*) > 1")
        assert len(two) == 1, "the generator gives the last district a second parent"
        (last,) = _ids(url, "SELECT MAX(t.tid) FROM taxonomy_term_data t JOIN taxonomy_vocabulary"
                            " v ON v.vid = t.vid WHERE v.machine_name = 'location'")  # fmt: skip
        assert two == [last]
        found = _find(data, site, "several_parents", "vocabulary location")
        assert (found["count"], found["ids"]) == (1, [last])
        per_type = dict(query(url, "SELECT n.type, COUNT(DISTINCT c.nid) FROM comment c "
                                   "JOIN node n ON n.nid = c.nid GROUP BY n.type"))  # fmt: skip
        assert per_type.get("complaint"), "complaints carry case notes"
        for node_type, nodes in per_type.items():
            found = _find(data, site, "comments", node_type)
            ids = _ids(
                url,
                "SELECT DISTINCT c.nid FROM comment c JOIN node n ON n.nid = c.nid "
                "WHERE n.type = :t ORDER BY c.nid LIMIT 20",
                {"t": node_type},
            )
            assert (found["count"], found["ids"]) == (nodes, ids)
            assert found["severity"] == "info"  # the model keeps them: notes tables
            assert f"migrated into {node_type}_notes" in found["action"]


def test_a_narrative_over_16_mb(planted: Planted, assessed: dict[str, Any]) -> None:
    huge = _find(assessed["data"], "demo", "long_text_16mb", "complaint.field_narrative")
    assert (huge["count"], huge["ids"]) == (1, [planted.huge])
    assert "longest 17000000 bytes" in huge["message"]
    assert huge["severity"] == "warning" and "max_allowed_packet" in huge["action"]  # LONGTEXT
    long = _find(assessed["data"], "demo", "long_text_64kb", "complaint.field_narrative")
    assert planted.huge in long["ids"]


def test_charsets_long_texts_and_four_byte_characters(
    planted: Planted, assessed: dict[str, Any]
) -> None:
    data = assessed["data"]
    assert _find(data, "demo", "table_charset", "utf8mb3")["count"] > 0
    assert _find(data, "drc", "table_charset", "utf8mb3")["count"] > 0
    assert _find(data, "iraq", "table_charset", "latin1")["count"] > 0
    assert not _all(data, "syria", "table_charset")  # utf8mb4 throughout
    for site, url in planted.urls.items():
        rows = _ids(
            url,
            "SELECT entity_id FROM field_data_field_narrative "
            "WHERE LENGTH(field_narrative_value) > 65535 ORDER BY entity_id",
        )
        long = _find(data, site, "long_text_64kb", "complaint.field_narrative")
        assert long["ids"] == rows[:20] and long["count"] == len(rows)
        emoji_nodes = {
            i
            for f in _all(data, site, "four_byte_characters")
            if not f["subject"].startswith("comment:")
            for i in f["ids"]
        }
        assert emoji_nodes == set(planted.reports[site].planted["emoji_nodes"])
        comments = {
            i
            for f in _all(data, site, "four_byte_characters")
            if f["subject"].startswith("comment:")
            for i in f["ids"]
        }
        assert comments == set(planted.reports[site].planted["emoji_comments"])
    assert planted.reports["syria"].planted["emoji_nodes"]  # utf8mb4 holds them


def test_files_missing_on_disk_and_shared_identities(
    planted: Planted, assessed: dict[str, Any]
) -> None:
    data = assessed["data"]
    for site in SITES:
        missing = planted.reports[site].planted["missing_files"]
        found = [i for f in _all(data, site, "file_missing_on_disk") for i in f["ids"]]
        assert sorted(found) == sorted(missing) and missing
    people: dict[str, set[str]] = {}
    for site, url in planted.urls.items():
        for uid, mail in query(url, "SELECT uid, mail FROM users WHERE uid > 0"):
            people.setdefault(normalise(mail), set()).add(f"{site}:{uid}")
    shared = {frozenset(a) for a in people.values() if len({a.split(":")[0] for a in a}) > 1}
    found = [f for f in data["shared"] if f["check"] == "shared_identity"]
    assert found and found[0]["count"] == len(shared) >= 4  # the generator shares 4 people
    assert {frozenset(ids.split("+")) for ids in found[0]["ids"]} == shared
    planted_uids = {
        f"{site}:{uid}" for site in SITES for uid in planted.reports[site].planted["shared_emails"]
    }
    assert planted_uids <= {a for group in shared for a in group}
    variants = [f for f in data["shared"] if f["check"] == "mail_case_or_spaces"]
    assert variants and variants[0]["count"] == 4  # the second site typed case and spaces


def test_exit_3_on_blockers_and_no_value_in_any_output(
    planted: Planted, assessed: dict[str, Any]
) -> None:
    terminal, as_json = assessed["terminal"], assessed["json"]
    assert terminal.exit_code == 3 and as_json.exit_code == 3  # demo's mapped dates at least
    assert "blocker(s) to resolve before migrating" in terminal.stderr
    assert "Site demo: Drupal 7 (d7)" in terminal.stdout
    page = assessed["html"]
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page  # one self-contained file
    assert not any(tag in page for tag in ("<script", "<link", "src=", "@import", "url("))
    assert "http" not in page.split("<body>")[1]
    outputs = [terminal.stdout, terminal.stderr, as_json.stdout, page]
    values = set()
    for url in planted.urls.values():
        values |= {t for (t,) in query(url, "SELECT title FROM node")}
        values |= {n[:40] for (n,) in query(url, "SELECT field_narrative_value FROM "
                                                 "field_data_field_narrative")}  # fmt: skip
        values |= {n[:40] for (n,) in query(url, "SELECT comment_body_value FROM "
                                                 "field_data_comment_body")}  # fmt: skip
        for name, mail in query(url, "SELECT name, mail FROM users WHERE uid > 0"):
            values |= {name, mail.strip(), normalise(mail)}
    values = {v for v in values if v and len(v) >= 6}
    assert len(values) > 100
    leaked = [v for v in values if any(v in text for text in outputs)]
    assert leaked == []


def test_the_html_report_fits_any_width_with_a_site_by_check_matrix(
    assessed: dict[str, Any], tmp_path: Path
) -> None:
    page = tmp_path / "assess.html"
    page.write_text(assessed["html"], "utf-8")
    data = assessed["data"]
    dom, urls = chromium.run(page, tmp_path / "dom", "--dump-dom")
    matrix = dom.split('id="matrix"')[1].split("</table>")[0]
    assert matrix.count("<tr><th>") == 1 + len(data["sites"])  # the header, then a row a site
    for site in data["sites"]:
        for check in {f["check"] for f in site["findings"]}:
            found = [f for f in site["findings"] if f["check"] == check]
            worst = min(found, key=lambda f: SEVERITY_ORDER.index(f["severity"]))["severity"]
            assert f'data-severity="{worst}">{sum(f["count"] for f in found)}</td>' in matrix
    for severity, count in data["counts"].items():  # "0 blockers" is no red badge
        badge = f'">{count} {severity}'
        assert (f'class="{severity}{badge}' if count else f'class="none{badge}') in dom
    assert chromium.hosts(urls) <= chromium.background_hosts(tmp_path.parent / "blank")
    assert chromium.scroll_width(page, tmp_path / "w", 1024) <= 1024
    assert chromium.scroll_width(page, tmp_path / "w", 600) <= 600  # wraps at any width
