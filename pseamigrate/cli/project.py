"""`pseamigrate sites|ping|demo`: the project file, its databases, and the sample-site demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from typer._click.exceptions import UsageError

from pseamigrate import console
from pseamigrate.cli import app, settings
from pseamigrate.cli.options import JsonFlag
from pseamigrate.console import project as project_view


@app.command()
def sites(ctx: typer.Context) -> None:
    """List the legacy sites, the target and the test target of the project file (no secrets).

    Example: pseamigrate --config pseamigrate.yaml sites
    """
    project = settings(ctx)
    project.require_file()  # "Sites in None" would say nothing; naming the file is a usage error
    project_view.show_sites(project)


@app.command()
def ping(
    ctx: typer.Context,
    names: Annotated[
        list[str] | None,
        typer.Argument(
            help="Sites to check, 'target' or 'test_target' (default: all the project names)."
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Check every legacy site, the target and the test target: reachable with its credentials,
    each site's files_dir readable.

    Reports each one, ok or the reason, then exits 1 if any failed.
    Example: pseamigrate ping iraq drc
    """
    from pseamigrate.connections import ping_all, require_ok
    from pseamigrate.db import read_driver

    results = ping_all(settings(ctx), names or [])
    # ok/FAILED styled with Text, no markup; and which driver reads the sites
    project_view.show_ping(results, read_driver(), json_out=as_json)
    require_ok(results)


@app.command()
def demo(
    flavor: Annotated[
        list[str] | None,
        typer.Option(help="Server to start: mariadb, mysql (repeatable; default mariadb)."),
    ] = None,
    layout: Annotated[
        list[str] | None,
        typer.Option(help="Drupal layout to build: d7, d8 (repeatable; default d7)."),
    ] = None,
    scale: Annotated[
        float, typer.Option(help="Size of each site (1.0: a few hundred nodes).")
    ] = 1.0,
    workdir: Annotated[
        Path | None,
        typer.Option(help="Where the throwaway servers live (default: a temporary directory)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Show the toolkit working end to end on throwaway servers, in seven stages.

    1 sources: build the four sample CRP sites; 2 read back: the reader agrees with the
    generator; 3 mappings: each site against its shipped mapping; 4 target: encrypt an empty
    target, create the schema, check encryption; 5 migrate the four sites; 6 run again, which
    must change nothing; 7 verify every site and write the HTML QA report. Counts and verdicts
    only (never content); exits 3 if any verdict fails.

    Example: pseamigrate demo --layout d8
    """
    from pseamigrate.demo import DemoFailed, run_demo
    from pseamigrate.sample import LAYOUTS

    layouts = tuple(layout or ["d7"])
    for name in layouts:
        if name not in LAYOUTS:
            raise UsageError(f"unknown layout {name!r} (choose from {', '.join(LAYOUTS)})")
    try:
        result = run_demo(flavor or ["mariadb"], workdir, console.info, layouts, scale)
    except DemoFailed as failed:
        project_view.show_demo(failed.result, json_out=as_json)  # everything first, then the error
        raise
    project_view.show_demo(result, json_out=as_json)
