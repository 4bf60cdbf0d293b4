"""Changes made to a source site the way Drupal makes them (both layouts): edits stamped
`changed`, new revisions, comments and replies, new and replaced files, deleted nodes."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL

from tests.verify.damage import run

NOW = "UNIX_TIMESTAMP()"


def columns(url: URL) -> dict[str, list[str]]:
    """Return every table of a site with its columns."""
    engine = create_engine(url)
    try:
        found = inspect(engine)
        return {
            name: [c["name"] for c in found.get_columns(name)] for name in found.get_table_names()
        }
    finally:
        engine.dispose()


def _copy(table: str, cols: list[str], where: str, values: dict[str, str]) -> str:
    """Return the INSERT … SELECT copying rows of `table` with some columns replaced."""
    chosen = ", ".join(values.get(c, f"`{c}`") for c in cols)
    listed = ", ".join(f"`{c}`" for c in cols)
    return f"INSERT INTO `{table}` ({listed}) SELECT {chosen} FROM `{table}` WHERE {where}"


def d8(url: URL) -> bool:
    """Tell a Drupal 8+ site from a Drupal 7 one."""
    return "node_field_data" in columns(url)


def _nth_node(url: URL, bundle: str, offset: int) -> int:
    sql = f"SELECT nid FROM node WHERE type = '{bundle}' ORDER BY nid LIMIT {offset}, 1"
    return int(run(url, sql)[0][0])


def edit_node(url: URL, bundle: str, offset: int = 0) -> int:
    """Edit a node's title in place (no new revision) and stamp it changed; return its nid."""
    nid = _nth_node(url, bundle, offset)
    vid = int(run(url, f"SELECT vid FROM node WHERE nid = {nid}")[0][0])
    statements = []
    for table, cols in columns(url).items():
        if table in ("node", "node_revision", "node_field_data", "node_field_revision"):
            sets = ["title = CONCAT(title, ' (edited)')"] if "title" in cols else []
            sets += [f"changed = {NOW}"] if "changed" in cols else []
            if sets:
                statements.append(
                    f"UPDATE `{table}` SET {', '.join(sets)} WHERE nid = {nid} AND vid = {vid}"
                )
    run(url, *statements)
    return nid


def add_revision(url: URL, bundle: str, offset: int = 1) -> tuple[int, int]:
    """Save a node as a new revision (a new vid, the title changed); return nid and vid."""
    nid, vid = run(
        url, f"SELECT nid, vid FROM node WHERE type = '{bundle}' ORDER BY nid LIMIT {offset}, 1"
    )[0]
    new = int(run(url, "SELECT MAX(vid) FROM node_revision")[0][0]) + 1
    statements = []
    for table, cols in columns(url).items():
        if table in ("node_revision", "node_field_revision"):
            values = {"vid": str(new), "title": "CONCAT(title, ' (v2)')"}
            values |= {"timestamp": NOW, "revision_timestamp": NOW, "changed": NOW}
            statements.append(_copy(table, cols, f"nid = {nid} AND vid = {vid}", values))
        elif table in ("node", "node_field_data"):
            sets = [f"vid = {new}"] + ([f"changed = {NOW}"] if "changed" in cols else [])
            sets += ["title = CONCAT(title, ' (v2)')"] if "title" in cols else []
            statements.append(f"UPDATE `{table}` SET {', '.join(sets)} WHERE nid = {nid}")
        elif table.startswith(("field_revision_", "node_revision__")) and "revision_id" in cols:
            where = f"entity_id = {nid} AND revision_id = {vid}"
            where += " AND entity_type = 'node'" if "entity_type" in cols else ""
            statements.append(_copy(table, cols, where, {"revision_id": str(new)}))
        elif table.startswith(("field_data_", "node__")) and "revision_id" in cols:
            where = f"entity_id = {nid}" + (
                " AND entity_type = 'node'" if "entity_type" in cols else ""
            )
            statements.append(f"UPDATE `{table}` SET revision_id = {new} WHERE {where}")
    run(url, *statements)
    return int(nid), new


