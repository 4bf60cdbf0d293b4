"""Table options and column types every target table shares (schema and ledger alike)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData, Table, Text
from sqlalchemy.dialects.mysql import LONGTEXT
from sqlalchemy.schema import SchemaItem
from sqlalchemy.types import TypeEngine

TABLE_OPTIONS = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}


def target_table(metadata: MetaData, name: str, *items: SchemaItem) -> Table:
    """Return a target table: InnoDB, utf8mb4 with the unicode collation."""
    return Table(
        name,
        metadata,
        *items,
        mysql_engine=TABLE_OPTIONS["mysql_engine"],
        mysql_charset=TABLE_OPTIONS["mysql_charset"],
        mysql_collate=TABLE_OPTIONS["mysql_collate"],
    )


def long_text() -> TypeEngine[Any]:
    """Return LONGTEXT on MySQL/MariaDB: Drupal's text columns are longtext (up to 4 GB), and
    a narrative must arrive whole, where TEXT would stop at 64 KB."""
    return Text().with_variant(LONGTEXT(), "mysql", "mariadb")
