"""Open a legacy Drupal database: detect its version once, pick its layout from a dict.

with open_site(engine, table_prefix="crp_") as site:
    site.model                      # SiteModel: bundles, fields, vocabularies, problems
    site.counts()                   # SiteCounts
    for batch in site.iter_entities("complaint"): ...
    for batch in site.iter_comments("complaint"): ...  # comments on complaints, by cid
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Iterator
from typing import Protocol

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

from pseamigrate.config import is_table_prefix
from pseamigrate.drupal.d7 import D7Site
from pseamigrate.drupal.d8 import D8Site
from pseamigrate.drupal.detect import detect
from pseamigrate.drupal.model import EntityRecord, FieldStorage, Problem, SiteCounts, SiteModel
from pseamigrate.drupal.source import Source, lost_as
from pseamigrate.errors import ConfigError, DrupalReadError


class DrupalSite(Protocol):
    """What every layout offers: the model, counts and streaming readers."""

    model: SiteModel
    source: Source  # the SQL view of the database (pseamigrate/drupal/source.py)

    def counts(self) -> SiteCounts: ...

    def latin1_tables(self) -> list[str]: ...

    def iter_entities(
        self, bundle: str, *, batch_size: int = ..., only: Collection[int] | None = ...
    ) -> Iterator[list[EntityRecord]]: ...

    def iter_revisions(
        self,
        bundle: str,
        *,
        batch_size: int = ...,
        nid: int | None = ...,
        only: Collection[int] | None = ...,
    ) -> Iterator[list[EntityRecord]]: ...

    def revisions_of(self, bundle: str, nid: int) -> list[EntityRecord]: ...

    def iter_terms(
        self, vocabulary: str, *, batch_size: int = ...
    ) -> Iterator[list[EntityRecord]]: ...

    def iter_users(
        self, *, batch_size: int = ..., only: Collection[int] | None = ...
    ) -> Iterator[list[EntityRecord]]: ...

    def iter_comments(
        self, node_bundle: str, *, batch_size: int = ..., only: Collection[int] | None = ...
    ) -> Iterator[list[EntityRecord]]: ...

    def iter_files(
        self, *, batch_size: int = ..., only: Collection[int] | None = ...
    ) -> Iterator[list[EntityRecord]]: ...

    def close(self) -> None: ...

    def __enter__(self) -> DrupalSite: ...

    def __exit__(self, *_exc: object) -> None: ...


LAYOUTS: dict[str, type[D7Site] | type[D8Site]] = {"d7": D7Site, "d8": D8Site}
# The whole read of a site sees one moment of it and cannot write (MySQL and MariaDB alike).
SNAPSHOT = (
    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
    "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
)


def open_site(
    engine_or_conn: Engine | Connection, table_prefix: str = "", *, where: str = "the database"
) -> DrupalSite:
    """Detect the Drupal version, introspect the content model and return a readable site.

    Raises `NotDrupal` when the database holds no Drupal 7 or 8+ tables (with that prefix),
    `SourceLost` when the connection is lost. Use the site as a context manager (or call
    `close()`): when given an engine it opens, and then closes, its own connection, which reads
    in one read-only, consistent-snapshot transaction (as does a given connection that is not
    in a transaction yet)."""
    if not is_table_prefix(table_prefix):
        raise ConfigError("table prefix: only letters, digits and _ are allowed")
    owned = engine_or_conn.connect() if isinstance(engine_or_conn, Engine) else None
    conn = owned if owned is not None else engine_or_conn
    assert isinstance(conn, Connection)
    try:
        if owned is not None or not conn.in_transaction():
            with lost_as(where, "the start of the read"):
                for statement in SNAPSHOT:
                    conn.execute(text(statement))
        source = Source.open(conn, table_prefix, where)
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
