"""`assess` on Drupal core's own test databases (Drupal 7 and 11): real schemas, no mapping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from pseamigrate.cli import app
from tests.drupal.helpers import query

runner = CliRunner()


def _run(tmp_path: Path, url: URL, monkeypatch: pytest.MonkeyPatch) -> tuple[int, dict[str, Any]]:
    monkeypatch.setenv("PSEA_CORE_URL", url.render_as_string(hide_password=False))
    config = tmp_path / "pseamigrate.yaml"
    config.write_text("sites:\n  core:\n    tenant: c\n    connection: {url_env: PSEA_CORE_URL}\n")
    result = runner.invoke(app, ["--config", str(config), "assess", "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, json.loads(result.stdout)


def _by_check(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for finding in data["sites"][0]["findings"]:
        found.setdefault(finding["check"], []).append(finding)
    return found


def test_assess_drupal_7_core_fixture(
    drupal_core: dict[str, URL], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = drupal_core["d7"]
    code, data = _run(tmp_path, url, monkeypatch)
    assert code == 0  # no mapping: nothing is a blocker yet
    found = _by_check(data)
    modules = [
        m for (m,) in query(url, "SELECT name FROM system WHERE type = 'module' AND status = 1")
    ]
    assert found["modules"][0]["count"] == len(modules)
    comments = {f["subject"]: f for f in found["comments"]}
    expected = dict(
        query(
            url,
            "SELECT n.type, COUNT(DISTINCT c.nid) FROM comment c "
            "JOIN node n ON n.nid = c.nid GROUP BY n.type",
        )
    )
    assert {k: v["count"] for k, v in comments.items()} == expected
    assert all(f["severity"] == "info" for f in found["comments"])  # no mapping migrates them
    files = {f["subject"]: f["count"] for f in found["files"]}
    assert sum(files.values()) == query(url, "SELECT COUNT(*) FROM file_managed")[0][0]
    assert found["files_on_disk"][0]["message"].startswith("not checked")
    assert "user_field" in found or "taxonomy_term_field" in found


def test_assess_drupal_11_core_fixture(
    drupal_core: dict[str, URL], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = drupal_core["d11"]
    code, data = _run(tmp_path, url, monkeypatch)
    assert code == 0
    assert data["sites"][0]["drupal_version"] == 11
    found = _by_check(data)
    roles = query(url, "SELECT COUNT(*) FROM config WHERE name LIKE 'user.role.%'")[0][0]
    assert found["roles"][0]["count"] == roles
    assert found["languages"][0]["message"].startswith("default language en")


def test_an_unreachable_site_is_an_error_with_the_reason(
    drupal_core: dict[str, URL], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pseamigrate.servers.instance import free_port

    monkeypatch.setenv("PSEA_CORE_URL", drupal_core["d7"].render_as_string(hide_password=False))
    monkeypatch.setenv("PSEA_DOWN_URL", f"mysql://u:never-shown@127.0.0.1:{free_port()}/x")
    config = tmp_path / "pseamigrate.yaml"
    config.write_text(
        "sites:\n  down:\n    tenant: d\n    connection: {url_env: PSEA_DOWN_URL}\n"
        "  core:\n    tenant: c\n    connection: {url_env: PSEA_CORE_URL}\n"
    )
    result = runner.invoke(app, ["--config", str(config), "assess", "--json"])
    assert result.exit_code == 1  # an error, not a blocker of a "Drupal 0" site (#22)
    assert "cannot connect to site 'down'" in result.stderr
    assert '"drupal_version": 0' not in result.stdout
    assert "never-shown" not in result.stdout + result.stderr
    alone = runner.invoke(app, ["--config", str(config), "assess", "core", "--json"])
    (core,) = json.loads(alone.stdout)["sites"]
    assert core["layout"] == "d7" and len(core["findings"]) > 5
    (missing,) = [f for f in core["findings"] if f["check"] == "mapping"]
    assert missing["action"] == "run pseamigrate mappings scaffold core"
