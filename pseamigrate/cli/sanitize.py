"""`pseamigrate sanitize`: the sanitized copy for the test instance (#12)."""

from __future__ import annotations

from typing import Annotated

import typer

from pseamigrate.cli import app, settings
from pseamigrate.cli.options import DryRunFlag, JsonFlag
from pseamigrate.console import sanitize as view
from pseamigrate.errors import VerificationMismatch


@app.command()
def sanitize(
    ctx: typer.Context,
    check: Annotated[
        bool,
        typer.Option("--check", help="Compare the test target with the target; copy nothing."),
    ] = False,
    dry_run: DryRunFlag = False,
    json_out: JsonFlag = False,
) -> None:
    """Copy the target into the project file's test_target with no survivor's data in it.

    Names and e-mails become keyed pseudonyms, free text becomes placeholder text of the same
    length and script, dates shift per tenant, files become placeholders, password hashes stop
    working. The key comes from $PSEAMIGRATE_PSEUDONYM_KEY (or a prompt), never from argv.
    Exit 4 without a key, or when the test target is the target or is not encrypted; with
    --check, exit 3 when counts, ids or references differ or a value equals production's.

    Example: PSEAMIGRATE_PSEUDONYM_KEY=… pseamigrate sanitize
    """
    from pseamigrate.sanitize.check import check_sanitized
    from pseamigrate.sanitize.run import pseudonym_key
    from pseamigrate.sanitize.run import sanitize as copy

    project = settings(ctx)
    if check:
        result = check_sanitized(project)
        view.show_check(result, json_out=json_out)
        if not result.ok:
            raise VerificationMismatch(f"{len(result.problems)} problems in the test target")
        return
    view.show_report(copy(project, pseudonym_key(), dry_run=dry_run), json_out=json_out)
