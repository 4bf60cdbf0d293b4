"""`pseamigrate assess`: a pre-migration assessment of the legacy sites (#14)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pseamigrate import console
from pseamigrate.cli import app, settings
from pseamigrate.cli.options import JsonFlag, ModelOption
from pseamigrate.console import assess as assess_view


@app.command()
def assess(
    ctx: typer.Context,
    sites: Annotated[list[str] | None, typer.Argument(help="Sites (default: all).")] = None,
    model: ModelOption = None,
    json_out: JsonFlag = False,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html", help="Also write a self-contained HTML report here.", dir_okay=False
        ),
    ] = None,
) -> None:
    """Assess what a migration of each site will meet: blockers, warnings, facts (read-only).

    Per site: references to deleted nodes, dates that do not parse, texts over 64 KB / 16 MB,
    4-byte characters, legacy charsets, languages, roles, modules, files per scheme and missing
    on disk, terms with several parents, comments, user and term fields; across sites, the
    people with accounts on several. Counts and ids only, never values. Exit 3 on a blocker.
    Example: pseamigrate assess iraq drc --html assess.html
    """
    from pseamigrate.assess import assess_sites
    from pseamigrate.assess.html import write_html
    from pseamigrate.assess.run import require_no_blockers
    from pseamigrate.target.model import load_model

    say = None if json_out else console.info
    result = assess_sites(settings(ctx), sites or [], load_model(model), say)
    assess_view.show_assessment(result, json_out=json_out)
    if html is not None:
        console.info(f"wrote {write_html(result, html)}")
    require_no_blockers(result)
