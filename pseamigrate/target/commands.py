"""`pseamigrate schema create|upgrade|show|docs`: the target schema against a live database.

Each command plans first (a list of `Change`, each with its SQL) and executes only without
`dry_run`. `create` refuses a non-empty database unless it already is exactly the model;
`upgrade` adds (tables, columns, indexes, foreign keys) and reports what it would drop or
alter, raising `SchemaMismatch` after the additions. The one change it makes in place is a
tightening of keys that drops no data (#30): a primary key the model extends (`(id)` →
`(id, tenant_id)`), and a foreign key or index the model replaces by one that starts with the
same columns (`(author_id)` → `(author_id, tenant_id)`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, MetaData, Table, UniqueConstraint
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import AddConstraint, CreateColumn, CreateIndex, CreateTable

from pseamigrate.config import ConnectionSpec, Settings
from pseamigrate.db import connection, describe_db_error, quote_name
from pseamigrate.errors import ConfigError, RefusedForSafety, SchemaMismatch, WriteFailed
from pseamigrate.target import logical
from pseamigrate.target.docs import render_schema_docs
from pseamigrate.target.model import CanonicalModel, load_model
from pseamigrate.target.schema import build_metadata


@dataclass(frozen=True)
class Change:
    """One planned change to the target: what it does and the SQL that does it."""

    kind: str  # create table, add column, add index, add foreign key
    table: str
    name: str
    sql: str


@dataclass(frozen=True)
class SchemaResult:
    """What a create or upgrade did (or would do, on a dry run)."""

    changes: tuple[Change, ...]
    applied: bool
    removals: tuple[str, ...] = ()


def target_url(settings: Settings | None, url_env: str | None) -> URL:
    """Return the target URL from `--url-env VAR`, or from the project file's target.

    `settings` may be None when `url_env` is given: the project file is then not needed.
    """
    if url_env:
        return ConnectionSpec(url_env=url_env).resolve()
    if settings is None:
        raise ConfigError("no target: pass --url-env VAR or a project file")
    settings.require_file(or_else="pass --url-env")
    return settings.target_connection().resolve()


def _compare(
    conn: Connection, model: CanonicalModel | None
) -> tuple[MetaData, logical.Schema, logical.Schema]:
    """Return the model's metadata, its logical schema, and the database's."""
    metadata = build_metadata(model or load_model())
    return metadata, logical.from_metadata(metadata), logical.from_database(conn)


def create_schema(
    conn: Connection, model: CanonicalModel | None = None, dry_run: bool = False
) -> SchemaResult:
    """Create every table of the model in an empty database."""
    metadata, wanted, existing = _compare(conn, model)
    if existing:
        if existing == wanted:
            return SchemaResult((), applied=False)
        raise RefusedForSafety(
            f"the target database is not empty ({len(existing)} tables) and differs from the "
            "model; use 'pseamigrate schema upgrade' to add what is missing"
        )
    changes = tuple(_create_table(table) for table in metadata.sorted_tables)
    if not dry_run:
        metadata.create_all(conn)
        conn.commit()
    return SchemaResult(changes, applied=not dry_run)


def upgrade_schema(
    conn: Connection, model: CanonicalModel | None = None, dry_run: bool = False
) -> SchemaResult:
    """Add the model's missing tables, columns, indexes and keys; never drop or alter."""
    metadata, wanted, existing = _compare(conn, model)
    loosen, tighten, drop_after = plan_key_changes(wanted, existing)
    changes = loosen + tighten + plan_additions(metadata, wanted, existing) + drop_after
    replaced = {f"{c.kind} {c.table}.{c.name}" for c in loosen + drop_after}
    removals = tuple(r for r in plan_removals(wanted, existing) if r not in replaced)
    if not dry_run and changes:
        _apply(conn, changes)
        conn.commit()
    result = SchemaResult(tuple(changes), applied=not dry_run, removals=removals)
    if removals:
        raise SchemaMismatch(_removal_message(result))
    return result


