"""Damage done on purpose to a migrated project, each returning the source id verify must name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL

from tests.migrate.helpers import Project

# Tables holding a node's rows, by layout: (table or prefix, id column, revision column).
NODE_TABLES = {
    "node": ("nid", "vid"),
    "node_revision": ("nid", "vid"),
    "node_field_data": ("nid", "vid"),
    "node_field_revision": ("nid", "vid"),
}
FIELD_PREFIXES = ("field_data_", "field_revision_", "node__", "node_revision__")
REVISION_TABLES = ("node_revision", "node_field_revision", "field_revision_", "node_revision__")


def run(url: URL, *statements: str, **params: Any) -> list[Any]:
    """Run statements in one transaction; return the rows of the last one (if any)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = None
            for sql in statements:
                result = conn.execute(text(sql), params)
            return list(result) if result is not None and result.returns_rows else []
    finally:
        engine.dispose()


def tenant_id(project: Project, site: str) -> int:
    """Return a site's tenant id in the target."""
    return int(project.scalar(f"SELECT id FROM tenants WHERE code = '{site}'"))


def delete_target_row(project: Project, site: str, table: str) -> str:
    """Delete one row of a tenant (foreign keys off: its children stay, orphaned)."""
    tid = tenant_id(project, site)
    sid = project.scalar(f"SELECT MAX(source_id) FROM `{table}` WHERE tenant_id = {tid}")
    run(
        project.target,
        "SET FOREIGN_KEY_CHECKS = 0",
        f"DELETE FROM `{table}` WHERE tenant_id = {tid} AND source_id = {sid}",
        "SET FOREIGN_KEY_CHECKS = 1",
    )
    return str(sid)


def delete_revision(project: Project, site: str, table: str) -> str:
    """Delete the oldest revision row of a tenant; return its source revision id."""
    tid = tenant_id(project, site)
    vid = project.scalar(f"SELECT MIN(source_revision_id) FROM `{table}` WHERE tenant_id = {tid}")
    run(
        project.target,
        f"DELETE FROM `{table}` WHERE tenant_id = {tid} AND source_revision_id = {vid}",
    )
    return str(vid)


def flip_published(project: Project, site: str, table: str) -> str:
    """Change one field of one row in the target."""
    tid = tenant_id(project, site)
    sid = project.scalar(f"SELECT MIN(source_id) FROM `{table}` WHERE tenant_id = {tid}")
    run(
        project.target,
        f"UPDATE `{table}` SET published = 1 - COALESCE(published, 0) "
        f"WHERE tenant_id = {tid} AND source_id = {sid}",
    )
    return str(sid)


def remove_child(project: Project, site: str, table: str) -> str:
    """Delete one multi-value child row of a tenant; return its parent's source id."""
    tid = tenant_id(project, site)
    row = run(
        project.target, f"SELECT id, source_id FROM `{table}` WHERE tenant_id = {tid} LIMIT 1"
    )
    assert row, f"no {table} rows in tenant {site}"
    run(project.target, f"DELETE FROM `{table}` WHERE id = {row[0][0]}")
    return str(row[0][1])


def alter_stored_file(project: Project, site: str) -> str:
    """Append a byte to a file's copy in the target's store; return the file's source id."""
    tid = tenant_id(project, site)
    row = run(
        project.target,
        f"SELECT source_id, uri FROM files WHERE tenant_id = {tid} AND sha256 IS NOT NULL "
        "ORDER BY source_id LIMIT 1",
    )
    sid, uri = row[0]
    scheme, _, rest = str(uri).partition("://")
    path = project.store / site / {"public": "files", "private": "private"}[scheme] / rest
    with open(path, "ab") as handle:
        handle.write(b"\0")
    return str(sid)


def copy_node(url: URL, bundle: str) -> tuple[str, str]:
    """Add a node to a source site by copying a node's current rows under new ids (both
    layouts); return the new nid and vid."""
    nid, vid = run(url, f"SELECT nid, vid FROM node WHERE type = '{bundle}' ORDER BY nid LIMIT 1")[
        0
    ]
    new_nid = int(run(url, "SELECT MAX(nid) FROM node")[0][0]) + 1000
    new_vid = int(run(url, "SELECT MAX(vid) FROM node_revision")[0][0]) + 1000
    engine = create_engine(url)
    try:
        names = inspect(engine).get_table_names()
        columns = {name: [c["name"] for c in inspect(engine).get_columns(name)] for name in names}
    finally:
        engine.dispose()
    statements = []
    for name, cols in columns.items():
        if name in NODE_TABLES:
            key, rev = NODE_TABLES[name]
        elif name.startswith(FIELD_PREFIXES) and "entity_id" in cols:
            key, rev = "entity_id", "revision_id"
        else:
            continue
        values = {key: str(new_nid), rev: str(new_vid), "uuid": "UUID()"}
        chosen = ", ".join(values.get(c, f"`{c}`") for c in cols)
        where = f"`{key}` = {nid}"
        if name.startswith(REVISION_TABLES):
            where += f" AND `{rev}` = {vid}"
        if "entity_type" in cols:
            where += " AND entity_type = 'node'"
        listed = ", ".join(f"`{c}`" for c in cols)
        statements.append(
            f"INSERT INTO `{name}` ({listed}) SELECT {chosen} FROM `{name}` WHERE {where}"
        )
    run(url, *statements)
    return str(new_nid), str(new_vid)


