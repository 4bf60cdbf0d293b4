"""`pseamigrate migrate|status|messages|rollback`: the migration run and its ledger (#9)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated

import typer

from pseamigrate.cli import app, settings
from pseamigrate.cli.options import (
    DEFAULT_JOBS,
    AllowPlaintextFilesFlag,
    AllowPlaintextFlag,
    DryRunFlag,
    JobsOption,
    JsonFlag,
    ProgressEvery,
    ProgressMode,
)
from pseamigrate.console import migrate as view
from pseamigrate.console.progress import DEFAULT_EVERY, site_progress
from pseamigrate.errors import MigrationFailed, UsageProblem

if TYPE_CHECKING:
    from pseamigrate.migrate.items import ItemFilter

SitesArgument = Annotated[
    list[str] | None, typer.Argument(help="Sites to migrate (default: every site).")
]


def _idlist(raw: str | None) -> frozenset[int]:
    if not raw:
        return frozenset()
    try:
        return frozenset(int(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise UsageProblem("--idlist takes node ids separated by commas, e.g. 12,15,20") from None


@app.command()
def migrate(
    ctx: typer.Context,
    names: SitesArgument = None,
    dry_run: DryRunFlag = False,
    update: Annotated[
        bool, typer.Option("--update", help="Rewrite rows even when they are unchanged.")
    ] = False,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="At most N source rows per step.")
    ] = None,
    idlist: Annotated[
        str | None, typer.Option("--idlist", help="Only these node ids (comma-separated).")
    ] = None,
    allow_plaintext: AllowPlaintextFlag = False,
    allow_plaintext_files: AllowPlaintextFilesFlag = False,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Rows per batch.")] = 500,
    jobs: JobsOption = DEFAULT_JOBS,
    progress_mode: ProgressMode = "auto",
    progress_every: ProgressEvery = DEFAULT_EVERY,
    sanitized: Annotated[
        bool,
        typer.Option(
            "--sanitize",
            help="Into the project file's test_target, every row sanitized on the way "
            "(needs $PSEAMIGRATE_PSEUDONYM_KEY; see docs/sanitize.md).",
        ),
    ] = False,
    full: Annotated[
        bool,
        typer.Option("--full", help="Read every row, not only what changed since the last run."),
    ] = False,
    sync: Annotated[
        bool,
        typer.Option(
            "--sync",
            help="Remove from the target the rows gone from the source (with --dry-run: count).",
        ),
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Migrate the legacy sites into the consolidated target (all sites by default).

    After a completed run, the next one reads only what changed since (a delta run; a mapping
    edit or --full reads everything). Re-running changes nothing; an interrupted run resumes;
    rows that failed are tried again by every run until written; rows gone from the source are
    reported, and removed with --sync. Exit 1 if any row failed, 4 if refused for safety
    (plaintext target, another run holds the lock).

    Example: pseamigrate migrate iraq --dry-run
    """
    from pseamigrate.migrate.run import migrate as run
    from pseamigrate.migrate.steps import Options

    options = Options(
        dry_run,
        update,
        limit,
        _idlist(idlist),
        allow_plaintext,
        batch_size,
        jobs,
        full=full,
        sync=sync,
    )
    options = dataclasses.replace(options, allow_plaintext_files=allow_plaintext_files)
    project = settings(ctx)
    item_filter = _sanitizer() if sanitized else None
    with site_progress(progress_mode, progress_every) as progress:
        report = run(project, names or [], options, on_progress=progress, item_filter=item_filter)
    view.show_migration(report, json_out=json_out)
    if report.failed_rows():
        raise MigrationFailed(report.failed_rows())


def _sanitizer() -> ItemFilter:
    """Return the filter that sanitizes rows on their way (asks for the key first)."""
    from pseamigrate.sanitize.inflight import InFlight
    from pseamigrate.sanitize.rules import Rules
    from pseamigrate.sanitize.run import pseudonym_key
    from pseamigrate.target.model import load_model
    from pseamigrate.target.schema import build_metadata
    from pseamigrate.target.sensitivity import classify

    model = load_model()
    return InFlight(Rules(pseudonym_key()), classify(build_metadata(model), model))


@app.command()
def status(
    ctx: typer.Context,
    names: SitesArgument = None,
    exact: Annotated[
        bool,
        typer.Option("--exact", help="Read and compare every source row, like a dry run."),
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Show per site and step: in source, imported, needs update, unprocessed, failed.

    It answers from the target's ledger as of the last completed run, without reading the
    source; --exact reads and transforms every source row like a dry run. Nothing is written.

    Example: pseamigrate status iraq --exact
    """
    from pseamigrate.migrate.status import status as site_status

    found = site_status(settings(ctx), names or [], exact=exact)
    view.show_status(found, json_out=json_out)


@app.command()
def messages(
    ctx: typer.Context,
    site: Annotated[str, typer.Argument(help="A site name from the project file.")],
    run_id: Annotated[int | None, typer.Option("--run", help="Only this run's messages.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """List what the runs said about a site's rows (ids and field names, never values).

    Example: pseamigrate messages iraq --run 3
    """
    from pseamigrate.migrate.status import messages as site_messages

    view.show_messages(site_messages(settings(ctx), site, run_id), json_out=json_out)


@app.command()
def rollback(
    ctx: typer.Context,
    site: Annotated[
        str | None, typer.Option("--site", help="Roll back this site's tenant.")
    ] = None,
    run_id: Annotated[int | None, typer.Option("--run", help="Roll back this run.")] = None,
    dry_run: DryRunFlag = False,
    json_out: JsonFlag = False,
) -> None:
    """Delete the rows the ledger says this tool created, for one site or one run.

    Other tenants' rows are never touched; shared accounts and terms stay while used.

    Example: pseamigrate rollback --site iraq --dry-run
    """
    from pseamigrate.migrate.rollback import rollback as undo

    view.show_rollback(undo(settings(ctx), site, run_id, dry_run), json_out=json_out)
