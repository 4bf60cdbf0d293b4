"""Drupal 7 layout: core tables, field storage, and the rows of one sample site.

Column types follow Drupal 7 core's `hook_schema()` (node.install, taxonomy.install,
user.install, system.install, field.install) as MySQL renders them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pseamigrate.sample import d7fields
from pseamigrate.sample.comments import node_statistics
from pseamigrate.sample.content import ROLE_LABELS, Node, NodeChunk, SiteContent, indexed_terms
from pseamigrate.sample.sites import (
    COMMENT_BODY,
    COMMENTED,
    LOCATION_FIELDS,
    USER_FIELDS,
    BundleSpec,
    FieldSpec,
    SiteSpec,
)
from pseamigrate.sample.sql import Writer, php, php_object

UNSIGNED = "int unsigned NOT NULL DEFAULT 0"
CORE_TABLES = {
    "variable": "`name` varchar(128) NOT NULL DEFAULT '', `value` longblob NOT NULL, "
    "PRIMARY KEY (`name`)",
    "system": "`filename` varchar(255) NOT NULL DEFAULT '', "
    "`name` varchar(255) NOT NULL DEFAULT '', "
    "`type` varchar(12) NOT NULL DEFAULT '', `owner` varchar(255) NOT NULL DEFAULT '', "
    "`status` int NOT NULL DEFAULT 0, `bootstrap` int NOT NULL DEFAULT 0, "
    "`schema_version` smallint NOT NULL DEFAULT -1, `weight` int NOT NULL DEFAULT 0, "
    "`info` blob, PRIMARY KEY (`filename`), KEY `system_list` (`status`,`bootstrap`,`type`,"
    "`weight`,`name`), KEY `type_name` (`type`,`name`)",
    "node_type": "`type` varchar(32) NOT NULL, `name` varchar(255) NOT NULL DEFAULT '', "
    "`base` varchar(255) NOT NULL, `module` varchar(255) NOT NULL, "
    "`description` mediumtext NOT NULL, "
    "`help` mediumtext NOT NULL, `has_title` tinyint unsigned NOT NULL, "
    "`title_label` varchar(255) NOT NULL DEFAULT '', `custom` tinyint NOT NULL DEFAULT 0, "
    "`modified` tinyint NOT NULL DEFAULT 0, `locked` tinyint NOT NULL DEFAULT 0, "
    "`disabled` tinyint NOT NULL DEFAULT 0, `orig_type` varchar(255) NOT NULL DEFAULT '', "
    "PRIMARY KEY (`type`)",
    "node": "`nid` int unsigned NOT NULL AUTO_INCREMENT, `vid` int unsigned DEFAULT NULL, "
    "`type` varchar(32) NOT NULL DEFAULT '', `language` varchar(12) NOT NULL DEFAULT '', "
    "`title` varchar(255) NOT NULL DEFAULT '', `uid` int NOT NULL DEFAULT 0, "
    "`status` int NOT NULL DEFAULT 1, `created` int NOT NULL DEFAULT 0, "
    "`changed` int NOT NULL DEFAULT 0, `comment` int NOT NULL DEFAULT 0, "
    "`promote` int NOT NULL DEFAULT 0, `sticky` int NOT NULL DEFAULT 0, "
    f"`tnid` {UNSIGNED}, `translate` int NOT NULL DEFAULT 0, PRIMARY KEY (`nid`), "
    "UNIQUE KEY `vid` (`vid`), KEY `node_changed` (`changed`), KEY `node_created` (`created`), "
    "KEY `node_status_type` (`status`,`type`,`nid`), KEY `node_type` (`type`(4)), "
    "KEY `uid` (`uid`), KEY `tnid` (`tnid`), KEY `language` (`language`)",
    "node_revision": f"`nid` {UNSIGNED}, `vid` int unsigned NOT NULL AUTO_INCREMENT, "
    "`uid` int NOT NULL DEFAULT 0, `title` varchar(255) NOT NULL DEFAULT '', "
    "`log` longtext NOT NULL, `timestamp` int NOT NULL DEFAULT 0, `status` int NOT NULL DEFAULT 1, "
    "`comment` int NOT NULL DEFAULT 0, `promote` int NOT NULL DEFAULT 0, "
    "`sticky` int NOT NULL DEFAULT 0, PRIMARY KEY (`vid`), KEY `nid` (`nid`), KEY `uid` (`uid`)",
    "field_config": "`id` int NOT NULL AUTO_INCREMENT, `field_name` varchar(32) NOT NULL, "
    "`type` varchar(128) NOT NULL, `module` varchar(128) NOT NULL DEFAULT '', "
    "`active` tinyint NOT NULL DEFAULT 0, `storage_type` varchar(128) NOT NULL, "
    "`storage_module` varchar(128) NOT NULL DEFAULT '', "
    "`storage_active` tinyint NOT NULL DEFAULT 0, "
    "`locked` tinyint NOT NULL DEFAULT 0, `data` longblob NOT NULL, "
    "`cardinality` tinyint NOT NULL DEFAULT 0, `translatable` tinyint NOT NULL DEFAULT 0, "
    "`deleted` tinyint NOT NULL DEFAULT 0, PRIMARY KEY (`id`), KEY `field_name` (`field_name`), "
    "KEY `active` (`active`), KEY `deleted` (`deleted`), KEY `module` (`module`), "
    "KEY `type` (`type`)",
    "field_config_instance": "`id` int NOT NULL AUTO_INCREMENT, `field_id` int NOT NULL, "
    "`field_name` varchar(32) NOT NULL DEFAULT '', `entity_type` varchar(32) NOT NULL DEFAULT '', "
    "`bundle` varchar(128) NOT NULL DEFAULT '', `data` longblob NOT NULL, "
    "`deleted` tinyint NOT NULL DEFAULT 0, PRIMARY KEY (`id`), "
    "KEY `field_name_bundle` (`field_name`,`entity_type`,`bundle`), KEY `deleted` (`deleted`)",
    "taxonomy_vocabulary": "`vid` int unsigned NOT NULL AUTO_INCREMENT, "
    "`name` varchar(255) NOT NULL DEFAULT '', `machine_name` varchar(255) NOT NULL DEFAULT '', "
    "`description` longtext, `hierarchy` tinyint unsigned NOT NULL DEFAULT 0, "
    "`module` varchar(255) NOT NULL DEFAULT '', `weight` int NOT NULL DEFAULT 0, "
    "PRIMARY KEY (`vid`), UNIQUE KEY `machine_name` (`machine_name`)",
    "taxonomy_term_data": "`tid` int unsigned NOT NULL AUTO_INCREMENT, "
    f"`vid` {UNSIGNED}, `name` varchar(255) NOT NULL DEFAULT '', `description` longtext, "
    "`format` varchar(255) DEFAULT NULL, `weight` int NOT NULL DEFAULT 0, PRIMARY KEY (`tid`), "
    "KEY `taxonomy_tree` (`vid`,`weight`,`name`), KEY `vid_name` (`vid`,`name`), "
    "KEY `name` (`name`)",
    "taxonomy_term_hierarchy": f"`tid` {UNSIGNED}, `parent` {UNSIGNED}, "
    "PRIMARY KEY (`tid`,`parent`), KEY `parent` (`parent`)",
    "taxonomy_index": f"`nid` {UNSIGNED}, `tid` {UNSIGNED}, `sticky` tinyint DEFAULT 0, "
    "`created` int NOT NULL DEFAULT 0, KEY `term_node` (`tid`,`sticky`,`created`), "
    "KEY `nid` (`nid`)",
    "users": f"`uid` {UNSIGNED}, `name` varchar(60) NOT NULL DEFAULT '', "
    "`pass` varchar(128) NOT NULL DEFAULT '', `mail` varchar(254) DEFAULT '', "
    "`theme` varchar(255) NOT NULL DEFAULT '', `signature` varchar(255) NOT NULL DEFAULT '', "
    "`signature_format` varchar(255) DEFAULT NULL, `created` int NOT NULL DEFAULT 0, "
    "`access` int NOT NULL DEFAULT 0, `login` int NOT NULL DEFAULT 0, "
    "`status` tinyint NOT NULL DEFAULT 0, `timezone` varchar(32) DEFAULT NULL, "
    "`language` varchar(12) NOT NULL DEFAULT '', `picture` int NOT NULL DEFAULT 0, "
    "`init` varchar(254) DEFAULT '', `data` longblob, PRIMARY KEY (`uid`), "
    "UNIQUE KEY `name` (`name`), KEY `access` (`access`), KEY `created` (`created`), "
    "KEY `mail` (`mail`), KEY `picture` (`picture`)",
    "role": "`rid` int unsigned NOT NULL AUTO_INCREMENT, `name` varchar(64) NOT NULL DEFAULT '', "
    "`weight` int NOT NULL DEFAULT 0, PRIMARY KEY (`rid`), UNIQUE KEY `name` (`name`)",
    "users_roles": f"`uid` {UNSIGNED}, `rid` {UNSIGNED}, PRIMARY KEY (`uid`,`rid`), "
    "KEY `rid` (`rid`)",
    "file_managed": f"`fid` int unsigned NOT NULL AUTO_INCREMENT, `uid` {UNSIGNED}, "
    "`filename` varchar(255) NOT NULL DEFAULT '', `uri` varchar(255) NOT NULL DEFAULT '', "
    "`filemime` varchar(255) NOT NULL DEFAULT '', `filesize` bigint unsigned NOT NULL DEFAULT 0, "
    f"`status` tinyint NOT NULL DEFAULT 0, `timestamp` {UNSIGNED}, PRIMARY KEY (`fid`), "
    "UNIQUE KEY `uri` (`uri`), KEY `uid` (`uid`), KEY `status` (`status`), "
    "KEY `timestamp` (`timestamp`)",
    "comment": "`cid` int NOT NULL AUTO_INCREMENT, `pid` int NOT NULL DEFAULT 0, "
    "`nid` int NOT NULL DEFAULT 0, `uid` int NOT NULL DEFAULT 0, "
    "`subject` varchar(64) NOT NULL DEFAULT '', `hostname` varchar(128) NOT NULL DEFAULT '', "
    "`created` int NOT NULL DEFAULT 0, `changed` int NOT NULL DEFAULT 0, "
    "`status` tinyint unsigned NOT NULL DEFAULT 1, `thread` varchar(255) NOT NULL, "
    "`name` varchar(60) DEFAULT NULL, `mail` varchar(64) DEFAULT NULL, "
    "`homepage` varchar(255) DEFAULT NULL, `language` varchar(12) NOT NULL DEFAULT '', "
    "PRIMARY KEY (`cid`), KEY `comment_status_pid` (`pid`,`status`), "
    "KEY `comment_num_new` (`nid`,`status`,`created`,`cid`,`thread`(191)), "
    "KEY `comment_uid` (`uid`), "
    "KEY `comment_nid_language` (`nid`,`language`), KEY `comment_created` (`created`)",
    "node_comment_statistics": f"`nid` {UNSIGNED}, `cid` int NOT NULL DEFAULT 0, "
    "`last_comment_timestamp` int NOT NULL DEFAULT 0, "
    "`last_comment_name` varchar(60) DEFAULT NULL, `last_comment_uid` int NOT NULL DEFAULT 0, "
    f"`comment_count` {UNSIGNED}, PRIMARY KEY (`nid`), "
    "KEY `node_comment_timestamp` (`last_comment_timestamp`), "
    "KEY `comment_count` (`comment_count`), KEY `last_comment_uid` (`last_comment_uid`)",
    "file_usage": "`fid` int unsigned NOT NULL, `module` varchar(255) NOT NULL DEFAULT '', "
    f"`type` varchar(64) NOT NULL DEFAULT '', `id` {UNSIGNED}, `count` {UNSIGNED}, "
    "PRIMARY KEY (`fid`,`type`,`id`,`module`), KEY `type_id` (`type`,`id`), "
    "KEY `fid_count` (`fid`,`count`), KEY `fid_module` (`fid`,`module`)",
}
MODULES = (
    ("modules/system/system.module", "system", 7084),
    ("modules/node/node.module", "node", 7016),
    ("modules/user/user.module", "user", 7020),
    ("modules/field/field.module", "field", 7004),
    ("modules/field/modules/field_sql_storage/field_sql_storage.module", "field_sql_storage", 7002),
    ("modules/field/modules/list/list.module", "list", 7002),
    ("modules/field/modules/text/text.module", "text", 7000),
    ("modules/field/modules/number/number.module", "number", 0),
    ("modules/field/modules/options/options.module", "options", 0),
    ("modules/file/file.module", "file", 7000),
    ("modules/comment/comment.module", "comment", 7009),
    ("modules/taxonomy/taxonomy.module", "taxonomy", 7011),
    ("sites/all/modules/date/date.module", "date", 7004),
    ("sites/all/modules/entityreference/entityreference.module", "entityreference", 7002),
)


def instances(spec: SiteSpec) -> list[tuple[str, str, FieldSpec]]:
    """Return every field instance as (entity type, bundle, field): node fields first, then
    the comment body on every node type's comment bundle (Drupal 7's comment module adds it to
    each), the user fields and the location terms' fields."""
    out = [("node", b.name, f) for b in spec.bundles for f in b.fields]
    out += [("comment", f"comment_node_{b.name}", COMMENT_BODY) for b in spec.bundles]
    out += [("user", "user", f) for f in USER_FIELDS]
    return out + [("taxonomy_term", "location", f) for f in LOCATION_FIELDS]


