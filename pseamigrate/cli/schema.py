"""`pseamigrate schema create|upgrade|show|docs`: the consolidated target schema (#5)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from pseamigrate import console
from pseamigrate.cli import app, canonical_model, sub_app, target_url
from pseamigrate.cli.options import DryRunFlag, JsonFlag, ModelOption, SqlFlag, UrlEnvOption
from pseamigrate.console import schema as schema_view

schema_app = sub_app("The consolidated target schema.")
app.add_typer(schema_app, name="schema")


def _change_command(action: str) -> Callable[..., None]:
    """Return the `schema create|upgrade` command: the two differ only in their help."""

    def change(
        ctx: typer.Context,
        url_env: UrlEnvOption = None,
        model: ModelOption = None,
        dry_run: DryRunFlag = False,
        json_out: JsonFlag = False,
        sql: SqlFlag = False,
    ) -> None:
        from pseamigrate.target.commands import change_schema

        canonical = canonical_model(ctx, model)
        result = change_schema(target_url(ctx, url_env), action, canonical, dry_run)
        schema_view.show_schema_result(result, action, json_out, sql)

    return change


schema_app.command(
    "create",
    help="""Create the target tables in an empty database (refuses one holding anything else).

    Example: pseamigrate schema create --url-env PSEA_TARGET_URL --dry-run
    """,
)(_change_command("create"))
schema_app.command(
    "upgrade",
    help="""Add the model's missing tables, columns and indexes; never drop (exit 3 if it would).

    Example: pseamigrate schema upgrade --dry-run
    """,
)(_change_command("upgrade"))


@schema_app.command("show")
def schema_show(
    ctx: typer.Context,
    url_env: UrlEnvOption = None,
    model: ModelOption = None,
    sql: Annotated[bool, typer.Option("--sql", help="Print the DDL the model creates.")] = False,
    from_model: Annotated[
        bool, typer.Option("--from-model", help="Show the model's schema; connect to nothing.")
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Print the logical schema of the target (types as MySQL and MariaDB both read them).

    Example: pseamigrate schema show --url-env PSEA_TARGET_URL --json
    """
    from pseamigrate.target import logical
    from pseamigrate.target.commands import read_schema, schema_ddl

    canonical = canonical_model(ctx, model)
    if sql:
        console.print_raw(schema_ddl(canonical))
        return
    schema = read_schema(None if from_model else target_url(ctx, url_env), canonical)
    if json_out:
        console.print_json(logical.as_json(schema))
    else:
        console.print_lines(logical.render(schema))


@schema_app.command("docs")
def schema_docs(
    ctx: typer.Context,
    model: ModelOption = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Where to write (default: docs/schema.md under the current directory).",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Write the schema documentation (Markdown) from the canonical model.

    Example: pseamigrate schema docs -o docs/schema.md
    """
    from pseamigrate.target.commands import write_schema_docs

    console.info(f"wrote {write_schema_docs(canonical_model(ctx, model), output)}")
