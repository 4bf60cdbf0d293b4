"""Reading a site safely (#15): one read-only snapshot, timeouts, a lost connection is typed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from pseamigrate.config import load_settings
from pseamigrate.db import is_lost_connection, make_engine, quote_listed_name, reading
from pseamigrate.drupal import DrupalSite, open_site
from pseamigrate.errors import ConfigError, SourceLost, UnsafeIdentifier
from pseamigrate.servers import LocalServer
from tests.conftest import DatabaseFactory
from tests.sites import SiteCache

SCALE = 0.2


@pytest.fixture
def sample_url(any_server: LocalServer, make_db: DatabaseFactory, sample_sites: SiteCache) -> URL:
    """A small sample Drupal 7 site (the demo's), once on each flavour (a copy for each test)."""
    url = make_db(any_server)
    sample_sites.build(url, "demo", "d7", scale=SCALE)
    return url


@pytest.fixture
def engine(sample_url: URL) -> Iterator[Engine]:
    made = make_engine(reading(sample_url))  # as sites are read (mysqlclient)
    yield made
    made.dispose()


def _bundle(site: DrupalSite) -> str:
    return max(site.model.bundles, key=lambda b: site.counts().nodes.get(b, 0))


def test_a_site_is_read_in_one_read_only_snapshot(engine: Engine) -> None:
    with open_site(engine, where="site 'demo'") as site:
        before = site.counts().nodes
        with engine.begin() as other:  # another session changes the site meanwhile
            other.execute(
                text("DELETE FROM node WHERE nid IN (SELECT * FROM (SELECT MIN(nid) FROM node) x)")
            )
        assert site.counts().nodes == before  # the reader still sees its moment
        with pytest.raises(DBAPIError) as caught:
            site.source.conn.execute(text("UPDATE node SET title = title"))
        assert "1792" in str(caught.value)  # cannot execute in a READ ONLY transaction
    with open_site(engine) as later:
        assert sum(later.counts().nodes.values()) == sum(before.values()) - 1


def test_killing_the_connection_mid_read_names_the_site_and_batch(
    engine: Engine, sample_url: URL
) -> None:
    with open_site(engine, where="site 'demo'") as site:
        bundle = _bundle(site)
        batches = site.iter_entities(bundle, batch_size=5)
        first = next(batches)
        own_id = site.source.conn.execute(text("SELECT CONNECTION_ID()")).scalar_one()
        with engine.connect() as other:
            other.execute(text(f"KILL {int(own_id)}"))
        with pytest.raises(SourceLost) as caught:
            next(batches)
    message = str(caught.value)
    last_nid = first[-1].id
    assert message.startswith("lost the connection to site 'demo' while reading node")
    assert f"after nid {last_nid}" in message
    assert caught.value.site == "site 'demo'"
    assert "MySQL error" in caught.value.reason


@pytest.mark.parametrize("driver", [lambda url: url, reading], ids=["pymysql", "mysqldb"])
def test_a_stalled_read_times_out_as_a_lost_connection(
    sample_url: URL, driver: Callable[[URL], URL]
) -> None:
    engine = make_engine(driver(sample_url.update_query_dict({"read_timeout": "1"})))
    try:
        with pytest.raises(DBAPIError) as caught, engine.connect() as conn:
            conn.execute(text("SELECT SLEEP(5)"))
    finally:
        engine.dispose()
    assert is_lost_connection(caught.value)


def _driver_timeouts(url: URL) -> tuple[int, int, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            raw: Any = conn.connection.dbapi_connection
            return raw.connect_timeout, raw._read_timeout, raw._write_timeout
    finally:
        engine.dispose()


def test_timeouts_reach_the_driver_and_the_project_file_wins(
    sample_url: URL, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _driver_timeouts(sample_url) == (10, 3600, 600)  # db.TIMEOUTS
    monkeypatch.setenv("PSEA_T_URL", sample_url.render_as_string(hide_password=False))
    project = tmp_path / "pseamigrate.yaml"
    project.write_text(
        "sites:\n  s:\n    tenant: t\n"
        "    connection: {url_env: PSEA_T_URL, connect_timeout: 4, read_timeout: 90}\n"
    )
    url = load_settings(project).site("s").connection.resolve()
    assert _driver_timeouts(url) == (4, 90, 600)


@pytest.mark.parametrize("prefix", ["crp`; DROP TABLE node; --", "a b", "x-"])
def test_a_hostile_table_prefix_is_refused(engine: Engine, prefix: str) -> None:
    with pytest.raises(ConfigError, match="table prefix: only letters, digits and _"):
        open_site(engine, prefix)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM node")).scalar_one() > 0


def test_table_names_from_a_site_outside_the_plain_set_are_refused(any_db: URL) -> None:
    """A table name a hostile site could plant (a field table named in its own metadata) is
    refused by the one quoting helper, never put into SQL (#30 S7)."""
    from pseamigrate.drupal.assemble import FieldQuery, fetch_values
    from pseamigrate.drupal.model import FieldStorage
    from pseamigrate.drupal.source import Source

    hostile = "field_data_x` WHERE 1=0 UNION SELECT 1 --x"
    engine = make_engine(any_db)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    f"CREATE TABLE {quote_listed_name(hostile)} (entity_type VARCHAR(9), "
                    "bundle VARCHAR(9), deleted INT, entity_id INT, revision_id INT, "
                    "language VARCHAR(9), delta INT, field_x_value TEXT)"
                )
            )
        with engine.connect() as conn:
            source = Source.open(conn, "")
            with pytest.raises(UnsafeIdentifier, match="letters, digits and _"):
                source.q(hostile)
            storage = FieldStorage("field_x", "node", "text", "text", 1, ("value",), hostile, None)
            how = FieldQuery(lang_column="language", entity_type_column=True)
            with pytest.raises(UnsafeIdentifier):
                fetch_values(source, storage, hostile, [1], how)
    finally:
        engine.dispose()


def test_a_connection_killed_before_the_first_batch_says_so(engine: Engine) -> None:
    with open_site(engine, where="site 'demo'") as site:
        bundle = _bundle(site)
        own_id = site.source.conn.execute(text("SELECT CONNECTION_ID()")).scalar_one()
        with engine.connect() as other:
            other.execute(text(f"KILL {int(own_id)}"))
        with pytest.raises(SourceLost, match=r"while reading node \(the first batch\): MySQL"):
            next(site.iter_entities(bundle, batch_size=5))
