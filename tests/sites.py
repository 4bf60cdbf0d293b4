"""Generated sample sites, built once per test session and copied server-side for each use.

Building a site runs the generator (thousands of rows through Python); copying one is a
`CREATE TABLE … LIKE` and an `INSERT … SELECT` per table inside the server. Tests that read a
site, or write into their own copy, get the same tables and files as a fresh build (issue #26).
Tests about the generator itself keep calling `build_site` directly.
"""

from __future__ import annotations

import copy
import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from pseamigrate.sample import SiteReport, build_site

TEMPLATE_PREFIX = "tpl_"


@dataclass(frozen=True)
class SiteKey:
    """What makes two builds equal: the server, and every argument of `build_site` that shapes
    what it writes."""

    host: str
    port: int
    site: str
    layout: str
    seed: int
    scale: float
    table_prefix: str
    with_files: bool

    def database(self) -> str:
        """Name the template database (short, and the same for the same key)."""
        digest = hashlib.sha256(repr(self).encode()).hexdigest()[:12]
        return f"{TEMPLATE_PREFIX}{self.site}_{self.layout}_{digest}"


@dataclass
class SiteCache:
    """Template databases (and file folders) of generated sites, on the servers that asked."""

    folder: Path
    built: dict[SiteKey, SiteReport] = field(default_factory=dict)

    def build(
        self,
        url: URL,
        site: str,
        layout: str,
        *,
        seed: int = 1,
        scale: float = 1.0,
        files_dir: Path | None = None,
        table_prefix: str = "",
    ) -> SiteReport:
        """Fill the empty database at `url` as `build_site` would (and `files_dir` with its files),
        from a template built on the first call with the same arguments."""
        key = SiteKey(
            str(url.host),
            int(url.port or 3306),
            site,
            layout,
            seed,
            scale,
            table_prefix,
            files_dir is not None,
        )
        if key not in self.built:
            self.built[key] = self._make_template(url, key)
        assert url.database is not None
        _copy_database(url, key.database(), url.database)
        if files_dir is not None:
            shutil.copytree(self.folder / key.database(), files_dir, dirs_exist_ok=True)
        return copy.deepcopy(self.built[key])

    def _make_template(self, url: URL, key: SiteKey) -> SiteReport:
        template = key.database()
        _run(url.set(database=None), f"DROP DATABASE IF EXISTS `{template}`")
        _run(url.set(database=None), f"CREATE DATABASE `{template}` CHARACTER SET utf8mb4")
        files = self.folder / template if key.with_files else None
        return build_site(
            url.set(database=template),
            key.site,
            key.layout,
            seed=key.seed,
            scale=key.scale,
            files_dir=files,
            table_prefix=key.table_prefix,
        )


def _copy_database(url: URL, source: str, destination: str) -> None:
    """Copy every table of `source` into the empty `destination` on the same server."""
    engine = create_engine(url.set(database=None))
    try:
        with engine.begin() as conn:
            tables = conn.execute(
                text(
                    "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = :s "
                    "AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME"
                ),
                {"s": source},
            ).scalars()
            # Not strict: legacy values (zero dates) copy as they are, ids of 0 stay 0.
            conn.execute(text("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'"))
            conn.execute(text("SET FOREIGN_KEY_CHECKS = 0"))
            for table in list(tables):
                conn.execute(
                    text(f"CREATE TABLE `{destination}`.`{table}` LIKE `{source}`.`{table}`")
                )
                conn.execute(
                    text(
                        f"INSERT INTO `{destination}`.`{table}` SELECT * FROM `{source}`.`{table}`"
                    )
                )
    finally:
        engine.dispose()


def _run(url: URL, statement: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()
