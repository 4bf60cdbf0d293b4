"""The `pseamigrate` command line: parse, make one library call, render.

No SQL and no business rules live here. Typed errors from the library are turned into a
message on stderr and an exit code in exactly one place, `_Group.invoke`. Each command group
lives in its own module (`project`, `drupal`, `encryption`, `schema`, `mappings`) and registers
itself on `app` when imported at the end of this file; the shared options are in `options`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

# typer >= 0.29 vendors click; its usage error is only reachable here.
from typer._click.exceptions import UsageError
from typer.core import TyperGroup

from pseamigrate import __version__, console
from pseamigrate.cli.options import ConfigOption
from pseamigrate.errors import EXIT_FAILED, EXIT_USAGE, PseamigrateError

NAGIOS_UNKNOWN = 3  # Nagios: the check itself could not run (usage error, no target, …)

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from pseamigrate.config import Settings
    from pseamigrate.target.model import CanonicalModel


class _Group(TyperGroup):
    """Turn `PseamigrateError` into `Error: …` on stderr and its exit code.

    See docs/architecture.md, "Errors and exit codes"."""

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
                exc.debug = True  # type: ignore[attr-defined]  # read by main(), see there
                raise
            console.error(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            console.error(_interrupted(ctx.invoked_subcommand))
            raise typer.Exit(130) from None
        except Exception as exc:  # a driver error no library call turned into a typed one
            _database_error(ctx, exc)


def _interrupted(command: str | None) -> str:
    """Say what a Ctrl-C left behind: a migration keeps every batch it committed."""
    if command == "migrate":
        return (
            "interrupted: the batches committed so far stay in the target (the ledger knows "
            "them); run the same command again to resume"
        )
    return "interrupted"


def _database_error(ctx: Any, exc: Exception) -> None:
    """Report a stray driver error by its code only: its text may quote a row's values and its
    statement; with --debug keep the traceback but not that text. Re-raise anything else."""
    exc_module = sys.modules.get("sqlalchemy.exc")  # loaded if the error can be one of its
    if exc_module is None or not isinstance(exc, exc_module.DBAPIError):
        raise exc
    from pseamigrate.db import describe_db_error

    failed = PseamigrateError(f"database error: {describe_db_error(exc)}")
    if ctx.obj and ctx.obj.get("debug"):
        failed.debug = True  # type: ignore[attr-defined]
        raise failed.with_traceback(exc.__traceback__) from None
    console.error(str(failed))
    raise typer.Exit(failed.exit_code) from None


def _usage_error(exc: UsageError) -> None:
    """Print a usage error on one line (click prints four) and exit 2.

    `health` is read by Nagios, where 2 means CRITICAL: its usage errors are UNKNOWN (3), said
    on stdout as its other verdicts are (plugin guidelines)."""
    command = exc.ctx.command_path if exc.ctx else "pseamigrate"
    message = f"{exc.format_message()} (see '{command} --help')"
    if exc.ctx is not None and exc.ctx.info_name == "health":
        console.out.print(f"PSEAMIGRATE UNKNOWN - {message}", soft_wrap=True)
        raise typer.Exit(NAGIOS_UNKNOWN)
    console.error(message)
    raise typer.Exit(EXIT_USAGE)


def sub_app(summary: str) -> typer.Typer:
    """Return a command group (`pseamigrate <group> …`) that shares the root's error handler."""
    return typer.Typer(cls=_Group, no_args_is_help=True, help=summary)


app = typer.Typer(
    cls=_Group,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals would print passwords and rows
    help="Move legacy Drupal PSEA reporting sites into one encrypted, multi-tenant database.",
)


def _version(value: bool) -> None:
    if value:
        from pseamigrate.console.project import reader_line
        from pseamigrate.db import read_driver

        console.print_lines([f"pseamigrate {__version__}", reader_line(read_driver())])
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
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="Print the version and the driver that reads the sites.",
        ),
    ] = False,
) -> None:
    ctx.obj = {"debug": debug, "config": config}


def settings(ctx: typer.Context) -> Settings:
    """Load the project file named by the root's --config (or the default one)."""
    from pseamigrate.config import load_settings

    return load_settings(ctx.obj["config"])


def target_url(ctx: typer.Context, url_env: str | None) -> URL:
    """Return the target URL from `--url-env VAR`; only without it is the project file read."""
    from pseamigrate.target.commands import target_url as resolve

    return resolve(None if url_env else settings(ctx), url_env)


def canonical_model(ctx: typer.Context, model: Path | None) -> CanonicalModel:
    """Load `--model`, else the project file's `model:`, else the shipped model.

    The project file is read only when one exists, so `--url-env` commands still need none."""
    from pseamigrate.config import find_config
    from pseamigrate.target.model import load_model

    if model is None:
        found = find_config(ctx.obj["config"])
        if found is not None and found.exists():
            model = settings(ctx).model
    return load_model(model)


def main() -> None:
    """Run the CLI (the `pseamigrate` entry point).

    With `--debug` the error propagates, and the traceback is printed by the hook typer installs
    (local variables off, see `app`); the messages it shows carry no secrets (STYLE.md C3)."""
    try:
        app()
    except PseamigrateError as exc:  # raised outside a command, e.g. in a callback
        if getattr(exc, "debug", False):
            raise
        console.error(str(exc))
        raise SystemExit(EXIT_FAILED) from None


# The command modules import `app`, `sub_app`, `settings` and `target_url` from here, so they come
# last; their order is the order of `pseamigrate --help`.
# isort: off
from pseamigrate.cli import project  # noqa: E402, F401
from pseamigrate.cli import drupal  # noqa: E402, F401
from pseamigrate.cli import encryption  # noqa: E402, F401
from pseamigrate.cli import schema  # noqa: E402, F401
from pseamigrate.cli import mappings  # noqa: E402, F401
from pseamigrate.cli import migrate  # noqa: E402, F401
from pseamigrate.cli import verify  # noqa: E402, F401
from pseamigrate.cli import sanitize  # noqa: E402, F401
from pseamigrate.cli import files  # noqa: E402, F401
from pseamigrate.cli import country  # noqa: E402, F401
from pseamigrate.cli import health  # noqa: E402, F401
from pseamigrate.cli import deploy  # noqa: E402, F401
from pseamigrate.cli import server  # noqa: E402, F401
from pseamigrate.cli import target  # noqa: E402, F401
from pseamigrate.cli import assess  # noqa: E402, F401
from pseamigrate.cli import indicators  # noqa: E402, F401

# isort: on
