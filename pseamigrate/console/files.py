"""Rendering for `files`: counts of what export, encrypt-store and rotate-key did, and the bytes
of `cat` (never file names: they may carry people's names)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from pseamigrate.console import print_json, verdict

if TYPE_CHECKING:
    from pseamigrate.encryption.filestore import StoreChange
    from pseamigrate.migrate.attachments import ExportReport


def write_bytes(chunks: Iterable[bytes]) -> None:
    """Write a file's bytes to stdout as they come (binary, nothing added)."""
    sys.stdout.flush()
    out = sys.stdout.buffer
    for chunk in chunks:
        out.write(chunk)
    out.flush()


def show_export(report: ExportReport, json_out: bool) -> None:
    """Say how many files (and bytes) `files export` wrote."""
    if json_out:
        print_json(vars(report))
        return
    notes = [
        f"{report.plaintext} were not sealed in the store" if report.plaintext else "",
        f"{report.skipped} links or special files skipped" if report.skipped else "",
    ]
    extra = "; ".join(note for note in notes if note)
    verdict(
        f"exported {report.files} files ({report.bytes} bytes)" + (f"; {extra}" if extra else ""),
        True,
    )


def show_store_change(change: StoreChange, done: str, json_out: bool) -> None:
    """Say how many files `encrypt-store` sealed / `rotate-key` rewrapped (or would)."""
    if json_out:
        print_json(vars(change))
        return
    verb = f"would have {done}" if change.dry_run else done
    parts = [f"{verb} {change.changed} files", f"{change.unchanged} already done"]
    if change.skipped:
        parts.append(f"{change.skipped} skipped (links, special or plaintext files)")
    if change.problems:
        parts.append(f"{change.problems} did not open with the files key")
    verdict(f"{'; '.join(parts)} (master key {change.key_id})", not change.problems)
