"""The end-to-end demo behind `pseamigrate demo` (the README's first command).

For now it starts a throwaway server, builds the four sample CRP sites on it (Drupal 7 and/or
8+ layout) and reports what each holds; later issues grow it into inspect → migrate → verify.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from pseamigrate.db import connection, server_version
from pseamigrate.sample import SITE_NAMES, SiteReport, build_site
from pseamigrate.servers import LocalServer, running_server


@dataclass(frozen=True)
class DemoSite:
    """One sample site built by the demo, on which server and in which layout."""

    flavor: str
    version: str
    layout: str
    database: str
    report: SiteReport


def run_demo(
    flavors: list[str],
    workdir: Path | None,
    say: Callable[[str], None],
    layouts: tuple[str, ...] = ("d7",),
    scale: float = 1.0,
    seed: int = 1,
) -> Iterator[DemoSite]:
    """Start each flavor's throwaway server, build every sample site in each layout on it."""
    with tempfile.TemporaryDirectory(prefix="pseamigrate-demo-") as scratch:
        base = workdir or Path(scratch)
        for flavor in flavors:
            say(f"starting a throwaway {flavor} server under {base / flavor}")
            with running_server(flavor, base / flavor) as server:  # type: ignore[arg-type]
                version = _version(server)
                for layout in layouts:
                    for site in SITE_NAMES:
                        database = f"crp_{site}_{layout}"
                        _create_database(server, database)
                        say(f"building {site} ({layout}) in {database}")
                        report = build_site(
                            server.url(database),
                            site,
                            layout,
                            seed=seed,
                            scale=scale,
                            files_dir=base / "files" / flavor / database,
                        )
                        yield DemoSite(flavor, version, layout, database, report)
            say(f"stopped the {flavor} server")


def _version(server: LocalServer) -> str:
    with connection(server.url()) as conn:
        return server_version(conn)


def _create_database(server: LocalServer, name: str) -> None:
    with connection(server.url(), begin=True) as conn:
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
