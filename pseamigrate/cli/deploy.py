"""`pseamigrate deploy RECIPE --host …`: run a recipe over SSH or locally (#11)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pseamigrate import console
from pseamigrate.cli import app
from pseamigrate.cli.options import DryRunFlag, JsonFlag, SiteArgument
from pseamigrate.console import deploy as deploy_view

IdentityOption = Annotated[
    Path | None, typer.Option("--identity", "-i", help="SSH private key.", dir_okay=False)
]
KnownHostsOption = Annotated[
    Path | None,
    typer.Option(help="known_hosts file (default ~/.ssh/known_hosts).", dir_okay=False),
]
RecipeArgument = Annotated[str | None, typer.Argument(help="Recipe name (see --list).")]
HostOption = Annotated[
    str, typer.Option("--host", help="user@host[:port], or local for this machine.")
]
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", metavar="KEY=VALUE", help="A recipe parameter (repeatable)."),
]
ListFlag = Annotated[bool, typer.Option("--list", help="List the recipes and their parameters.")]


@app.command("deploy")
def deploy(
    recipe: RecipeArgument = None,
    host: HostOption = "local",
    sets: SetOption = None,
    identity: IdentityOption = None,
    known_hosts: KnownHostsOption = None,
    list_recipes: ListFlag = False,
    dry_run: DryRunFlag = False,
    json_out: JsonFlag = False,
) -> None:
    """Run a deploy recipe step by step; stop at the first failing step, naming it.

    Example: pseamigrate deploy backup --host root@db1 --set basedir=/srv/psea-db --dry-run
    """
    from pseamigrate.country.commands import parse_sets
    from pseamigrate.deploy.commands import deploy as run_deploy
    from pseamigrate.deploy.recipes import list_recipes as recipes

    if list_recipes or recipe is None:
        deploy_view.show_recipes(recipes(), json_out)
        return
    result = run_deploy(
        recipe,
        host,
        parse_sets(sets or []),
        dry_run=dry_run,
        identity=identity,
        known_hosts=known_hosts,
        say=console.info,
    )
    deploy_view.show_result(result, json_out)


@app.command("fetch-files")
def fetch_files(
    ctx: typer.Context,
    site: SiteArgument,
    dest: Annotated[Path, typer.Option(help="New local folder for the copy.", file_okay=False)],
    identity: IdentityOption = None,
    known_hosts: KnownHostsOption = None,
    encrypted_volume: Annotated[
        list[Path] | None,
        typer.Option(
            "--encrypted-volume",
            help="A directory on an encrypted volume: --dest must lie under one (or on tmpfs "
            "or dm-crypt; repeatable; also $PSEAMIGRATE_ENCRYPTED_VOLUMES).",
        ),
    ] = None,
) -> None:
    """Copy a site's files from its `files_dir: ssh://user@host/path` over SFTP (sha256 each).

    The copy is plaintext, so --dest must be on an encrypted volume or tmpfs (else exit 4).

    Example: pseamigrate fetch-files iraq --dest /srv/crypt/iraq --encrypted-volume /srv/crypt
    """
    from pseamigrate.cli import settings
    from pseamigrate.deploy.fetch import fetch_files as fetch
    from pseamigrate.errors import UsageProblem

    files_dir = settings(ctx).site(site).files_dir
    if not files_dir or not files_dir.startswith("ssh://"):
        raise UsageProblem(f"site {site}: files_dir is not an ssh:// location")
    volumes = [str(volume) for volume in encrypted_volume or []]
    deploy_view.show_fetch(fetch(files_dir, dest, identity, known_hosts, volumes))
