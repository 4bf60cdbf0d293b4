"""Acceptance on the generated sample CRP sites (both layouts, MariaDB and MySQL 9.7):
`inspect --json` reports exactly what the builder wrote, `diff` finds every planted drift and
nothing else, and double-encoded latin1 text comes out as the right text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.db import make_engine
from pseamigrate.drupal import open_site
from pseamigrate.sample import SITE_NAMES, SiteReport, build_site

runner = CliRunner()
SCALE = 0.15
MOJIBAKE = ("Ã", "Â", "Ø", "Ù", "â€")


def build_all(
    make_db: Any, server: Any, layout: str, prefix: str
) -> dict[str, tuple[URL, SiteReport]]:
    """Build the four sample sites, each in its own database."""
    built = {}
    for site in SITE_NAMES:
        url = make_db(server)
        built[site] = (url, build_site(url, site, layout, scale=SCALE, table_prefix=prefix))
    return built


def write_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, built: dict, prefix: str
) -> Path:
    lines = ["sites:"]
    for site, (url, _) in built.items():
        env = f"PSEA_SAMPLE_{site.upper()}_URL"
        monkeypatch.setenv(env, url.render_as_string(hide_password=False))
        connection = f"connection: {{url_env: {env}}}"
        lines.append(f"  {site}: {{tenant: {site}, table_prefix: '{prefix}', {connection}}}")
    path = tmp_path / "pseamigrate.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def project_onto(actual: Any, expected: Any) -> Any:
    """Keep from `actual` only the keys `expected` has (the builder reports the documented core)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return {key: project_onto(actual.get(key), value) for key, value in expected.items()}
    return actual


def planted(built: dict[str, tuple[URL, SiteReport]]) -> set[tuple[Any, ...]]:
    """Turn the builder's drift notes into the diff rows they must produce."""
    rows: set[tuple[Any, ...]] = set()
    for _, report in built.values():
        drift = report.drift
        for bundle, fields in drift.get("extra_fields", {}).items():
            rows |= {("field", bundle, field, "present") for field in fields}
        for bundle, fields in drift.get("deleted_fields", {}).items():
            rows |= {("field", bundle, field, "present") for field in fields}
        for field in drift.get("extra_list_values", {}):
            bundles = report.expected["bundles"]
            rows |= {
                ("field", b, field, "allowed_values")
                for b in bundles
                if field in bundles[b]["fields"]
            }
        if drift.get("double_encoded"):
            rows.add(("encoding", None, None, "latin1_tables"))
        # Unix-time dates (#22): an integer field where the others have a date field.
        for bundle, fields in drift.get("unix_dates", {}).items():
            rows |= {("field", bundle, field, "type") for field in fields}
        # Names a clone changed (#22): both names are present in some sites, not in others.
        for old, new in drift.get("renamed_vocabularies", {}).items():
            rows |= {("vocabulary", name, None, "present") for name in (old, new)}
        for bundle, renamed in drift.get("renamed_fields", {}).items():
            for old, new in renamed.items():
                rows |= {("field", bundle, name, "present") for name in (old, new)}
    # Site facts (#14): the sites' charsets and default languages differ by design.
    drifts = [report.drift for _, report in built.values()]
    if len({d["charset"] for d in drifts}) > 1:
        rows.add(("encoding", None, None, "charsets"))
    if len({d["timezone"] for d in drifts}) > 1:  # #22: Iraq and DRC are not in UTC
        rows.add(("site", None, None, "timezone"))
    if len({d["language"] for d in drifts}) > 1:
        rows.add(("site", None, None, "default_language"))
        if any(report.layout == "d8" for _, report in built.values()):
            rows.add(("site", None, None, "modules"))  # 8+ enables `language` off English
    return rows


@pytest.mark.parametrize(("layout", "prefix"), [("d7", ""), ("d8", "crp_")])
def test_inspect_and_diff_on_sample_sites(
    any_server, make_db, tmp_path, monkeypatch, layout: str, prefix: str
) -> None:
    built = build_all(make_db, any_server, layout, prefix)
    config = write_project(tmp_path, monkeypatch, built, prefix)
    for site, (_, report) in built.items():
        result = runner.invoke(app, ["--config", str(config), "inspect", site, "--json"])
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        assert project_onto(data, report.expected) == report.expected, site
        # nothing more than the builder wrote: same bundles, same live fields, same vocabularies
        assert set(data["bundles"]) == set(report.expected["bundles"])
        for name, bundle in report.expected["bundles"].items():
            assert set(data["bundles"][name]["fields"]) == set(bundle["fields"]), (site, name)
        assert set(data["vocabularies"]) == set(report.expected["vocabularies"])
        assert data["problems"] == []
    result = runner.invoke(app, ["--config", str(config), "diff", *built, "--json"])
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)["differences"]
    found = {(r["kind"], r["bundle"], r["field"], r["property"]) for r in rows}
    assert found == planted(built)
    assert found  # the sample sites do carry drift
    deleted = [r for r in rows if "deleted" in r["values"].values()]
    assert {site for r in deleted for site, v in r["values"].items() if v == "deleted"} == {"drc"}


def test_double_encoded_text_is_read_right(mariadb_server, make_db) -> None:
    url = make_db(mariadb_server)
    report = build_site(url, "iraq", "d7", scale=SCALE)
    assert report.drift["double_encoded"] is True
    engine = make_engine(url)
    texts: list[str] = []
    try:
        with open_site(engine) as site:
            assert "node" in site.latin1_tables()
            for bundle in site.model.bundles:
                for batch in site.iter_entities(bundle, batch_size=7):
                    for record in batch:
                        texts += [v for v in record.base.values() if isinstance(v, str)]
                        texts += [
                            v
                            for values in record.fields.values()
                            for value in values
                            for v in value.values()
                            if isinstance(v, str)
                        ]
            for batch in site.iter_terms("location"):
                texts += [r.base["name"] for r in batch]
    finally:
        engine.dispose()
    assert any(not t.isascii() for t in texts), "the sample writes Arabic and accented text"
    assert not [t for t in texts if any(m in t for m in MOJIBAKE)]
    assert any("\u0600" <= ch <= "\u06ff" for t in texts for ch in t)  # Arabic survived
