"""`format_date`'s `from_timezone`/`to_timezone`, and the site's zone as the default for Unix times
into `date` columns (#22 item 5). Pure: no database."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pseamigrate.drupal.model import SiteTimeZone
from pseamigrate.errors import MappingError
from pseamigrate.mapping.check import check_findings
from pseamigrate.mapping.load import load_mapping
from pseamigrate.mapping.scaffold import scaffold_mapping
from pseamigrate.mapping.zones import in_site_timezone, site_dated, unix_dates
from pseamigrate.target.model import load_model
from pseamigrate.transform.process import Context, transform_row
from tests.mapping.crp_sites import crp_site
from tests.transform.test_process import _entity

# 2024-01-30 21:40 UTC: the 31st in Baghdad (+03); 2024-01-31 04:20 UTC: the 30th in
# Port-au-Prince (-05).
LATE_UTC, EARLY_UTC = 1706650800, 1706674800


def _date(tmp_path: Path, options: str = "") -> str:
    return (
        "      date_received: {plugin: format_date, source: field_when, from_format: U,\n"
        f"        to_format: Y-m-d{options}}}\n"
    )


def test_to_timezone_gives_the_date_in_that_zone(tmp_path: Path) -> None:
    baghdad = _entity(tmp_path, _date(tmp_path, ", to_timezone: Asia/Baghdad"))
    assert transform_row(baghdad, {"field_when": LATE_UTC}) == {"date_received": "2024-01-31"}
    haiti = _entity(tmp_path, _date(tmp_path, ", to_timezone: America/Port-au-Prince"))
    assert transform_row(haiti, {"field_when": EARLY_UTC}) == {"date_received": "2024-01-30"}
    utc = _entity(tmp_path, _date(tmp_path, ", to_timezone: UTC"))
    assert transform_row(utc, {"field_when": LATE_UTC}) == {"date_received": "2024-01-30"}
    assert transform_row(utc, {"field_when": EARLY_UTC}) == {"date_received": "2024-01-31"}


def test_from_timezone_reads_wall_clock_times_and_leaves_unix_time_alone(tmp_path: Path) -> None:
    process = (
        "      created_at: {plugin: format_date, source: s, from_format: 'Y-m-d H:i:s',\n"
        "        from_timezone: America/Port-au-Prince, to_timezone: Asia/Baghdad}\n"
        "      changed_at: {plugin: format_date, source: u, from_format: U,\n"
        "        from_timezone: America/Port-au-Prince, to_timezone: UTC}\n"
    )
    values = transform_row(_entity(tmp_path, process), {"s": "2024-01-30 23:20:00", "u": 0})
    # 23:20 at -05 is 04:20 UTC, 07:20 in Baghdad; a Unix time has no zone of its own (as PHP)
    assert values == {"created_at": "2024-01-31 07:20:00", "changed_at": "1970-01-01 00:00:00"}


@pytest.mark.parametrize("option", ["from_timezone", "to_timezone"])
def test_an_unknown_zone_is_a_problem_with_its_line(tmp_path: Path, option: str) -> None:
    with pytest.raises(MappingError) as caught:
        _entity(tmp_path, _date(tmp_path, f", {option}: Asia/Bagdad"))
    [problem] = caught.value.problems
    assert (problem.line, problem.path) == (10, f"entities.e.process.date_received.{option}")
    assert problem.message == "unknown time zone 'Asia/Bagdad' (a name such as UTC, Asia/Baghdad)"


def test_the_sites_zone_fills_only_unix_times_into_date_columns(tmp_path: Path) -> None:
    process = _date(tmp_path) + (
        "      created_at: {plugin: format_date, source: created, from_format: U}\n"
        "      extra/when: {plugin: format_date, source: field_when, from_format: U,\n"
        "        to_format: Y-m-d}\n"
    )
    em = _entity(tmp_path, process)
    complaint = load_model().entities["complaint"]
    assert [(u.column, u.zone) for u in unix_dates(em, complaint)] == [("date_received", None)]
    zoned = in_site_timezone(em, complaint, "Asia/Baghdad")
    row = {"field_when": LATE_UTC, "created": LATE_UTC}
    assert transform_row(zoned, row) == {
        "date_received": "2024-01-31",  # the date the site shows
        "created_at": "2024-01-30 21:40:00",  # a datetime column: UTC
        "extra": {"when": "2024-01-30"},  # not a date column: Migrate's default, UTC
    }
    assert transform_row(em, row)["date_received"] == "2024-01-30"  # the mapping alone: UTC
    assert site_dated(em, complaint, "Asia/Baghdad") is site_dated(em, complaint, "Asia/Baghdad")


def test_a_zone_the_mapping_names_wins_over_the_sites(tmp_path: Path) -> None:
    em = _entity(tmp_path, _date(tmp_path, ", to_timezone: UTC"))
    complaint = load_model().entities["complaint"]
    assert [(u.column, u.zone) for u in unix_dates(em, complaint)] == [("date_received", "UTC")]
    assert in_site_timezone(em, complaint, "Asia/Baghdad") is em
    ctx = Context()
    assert transform_row(em, {"field_when": LATE_UTC}, ctx) == {"date_received": "2024-01-30"}


@pytest.mark.parametrize("mode", ["todo", "extra"])
@pytest.mark.parametrize(
    ("site", "zone"), [("iraq", "Asia/Baghdad"), ("drc", "America/Port-au-Prince")]
)
def test_the_scaffold_writes_the_zones_of_every_format_date(
    tmp_path: Path, mode: str, site: str, zone: str
) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(scaffold_mapping(crp_site(site), load_model(), site, site, mode), "utf-8")
    mapping = load_mapping(path)
    steps = [
        (em.bundle, pf.destination, step)
        for em in mapping.entities
        for pf in em.process
        for step in pf.steps
        if step.plugin == "format_date"
    ]
    assert len(steps) == 3 * 2 + 3  # created/changed on each bundle, one date on each
    for bundle, destination, step in steps:
        assert {"from_timezone", "to_timezone"} <= set(step.options), (bundle, destination)
    zones = {(b, d): (s.options["from_timezone"], s.options["to_timezone"]) for b, d, s in steps}
    assert zones[("complaint", "date_received")] == ("UTC", zone)  # Unix time: the site's zone
    assert zones[("complaint", "created_at")] == ("UTC", "UTC")  # a datetime column
    assert zones[("referral", "referral_date")] == ("UTC", "UTC")  # a calendar date, as stored


def test_a_drupal_datetime_with_hours_becomes_the_date_in_the_sites_zone(tmp_path: Path) -> None:
    site = crp_site("iraq", "d8")
    key = ("node", "field_referral_date")
    with_hours = dataclasses.replace(site.fields[key], settings={"datetime_type": "datetime"})
    site = dataclasses.replace(
        site,
        fields={**site.fields, key: with_hours},
        timezone=SiteTimeZone("Asia/Baghdad", "config system.date timezone.default"),
    )
    path = tmp_path / "m.yaml"
    path.write_text(scaffold_mapping(site, load_model(), "iraq", "iraq"), "utf-8")
    referral = next(e for e in load_mapping(path).entities if e.bundle == "referral")
    step = referral.process[[p.destination for p in referral.process].index("referral_date")]
    assert dict(step.steps[0].options) == {
        "from_format": "Y-m-d\\TH:i:s",
        "to_format": "Y-m-d",
        "from_timezone": "UTC",
        "to_timezone": "Asia/Baghdad",
    }
    values = transform_row(referral, {"field_referral_date": "2024-01-30T21:40:00"})
    assert values["referral_date"] == "2024-01-31"


def test_check_warns_when_a_datetime_column_gets_a_local_time(tmp_path: Path) -> None:
    process = (
        "      created_at: {plugin: format_date, source: created, from_format: U,\n"
        "        to_timezone: Asia/Baghdad}\n"
        "      changed_at: {plugin: format_date, source: changed, from_format: U,\n"
        "        to_timezone: UTC}\n"
    )
    em = _entity(tmp_path, process)
    mapping = load_mapping(tmp_path / "m.yaml")
    warnings = [w for w in check_findings(mapping, crp_site("iraq")).warnings if "UTC" in w.message]
    assert [(w.path, w.message) for w in warnings] == [
        (
            "entities.e.process.created_at",
            "created_at is a datetime column, which holds UTC, not Asia/Baghdad",
        )
    ]
    assert em.field("created_at") is not None