def field_ids(spec: SiteSpec) -> dict[str, int]:
    """Number every field of the site in definition order (field_config.id)."""
    ids: dict[str, int] = {}
    for _, _, field in instances(spec):
        ids.setdefault(field.name, len(ids) + 1)
    return ids


def create_tables(w: Writer, spec: SiteSpec) -> None:
    """Create Drupal 7's core tables and one data and revision table per field."""
    for table, body in CORE_TABLES.items():
        w.create(table, body.replace(", `", ",\n  `").replace(", PRIMARY", ",\n  PRIMARY"))
    ids = field_ids(spec)
    fields = {field.name: field for _, _, field in instances(spec)}
    for field in fields.values():
        data, revision = d7fields.table_names(field, ids[field.name])
        w.create(data, d7fields.field_table_body(field, revision=False))
        w.create(revision, d7fields.field_table_body(field, revision=True))


def write_base(w: Writer, spec: SiteSpec, content: SiteContent) -> None:
    """Write system, variables, node types, fields, vocabularies, terms, roles and users."""
    info = {"name": "", "package": "Core", "version": "7.98", "core": "7.x", "project": "drupal"}
    w.insert(
        "system",
        ("filename", "name", "type", "owner", "status", "bootstrap", "schema_version", "info"),
        [(f, n, "module", "", 1, 0, v, php({**info, "name": n.title()})) for f, n, v in MODULES],
    )
    w.insert("variable", ("name", "value"), sorted(_variables(spec).items()))
    w.insert(
        "node_type",
        ("type", "name", "base", "module", "description", "help", "has_title", "title_label")
        + ("custom", "modified", "orig_type"),
        [_node_type(spec, b) for b in spec.bundles],
    )
    _write_fields(w, spec)
    _write_taxonomy(w, spec, content)
    _write_users(w, spec, content)
    locations = [t for t in content.terms if t.vocabulary == "location"]
    _write_entity_field(w, spec, "taxonomy_term", "location", LOCATION_FIELDS[0],
                        [(t.tid, t.code) for t in locations])  # fmt: skip
    users = content.users
    for field, values in (
        (USER_FIELDS[0], [(u.uid, u.full_name) for u in users]),
        (USER_FIELDS[1], [(u.uid, u.phone) for u in users if u.phone]),
        (USER_FIELDS[2], [(u.uid, u.organisation) for u in users if u.organisation]),
    ):
        _write_entity_field(w, spec, "user", "user", field, values)


