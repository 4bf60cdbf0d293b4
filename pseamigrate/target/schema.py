"""Build the target schema (SQLAlchemy Core `MetaData`) from the canonical model.

Fixed tables: `tenants`, `accounts` (one per person, de-duplicated across tenants by normalised
email), `memberships` (an account in one tenant, with its source uid and password hash as is),
`roles`, `membership_roles`, `files`; per vocabulary a `<name>_terms` table (plus
`<name>_term_sources` linking each tenant's source term to the merged term when the vocabulary is
shared); per entity its table, its child tables, its revision table and its notes table; and the
ledger (`pm_*`, defined in `pseamigrate/ledger.py`) the migrate engine uses.

Every table derived from a source row carries `tenant_id`, its source ids (unique per tenant) and
timestamps. Rows merged across tenants (accounts, shared terms) keep their per-tenant source ids in
a link table (memberships, `<name>_term_sources`) that carries them.

Tenant isolation by construction (#30): a tenant table's primary key is `(id, tenant_id)` (`id`
still auto-increments, first in the key as InnoDB wants), every unique key includes `tenant_id`,
and a reference from a tenant row to another tenant row is a composite foreign key
`(x_id, tenant_id)` → `(id, tenant_id)`. A row with another tenant's `id` therefore never collides
with that tenant's row (no ODKU or REPLACE reaches it) and no row can point into another tenant.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.types import TypeEngine

from pseamigrate.ledger import ledger_tables
from pseamigrate.tables import long_text, target_table
from pseamigrate.target import model as cm

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}


def build_metadata(model: cm.CanonicalModel) -> MetaData:
    """Return the `MetaData` of the whole target schema for `model`."""
    metadata = MetaData(naming_convention=NAMING)
    _fixed_tables(metadata)
    for vocabulary in model.vocabularies.values():
        _vocabulary_tables(metadata, vocabulary)
    for entity in model.entities.values():
        _entity_tables(metadata, model, entity)
    ledger_tables(metadata)
    for table in list(metadata.tables.values()):
        _reference_keys(metadata, table)
    for table in metadata.tables.values():
        _index_foreign_keys(table)
    return metadata


def _id() -> Column[Any]:
    return Column("id", BigInteger, primary_key=True, autoincrement=True)


def _tenant() -> Column[Any]:
    """`tenant_id`, second column of a tenant table's primary key `(id, tenant_id)`."""
    return Column("tenant_id", Integer, ForeignKey("tenants.id"), primary_key=True, nullable=False)


REFERS = "refers"  # Column.info key: the table a reference column points at


def _ref(name: str, table: str, nullable: bool = True) -> Column[Any]:
    """A reference to `table`'s id; its foreign key is added by `_reference_keys`, composite
    with `tenant_id` when both tables are tenant tables."""
    return Column(name, BigInteger, nullable=nullable, info={REFERS: table})


def _reference_keys(metadata: MetaData, table: Table) -> None:
    """Add the foreign key of each reference column of `table`: `(x_id, tenant_id)` →
    `(id, tenant_id)` between tenant tables, so no row points at another tenant's row."""
    for column in table.columns:
        target = column.info.get(REFERS)
        if target is None:
            continue
        if "tenant_id" in table.c and "tenant_id" in metadata.tables[target].c:
            key = ForeignKeyConstraint(
                [column.name, "tenant_id"], [f"{target}.id", f"{target}.tenant_id"]
            )
        else:
            key = ForeignKeyConstraint([column.name], [f"{target}.id"])
        table.append_constraint(key)


def _stamps() -> list[Column[Any]]:
    """Return when the tool first wrote the row and when it last changed it."""
    return [
        Column("imported_at", DateTime, nullable=False),
        Column("updated_at", DateTime, nullable=True),
    ]


