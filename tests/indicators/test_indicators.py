"""`pseamigrate indicators` on real servers: every indicator equals a hand-written computation
over the source Drupal databases, suppression holds across tenants, and nothing leaks (#29)."""

from __future__ import annotations

import datetime as dt
import json
import stat
from collections import Counter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.servers import LocalServer
from tests.indicators.test_suppress import solve_by_elimination
from tests.migrate.helpers import SITES, Project, make_project
from tests.migrate.test_cli import _sensitive_values

runner = CliRunner()
# The two clones whose date received is Unix time, and the zone their mapping reads it in.
UNIX_DATES = {"iraq": "Asia/Baghdad", "drc": "America/Port-au-Prince"}
CHANNELS = ("hotline", "complaint_box", "in_person", "email", "community_focal_point")
AGE_GROUPS = ("0_11", "12_17", "18_59", "60_plus")
PARTICIPANTS = ("women", "men", "girls", "boys")


@pytest.fixture(scope="module", params=[("mariadb", "d7"), ("mysql", "d8")], ids="-".join)
def migrated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The four sample sites, one layout per server flavour, migrated once."""
    flavor, layout = request.param
    server: LocalServer = request.getfixturevalue(f"{flavor}_server")
    name = f"ind_{flavor[:2]}{layout}"
    project = make_project(
        server,
        tmp_path_factory.mktemp(name),
        name,
        layout,
        sites=request.getfixturevalue("sample_sites"),
    )
    project.layout = layout  # type: ignore[attr-defined]
    assert project.migrate().failed_rows() == 0
    return project


def _run(project: Project, *args: str, plaintext: bool = True) -> tuple[int, str, str]:
    allow = ["--allow-plaintext-target"] if plaintext else []
    result = runner.invoke(app, ["--config", str(project.path), *args, *allow])
    return result.exit_code, result.stdout, result.stderr


# --- the hand-written computation over a source site ----------------------------------------


def _field_sql(layout: str, bundle: str, fields: list[str]) -> str:
    """One row per node of `bundle`: its nid and the first value of each field (or NULL)."""
    columns = ", ".join(f"f{i}.{name}_value" for i, name in enumerate(fields))
    if layout == "d7":
        joins = " ".join(
            f"LEFT JOIN field_data_{name} f{i} ON f{i}.entity_type = 'node' "
            f"AND f{i}.entity_id = n.nid AND f{i}.deleted = 0 AND f{i}.delta = 0"
            for i, name in enumerate(fields)
        )
        return f"SELECT n.nid, {columns} FROM node n {joins} WHERE n.type = '{bundle}'"
    joins = " ".join(
        f"LEFT JOIN node__{name} f{i} ON f{i}.entity_id = n.nid AND f{i}.deleted = 0 "
        f"AND f{i}.delta = 0 AND f{i}.langcode = n.langcode"
        for i, name in enumerate(fields)
    )
    return (
        f"SELECT n.nid, {columns} FROM node_field_data n {joins} "
        f"WHERE n.type = '{bundle}' AND n.default_langcode = 1"
    )


def _source_rows(url: URL, sql: str) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


def _month(site: str, value: Any) -> str:
    """The month a source date falls in, as the site showed it."""
    if value is None or value == "":
        return "not recorded"
    if site in UNIX_DATES:
        moment = dt.datetime.fromtimestamp(int(value), tz=ZoneInfo(UNIX_DATES[site]))
        return moment.strftime("%Y-%m")
    return str(value)[:7]


def _channel(value: Any) -> str:
    if value is None:
        return "not recorded"
    return value if value in CHANNELS else "other"  # Iraq's camp_committee (iraq.yaml)


def source_indicators(project: Project, site: str) -> dict[str, Counter[str]]:
    """Every shipped indicator computed from the site's own Drupal database."""
    layout = project.layout  # type: ignore[attr-defined]
    url = project.sources[site]
    complaint_fields = [
        "field_date_received", "field_intake_channel", "field_survivor_sex",
        "field_survivor_age_group", "field_referred_va",
    ]  # fmt: skip
    complaints = _source_rows(url, _field_sql(layout, "complaint", complaint_fields))
    session_fields = ["field_session_date", *(f"field_participants_{p}" for p in PARTICIPANTS)]
    sessions = _source_rows(url, _field_sql(layout, "awareness_session", session_fields))
    participants: Counter[str] = Counter()
    for _, date, *counts in sessions:
        participants[str(date)[:7] if date else "not recorded"] += sum(int(c or 0) for c in counts)
    return {
        "complaints_per_month": Counter(_month(site, row[1]) for row in complaints),
        "complaints_by_intake_channel": Counter(_channel(row[2]) for row in complaints),
        "complaints_by_survivor_sex": Counter(row[3] or "not recorded" for row in complaints),
        "complaints_by_survivor_age_group": Counter(
            row[4] if row[4] in AGE_GROUPS else "unknown" for row in complaints
        ),
        "complaints_referred_to_victim_assistance": Counter(
            "not recorded" if row[5] is None else "yes" if int(row[5]) else "no"
            for row in complaints
        ),
        "awareness_sessions_per_month": Counter(
            str(row[1])[:7] if row[1] else "not recorded" for row in sessions
        ),
        "awareness_participants_per_month": participants,
    }


