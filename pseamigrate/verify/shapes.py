"""Where each planned step's rows live in the target, and both sides of a row as a document.

A step's *shape* names its table, the column holding the source id, its child tables and the
columns left out of the comparison because they hold merged rows' ids (a membership's account, a
shared term's merged term); those are compared by their merge keys instead (the account's
e-mail key and the role names, the term's name key). Documents are canonical (`canon.py`):
a projected document comes from an `Item` the migrate producers built, a target document from
the rows read back, and equal data gives equal digests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, MetaData, Table, func, select
from sqlalchemy.engine import Connection

from pseamigrate.migrate import plan as p
from pseamigrate.migrate.items import Item
from pseamigrate.migrate.lookups import IdMaps
from pseamigrate.target import model as cm
from pseamigrate.verify.canon import canonical, canonical_rows

MEMBERSHIP, SHARED_TERM = "membership", "shared term"


@dataclass(frozen=True)
class Shape:
    """How one step's rows are stored: table, key column, children, merged columns."""

    table: Table
    key: str = "source_id"
    children: tuple[tuple[Table, str], ...] = ()  # (child table, column pointing at the row)
    skip: tuple[str, ...] = ()
    merged: str = ""  # MEMBERSHIP, SHARED_TERM or ""
    merged_table: Table | None = None  # accounts, or the vocabulary's merged terms


def shape_of(step: p.Step, metadata: MetaData, model: cm.CanonicalModel) -> Shape | None:
    """Return the shape of a step's rows (None for steps that write nothing)."""
    tables = metadata.tables
    if step.kind == p.USERS:
        return Shape(tables["memberships"], skip=("account_id",), merged=MEMBERSHIP)
    if step.kind == p.FILES:
        return Shape(tables["files"])
    if step.kind == p.TERMS:
        vocabulary = model.vocabularies[step.destination]
        if vocabulary.scope == "shared":
            links = tables[f"{vocabulary.name}_term_sources"]
            return Shape(links, skip=("term_id",), merged=SHARED_TERM,
                         merged_table=tables[vocabulary.table])  # fmt: skip
        return Shape(tables[vocabulary.table])
    if step.kind not in (p.NODES, p.REVISIONS, p.NOTES):
        return None
    entity = model.entities[step.destination]
    if step.kind == p.NODES:
        fk = f"{entity.name}_id"
        children = tuple((tables[child.table], fk) for child in entity.children)
        return Shape(tables[entity.table], children=children)
    if step.kind == p.REVISIONS:
        assert entity.revisions is not None
        return Shape(tables[entity.revisions.table], key="source_revision_id")
    assert entity.notes is not None
    return Shape(tables[entity.notes.table])


def projected(shape: Shape, item: Item, ids: IdMaps) -> dict[str, Any]:
    """Return the document of a produced item: values, references of the same step resolved
    through the ledger, children, and merge keys."""
    values = dict(item.values)
    for column, kind, source_id in item.deferred:
        values[column] = ids.get(kind, source_id)
    document = canonical(shape.table, values, shape.skip)
    by_table = {child.table: child for child in item.children}
    for table, fk in shape.children:
        rows = by_table[table.name].rows if table.name in by_table else []
        document[f"children:{table.name}"] = canonical_rows(table, rows, (fk,))
    if shape.merged == MEMBERSHIP:
        document["merge:account"] = item.inputs.get("email_key")
        document["merge:roles"] = sorted(str(r) for r in item.inputs.get("roles") or ())
    elif shape.merged == SHARED_TERM:
        document["merge:name_key"] = item.inputs.get("name_key")
    return document


def key_values(shape: Shape, keys: Sequence[str]) -> list[Any]:
    """Return source ids typed as the key column stores them."""
    if isinstance(shape.table.c[shape.key].type, Integer):
        return [int(key) for key in keys]
    return list(keys)