def _fixed_tables(metadata: MetaData) -> None:
    target_table(
        metadata,
        "tenants",
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("code", String(32), nullable=False, unique=True),
        Column("name", String(255), nullable=False),
        Column("source_description", long_text()),
        Column("template", String(64)),
        Column("template_version", String(32)),
        Column("created_at", DateTime, nullable=False),
        Column("updated_at", DateTime),
    )
    target_table(
        metadata,
        "accounts",
        _id(),
        Column("email_key", String(254), nullable=False, unique=True),  # trimmed, lower-cased
        Column("email", String(254), nullable=False),
        Column("password_hash", String(255)),  # as the source stored it (phpass $S$, …)
        Column("first_tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
        Column("created_at", DateTime),
        *_stamps(),
    )
    target_table(
        metadata,
        "memberships",
        _id(),
        _tenant(),
        _ref("account_id", "accounts"),  # NULL: no usable email
        Column("source_id", BigInteger, nullable=False),  # the Drupal uid
        Column("username", String(255), nullable=False),
        Column("active", Boolean, nullable=False),
        Column("password_hash", String(255)),
        Column("created_at", DateTime),
        Column("last_login_at", DateTime),
        Column("extra", JSON),
        *_stamps(),
        UniqueConstraint("tenant_id", "source_id"),
    )
    _roles_and_files(metadata)


def _roles_and_files(metadata: MetaData) -> None:
    target_table(
        metadata,
        "roles",
        _id(),
        _tenant(),
        Column("source_id", String(64), nullable=False),  # rid (D7) or machine name (D8+)
        Column("name", String(255), nullable=False),
        *_stamps(),
        UniqueConstraint("tenant_id", "source_id"),
    )
    target_table(
        metadata,
        "membership_roles",
        _id(),
        _tenant(),
        _ref("membership_id", "memberships", nullable=False),
        _ref("role_id", "roles", nullable=False),
        *_stamps(),
        UniqueConstraint("tenant_id", "membership_id", "role_id"),
    )
    target_table(
        metadata,
        "files",
        _id(),
        _tenant(),
        Column("source_id", BigInteger, nullable=False),  # the Drupal fid
        _ref("owner_id", "memberships"),
        Column("filename", String(255), nullable=False),
        Column("uri", String(512), nullable=False),
        Column("mime", String(255)),
        Column("size", BigInteger),
        Column("sha256", String(64)),  # of the copy in the target's file store
        Column("status", Integer),  # Drupal's: 1 permanent, 0 temporary
        Column("created_at", DateTime),
        Column("extra", JSON),  # file usage, and what else the source row held
        *_stamps(),
        UniqueConstraint("tenant_id", "source_id"),
    )


def _vocabulary_tables(metadata: MetaData, vocabulary: cm.Vocabulary) -> None:
    name = vocabulary.table
    common = [
        _id(),
        Column("name", String(255), nullable=False),
        _ref("parent_id", name),
        Column("weight", Integer, nullable=False, default=0),
        Column("extra", JSON),
        *_stamps(),
    ]
    if vocabulary.scope == "tenant":
        target_table(
            metadata,
            name,
            *common,
            _tenant(),
            Column("source_id", BigInteger, nullable=False),  # the Drupal tid
            UniqueConstraint("tenant_id", "source_id"),
        )
        return
    target_table(
        metadata, name, *common, Column("name_key", String(255), nullable=False, unique=True)
    )
    target_table(
        metadata,
        f"{vocabulary.name}_term_sources",
        _id(),
        _tenant(),
        Column("source_id", BigInteger, nullable=False),
        _ref("term_id", name, nullable=False),
        Column("extra", JSON),  # the tenant's own description, term fields, parents
        *_stamps(),
        UniqueConstraint("tenant_id", "source_id"),
    )


def _entity_tables(metadata: MetaData, model: cm.CanonicalModel, entity: cm.Entity) -> None:
    target_table(
        metadata,
        entity.table,
        _id(),
        _tenant(),
        Column("source_id", BigInteger, nullable=False),  # nid
        Column("source_revision_id", BigInteger),  # vid of the current revision
        Column("source_language", String(12)),
        Column("title", String(255)),
        _ref("author_id", "memberships"),
        Column("published", Boolean),
        Column("created_at", DateTime),
        Column("changed_at", DateTime),
        *(_model_column(model, column) for column in entity.columns),
        Column("extra", JSON),  # country-only fields, never dropped
        *_stamps(),
        UniqueConstraint("tenant_id", "source_id"),
    )
    parent_fk = f"{entity.name}_id"
    for child in entity.children:
        target_table(
            metadata,
            child.table,
            _id(),
            _tenant(),
            _ref(parent_fk, entity.table, nullable=False),
            Column("source_id", BigInteger, nullable=False),  # the parent's nid
            Column("delta", Integer, nullable=False),
            *(_model_column(model, column) for column in child.columns),
            *_stamps(),
            UniqueConstraint("tenant_id", "source_id", "delta"),
        )
    if entity.revisions:
        _revision_table(metadata, model, entity, entity.revisions)
    if entity.notes:
        _notes_table(metadata, entity, entity.notes)


def _notes_table(metadata: MetaData, entity: cm.Entity, notes: cm.Notes) -> None:
    """One row per Drupal comment on the entity's nodes, replies pointing at their parent."""
    target_table(
        metadata,
        notes.table,
        _id(),
        _tenant(),
        _ref(f"{entity.name}_id", entity.table, nullable=False),
        Column("source_id", BigInteger, nullable=False),  # the Drupal cid
        Column("source_entity_id", BigInteger, nullable=False),  # the nid commented on
        _ref("parent_id", notes.table),  # a reply's parent
        Column("thread", String(255), nullable=False),  # Drupal's vancode: thread order
        _ref("author_id", "memberships"),
        Column("subject", String(255)),
        Column("body", long_text()),
        Column("body_format", String(64)),
        Column("published", Boolean, nullable=False),  # Drupal's approval status
        Column("source_language", String(12)),
        Column("created_at", DateTime),
        Column("changed_at", DateTime),
        Column("extra", JSON),
        *_stamps(),
        UniqueConstraint("tenant_id", "source_id"),
    )


def _revision_table(
    metadata: MetaData, model: cm.CanonicalModel, entity: cm.Entity, revisions: cm.Revisions
) -> None:
    tracked = [c for c in entity.columns if c.name in revisions.track]
    target_table(
        metadata,
        revisions.table,
        _id(),
        _tenant(),
        _ref(f"{entity.name}_id", entity.table, nullable=False),
        Column("source_id", BigInteger, nullable=False),  # nid
        Column("source_revision_id", BigInteger, nullable=False),  # vid
        _ref("author_id", "memberships"),  # who changed it
        Column("revised_at", DateTime),  # when
        Column("log", long_text()),
        *(_model_column(model, column, required=False) for column in tracked),
        Column("snapshot", JSON),  # every mapped column at this revision
        *_stamps(),
        UniqueConstraint("tenant_id", "source_revision_id"),
    )


def _model_column(
    model: cm.CanonicalModel, column: cm.Column, required: bool | None = None
) -> Column[Any]:
    nullable = not column.required if required is None else not required
    target = _reference_target(model, column)
    if target is not None:
        return _ref(column.name, target, nullable=nullable)
    return Column(column.name, sql_type(column), nullable=nullable)


def _reference_target(model: cm.CanonicalModel, column: cm.Column) -> str | None:
    if column.type == "term" and column.vocabulary:
        return model.vocabularies[column.vocabulary].table
    if column.type == "ref" and column.entity:
        return model.entities[column.entity].table
    return {"file": "files", "member": "memberships"}.get(column.type)


def sql_type(column: cm.Column) -> TypeEngine[Any]:
    """Return the SQL type of a scalar model column."""
    types: dict[str, TypeEngine[Any]] = {
        "string": String(column.length),
        "text": long_text(),
        "integer": Integer(),
        "boolean": Boolean(),
        "date": Date(),
        "datetime": DateTime(),
        "json": JSON(),
    }
    return types[column.type]


def _index_foreign_keys(table: Table) -> None:
    """Index each foreign key's columns not led by another index, so both servers agree.

    MySQL and MariaDB would otherwise create their own index for it, named differently.
    """
    keys = [c for c in table.constraints if isinstance(c, UniqueConstraint)]
    leading = {tuple(col.name for col in c.columns) for c in keys}
    leading |= {tuple(col.name for col in i.columns) for i in table.indexes}
    leading.add(tuple(col.name for col in table.primary_key.columns))
    for columns in _fk_columns(table):
        names = tuple(column.name for column in columns)
        if not any(index[: len(names)] == names for index in leading):
            Index(f"ix_{table.name}_{'_'.join(names)}", *columns)
            leading.add(names)


def _fk_columns(table: Table) -> Iterable[list[Column[Any]]]:
    constraints = sorted(
        table.foreign_key_constraints, key=lambda c: [col.name for col in c.columns]
    )
    return [list(constraint.columns) for constraint in constraints]
