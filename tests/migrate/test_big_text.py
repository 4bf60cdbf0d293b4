"""A 20 MB narrative arrives byte-identical, on MariaDB and MySQL 9.7 targets (#9)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from pseamigrate.config import load_settings
from pseamigrate.db import make_engine
from pseamigrate.drupal import open_site
from pseamigrate.migrate.run import migrate
from pseamigrate.migrate.steps import Options
from pseamigrate.resources import MAPPINGS_DIR
from pseamigrate.sample import build_site
from pseamigrate.servers import LocalServer
from pseamigrate.target.commands import create_schema
from tests.conftest import _admin

BYTES = 20 * 1024 * 1024


@pytest.mark.slow
def test_a_20_mb_narrative_arrives_byte_identical(any_server: LocalServer, tmp_path: Path) -> None:
    source, target = f"big_{any_server.flavor}", f"big_{any_server.flavor}_target"
    for database in (source, target):
        _admin(any_server, f"DROP DATABASE IF EXISTS `{database}`")
        _admin(any_server, f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4")
    report = build_site(any_server.url(source), "demo", "d8", scale=0.05, big_narrative_bytes=BYTES)
    (nid,) = report.planted["big_narrative"]
    engine = make_engine(any_server.url(target))
    with engine.connect() as schema_conn:
        create_schema(schema_conn)
    engine.dispose()
    os.environ["PM_BIG_SOURCE"] = any_server.url(source).render_as_string(hide_password=False)
    os.environ["PM_BIG_TARGET"] = any_server.url(target).render_as_string(hide_password=False)
    project = tmp_path / "pseamigrate.yaml"
    project.write_text(
        "sites:\n  demo:\n    tenant: demo\n    connection: {url_env: PM_BIG_SOURCE}\n"
        f"    mapping: {MAPPINGS_DIR / 'sites' / 'demo.yaml'}\n"
        "target:\n  connection: {url_env: PM_BIG_TARGET}\n",
        encoding="utf-8",
    )
    result = migrate(
        load_settings(project), [], Options(allow_plaintext=True, allow_plaintext_files=True)
    )
    assert result.failed_rows() == 0
    with open_site(create_engine(any_server.url(source))) as site:
        (record,) = [r for b in site.iter_entities("complaint") for r in b if r.id == nid]
    wanted = record.fields["field_narrative"][0]["value"]
    assert len(wanted.encode("utf-8")) == BYTES
    check = create_engine(any_server.url(target))
    with check.connect() as conn:
        stored = conn.execute(
            text(f"SELECT narrative FROM complaints WHERE source_id = {nid}")
        ).scalar_one()
    check.dispose()
    assert stored == wanted
