"""Sample-site projects for the migrate tests: four built sites, a target, a project file."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, create_engine, select, text
from sqlalchemy.engine import URL

from pseamigrate.config import Settings, load_settings
from pseamigrate.db import make_engine
from pseamigrate.migrate.run import MigrationReport, migrate
from pseamigrate.migrate.steps import Options
from pseamigrate.resources import MAPPINGS_DIR
from pseamigrate.sample import SiteReport, build_site
from pseamigrate.servers import LocalServer
from pseamigrate.target.commands import create_schema
from pseamigrate.target.model import load_model
from pseamigrate.target.schema import build_metadata
from tests.conftest import _admin as admin
from tests.sites import SiteCache

SITES = ("demo", "iraq", "drc", "syria")
STAMPS = {"id", "imported_at", "updated_at"}


@dataclass
class Project:
    """Built sample sites, an empty target with the schema, and a project file naming them."""

    server: LocalServer
    name: str
    path: Path
    target: URL
    store: Path
    sources: dict[str, URL] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    reports: dict[str, SiteReport] = field(default_factory=dict)

    def settings(self) -> Settings:
        """Load the project file."""
        return load_settings(self.path)

    def migrate(self, sites: list[str] | None = None, **options: Any) -> MigrationReport:
        """Run (or dry-run) the migration in-process."""
        options.setdefault("allow_plaintext", True)
        options.setdefault("allow_plaintext_files", True)  # the store has no files_key
        return migrate(self.settings(), sites or [], Options(**options))

    def count(self, table: str, where: str = "") -> int:
        """Count rows of a target table."""
        return int(self.scalar(f"SELECT COUNT(*) FROM `{table}` {where}"))

    def scalar(self, sql: str) -> Any:
        """Run one query on the target and return its value."""
        engine = create_engine(self.target)
        try:
            with engine.connect() as conn:
                return conn.execute(text(sql)).scalar()
        finally:
            engine.dispose()


def hold_lock(project: Project, host: str, pid: int, expires: dt.datetime) -> None:
    """Make the migrate lock look held by `host`/`pid` until `expires` (UTC)."""
    engine = create_engine(project.target)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM pm_locks"))
        conn.execute(
            text(
                "INSERT INTO pm_locks (name, holder_host, holder_pid, run_id, acquired_at, "
                "expires_at) VALUES ('migrate', :h, :p, NULL, UTC_TIMESTAMP(), :e)"
            ),
            {"h": host, "p": pid, "e": expires},
        )
    engine.dispose()


def make_project(
    server: LocalServer,
    workdir: Path,
    name: str,
    layout: str,
    scale: float = 0.15,
    sites: SiteCache | None = None,
) -> Project:
    """Build the four sample sites (copies from `sites` when given) and an empty target database
    with the schema."""
    workdir.mkdir(parents=True, exist_ok=True)
    target = f"{name}_target"
    admin(server, f"DROP DATABASE IF EXISTS `{target}`")
    admin(server, f"CREATE DATABASE `{target}` CHARACTER SET utf8mb4")
    project = Project(
        server, name, workdir / "pseamigrate.yaml", server.url(target), workdir / "store"
    )
    lines = ["sites:"]
    for site in SITES:
        database = f"{name}_{site}"
        admin(server, f"DROP DATABASE IF EXISTS `{database}`")
        admin(server, f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4")
        url = server.url(database)
        files = workdir / "files" / site
        build = sites.build if sites is not None else build_site
        project.reports[site] = build(url, site, layout, scale=scale, files_dir=files)
        project.sources[site], project.files[site] = url, files
        variable = f"PM_{name.upper()}_{site.upper()}"
        os.environ[variable] = url.render_as_string(hide_password=False)
        lines += [
            f"  {site}:",
            f"    tenant: {site}",
            f"    connection: {{url_env: {variable}}}",
            f"    mapping: {workdir / 'mappings' / 'sites' / f'{site}.yaml'}",
            f"    files_dir: {files}",
        ]
    _copy_mappings(workdir / "mappings" / "sites")
    variable = f"PM_{name.upper()}_TARGET"
    os.environ[variable] = project.target.render_as_string(hide_password=False)
    lines += ["target:", f"  connection: {{url_env: {variable}}}", f"  files_dir: {project.store}"]
    project.path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    engine = make_engine(project.target)
    try:
        with engine.connect() as schema_conn:
            create_schema(schema_conn)
    finally:
        engine.dispose()
    return project


def _copy_mappings(folder: Path) -> None:
    """Copy the shipped site mappings (with the template they include) so tests may edit them."""
    (folder.parent / "shared").mkdir(parents=True, exist_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    template = MAPPINGS_DIR / "shared" / "crp-template.yaml"
    (folder.parent / "shared" / template.name).write_text(template.read_text("utf-8"), "utf-8")
    for site in SITES:
        text_ = (MAPPINGS_DIR / "sites" / f"{site}.yaml").read_text("utf-8")
        (folder / f"{site}.yaml").write_text(text_, "utf-8")


def reset_target(project: Project) -> None:
    """Empty the target (schema kept) and its file store."""
    import shutil

    engine = create_engine(project.target)
    try:
        with engine.begin() as conn:
            conn.execute(text("SET FOREIGN_KEY_CHECKS = 0"))
            for table in build_metadata(load_model()).sorted_tables:
                conn.execute(text(f"DELETE FROM `{table.name}`"))
            conn.execute(text("SET FOREIGN_KEY_CHECKS = 1"))
    finally:
        engine.dispose()
    shutil.rmtree(project.store, ignore_errors=True)


def canonical_dump(url: URL, tenant: str | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every target row by natural keys: ids and stamps left out, references replaced by the
    natural key of the row they point at, so two targets filled in another order compare."""
    metadata = build_metadata(load_model())
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tenants = metadata.tables["tenants"]
            codes = dict(conn.execute(select(tenants.c.id, tenants.c.code)).all())
            keys = {t.name: _natural_keys(conn, t, codes) for t in metadata.sorted_tables}
            refs = _snapshot_references()
            return {
                t.name: _rows(conn, t, keys, refs.get(t.name, {}))
                for t in metadata.sorted_tables
                if t.name not in ("pm_runs", "pm_messages", "pm_locks")
            }
    finally:
        engine.dispose()


