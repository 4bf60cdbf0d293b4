"""`pseamigrate assess` on the generated sample sites (real MariaDB), with problems planted in
plain SQL: each is found with the right count and ids, and nothing printed holds a value."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from pseamigrate.assess.identities import normalise
from pseamigrate.cli import app
from pseamigrate.resources import MAPPINGS_DIR
from pseamigrate.sample import SiteReport, build_site
from pseamigrate.servers import LocalServer
from tests.conftest import _admin
from tests.drupal.helpers import query, run

runner = CliRunner()
SITES = ("demo", "iraq", "drc", "syria")


@dataclass
class Planted:
    """The sample sites and the ids of what the tests planted in them."""

    urls: dict[str, URL]
    files: dict[str, Path]
    reports: dict[str, SiteReport]
    dangling: list[int]
    bad_dates: list[int]
    two_parents: int
    commented: list[int]
    int_ref: int  # drc: a referral whose plain integer nid field points nowhere
    huge: int  # demo: a complaint with a narrative over 16 MB


def _plant(url: URL) -> tuple[list[int], list[int], int, list[int]]:
    """Plant in a Drupal 7 demo: two referrals to a deleted complaint, two complaints with a
    date that does not parse, a location term with two parents, comments on two complaints."""
    dated = [
        d
        for (d,) in query(
            url, "SELECT entity_id FROM field_data_field_date_received ORDER BY entity_id LIMIT 2"
        )
    ]
    referrals = [
        r
        for (r,) in query(
            url, "SELECT entity_id FROM field_data_field_complaint_ref ORDER BY entity_id LIMIT 2"
        )
    ]
    complaints = [
        c
        for (c,) in query(url, "SELECT nid FROM node WHERE type = 'complaint' ORDER BY nid LIMIT 4")
    ]
    ((child, parent),) = query(
        url,
        "SELECT tid, parent FROM taxonomy_term_hierarchy WHERE parent <> 0 ORDER BY tid LIMIT 1",
    )
    ((other,),) = query(
        url,
        "SELECT h.tid FROM taxonomy_term_hierarchy h JOIN taxonomy_term_data "
        "t ON t.tid = h.tid WHERE h.parent = 0 AND h.tid <> :p AND t.vid = "
        "(SELECT vid FROM taxonomy_term_data WHERE tid = :c) LIMIT 1",
        {"p": parent, "c": child},
    )
    run(
        url,
        "UPDATE field_data_field_complaint_ref SET field_complaint_ref_target_id = 999999 "
        "WHERE entity_id IN :r",
        "ALTER TABLE field_data_field_date_received MODIFY field_date_received_value "
        "VARCHAR(64) NULL",
        "UPDATE field_data_field_date_received SET field_date_received_value = 'sometime in May' "
        "WHERE entity_id IN :d",
        "INSERT INTO taxonomy_term_hierarchy (tid, parent) VALUES (:child, :other)",
        "CREATE TABLE comment (cid INT PRIMARY KEY AUTO_INCREMENT, pid INT NOT NULL DEFAULT 0, "
        "nid INT NOT NULL, uid INT NOT NULL DEFAULT 0, subject VARCHAR(64), created INT, "
        "changed INT, status TINYINT, thread VARCHAR(255), language VARCHAR(12))",
        "INSERT INTO comment (nid, subject) VALUES (:n1, 'note'), (:n1, 'note'), (:n2, 'note')",
        params={
            "r": tuple(referrals),
            "d": tuple(dated),
            "child": child,
            "other": other,
            "n1": complaints[2],
            "n2": complaints[3],
        },
    )
    return referrals, dated, child, complaints[2:4]


def _plant_integer_reference(url: URL) -> int:
    """Turn drc's referral → complaint link into a plain Drupal 7 integer field (number_integer,
    column `_value`), as sites built on core keep it, and point one referral at a missing nid."""
    ((referral,),) = query(url, "SELECT MAX(entity_id) FROM field_data_field_complaint_ref")
    run(
        url,
        "UPDATE field_config SET type = 'number_integer', module = 'number' "
        "WHERE field_name = 'field_complaint_ref'",
        "ALTER TABLE field_data_field_complaint_ref CHANGE field_complaint_ref_target_id "
        "field_complaint_ref_value INT NULL",
        "UPDATE field_data_field_complaint_ref SET field_complaint_ref_value = 777777 "
        "WHERE entity_id = :r",
        params={"r": referral},
    )
    return int(referral)


def _plant_huge_narrative(url: URL) -> int:
    """Give one complaint a narrative over 16 MB (the test server allows 256 MB packets)."""
    ((nid,),) = query(url, "SELECT MAX(entity_id) FROM field_data_field_narrative")
    run(
        url,
        "UPDATE field_data_field_narrative SET field_narrative_value = REPEAT('x', 17000000) "
        "WHERE entity_id = :n",
        params={"n": nid},
    )
    return int(nid)


@pytest.fixture(scope="module")
def planted(
    mariadb_server: LocalServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Planted]:
    """The four sample sites (Drupal 7) with files on disk, problems planted in demo."""
    base = tmp_path_factory.mktemp("assess")
    urls, files, reports = {}, {}, {}
    for site in SITES:
        name = f"assess_{site}"
        _admin(mariadb_server, f"DROP DATABASE IF EXISTS `{name}`")
        _admin(mariadb_server, f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        urls[site], files[site] = mariadb_server.url(name), base / site
        reports[site] = build_site(urls[site], site, "d7", scale=0.1, files_dir=files[site])
    dangling, bad_dates, two_parents, commented = _plant(urls["demo"])
    int_ref = _plant_integer_reference(urls["drc"])
    huge = _plant_huge_narrative(urls["demo"])
    yield Planted(urls, files, reports, dangling, bad_dates, two_parents, commented, int_ref, huge)
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


def _find(data: dict[str, Any], site: str, check: str, where: str = "") -> dict[str, Any]:
    found = [
        f
        for s in data["sites"]
        if s["site"] == site
        for f in s["findings"]
        if f["check"] == check and (not where or f["subject"] == where)
    ]
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


def test_dangling_references_dates_parents_and_comments_in_demo(
    planted: Planted, assessed: dict[str, Any]
) -> None:
    data = assessed["data"]
    dangling = _find(data, "demo", "dangling_reference", "referral.field_complaint_ref")
    assert (dangling["count"], dangling["ids"]) == (2, planted.dangling)
    assert dangling["severity"] == "warning"
    assert "the reference will be left empty, the source id kept in extra" in dangling["action"]
    assert "mapped to referrals.complaint_id" in dangling["action"]
    dates = _find(data, "demo", "unparseable_date", "complaint.field_date_received")
    assert (dates["count"], dates["ids"], dates["severity"]) == (2, planted.bad_dates, "blocker")
    parents = _find(data, "demo", "several_parents", "vocabulary location")
    assert (parents["count"], parents["ids"]) == (1, [planted.two_parents])
    comments = _find(data, "demo", "comments", "complaint")
    assert (comments["count"], comments["ids"]) == (2, planted.commented)
    assert comments["message"].startswith("3 comment(s)") and comments["severity"] == "blocker"
    for site in ("iraq", "drc", "syria"):  # planted in demo only
        names = {f["check"] for s in data["sites"] if s["site"] == site for f in s["findings"]}
        assert not names & {"unparseable_date", "several_parents"}
        assert ("dangling_reference" in names) == (site == "drc")


def test_a_plain_integer_nid_field_pointing_nowhere(
    planted: Planted, assessed: dict[str, Any]
) -> None:
    found = _find(assessed["data"], "drc", "dangling_reference", "referral.field_complaint_ref")
    assert (found["count"], found["ids"]) == (1, [planted.int_ref])
    assert "the reference will be left empty" in found["action"]


def test_a_narrative_over_16_mb(planted: Planted, assessed: dict[str, Any]) -> None:
    huge = _find(assessed["data"], "demo", "long_text_16mb", "complaint.field_narrative")
    assert (huge["count"], huge["ids"], huge["severity"]) == (1, [planted.huge], "blocker")
    assert "longest 17000000 bytes" in huge["message"]
    long = _find(assessed["data"], "demo", "long_text_64kb", "complaint.field_narrative")
    assert planted.huge in long["ids"]


def test_charsets_long_texts_and_four_byte_characters(
    planted: Planted, assessed: dict[str, Any]
) -> None:
    data = assessed["data"]
    assert _find(data, "demo", "table_charset", "utf8mb3")["count"] > 0
    assert _find(data, "iraq", "table_charset", "latin1")["count"] > 0
    for site in SITES:
        rows = query(
            planted.urls[site],
            "SELECT entity_id FROM field_data_field_narrative "
            "WHERE LENGTH(field_narrative_value) > 65535 ORDER BY entity_id",
        )
        long = _find(data, site, "long_text_64kb", "complaint.field_narrative")
        assert long["ids"] == [r for (r,) in rows][:20] and long["count"] == len(rows)
        assert long["severity"] == "blocker" and "a TEXT column" in long["action"]
    narratives = query(
        planted.urls["syria"],
        "SELECT entity_id, field_narrative_value FROM "
        "field_data_field_narrative ORDER BY entity_id",
    )
    emoji = sorted({e for e, text in narratives if any(ord(c) > 0xFFFF for c in text)})
    assert emoji, "syria (utf8mb4) holds emoji"
    four = _find(data, "syria", "four_byte_characters", "complaint.field_narrative")
    assert (four["count"], four["ids"]) == (len(emoji), emoji[:20])


def test_files_missing_on_disk_and_shared_identities(
    planted: Planted, assessed: dict[str, Any]
) -> None:
    data = assessed["data"]
    assert sum(len(r.missing_files) for r in planted.reports.values()) >= 2
    for site in SITES:
        missing = planted.reports[site].missing_files
        fids = {
            uri.partition("://")[0]: [
                f
                for (f,) in query(
                    planted.urls[site],
                    "SELECT fid FROM file_managed WHERE uri IN :u ORDER BY fid",
                    {"u": tuple(u for u in missing if u.startswith(uri.partition("://")[0]))},
                )
            ]
            for uri in missing
        }
        checks = {f["check"] for s in data["sites"] if s["site"] == site for f in s["findings"]}
        assert ("file_missing_on_disk" in checks) == bool(missing)
        for scheme, expected in fids.items():
            found = _find(data, site, "file_missing_on_disk", f"{scheme}://")
            assert (found["count"], found["ids"]) == (len(expected), expected)
    people: dict[str, set[str]] = {}
    for site in SITES:
        for uid, mail in query(planted.urls[site], "SELECT uid, mail FROM users WHERE uid > 0"):
            people.setdefault(normalise(mail), set()).add(f"{site}:{uid}")
    shared = {frozenset(a) for a in people.values() if len({a.split(":")[0] for a in a}) > 1}
    found = [f for f in data["shared"] if f["check"] == "shared_identity"]
    assert found and found[0]["count"] == len(shared) >= 4  # the generator shares 4 people
    assert {frozenset(ids.split("+")) for ids in found[0]["ids"]} == shared


def test_exit_3_on_blockers_and_no_value_in_any_output(
    planted: Planted, assessed: dict[str, Any]
) -> None:
    terminal, as_json = assessed["terminal"], assessed["json"]
    assert terminal.exit_code == 3 and as_json.exit_code == 3
    assert "blocker(s) to resolve before migrating" in terminal.stderr
    assert "Site demo: Drupal 7 (d7)" in terminal.stdout
    page = assessed["html"]
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page  # one self-contained file
    assert not any(tag in page for tag in ("<script", "<link", "src=", "@import", "url("))
    assert "http" not in page.split("<body>")[1]
    outputs = [terminal.stdout, terminal.stderr, as_json.stdout, assessed["html"]]
    values = set()
    for url in planted.urls.values():
        values |= {t for (t,) in query(url, "SELECT title FROM node")}
        values |= {
            n[:40]
            for (n,) in query(url, "SELECT field_narrative_value FROM field_data_field_narrative")
        }
        for name, mail in query(url, "SELECT name, mail FROM users WHERE uid > 0"):
            values |= {name, mail.strip(), normalise(mail)}
    values = {v for v in values if v and len(v) >= 6}
    assert len(values) > 100
    leaked = [v for v in values if any(v in text for text in outputs)]
    assert leaked == []
