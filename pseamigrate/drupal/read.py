"""Open a legacy Drupal database: detect its version once, pick its layout from a dict.

with open_site(engine, table_prefix="crp_") as site:
    site.model                      # SiteModel: bundles, fields, vocabularies, problems
    site.counts()                   # SiteCounts
    for batch in site.iter_entities("complaint"): ...
    for batch in site.iter_comments("complaint"): ...  # comments on complaints, by cid
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from pseamigrate.drupal.d7 import D7Site
from pseamigrate.drupal.d8 import D8Site
from pseamigrate.drupal.detect import detect
from pseamigrate.drupal.model import EntityRecord, FieldStorage, Problem, SiteCounts, SiteModel
from pseamigrate.drupal.source import Source
from pseamigrate.errors import DrupalReadError


class DrupalSite(Protocol):
    """What every layout offers: the model, counts and streaming readers."""

    model: SiteModel
    source: Source  # the SQL view of the database (pseamigrate/drupal/source.py)

    def counts(self) -> SiteCounts: ...

    def latin1_tables(self) -> list[str]: ...

    def iter_entities(
        self, bundle: str, *, batch_size: int = ...
    ) -> Iterator[list[EntityRecord]]: ...

    def iter_revisions(
        self, bundle: str, *, batch_size: int = ..., nid: int | None = ...
    ) -> Iterator[list[EntityRecord]]: ...

    def revisions_of(self, bundle: str, nid: int) -> list[EntityRecord]: ...

    def iter_terms(
        self, vocabulary: str, *, batch_size: int = ...
    ) -> Iterator[list[EntityRecord]]: ...

    def iter_users(self, *, batch_size: int = ...) -> Iterator[list[EntityRecord]]: ...

    def iter_comments(
        self, node_bundle: str, *, batch_size: int = ...
    ) -> Iterator[list[EntityRecord]]: ...

    def iter_files(self, *, batch_size: int = ...) -> Iterator[list[EntityRecord]]: ...

    def close(self) -> None: ...

    def __enter__(self) -> DrupalSite: ...

    def __exit__(self, *_exc: object) -> None: ...


LAYOUTS: dict[str, type[D7Site] | type[D8Site]] = {"d7": D7Site, "d8": D8Site}


def open_site(
    engine_or_conn: Engine | Connection, table_prefix: str = "", *, where: str = "the database"
) -> DrupalSite:
    """Detect the Drupal version, introspect the content model and return a readable site.

    Raises `NotDrupal` when the database holds no Drupal 7 or 8+ tables (with that prefix).
    Use the site as a context manager (or call `close()`): when given an engine it opens, and
    then closes, its own connection."""
    owned = engine_or_conn.connect() if isinstance(engine_or_conn, Engine) else None
    conn = owned if owned is not None else engine_or_conn
    assert isinstance(conn, Connection)
    try:
        source = Source.open(conn, table_prefix)
        found = detect(source, where)
        layout = LAYOUTS.get(found.layout)
        if layout is None:
            raise DrupalReadError(f"no reader for layout {found.layout} (known: {sorted(LAYOUTS)})")
        model = _check_tables(source, layout.introspect(source, found.version))
        model = dataclasses.replace(model, drupal_version=found.version)
        return layout(source, model, owned)
    except BaseException:
        if owned is not None:
            owned.close()
        raise


def _check_tables(source: Source, model: SiteModel) -> SiteModel:
    """Report (not raise) live fields whose table is missing; reading them raises later."""
    reported = {problem.field for problem in model.problems}  # say one thing per field
    missing = [
        Problem(storage.data_table, "-", storage.name, "field table is missing")
        for storage in _live(model.fields.values())
        if storage.data_table not in source.tables and storage.name not in reported
    ]
    if not missing:
        return model
    return dataclasses.replace(model, problems=(*model.problems, *missing))


def _live(storages: Iterable[FieldStorage]) -> list[FieldStorage]:
    return [storage for storage in storages if not storage.deleted]