def _natural_keys(conn: Any, table: Table, codes: dict[int, str]) -> dict[int, Any]:
    c = table.c
    if "source_revision_id" in c and "source_id" in c and "snapshot" in c:
        cols = [c.tenant_id, c.source_revision_id]
    elif "email_key" in c:
        cols = [c.email_key]
    elif "name_key" in c:
        cols = [c.name_key]
    elif "source_id" in c and "tenant_id" in c and "delta" not in c:
        cols = [c.tenant_id, c.source_id]
    elif "code" in c:
        cols = [c.code]
    else:
        return {}
    rows = conn.execute(select(c.id, *cols))
    if "tenant_id" in c and cols[0] is c.tenant_id:
        return {row[0]: (codes.get(row[1]), *row[2:]) for row in rows}
    return {row[0]: tuple(row[1:]) for row in rows}


def _snapshot_references() -> dict[str, dict[str, str]]:
    """Per revision table: snapshot keys holding target ids, and the table they point at."""
    from pseamigrate.target.schema import _reference_target

    model = load_model()
    out: dict[str, dict[str, str]] = {}
    for entity in model.entities.values():
        if entity.revisions is None:
            continue
        found = {c.name: _reference_target(model, c) for c in entity.columns}
        found["author_id"] = "memberships"
        out[entity.revisions.table] = {k: v for k, v in found.items() if v}
    return out


def _rows(
    conn: Any, table: Table, keys: dict[str, dict[int, Any]], refs: dict[str, str]
) -> list[tuple[Any, ...]]:
    out = []
    skip = STAMPS | {"run_id", "first_run_id", "row_hash"}
    skip |= {"created_at"} if table.name == "tenants" else set()
    names = [c.name for c in table.c if c.name not in skip]
    for row in conn.execute(select(table)):
        values = []
        for name in names:
            value = row._mapping[name]
            # The element naming an `id`: tenant_id is also the second column of the composite
            # same-tenant keys (#30), which point at another table's tenant_id.
            fks = [fk for fk in table.c[name].foreign_keys if fk.column.name == "id"]
            if fks and value is not None:
                value = keys.get(fks[0].column.table.name, {}).get(value, ("?", value))
            elif name == "target_id" and value is not None:
                value = keys.get(row._mapping["target_table"], {}).get(value, ("?", value))
            elif name == "snapshot" and value is not None:
                snapshot = json.loads(value) if isinstance(value, str) else dict(value)
                value = _mapped_snapshot(snapshot, refs, keys)
            values.append(value)
        out.append(tuple(str(v) for v in values))
    return sorted(out)


def _mapped_snapshot(
    snapshot: dict[str, Any], refs: dict[str, str], keys: dict[str, dict[int, Any]]
) -> str:
    for name, table in refs.items():
        if snapshot.get(name) is not None:
            snapshot[name] = str(keys.get(table, {}).get(snapshot[name], ("?", snapshot[name])))
    return json.dumps(snapshot, sort_keys=True)


def tenant_rows(url: URL, tenant_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the other tenants' (and shared) tables as stored, ids and stamps included."""
    metadata = MetaData()
    metadata.reflect(create_engine(url))
    engine = create_engine(url)
    out = {}
    try:
        with engine.connect() as conn:
            for table in metadata.sorted_tables:
                if table.name.startswith("pm_"):
                    continue
                query = select(table)
                if "tenant_id" in table.c:
                    query = query.where(table.c.tenant_id != tenant_id)
                out[table.name] = sorted(tuple(str(v) for v in row) for row in conn.execute(query))
    finally:
        engine.dispose()
    return out