def _write_entity_field(
    w: Writer,
    spec: SiteSpec,
    entity_type: str,
    bundle: str,
    field: FieldSpec,
    values: list[tuple[int, Any]],
) -> None:
    """Write one single-value field of an unrevisioned entity type (revision_id = entity id,
    as field_sql_storage does), in both its data and revision tables."""
    data, revision = d7fields.table_names(field, field_ids(spec)[field.name])
    cols = ["entity_type", "bundle", "deleted", "entity_id", "revision_id", "language", "delta"]
    cols += [f"{field.name}_{c}" for c, _ in d7fields.TYPES[field.kind].columns]
    rows = [
        (entity_type, bundle, 0, i, i, "und", 0) + d7fields.columns(field, v) for i, v in values
    ]
    w.insert(data, cols, rows)
    w.insert(revision, cols, rows)


def _label(spec: SiteSpec, english: str, french: str) -> str:
    return french if spec.language == "fr" and french else english


def _node_type(spec: SiteSpec, bundle: BundleSpec) -> tuple[Any, ...]:
    title = _label(spec, "Title", "Titre")
    label = _label(spec, bundle.label, bundle.label_fr)
    return (bundle.name, label, "node_content", "node", "", "", 1, title, 1, 1, bundle.name)


def _variables(spec: SiteSpec) -> dict[str, bytes]:
    language = php_object(
        "stdClass",
        {"language": spec.language, "name": spec.language, "native": spec.language, "enabled": 1},
    )
    return {
        "site_name": php(f"CRP {spec.name.upper()} (synthetic)"),
        "install_profile": php("standard"),
        "language_default": php(language),
        "file_public_path": php("sites/default/files"),
        "file_private_path": php("sites/default/files/private"),
        "file_default_scheme": php("private"),
        "date_default_timezone": php(spec.timezone),
    } | {
        # COMMENT_NODE_OPEN (2) where handlers write case notes, hidden (0) elsewhere
        f"comment_{b.name}": php("2" if b.name in COMMENTED else "0")
        for b in spec.bundles
    }


