"""`pseamigrate verify`: reconcile every site against the target (#10)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pseamigrate.cli import app, settings
from pseamigrate.cli.options import (
    DEFAULT_JOBS,
    AllowPlaintextFlag,
    JobsOption,
    JsonFlag,
    ProgressEvery,
    ProgressMode,
)
from pseamigrate.console import print_json
from pseamigrate.console import verify as view
from pseamigrate.console.progress import DEFAULT_EVERY, site_progress
from pseamigrate.errors import VerificationMismatch

SitesArgument = Annotated[
    list[str] | None, typer.Argument(help="Sites to verify (default: every site).")
]


@app.command()
def verify(
    ctx: typer.Context,
    names: SitesArgument = None,
    sample: Annotated[
        int,
        typer.Option("--sample", min=0, help="Compare N random rows per entity field by field."),
    ] = 0,
    json_out: JsonFlag = False,
    json_file: Annotated[
        Path | None,
        typer.Option("--json-file", metavar="FILE", dir_okay=False, help="Write the JSON report."),
    ] = None,
    html_file: Annotated[
        Path | None,
        typer.Option("--html", metavar="FILE", dir_okay=False, help="Write the HTML QA report."),
    ] = None,
    allow_plaintext: AllowPlaintextFlag = False,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Rows per chunk.")] = 500,
    jobs: JobsOption = DEFAULT_JOBS,
    progress_mode: ProgressMode = "auto",
    progress_every: ProgressEvery = DEFAULT_EVERY,
    accept_pending: Annotated[
        bool,
        typer.Option(
            "--accept-pending",
            help="Exit 0 although rows are pending (not yet migrated, failed, changed since, "
            "or gone from the source); the reports record it.",
        ),
    ] = False,
    sanitized: Annotated[
        bool,
        typer.Option(
            "--sanitized",
            help="Check the test_target against the target instead: counts, ids, references, "
            "and no personal or sensitive value equal to production's (docs/sanitize.md).",
        ),
    ] = False,
) -> None:
    """Reconcile the sites with the target: counts, checksums, the differing source ids.

    Exit 0 only when every site reconciles (every source row in the target, equal); 3 on any
    mismatch, and on pending rows unless --accept-pending; 4 if the target is not encrypted.

    Example: pseamigrate verify iraq --sample 20 --html qa-report.html
    """
    if sanitized:
        _verify_sanitized(ctx, json_out)
        return
    from pseamigrate.verify.html import render_html
    from pseamigrate.verify.reconcile import VerifyOptions
    from pseamigrate.verify.reconcile import verify as reconcile
    from pseamigrate.verify.report import as_json, write_private

    options = VerifyOptions(sample, allow_plaintext, batch_size, jobs, accept_pending)
    with site_progress(progress_mode, progress_every) as progress:
        result = reconcile(settings(ctx), names or [], options, on_progress=progress)
    if json_out:
        print_json(result.as_dict())
    else:
        view.show_reconciliation(result)
    if json_file is not None:
        view.written("JSON", write_private(json_file, as_json(result)))
    if html_file is not None:
        view.written("HTML", write_private(html_file, render_html(result)))
    if result.mismatched():
        raise VerificationMismatch(f"{result.mismatched()} mismatches between sources and target")
    if not result.ok():
        raise VerificationMismatch(
            f"{result.pending()} rows pending in {', '.join(result.pending_sites())}: not signed "
            "off (bring them in with `pseamigrate migrate SITE`, or --accept-pending)"
        )


def _verify_sanitized(ctx: typer.Context, json_out: bool) -> None:
    """`verify --sanitized`: the test target against the target (exit 3 on any problem)."""
    from pseamigrate.console import sanitize as sanitize_view
    from pseamigrate.sanitize.check import check_sanitized

    result = check_sanitized(settings(ctx))
    sanitize_view.show_check(result, json_out=json_out)
    if not result.ok:
        raise VerificationMismatch(f"{len(result.problems)} problems in the test target")
