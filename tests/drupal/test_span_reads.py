"""Field values read by span (`ids_where`: a batch's lowest to highest id, other ids dropped)
equal those read by an exact IN list, on Drupal core's own sites (fields shared by several
bundles, interleaved ids, revisions, comments) and on a generated CRP site."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.engine import URL

from pseamigrate.db import make_engine
from pseamigrate.drupal import DrupalSite, open_site
from pseamigrate.drupal import source as source_module
from pseamigrate.drupal.model import EntityRecord
from pseamigrate.sample import build_site
from pseamigrate.servers import LocalServer
from tests.conftest import DatabaseFactory

Read = Callable[[DrupalSite], list[EntityRecord]]


def _everything(site: DrupalSite) -> list[EntityRecord]:
    """Every record the migration reads, in batches of 2 so spans cover other bundles' ids."""
    records: list[EntityRecord] = []
    for bundle in sorted(site.model.bundles):
        records += [r for batch in site.iter_entities(bundle, batch_size=2) for r in batch]
        records += [r for batch in site.iter_revisions(bundle, batch_size=2) for r in batch]
        records += [r for batch in site.iter_comments(bundle, batch_size=2) for r in batch]
    for vocabulary in sorted(site.model.vocabularies):
        records += [r for batch in site.iter_terms(vocabulary, batch_size=2) for r in batch]
    records += [r for batch in site.iter_users(batch_size=2) for r in batch]
    return records


def _both_ways(url: URL, monkeypatch: pytest.MonkeyPatch) -> tuple[list[EntityRecord], ...]:
    engine = make_engine(url)
    try:
        with open_site(engine) as site:
            spans = _everything(site)
        monkeypatch.setattr(source_module, "DENSE", 0)  # every batch as an exact IN list
        with open_site(engine) as site:
            exact = _everything(site)
    finally:
        engine.dispose()
    return spans, exact


@pytest.fixture(params=["d7", "d9", "d11"])
def core_site(request: pytest.FixtureRequest, drupal_core: dict[str, URL]) -> URL:
    return drupal_core[request.param]


def test_core_sites_read_the_same_by_span_and_by_list(
    core_site: URL, monkeypatch: pytest.MonkeyPatch
) -> None:
    spans, exact = _both_ways(core_site, monkeypatch)
    assert sum(len(r.fields) for r in exact) > 0
    assert spans == exact


@pytest.mark.parametrize("layout", ["d7", "d8"])
def test_a_generated_site_reads_the_same_by_span_and_by_list(
    layout: str,
    mariadb_server: LocalServer,
    make_db: DatabaseFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = make_db(mariadb_server)
    build_site(url, "iraq", layout, seed=5, scale=0.05)
    spans, exact = _both_ways(url, monkeypatch)
    assert len(exact) > 50
    assert spans == exact