def add_comment_and_reply(url: URL, bundle: str) -> tuple[int, int]:
    """Add a comment and a reply to it on an old node of `bundle` (the last one with comments:
    nothing else of it changes); return both cids."""
    tables = columns(url)
    if "comment_field_data" in tables:
        data, node = "comment_field_data", "entity_id"
    else:
        data, node = "comment", "nid"
    first, nid = run(
        url,
        f"SELECT c.cid, c.{node} FROM `{data}` c JOIN node n ON n.nid = c.{node} "
        f"WHERE n.type = '{bundle}' ORDER BY c.{node} DESC, c.cid LIMIT 1",
    )[0]
    new = int(run(url, "SELECT MAX(cid) FROM comment")[0][0]) + 1
    statements = []
    for cid, parent, thread in ((new, "0", "'90/'"), (new + 1, str(new), "'90.00/'")):
        for table, cols in tables.items():
            values = {"uuid": "UUID()", "thread": thread, "changed": NOW, "created": NOW}
            if table in ("comment", "comment_field_data"):
                values |= {
                    "cid": str(cid),
                    "pid": parent if parent != "0" or data == "comment" else "NULL",
                }
                statements.append(_copy(table, cols, f"cid = {first}", values))
            elif table.startswith(("comment__", "field_data_", "field_revision_")):
                if table.startswith("field_") and "entity_type" not in cols:
                    continue
                where = f"entity_id = {first}"
                where += " AND entity_type = 'comment'" if "entity_type" in cols else ""
                values = {"entity_id": str(cid), "revision_id": str(cid)}
                statements.append(_copy(table, cols, where, values))
    run(url, *statements)
    assert nid is not None
    return new, new + 1


def _on_disk(files: Path, uri: str) -> Path:
    found = files / uri.replace("public://", "public/", 1)
    return found if found.is_file() else files / uri.replace("://", "/", 1)


def add_and_replace_files(url: URL, files: Path) -> tuple[int, int]:
    """Upload a new file (a copy of the first one's row, new content) and replace the content
    of another, stamping both; return the new fid and the replaced one's."""
    stamp = "changed" if d8(url) else "timestamp"
    rows = run(url, "SELECT fid, uri FROM file_managed ORDER BY fid")
    on_disk = [(int(fid), str(uri)) for fid, uri in rows if _on_disk(files, str(uri)).is_file()]
    (first, uri), (other, other_uri) = on_disk[0], on_disk[1]
    new = int(run(url, "SELECT MAX(fid) FROM file_managed")[0][0]) + 1
    new_uri = f"{uri}.delta.txt"
    body = b"a file uploaded after the first run\n"
    target = _on_disk(files, uri).with_name(_on_disk(files, uri).name + ".delta.txt")
    target.write_bytes(body)
    replaced = b"the replaced content of a file\n" * 3
    _on_disk(files, other_uri).write_bytes(replaced)
    cols = columns(url)["file_managed"]
    values = {"fid": str(new), "uri": f"'{new_uri}'", "uuid": "UUID()"}
    values |= {"filesize": str(len(body)), stamp: NOW}
    run(
        url,
        _copy("file_managed", cols, f"fid = {first}", values),
        f"UPDATE file_managed SET filesize = {len(replaced)}, {stamp} = {NOW} WHERE fid = {other}",
    )
    return new, other


def delete_node(url: URL, bundle: str, offset: int = 2) -> int:
    """Delete a node as Drupal does: its revisions, field rows and comments go with it."""
    nid = _nth_node(url, bundle, offset)
    tables = columns(url)
    comment_data = "comment_field_data" if "comment_field_data" in tables else "comment"
    node_column = "entity_id" if comment_data == "comment_field_data" else "nid"
    cids = [
        int(r[0]) for r in run(url, f"SELECT cid FROM `{comment_data}` WHERE {node_column} = {nid}")
    ]
    statements = []
    for table, cols in tables.items():
        statements += _node_rows(table, cols, nid) + _comment_rows(table, cols, cids)
        if table == "file_usage":
            statements.append(f"DELETE FROM file_usage WHERE type = 'node' AND id = {nid}")
    run(url, *statements)
    return nid


def _node_rows(table: str, cols: list[str], nid: int) -> list[str]:
    """Return the deletes of a node's rows in one table (none if it holds none)."""
    if table in ("node", "node_revision", "node_field_data", "node_field_revision"):
        return [f"DELETE FROM `{table}` WHERE nid = {nid}"]
    fields = table.startswith(("field_data_", "field_revision_", "node__", "node_revision__"))
    if not fields or "entity_id" not in cols:
        return []
    if "entity_type" in cols:
        return [f"DELETE FROM `{table}` WHERE entity_id = {nid} AND entity_type = 'node'"]
    return [f"DELETE FROM `{table}` WHERE entity_id = {nid}"] if table.startswith("node") else []


def _comment_rows(table: str, cols: list[str], cids: list[int]) -> list[str]:
    """Return the deletes of some comments' rows in one table (none if it holds none)."""
    listed = ",".join(map(str, cids))
    if not cids:
        return []
    if table in ("comment", "comment_field_data"):
        return [f"DELETE FROM `{table}` WHERE cid IN ({listed})"]
    if not table.startswith(("comment__", "field_data_", "field_revision_")):
        return []
    if "entity_type" in cols:
        return [f"DELETE FROM `{table}` WHERE entity_id IN ({listed}) AND entity_type = 'comment'"]
    return [f"DELETE FROM `{table}` WHERE entity_id IN ({listed})"] if table.startswith("c") else []
