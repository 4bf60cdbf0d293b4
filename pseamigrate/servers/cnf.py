"""Edit a server's option file without touching what an operator wrote (issue #14 item 2).

pseamigrate owns one marked block per purpose (`# BEGIN pseamigrate NAME` … `# END pseamigrate
NAME`), appended at the end of `my.cnf` so its settings win, or a whole drop-in file in a
`conf.d/` directory. Every other line stays as it is. A change is data first (`CnfChange`): its
unified diff is what `--dry-run` prints, and `apply` writes exactly that, after a timestamped
backup of the file it replaces.
"""

from __future__ import annotations

import difflib
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from pseamigrate.errors import PseamigrateError

BEGIN = "# BEGIN pseamigrate {name}"
END = "# END pseamigrate {name}"
NOTE = "# Written by pseamigrate; edit outside this block, it is rewritten as a whole."


@dataclass(frozen=True)
class CnfChange:
    """The new text of one option file, next to the old (None when the file does not exist)."""

    path: Path
    old: str | None
    new: str

    @property
    def changed(self) -> bool:
        """Tell whether applying the change would alter the file."""
        return self.old != self.new

    def diff(self) -> str:
        """Return the unified diff `apply` would make (empty when nothing changes)."""
        old_lines = (self.old or "").splitlines(keepends=True)
        new_lines = self.new.splitlines(keepends=True)
        before = str(self.path) if self.old is not None else "/dev/null"
        return "".join(difflib.unified_diff(old_lines, new_lines, before, str(self.path)))

    def apply(self) -> Path | None:
        """Back up the existing file (timestamped, same mode), then write; return the backup."""
        if not self.changed:
            return None
        backup = None
        if self.old is not None:
            if self.path.read_text() != self.old:
                raise PseamigrateError(f"{self.path} changed while planning; run again")
            backup = backup_path(self.path)
            shutil.copy2(self.path, backup)
        _write_keeping_mode(self.path, self.new)
        return backup


def backup_path(path: Path) -> Path:
    """Return a not yet existing `<file>.pseamigrate-<UTC time>[-N].bak` beside `path`."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    candidate = path.with_name(f"{path.name}.pseamigrate-{stamp}.bak")
    number = 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}.pseamigrate-{stamp}-{number}.bak")
    return candidate


def _write_keeping_mode(path: Path, text: str) -> None:
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    partial = path.with_name(path.name + ".pseamigrate-partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(partial, path)


def render_block(name: str, group: str, options: dict[str, str]) -> str:
    """Render the marked block: markers, a note, its own `[group]` header and the options."""
    lines = [BEGIN.format(name=name), NOTE, f"[{group}]"]
    lines += [key if value == "" else f"{key}={value}" for key, value in options.items()]
    return "\n".join([*lines, END.format(name=name)]) + "\n"


def block_span(text: str, name: str) -> tuple[int, int] | None:
    """Return the (first, last) line numbers of block `name` in `text`, or None."""
    lines = text.splitlines()
    begin, end = BEGIN.format(name=name), END.format(name=name)
    starts = [i for i, line in enumerate(lines) if line.strip() == begin]
    ends = [i for i, line in enumerate(lines) if line.strip() == end]
    if not starts and not ends:
        return None
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        raise PseamigrateError(f"the '{begin}' block is broken (missing or repeated markers)")
    return starts[0], ends[0]


def block_options(text: str, name: str) -> dict[str, str]:
    """Return the options inside block `name` (empty when there is none)."""
    span = block_span(text, name)
    if span is None:
        return {}
    return parse_options(text.splitlines()[span[0] : span[1] + 1])


def parse_options(lines: list[str]) -> dict[str, str]:
    """Parse `key=value` / bare `key` lines; comments, `!include` and group headers dropped."""
    options = {}
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith(("#", ";", "[", "!")):
            continue
        key, _, value = line.partition("=")
        options[key.strip()] = value.strip()
    return options


SERVER_GROUPS = ("mysqld", "mariadbd", "server", "mariadb")


def server_options(text: str) -> dict[str, str]:
    """Return the options of the server groups of an option file, later lines winning."""
    options: dict[str, str] = {}
    group = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1].strip().lower()
        elif group in SERVER_GROUPS:
            options.update(parse_options([line]))
    return options


def with_block(text: str, name: str, group: str, options: dict[str, str]) -> str:
    """Return `text` with block `name` holding `options` (replaced in place, or appended)."""
    block = render_block(name, group, options)
    span = block_span(text, name)
    lines = text.splitlines(keepends=True)
    if span is None:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        return "".join(lines) + ("\n" if lines else "") + block
    return "".join(lines[: span[0]]) + block + "".join(lines[span[1] + 1 :])


def plan_block(path: Path, name: str, group: str, options: dict[str, str]) -> CnfChange:
    """Plan adding or updating block `name` in `path`: the block's old options, then `options`."""
    old = path.read_text() if path.exists() else None
    merged = {**block_options(old or "", name), **options}
    return CnfChange(path, old, with_block(old or "", name, group, merged))


def plan_dropin(conf_dir: Path, name: str, group: str, options: dict[str, str]) -> CnfChange:
    """Plan the drop-in file `conf_dir/pseamigrate-NAME.cnf` (for a system server's conf.d/)."""
    if not conf_dir.is_dir():
        raise PseamigrateError(f"{conf_dir} is not a directory")
    return plan_block(conf_dir / f"pseamigrate-{name}.cnf", name, group, options)
