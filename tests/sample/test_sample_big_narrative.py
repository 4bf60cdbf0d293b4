"""The opt-in narrative over 16 MB: written exactly as asked, read back byte-identical through
the reader on MariaDB and MySQL 9.7 (the throwaway servers allow 256 MB packets)."""

from __future__ import annotations

import pytest

from pseamigrate.drupal import open_site
from pseamigrate.errors import SampleError
from pseamigrate.sample import build_site
from pseamigrate.sample.text import EMOJI, sized_narrative

SIZE = 20 * 1024 * 1024


@pytest.mark.slow
def test_big_narrative_reads_back_byte_identical(any_server, make_db, engine_for) -> None:
    url = make_db(any_server)
    report = build_site(url, "demo", "d8", seed=4, scale=0.03, big_narrative_bytes=SIZE)
    (nid,) = report.planted["big_narrative"]
    with open_site(engine_for(url)) as site:
        found = [
            r.fields["field_narrative"][0]["value"]
            for batch in site.iter_entities("complaint", batch_size=2)
            for r in batch
            if r.id == nid
        ]
    (narrative,) = found
    raw = narrative.encode("utf-8")
    assert len(raw) == SIZE
    assert raw == sized_narrative(SIZE, emoji=True).encode("utf-8")
    assert EMOJI in narrative and "é" in narrative  # mixed scripts: 2-, 3- and 4-byte ones
    assert any("\u0600" <= ch <= "\u06ff" for ch in narrative[:2000])


def test_sized_narrative_is_exact() -> None:
    for size in (1, 63, 64, 1000, 70_001):
        for emoji in (False, True):
            assert len(sized_narrative(size, emoji).encode("utf-8")) == size
    assert EMOJI not in sized_narrative(5000, emoji=False)


def test_no_big_narrative_by_default(mariadb_server, make_db) -> None:
    report = build_site(make_db(mariadb_server), "drc", "d7", scale=0.03)
    assert report.planted["big_narrative"] == []
    with pytest.raises(SampleError, match="big_narrative_bytes"):
        build_site(make_db(mariadb_server), "drc", "d7", scale=0.03, big_narrative_bytes=-1)
