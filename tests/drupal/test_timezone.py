"""The site's time zone (#22 item 5): read from Drupal 7 `variable` and 8+ `system.date`, shown
by `inspect` (text and JSON), UTC with a note when unset; on generated sites and core's fixtures."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.db import make_engine
from pseamigrate.drupal import open_site
from pseamigrate.drupal.model import SiteTimeZone
from pseamigrate.sample import build_site
from pseamigrate.sample.sql import php
from pseamigrate.servers import LocalServer

D7_SETTING = "variable date_default_timezone"
D8_SETTING = "config system.date timezone.default"


def _zone(url: URL) -> SiteTimeZone:
    engine = make_engine(url)
    try:
        with open_site(engine) as site:
            return site.model.timezone
    finally:
        engine.dispose()


def _run(url: URL, statement: str, params: dict[str, object]) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement), params)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("site", "layout", "expected"),
    [
        ("iraq", "d7", SiteTimeZone("Asia/Baghdad", D7_SETTING)),
        ("iraq", "d8", SiteTimeZone("Asia/Baghdad", D8_SETTING)),
        ("drc", "d7", SiteTimeZone("America/Port-au-Prince", D7_SETTING)),
        ("drc", "d8", SiteTimeZone("America/Port-au-Prince", D8_SETTING)),
        ("demo", "d8", SiteTimeZone("UTC", D8_SETTING)),
    ],
)
def test_the_generated_sites_time_zone_is_read(
    mariadb_server: LocalServer,
    make_db: Callable[[LocalServer], URL],
    site: str,
    layout: str,
    expected: SiteTimeZone,
) -> None:
    url = make_db(mariadb_server)
    build_site(url, site, layout, scale=0.03)
    assert _zone(url) == expected


@pytest.mark.parametrize("layout", ["d7", "d8"])
def test_a_site_without_a_time_zone_is_read_as_utc_with_a_note(
    mariadb_server: LocalServer, make_db: Callable[[LocalServer], URL], layout: str
) -> None:
    url = make_db(mariadb_server)
    build_site(url, "iraq", layout, scale=0.03)
    if layout == "d7":
        _run(url, "DELETE FROM variable WHERE name = 'date_default_timezone'", {})
    else:
        _run(url, "DELETE FROM config WHERE name = 'system.date'", {})
    zone = _zone(url)
    setting = D7_SETTING if layout == "d7" else D8_SETTING
    assert zone == SiteTimeZone(
        "UTC", "", f"the site sets no time zone ({setting}): dates are read in UTC"
    )


def test_a_zone_this_machine_does_not_know_is_read_as_utc_with_a_note(
    mariadb_server: LocalServer, make_db: Callable[[LocalServer], URL]
) -> None:
    url = make_db(mariadb_server)
    build_site(url, "iraq", "d7", scale=0.03)
    _run(
        url,
        "UPDATE variable SET value = :v WHERE name = 'date_default_timezone'",
        {"v": php("Mars/Olympus_Mons")},
    )
    zone = _zone(url)
    assert (zone.name, zone.setting) == ("UTC", "")
    assert zone.note == f"{D7_SETTING} names no zone this machine knows: dates are read in UTC"


@pytest.mark.parametrize(
    ("dump", "expected"),
    [
        ("d7", SiteTimeZone("America/Chicago", D7_SETTING)),
        ("d9", SiteTimeZone("Europe/Berlin", D8_SETTING)),
        ("d10", SiteTimeZone("Europe/Berlin", D8_SETTING)),
        ("d11", SiteTimeZone("Europe/Berlin", D8_SETTING)),
    ],
)
def test_drupal_core_fixtures_read_their_configured_zone(
    drupal_core: dict[str, URL], dump: str, expected: SiteTimeZone
) -> None:
    assert _zone(drupal_core[dump]) == expected


def test_inspect_shows_the_zone_in_text_and_json(
    mariadb_server: LocalServer,
    make_db: Callable[[LocalServer], URL],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = make_db(mariadb_server)
    build_site(url, "iraq", "d8", scale=0.03)
    monkeypatch.setenv("PSEA_TEST_TZ_URL", url.render_as_string(hide_password=False))
    project = tmp_path / "pseamigrate.yaml"
    project.write_text(
        "sites:\n  iraq: {tenant: iraq, connection: {url_env: PSEA_TEST_TZ_URL}}\n", "utf-8"
    )
    runner = CliRunner()
    shown = runner.invoke(app, ["--config", str(project), "inspect", "iraq"])
    assert shown.exit_code == 0, shown.output
    line = f"time zone: Asia/Baghdad ({D8_SETTING}): Unix-time dates become dates in it"
    assert line in shown.stdout
    as_json = runner.invoke(app, ["--config", str(project), "inspect", "iraq", "--json"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout)["timezone"] == {
        "name": "Asia/Baghdad",
        "setting": D8_SETTING,
        "note": "",
    }
