"""`pseamigrate sanitize`: copy the target into the test target, sanitized on the way.

Every table is copied in foreign-key order with its ids, so structure, counts and relations stay
as in production; each column goes through the rule of its kind (target/sensitivity.py,
sanitize/rules.py). Attached files become small placeholder files of the same type. The key
comes from `$PSEAMIGRATE_PSEUDONYM_KEY` (or a prompt) and is never stored or printed. Refused
(exit 4) without a key, when the test target is the target itself, or when it is not encrypted.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, MetaData, Table, inspect, select, text
from sqlalchemy.engine import URL, Connection

from pseamigrate import db
from pseamigrate.config import Settings
from pseamigrate.db import where
from pseamigrate.encryption import require_encrypted_target
from pseamigrate.encryption.filestore import load_files_keys, require_sealed_store, store_spec
from pseamigrate.errors import ConfigError, RefusedForSafety
from pseamigrate.migrate.files import write_stored
from pseamigrate.sanitize.rules import Rules, placeholder_file
from pseamigrate.target import model as cm
from pseamigrate.target.commands import create_schema
from pseamigrate.target.schema import build_metadata
from pseamigrate.target.sensitivity import classify
from pseamigrate.target.store import relative_path

KEY_ENV = "PSEAMIGRATE_PSEUDONYM_KEY"
BATCH = 1000
SKIPPED_TABLES = {"pm_locks"}  # the test target's own runs take their own lock


@dataclass
class SanitizeReport:
    """What `sanitize` copied: rows per table and placeholder files written."""

    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    dry_run: bool = False


def pseudonym_key(prompt: bool = True) -> bytes:
    """Return the key from the environment, or ask at a terminal; refuse without one."""
    value = os.environ.get(KEY_ENV, "")
    if not value and prompt and sys.stdin.isatty():
        value = getpass.getpass("pseudonym key: ")
    if len(value) < 16:
        raise RefusedForSafety(
            f"no pseudonym key: set ${KEY_ENV} (16 characters or more) or run at a terminal"
        )
    return value.encode("utf-8")


def sanitize(
    settings: Settings, key: bytes, model: cm.CanonicalModel | None = None, dry_run: bool = False
) -> SanitizeReport:
    """Copy the target into the test target, every column through its rule."""
    settings.require_file()
    if settings.test_target is None:
        raise ConfigError(f"{settings.path}: no 'test_target' section")
    canonical = model or cm.load_model()
    metadata = build_metadata(canonical)
    kinds = classify(metadata, canonical)
    source_url = settings.target_connection().resolve()
    test_url = settings.test_target.resolve()
    _refuse_same(source_url, test_url)
    with (
        db.engine(source_url, "the target") as source,
        db.engine(test_url, "the test target") as test,
    ):
        with test.connect() as conn:
            require_encrypted_target(conn, str(test_url.database))
        test_store = store_spec(settings, test=True)
        if test_store is not None:  # placeholders are sealed too (issue #30 S4)
            require_sealed_store(test_store)
        report = SanitizeReport(dry_run=dry_run)
        _copy(source, test, metadata, kinds, Rules(key), report)
        if not dry_run:
            report.files = _placeholders(source, settings, metadata, Rules(key))
        return report


def _refuse_same(source: URL, test: URL) -> None:
    """The test target must be another database than the target."""

    def place(url: URL) -> tuple[str, int, str]:
        return (url.host or "localhost", url.port or 3306, url.database or "")

    if place(source) == place(test):
        raise RefusedForSafety(f"the test target is the target itself ({where(test)})")


def _copy(
    source: Engine,
    test: Engine,
    metadata: MetaData,
    kinds: dict[str, dict[str, str]],
    rules: Rules,
    report: SanitizeReport,
) -> None:
    """Replace the test target's rows with the sanitized rows of every table."""
    existing = set(inspect(test).get_table_names())
    if not set(metadata.tables) <= existing:
        with test.connect() as conn:
            create_schema(conn)
    with source.connect() as reading, test.connect() as writing, writing.begin() as transaction:
        writing.execute(text("SET FOREIGN_KEY_CHECKS = 0"))
        for table in metadata.sorted_tables:
            if table.name in SKIPPED_TABLES:
                continue
            writing.execute(table.delete())
            offsets = _tenant_of_rows(table)
            for batch in _batches(reading, table):
                rows = [_row(table, row, kinds[table.name], rules, offsets) for row in batch]
                writing.execute(table.insert(), rows)
                report.rows[table.name] = report.rows.get(table.name, 0) + len(rows)
        writing.execute(text("SET FOREIGN_KEY_CHECKS = 1"))
        if report.dry_run:
            transaction.rollback()


def _tenant_of_rows(table: Table) -> str | None:
    """Return the column whose value picks a row's date shift (its tenant)."""
    for name in ("tenant_id", "first_tenant_id"):
        if name in table.c:
            return name
    return None


def _batches(conn: Connection, table: Table) -> Iterator[list[dict[str, Any]]]:
    """Stream a table by primary key."""
    key = list(table.primary_key.columns)[0]
    last: Any = None
    while True:
        query = select(table).order_by(key).limit(BATCH)
        if last is not None:
            query = query.where(key > last)
        rows = [dict(row._mapping) for row in conn.execute(query)]
        if not rows:
            return
        last = rows[-1][key.name]
        yield rows


def _row(
    table: Table, row: dict[str, Any], kinds: dict[str, str], rules: Rules, tenant: str | None
) -> dict[str, Any]:
    owner = row.get(tenant) if tenant else None
    out = {}
    for column in table.columns:
        length = getattr(column.type, "length", None)
        out[column.name] = rules.apply(kinds[column.name], row[column.name], owner, length)
    return out


def _placeholders(source: Engine, settings: Settings, metadata: MetaData, rules: Rules) -> int:
    """Write a placeholder of the same type for every file the target's store holds."""
    store = settings.target_files_dir
    test_store = settings.test_target_files_dir
    if store is None or test_store is None:
        return 0
    files, tenants = metadata.tables["files"], metadata.tables["tenants"]
    query = select(tenants.c.code, files.c.id, files.c.uri, files.c.tenant_id).join(
        tenants, tenants.c.id == files.c.tenant_id
    )
    key = settings.test_target_files_key  # named: the gate refused a test store without one
    keys = load_files_keys(key) if key is not None else None
    written = 0
    sha = {}
    with source.connect() as conn:
        for code, file_id, uri, tenant_id in conn.execute(query):
            relative = relative_path(str(uri))
            if relative is None or not (store / code / relative).is_file():
                continue
            target_uri = relative_path(rules.apply("uri", uri, tenant_id))
            if target_uri is None:
                continue
            body = placeholder_file(str(uri))
            name = f"{code}/{target_uri.as_posix()}"
            write_stored(test_store / code / target_uri, name, body, keys)
            sha[file_id] = (len(body), _sha256(body))
            written += 1
    _record_placeholders(settings, metadata, sha)
    return written


def _record_placeholders(
    settings: Settings, metadata: MetaData, sha: dict[int, tuple[int, str]]
) -> None:
    """Make each test `files` row describe its placeholder (size and sha256)."""
    from pseamigrate.target import writer

    assert settings.test_target is not None
    with db.connection(settings.test_target.resolve(), "the test target", begin=True) as conn:
        files = metadata.tables["files"]
        writer.set_column(conn, files, "size", {i: s for i, (s, _) in sha.items()})
        writer.set_column(conn, files, "sha256", {i: d for i, (_, d) in sha.items()})


def _sha256(body: bytes) -> str:
    import hashlib

    return hashlib.sha256(body).hexdigest()
