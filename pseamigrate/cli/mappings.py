"""`pseamigrate mappings scaffold|check|values|init|validate`: per-site YAML mappings (#5)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pseamigrate import console
from pseamigrate.cli import app, canonical_model, settings, sub_app
from pseamigrate.cli.options import DryRunFlag, JsonFlag, ModelOption, SiteArgument
from pseamigrate.console import mappings as mappings_view
from pseamigrate.errors import EXIT_FAILED

if TYPE_CHECKING:
    from pseamigrate.mapping.commands import SiteCheck

mappings_app = sub_app("Per-site YAML mappings.")


class Unmapped(StrEnum):
    """`scaffold --unmapped`: what to write for what has no place in the model."""

    todo = "todo"
    extra = "extra"


app.add_typer(mappings_app, name="mappings")


@mappings_app.command("scaffold")
def mappings_scaffold(
    ctx: typer.Context,
    site: SiteArgument,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write here instead.", dir_okay=False)
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    model: ModelOption = None,
    dry_run: DryRunFlag = False,
    unmapped: Annotated[
        Unmapped,
        typer.Option(
            "--unmapped",
            help="What has no place in the model: todo (a person decides; check fails until "
            "then) or extra (kept in extra, ignored with the reason; check passes with warnings, "
            "unless a decision remains, which check names: a required column's stored values "
            "the model lacks are TODO (N rows) in both modes).",
        ),
    ] = Unmapped.todo,
) -> None:
    """Write a first mapping for SITE from its live content model (then edit every TODO).

    With --unmapped extra it loses nothing and passes `mappings check` as written, unless a
    decision remains, which check names (see --unmapped).

    Example: pseamigrate mappings scaffold iraq --unmapped extra -o mappings/sites/iraq.yaml
    """
    from pseamigrate.mapping.commands import scaffold_site

    site_settings = settings(ctx).site(site)
    path, written = scaffold_site(
        site_settings, output, canonical_model(ctx, model), force, dry_run, unmapped.value
    )
    if dry_run:
        console.print_raw(written.text)
    else:
        mappings_view.show_scaffolded(path, written.todos, written.decisions)


@mappings_app.command("check")
def mappings_check(
    ctx: typer.Context,
    sites: Annotated[list[str] | None, typer.Argument(help="Sites (default: all).")] = None,
    model: ModelOption = None,
    json_out: JsonFlag = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail on warnings too (decisions left to review).")
    ] = False,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline",
            help="Do not connect to the site: check the file alone (keys, steps, callbacks).",
        ),
    ] = False,
) -> None:
    """Check each site's mapping against the live site, then run every source row through the
    run's own transforms (what `migrate --dry-run` does, without the target).

    It fails when a field is neither mapped nor ignored, a type does not fit, a coded value has
    no model value, or any row would fail, naming each failing row's source id. Passing means
    `migrate --dry-run` fails no row. Warnings (decisions the scaffold took, values kept in
    extra) fail it only with --strict. A site it cannot reach fails the check (the file alone
    was checked); --offline checks the file alone and says so.

    Example: pseamigrate mappings check iraq drc --strict
    """
    from pseamigrate.migrate.rehearse import check_sites

    found = check_sites(
        settings(ctx), sites or [], canonical_model(ctx, model), offline, console.info
    )
    _show(found, json_out, strict)


@mappings_app.command("values")
def mappings_values(
    ctx: typer.Context,
    site: SiteArgument,
    column: Annotated[
        str, typer.Argument(help="One coded column as ENTITY.COLUMN (default: every one).")
    ] = "",
    model: ModelOption = None,
    json_out: JsonFlag = False,
) -> None:
    """List each coded column's crosswalk: the source field's allowed values, the values its
    nodes hold (with counts), the model's values, and what the mapping does with each (mapped
    to…, default, kept in extra, fails), found by running the mapping's own pipeline.

    Exits 1 when a value held by some node fails its row (a decision is left to a person).

    Example: pseamigrate mappings values iraq complaint.status
    """
    from pseamigrate.migrate.crosswalk import site_values

    found = site_values(settings(ctx).site(site), canonical_model(ctx, model), column)
    mappings_view.show_values(found, json_out)
    if any(coded.failing() for coded in found):
        raise typer.Exit(EXIT_FAILED)


@mappings_app.command("init")
def mappings_init(
    ctx: typer.Context,
    folder: Annotated[
        Path, typer.Argument(help="Where the copies go (relative to the project file).")
    ] = Path("mappings"),
    dry_run: DryRunFlag = False,
) -> None:
    """Copy the shipped site mappings into the project and name the folder in the project file.

    Edit your copies, never the files inside the installed package (an upgrade replaces those).
    Refuses a non-empty folder and a project file that already names another mappings folder.
    Example: pseamigrate mappings init mappings --dry-run
    """
    from pseamigrate.mapping.project_copy import copy_shipped_mappings

    done = copy_shipped_mappings(settings(ctx), folder, dry_run)
    verb = "would copy" if dry_run else "copied"
    console.print_lines([f"{verb} {len(done.files)} mapping files into {done.folder}"])
    if done.set_key:
        said = "would set" if dry_run else "set"
        console.info(f"{said} mappings: in {done.project_file}")


@mappings_app.command("validate")
def mappings_validate(
    files: Annotated[list[Path], typer.Argument(help="Mapping files.", dir_okay=False)],
    json_out: JsonFlag = False,
) -> None:
    """Load mapping files without a site: YAML syntax, keys, process steps and callbacks.

    Example: pseamigrate mappings validate mappings/sites/*.yaml
    """
    from pseamigrate.mapping.commands import validate_files

    _show(validate_files(files), json_out)


def _show(results: Sequence[SiteCheck], json_out: bool, strict: bool = False) -> None:
    """Render mapping checks; exit 1 when any has a problem (or, `strict`, a warning)."""
    mappings_view.show_mapping_checks(results, json_out, strict)
    if not all(result.passed(strict) for result in results):
        raise typer.Exit(EXIT_FAILED)
