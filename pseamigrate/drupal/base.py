"""What the Drupal 7 and Drupal 8+ sites share: batching, field loading, record assembly.

A layout subclass supplies its SQL (`_entity_sql`, `_revision_sql`, …) and its `FieldQuery`;
everything else — keyset pagination, one query per field per batch, translations — lives here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterator, Sequence
from typing import Any, Self

from sqlalchemy.engine import Connection

from pseamigrate.db import quote_name
from pseamigrate.drupal.assemble import (
    FieldQuery,
    Rows,
    Values,
    build_record,
    fetch_values,
    language_index,
)
from pseamigrate.drupal.comments import comment_batches
from pseamigrate.drupal.model import EntityRecord, FieldStorage, SiteCounts, SiteModel
from pseamigrate.drupal.source import Row, Source, keyset
from pseamigrate.errors import UnknownBundle

DEFAULT_BATCH = 500


class BaseSite:
    """A Drupal site opened for reading: its model, counts and streaming readers."""

    fields_how: FieldQuery  # how the layout addresses its field tables (revisions: by revision_id)
    users_count: tuple[str, str]  # the table users are counted in, and which of its rows count

    def __init__(self, source: Source, model: SiteModel, owned: Connection | None = None) -> None:
        self.source = source
        self.model = model
        self._owned = owned  # the connection open_site opened for an engine, closed by close()

    def close(self) -> None:
        """Close the connection `open_site` opened for an engine (a caller's is left open)."""
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _check_bundle(self, entity_type: str, bundle: str) -> None:
        known = self.model.entity_bundles.get(entity_type, {})
        if bundle not in known:
            what = "vocabulary" if entity_type == "taxonomy_term" else "content type"
            raise UnknownBundle(what, bundle, sorted(known))

    def latin1_tables(self) -> list[str]:
        """Return this site's tables (without prefix) that declare latin1 text columns."""
        prefix = self.source.prefix
        return sorted(t[len(prefix) :] for t in self.source.latin1 if t.startswith(prefix))

    def counts(self) -> SiteCounts:
        """Count nodes, revisions, terms, users and files (no content is read)."""
        s = self.source
        nodes, published = self._node_counts()
        revisions = s.rows(
            f"SELECT n.type, COUNT(*) AS n FROM {s.q('node_revision')} r "
            f"JOIN {s.q('node')} n ON n.nid = r.nid GROUP BY n.type"
        )
        table, where = self.users_count
        users = s.rows(
            f"SELECT COUNT(*) AS n, SUM(status = 0) AS b FROM {s.q(table)} WHERE {where}"
        )[0]
        return SiteCounts(
            nodes=nodes,
            published=published,
            revisions={r["type"]: int(r["n"]) for r in revisions},
            terms=self._term_counts(),
            users_total=int(users["n"]),
            users_blocked=int(users["b"] or 0),
            files=int(s.scalar(f"SELECT COUNT(*) FROM {s.q('file_managed')}") or 0),
            deleted_rows={b: self.deleted_row_counts("node", b) for b in self.model.bundles},
            comments=self._comment_counts(),
        )

    def deleted_row_counts(self, entity_type: str, bundle: str) -> dict[str, int]:
        """Count the rows the bundle's deleted fields still keep (current values, no content)."""
        out: dict[str, int] = {}
        for storage, rows_of in self.deleted_storages(entity_type, bundle):
            table = storage.data_table
            where = "deleted = 1 AND " if rows_of == "deleted" else ""
            if self.fields_how.entity_type_column:
                where += "entity_type = :et AND "
            sql = f"SELECT COUNT(*) FROM {quote_name(table)} WHERE {where}bundle = :b"
            count = self.source.scalar(sql, {"et": entity_type, "b": bundle})
            out[storage.name] = out.get(storage.name, 0) + int(count or 0)
        return out

    def _node_counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Return nodes, and published nodes, by type."""
        raise NotImplementedError

    def _term_counts(self) -> dict[str, int]:
        """Return terms by vocabulary machine name (empty vocabularies too)."""
        raise NotImplementedError

    def _comment_counts(self) -> dict[str, int]:
        """Return comments (unpublished included) by the type of the node they are on."""
        sql = self._comment_count_sql()
        if sql is None:
            return {}
        return {r["type"]: int(r["n"]) for r in self.source.rows(sql)}

    def _comment_count_sql(self) -> str | None:
        """Return SQL giving `type`, `n` (comments per node type); None: no comment table."""
        raise NotImplementedError

    def storages(self, entity_type: str, bundle: str) -> list[FieldStorage]:
        """Return the live (not deleted) field storages attached to one bundle."""
        return [storage for storage, _ in self._split_storages(entity_type, bundle)[0]]

    def deleted_storages(self, entity_type: str, bundle: str) -> list[tuple[FieldStorage, Rows]]:
        """Return the bundle's deleted fields whose rows remain, with which rows to read."""
        return self._split_storages(entity_type, bundle)[1]

    def _split_storages(
        self, entity_type: str, bundle: str
    ) -> tuple[list[tuple[FieldStorage, Rows]], list[tuple[FieldStorage, Rows]]]:
        """Return the bundle's live storages and its deleted ones whose rows remain.

        A deleted storage's renamed `field_deleted_*` table is all deleted data; an instance
        deleted from this bundle while its field lives on leaves `deleted = 1` rows in the live
        table (Drupal 7 and 8+ alike)."""
        found = self.model.entity_bundles.get(entity_type, {}).get(bundle)
        out: dict[tuple[str, Rows], tuple[FieldStorage, Rows]] = {}
        for instance in found.fields if found is not None else ():
            storage = self.model.fields.get((entity_type, instance.field_name))
            if storage is None:
                continue
            rows_of: Rows = "all" if storage.deleted else "deleted" if instance.deleted else "live"
            if rows_of == "live" or storage.data_table in self.source.tables:
                out.setdefault((storage.name, rows_of), (storage, rows_of))
        pairs = list(out.values())
        return [p for p in pairs if p[1] == "live"], [p for p in pairs if p[1] != "live"]

    def field_values(
        self,
        storages: Sequence[tuple[FieldStorage, Rows]],
        ids: Sequence[int],
        revisions: bool,
    ) -> dict[str, Values]:
        """Load every field of a batch: one query per field, for the batch's ids only."""
        how = self.fields_how
        if revisions:
            how = dataclasses.replace(how, key="revision_id")
        values = {}
        for storage, rows_of in storages:
            table = storage.revision_table if revisions else storage.data_table
            if table is None:
                continue
            values[storage.name] = fetch_values(self.source, storage, table, ids, how, rows_of)
        return values

    def batches(
        self,
        entity_type: str,
        bundle: str,
        sql: str,
        key: str,
        batch_size: int,
        table: str,
        only: Collection[int] | None = None,
    ) -> Iterator[list[EntityRecord]]:
        """Stream `sql` (a keyset query on `key`) as batches of records with field values
        (with `only`: of those keys alone)."""
        live, deleted = self._split_storages(entity_type, bundle)
        params = {"b": bundle}
        for rows in keyset(self.source, sql, params, key, batch_size, table=table, only=only):
            ids = [int(row[key]) for row in rows]
            self.decorate(entity_type, rows, ids)
            values = self.field_values(live, ids, revisions=False)
            gone = self.field_values(deleted, ids, revisions=False)
            translated = self.translations(entity_type, ids)
            languages = language_index([*values.values(), *gone.values()])
            yield [
                build_record(
                    entity_type,
                    row,
                    i,
                    values,
                    translated.get(i),
                    deleted=gone,
                    languages=languages,
                )
                for row, i in zip(rows, ids, strict=True)
            ]

    def decorate(self, entity_type: str, rows: list[Row], ids: Sequence[int]) -> None:
        """Add per-entity extras to base rows: term parents, user roles, file usage."""
        if entity_type == "taxonomy_term":
            table, value, match = self._parents_table()
            self._related(rows, ids, "tid", "parents", table, value, match)
        elif entity_type == "user":
            self._roles(rows, ids)
        elif entity_type == "file":
            self._usage(rows, ids)

    def _parents_table(self) -> tuple[str, str, str]:
        """Return where term parents live: the table, its parent and its term id column."""
        return "taxonomy_term_hierarchy", "parent", "tid"

    def _roles(self, rows: list[Row], ids: Sequence[int]) -> None:
        """Attach the users' `roles` to user base rows."""
        raise NotImplementedError

    def translations(self, entity_type: str, ids: Sequence[int]) -> dict[int, dict[str, Row]]:
        """Return translated base rows by entity id, then language (Drupal 8+ only)."""
        return {}

    def iter_entities(
        self, bundle: str, *, batch_size: int = DEFAULT_BATCH, only: Collection[int] | None = None
    ) -> Iterator[list[EntityRecord]]:
        """Stream the nodes of one type (with `only`: those nids), current revision, in
        batches of records."""
        self._check_bundle("node", bundle)
        sql, table = self._entity_sql()
        return self.batches("node", bundle, sql, "nid", batch_size, table, only)

    def iter_revisions(
        self,
        bundle: str,
        *,
        batch_size: int = DEFAULT_BATCH,
        nid: int | None = None,
        only: Collection[int] | None = None,
    ) -> Iterator[list[EntityRecord]]:
        """Stream every revision of the nodes of one type (or of one node; with `only`: those
        vids), oldest first.

        Each record's base carries `revision_author` (uid) and `revision_timestamp`."""
        self._check_bundle("node", bundle)
        sql, table = self._revision_sql(nid is not None)
        live, deleted = self._split_storages("node", bundle)
        params: dict[str, Any] = {"b": bundle, "nid": nid}
        for rows in keyset(self.source, sql, params, "vid", batch_size, table=table, only=only):
            vids = [int(row["vid"]) for row in rows]
            values = self.field_values(live, vids, revisions=True)
            gone = self.field_values(deleted, vids, revisions=True)
            languages = language_index([*values.values(), *gone.values()])
            yield [
                build_record(
                    "node",
                    row,
                    int(row["nid"]),
                    values,
                    lookup=int(row["vid"]),
                    deleted=gone,
                    languages=languages,
                )
                for row in rows
            ]

    def revisions_of(self, bundle: str, nid: int) -> list[EntityRecord]:
        """Return all revisions of one node, oldest first."""
        return [record for batch in self.iter_revisions(bundle, nid=nid) for record in batch]

    def iter_terms(
        self, vocabulary: str, *, batch_size: int = DEFAULT_BATCH
    ) -> Iterator[list[EntityRecord]]:
        """Stream the terms of one vocabulary with their `parents` (tids, 0 = top level)."""
        if vocabulary not in self.model.vocabularies:
            raise UnknownBundle("vocabulary", vocabulary, sorted(self.model.vocabularies))
        sql, table = self._term_sql()
        return self.batches("taxonomy_term", vocabulary, sql, "tid", batch_size, table)

    def iter_users(
        self, *, batch_size: int = DEFAULT_BATCH, only: Collection[int] | None = None
    ) -> Iterator[list[EntityRecord]]:
        """Stream the user accounts (not anonymous; with `only`: those uids) with `roles`
        (names) and `status`."""
        sql, table = self._user_sql()
        return self.batches("user", "user", sql, "uid", batch_size, table, only)

    def iter_comments(
        self,
        node_bundle: str,
        *,
        batch_size: int = DEFAULT_BATCH,
        only: Collection[int] | None = None,
    ) -> Iterator[list[EntityRecord]]:
        """Stream the comments on nodes of one type, ordered by cid, in batches of records.

        Each record's `bundle` is the comment bundle, `base` holds `nid`, `pid` (0: top level),
        `thread`, `uid`, `status`, `created`, `changed`; `fields` the comment fields
        (`comment_body`). A site without comments yields nothing. With `only`: those cids."""
        self._check_bundle("node", node_bundle)
        found = self._comment_sql()
        if found is None:
            return iter(())
        sql, table = found
        return comment_batches(self, node_bundle, sql, table, batch_size, only)

    def _comment_sql(self) -> tuple[str, str] | None:
        """Return the keyset SQL of one node type's comments and its table (None: none)."""
        raise NotImplementedError

    def iter_files(
        self, *, batch_size: int = DEFAULT_BATCH, only: Collection[int] | None = None
    ) -> Iterator[list[EntityRecord]]:
        """Stream the managed files (with `only`: those fids) with their `usage` (module,
        type, id, count)."""
        sql, table = self._file_sql()
        return self.batches("file", "file", sql, "fid", batch_size, table, only)

    def _entity_sql(self) -> tuple[str, str]:
        raise NotImplementedError

    def _revision_sql(self, one_node: bool) -> tuple[str, str]:
        raise NotImplementedError

    def _term_sql(self) -> tuple[str, str]:
        raise NotImplementedError

    def _user_sql(self) -> tuple[str, str]:
        raise NotImplementedError

    def _file_sql(self) -> tuple[str, str]:
        sql = (
            f"SELECT f.*, 'file' AS bundle FROM {self.source.q('file_managed')} f "
            "WHERE f.fid > :after AND :b = 'file' ORDER BY f.fid LIMIT :size"
        )
        return sql, self.source.name("file_managed")

    def _usage(self, rows: list[Row], ids: Sequence[int]) -> None:
        """Attach file_usage rows (same table in 7 and 8+) to file base rows."""
        usage: dict[int, list[Row]] = {}
        sql = (
            f"SELECT fid, module, type, id, count FROM {self.source.q('file_usage')} "
            "WHERE fid IN :ids ORDER BY fid, module, type, id"
        )
        for row in self.source.rows_in(sql, ids, table=self.source.name("file_usage")):
            usage.setdefault(int(row.pop("fid")), []).append(row)
        for row in rows:
            row["usage"] = usage.get(int(row["fid"]), [])

    def _related(
        self,
        rows: list[Row],
        ids: Sequence[int],
        key: str,
        name: str,
        table: str,
        value: str,
        match: str,
    ) -> None:
        sql = (
            f"SELECT {match} AS k, {value} AS v FROM {self.source.q(table)} "
            f"WHERE {match} IN :ids ORDER BY {match}, {value}"
        )
        real = self.source.name(table)
        pairs = self.source.rows_in(sql, ids, table=real, aliases={"v": value})
        self._attach(rows, key, name, pairs)

    @staticmethod
    def _attach(rows: list[Row], key: str, name: str, pairs: list[Row]) -> None:
        grouped: dict[int, list[object]] = {}
        for pair in pairs:
            grouped.setdefault(int(pair["k"]), []).append(pair["v"])
        for row in rows:
            row[name] = grouped.get(int(row[key]), [])
