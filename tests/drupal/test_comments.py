"""`iter_comments` and comment counts: on Drupal core's own D7 and D10 databases, and on the
generated sample sites (both layouts, MariaDB and MySQL 9.7), each checked against plain SQL."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from pseamigrate.db import make_engine
from pseamigrate.drupal import DrupalSite, open_site
from pseamigrate.drupal.model import EntityRecord
from pseamigrate.errors import UnknownBundle
from pseamigrate.sample import build_site
from pseamigrate.sample.text import EMOJI
from pseamigrate.servers import LocalServer

SCALE = 0.15
THREAD = re.compile(r"^([0-9][0-9a-z]+\.)*[0-9][0-9a-z]+/$")  # Drupal vancodes: 01/, 01.00/


def sql(engine: Engine, statement: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(statement))]


def comments_of(site: DrupalSite, bundle: str, batch_size: int = 500) -> list[EntityRecord]:
    return [r for batch in site.iter_comments(bundle, batch_size=batch_size) for r in batch]


@pytest.fixture
def opened(engine_for: Callable[[URL], Engine]) -> Iterator[Callable[[URL], DrupalSite]]:
    sites: list[DrupalSite] = []

    def make(url: URL) -> DrupalSite:
        sites.append(open_site(engine_for(url)))
        return sites[-1]

    yield make
    for site in sites:
        site.close()


def test_core_d7_comments(drupal_core_any: dict[str, URL], opened) -> None:
    site = opened(drupal_core_any["d7"])
    engine = make_engine(drupal_core_any["d7"])
    try:
        counted = sql(engine, "SELECT n.type, COUNT(*) FROM comment c JOIN node n USING (nid) "
                              "GROUP BY n.type")  # fmt: skip
        bodies = dict(sql(engine, "SELECT entity_id, comment_body_value FROM "
                                  "field_data_comment_body"))  # fmt: skip
    finally:
        engine.dispose()
    assert dict(site.counts().comments) == dict(counted) == {"article": 2, "test_content_type": 2}
    records = comments_of(site, "test_content_type", batch_size=1)
    assert [r.id for r in records] == [1, 4]
    assert {r.bundle for r in records} == {"comment_node_test_content_type"}
    assert all(r.entity_type == "comment" and r.revision_id is None for r in records)
    assert [r.fields["comment_body"][0]["value"] for r in records] == [bodies[1], bodies[4]]
    assert [(r.base["nid"], r.base["pid"], r.base["thread"]) for r in records] == [
        (1, 0, "01/"),
        (1, 0, "02/"),
    ]
    assert comments_of(site, "forum") == []  # forum nodes have no comments


def test_core_d10_comments(drupal_core_any: dict[str, URL], opened) -> None:
    site = opened(drupal_core_any["d10"])
    assert dict(site.counts().comments) == {"test_content_type": 2}
    records = comments_of(site, "test_content_type")
    assert [r.id for r in records] == [3, 4]
    first, reply = records
    assert (first.base["pid"], first.base["thread"], first.language) == (0, "01/", "es")
    assert (reply.base["pid"], reply.base["thread"], reply.language) == (3, "01.00/", "en")
    assert {r.base["nid"] for r in records} == {8}
    assert first.fields["comment_body"][0]["value"] == "<p>Hola</p>\r\n"
    assert reply.fields["comment_body"][0]["format"] == "basic_html"
    assert comments_of(site, "article") == []
    with pytest.raises(UnknownBundle):
        comments_of(site, "no_such_type")


def _recount(engine: Engine, layout: str) -> dict[int, tuple[Any, ...]]:
    """cid → (nid, pid, thread, uid, status, body) of complaint comments, by plain SQL (text
    from the stored bytes: Iraq's latin1 tables hold UTF-8)."""
    if layout == "d7":
        query = (
            "SELECT c.cid, c.nid, c.pid, c.thread, c.uid, c.status, "
            "CONVERT(CAST(b.comment_body_value AS BINARY) USING utf8mb4) "
            "FROM comment c JOIN node n ON n.nid = c.nid JOIN field_data_comment_body b "
            "ON b.entity_type = 'comment' AND b.entity_id = c.cid WHERE n.type = 'complaint'"
        )
    else:
        query = (
            "SELECT c.cid, c.entity_id, COALESCE(c.pid, 0), c.thread, c.uid, c.status, "
            "b.comment_body_value FROM comment_field_data c JOIN node n ON n.nid = c.entity_id "
            "JOIN comment__comment_body b ON b.entity_id = c.cid WHERE n.type = 'complaint'"
        )
    return {row[0]: tuple(row[1:]) for row in sql(engine, query)}


@pytest.mark.parametrize(("name", "layout"), [("syria", "d7"), ("syria", "d8"), ("iraq", "d7")])
def test_sample_comments_read_back(
    any_server: LocalServer, make_db, engine_for, opened, name: str, layout: str
) -> None:
    url = make_db(any_server)
    report = build_site(url, name, layout, seed=5, scale=SCALE)
    engine = engine_for(url)
    site = opened(url)
    records = comments_of(site, "complaint", batch_size=7)
    found = {
        r.id: (
            r.base["nid"],
            r.base["pid"],
            r.base["thread"],
            r.base["uid"],
            r.base["status"],
            r.fields["comment_body"][0]["value"],
        )
        for r in records
    }
    assert found == _recount(engine, layout)
    assert [r.id for r in records] == sorted(found)  # ordered by cid
    counts = report.expected["bundles"]
    assert dict(site.counts().comments) == {
        b: v["comments"] for b, v in counts.items() if v["comments"]
    }
    assert len(records) == counts["complaint"]["comments"] > 0
    bundle = "comment_node_complaint" if layout == "d7" else "comment"
    assert {r.bundle for r in records} == {bundle}
    # Real habits: replies (threaded), anonymous authors, unpublished notes, Arabic text
    replies = [r for r in records if r.base["pid"]]
    assert replies and all(THREAD.match(r.base["thread"]) for r in records)
    parents = {r.id: r.base["thread"] for r in records}
    for r in replies:
        assert r.base["thread"].startswith(parents[r.base["pid"]].rstrip("/") + ".")
    assert any(r.base["uid"] == 0 for r in records)
    assert any(r.base["status"] == 0 for r in records)
    assert any("\u0600" <= ch <= "\u06ff" for v in found.values() for ch in v[5])
    emoji = {cid for cid, v in found.items() if EMOJI in v[5]}
    referral_cids = {r.id for r in comments_of(site, "referral")}
    assert emoji == set(report.planted["emoji_comments"]) - referral_cids
    assert bool(emoji) == (name == "syria")  # utf8mb4 in both layouts; Iraq's D7 is latin1
    assert not any(m in v[5] for v in found.values() for m in ("Ã", "Ø", "Ù"))  # no mojibake


@pytest.mark.parametrize("layout", ["d7", "d8"])
def test_comment_statistics_agree(mariadb_server, make_db, engine_for, layout: str) -> None:
    url = make_db(mariadb_server)
    build_site(url, "demo", layout, seed=2, scale=SCALE)
    engine = engine_for(url)
    if layout == "d7":
        stats = "SELECT nid, comment_count FROM node_comment_statistics"
        published = "SELECT nid, COUNT(*) FROM comment WHERE status = 1 GROUP BY nid"
    else:
        stats = "SELECT entity_id, comment_count FROM comment_entity_statistics"
        published = (
            "SELECT entity_id, COUNT(*) FROM comment_field_data WHERE status = 1 GROUP BY entity_id"
        )
    counted = {nid: n for nid, n in sql(engine, stats) if n}
    assert counted == dict(sql(engine, published)) != {}
