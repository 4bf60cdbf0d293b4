"""Checks over managed files: how many per scheme and status, and which are missing on disk.

Only file ids are reported: a file's name or path can itself name a survivor.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pseamigrate.assess.context import SiteContext
from pseamigrate.assess.findings import Finding, capped
from pseamigrate.drupal.source import keyset
from pseamigrate.sitefiles import SUBFOLDERS, local_file

COPY = "the migration copies each file from files_dir and records its sha256"


def file_findings(ctx: SiteContext, root: Path | None) -> Iterator[Finding]:
    """Count files per scheme and status, then look for each one under `root` (files_dir)."""
    s = ctx.source
    if not s.has("file_managed"):
        return
    rows = s.rows(
        "SELECT SUBSTRING_INDEX(uri, '://', 1) AS scheme, SUM(status = 1) AS permanent, "
        f"COUNT(*) AS n FROM {s.q('file_managed')} GROUP BY scheme ORDER BY scheme"
    )
    for row in rows:
        total, permanent = int(row["n"]), int(row["permanent"] or 0)
        yield Finding(
            ctx.name,
            "files",
            "info",
            f"{row['scheme']}://",
            f"{total} file(s): {permanent} permanent, {total - permanent} temporary",
            total,
            (),
            COPY + f" ({' or '.join(f'{d}/' for d in SUBFOLDERS.get(str(row['scheme']), ()))})",
        )
    if root is None:
        yield Finding(
            ctx.name,
            "files_on_disk",
            "info",
            "files_dir",
            "not checked: the project file names no local files_dir for this site",
            sum(int(r["n"]) for r in rows),
            (),
            "set files_dir to check and copy the files",
        )
        return
    yield from _missing(ctx, root)


def _missing(ctx: SiteContext, root: Path) -> Iterator[Finding]:
    """Stream the file rows and report, per scheme, the ids of files absent from `root`."""
    s = ctx.source
    sql = f"SELECT fid, uri FROM {s.q('file_managed')} WHERE fid > :after ORDER BY fid LIMIT :size"
    missing: dict[str, tuple[int, list[int]]] = {}
    for batch in keyset(s, sql, {}, "fid", 1000, table=s.name("file_managed")):
        for row in batch:
            uri = str(row["uri"])
            path = local_file(root, uri)
            if path is None or not path.is_file():
                scheme = uri.partition("://")[0]
                count, ids = missing.get(scheme, (0, []))
                ids.append(int(row["fid"]))  # every id: the terminal abbreviates, not the data
                missing[scheme] = (count + 1, ids)
    for scheme, (count, ids) in sorted(missing.items()):
        yield Finding(
            ctx.name,
            "file_missing_on_disk",
            "warning",
            f"{scheme}://",
            f"{count} file(s) missing under {root}",
            count,
            capped(ids),
            "the file's row is migrated and marked missing; there is nothing to copy",
        )
