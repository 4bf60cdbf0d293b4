"""The honest proof of encryption at rest: look for a known string in the raw files on disk.

A distinctive canary written through SQL must be findable in a plaintext table's files and
absent everywhere for an encrypted one (data files, redo/undo logs, doublewrite, binlogs).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

CHUNK = 4 * 1024 * 1024


def make_canary(label: str) -> str:
    """Return a distinctive ASCII string that occurs nowhere by chance."""
    return f"PSEACANARY-{label}-{secrets.token_hex(8)}"


def file_contains(path: Path, needle: bytes) -> bool:
    """Tell whether `needle` occurs in the file, reading it in overlapping chunks."""
    overlap = len(needle) - 1
    tail = b""
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            window = tail + chunk
            if needle in window:
                return True
            tail = window[-overlap:] if overlap else b""
    return False


def scan(root: Path, needle: str) -> list[Path]:
    """Return the files under `root` holding `needle` (relative paths; symlinks not followed)."""
    found = []
    raw = needle.encode()
    for dirpath, _dirs, files in os.walk(root, followlinks=False):
        for name in files:
            path = Path(dirpath) / name
            if path.is_symlink() or not path.is_file():
                continue
            try:
                if file_contains(path, raw):
                    found.append(path.relative_to(root))
            except OSError:
                continue  # a file removed while scanning (e.g. a temp file) holds nothing now
    return sorted(found)