def _write_fields(w: Writer, spec: SiteSpec) -> None:
    ids = field_ids(spec)
    configs, rows = {}, []
    weights: dict[tuple[str, str], int] = {}
    for entity_type, bundle, field in instances(spec):
        t = d7fields.TYPES[field.kind]
        data = php(d7fields.field_data(field, ids[field.name]))
        deleted = int(field.deleted)
        configs[field.name] = (
            (ids[field.name], field.name, t.type, t.module, 1)
            + ("field_sql_storage", "field_sql_storage", 1, 0, data, field.cardinality, 0)
            + (deleted,)
        )
        label = _label(spec, field.label, field.label_fr)
        weight = weights[(entity_type, bundle)] = weights.get((entity_type, bundle), -1) + 1
        instance = php(d7fields.instance_data(field, label, weight))
        rows.append((ids[field.name], field.name, entity_type, bundle, instance, deleted))
    w.insert(
        "field_config",
        ("id", "field_name", "type", "module", "active", "storage_type", "storage_module")
        + ("storage_active", "locked", "data", "cardinality", "translatable", "deleted"),
        sorted(configs.values()),
    )
    w.insert(
        "field_config_instance",
        ("field_id", "field_name", "entity_type", "bundle", "data", "deleted"),
        rows,
    )


