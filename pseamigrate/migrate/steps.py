"""Run one planned step of one site: read batches, produce items, write them with retries."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from pseamigrate.db import error_code
from pseamigrate.drupal.model import EntityRecord
from pseamigrate.drupal.read import DrupalSite
from pseamigrate.errors import TargetLost
from pseamigrate.mapping.model import EntityMapping, SiteMapping
from pseamigrate.migrate import plan as p
from pseamigrate.migrate.accounts import MembershipWriter, user_item
from pseamigrate.migrate.files import FileStore
from pseamigrate.migrate.history import note_item, revision_item
from pseamigrate.migrate.items import Item, ItemFilter
from pseamigrate.migrate.marks import Delta
from pseamigrate.migrate.produce import Scope, entity_item, file_item
from pseamigrate.migrate.terms import SharedTermWriter, term_item
from pseamigrate.migrate.write import BatchWriter, Counts, Target

RETRIES = 3
LOST_CONNECTION = {2006, 2013, 2003, 2055, 4031}  # gone away, lost, cannot connect, …
# Deadlock and lock wait timeout: another session (a site running at once) held a lock the batch
# needed; the server rolled the batch back, and the whole batch is tried again.
CONFLICT = {1213, 1205}
Progress = Callable[[str, int, int | None], None]  # (step label, rows done, total or None)
Seen = Callable[[p.Step, Item], None]  # each item as produced (`mappings check` keeps failures)


@dataclass(frozen=True)
class Options:
    """How to run: dry run, force updates, a limit or an id list, the plaintext override."""

    dry_run: bool = False
    update: bool = False
    limit: int | None = None
    idlist: frozenset[int] = frozenset()
    allow_plaintext: bool = False
    batch_size: int = 500
    jobs: int = 1  # sites migrated at once, each in its own process (migrate/parallel.py)
    # With `allow_plaintext` and a store without a files_key: copy attachments as they are
    # (otherwise such a run is refused). Recorded in the run's messages.
    allow_plaintext_files: bool = False
    full: bool = False  # read every row, whatever the marks say (migrate/marks.py)
    sync: bool = False  # remove from the target the rows gone from the source


@dataclass
class StepReport:
    """How one step went."""

    label: str
    kind: str
    counts: Counts = field(default_factory=Counts)
    seconds: float = 0.0
    reason: str = ""


class Link:
    """The target connection of a run, replaced when the server drops it."""

    def __init__(self, engine: Engine | None, conn: Connection | None) -> None:
        self.engine, self._conn = engine, conn

    @property
    def conn(self) -> Connection | None:
        """Return the live connection (None: a dry run without a target schema)."""
        return self._conn

    def reconnect(self) -> None:
        """Drop the connection and open a new one (raises if the server is still away)."""
        if self._conn is not None:
            with contextlib.suppress(DBAPIError):
                self._conn.close()
        self._conn = None
        if self.engine is not None:
            self._conn = self.engine.connect()


class StepRunner:
    """Runs the steps of one site against one target connection."""

    def __init__(
        self,
        site: DrupalSite,
        mapping: SiteMapping,
        scope: Scope,
        target: Target,
        files: FileStore,
        options: Options,
        link: Link,
        renew: Callable[[Connection], None],
        item_filter: ItemFilter | None = None,
        on_item: Seen | None = None,
    ) -> None:
        self.site, self.mapping, self.scope, self.target = site, mapping, scope, target
        self.files, self.options = files, options
        self.link, self.renew = link, renew
        self.item_filter = item_filter
        self.on_item = on_item
        self.delta: Delta | None = None  # a delta run: the ids each step reads (marks.py)
        self._counts: Any = None

    @property
    def conn(self) -> Connection | None:
        """Return the target connection."""
        return self.link.conn

    def total(self, step: p.Step) -> int | None:
        """Return how many source rows a step will read (for progress bars), if known."""
        only = self.delta.only(step) if self.delta is not None else None
        if only is not None:
            return len(only)
        if self._counts is None:
            self._counts = self.site.counts()
        c = self._counts
        totals: dict[str, int | None] = {
            p.USERS: c.users_total,
            p.FILES: c.files,
            p.TERMS: c.terms.get(step.source),
            p.NODES: c.nodes.get(step.source),
            p.REVISIONS: c.revisions.get(step.source),
            p.NOTES: c.comments.get(step.source),
        }
        found = totals.get(step.kind)
        if found is not None and self.options.limit is not None:
            return min(found, self.options.limit)
        return None if self.options.idlist else found

    def run(self, step: p.Step, on_progress: Progress | None = None) -> StepReport:
        """Run one step and return its report."""
        started = time.monotonic()
        report = StepReport(step.label, step.kind, reason=step.reason)
        if step.kind in (p.IGNORED_BUNDLE, p.IGNORED_VOCABULARY):
            report.counts.read = report.counts.skipped = self._ignored_rows(step)
        else:
            writer = self._writer(step)
            writer.force = self.options.update
            total = self.total(step) if on_progress is not None else None
            for index, batch in enumerate(self._batches(step), start=1):
                items = [self._produce(step, record) for record in batch]
                report.counts.merge(self._commit(writer, items, step, index))
                if on_progress is not None:
                    on_progress(step.label, report.counts.read, total)
            if self.conn is not None and not self.options.dry_run:
                report.counts.warnings += self._fix_references(writer)
        report.seconds = time.monotonic() - started
        return report

    def _fix_references(self, writer: BatchWriter) -> int:
        """Point the step's rows at rows of the same step, in one transaction; a deadlock with
        another site's writes (the server rolled the transaction back) is tried again whole."""
        assert self.conn is not None
        for attempt in range(RETRIES + 1):
            try:
                with self.conn.begin():
                    return writer.fix_references(self.conn)
            except DBAPIError as exc:
                if error_code(exc) not in CONFLICT or attempt == RETRIES:
                    raise
                time.sleep(min(2**attempt, 10))
        raise AssertionError("unreachable")

    def _ignored_rows(self, step: p.Step) -> int:
        counts = self.site.counts()
        if step.kind == p.IGNORED_BUNDLE:
            return int(counts.nodes.get(step.source, 0))
        return int(counts.terms.get(step.source, 0))

    def _writer(self, step: p.Step) -> BatchWriter:
        t = self.target
        if step.kind == p.USERS:
            return MembershipWriter(t, "user")
        if step.kind == p.FILES:
            return BatchWriter(t, "file")
        if step.kind == p.TERMS:
            vocabulary = self.scope.model.vocabularies[step.destination]
            if vocabulary.scope == "shared":
                return SharedTermWriter(t, vocabulary)
            return BatchWriter(t, vocabulary.name)
        if step.kind == p.NODES:
            return BatchWriter(t, step.destination)
        if step.kind == p.REVISIONS:
            return BatchWriter(t, f"revision:{step.destination}", key="source_revision_id")
        return BatchWriter(t, f"note:{step.destination}")

    def _records(self, step: p.Step) -> Iterator[list[EntityRecord]]:
        size = self.options.batch_size
        site = self.site
        only = self.delta.only(step) if self.delta is not None else None
        if only is not None and not only:
            return iter(())  # a delta run: nothing of this step changed
        if step.kind == p.USERS:
            return site.iter_users(batch_size=size, only=only)
        if step.kind == p.FILES:
            return site.iter_files(batch_size=size, only=only)
        if step.kind == p.TERMS:
            return site.iter_terms(step.source, batch_size=size)
        if step.kind == p.NODES:
            return site.iter_entities(step.source, batch_size=size, only=only)
        if step.kind == p.REVISIONS:
            return site.iter_revisions(step.source, batch_size=size, only=only)
        return site.iter_comments(step.source, batch_size=size, only=only)

    def _batches(self, step: p.Step) -> Iterator[list[EntityRecord]]:
        """Apply --idlist (content steps: by node) and --limit (per step) to the batches."""
        left = self.options.limit
        wanted = self.options.idlist
        for batch in self._records(step):
            if wanted and step.kind in (p.NODES, p.REVISIONS, p.NOTES):
                batch = [r for r in batch if _node_id(r) in wanted]
            if left is not None:
                batch = batch[:left]
                left -= len(batch)
            if batch:
                yield batch
            if left is not None and left <= 0:
                return

    def _produce(self, step: p.Step, record: EntityRecord) -> Item:
        item = self._item(step, record)
        if self.item_filter is not None:
            self.item_filter.item(item)
        if self.on_item is not None:
            self.on_item(step, item)
        return item

    def _copy(self, uri: str, filesize: object = None) -> Any:
        """Copy a file into the store, or its placeholder when items are filtered (`filesize`:
        the row's, which the file on disk must match)."""
        if self.item_filter is None:
            return self.files.copy(uri, self.options.dry_run, filesize)
        stored, body = self.item_filter.file(uri)
        return self.files.put(stored, uri, body, self.options.dry_run, filesize)

    def _item(self, step: p.Step, record: EntityRecord) -> Item:
        scope = self.scope
        if step.kind == p.USERS:
            return user_item(record, scope)
        if step.kind == p.FILES:
            copied = self._copy(str(record.base.get("uri") or ""), record.base.get("filesize"))
            return file_item(record, scope, copied)
        if step.kind == p.TERMS:
            vocabulary = scope.model.vocabularies[step.destination]
            return term_item(record, vocabulary, step.source, scope)
        if step.kind == p.NOTES:
            return note_item(record, scope.model.entities[step.destination], step.source, scope)
        em = self._entity_mapping(step.source)
        if step.kind == p.NODES:
            return entity_item(record, em, scope)
        return revision_item(record, em, scope)

    def _entity_mapping(self, bundle: str) -> EntityMapping:
        return next(em for em in self.mapping.entities if em.bundle == bundle)

    def _commit(self, writer: BatchWriter, items: list[Item], step: p.Step, batch: int) -> Counts:
        """Write a batch in one transaction; retry a lost connection, isolate a bad row."""
        if self.options.dry_run or self.conn is None:
            return writer.write(self.conn, items)
        lost = False
        for attempt in range(RETRIES + 1):
            try:
                if lost:
                    self.link.reconnect()
                assert self.conn is not None
                with self.conn.begin():
                    counts = writer.write(self.conn, items)
                    self.renew(self.conn)
                return counts
            except DBAPIError as exc:
                self.target.ids.forget(writer.kind)
                writer.recheck_ledger()
                lost = error_code(exc) in LOST_CONNECTION or exc.connection_invalidated
                if not lost and (error_code(exc) not in CONFLICT or attempt == RETRIES):
                    return self._row_by_row(writer, items)
                if attempt == RETRIES:
                    raise TargetLost(step.label, batch, f"MySQL error {error_code(exc)}") from None
                time.sleep(min(2**attempt, 10))
        raise AssertionError("unreachable")

    def _row_by_row(self, writer: BatchWriter, items: list[Item]) -> Counts:
        """Write each row alone, so one the server refuses fails alone (code only, no values)."""
        assert self.conn is not None
        counts = Counts()
        for item in items:
            try:
                with self.conn.begin():
                    counts.merge(writer.write(self.conn, [item]))
            except DBAPIError as exc:
                self.target.ids.forget(writer.kind)
                item.fail(f"the server refused the row (MySQL error {error_code(exc)})")
                item.children = []
                with self.conn.begin():
                    counts.merge(writer.write(self.conn, [item]))
        return counts


def _node_id(record: EntityRecord) -> int:
    if record.entity_type == "comment":
        return int(record.base.get("nid", record.base.get("entity_id")) or 0)
    return record.id
