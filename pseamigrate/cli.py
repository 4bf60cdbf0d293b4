"""The `pseamigrate` command line: parse, make one library call, render.

No SQL and no business rules live here. Typed errors from the library are turned into a
message on stderr and an exit code in exactly one place, `_Group.invoke`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

# typer >= 0.29 vendors click; its usage error is only reachable here.
from typer._click.exceptions import UsageError
from typer.core import TyperGroup

from pseamigrate import __version__, console
from pseamigrate.errors import EXIT_FAILED, EXIT_USAGE, PseamigrateError


class _Group(TyperGroup):
    """Turns `PseamigrateError` into `Error: …` on stderr and its exit code (C2 in STYLE.md)."""

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except UsageError as exc:
            _usage_error(exc)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            _usage_error(exc)
        except PseamigrateError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            console.error(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            console.error("interrupted")
            raise typer.Exit(130) from None


def _usage_error(exc: UsageError) -> None:
    """Print a usage error on one line (click prints four) and exit 2."""
    command = exc.ctx.command_path if exc.ctx else "pseamigrate"
    console.error(f"{exc.format_message()} (see '{command} --help')")
    raise typer.Exit(EXIT_USAGE)


app = typer.Typer(
    cls=_Group,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals would print passwords and rows
    help="Move legacy Drupal PSEA reporting sites into one encrypted, multi-tenant database.",
)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Project file (default: $PSEAMIGRATE_CONFIG, then ./pseamigrate.yaml).",
        dir_okay=False,
    ),
]


def _version(value: bool) -> None:
    if value:
        console.out.print(f"pseamigrate {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    config: ConfigOption = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show full tracebacks instead of one-line errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    ctx.obj = {"debug": debug, "config": config}


def _settings(ctx: typer.Context) -> Any:
    from pseamigrate.config import load_settings

    return load_settings(ctx.obj["config"])


@app.command()
def sites(ctx: typer.Context) -> None:
    """List the legacy sites and the target named in the project file (no secrets shown).

    Example: pseamigrate --config pseamigrate.yaml sites
    """
    settings = _settings(ctx)
    rows = [
        (s.name, s.tenant, s.connection.describe(), s.table_prefix or "-", s.mapping or "-")
        for s in settings.sites.values()
    ]
    console.print_table(
        f"Sites in {settings.path}", ["site", "tenant", "credentials", "prefix", "mapping"], rows
    )
    if settings.target is not None:
        console.out.print(f"target: credentials from {settings.target.describe()}")


@app.command()
def ping(
    ctx: typer.Context,
    names: Annotated[
        list[str] | None,
        typer.Argument(help="Sites to check (default: every site and the target)."),
    ] = None,
) -> None:
    """Check that each legacy site (and the target) can be reached with its credentials.

    Example: pseamigrate ping iraq drc
    """
    from pseamigrate.connections import ping_all

    for result in ping_all(_settings(ctx), names or []):
        console.out.print(f"[green]ok[/green]  {result.name}: {result.where} ({result.version})")


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
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Build the four sample CRP sites on a throwaway server and show what each holds.

    Counts only (never content). Example: pseamigrate demo --layout d7 --layout d8
    """
    from pseamigrate.demo import run_demo
    from pseamigrate.sample import LAYOUTS

    layouts = tuple(layout or ["d7"])
    for name in layouts:
        if name not in LAYOUTS:
            raise UsageError(f"unknown layout {name!r} (choose from {', '.join(LAYOUTS)})")
    built = list(run_demo(flavor or ["mariadb"], workdir, console.info, layouts, scale))
    if as_json:
        console.print_json([_demo_json(b) for b in built])
        return
    for key in dict.fromkeys((b.flavor, b.version, b.layout) for b in built):
        rows = [_demo_row(b) for b in built if (b.flavor, b.version, b.layout) == key]
        console.print_table(
            f"Sample sites on {key[0]} {key[1]}, layout {key[2]}",
            ["site", "drupal", "complaints", "referrals", "sessions", "revisions", "users"]
            + ["blocked", "terms", "files", "missing", "field rows"],
            rows,
        )


def _demo_row(built: Any) -> list[Any]:
    """Turn one built site's report into a table row of counts."""
    expected = built.report.expected
    bundles = expected["bundles"]
    users = expected["users"]
    return [
        built.report.site,
        expected["drupal_version"],
        bundles["complaint"]["count"],
        bundles["referral"]["count"],
        bundles["awareness_session"]["count"],
        sum(b["revisions"] for b in bundles.values()),
        users["total"],
        users["blocked"],
        sum(v["terms"] for v in expected["vocabularies"].values()),
        expected["files"]["total"],
        len(built.report.missing_files),
        built.report.field_values,
    ]


def _demo_json(built: Any) -> dict[str, Any]:
    """Describe one built site for --json (counts and drift, no content)."""
    report = built.report
    return {
        "flavor": built.flavor,
        "layout": built.layout,
        "database": built.database,
        "site": report.site,
        "expected": report.expected,
        "drift": report.drift,
        "missing_files": len(report.missing_files),
    }


# --- Drupal sites: inspect and diff (#4) -------------------------------------------------------

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON (shape: docs/inspect.md).")]


@app.command()
def inspect(
    ctx: typer.Context,
    site: Annotated[str, typer.Argument(help="A site name from the project file.")],
    json_out: JsonFlag = False,
) -> None:
    """Describe a legacy site's content model with counts (read-only, no content shown).

    Example: pseamigrate inspect iraq --json
    """
    from pseamigrate.drupal.service import inspect_site

    data = inspect_site(_settings(ctx), site, say=None if json_out else console.info)
    console.show_inspect(data, json_out=json_out)


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

    data = diff_sites(_settings(ctx), sites, say=None if json_out else console.info)
    console.show_diff(data, json_out=json_out)


def main() -> None:
    """Run the CLI (the `pseamigrate` entry point)."""
    try:
        app()
    except PseamigrateError as exc:  # raised outside a command, e.g. in a callback
        console.error(str(exc))
        raise SystemExit(EXIT_FAILED) from None
