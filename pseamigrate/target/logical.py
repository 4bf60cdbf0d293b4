"""The logical schema: tables, columns and keys in a form where MySQL and MariaDB compare equal.

`from_metadata` describes what the model asks for; `from_database` what a server holds. Types are
normalised (display widths dropped, `BOOL`/`TINYINT(1)` → boolean, MariaDB's `LONGTEXT` JSON
alias → json, `INT` → integer), so the same schema reads the same on both servers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    ForeignKeyConstraint,
    Index,
    MetaData,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeEngine

_DIALECT = mysql.dialect()
_WIDTH = re.compile(r"^(BIGINT|INTEGER|INT|SMALLINT|TINYINT|MEDIUMINT)\((\d+)\)")
_ALIASES = {
    "INT": "integer",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "BOOL": "boolean",
    "BOOLEAN": "boolean",
    "TINYINT(1)": "boolean",
    "LONGTEXT": "json",  # MariaDB's JSON is LONGTEXT + json_valid(); the model has no other
}


@dataclass(frozen=True, order=True)
class LogicalColumn:
    """A column: name, normalised type and whether it accepts NULL."""

    name: str
    type: str
    nullable: bool


@dataclass(frozen=True, order=True)
class LogicalIndex:
    """An index or unique constraint, by name and columns."""

    name: str
    columns: tuple[str, ...]
    unique: bool


@dataclass(frozen=True, order=True)
class LogicalForeignKey:
    """A foreign key: name, local columns, referred table and columns."""

    name: str
    columns: tuple[str, ...]
    referred_table: str
    referred_columns: tuple[str, ...]


@dataclass(frozen=True)
class LogicalTable:
    """One table of the logical schema."""

    name: str
    columns: tuple[LogicalColumn, ...]
    primary_key: tuple[str, ...]
    indexes: tuple[LogicalIndex, ...]
    foreign_keys: tuple[LogicalForeignKey, ...]
    engine: str = "InnoDB"
    charset: str = "utf8mb4"

    def column(self, name: str) -> LogicalColumn | None:
        """Return the named column, or None."""
        return next((c for c in self.columns if c.name == name), None)


Schema = dict[str, LogicalTable]


def normalise_type(sql_type: TypeEngine[Any]) -> str:
    """Return a server-neutral lower-case name for a column type."""
    compiled = str(sql_type.compile(dialect=_DIALECT)).upper()
    compiled = compiled.split(" COLLATE ")[0].split(" CHARACTER SET ")[0].strip()
    if compiled == "TINYINT(1)":
        return "boolean"
    compiled = _WIDTH.sub(r"\1", compiled)
    if compiled == "TINYINT":  # MySQL 8.0.19+ hides the (1) of BOOL on reflection
        return "boolean"
    return _ALIASES.get(compiled, compiled.lower())


def from_metadata(metadata: MetaData) -> Schema:
    """Describe the tables `metadata` would create."""
    return {table.name: _table_from_metadata(table) for table in metadata.sorted_tables}


def _table_from_metadata(table: Table) -> LogicalTable:
    columns = tuple(
        LogicalColumn(c.name, normalise_type(c.type), bool(c.nullable)) for c in table.columns
    )
    indexes = [
        LogicalIndex(str(c.name), tuple(col.name for col in c.columns), True)
        for c in table.constraints
        if isinstance(c, UniqueConstraint)
    ]
    indexes += [
        LogicalIndex(str(i.name), tuple(col.name for col in i.columns), bool(i.unique))
        for i in table.indexes
        if isinstance(i, Index)
    ]
    fks = [
        LogicalForeignKey(
            str(c.name),
            tuple(col.name for col in c.columns),
            c.referred_table.name,
            tuple(e.column.name for e in c.elements),
        )
        for c in table.constraints
        if isinstance(c, ForeignKeyConstraint)
    ]
    primary = tuple(c.name for c in table.primary_key.columns)
    return LogicalTable(table.name, columns, primary, tuple(sorted(indexes)), tuple(sorted(fks)))


def from_database(conn: Connection) -> Schema:
    """Describe the tables of the connection's current database."""
    inspector = sa_inspect(conn)
    options = _table_options(conn)
    schema: Schema = {}
    for name in sorted(inspector.get_table_names()):
        columns = tuple(
            LogicalColumn(c["name"], normalise_type(c["type"]), bool(c["nullable"]))
            for c in inspector.get_columns(name)
        )
        primary = tuple(inspector.get_pk_constraint(name)["constrained_columns"])
        indexes = tuple(
            sorted(
                LogicalIndex(str(i["name"]), tuple(str(c) for c in i["column_names"]), i["unique"])
                for i in inspector.get_indexes(name)
            )
        )
        fks = tuple(
            sorted(
                LogicalForeignKey(
                    str(f["name"]),
                    tuple(f["constrained_columns"]),
                    f["referred_table"],
                    tuple(f["referred_columns"]),
                )
                for f in inspector.get_foreign_keys(name)
            )
        )
        engine, charset = options.get(name, ("", ""))
        schema[name] = LogicalTable(name, columns, primary, indexes, fks, engine, charset)
    return schema


def _table_options(conn: Connection) -> dict[str, tuple[str, str]]:
    rows = conn.execute(
        text(
            "SELECT TABLE_NAME, ENGINE, TABLE_COLLATION FROM information_schema.TABLES"
            " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'"
        )
    )
    return {
        str(name): (str(engine), str(collation or "").split("_")[0])
        for name, engine, collation in rows
    }


def render(schema: Schema) -> list[str]:
    """Render a logical schema as stable text lines, for `schema show` and diffs."""
    lines: list[str] = []
    for table in sorted(schema.values(), key=lambda t: t.name):
        lines.append(f"table {table.name} ({table.engine}, {table.charset})")
        for column in table.columns:
            null = "null" if column.nullable else "not null"
            key = " primary key" if column.name in table.primary_key else ""
            lines.append(f"  {column.name} {column.type} {null}{key}")
        for index in table.indexes:
            kind = "unique" if index.unique else "index"
            lines.append(f"  {kind} {index.name} ({', '.join(index.columns)})")
        for fk in table.foreign_keys:
            target = f"{fk.referred_table}({', '.join(fk.referred_columns)})"
            lines.append(f"  foreign key {fk.name} ({', '.join(fk.columns)}) -> {target}")
    return lines


def as_json(schema: Schema) -> dict[str, object]:
    """Return a logical schema as plain JSON-ready data."""
    return {
        name: {
            "engine": t.engine,
            "charset": t.charset,
            "columns": [
                {"name": c.name, "type": c.type, "nullable": c.nullable} for c in t.columns
            ],
            "primary_key": list(t.primary_key),
            "indexes": [
                {"name": i.name, "columns": list(i.columns), "unique": i.unique} for i in t.indexes
            ],
            "foreign_keys": [
                {"name": f.name, "columns": list(f.columns), "references": f.referred_table}
                for f in t.foreign_keys
            ],
        }
        for name, t in sorted(schema.items())
    }
