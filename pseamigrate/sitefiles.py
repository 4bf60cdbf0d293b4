"""Where a legacy site's uploaded files live on disk, and whether that directory is usable.

A site's `files_dir` (project file) holds `files/` for `public://` and `private/` for
`private://`, as a Drupal site root does; `public/` is accepted for `public://` too, since that
is how `pseamigrate.sample` lays out the sample sites' files (pseamigrate/sample/files.py).
A relative `files_dir` is relative to the project file; `ssh://` directories are not checked.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from pseamigrate.config import SiteSettings

# Stream-wrapper scheme → the subfolders of files_dir that may hold it, preferred first.
SUBFOLDERS: dict[str, tuple[str, ...]] = {"public": ("files", "public"), "private": ("private",)}
# Any other scheme is looked for in the folder of its name, so it must be a plain name.
SCHEME = re.compile(r"[A-Za-z0-9_]{1,32}")


@dataclass(frozen=True)
class FilesDirStatus:
    """What a site's files_dir looks like: usable or not, and why; subfolders it lacks."""

    path: str | None  # None: the project file names no files_dir
    ok: bool
    reason: str = ""
    missing_subfolders: tuple[str, ...] = ()


def files_root(site: SiteSettings, project: Path | None) -> Path | None:
    """Return the site's local files_dir (None when unset or remote)."""
    if not site.files_dir or "://" in site.files_dir:
        return None
    root = Path(site.files_dir).expanduser()
    if not root.is_absolute() and project is not None:
        root = project.parent / root
    return root


def scheme_dir(root: Path, scheme: str) -> Path | None:
    """Return the existing subfolder of `root` that holds `scheme://` files, or None."""
    for name in SUBFOLDERS.get(scheme, (scheme,)):
        if (root / name).is_dir():
            return root / name
    return None


def local_file(root: Path, uri: str) -> Path | None:
    """Return where the file `uri` (`public://a/b.pdf`) should be under `root`, or None.

    None also when the path would leave its scheme's folder: a scheme that is not a plain
    name (`/etc://passwd` joined `/etc` to the root), `..`, or a symlink leading out."""
    scheme, sep, rest = uri.partition("://")
    parts = [part for part in rest.split("/") if part not in ("", ".")]
    if not sep or not parts or ".." in parts or not SCHEME.fullmatch(scheme):
        return None
    folder = scheme_dir(root, scheme)
    if folder is None:
        return None
    path = folder.joinpath(*parts)
    base = folder.resolve()
    resolved = path.resolve()
    return path if resolved != base and resolved.is_relative_to(base) else None


def check_files_dir(site: SiteSettings, project: Path | None) -> FilesDirStatus:
    """Say whether the site's files_dir is a readable directory and which subfolders it lacks."""
    if not site.files_dir:
        return FilesDirStatus(None, ok=True, reason="no files_dir in the project file")
    root = files_root(site, project)
    if root is None:
        return FilesDirStatus(site.files_dir, ok=True, reason="remote, not checked")
    if not root.is_dir():
        return FilesDirStatus(str(root), ok=False, reason="missing or not a directory")
    if not os.access(root, os.R_OK | os.X_OK):
        return FilesDirStatus(str(root), ok=False, reason="not readable")
    missing = tuple(
        SUBFOLDERS[scheme][0] for scheme in SUBFOLDERS if scheme_dir(root, scheme) is None
    )
    unreadable = [
        folder
        for scheme in SUBFOLDERS
        if (folder := scheme_dir(root, scheme)) is not None
        and not os.access(folder, os.R_OK | os.X_OK)
    ]
    if unreadable:
        names = ", ".join(f.name for f in unreadable)
        return FilesDirStatus(str(root), False, f"not readable: {names}", missing)
    if len(missing) == len(SUBFOLDERS):
        return FilesDirStatus(str(root), False, "holds neither files/ nor private/", missing)
    return FilesDirStatus(str(root), ok=True, missing_subfolders=missing)
