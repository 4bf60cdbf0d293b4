"""Where a file lives in a file store: `public://a/b.pdf` is `files/a/b.pdf`, and
`private://…` is `private/…`, under a site's files_dir or a tenant's folder of the target's."""

from __future__ import annotations

from pathlib import Path

SCHEMES = {"public": "files", "private": "private"}


def relative_path(uri: str) -> Path | None:
    """Turn `public://a/b.pdf` into `files/a/b.pdf`; None for another scheme or an escape."""
    scheme, sep, rest = uri.partition("://")
    if not sep or scheme not in SCHEMES:
        return None
    parts = [part for part in rest.split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return Path(SCHEMES[scheme], *parts)