def _removal_message(result: SchemaResult) -> str:
    done = "added" if result.applied else "would add"
    lines = "\n".join(f"  {removal}" for removal in result.removals)
    return (
        f"{done} {len(result.changes)} change(s); the model no longer has these, which "
        f"upgrade never drops or alters (do it by hand after a backup):\n{lines}"
    )


def plan_additions(
    metadata: MetaData, wanted: logical.Schema, existing: logical.Schema
) -> list[Change]:
    """Return the changes that add what `existing` lacks, tables first."""
    changes: list[Change] = []
    for table in metadata.sorted_tables:
        if table.name not in existing:
            changes.append(_create_table(table))
            continue
        changes.extend(_table_additions(table, wanted[table.name], existing[table.name]))
    return changes


def _table_additions(
    table: Table, wanted: logical.LogicalTable, have: logical.LogicalTable
) -> list[Change]:
    changes = []
    for column in table.columns:
        if have.column(column.name) is None:
            spec = CreateColumn(column).compile(dialect=mysql.dialect())
            sql = f"ALTER TABLE {quote_name(table.name)} ADD COLUMN {spec}"
            changes.append(Change("add column", table.name, column.name, sql))
    have_indexes = {index.name for index in have.indexes}
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint) and constraint.name not in have_indexes:
            sql = _sql(AddConstraint(constraint))
            changes.append(Change("add index", table.name, str(constraint.name), sql))
    for index in table.indexes:
        if index.name not in have_indexes:
            changes.append(
                Change("add index", table.name, str(index.name), _sql(CreateIndex(index)))
            )
    have_fks = {fk.name for fk in have.foreign_keys}
    for fk in table.foreign_key_constraints:
        if fk.name not in have_fks:
            sql = _sql(AddConstraint(fk))
            changes.append(Change("add foreign key", table.name, str(fk.name), sql))
    return changes


def plan_key_changes(
    wanted: logical.Schema, existing: logical.Schema
) -> tuple[list[Change], list[Change], list[Change]]:
    """Return the in-place tightening of keys (#30), in the order it must run: the foreign keys
    the model replaces (dropped first: a primary key they use cannot change), the primary keys
    the model extends, and, after the additions, the indexes the model replaces."""
    drop_fks: list[Change] = []
    primary: list[Change] = []
    drop_indexes: list[Change] = []
    for name in sorted(set(wanted) & set(existing)):
        want, have = wanted[name], existing[name]
        table = quote_name(name)
        want_fks = {f.name for f in want.foreign_keys}
        for fk in have.foreign_keys:
            if fk.name not in want_fks and _fk_replaced(fk, want.foreign_keys):
                sql = f"ALTER TABLE {table} DROP FOREIGN KEY {quote_name(fk.name)}"
                drop_fks.append(Change("drop foreign key", name, fk.name, sql))
        if _extends(want.primary_key, have.primary_key):
            columns = ", ".join(quote_name(c) for c in want.primary_key)
            sql = f"ALTER TABLE {table} DROP PRIMARY KEY, ADD PRIMARY KEY ({columns})"
            primary.append(Change("extend primary key", name, "PRIMARY", sql))
        want_indexes = {i.name for i in want.indexes}
        for index in have.indexes:
            if index.name not in want_indexes and _index_replaced(index, want.indexes):
                sql = f"DROP INDEX {quote_name(index.name)} ON {table}"
                drop_indexes.append(Change("drop index", name, index.name, sql))
    return drop_fks, primary, drop_indexes


