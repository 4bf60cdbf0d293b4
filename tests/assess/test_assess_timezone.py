"""`assess` says each site's time zone and the date columns it decides (#22 item 5): a finding in
the terminal, `--json` and `--html`, a warning when the site sets none (real MariaDB)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.resources import MAPPINGS_DIR
from pseamigrate.sample import build_site
from pseamigrate.servers import LocalServer
from tests.conftest import _admin
from tests.drupal.helpers import run

runner = CliRunner()
SITES = {"iraq": "d7", "drc": "d8"}
DATETIME_NOTE = "datetime columns (created_at, changed_at…) hold UTC"


@pytest.fixture(scope="module")
def sites(mariadb_server: LocalServer) -> dict[str, URL]:
    """Iraq (Drupal 7, Asia/Baghdad) and DRC (8+, America/Port-au-Prince), built once."""
    urls = {}
    for site, layout in SITES.items():
        database = f"assess_tz_{site}"
        _admin(mariadb_server, f"DROP DATABASE IF EXISTS `{database}`")
        _admin(mariadb_server, f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4")
        urls[site] = mariadb_server.url(database)
        build_site(urls[site], site, layout, scale=0.1)
    return urls


def _assess(
    urls: dict[str, URL],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mappings: dict[str, Path | None],
) -> tuple[dict[str, Any], str, str]:
    lines = ["sites:"]
    for site, url in urls.items():
        variable = f"PSEA_ASSESS_TZ_{site.upper()}"
        monkeypatch.setenv(variable, url.render_as_string(hide_password=False))
        lines += [f"  {site}:", f"    tenant: {site}", f"    connection: {{url_env: {variable}}}"]
        if mappings.get(site) is not None:
            lines.append(f"    mapping: {mappings[site]}")
    config = tmp_path / "pseamigrate.yaml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    html = tmp_path / "assess.html"
    terminal = runner.invoke(app, ["--config", str(config), "assess", "--html", str(html)])
    as_json = runner.invoke(app, ["--config", str(config), "assess", "--json"])
    assert as_json.exit_code in (0, 3), as_json.output
    return json.loads(as_json.stdout), terminal.stdout, html.read_text(encoding="utf-8")


def _timezone(data: dict[str, Any], site: str) -> dict[str, Any]:
    [found] = [
        f
        for s in data["sites"]
        if s["site"] == site
        for f in s["findings"]
        if f["check"] == "timezone"
    ]
    return found


def _shipped() -> dict[str, Path | None]:
    return {site: MAPPINGS_DIR / "sites" / f"{site}.yaml" for site in SITES}


def test_the_zone_and_the_columns_it_decides(
    sites: dict[str, URL], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, terminal, html = _assess(sites, tmp_path, monkeypatch, _shipped())
    iraq, drc = _timezone(data, "iraq"), _timezone(data, "drc")
    assert iraq == {
        "site": "iraq",
        "check": "timezone",
        "severity": "info",
        "subject": "site",
        "message": "time zone Asia/Baghdad (variable date_default_timezone); Unix times become "
        "dates in it in 1 column(s)",
        "count": 1,
        "ids": ["complaint.date_received"],
        "ids_shown": 1,
        "action": f"dates are written as the site shows them; {DATETIME_NOTE}",
    }
    assert drc["message"] == (
        "time zone America/Port-au-Prince (config system.date timezone.default); Unix times "
        "become dates in it in 1 column(s)"
    )
    assert drc["ids"] == ["complaint.date_received"]
    assert [(s["site"], s["timezone"]) for s in data["sites"]] == [
        ("iraq", "Asia/Baghdad"),
        ("drc", "America/Port-au-Prince"),
    ]
    for text in (terminal, html):  # each site's heading names its zone
        assert ", time zone Asia/Baghdad" in text and ", time zone America/Port-au-Prince" in text


def test_a_site_without_a_zone_is_a_warning(
    sites: dict[str, URL], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(sites["iraq"], "DELETE FROM variable WHERE name = 'date_default_timezone'")
    try:
        implicit = tmp_path / "iraq.yaml"
        shipped = (MAPPINGS_DIR / "sites" / "iraq.yaml").read_text("utf-8")
        implicit.write_text(
            shipped.replace("        to_timezone: Asia/Baghdad\n", "").replace(
                "../shared/", f"{MAPPINGS_DIR / 'shared'}/"
            ),
            "utf-8",
        )
        data, _, _ = _assess(sites, tmp_path, monkeypatch, {**_shipped(), "iraq": implicit})
    finally:
        run(
            sites["iraq"],
            "INSERT INTO variable (name, value) VALUES ('date_default_timezone', :v)",
            params={"v": b's:12:"Asia/Baghdad";'},
        )
    iraq = _timezone(data, "iraq")
    assert iraq["severity"] == "warning"
    assert iraq["message"] == (
        "time zone UTC (the site sets no time zone (variable date_default_timezone): dates are "
        "read in UTC); Unix times become dates in it in 1 column(s)"
    )
    assert iraq["ids"] == ["complaint.date_received"]
    assert iraq["action"].startswith("the site names no time zone: find the one it showed")


def test_a_mapping_zone_other_than_the_sites_is_a_warning_and_without_a_mapping_it_says_so(
    sites: dict[str, URL], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "drc.yaml"
    shipped = (MAPPINGS_DIR / "sites" / "drc.yaml").read_text("utf-8")
    other.write_text(
        shipped.replace("to_timezone: America/Port-au-Prince", "to_timezone: UTC").replace(
            "../shared/", f"{MAPPINGS_DIR / 'shared'}/"
        ),
        "utf-8",
    )
    data, _, _ = _assess(sites, tmp_path, monkeypatch, {"iraq": None, "drc": other})
    drc = _timezone(data, "drc")
    assert drc["severity"] == "warning"
    assert drc["message"].endswith(
        "Unix times become dates in it in 0 column(s); in another zone in "
        "complaint.date_received UTC"
    )
    assert _timezone(data, "iraq")["message"] == (
        "time zone Asia/Baghdad (variable date_default_timezone); no mapping yet to say which "
        "date columns it decides"
    )
