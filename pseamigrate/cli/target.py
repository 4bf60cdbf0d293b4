"""`pseamigrate target init`: the target database itself, before any schema (#14)."""

from __future__ import annotations

import typer

from pseamigrate import console
from pseamigrate.cli import app, sub_app, target_url
from pseamigrate.cli.options import DryRunFlag, JsonFlag, UrlEnvOption
from pseamigrate.console import target as target_view

target_app = sub_app("The target database itself.")
app.add_typer(target_app, name="target")


@target_app.command("init")
def target_init(
    ctx: typer.Context,
    url_env: UrlEnvOption = None,
    dry_run: DryRunFlag = False,
    json_out: JsonFlag = False,
) -> None:
    """Create the target database (utf8mb4, utf8mb4_unicode_ci) if it is missing.

    The target URL names the database; an existing one is left as it is (exit 3 if it is not
    utf8mb4). --dry-run prints the CREATE DATABASE statement it would run.
    Example: pseamigrate target init --url-env PSEA_TARGET_URL --dry-run
    """
    from pseamigrate.target.init import init_target

    result = init_target(target_url(ctx, url_env), dry_run, console.info)
    target_view.show_init(result, dry_run=dry_run, json_out=json_out)
