"""`assess` on a Drupal 8+ sample site on Oracle MySQL 9.7, with problems planted in SQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.resources import MAPPINGS_DIR
from pseamigrate.sample import build_site
from pseamigrate.servers import LocalServer
from tests.drupal.helpers import query, run

runner = CliRunner()


def _plant(url: URL) -> tuple[list[int], int]:
    refs = [
        r
        for (r,) in query(
            url, "SELECT entity_id FROM node__field_complaint_ref ORDER BY entity_id LIMIT 3"
        )
    ]
    ((tid, parent),) = query(
        url,
        "SELECT entity_id, parent_target_id FROM taxonomy_term__parent "
        "WHERE parent_target_id <> 0 ORDER BY entity_id LIMIT 1",
    )
    run(
        url,
        "UPDATE node__field_complaint_ref SET field_complaint_ref_target_id = 888888 "
        "WHERE entity_id IN :r",
        "INSERT INTO taxonomy_term__parent (bundle, deleted, entity_id, revision_id, langcode, "
        "delta, parent_target_id) SELECT bundle, deleted, entity_id, revision_id, langcode, 1, "
        ":other FROM taxonomy_term__parent WHERE entity_id = :t AND delta = 0",
        params={"r": tuple(refs), "t": tid, "other": parent + 1},
    )
    return refs, tid


def test_assess_a_drupal_10_site_on_mysql(
    mysql_server: LocalServer, make_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = make_db(mysql_server)
    report = build_site(url, "syria", "d8", scale=0.1)
    refs, tid = _plant(url)
    monkeypatch.setenv("PSEA_D8_URL", url.render_as_string(hide_password=False))
    config = tmp_path / "pseamigrate.yaml"
    config.write_text(
        "sites:\n  syria:\n    tenant: sy\n    connection: {url_env: PSEA_D8_URL}\n"
        f"    mapping: {MAPPINGS_DIR / 'sites' / 'syria.yaml'}\n"
    )
    result = runner.invoke(app, ["--config", str(config), "assess", "--json"])
    data = json.loads(result.stdout)
    site = data["sites"][0]
    assert (site["layout"], site["drupal_version"]) == ("d8", 10)
    found = {(f["check"], f["subject"]): f for f in site["findings"]}
    dangling = found[("dangling_reference", "referral.field_complaint_ref")]
    expected = sorted({*refs, *report.planted["dangling_complaint_ref"]})  # ours and its own
    assert (dangling["count"], dangling["ids"]) == (len(expected), expected)
    parents = found[("several_parents", "vocabulary location")]
    (last,) = [
        t
        for (t,) in query(
            url, "SELECT MAX(tid) FROM taxonomy_term_field_data WHERE vid = 'location'"
        )
    ]  # the generator's own
    assert parents["ids"] == sorted({tid, last})
    emoji = sorted(
        {
            e
            for e, t in query(
                url, "SELECT entity_id, field_narrative_value FROM node__field_narrative"
            )
            if any(ord(c) > 0xFFFF for c in t)
        }
    )
    four = found[("four_byte_characters", "complaint.field_narrative")]
    assert (four["count"], four["ids"]) == (len(emoji), emoji[:20])
    assert ("table_charset", "utf8mb3") not in found and ("table_charset", "latin1") not in found
    blockers = [f for f in site["findings"] if f["severity"] == "blocker"]
    assert result.exit_code == (3 if blockers else 0)