def change_ignored_field(url: URL, field: str) -> int:
    """Change every value of a field the mapping ignores, live or deleted (found by its value
    column in every table); return how many tables held it."""
    column = f"{field}_value"
    engine = create_engine(url)
    try:
        found = inspect(engine)
        names = [
            n
            for n in found.get_table_names()
            if column in {c["name"] for c in found.get_columns(n)}
        ]
    finally:
        engine.dispose()
    assert names, f"no table holds {column}"
    for name in names:
        run(url, f"UPDATE `{name}` SET `{column}` = CONCAT(`{column}`, '-X')")
    return len(names)


def edit_title(url: URL, bundle: str) -> str:
    """Edit a node's title in the source (every revision, both layouts); return its nid."""
    nid = run(url, f"SELECT MAX(nid) FROM node WHERE type = '{bundle}'")[0][0]
    engine = create_engine(url)
    try:
        found = inspect(engine)
        names = [
            name
            for name in ("node", "node_revision", "node_field_data", "node_field_revision")
            if name in found.get_table_names()
            and "title" in {c["name"] for c in found.get_columns(name)}
        ]
    finally:
        engine.dispose()
    run(
        url,
        *(f"UPDATE `{n}` SET title = CONCAT(title, ' (edited)') WHERE nid = {nid}" for n in names),
    )
    return str(nid)


def plant_notes(project: Project, site: str) -> tuple[str, str]:
    """Insert two notes on a complaint of a tenant straight into the target: one the ledger says
    the tool wrote (its comment is not in the source: gone), one the ledger knows nothing of.
    Return their source ids."""
    tid = tenant_id(project, site)
    complaint, nid = run(
        project.target, f"SELECT id, source_id FROM complaints WHERE tenant_id = {tid} LIMIT 1"
    )[0]
    run_id = project.scalar(f"SELECT MAX(id) FROM pm_runs WHERE tenant_id = {tid}")
    gone, stray = "990001", "990002"
    for cid in (gone, stray):
        run(
            project.target,
            "INSERT INTO complaint_notes (tenant_id, complaint_id, source_id, source_entity_id, "
            f"thread, published, imported_at) VALUES ({tid}, {complaint}, {cid}, {nid}, '01/', 1, "
            "NOW())",
        )
    note = project.scalar(f"SELECT id FROM complaint_notes WHERE source_id = {gone}")
    run(
        project.target,
        "INSERT INTO pm_id_map (tenant_id, source_entity, source_id, target_table, target_id, "
        "row_hash, status, first_run_id, run_id, imported_at) VALUES "
        f"({tid}, 'comment:complaint', '{gone}', 'complaint_notes', {note}, NULL, 'imported', "
        f"{run_id}, {run_id}, NOW())",
    )
    return gone, stray


def drop_field_values(url: URL, field: str, bundle: str) -> str:
    """Delete a node's values of a field in every table holding them; return the nid."""
    nid = run(url, f"SELECT MIN(nid) FROM node WHERE type = '{bundle}'")[0][0]
    column = f"{field}_value"
    engine = create_engine(url)
    try:
        found = inspect(engine)
        names = [
            n
            for n in found.get_table_names()
            if column in {c["name"] for c in found.get_columns(n)}
        ]
    finally:
        engine.dispose()
    run(url, *(f"DELETE FROM `{n}` WHERE entity_id = {nid}" for n in names))
    return str(nid)


def delete_node(url: URL, bundle: str) -> tuple[str, list[str]]:
    """Delete a node of a source site with its revisions and field rows (both layouts), as an
    editor deleting it in Drupal would; return its nid and its revision ids."""
    nid = run(url, f"SELECT MAX(nid) FROM node WHERE type = '{bundle}'")[0][0]
    vids = [str(v) for (v,) in run(url, f"SELECT vid FROM node_revision WHERE nid = {nid}")]
    engine = create_engine(url)
    try:
        found = inspect(engine)
        columns = {n: {c["name"] for c in found.get_columns(n)} for n in found.get_table_names()}
    finally:
        engine.dispose()
    statements = [
        f"DELETE FROM `{name}` WHERE nid = {nid}" for name in columns if name in NODE_TABLES
    ]
    statements += [
        f"DELETE FROM `{name}` WHERE entity_id = {nid}"
        + (" AND entity_type = 'node'" if "entity_type" in cols else "")
        for name, cols in columns.items()
        if name.startswith(FIELD_PREFIXES) and "entity_id" in cols
    ]
    run(url, *statements)
    return str(nid), vids
