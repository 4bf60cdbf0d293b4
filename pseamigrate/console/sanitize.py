"""Rendering for `sanitize`: rows per table, placeholder files, check verdicts (no values)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pseamigrate.console import out, print_json, print_table, verdict

if TYPE_CHECKING:
    from pseamigrate.sanitize.check import SanitizedCheck
    from pseamigrate.sanitize.run import SanitizeReport


def show_report(report: SanitizeReport, *, json_out: bool) -> None:
    """Render what `sanitize` copied."""
    if json_out:
        print_json({"rows": report.rows, "files": report.files, "dry_run": report.dry_run})
        return
    mode = "dry run, nothing kept" if report.dry_run else "copied"
    print_table(f"Sanitized copy ({mode})", ["table", "rows"], sorted(report.rows.items()))
    out.print(f"placeholder files written: {report.files}")


def show_check(result: SanitizedCheck, *, json_out: bool) -> None:
    """Render `sanitize --check`: rows on both sides and every problem (names only)."""
    if json_out:
        print_json({"ok": result.ok, "rows": result.rows, "problems": result.problems})
        return
    rows = [(name, a, b) for name, (a, b) in sorted(result.rows.items())]
    print_table("Test target against the target", ["table", "target", "test target"], rows)
    for problem in result.problems:
        out.print(problem)
    verdict("the test target is sanitized" if result.ok else "the test target FAILS", result.ok)
