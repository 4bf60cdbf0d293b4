"""Drupal 8+ layout (written as Drupal 10): entity base tables, dedicated field tables, config.

Base-table columns copy the MySQL tables Drupal 10.3 creates (core's "filled" fixture);
dedicated field tables are rendered from the same Schema API arrays stored in `key_value`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pseamigrate.sample import d8comments, d8config, d8fields
from pseamigrate.sample.content import Node, NodeChunk, SiteContent, indexed_terms
from pseamigrate.sample.sites import (
    COMMENT_BODY,
    COMMENT_FIELD,
    COMMENTED,
    LOCATION_FIELDS,
    USER_FIELDS,
    BundleSpec,
    FieldSpec,
    SiteSpec,
)
from pseamigrate.sample.sql import Writer, php

ASCII = "CHARACTER SET ascii COLLATE ascii_general_ci"
UINT = "int unsigned NOT NULL"
CORE_TABLES = {
    "config": f"`collection` varchar(255) {ASCII} NOT NULL DEFAULT '', `name` varchar(255) {ASCII} "
    "NOT NULL DEFAULT '', `data` longblob DEFAULT NULL, PRIMARY KEY (`collection`,`name`)",
    "key_value": f"`collection` varchar(128) {ASCII} NOT NULL DEFAULT '', "
    f"`name` varchar(128) {ASCII} "
    "NOT NULL DEFAULT '', `value` longblob NOT NULL, PRIMARY KEY (`collection`,`name`)",
    "node": f"`nid` int unsigned NOT NULL AUTO_INCREMENT, `vid` int unsigned DEFAULT NULL, "
    f"`type` varchar(32) {ASCII} NOT NULL, `uuid` varchar(128) {ASCII} NOT NULL, "
    f"`langcode` varchar(12) {ASCII} NOT NULL, PRIMARY KEY (`nid`), "
    "UNIQUE KEY `node_field__uuid__value` (`uuid`), UNIQUE KEY `node__vid` (`vid`), "
    "KEY `node_field__type__target_id` (`type`)",
    "node_field_data": f"`nid` {UINT}, `vid` {UINT}, `type` varchar(32) {ASCII} NOT NULL, "
    f"`langcode` varchar(12) {ASCII} NOT NULL, `title` varchar(255) NOT NULL, `uid` {UINT}, "
    "`status` tinyint NOT NULL, `created` int NOT NULL, `changed` int NOT NULL, "
    "`promote` tinyint NOT NULL, `sticky` tinyint NOT NULL, "
    "`revision_translation_affected` tinyint DEFAULT NULL, `default_langcode` tinyint NOT NULL, "
    "PRIMARY KEY (`nid`,`langcode`), KEY `node__id__default_langcode__langcode` "
    "(`nid`,`default_langcode`,`langcode`), KEY `node__vid` (`vid`), "
    "KEY `node__status_type` (`status`,`type`,`nid`), KEY `node_field__uid__target_id` (`uid`)",
    "node_revision": f"`nid` {UINT}, `vid` int unsigned NOT NULL AUTO_INCREMENT, "
    f"`langcode` varchar(12) {ASCII} NOT NULL, `revision_timestamp` int DEFAULT NULL, "
    "`revision_uid` int unsigned DEFAULT NULL, `revision_log` longtext DEFAULT NULL, "
    "`revision_default` tinyint DEFAULT NULL, PRIMARY KEY (`vid`), KEY `node__nid` (`nid`), "
    "KEY `node_field__revision_uid__target_id` (`revision_uid`)",
    "node_field_revision": f"`nid` {UINT}, `vid` {UINT}, `langcode` varchar(12) {ASCII} NOT NULL, "
    f"`title` varchar(255) DEFAULT NULL, `uid` {UINT}, `status` tinyint NOT NULL, "
    "`created` int DEFAULT NULL, `changed` int DEFAULT NULL, `promote` tinyint DEFAULT NULL, "
    "`sticky` tinyint DEFAULT NULL, `revision_translation_affected` tinyint DEFAULT NULL, "
    "`default_langcode` tinyint NOT NULL, PRIMARY KEY (`vid`,`langcode`), "
    "KEY `node__id__default_langcode__langcode` (`nid`,`default_langcode`,`langcode`)",
    "taxonomy_term_data": "`tid` int unsigned NOT NULL AUTO_INCREMENT, "
    f"`revision_id` int unsigned DEFAULT NULL, `vid` varchar(32) {ASCII} NOT NULL, "
    f"`uuid` varchar(128) {ASCII} NOT NULL, `langcode` varchar(12) {ASCII} NOT NULL, "
    "PRIMARY KEY (`tid`), UNIQUE KEY `taxonomy_term_field__uuid__value` (`uuid`), "
    "UNIQUE KEY `taxonomy_term__revision_id` (`revision_id`)",
    "taxonomy_term_field_data": f"`tid` {UINT}, `revision_id` {UINT}, "
    f"`vid` varchar(32) {ASCII} NOT NULL, `langcode` varchar(12) {ASCII} NOT NULL, "
    "`name` varchar(255) NOT NULL, `description__value` longtext DEFAULT NULL, "
    f"`description__format` varchar(255) {ASCII} DEFAULT NULL, `weight` int NOT NULL, "
    "`changed` int DEFAULT NULL, `default_langcode` tinyint NOT NULL, `status` tinyint NOT NULL, "
    "`revision_translation_affected` tinyint DEFAULT NULL, PRIMARY KEY (`tid`,`langcode`), "
    "KEY `taxonomy_term__tree` (`vid`,`weight`,`name`(191))",
    "taxonomy_term_revision": f"`tid` {UINT}, `revision_id` int unsigned NOT NULL AUTO_INCREMENT, "
    f"`langcode` varchar(12) {ASCII} NOT NULL, `revision_default` tinyint DEFAULT NULL, "
    "`revision_user` int unsigned DEFAULT NULL, `revision_created` int DEFAULT NULL, "
    "`revision_log_message` longtext DEFAULT NULL, PRIMARY KEY (`revision_id`), "
    "KEY `taxonomy_term__tid` (`tid`)",
    "taxonomy_term_field_revision": f"`tid` {UINT}, `revision_id` {UINT}, "
    f"`langcode` varchar(12) {ASCII} NOT NULL, `name` varchar(255) DEFAULT NULL, "
    "`description__value` longtext DEFAULT NULL, "
    f"`description__format` varchar(255) {ASCII} DEFAULT NULL, `changed` int DEFAULT NULL, "
    "`default_langcode` tinyint NOT NULL, `status` tinyint NOT NULL, "
    "`revision_translation_affected` tinyint DEFAULT NULL, PRIMARY KEY (`revision_id`,`langcode`)",
    "taxonomy_term__parent": f"`bundle` varchar(128) {ASCII} NOT NULL DEFAULT '', "
    f"`deleted` tinyint NOT NULL DEFAULT 0, `entity_id` {UINT}, `revision_id` {UINT}, "
    f"`langcode` varchar(32) {ASCII} NOT NULL DEFAULT '', `delta` {UINT}, "
    f"`parent_target_id` {UINT}, PRIMARY KEY (`entity_id`,`deleted`,`delta`,`langcode`), "
    "KEY `revision_id` (`revision_id`), KEY `parent_target_id` (`parent_target_id`), "
    "KEY `bundle_delta_target_id` (`bundle`,`delta`,`parent_target_id`)",
    "taxonomy_term_revision__parent": f"`bundle` varchar(128) {ASCII} NOT NULL DEFAULT '', "
    f"`deleted` tinyint NOT NULL DEFAULT 0, `entity_id` {UINT}, `revision_id` {UINT}, "
    f"`langcode` varchar(32) {ASCII} NOT NULL DEFAULT '', `delta` {UINT}, "
    f"`parent_target_id` {UINT}, "
    "PRIMARY KEY (`entity_id`,`revision_id`,`deleted`,`delta`,`langcode`), "
    "KEY `bundle` (`bundle`), KEY `revision_id` (`revision_id`), "
    "KEY `parent_target_id` (`parent_target_id`)",
    "taxonomy_index": f"`nid` {UINT} DEFAULT 0, `tid` {UINT} DEFAULT 0, "
    "`status` int NOT NULL DEFAULT 1, `sticky` tinyint DEFAULT 0, "
    "`created` int NOT NULL DEFAULT 0, "
    "PRIMARY KEY (`nid`,`tid`), KEY `term_node` (`tid`,`status`,`sticky`,`created`)",
    "users": f"`uid` int NOT NULL AUTO_INCREMENT, `uuid` varchar(128) {ASCII} NOT NULL, "
    f"`langcode` varchar(12) {ASCII} NOT NULL, PRIMARY KEY (`uid`), "
    "UNIQUE KEY `user_field__uuid__value` (`uuid`)",
    "users_field_data": f"`uid` {UINT}, `langcode` varchar(12) {ASCII} NOT NULL, "
    f"`preferred_langcode` varchar(12) {ASCII} DEFAULT NULL, "
    f"`preferred_admin_langcode` varchar(12) {ASCII} DEFAULT NULL, `name` varchar(60) NOT NULL, "
    "`pass` varchar(255) DEFAULT NULL, `mail` varchar(254) DEFAULT NULL, "
    "`timezone` varchar(32) DEFAULT NULL, `status` tinyint DEFAULT NULL, `created` int NOT NULL, "
    "`changed` int DEFAULT NULL, `access` int NOT NULL, `login` int DEFAULT NULL, "
    "`init` varchar(254) DEFAULT NULL, `default_langcode` tinyint NOT NULL, "
    "PRIMARY KEY (`uid`,`langcode`), UNIQUE KEY `user__name` (`name`,`langcode`), "
    "KEY `user_field__mail` (`mail`(191))",
    "user__roles": f"`bundle` varchar(128) {ASCII} NOT NULL DEFAULT '', "
    f"`deleted` tinyint NOT NULL DEFAULT 0, `entity_id` {UINT}, `revision_id` {UINT}, "
    f"`langcode` varchar(32) {ASCII} NOT NULL DEFAULT '', `delta` {UINT}, "
    f"`roles_target_id` varchar(255) {ASCII} NOT NULL, "
    "PRIMARY KEY (`entity_id`,`deleted`,`delta`,`langcode`), KEY `bundle` (`bundle`), "
    "KEY `revision_id` (`revision_id`), KEY `roles_target_id` (`roles_target_id`)",
    "file_managed": f"`fid` int unsigned NOT NULL AUTO_INCREMENT, `uuid` varchar(128) {ASCII} "
    f"NOT NULL, `langcode` varchar(12) {ASCII} NOT NULL, `uid` int unsigned DEFAULT NULL, "
    "`filename` varchar(255) DEFAULT NULL, `uri` varchar(255) NOT NULL, "
    f"`filemime` varchar(255) {ASCII} DEFAULT NULL, `filesize` bigint unsigned DEFAULT NULL, "
    "`status` tinyint NOT NULL, `created` int DEFAULT NULL, `changed` int NOT NULL, "
    "PRIMARY KEY (`fid`), UNIQUE KEY `file_field__uuid__value` (`uuid`), "
    "KEY `file_field__uri` (`uri`(191)), KEY `file_field__status` (`status`)",
    "comment": "`cid` int unsigned NOT NULL AUTO_INCREMENT, "
    f"`comment_type` varchar(32) {ASCII} NOT NULL, `uuid` varchar(128) {ASCII} NOT NULL, "
    f"`langcode` varchar(12) {ASCII} NOT NULL, PRIMARY KEY (`cid`), "
    "UNIQUE KEY `comment_field__uuid__value` (`uuid`), "
    "KEY `comment_field__comment_type__target_id` (`comment_type`)",
    "comment_field_data": f"`cid` {UINT}, `comment_type` varchar(32) {ASCII} NOT NULL, "
    f"`langcode` varchar(12) {ASCII} NOT NULL, `pid` int unsigned DEFAULT NULL, "
    "`entity_id` int unsigned DEFAULT NULL, `subject` varchar(64) DEFAULT NULL, "
    f"`uid` {UINT}, `name` varchar(60) DEFAULT NULL, `mail` varchar(254) DEFAULT NULL, "
    "`homepage` varchar(255) DEFAULT NULL, `hostname` varchar(128) DEFAULT NULL, "
    "`created` int NOT NULL, `changed` int DEFAULT NULL, `status` tinyint NOT NULL, "
    f"`thread` varchar(255) NOT NULL, `entity_type` varchar(32) {ASCII} NOT NULL, "
    f"`field_name` varchar(32) {ASCII} NOT NULL, `default_langcode` tinyint NOT NULL, "
    "PRIMARY KEY (`cid`,`langcode`), "
    "KEY `comment_field__comment_type__target_id` (`comment_type`), "
    "KEY `comment_field__created` (`created`), "
    "KEY `comment__id__default_langcode__langcode` (`cid`,`default_langcode`,`langcode`), "
    "KEY `comment__status_comment_type` (`status`,`comment_type`,`cid`), "
    "KEY `comment__status_pid` (`pid`,`status`), "
    "KEY `comment__num_new` (`entity_id`,`entity_type`,`comment_type`,`status`,`created`,"
    "`cid`,`thread`(191)), "
    "KEY `comment__entity_langcode` (`entity_id`,`entity_type`,`comment_type`,"
    "`default_langcode`), KEY `comment_field__uid__target_id` (`uid`)",
    "comment_entity_statistics": f"`entity_id` {UINT} DEFAULT 0, "
    f"`entity_type` varchar(32) {ASCII} NOT NULL DEFAULT 'node', "
    f"`field_name` varchar(32) {ASCII} NOT NULL DEFAULT '', `cid` int NOT NULL DEFAULT 0, "
    "`last_comment_timestamp` bigint NOT NULL DEFAULT 0, "
    "`last_comment_name` varchar(60) DEFAULT NULL, "
    f"`last_comment_uid` {UINT} DEFAULT 0, `comment_count` {UINT} DEFAULT 0, "
    "PRIMARY KEY (`entity_id`,`entity_type`,`field_name`), "
    "KEY `last_comment_timestamp` (`last_comment_timestamp`), "
    "KEY `comment_count` (`comment_count`), KEY `last_comment_uid` (`last_comment_uid`)",
    "file_usage": f"`fid` {UINT}, `module` varchar(50) {ASCII} NOT NULL DEFAULT '', "
    f"`type` varchar(64) {ASCII} NOT NULL DEFAULT '', `id` varchar(64) {ASCII} NOT NULL "
    "DEFAULT '0', `count` int unsigned NOT NULL DEFAULT 0, "
    "PRIMARY KEY (`fid`,`type`,`id`,`module`), "
    "KEY `type_id` (`type`,`id`), KEY `fid_count` (`fid`,`count`)",
}
FIELD_COLUMNS = ("bundle", "deleted", "entity_id", "revision_id", "langcode", "delta")


class D8Site:
    """Write one site in the Drupal 8+ layout; remembers each field's real table names."""

    def __init__(self, w: Writer, spec: SiteSpec, content: SiteContent) -> None:
        self.w, self.spec, self.content = w, spec, content
        self.uuids = d8config.Uuids(content.seed, spec)
        self.tables: dict[tuple[str, str], tuple[str, str | None]] = {}
        for entity_type, field in self.field_kinds():
            self.tables[(entity_type, field.name)] = self._names(entity_type, field)

    def _names(self, entity_type: str, field: FieldSpec) -> tuple[str, str | None]:
        uuid = self.uuids(f"field.storage.{entity_type}.{field.name}")
        data, revision = d8fields.table_names(entity_type, field.name, uuid, field.deleted)
        return data, revision if entity_type in d8fields.REVISIONABLE else None

    def field_kinds(self) -> Iterator[tuple[str, FieldSpec]]:
        """Yield (entity type, field) for every field storage with dedicated tables."""
        for bundle in self.spec.bundles:
            for field in bundle.fields:
                yield "node", field
        yield "node", COMMENT_FIELD
        yield "taxonomy_term", d8config.PCODE
        yield from (("taxonomy_term", field) for field in LOCATION_FIELDS)
        yield "comment", COMMENT_BODY
        yield from (("user", field) for field in USER_FIELDS)

    def create_tables(self) -> None:
        """Create the entity base tables and every dedicated field table."""
        for table, body in CORE_TABLES.items():
            self.w.create(table, body.replace(", `", ",\n  `"))
        for entity_type, field in self.field_kinds():
            for schema_name, schema in self._schemas(entity_type, field).items():
                self.w.create(schema_name, d8fields.mysql_body(schema))

    def _schemas(self, entity_type: str, field: FieldSpec) -> dict[str, d8fields.Schema]:
        """Return the Schema API array of each of a field's tables, by table name."""
        data, revision = self.tables[(entity_type, field.name)]
        out = {data: d8fields.table_schema(entity_type, field.kind, field.name, False)}
        if revision is not None:
            out[revision] = d8fields.table_schema(entity_type, field.kind, field.name, True)
        return out

    def schema_rows(self) -> list[tuple[str, str, bytes]]:
        """Return key_value rows naming each live field's tables (`*.field_schema_data.*`)."""
        rows = []
        for entity_type, field in self.field_kinds():
            if field.deleted:
                continue  # Drupal drops the stored schema with the storage; state keeps the rest
            name = f"{entity_type}.field_schema_data.{field.name}"
            rows.append(("entity.storage_schema.sql", name, php(self._schemas(entity_type, field))))
        return rows

    def write_base(self) -> None:
        """Write config, state, vocabularies, terms and users."""
        from pseamigrate.sample import d8base

        d8base.write_config(self)
        d8base.write_terms(self)
        d8base.write_users(self)

    def write_chunk(self, bundle: BundleSpec, chunk: NodeChunk) -> int:
        """Write a chunk of nodes; return the number of field value rows written."""
        nodes, lang = chunk.nodes, self.spec.language
        self.w.insert(
            "node",
            ("nid", "vid", "type", "uuid", "langcode"),
            [(n.nid, n.current.vid, n.bundle, n.uuid, lang) for n in nodes],
        )
        self.w.insert(
            "node_field_data",
            ("nid", "vid", "type", "langcode", "title", "uid", "status", "created", "changed")
            + ("promote", "sticky", "revision_translation_affected", "default_langcode"),
            [
                (n.nid, n.current.vid, n.bundle, lang, n.current.title, n.uid, n.current.status)
                + (n.created, n.current.timestamp, 0, 0, 1, 1)
                for n in nodes
            ],
        )
        self._write_revisions(nodes)
        fields = bundle.fields + ((COMMENT_FIELD,) if bundle.name in COMMENTED else ())
        written = sum(self._write_field(bundle, f, nodes) for f in fields)
        self._write_files(chunk)
        self.w.insert(
            "taxonomy_index",
            ("nid", "tid", "status", "sticky", "created"),
            _index_rows(bundle, nodes),
        )
        if bundle.name in COMMENTED:
            d8comments.write_comments(self, chunk)
        return written

    def _write_revisions(self, nodes: list[Node]) -> None:
        lang = self.spec.language
        self.w.insert(
            "node_revision",
            ("nid", "vid", "langcode", "revision_timestamp", "revision_uid", "revision_log")
            + ("revision_default",),
            [
                (n.nid, r.vid, lang, r.timestamp, r.uid, r.log or None, int(r is n.current))
                for n in nodes
                for r in n.revisions
            ],
        )
        self.w.insert(
            "node_field_revision",
            ("nid", "vid", "langcode", "title", "uid", "status", "created", "changed")
            + ("promote", "sticky", "revision_translation_affected", "default_langcode"),
            [
                (n.nid, r.vid, lang, r.title, n.uid, r.status, n.created, r.timestamp, 0, 0, 1, 1)
                for n in nodes
                for r in n.revisions
            ],
        )

    def _write_field(self, bundle: BundleSpec, field: FieldSpec, nodes: list[Node]) -> int:
        data, revision = self.tables[("node", field.name)]
        assert revision is not None  # nodes have revisions
        cols = FIELD_COLUMNS + tuple(
            f"{field.name}_{p}" for p, _ in d8fields.TYPES[field.kind].properties
        )
        written = self.w.insert(data, cols, self._field_rows(field, nodes, True))
        return written + self.w.insert(revision, cols, self._field_rows(field, nodes, False))

    def _field_rows(self, field: FieldSpec, nodes: list[Node], current: bool) -> Iterator[Any]:
        deleted, lang = int(field.deleted), self.spec.language
        for node in nodes:
            for rev in [node.current] if current else node.revisions:
                values = [2] if field is COMMENT_FIELD else rev.values.get(field.name, [])
                for delta, value in enumerate(values):  # comments: 2 = open (read/write)
                    key = (node.bundle, deleted, node.nid, rev.vid, lang, delta)
                    yield key + d8fields.columns(field, value)

    def _write_files(self, chunk: NodeChunk) -> None:
        lang = self.spec.language
        self.w.insert(
            "file_managed",
            ("fid", "uuid", "langcode", "uid", "filename", "uri", "filemime", "filesize")
            + ("status", "created", "changed"),
            [
                (f.fid, f.uuid, lang, f.uid, f.filename, f.uri, f.mime, len(f.body), 1)
                + (f.timestamp, f.timestamp)
                for f in chunk.files
            ],
        )
        revisions = {n.nid: len(n.revisions) for n in chunk.nodes}
        self.w.insert(
            "file_usage",
            ("fid", "module", "type", "id", "count"),
            [(f.fid, "file", "node", str(f.nid), revisions[f.nid]) for f in chunk.files],
        )


def _index_rows(bundle: BundleSpec, nodes: list[Node]) -> Iterator[tuple[Any, ...]]:
    """Yield Drupal 8+ taxonomy_index rows (nid, tid, status, sticky, created)."""
    term_fields = [f.name for f in bundle.fields if f.kind == "term" and not f.deleted]
    for node, tid in indexed_terms(term_fields, nodes):
        yield (node.nid, tid, 1, 0, node.created)
