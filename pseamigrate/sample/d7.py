"""Drupal 7 layout: core tables, field storage, and the rows of one sample site.

Column types follow Drupal 7 core's `hook_schema()` (node.install, taxonomy.install,
user.install, system.install, field.install) as MySQL renders them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pseamigrate.sample import d7fields
from pseamigrate.sample.content import ROLE_LABELS, Node, NodeChunk, SiteContent, indexed_terms
from pseamigrate.sample.sites import BundleSpec, FieldSpec, SiteSpec
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
    ("modules/taxonomy/taxonomy.module", "taxonomy", 7011),
    ("sites/all/modules/date/date.module", "date", 7004),
    ("sites/all/modules/entityreference/entityreference.module", "entityreference", 7002),
)


def field_ids(spec: SiteSpec) -> dict[str, int]:
    """Number every field of the site in definition order (field_config.id)."""
    ids: dict[str, int] = {}
    for bundle in spec.bundles:
        for field in bundle.fields:
            ids.setdefault(field.name, len(ids) + 1)
    return ids


def create_tables(w: Writer, spec: SiteSpec) -> None:
    """Create Drupal 7's core tables and one data and revision table per field."""
    for table, body in CORE_TABLES.items():
        w.create(table, body.replace(", `", ",\n  `").replace(", PRIMARY", ",\n  PRIMARY"))
    ids = field_ids(spec)
    for bundle in spec.bundles:
        for field in bundle.fields:
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
        "date_default_timezone": php("UTC"),
    }


def _write_fields(w: Writer, spec: SiteSpec) -> None:
    ids = field_ids(spec)
    configs, instances = [], []
    for bundle in spec.bundles:
        for weight, field in enumerate(bundle.fields):
            t = d7fields.TYPES[field.kind]
            data = php(d7fields.field_data(field, ids[field.name]))
            deleted = int(field.deleted)
            configs.append(
                (ids[field.name], field.name, t.type, t.module, 1)
                + ("field_sql_storage", "field_sql_storage", 1, 0, data, field.cardinality, 0)
                + (deleted,)
            )
            label = _label(spec, field.label, field.label_fr)
            instance = php(d7fields.instance_data(field, label, weight))
            instances.append((ids[field.name], field.name, "node", bundle.name, instance, deleted))
    w.insert(
        "field_config",
        ("id", "field_name", "type", "module", "active", "storage_type", "storage_module")
        + ("storage_active", "locked", "data", "cardinality", "translatable", "deleted"),
        sorted(configs),
    )
    w.insert(
        "field_config_instance",
        ("field_id", "field_name", "entity_type", "bundle", "data", "deleted"),
        instances,
    )


def _write_taxonomy(w: Writer, spec: SiteSpec, content: SiteContent) -> None:
    vids = {v.machine_name: i + 1 for i, v in enumerate(spec.vocabularies)}
    w.insert(
        "taxonomy_vocabulary",
        ("vid", "name", "machine_name", "description", "hierarchy", "module", "weight"),
        [
            (vids[v.machine_name], _label(spec, v.label, v.label_fr), v.machine_name, "")
            + (int(v.hierarchical), "taxonomy", i)
            for i, v in enumerate(spec.vocabularies)
        ],
    )
    w.insert(
        "taxonomy_term_data",
        ("tid", "vid", "name", "description", "format", "weight"),
        [(t.tid, vids[t.vocabulary], t.name, "", "plain_text", t.weight) for t in content.terms],
    )
    w.insert(
        "taxonomy_term_hierarchy", ("tid", "parent"), [(t.tid, t.parent) for t in content.terms]
    )


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
    return written


def _write_nodes(w: Writer, nodes: list[Node]) -> None:
    w.insert(
        "node",
        ("nid", "vid", "type", "language", "title", "uid", "status", "created", "changed")
        + ("comment", "promote", "sticky", "tnid", "translate"),
        [
            (n.nid, n.current.vid, n.bundle, n.language, n.current.title, n.uid, n.current.status)
            + (n.created, n.current.timestamp, 0, 0, 0, 0, 0)
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
            (n.nid, r.vid, r.uid, r.title, r.log, r.timestamp, r.status, 0, 0, 0)
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