def read_target(
    conn: Connection, shape: Shape, tenant_id: int, keys: Sequence[str]
) -> dict[str, tuple[int, dict[str, Any]]]:
    """Return, by source id, the target row id and document of the rows of `keys`."""
    if not keys:
        return {}
    t = shape.table
    query = select(t).where(t.c.tenant_id == tenant_id, t.c[shape.key].in_(key_values(shape, keys)))
    rows = [dict(row._mapping) for row in conn.execute(query)]
    ids = [int(row["id"]) for row in rows]
    documents = {int(row["id"]): canonical(t, row, shape.skip) for row in rows}
    for table, fk in shape.children:
        found = _children(conn, table, fk, ids)
        for row_id, document in documents.items():
            document[f"children:{table.name}"] = canonical_rows(table, found.get(row_id, []), (fk,))
    _merge_keys(conn, shape, rows, documents)
    return {str(row[shape.key]): (int(row["id"]), documents[int(row["id"])]) for row in rows}


def _children(
    conn: Connection, table: Table, fk: str, ids: list[int]
) -> dict[int, list[Mapping[str, Any]]]:
    out: dict[int, list[Mapping[str, Any]]] = {}
    for row in conn.execute(select(table).where(table.c[fk].in_(ids))):
        out.setdefault(int(row._mapping[fk]), []).append(dict(row._mapping))
    return out


def _merge_keys(
    conn: Connection, shape: Shape, rows: list[dict[str, Any]], documents: dict[int, Any]
) -> None:
    """Add the merge keys of merged rows: the account's e-mail key and the role names, or the
    merged term's name key."""
    if shape.merged == MEMBERSHIP:
        metadata = shape.table.metadata
        accounts = _names(conn, metadata.tables["accounts"], "email_key", rows, "account_id")
        roles = _role_names(conn, metadata, [int(row["id"]) for row in rows])
        for row in rows:
            document = documents[int(row["id"])]
            document["merge:account"] = accounts.get(row["account_id"])
            document["merge:roles"] = sorted(roles.get(int(row["id"]), []))
    elif shape.merged == SHARED_TERM:
        assert shape.merged_table is not None
        names = _names(conn, shape.merged_table, "name_key", rows, "term_id")
        for row in rows:
            documents[int(row["id"])]["merge:name_key"] = names.get(row["term_id"])


def _names(
    conn: Connection, table: Table, column: str, rows: list[dict[str, Any]], ref: str
) -> dict[Any, str]:
    wanted = sorted({row[ref] for row in rows if row[ref] is not None})
    if not wanted:
        return {}
    query = select(table.c.id, table.c[column]).where(table.c.id.in_(wanted))
    return {row[0]: str(row[1]) for row in conn.execute(query)}


def _role_names(conn: Connection, metadata: MetaData, ids: list[int]) -> dict[int, list[str]]:
    links, roles = metadata.tables["membership_roles"], metadata.tables["roles"]
    query = (
        select(links.c.membership_id, roles.c.source_id)
        .join(roles, roles.c.id == links.c.role_id)
        .where(links.c.membership_id.in_(ids))
    )
    out: dict[int, list[str]] = {}
    for membership_id, name in conn.execute(query):
        out.setdefault(int(membership_id), []).append(str(name))
    return out


def merged_across(conn: Connection, shape: Shape, tenant_id: int) -> int:
    """Return how many of the tenant's rows share their account (or term) with other tenants."""
    column = {MEMBERSHIP: "account_id", SHARED_TERM: "term_id"}.get(shape.merged)
    if column is None:
        return 0
    mine, other = shape.table.alias("mine"), shape.table.alias("other")
    elsewhere = (
        select(other.c.id)
        .where(other.c[column] == mine.c[column], other.c.tenant_id != tenant_id)
        .exists()
    )
    query = select(func.count()).select_from(mine).where(mine.c.tenant_id == tenant_id, elsewhere)
    return int(conn.execute(query).scalar() or 0)
