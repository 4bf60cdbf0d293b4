"""One function per `pseamigrate encryption` command; the CLI parses, calls one, renders."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import URL, Connection

from pseamigrate.db import connection, server_version, where
from pseamigrate.encryption import backend_for, status_checks
from pseamigrate.encryption.backup import BackupReport, backup_and_verify, new_mariadb_key
from pseamigrate.encryption.base import Check, Outcome, Statement
from pseamigrate.encryption.filestore import StoreSpec, store_checks
from pseamigrate.encryption.keyrecord import write_record
from pseamigrate.encryption.residual import has_rows, record_residual
from pseamigrate.encryption.residual import purge_binlogs as purge_old_binlogs
from pseamigrate.encryption.setup import (
    SetupPlan,
    apply_setup,
    check_key_sets,
    cnf_change,
    key_files,
    plan_setup,
)
from pseamigrate.errors import RefusedForSafety, VerificationMismatch
from pseamigrate.servers import existing_server
from pseamigrate.servers.cnf import CnfChange

Say = Callable[[str], None]


@dataclass(frozen=True)
class StatusReport:
    """The verdict of `encryption status` for one server (and schema)."""

    where: str
    version: str
    flavor: str
    schema: str | None
    checks: list[Check] = field(default_factory=list)

    @property
    def failed(self) -> list[Check]:
        """Return the failed checks."""
        return [c for c in self.checks if c.outcome is Outcome.FAIL]

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return {
            "server": self.where,
            "version": self.version,
            "flavor": self.flavor,
            "schema": self.schema,
            "ok": not self.failed,
            "checks": [c.as_dict() for c in self.checks],
        }


def encryption_status(
    url: URL, volumes: Sequence[str] = (), stores: Sequence[StoreSpec] = ()
) -> StatusReport:
    """Check encryption at rest of the server at `url` and of its database, if it names one.

    `volumes`: directories the operator names as encrypted volumes (for logs and tmpdir).
    `stores`: the file stores of the target and test target (every file sealed, issue #30).
    """
    with connection(url, "the target", autocommit=True) as conn:
        backend = backend_for(conn)
        checks = status_checks(conn, url.database, volumes)
        checks += [check for store in stores for check in store_checks(store)]
        return StatusReport(where(url), server_version(conn), backend.flavor, url.database, checks)


def raise_if_failed(report: StatusReport) -> None:
    """Raise `VerificationMismatch` (exit 3) naming the failed checks."""
    if report.failed:
        names = ", ".join(c.name for c in report.failed[:10])
        more = f" and {len(report.failed) - 10} more" if len(report.failed) > 10 else ""
        raise VerificationMismatch(f"{len(report.failed)} encryption checks failed: {names}{more}")


@dataclass(frozen=True)
class EnablePlan:
    """What `enable` runs (statements) and what only my.cnf can do (notes)."""

    flavor: str
    statements: list[Statement]
    notes: list[str]


def plan_enable(conn: Connection, schema: str | None) -> EnablePlan:
    """Return the statements still needed; refuse (exit 4) when no keyring is loaded."""
    backend = backend_for(conn)
    if not backend.keyring_loaded(conn):
        why = "; ".join(backend.config_notes(conn))
        raise RefusedForSafety(
            f"no keyring is loaded on this server, nothing can be encrypted: {why}"
        )
    notes = backend.config_notes(conn)
    statements = backend.enable_statements(conn, schema)
    covered = {step.table for step in statements}
    notes += [
        f"table {schema}.{t.name} ({t.engine}) cannot be encrypted here: convert it to InnoDB"
        for t in (backend.tables(conn, schema) if schema else [])
        if not t.encrypted and t.name not in covered
    ]
    if backend.plaintext_binlogs(conn):
        notes.append(
            "binary logs written before encryption are plaintext: back them up to "
            "encrypted storage, then run `enable --purge-binlogs`"
        )
    return EnablePlan(backend.flavor, statements, notes)


def enable_encryption(
    url: URL, dry_run: bool = False, on_step: Say | None = None, purge_binlogs: bool = False
) -> EnablePlan:
    """Encrypt settings, system tablespace and every table of the URL's database (idempotent).

    `purge_binlogs` then purges binary logs written before binlog encryption (they hold row
    images in plaintext); it loses point-in-time recovery before now, so it is never implied.
    """
    say = on_step or (lambda _label: None)
    with connection(url, "the target", autocommit=True) as conn:  # DDL, SET PERSIST
        plan = plan_enable(conn, url.database)
        if dry_run:
            return plan
        backend = backend_for(conn)
        _run(conn, plan.statements, url.database, backend.table_option, say)
        backend.wait_until_encrypted(conn)
        if purge_binlogs and backend.plaintext_binlogs(conn):
            say(f"purged plaintext binary logs: {', '.join(purge_old_binlogs(conn))}")
        return plan


def _run(
    conn: Connection, plan: list[Statement], schema: str | None, option: str, say: Say
) -> None:
    for number, step in enumerate(plan, 1):
        say(f"[{number}/{len(plan)}] {step.label}")
        if schema and step.table and has_rows(conn, schema, step.table):
            record_residual(conn, schema, [step.table], option)
        conn.execute(text(step.sql))


def rotate_keys(url: URL, dry_run: bool = False, on_step: Say | None = None) -> list[Statement]:
    """Rotate the master key (MySQL) or re-key tables to the default key id (MariaDB)."""
    say = on_step or (lambda _label: None)
    with connection(url, "the target", autocommit=True) as conn:  # DDL, SET PERSIST
        backend = backend_for(conn)
        if not backend.keyring_loaded(conn):
            raise RefusedForSafety("no keyring is loaded on this server: there is no key to rotate")
        plan = backend.rotate_statements(conn, url.database)
        if not dry_run:
            for number, step in enumerate(plan, 1):
                say(f"[{number}/{len(plan)}] {step.label}")
                conn.execute(text(step.sql))
        return plan


def setup_encryption(
    basedir: Path,
    keyring: str,
    file_key: bool,
    dry_run: bool = False,
    on_file: Say | None = None,
    conf_dir: Path | None = None,
    tmpdir: Path | None | bool = True,
    tls: tuple[str, ...] | None = None,
) -> tuple[CnfChange, SetupPlan]:
    """Plan (and unless `dry_run`, write) the key files and my.cnf settings of a local server.

    Returns the option-file change (its `diff()` is what a dry run prints, and exactly what
    the real run writes) and the plan. An incomplete key set is refused in both modes.
    """
    server = existing_server(basedir)
    plan = plan_setup(server, keyring, file_key, tmpdir, tls)
    if dry_run:
        check_key_sets(plan)
        return cnf_change(server, plan, conf_dir), plan
    return apply_setup(server, plan, on_file, conf_dir), plan


def add_key_id(basedir: Path, dry_run: bool = False) -> int:
    """Add a new default key id to a local MariaDB server's key file; return the id."""
    return new_mariadb_key(existing_server(basedir), dry_run=dry_run)


def backup_key(
    basedir: Path, dest: Path, verify: bool = True, dry_run: bool = False
) -> BackupReport:
    """Copy a local server's key files to `dest` and (with `verify`) prove they open the data.

    A finished backup is recorded in the basedir, for `health` (encryption/keyrecord.py)."""
    server = existing_server(basedir)
    report = backup_and_verify(server, dest, verify, dry_run)
    if not dry_run:
        sources = [path for path in key_files(server) if path.exists()]
        write_record(server.basedir, report.files, sources, report.verified_tables is not None)
    return report
