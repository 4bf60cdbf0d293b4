"""`pseamigrate country list-templates|new|plan|apply|list|grant`: new countries (#11)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pseamigrate.cli import app, sub_app, target_url
from pseamigrate.cli.options import DryRunFlag, JsonFlag, UrlEnvOption
from pseamigrate.console import country as country_view

country_app = sub_app("New countries: render from a template, plan, apply, least privilege.")
app.add_typer(country_app, name="country")

CodeArgument = Annotated[str, typer.Argument(help="The tenant code (iq, cd, sy).")]
RootOption = Annotated[
    Path | None,
    typer.Option(
        "--root",
        help="Folder holding countries/ (default: beside the project file, else the current one).",
        file_okay=False,
    ),
]


def _root(ctx: typer.Context, root: Path | None) -> Path:
    from pseamigrate.config import find_config

    if root is not None:
        return root
    project = find_config(ctx.obj["config"])
    return project.resolve().parent if project is not None else Path.cwd()


@country_app.command("list-templates")
def list_templates(json_out: JsonFlag = False) -> None:
    """List the country templates shipped with pseamigrate, with their inputs.

    Example: pseamigrate country list-templates --json
    """
    from pseamigrate.country.template import list_templates as templates

    country_view.show_templates(templates(), json_out)


@country_app.command("new")
def country_new(
    ctx: typer.Context,
    code: CodeArgument,
    template: Annotated[str, typer.Option("--template", "-t", help="Template name.")] = "crp",
    sets: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="KEY=VALUE", help="A template input (repeatable)."),
    ] = None,
    locations: Annotated[
        Path | None,
        typer.Option(help="Locations CSV: code,name,parent_code.", dir_okay=False),
    ] = None,
    root: RootOption = None,
) -> None:
    """Render a country's files into countries/CODE/ (refuses an existing folder).

    Example: pseamigrate country new iq --template crp --set name=Iraq --locations iq.csv
    """
    from pseamigrate.country.commands import new_country, parse_sets

    files = new_country(_root(ctx, root), code, template, parse_sets(sets or []), locations)
    country_view.show_new(code, files)


@country_app.command("plan")
def country_plan(
    ctx: typer.Context,
    code: CodeArgument,
    url_env: UrlEnvOption = None,
    root: RootOption = None,
    json_out: JsonFlag = False,
) -> None:
    """Show what `apply` would change in the target: exit 0 when nothing, 3 when something.

    Example: pseamigrate country plan iq --url-env PSEA_TARGET_URL
    """
    from pseamigrate.country.commands import plan

    result = plan(target_url(ctx, url_env), _root(ctx, root), code)
    country_view.show_plan(result, json_out)
    if result.changes:
        raise typer.Exit(3)


@country_app.command("apply")
def country_apply(
    ctx: typer.Context,
    code: CodeArgument,
    url_env: UrlEnvOption = None,
    root: RootOption = None,
    dry_run: DryRunFlag = False,
    json_out: JsonFlag = False,
    allow_plaintext_target: Annotated[
        bool,
        typer.Option(help="Write even though the target is not encrypted (test targets only)."),
    ] = False,
) -> None:
    """Create or correct the tenant, its roles, vocabularies and administrator (idempotent).

    Example: pseamigrate country apply iq --url-env PSEA_TARGET_URL
    """
    from pseamigrate.country.commands import apply

    url = target_url(ctx, url_env)
    result = apply(url, _root(ctx, root), code, dry_run, allow_plaintext_target)
    country_view.show_plan(result, json_out)


@country_app.command("list")
def country_list(
    ctx: typer.Context, url_env: UrlEnvOption = None, json_out: JsonFlag = False
) -> None:
    """List the target's tenants with their template version and row counts.

    Example: pseamigrate country list --url-env PSEA_TARGET_URL --json
    """
    from pseamigrate.country.commands import list_tenants

    country_view.show_tenants(list_tenants(target_url(ctx, url_env)), json_out)


@country_app.command("grant")
def country_grant(
    ctx: typer.Context,
    code: CodeArgument,
    option_file: Annotated[
        Path,
        typer.Option(
            "--option-file", help="Where to write the account's credentials (0600).", dir_okay=False
        ),
    ],
    client_host: Annotated[
        str, typer.Option(help="Host the application connects from (MySQL account host).")
    ] = "%",
    url_env: UrlEnvOption = None,
    dry_run: DryRunFlag = False,
    sql: Annotated[
        bool, typer.Option("--sql", help="Print the statements (the password as a placeholder).")
    ] = False,
    rotate_password: Annotated[
        bool,
        typer.Option(
            "--rotate-password",
            help="Set a new password, rewriting the option file (else the file's is kept).",
        ),
    ] = False,
) -> None:
    """Create the tenant's runtime account, or renew its views and grants: its own rows only.

    A re-run keeps the password of the existing option file, so the application's login keeps
    working; --rotate-password sets a new one and rewrites the file in the same step.

    Example: pseamigrate country grant iq --option-file /etc/psea/iq.cnf --client-host 10.0.0.5
    """
    from pseamigrate.country.grant import grant_tenant

    url = target_url(ctx, url_env)
    plan = grant_tenant(url, code, option_file, client_host, dry_run or sql, rotate_password)
    country_view.show_grant(plan, option_file, applied=not (dry_run or sql), sql=sql)
