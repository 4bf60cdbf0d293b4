"""Unix-time dates become the dates the site shows, in its own time zone (#22 item 5).

Iraq (Asia/Baghdad, +03) and DRC (America/Port-au-Prince, -05/-04) keep `field_date_received`
as Unix time; every 11th complaint was received near midnight there, so its UTC date is another
day. The migrated `date_received` must be the date in the site's zone, whether the mapping names
the zone (the shipped mappings do) or leaves it to the site (read at run time).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text

from pseamigrate.db import make_engine
from pseamigrate.drupal import open_site
from pseamigrate.mapping.check import check_findings
from pseamigrate.mapping.load import load_mapping
from pseamigrate.resources import MAPPINGS_DIR
from pseamigrate.sample import build_site
from pseamigrate.servers import LocalServer
from pseamigrate.target.commands import create_schema
from tests.conftest import _admin as admin
from tests.migrate.helpers import Project, reset_target

ZONES = {"iraq": "Asia/Baghdad", "drc": "America/Port-au-Prince"}
SCALE = 0.3  # 36 complaints: 3 near midnight per site (unless left empty)


@pytest.fixture(scope="module", params=["d7", "d8"])
def zoned(
    request: pytest.FixtureRequest,
    mariadb_server: LocalServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Project:
    """Iraq and DRC in one layout, the shipped mappings copied, and an empty target."""
    layout = request.param
    name = f"tz_{layout}"
    workdir = tmp_path_factory.mktemp(name)
    target = f"{name}_target"
    admin(mariadb_server, f"DROP DATABASE IF EXISTS `{target}`")
    admin(mariadb_server, f"CREATE DATABASE `{target}` CHARACTER SET utf8mb4")
    project = Project(
        mariadb_server,
        name,
        workdir / "pseamigrate.yaml",
        mariadb_server.url(target),
        workdir / "store",
    )
    mappings = workdir / "mappings"
    (mappings / "shared").mkdir(parents=True)
    (mappings / "sites").mkdir()
    template = MAPPINGS_DIR / "shared" / "crp-template.yaml"
    (mappings / "shared" / template.name).write_text(template.read_text("utf-8"), "utf-8")
    lines = ["sites:"]
    for site in ZONES:
        database = f"{name}_{site}"
        admin(mariadb_server, f"DROP DATABASE IF EXISTS `{database}`")
        admin(mariadb_server, f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4")
        url = mariadb_server.url(database)
        project.reports[site] = build_site(url, site, layout, scale=SCALE)
        project.sources[site] = url
        shipped = (MAPPINGS_DIR / "sites" / f"{site}.yaml").read_text("utf-8")
        (mappings / "sites" / f"{site}.yaml").write_text(shipped, "utf-8")
        variable = f"PM_TZ_{layout.upper()}_{site.upper()}"
        os.environ[variable] = url.render_as_string(hide_password=False)
        lines += [
            f"  {site}:",
            f"    tenant: {site}",
            f"    connection: {{url_env: {variable}}}",
            f"    mapping: {mappings / 'sites' / f'{site}.yaml'}",
        ]
    variable = f"PM_TZ_{layout.upper()}_TARGET"
    os.environ[variable] = project.target.render_as_string(hide_password=False)
    lines += ["target:", f"  connection: {{url_env: {variable}}}", f"  files_dir: {project.store}"]
    project.path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    engine = make_engine(project.target)
    try:
        with engine.connect() as conn:
            create_schema(conn)
    finally:
        engine.dispose()
    return project


@pytest.fixture
def fresh(zoned: Project) -> Iterator[Project]:
    """The module's project with an empty target and the shipped mappings."""
    reset_target(zoned)
    for site in ZONES:
        shipped = (MAPPINGS_DIR / "sites" / f"{site}.yaml").read_text("utf-8")
        _mapping_path(zoned, site).write_text(shipped, "utf-8")
    yield zoned


def _mapping_path(project: Project, site: str) -> Path:
    return project.path.parent / "mappings" / "sites" / f"{site}.yaml"


