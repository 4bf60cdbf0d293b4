"""The JSON report of `verify` (shape documented in docs/verify.md) and where reports go."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pseamigrate.paths import move_into_place
from pseamigrate.verify.results import Reconciliation


def as_json(result: Reconciliation) -> str:
    """Return the reconciliation as stable, sorted JSON text."""
    return json.dumps(result.as_dict(), sort_keys=True, indent=2, default=str) + "\n"


def write_private(path: Path, text: str) -> Path:
    """Write a report readable by its owner only (it names tenants and ids), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    partial.unlink(missing_ok=True)  # never written through: a planted symlink is removed
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(fd, 0o600)  # whatever the umask
        handle.write(text)
        handle.flush()
        os.fsync(fd)
    move_into_place(partial, path)
    return path


def summary_rows(result: Reconciliation) -> list[dict[str, Any]]:
    """Return one row per site and entity: the columns of the terminal and HTML tables."""
    return [
        {
            "site": site.site,
            "entity": e.entity,
            "source": e.source,
            "target": e.target,
            "explained": e.explained_count(),
            "mismatched": len(e.mismatches),
            "checksum": e.checksum,
        }
        for site in result.sites
        for e in site.entities
    ]