def _write_taxonomy(w: Writer, spec: SiteSpec, content: SiteContent) -> None:
    vids = {v.machine_name: i + 1 for i, v in enumerate(spec.vocabularies)}
    w.insert(
        "taxonomy_vocabulary",
        ("vid", "name", "machine_name", "description", "hierarchy", "module", "weight"),
        [
            (vids[v.machine_name], _label(spec, v.label, v.label_fr), v.machine_name, "")
            + (_hierarchy(v.machine_name, content), "taxonomy", i)
            for i, v in enumerate(spec.vocabularies)
        ],
    )
    w.insert(
        "taxonomy_term_data",
        ("tid", "vid", "name", "description", "format", "weight"),
        [(t.tid, vids[t.vocabulary], t.name, "", "plain_text", t.weight) for t in content.terms],
    )
    parents = [(t.tid, t.parent) for t in content.terms]
    parents += [(t.tid, t.second_parent) for t in content.terms if t.second_parent]
    w.insert("taxonomy_term_hierarchy", ("tid", "parent"), sorted(parents))


def _hierarchy(vocabulary: str, content: SiteContent) -> int:
    """Return Drupal 7's hierarchy flag: 0 flat, 1 single parents, 2 some term has two."""
    terms = content.terms_of(vocabulary)
    if any(t.second_parent for t in terms):
        return 2
    return int(any(t.parent for t in terms))


def _write_users(w: Writer, spec: SiteSpec, content: SiteContent) -> None:
    rows: list[tuple[Any, ...]] = [(0, "", "", "", 0, 0, 0, 0, None, "", "", None)]
    for u in content.users:
        data = php({"contact": 1, "overlay": 0}) if u.uid % 3 else php(False)
        rows.append(
            (u.uid, u.name, u.password, u.mail, u.created, u.access, u.access, u.status)
            + ("UTC", spec.language, u.mail, data)
        )
    w.insert(
        "users",
        ("uid", "name", "pass", "mail", "created", "access", "login", "status", "timezone")
        + ("language", "init", "data"),
        rows,
    )
    names = ["anonymous user", "authenticated user", "administrator"]
    names += [ROLE_LABELS[r] for r in ROLE_LABELS]
    w.insert("role", ("rid", "name", "weight"), [(i + 1, n, i) for i, n in enumerate(names)])
    rid = {role: 4 + i for i, role in enumerate(ROLE_LABELS)}
    w.insert(
        "users_roles",
        ("uid", "rid"),
        [(u.uid, rid[r]) for u in content.users for r in u.roles],
    )


