"""`pseamigrate mappings scaffold|check|validate`: per-site YAML mappings (#5)."""

from __future__ import annotations

from collections.abc import Sequence
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
) -> None:
    """Write a first mapping for SITE from its live content model (then edit every TODO).

    Example: pseamigrate mappings scaffold iraq -o mappings/sites/iraq.yaml
    """
    from pseamigrate.mapping.commands import scaffold_site

    site_settings = settings(ctx).site(site)
    path, text = scaffold_site(site_settings, output, canonical_model(ctx, model), force, dry_run)
    if dry_run:
        console.print_raw(text)
    else:
        console.info(f"wrote {path}: {text.count('TODO')} TODO(s) to resolve")


@mappings_app.command("check")
def mappings_check(
    ctx: typer.Context,
    sites: Annotated[list[str] | None, typer.Argument(help="Sites (default: all).")] = None,
    model: ModelOption = None,
    json_out: JsonFlag = False,
) -> None:
    """Check each site's mapping against the live site: every field mapped or ignored, types fit.

    Example: pseamigrate mappings check iraq drc
    """
    from pseamigrate.mapping.commands import check_sites

    _show(check_sites(settings(ctx), sites or [], canonical_model(ctx, model)), json_out)


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


def _show(results: Sequence[SiteCheck], json_out: bool) -> None:
    """Render mapping checks; exit 1 when any has a problem."""
    mappings_view.show_mapping_checks(results, json_out)
    if any(result.problems for result in results):
        raise typer.Exit(EXIT_FAILED)
