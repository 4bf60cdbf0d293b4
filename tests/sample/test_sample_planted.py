"""Every planted problem is where `SiteReport.planted` says, found again with SQL written here
(and, for the utf8mb3 site, through the reader, byte for byte)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text

from pseamigrate.drupal import open_site
from pseamigrate.sample import LAYOUTS, SITE_NAMES, build_site
from pseamigrate.sample.content import SHARED_ACCOUNTS, SiteContent
from pseamigrate.sample.sites import site_spec
from pseamigrate.sample.text import EMOJI

SCALE = 0.15  # 18 complaints: every kind of incident date appears
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d %B %Y")


def sql(engine: Engine, statement: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(statement))]


def field_table(layout: str, field: str) -> str:
    return f"field_data_{field}" if layout == "d7" else f"node__{field}"


def parses(value: str) -> str | None:
    """Return the format a hand-typed date is in, or None when it is no date."""
    for form in DATE_FORMATS:
        try:
            dt.datetime.strptime(value, form)
        except ValueError:
            continue
        return form
    return None


def text_of(column: str) -> str:
    """Read text from the bytes stored (right for latin1 tables holding UTF-8, too)."""
    return f"CONVERT(CAST({column} AS BINARY) USING utf8mb4)"


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("site", SITE_NAMES)
def test_planted_node_problems(mariadb_server, make_db, engine_for, site, layout) -> None:
    url = make_db(mariadb_server)
    report = build_site(url, site, layout, seed=11, scale=SCALE)
    engine = engine_for(url)
    planted = report.planted
    nodes = "node" if layout == "d7" else "node_field_data"
    existing = {nid for (nid,) in sql(engine, f"SELECT nid FROM {nodes}")}
    # A referral points at a complaint nid that was used, then deleted
    # (Iraq's clone names the link field_case_nid, #22)
    link = next(f.name for f in site_spec(site).bundle("referral").fields if f.kind == "noderef")
    ref_table = field_table(layout, link)
    refs = sql(engine, f"SELECT entity_id, {link}_target_id FROM {ref_table}")
    dangling = {nid: target for nid, target in refs if target not in existing}
    assert sorted(dangling) == planted["dangling_complaint_ref"] != []
    assert sorted(set(dangling.values())) == planted["deleted_complaints"]
    assert all(0 < nid < max(existing) for nid in planted["deleted_complaints"])
    # Free-text incident dates: mostly three formats, some no date at all
    date_table = field_table(layout, "field_incident_date")
    dates = sql(
        engine, f"SELECT entity_id, {text_of('field_incident_date_value')} FROM {date_table}"
    )
    complaints = sql(engine, f"SELECT COUNT(*) FROM {nodes} WHERE type = 'complaint'")[0][0]
    assert len(dates) == complaints
    forms = {nid: parses(value) for nid, value in dates}
    assert sorted(n for n, f in forms.items() if f is None) == planted["unparseable_incident_dates"]
    assert set(forms.values()) == {*DATE_FORMATS, None}
    assert {v for _, v in dates if parses(v) is None} == {"last spring", "??", ""}
    # The 4-byte emoji only where the charset holds it
    narratives = sql(engine, f"SELECT entity_id, {text_of('field_narrative_value')} FROM "
                             f"{field_table(layout, 'field_narrative')}")  # fmt: skip
    titles = sql(engine, f"SELECT nid, {text_of('title')} FROM {nodes}")
    emoji = sorted({nid for nid, value in narratives + titles if EMOJI in value})
    assert emoji == planted["emoji_nodes"]
    assert any(EMOJI in title for _, title in titles) == (report.drift["charset"] == "utf8mb4")
    assert bool(emoji) == (report.drift["charset"] == "utf8mb4")


def test_shared_identities_and_missing_files(mariadb_server, make_db, engine_for, tmp_path) -> None:
    """Each pair of sites shares exactly one person (email equal once trimmed and lowercased),
    the account `planted["shared_emails"]` names; missing files have a row but no bytes."""
    emails: dict[str, dict[int, str]] = {}
    for site in SITE_NAMES:
        url = make_db(mariadb_server)
        files = tmp_path / site
        report = build_site(url, site, "d8", seed=11, scale=SCALE, files_dir=files)
        engine = engine_for(url)
        mails = dict(sql(engine, "SELECT uid, mail FROM users_field_data WHERE uid > 0"))
        emails[site] = {uid: mails[uid] for uid in report.planted["shared_emails"]}
        uris = dict(sql(engine, "SELECT fid, uri FROM file_managed"))
        absent = [fid for fid, uri in uris.items() if not _on_disk(files, uri)]
        assert absent == report.planted["missing_files"] != []
        assert report.missing_files == [uris[fid] for fid in absent]
    for first, second in SHARED_ACCOUNTS:
        a = {m.strip().lower() for m in emails[first].values()}
        b = {m.strip().lower() for m in emails[second].values()}
        assert len(a & b) == 1, (first, second)
    raw = [m for site in emails.values() for m in site.values()]
    assert any(m != m.strip().lower() for m in raw)  # case and spaces differ, as typed


def _on_disk(files: Path, uri: str) -> bool:
    scheme, rest = uri.split("://", 1)
    return (files / scheme / rest).is_file()


def test_utf8mb3_site_reads_byte_exact(any_server, make_db, engine_for) -> None:
    """DRC's Drupal 7 tables are utf8mb3 (accented French, no 4-byte characters); the reader
    gives back exactly the text the generator made."""
    url = make_db(any_server)
    report = build_site(url, "drc", "d7", seed=11, scale=SCALE)
    assert report.drift["charset"] == "utf8mb3"
    engine = engine_for(url)
    charsets = sql(
        engine,
        "SELECT DISTINCT CHARACTER_SET_NAME FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = DATABASE() AND CHARACTER_SET_NAME IS NOT NULL",
    )
    assert {c for (c,) in charsets} == {"utf8mb3"}
    content = SiteContent(site_spec("drc"), 11, SCALE, emoji=False)
    spec = site_spec("drc")
    made = {
        n.nid: n.current.values.get("field_narrative", [None])[0]
        for chunk in content.chunks(spec.bundle("complaint"))
        for n in chunk.nodes
    }
    with open_site(engine) as site:
        read = {
            r.id: (r.fields["field_narrative"] or [{"value": None}])[0]["value"]
            for batch in site.iter_entities("complaint")
            for r in batch
        }
        terms = [t.base["name"] for batch in site.iter_terms("allegation_type") for t in batch]
    assert read == made
    assert any("é" in (v or "") for v in read.values())
    assert all(len(ch.encode()) < 4 for v in read.values() if v for ch in v)
    assert any(not t.isascii() for t in terms)  # "Harcèlement sexuel"


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("site", ["iraq", "drc", "demo"])
def test_unix_dates_near_midnight(mariadb_server, make_db, engine_for, site, layout) -> None:
    """Iraq and DRC keep the date received as Unix time and set a zone hours from UTC; the
    complaints whose date there is another day in UTC are the ones `midnight_dates` names."""
    url = make_db(mariadb_server)
    report = build_site(url, site, layout, seed=11, scale=0.5)
    engine = engine_for(url)
    if layout == "d7":
        [(setting,)] = sql(
            engine, "SELECT value FROM variable WHERE name = 'date_default_timezone'"
        )
    else:
        [(setting,)] = sql(engine, "SELECT data FROM config WHERE name = 'system.date'")
    zone = re.findall(rb'"([A-Za-z]+/[A-Za-z_-]+|UTC)"', setting)[0].decode()
    assert zone == {"iraq": "Asia/Baghdad", "drc": "America/Port-au-Prince"}.get(site, "UTC")
    if site == "demo":  # a date field, in UTC: nothing to plant
        assert report.planted["midnight_dates"] == []
        return
    table = field_table(layout, "field_date_received")
    stamps = dict(sql(engine, f"SELECT entity_id, field_date_received_value FROM {table}"))
    local = {nid: dt.datetime.fromtimestamp(s, ZoneInfo(zone)) for nid, s in stamps.items()}
    utc = {nid: dt.datetime.fromtimestamp(s, dt.UTC).date() for nid, s in stamps.items()}
    moved = sorted(nid for nid in stamps if local[nid].date() != utc[nid])
    assert moved == report.planted["midnight_dates"]
    assert len(moved) >= 4  # every 11th of 60 complaints, a few left empty
    assert all(local[nid].hour in (0, 23) for nid in moved)
    assert all(9 <= local[nid].hour < 17 for nid in stamps if nid not in moved)
