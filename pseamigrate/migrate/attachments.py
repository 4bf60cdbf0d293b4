"""`pseamigrate files export|cat`: the store's files in plaintext, for the new platform.

The store holds sealed files only (encryption/sealed.py, issue #30 S4); these commands are
how their plaintext leaves it: `export` writes a tenant's (or every tenant's) files into a new
folder, each authenticated as it is decrypted, and `cat` streams one file, named by its id in
the target's `files` table or by its site and Drupal URI. Plaintext is never written into a
file store: a destination inside (or holding) the target's or the test target's store is
refused. Only counts are reported, never file names.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from pseamigrate import db
from pseamigrate.config import Settings
from pseamigrate.encryption.filestore import (
    StoreSpec,
    file_stores,
    load_files_keys,
    name_in_store,
    partial_of,
    store_spec,
    stored_files,
)
from pseamigrate.encryption.sealed import TamperedFile, is_sealed, private_file, unseal
from pseamigrate.errors import PseamigrateError, RefusedForSafety, UsageProblem
from pseamigrate.paths import inside, move_into_place, private_folder
from pseamigrate.target.model import load_model
from pseamigrate.target.schema import build_metadata
from pseamigrate.target.store import relative_path


@dataclass
class ExportReport:
    """What `files export` wrote: counts and bytes only."""

    files: int = 0
    bytes: int = 0
    plaintext: int = 0  # copied as they were: not sealed in the store (see `encrypt-store`)
    tampered: int = 0  # failed authentication: not exported (their partial output removed)
    skipped: int = 0  # links and special files: never followed


def export_files(
    settings: Settings, sites: list[str], dest: Path, test: bool = False
) -> ExportReport:
    """Write the plaintext of the named sites' tenants' files (every site's when `sites` is
    empty) into `dest`, a new or empty folder outside every file store, as `TENANT/files/…`."""
    spec = _store(settings, test)
    _refuse_store_destination(settings, dest)
    if dest.exists() and any(dest.iterdir()):
        raise UsageProblem(f"{dest} is not empty: export into a new folder")
    keys = load_files_keys(spec.key) if spec.key is not None else {}
    tenants = dict.fromkeys(settings.site(name).tenant for name in sites or settings.sites)
    private_folder(dest)
    report = ExportReport()
    for tenant in tenants:
        folder = spec.root / tenant
        for path in stored_files(folder) if folder.is_dir() else ():
            _export_one(spec.root, path, dest, keys, report)
    if report.tampered:
        raise TamperedFile(
            f"{report.tampered} files failed authentication and were not exported "
            f"({report.files} were); see `pseamigrate verify`"
        )
    return report


def _export_one(
    root: Path, path: Path, dest: Path, keys: dict[int, bytes], report: ExportReport
) -> None:
    if path.is_symlink() or not path.is_file():
        report.skipped += 1
        return
    name = name_in_store(root, path)
    out = dest / name
    private_folder(out.parent)
    partial = partial_of(out)
    try:
        with open(path, "rb") as reading, private_file(partial) as writing:
            if is_sealed(path):
                chunks: Iterator[bytes] = unseal(reading, keys, name)
            else:
                report.plaintext += 1
                chunks = iter(lambda: reading.read(1 << 20), b"")
            for chunk in chunks:
                writing.write(chunk)
                report.bytes += len(chunk)
    except TamperedFile:
        partial.unlink()
        report.tampered += 1
        return
    move_into_place(partial, out)
    report.files += 1


def cat_file(
    settings: Settings, file_id: int | None = None, site: str | None = None, uri: str = ""
) -> Iterator[bytes]:
    """Yield the plaintext of one stored file, each chunk authenticated before it is yielded:
    by its id in the target's `files` table, or by its site and Drupal URI (`public://…`)."""
    spec = _store(settings, test=False)
    if file_id is not None:
        tenant, uri = _file_row(settings, file_id)
    elif site is not None and uri:
        tenant = settings.site(site).tenant
    else:
        raise UsageProblem("name a file: its id, or --site SITE --uri public://…")
    relative = relative_path(uri)
    if relative is None:
        raise UsageProblem("the file's uri has no public:// or private:// path")
    name = f"{tenant}/{relative.as_posix()}"  # as sealed (migrate/files.py)
    path = inside(spec.root, name, "the file")
    if not path.is_file():
        raise PseamigrateError("the store holds no copy of that file")
    keys = load_files_keys(spec.key) if spec.key is not None else {}
    return _stream(path, keys, name)


def _stream(path: Path, keys: dict[int, bytes], name: str) -> Iterator[bytes]:
    with open(path, "rb") as reading:
        if is_sealed(path):
            yield from unseal(reading, keys, name)
        else:
            yield from iter(lambda: reading.read(1 << 20), b"")


def _file_row(settings: Settings, file_id: int) -> tuple[str, str]:
    """Return the tenant code and URI of a row of the target's `files` table."""
    metadata = build_metadata(load_model(settings.model))
    files, tenants = metadata.tables["files"], metadata.tables["tenants"]
    query = (
        select(tenants.c.code, files.c.uri)
        .join(tenants, tenants.c.id == files.c.tenant_id)
        .where(files.c.id == file_id)
    )
    with db.connection(settings.target_connection().resolve(), "the target") as conn:
        row = conn.execute(query).first()
    if row is None:
        raise PseamigrateError(f"the target has no file with id {file_id}")
    return str(row[0]), str(row[1])


def _store(settings: Settings, test: bool) -> StoreSpec:
    spec = store_spec(settings, test)
    if spec is None:
        which = "test_target" if test else "target"
        raise UsageProblem(f"{settings.path}: no {which}.files_dir: there is no file store")
    return spec


def _refuse_store_destination(settings: Settings, dest: Path) -> None:
    """Refuse to write plaintext into a file store (or a folder holding one)."""
    where = Path(os.path.abspath(dest)).resolve()
    for spec in file_stores(settings):
        root = spec.root.resolve()
        if where.is_relative_to(root) or root.is_relative_to(where):
            raise RefusedForSafety(
                f"{dest} is in (or holds) the {spec.label}'s file store: plaintext never goes there"
            )