def write_chunk(w: Writer, spec: SiteSpec, bundle: BundleSpec, chunk: NodeChunk) -> int:
    """Write a chunk of nodes with their revisions, field rows, files and term index.

    Returns the number of field value rows written (data + revision tables).
    """
    _write_nodes(w, chunk.nodes)
    written = 0
    ids = field_ids(spec)
    for field in bundle.fields:
        data, revision = d7fields.table_names(field, ids[field.name])
        cols = ["entity_type", "bundle", "deleted", "entity_id", "revision_id", "language", "delta"]
        cols += [f"{field.name}_{c}" for c, _ in d7fields.TYPES[field.kind].columns]
        written += w.insert(data, cols, _field_rows(field, chunk.nodes, current=True))
        written += w.insert(revision, cols, _field_rows(field, chunk.nodes, current=False))
    _write_files(w, chunk)
    w.insert(
        "taxonomy_index", ("nid", "tid", "sticky", "created"), _index_rows(bundle, chunk.nodes)
    )
    _write_comments(w, spec, bundle, chunk)
    return written


def _write_comments(w: Writer, spec: SiteSpec, bundle: BundleSpec, chunk: NodeChunk) -> None:
    """Write the chunk's comments, their bodies and every node's comment statistics row."""
    lang = spec.language
    w.insert(
        "comment",
        ("cid", "pid", "nid", "uid", "subject", "hostname", "created", "changed", "status")
        + ("thread", "name", "mail", "homepage", "language"),
        [
            (c.cid, c.pid, c.nid, c.uid, c.subject, c.hostname, c.created, c.changed, c.status)
            + (c.thread, c.name, "", "", lang)
            for c in chunk.comments
        ],
    )
    _write_entity_field(w, spec, "comment", f"comment_node_{bundle.name}", COMMENT_BODY,
                        [(c.cid, c.body) for c in chunk.comments])  # fmt: skip
    nodes = [(n.nid, n.uid, n.current.timestamp) for n in chunk.nodes]
    stats = node_statistics(nodes, chunk.comments)
    w.insert(
        "node_comment_statistics",
        ("nid", "cid", "last_comment_timestamp", "last_comment_name", "last_comment_uid")
        + ("comment_count",),
        [(s.nid, s.cid, s.timestamp, s.name, s.uid, s.count) for s in stats],
    )


def _write_nodes(w: Writer, nodes: list[Node]) -> None:
    comment = {n.nid: 2 if n.bundle in COMMENTED else 0 for n in nodes}  # open, or hidden
    w.insert(
        "node",
        ("nid", "vid", "type", "language", "title", "uid", "status", "created", "changed")
        + ("comment", "promote", "sticky", "tnid", "translate"),
        [
            (n.nid, n.current.vid, n.bundle, n.language, n.current.title, n.uid, n.current.status)
            + (n.created, n.current.timestamp, comment[n.nid], 0, 0, 0, 0)
            for n in nodes
        ],
    )
    w.insert(
        "node_revision",
        (
            "nid",
            "vid",
            "uid",
            "title",
            "log",
            "timestamp",
            "status",
            "comment",
            "promote",
            "sticky",
        ),
        [
            (n.nid, r.vid, r.uid, r.title, r.log, r.timestamp, r.status, comment[n.nid], 0, 0)
            for n in nodes
            for r in n.revisions
        ],
    )


def _field_rows(field: FieldSpec, nodes: list[Node], current: bool) -> Iterator[tuple[Any, ...]]:
    deleted = int(field.deleted)
    for node in nodes:
        for rev in [node.current] if current else node.revisions:
            for delta, value in enumerate(rev.values.get(field.name, [])):
                key = ("node", node.bundle, deleted, node.nid, rev.vid, "und", delta)
                yield key + d7fields.columns(field, value)


def _write_files(w: Writer, chunk: NodeChunk) -> None:
    w.insert(
        "file_managed",
        ("fid", "uid", "filename", "uri", "filemime", "filesize", "status", "timestamp"),
        [
            (f.fid, f.uid, f.filename, f.uri, f.mime, len(f.body), 1, f.timestamp)
            for f in chunk.files
        ],
    )
    revisions = {n.nid: len(n.revisions) for n in chunk.nodes}
    w.insert(
        "file_usage",
        ("fid", "module", "type", "id", "count"),
        [(f.fid, "file", "node", f.nid, revisions[f.nid]) for f in chunk.files],
    )


def _index_rows(bundle: BundleSpec, nodes: list[Node]) -> Iterator[tuple[Any, ...]]:
    """Yield Drupal 7 taxonomy_index rows (nid, tid, sticky, created)."""
    term_fields = [f.name for f in bundle.fields if f.kind == "term" and not f.deleted]
    for node, tid in indexed_terms(term_fields, nodes):
        yield (node.nid, tid, 0, node.created)