def _extends(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    return len(longer) > len(shorter) > 0 and longer[: len(shorter)] == shorter


def _fk_replaced(
    fk: logical.LogicalForeignKey, wanted: tuple[logical.LogicalForeignKey, ...]
) -> bool:
    """True when the model has a foreign key to the same table that extends this one."""
    return any(
        w.referred_table == fk.referred_table
        and _extends(w.columns, fk.columns)
        and _extends(w.referred_columns, fk.referred_columns)
        for w in wanted
    )


def _index_replaced(index: logical.LogicalIndex, wanted: tuple[logical.LogicalIndex, ...]) -> bool:
    """True when a plain index is led by the columns of a wider index of the model."""
    return not index.unique and any(_extends(w.columns, index.columns) for w in wanted)


def plan_removals(wanted: logical.Schema, existing: logical.Schema) -> list[str]:
    """List what the database has that the model lost or changed (upgrade never does these)."""
    removals = [f"drop table {name}" for name in sorted(set(existing) - set(wanted))]
    for name in sorted(set(existing) & set(wanted)):
        want, have = wanted[name], existing[name]
        for column in have.columns:
            other = want.column(column.name)
            if other is None:
                removals.append(f"drop column {name}.{column.name}")
            elif other != column:
                removals.append(
                    f"alter column {name}.{column.name}: {_col(column)} -> {_col(other)}"
                )
        want_indexes = {i.name for i in want.indexes}
        removals += [
            f"drop index {name}.{i.name}" for i in have.indexes if i.name not in want_indexes
        ]
        want_fks = {f.name for f in want.foreign_keys}
        removals += [
            f"drop foreign key {name}.{f.name}" for f in have.foreign_keys if f.name not in want_fks
        ]
    return removals


def _col(column: logical.LogicalColumn) -> str:
    return f"{column.type} {'null' if column.nullable else 'not null'}"


def _create_table(table: Table) -> Change:
    statements = [_sql(CreateTable(table))] + [
        _sql(CreateIndex(index)) for index in sorted(table.indexes, key=lambda i: str(i.name))
    ]
    return Change("create table", table.name, table.name, ";\n".join(statements))


def _apply(conn: Connection, changes: list[Change]) -> None:
    for change in changes:
        try:
            for statement in change.sql.split(";\n"):
                conn.exec_driver_sql(statement)
        except DBAPIError as exc:  # the server's code and the table, never a quoted value
            raise WriteFailed(change.table, describe_db_error(exc)) from None


def _sql(element: object) -> str:
    compiled = element.compile(dialect=mysql.dialect())  # type: ignore[attr-defined]
    return str(compiled).strip()


def schema_ddl(model: CanonicalModel | None = None) -> str:
    """Return the DDL that creates the whole schema, for a DBA to read or run."""
    metadata = build_metadata(model or load_model())
    return "".join(f"{change.sql};\n\n" for change in map(_create_table, metadata.sorted_tables))


def show_schema(conn: Connection | None, model: CanonicalModel | None = None) -> logical.Schema:
    """Return the logical schema of the database, or of the model when `conn` is None."""
    if conn is None:
        return logical.from_metadata(build_metadata(model or load_model()))
    return logical.from_database(conn)


def change_schema(
    url: URL, action: str, model: CanonicalModel | None = None, dry_run: bool = False
) -> SchemaResult:
    """Run `schema create` or `schema upgrade` (`action`) on the database at `url`."""
    run = create_schema if action == "create" else upgrade_schema
    with connection(url, "the target") as conn:
        return run(conn, model, dry_run)


def read_schema(url: URL | None, model: CanonicalModel | None = None) -> logical.Schema:
    """Return the logical schema of the database at `url`, or of the model when `url` is None."""
    if url is None:
        return show_schema(None, model)
    with connection(url, "the target") as conn:
        return show_schema(conn)


# Relative to the current directory: an installed package has no checkout to write into.
DOCS_PATH = Path("docs") / "schema.md"


def write_schema_docs(model: CanonicalModel | None = None, path: Path | None = None) -> Path:
    """Write the schema documentation (default `docs/schema.md` under the current directory);
    return where it went."""
    path = path or DOCS_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_schema_docs(model or load_model()), encoding="utf-8")
    return path