def _source_stamps(project: Project, site: str) -> dict[int, int]:
    """Return nid → the Unix time of the complaint's date received, read with plain SQL."""
    layout = project.name.removeprefix("tz_")
    table = "field_data_field_date_received" if layout == "d7" else "node__field_date_received"
    engine = create_engine(project.sources[site])
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(f"SELECT entity_id, field_date_received_value FROM {table} WHERE deleted = 0")
            )
            return {int(nid): int(stamp) for nid, stamp in rows}
    finally:
        engine.dispose()


def _migrated_dates(project: Project, site: str) -> dict[int, dt.date | None]:
    engine = create_engine(project.target)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT c.source_id, c.date_received FROM complaints c "
                    "JOIN tenants t ON t.id = c.tenant_id WHERE t.code = :code"
                ),
                {"code": site},
            )
            return {int(nid): day for nid, day in rows}
    finally:
        engine.dispose()


def _assert_dates_in_the_sites_zone(project: Project) -> None:
    for site, zone in ZONES.items():
        stamps = _source_stamps(project, site)
        migrated = _migrated_dates(project, site)
        midnight = [int(nid) for nid in project.reports[site].planted["midnight_dates"]]
        assert len(midnight) >= 2, site
        for nid, stamp in stamps.items():
            local = dt.datetime.fromtimestamp(stamp, ZoneInfo(zone)).date()
            assert migrated[nid] == local, (site, nid)
        for nid in midnight:  # the trap is there: in UTC these are another day
            utc = dt.datetime.fromtimestamp(stamps[nid], dt.UTC).date()
            assert migrated[nid] != utc, (site, nid)


def test_the_shipped_mappings_write_the_date_the_site_shows(fresh: Project) -> None:
    report = fresh.migrate()
    assert report.failed_rows() == 0
    _assert_dates_in_the_sites_zone(fresh)


def test_without_to_timezone_the_run_reads_the_sites_zone(fresh: Project) -> None:
    for site, zone in ZONES.items():
        path = _mapping_path(fresh, site)
        written = path.read_text("utf-8")
        assert f"        to_timezone: {zone}\n" in written
        path.write_text(written.replace(f"        to_timezone: {zone}\n", ""), "utf-8")
    report = fresh.migrate()
    assert report.failed_rows() == 0
    _assert_dates_in_the_sites_zone(fresh)


def test_check_names_the_zone_it_reads_from_the_site(fresh: Project) -> None:
    for site, zone in ZONES.items():
        path = _mapping_path(fresh, site)
        written = path.read_text("utf-8")
        path.write_text(written.replace(f"        to_timezone: {zone}\n", ""), "utf-8")
        engine = make_engine(fresh.sources[site])
        try:
            with open_site(engine) as opened:
                findings = check_findings(load_mapping(path), opened.model)
        finally:
            engine.dispose()
        assert findings.problems == []
        assert [w.message for w in findings.warnings if "time zone" in w.message] == [
            f"date_received: Unix times become dates in the site's time zone {zone} (read from "
            f"the site); write to_timezone: {zone} to make it explicit"
        ]


def test_a_zone_other_than_the_sites_is_used_and_warned_about(fresh: Project) -> None:
    path = _mapping_path(fresh, "iraq")
    written = path.read_text("utf-8")
    path.write_text(written.replace("to_timezone: Asia/Baghdad", "to_timezone: UTC"), "utf-8")
    engine = make_engine(fresh.sources["iraq"])
    try:
        with open_site(engine) as opened:
            findings = check_findings(load_mapping(path), opened.model)
    finally:
        engine.dispose()
    assert [w.message for w in findings.warnings if "time zone" in w.message] == [
        "date_received: Unix times become dates in UTC, but the site's time zone is Asia/Baghdad"
    ]
    fresh.migrate(["iraq"])
    stamps, migrated = _source_stamps(fresh, "iraq"), _migrated_dates(fresh, "iraq")
    assert all(
        migrated[nid] == dt.datetime.fromtimestamp(stamp, dt.UTC).date()
        for nid, stamp in stamps.items()
    )
