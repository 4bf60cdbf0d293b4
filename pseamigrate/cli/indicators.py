"""`pseamigrate indicators`: the CRP indicators over the target, suppressed for sharing (#29)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pseamigrate.cli import app, settings
from pseamigrate.cli.options import AllowPlaintextFlag, JsonFlag
from pseamigrate.console import indicators as view
from pseamigrate.console import print_json
from pseamigrate.errors import VerificationMismatch

SitesArgument = Annotated[
    list[str] | None,
    typer.Argument(help="Sites whose tenants to count (default: every site of the project)."),
]


@app.command()
def indicators(
    ctx: typer.Context,
    names: SitesArgument = None,
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            metavar="FROM..TO",
            help="Only rows dated in this range (YYYY-MM or YYYY-MM-DD ends, inclusive).",
        ),
    ] = None,
    json_out: JsonFlag = False,
    csv_dir: Annotated[
        Path | None,
        typer.Option(
            "--csv", metavar="DIR", file_okay=False, help="Write one CSV file per indicator."
        ),
    ] = None,
    threshold: Annotated[
        int,
        typer.Option("--threshold", min=2, help="Hide cells of cases or people below this."),
    ] = 5,
    no_suppression: Annotated[
        bool,
        typer.Option(
            "--no-suppression",
            help="Show small cells (one tenant only, for its own staff; recorded in the output).",
        ),
    ] = False,
    allow_plaintext: AllowPlaintextFlag = False,
    compare: Annotated[
        bool,
        typer.Option(
            "--compare",
            help="Also compute every indicator from each source site through its mapping; "
            "exit 3 naming each differing cell.",
        ),
    ] = False,
) -> None:
    """Compute the CRP indicators (counts per month and by coded dimension) on the target.

    Cells counting cases or people below the threshold are suppressed (x), with the cells that
    would reveal them. Exit 4 if the target is not encrypted; with --compare, 3 when a cell
    differs between the sources and the target.

    Example: pseamigrate indicators iraq syria --period 2024-01..2024-12 --csv out/
    """
    from pseamigrate.indicators.compute import IndicatorOptions, compute_indicators, parse_period
    from pseamigrate.indicators.output import write_csv

    options = IndicatorOptions(
        period=None if period is None else parse_period(period),
        threshold=threshold,
        suppression=not no_suppression,
        allow_plaintext=allow_plaintext,
    )
    report = compute_indicators(settings(ctx), names or [], options)
    differences = None
    if compare:
        from pseamigrate.indicators.compare import compare_with_sources

        differences = compare_with_sources(settings(ctx), names or [], report)
    if json_out:
        print_json(view.as_json(report, differences))
    else:
        view.show_indicators(report)
        if differences is not None:
            view.show_differences(differences)
    if csv_dir is not None:
        view.written(write_csv(csv_dir, report))
    if differences:
        raise VerificationMismatch(f"{len(differences)} indicator cells differ from the sources")
