"""`pseamigrate inspect` and `pseamigrate diff` through the CLI, on real databases."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.servers import LocalServer
from tests.drupal.helpers import edit_config, run

runner = CliRunner()


def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **sites: URL) -> Path:
    """Write a project file naming `sites`, each URL in its own environment variable."""
    lines = ["sites:"]
    for name, url in sites.items():
        env = f"PSEA_TEST_{name.upper()}_URL"
        monkeypatch.setenv(env, url.render_as_string(hide_password=False))
        lines.append(f"  {name}: {{tenant: {name}, connection: {{url_env: {env}}}}}")
    path = tmp_path / "pseamigrate.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def invoke(config: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--config", str(config), *args])
    return result.exit_code, result.stdout, result.stderr


def test_inspect_json_on_drupal_7(drupal_core, tmp_path, monkeypatch) -> None:
    config = project(tmp_path, monkeypatch, demo=drupal_core["d7"])
    code, out, _ = invoke(config, "inspect", "demo", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["drupal_version"] == 7
    assert {
        b: data["bundles"][b]["count"] for b in data["bundles"] if data["bundles"][b]["count"]
    } == {"article": 4, "blog": 3, "et": 1, "forum": 2, "test_content_type": 1}
    assert data["bundles"]["article"]["published"] == 4
    assert data["bundles"]["article"]["revisions"] == 8
    assert data["bundles"]["article"]["fields"]["field_tags"]["cardinality"] == -1
    assert data["bundles"]["article"]["fields"]["field_tags"]["type"] == "taxonomy_term_reference"
    assert data["vocabularies"]["tags"]["terms"] == 10
    assert (data["users"]["total"], data["users"]["blocked"]) == (3, 0)
    assert data["files"]["total"] == 4
    unknown = {u["type"] for u in data["unknown_field_types"]}
    assert {"phone", "telephone"} <= unknown
    assert data["problems"] == []


def test_inspect_table_on_drupal_11(drupal_core, tmp_path, monkeypatch) -> None:
    config = project(tmp_path, monkeypatch, syria=drupal_core["d11"])
    code, out, err = invoke(config, "inspect", "syria")
    assert code == 0
    assert "Drupal 11" in out
    assert "Fields of article" in out and "Fields of test_content_type" in out
    assert "users: 2 (2 active, 0 blocked); files: 5" in out
    assert "reading site 'syria'" in err


def test_diff_finds_planted_drift_and_nothing_else(
    drupal_core, drupal_copy: Callable[[str], URL], tmp_path, monkeypatch
) -> None:
    drifted = drupal_copy("d10")
    edit_config(drifted, "field.storage.node.field_tags", lambda c: c.update(cardinality=3))
    edit_config(
        drifted,
        "field.storage.node.field_test_16",
        lambda c: c["settings"]["allowed_values"].append({"value": "extra", "label": "Extra"}),
    )
    edit_config(drifted, "core.extension", lambda c: c["module"].update(psea_custom=0))
    edit_config(drifted, "system.site", lambda c: c.update(default_langcode="fr"))
    run(
        drifted,
        "DELETE FROM config WHERE name = 'field.field.node.page.body'",
        "ALTER TABLE node__body MODIFY body_format VARCHAR(255) CHARACTER SET latin1",
    )
    config = project(tmp_path, monkeypatch, demo=drupal_core["d10"], iraq=drifted)
    code, out, _ = invoke(config, "diff", "demo", "iraq", "--json")
    assert code == 0, out
    rows = json.loads(out)["differences"]
    found = {(r["kind"], r["bundle"], r["field"], r["property"]) for r in rows}
    assert found == {
        ("field", "article", "field_tags", "cardinality"),
        ("field", "test_content_type", "field_test_16", "allowed_values"),
        ("field", "page", "body", "present"),
        ("encoding", None, None, "latin1_tables"),
        ("encoding", None, None, "charsets"),  # site facts (#14)
        ("site", None, None, "modules"),
        ("site", None, None, "default_language"),
    }
    by_key = {(r["field"], r["property"]): r["values"] for r in rows}
    assert by_key[(None, "charsets")] == {
        "demo": ["ascii", "utf8mb4"],
        "iraq": ["ascii", "latin1", "utf8mb4"],
    }
    assert by_key[(None, "default_language")] == {"demo": "en", "iraq": "fr"}
    modules = next(r for r in rows if r["property"] == "modules")
    assert modules["only_in"] == {"demo": [], "iraq": ["psea_custom"]}
    assert by_key[("field_tags", "cardinality")] == {"demo": -1, "iraq": 3}
    assert by_key[("body", "present")] == {"demo": "present", "iraq": "missing"}
    assert "extra" in by_key[("field_test_16", "allowed_values")]["iraq"]
    code, out, _ = invoke(config, "diff", "demo", "iraq")
    assert code == 0 and "Drift between demo, iraq" in out and "missing" in out


def test_diff_between_versions_lists_bundles(drupal_core, tmp_path, monkeypatch) -> None:
    config = project(tmp_path, monkeypatch, d9=drupal_core["d9"], d10=drupal_core["d10"])
    code, out, _ = invoke(config, "diff", "d9", "d10", "--json")
    assert code == 0
    bundles = {
        r["bundle"]: r["values"] for r in json.loads(out)["differences"] if r["kind"] == "bundle"
    }
    assert bundles == {"book": {"d9": True, "d10": False}, "forum": {"d9": True, "d10": False}}


def test_unknown_site(drupal_core, tmp_path, monkeypatch) -> None:
    config = project(tmp_path, monkeypatch, demo=drupal_core["d10"])
    code, _, err = invoke(config, "inspect", "nowhere")
    assert code == 2
    assert "unknown site 'nowhere' (known sites: demo)" in err


def test_wrong_password_names_the_site_never_the_password(
    mariadb_server: LocalServer, tmp_path, monkeypatch
) -> None:
    url = mariadb_server.url("mysql").set(password="Wr0ngSecret!")
    config = project(tmp_path, monkeypatch, iraq=url)
    code, out, err = invoke(config, "inspect", "iraq")
    assert code == 1
    assert "cannot connect to site 'iraq'" in err
    assert "1045" in err
    assert "Wr0ngSecret" not in err + out


def test_not_drupal(any_db: URL, tmp_path, monkeypatch) -> None:
    config = project(tmp_path, monkeypatch, drc=any_db)
    code, _, err = invoke(config, "inspect", "drc", "--json")
    assert code == 1
    assert "site 'drc'" in err and "is not a Drupal database" in err
    assert "key_value" in err


def test_diff_needs_two_sites(drupal_core, tmp_path, monkeypatch) -> None:
    config = project(tmp_path, monkeypatch, demo=drupal_core["d10"])
    code, _, err = invoke(config, "diff", "demo")
    assert code == 2
    assert "at least two" in err


@pytest.mark.parametrize("command", ["inspect", "diff"])
def test_help_has_an_example(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert f"Example: pseamigrate {command}" in result.stdout
    assert "--json" in result.stdout
