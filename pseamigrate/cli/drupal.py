"""`pseamigrate inspect|diff`: read-only views of the legacy Drupal sites (#4)."""

from __future__ import annotations

from typing import Annotated

import typer

from pseamigrate import console
from pseamigrate.cli import app, settings
from pseamigrate.cli.options import JsonFlag, SiteArgument
from pseamigrate.console import drupal as drupal_view


@app.command()
def inspect(ctx: typer.Context, site: SiteArgument, json_out: JsonFlag = False) -> None:
    """Describe a legacy site's content model with counts (read-only, no content shown).

    Example: pseamigrate inspect iraq --json
    """
    from pseamigrate.drupal.service import inspect_site

    data = inspect_site(settings(ctx), site, say=None if json_out else console.info)
    drupal_view.show_inspect(data, json_out=json_out)


@app.command()
def diff(
    ctx: typer.Context,
    sites: Annotated[list[str], typer.Argument(help="Two or more site names to compare.")],
    json_out: JsonFlag = False,
) -> None:
    """Show the drift between sites: bundles, fields, types, cardinality, list values.

    Example: pseamigrate diff demo iraq drc syria --json
    """
    from pseamigrate.drupal.service import diff_sites

    data = diff_sites(settings(ctx), sites, say=None if json_out else console.info)
    drupal_view.show_diff(data, json_out=json_out)
