"""`mappings init`: copy the shipped site mappings into the project, so operators edit their own
files, never the ones inside the installed package (overwritten on upgrade; issue #24 item 11).

The copy keeps the shipped layout (`sites/*.yaml` and the `shared/` files they include), and the
project file gains `mappings: DIR`, which every command then reads. Nothing is overwritten: a
non-empty folder, or a project file already naming another mappings folder, is refused.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from pseamigrate.config import Settings
from pseamigrate.errors import UsageProblem
from pseamigrate.resources import MAPPINGS_DIR

COPIED = ("sites", "shared")  # the shipped folders a site mapping needs


@dataclass(frozen=True)
class MappingsCopy:
    """What `mappings init` copied (or would), and whether it set `mappings:`."""

    folder: Path
    files: list[Path]
    project_file: Path
    set_key: bool


def copy_shipped_mappings(settings: Settings, folder: Path, dry_run: bool = False) -> MappingsCopy:
    """Copy the shipped site mappings into `folder` and name it in the project file."""
    project = settings.require_file()
    target = folder if folder.is_absolute() else project.parent / folder
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageProblem(f"{target} exists and is not an empty folder: nothing is overwritten")
    named = settings.mappings
    if named is not None and named.resolve() != target.resolve():
        raise UsageProblem(f"{project} already names mappings: {named}; change it by hand")
    files = [
        path.relative_to(MAPPINGS_DIR)
        for name in COPIED
        for path in sorted((MAPPINGS_DIR / name).rglob("*.yaml"))
    ]
    if not dry_run:
        for relative in files:
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(MAPPINGS_DIR / relative, target / relative)
        if named is None:
            _append_key(project, _relative_to(target, project.parent))
    return MappingsCopy(target, files, project, named is None)


def _relative_to(target: Path, base: Path) -> str:
    try:
        return str(target.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(target.resolve())


def _append_key(project: Path, value: str) -> None:
    """Add `mappings: VALUE` at the end of the project file, keeping its text and mode."""
    text = project.read_text(encoding="utf-8")
    line = f"mappings: {json.dumps(value)}\n"  # a JSON string is a YAML string, quoted
    partial = project.with_name(f".{project.name}.partial")
    partial.write_text(text + ("" if text.endswith("\n") or not text else "\n") + line, "utf-8")
    os.chmod(partial, project.stat().st_mode & 0o777)
    partial.replace(project)
