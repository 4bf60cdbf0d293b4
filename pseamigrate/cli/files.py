"""`pseamigrate files export|cat|encrypt-store|rotate-key`: the sealed file store (#30 S4)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pseamigrate.cli import app, settings, sub_app
from pseamigrate.cli.options import DryRunFlag, JsonFlag
from pseamigrate.console import files as files_view

if TYPE_CHECKING:
    from pseamigrate.encryption.filestore import StoreSpec

files_app = sub_app("The file store: every file sealed; plaintext only through export and cat.")
app.add_typer(files_app, name="files")

TestTargetFlag = Annotated[
    bool, typer.Option("--test-target", help="Act on the test target's store instead.")
]


@files_app.command("export")
def files_export(
    ctx: typer.Context,
    places: Annotated[
        list[str],
        typer.Argument(metavar="[SITE]... DEST", help="Sites, then a new folder outside stores."),
    ],
    all_sites: Annotated[bool, typer.Option("--all", help="Every site's tenant.")] = False,
    test_target: TestTargetFlag = False,
    json_out: JsonFlag = False,
) -> None:
    """Write the plaintext of stored files into DEST as TENANT/files/… (each authenticated).

    Example: pseamigrate files export iraq /mnt/new-platform/files   (or --all DEST)
    """
    from pseamigrate.errors import UsageProblem
    from pseamigrate.migrate.attachments import export_files

    sites, dest = places[:-1], Path(places[-1])
    if bool(sites) == all_sites:
        raise UsageProblem("name the sites to export, or pass --all (not both)")
    report = export_files(settings(ctx), sites, dest, test_target)
    files_view.show_export(report, json_out)


@files_app.command("cat")
def files_cat(
    ctx: typer.Context,
    file_id: Annotated[int | None, typer.Argument(help="The file's id in the target.")] = None,
    site: Annotated[
        str | None, typer.Option(help="With --uri: the site the file came from.")
    ] = None,
    uri: Annotated[str, typer.Option(help="With --site: the file's Drupal URI.")] = "",
) -> None:
    """Write one stored file's plaintext to stdout (authenticated chunk by chunk).

    Example: pseamigrate files cat 1234 > intake-form.pdf
    """
    from pseamigrate.migrate.attachments import cat_file

    files_view.write_bytes(cat_file(settings(ctx), file_id, site, uri))


@files_app.command("encrypt-store")
def files_encrypt_store(
    ctx: typer.Context,
    test_target: TestTargetFlag = False,
    dry_run: DryRunFlag = False,
    json_out: JsonFlag = False,
) -> None:
    """Seal every plaintext file already in the store, in place (temp file, fsync, rename).

    Example: pseamigrate files encrypt-store --dry-run
    """
    from pseamigrate.encryption.filestore import encrypt_store

    change = encrypt_store(_spec(ctx, test_target), dry_run)
    files_view.show_store_change(change, "sealed", json_out)


@files_app.command("rotate-key")
def files_rotate_key(
    ctx: typer.Context,
    test_target: TestTargetFlag = False,
    dry_run: DryRunFlag = False,
    json_out: JsonFlag = False,
) -> None:
    """Add a master key to the files key and rewrap every file's data key under it.

    Example: pseamigrate files rotate-key   # then back the keys up: encryption backup-key
    """
    from pseamigrate.encryption.filestore import rotate_files_key
    from pseamigrate.errors import VerificationMismatch

    change = rotate_files_key(_spec(ctx, test_target), dry_run)
    files_view.show_store_change(change, "rewrapped", json_out)
    if change.problems:
        raise VerificationMismatch(f"{change.problems} files did not open with the files key")


def _spec(ctx: typer.Context, test_target: bool) -> StoreSpec:
    from pseamigrate.encryption.filestore import store_spec
    from pseamigrate.errors import UsageProblem

    spec = store_spec(settings(ctx), test_target)
    if spec is None:
        which = "test_target" if test_target else "target"
        raise UsageProblem(f"the project file names no {which}.files_dir")
    return spec
