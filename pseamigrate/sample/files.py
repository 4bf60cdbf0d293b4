"""Managed files on disk: `public://x` under `<files_dir>/public/x`, `private://x` under `private/`.

A few files are deliberately not written (their `file_managed` row stays), as on real sites
where uploads were lost in a server move; `build_site` lists their URIs in its report.
"""

from __future__ import annotations

from pathlib import Path

from pseamigrate.paths import file_uri_path
from pseamigrate.sample.content import ManagedFile


def local_path(files_dir: Path, uri: str, fid: int = 0) -> Path:
    """Return where the file with stream-wrapper `uri` lives under `files_dir`; raise
    `UnsafePath` if the URI would leave it (`public:///etc/shadow`, `public://../x`)."""
    return file_uri_path(files_dir, uri, f"file {fid}")


def write_files(files_dir: Path | None, files: list[ManagedFile]) -> list[str]:
    """Write every file not marked missing; return the URIs of the missing ones."""
    missing = []
    for managed in files:
        if managed.missing:
            missing.append(managed.uri)
            continue
        if files_dir is not None:
            path = local_path(files_dir, managed.uri, managed.fid)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(managed.body)
    return missing
