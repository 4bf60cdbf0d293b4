"""Realistic legacy CRP sites: Drupal 7 and Drupal 8+ databases with real-world drift.

`build_site` writes one of the four sample sites (Demo, Iraq, DRC, Syria) into an existing,
empty database, in the Drupal 7 or Drupal 8+ layout, and reports what it wrote in the shape of
`pseamigrate inspect --json`. All content is synthetic and deterministic from the seed.
See docs/sample-sites.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import DBAPIError

from pseamigrate.db import connection, describe_db_error, where
from pseamigrate.errors import SampleError
from pseamigrate.sample import d7, d7fields, d8, d8config, d8fields
from pseamigrate.sample.content import NodeChunk, SiteContent
from pseamigrate.sample.files import write_files
from pseamigrate.sample.sites import (
    COMMENT_FIELD,
    COMMENTED,
    LOCATION_FIELDS,
    SITE_NAMES,
    USER_FIELDS,
    BundleSpec,
    FieldSpec,
    SiteSpec,
    site_spec,
)
from pseamigrate.sample.sql import Writer

__all__ = ["LAYOUTS", "SITE_NAMES", "Progress", "SiteReport", "build_site"]

LAYOUTS = ("d7", "d8")
Progress = Callable[[str, int, int], None]  # (what, done, total)


@dataclass
class SiteReport:
    """What `build_site` wrote: counts in `inspect --json` shape, drift, and missing files."""

    site: str
    layout: str
    expected: dict[str, Any]
    drift: dict[str, Any]
    missing_files: list[str] = field(default_factory=list)
    field_values: int = 0  # rows written into node field data and revision tables
    tables: list[str] = field(default_factory=list)
    # Planted problems → the ids (nids, cids, tids, uids, fids) that carry them.
    planted: dict[str, list[int | str]] = field(default_factory=dict)


def build_site(
    url: URL,
    site: str,
    layout: str,
    *,
    seed: int = 1,
    scale: float = 1.0,
    files_dir: Path | None = None,
    table_prefix: str = "",
    on_progress: Progress | None = None,
    big_narrative_bytes: int = 0,
) -> SiteReport:
    """Build sample site `site` in `layout` into the empty database named by `url`.

    With `big_narrative_bytes` > 0, one complaint's narrative has exactly that many bytes
    (opt-in: a 20 MB narrative makes the build slow); its nid is in `planted["big_narrative"]`.
    """
    _check(site, layout, scale, table_prefix, big_narrative_bytes)
    spec = site_spec(site)
    charset = spec.d7_charset if layout == "d7" else "utf8mb4"
    content = SiteContent(spec, seed, scale, charset == "utf8mb4", big_narrative_bytes)
    # Driver errors must not echo rows (they hold synthetic narratives, but real code paths
    # share this habit with real data): `connection` hides bound parameters in messages.
    try:
        with connection(url, f"the database for sample site {site!r}") as conn:
            conn.exec_driver_sql(
                "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_AUTO_VALUE_ON_ZERO')"
            )
            w = Writer(conn, table_prefix, charset, double_encode=charset == "latin1")
            report = _write(conn, w, spec, layout, content, files_dir, on_progress)
    except DBAPIError as exc:  # e.g. the database is not empty, or the server went away
        reason = describe_db_error(exc)
        raise SampleError(f"cannot build {site} ({layout}) in {where(url)}: {reason}") from None
    report.drift = _drift(spec, layout, charset, table_prefix, w)
    report.tables = list(w.tables)
    report.planted = content.planted_ids()
    return report


def _check(site: str, layout: str, scale: float, table_prefix: str, big: int) -> None:
    if site not in SITE_NAMES:
        raise SampleError(f"unknown sample site {site!r} (known: {', '.join(SITE_NAMES)})")
    if layout not in LAYOUTS:
        raise SampleError(f"unknown layout {layout!r} (known: {', '.join(LAYOUTS)})")
    if not scale > 0:
        raise SampleError("scale must be greater than 0")
    if not re.fullmatch(r"[A-Za-z0-9_]{0,20}", table_prefix):
        raise SampleError("table prefix may hold only letters, digits and _ (at most 20)")
    if big < 0:
        raise SampleError("big_narrative_bytes must be 0 (none) or more")


def _write(
    conn: Connection,
    w: Writer,
    spec: SiteSpec,
    layout: str,
    content: SiteContent,
    files_dir: Path | None,
    on_progress: Progress | None,
) -> SiteReport:
    site8 = d8.D8Site(w, spec, content) if layout == "d8" else None
    if site8 is not None:
        site8.create_tables()
        site8.write_base()
    else:
        d7.create_tables(w, spec)
        d7.write_base(w, spec, content)
    conn.commit()
    report = SiteReport(spec.name, layout, _expected(spec, layout, content), {})
    for bundle in spec.bundles:
        total, done = content.count(bundle), 0
        for chunk in content.chunks(bundle):
            if site8 is not None:
                report.field_values += site8.write_chunk(bundle, chunk)
            else:
                report.field_values += d7.write_chunk(w, spec, bundle, chunk)
            conn.commit()  # one transaction per chunk keeps undo logs small at large scales
            report.missing_files += write_files(files_dir, chunk.files)
            _tally(report.expected, bundle, chunk)
            done += len(chunk.nodes)
            if on_progress is not None:
                on_progress(f"{spec.name} {bundle.name}", done, total)
    return report


def _expected(spec: SiteSpec, layout: str, content: SiteContent) -> dict[str, Any]:
    def described(fields: Iterable[FieldSpec]) -> dict[str, Any]:
        types = d7fields.TYPES if layout == "d7" else d8fields.TYPES
        return {
            f.name: {"type": types[f.kind].type, "cardinality": f.cardinality}
            for f in fields
            if not f.deleted
        }

    def node_fields(bundle: BundleSpec) -> tuple[FieldSpec, ...]:
        commented = layout == "d8" and bundle.name in COMMENTED  # Drupal 8+: a comment field
        return bundle.fields + ((COMMENT_FIELD,) if commented else ())

    bundles = {
        b.name: {"count": 0, "published": 0, "revisions": 0, "comments": 0}
        | {"fields": described(node_fields(b))}
        for b in spec.bundles
    }
    term_fields = {"location": LOCATION_FIELDS + ((d8config.PCODE,) if layout == "d8" else ())}
    vocabularies = {
        v.machine_name: {
            "terms": len(content.terms_of(v.machine_name)),
            "fields": described(term_fields.get(v.machine_name, ())),
        }
        for v in spec.vocabularies
    }
    users = content.users
    return {
        "drupal_version": 7 if layout == "d7" else 10,
        "bundles": bundles,
        "vocabularies": vocabularies,
        "users": {"total": len(users), "blocked": sum(1 for u in users if u.status == 0)}
        | {"fields": described(USER_FIELDS)},
        "files": {"total": 0},
    }


def _tally(expected: dict[str, Any], bundle: BundleSpec, chunk: NodeChunk) -> None:
    counts = expected["bundles"][bundle.name]
    counts["count"] += len(chunk.nodes)
    counts["published"] += sum(n.current.status for n in chunk.nodes)
    counts["revisions"] += sum(len(n.revisions) for n in chunk.nodes)
    counts["comments"] += len(chunk.comments)
    expected["files"]["total"] += len(chunk.files)


def _drift(spec: SiteSpec, layout: str, charset: str, prefix: str, w: Writer) -> dict[str, Any]:
    drift: dict[str, Any] = {"language": spec.language, "charset": charset}
    drift["timezone"] = spec.timezone
    drift |= {k: v for k, v in spec.drift.items()}
    drift["double_encoded"] = charset == "latin1"
    drift["table_prefix"] = prefix
    deleted = [t for t in w.tables if "field_deleted_" in t]
    if deleted:
        drift["deleted_tables"] = deleted
    if layout == "d8":
        drift["hashed_tables"] = [t for t in w.tables if re.search(r"_r?__[0-9a-f]{10}$", t)]
    return drift