def _cells(indicator: dict[str, Any], row: str) -> dict[str, int | None]:
    found = next(r for r in indicator["rows"] if r["row"] == row)
    return {label: value for label, value in found["cells"].items() if label != "total"}


# --- the tests ---------------------------------------------------------------------------------


def test_every_indicator_equals_the_source_computation(migrated: Project) -> None:
    for site in SITES:
        code, out, err = _run(migrated, "indicators", site, "--no-suppression", "--json")
        assert code == 0, err
        report = json.loads(out)
        assert report["suppression"] == {"applied": False, "threshold": 5}
        expected = source_indicators(migrated, site)
        assert {i["name"] for i in report["indicators"]} == set(expected)
        for indicator in report["indicators"]:
            cells = _cells(indicator, site)
            nonzero = {label: value for label, value in cells.items() if value}
            assert nonzero == {k: v for k, v in expected[indicator["name"]].items() if v}, (
                site,
                indicator["name"],
            )


def test_across_tenants_no_small_cell_is_published_nor_solvable(migrated: Project) -> None:
    code, out, err = _run(migrated, "indicators", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["suppression"] == {"applied": True, "threshold": 5}
    assert report["tenants"] == list(SITES)
    expected = {site: source_indicators(migrated, site) for site in SITES}
    hidden_somewhere = 0
    for indicator in report["indicators"]:
        table = [list(row["cells"].values()) for row in indicator["rows"]]
        assert [row["row"] for row in indicator["rows"]] == [*SITES, "all tenants"]
        published = [v for row in table for v in row if v is not None]
        if indicator["unit"] in ("cases", "people"):
            assert not [v for v in published if 0 < v < 5], indicator["name"]
            assert solve_by_elimination(table, True) == {}, indicator["name"]
        hidden_somewhere += indicator["suppressed_cells"]
        for site in SITES:
            for label, value in _cells(indicator, site).items():
                if value is not None:  # every published cell is the source's number
                    assert value == expected[site][indicator["name"]].get(label, 0)
    assert hidden_somewhere > 0  # the sample sites have small cells: the test has teeth


def test_no_suppression_is_for_one_tenant_only(migrated: Project) -> None:
    code, _, err = _run(migrated, "indicators", "iraq", "syria", "--no-suppression")
    assert code == 2 and "only for a single tenant" in err


def test_a_plaintext_target_is_refused_without_the_override(migrated: Project) -> None:
    code, out, err = _run(migrated, "indicators", "iraq", plaintext=False)
    assert code == 4 and "encryption" in err and out == ""


def test_period_limits_every_indicator_to_its_dates(migrated: Project) -> None:
    site = "drc"
    complaints = source_indicators(migrated, site)["complaints_per_month"]
    months = sorted(m for m in complaints if m != "not recorded")
    first, last = months[len(months) // 3], months[2 * len(months) // 3]
    code, out, err = _run(
        migrated, "indicators", site, "--no-suppression", "--json", "--period", f"{first}..{last}"
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["period"].startswith(f"{first}-01..{last}-")
    per_month = next(i for i in report["indicators"] if i["name"] == "complaints_per_month")
    expected = {m: n for m, n in complaints.items() if first <= m <= last}
    assert {k: v for k, v in _cells(per_month, site).items() if v} == expected
    channels = next(i for i in report["indicators"] if i["name"] == "complaints_by_intake_channel")
    assert sum(v or 0 for v in _cells(channels, site).values()) == sum(expected.values())
    assert sum(expected.values()) < sum(complaints.values())  # the period did cut rows


def test_csv_files_are_private_and_no_output_carries_a_value(
    migrated: Project, tmp_path: Path
) -> None:
    folder = tmp_path / "out" / "indicators"
    code, table_out, err = _run(migrated, "indicators", "--csv", str(folder))
    assert code == 0, err
    assert "Complaints received per month" in table_out and "suppression:" in table_out
    files = sorted(p.name for p in folder.iterdir())
    assert files == sorted(
        ["_about.csv", *(f"{n}.csv" for n in source_indicators(migrated, "iraq"))]
    )
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o600}
    about = (folder / "_about.csv").read_text("utf-8")
    assert "suppression_applied,true" in about and "suppression_threshold,5" in about
    by_month = (folder / "complaints_per_month.csv").read_text("utf-8").splitlines()
    assert by_month[0].startswith("tenant,") and by_month[-1].startswith("all tenants,")
    assert any(",x" in line for line in by_month[1:])
    outputs = [table_out, err, *(p.read_text("utf-8") for p in folder.iterdir())]
    code, json_out, err = _run(migrated, "indicators", "iraq", "--no-suppression", "--json")
    assert code == 0, err
    outputs += [json_out, err]
    everything = "\n".join(outputs)
    sensitive = _sensitive_values(migrated)
    assert sensitive  # the scan has something to look for
    assert [value for value in sensitive if value in everything] == []


def _execute(project: Project, *statements: str) -> None:
    engine = create_engine(project.target)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def test_compare_is_clean_after_the_migration_and_names_a_planted_change(
    migrated: Project,
) -> None:
    code, out, err = _run(migrated, "indicators", "--compare")
    assert code == 0, err + out
    assert "every indicator is equal on the sources and the target" in out
    tenant = "(SELECT id FROM tenants WHERE code = 'iraq')"
    row = migrated.scalar(
        f"SELECT id FROM complaints WHERE tenant_id = {tenant} AND date_received IS NOT NULL "
        "AND referred_to_victim_assistance = 1 ORDER BY id LIMIT 1"
    )
    moved_from = str(migrated.scalar(f"SELECT date_received FROM complaints WHERE id = {row}"))
    # The last day of the month before: the date crosses a month boundary.
    moved_to = (dt.date.fromisoformat(moved_from).replace(day=1) - dt.timedelta(days=1)).isoformat()
    _execute(
        migrated,
        f"UPDATE complaints SET date_received = '{moved_to}', "
        f"referred_to_victim_assistance = 0 WHERE id = {row}",
    )
    try:
        code, out, err = _run(migrated, "indicators", "iraq", "--compare", "--json")
    finally:
        _execute(
            migrated,
            f"UPDATE complaints SET date_received = '{moved_from}', "
            f"referred_to_victim_assistance = 1 WHERE id = {row}",
        )
    assert code == 3, err
    differences = json.loads(out)["compare"]["differences"]
    assert sorted((d["indicator"], d["tenant"], d["cell"]) for d in differences) == [
        ("complaints_per_month", "iraq", moved_to[:7]),
        ("complaints_per_month", "iraq", moved_from[:7]),
        ("complaints_referred_to_victim_assistance", "iraq", "no"),
        ("complaints_referred_to_victim_assistance", "iraq", "yes"),
    ]
    assert "indicator cells differ from the sources" in err
