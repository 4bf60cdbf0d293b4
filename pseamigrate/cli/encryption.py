"""`pseamigrate encryption status|setup|enable|rotate|backup-key|purge-residual`: encryption at
rest (#6, #13)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pseamigrate import console
from pseamigrate.cli import app, settings, sub_app, target_url
from pseamigrate.cli.options import BasedirOption, DryRunFlag, JsonFlag, SqlFlag, UrlEnvOption
from pseamigrate.console import encryption as encryption_view

encryption_app = sub_app("Encryption at rest: check, configure, enable, rotate and back up keys.")
app.add_typer(encryption_app, name="encryption")


EncryptedVolumeOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--encrypted-volume",
        help="A directory on an encrypted volume: logs and tmpdir there pass "
        "(repeatable; also $PSEAMIGRATE_ENCRYPTED_VOLUMES).",
    ),
]


ConfDirOption = Annotated[
    Path | None,
    typer.Option(
        help="Write a drop-in file into this conf.d/ directory instead of a my.cnf block."
    ),
]
TmpdirOption = Annotated[
    Path | None,
    typer.Option(help="tmpdir on tmpfs or an encrypted volume (default: a private /dev/shm dir)."),
]
TlsFlag = Annotated[bool, typer.Option(help="Generate a CA and server certificate; require TLS.")]
TlsHostOption = Annotated[
    list[str] | None,
    typer.Option(help="Host name or IP for the server certificate (repeatable; implies --tls)."),
]


@encryption_app.command("status")
def encryption_status(
    ctx: typer.Context,
    url_env: UrlEnvOption = None,
    json_out: JsonFlag = False,
    encrypted_volume: EncryptedVolumeOption = None,
) -> None:
    """Check that nothing reaches disk in plaintext; exit 0 when no check FAILs (else 3).

    The migration's gate refuses exactly when this command fails. Without --url-env it also
    checks the file stores of the project file's target and test target: every file sealed.

    Example: pseamigrate encryption status --url-env PSEA_TARGET_URL --json
    """
    from pseamigrate.encryption.commands import encryption_status as status
    from pseamigrate.encryption.commands import raise_if_failed
    from pseamigrate.encryption.filestore import file_stores

    volumes = [str(v) for v in encrypted_volume or []]
    stores = [] if url_env else file_stores(settings(ctx))  # the project file's stores
    report = status(target_url(ctx, url_env), volumes, stores)
    encryption_view.show_encryption_status(report, json_out=json_out)
    raise_if_failed(report)


@encryption_app.command("setup")
def encryption_setup(
    basedir: BasedirOption,
    keyring: Annotated[
        str, typer.Option(help="MySQL: component (8.0.24+) or plugin (8.0 only).")
    ] = "component",
    file_key: Annotated[
        bool, typer.Option(help="MariaDB: encrypt the key file with a file key.")
    ] = True,
    conf_dir: ConfDirOption = None,
    tmpdir: TmpdirOption = None,
    tls: TlsFlag = False,
    tls_host: TlsHostOption = None,
    dry_run: DryRunFlag = False,
) -> None:
    """Write key files and the server's encryption settings (a marked my.cnf block; backup kept).

    Only the `# BEGIN pseamigrate encryption` block (or the --conf-dir drop-in) is written;
    every other line of my.cnf stays. --dry-run prints the exact unified diff on stdout.

    Example: pseamigrate encryption setup --basedir /srv/psea-db --tls --dry-run
    """
    from pseamigrate.encryption.commands import setup_encryption

    hosts = tuple(tls_host or ()) if tls or tls_host else None
    change, plan = setup_encryption(
        basedir, keyring, file_key, dry_run, console.info, conf_dir, tmpdir or True, hosts
    )
    if dry_run:
        encryption_view.show_setup_plan(change, plan)
        return
    console.info("restart the server to load the keyring, then run `pseamigrate encryption enable`")


@encryption_app.command("enable")
def encryption_enable(
    ctx: typer.Context,
    url_env: UrlEnvOption = None,
    sql: SqlFlag = False,
    dry_run: DryRunFlag = False,
    purge_binlogs: Annotated[
        bool, typer.Option(help="Also purge binary logs written before binlog encryption.")
    ] = False,
) -> None:
    """Encrypt the system tablespace, logs and every table of the target (idempotent).

    Example: pseamigrate encryption enable --sql > encrypt.sql
    """
    from pseamigrate.encryption.commands import enable_encryption

    url = target_url(ctx, url_env)
    plan = enable_encryption(url, sql or dry_run, console.info, purge_binlogs)
    if sql or dry_run:
        encryption_view.show_statements(plan.statements, sql=sql)
    for note in plan.notes:
        console.info(f"note: {note}")
    if not (sql or dry_run):
        console.info(f"done: {len(plan.statements)} statements run")


@encryption_app.command("rotate")
def encryption_rotate(
    ctx: typer.Context,
    url_env: UrlEnvOption = None,
    basedir: Annotated[
        Path | None, typer.Option(help="MariaDB: add a new key id to this local server's key file.")
    ] = None,
    sql: SqlFlag = False,
    dry_run: DryRunFlag = False,
) -> None:
    """Rotate keys: MySQL master key; MariaDB re-keys tables to the default key id.

    Example: pseamigrate encryption rotate --basedir /srv/psea-db   # MariaDB step 1, then restart
    """
    from pseamigrate.encryption.commands import add_key_id, rotate_keys

    if basedir is not None:
        key_id = add_key_id(basedir, dry_run=sql or dry_run)
        done = "would add" if sql or dry_run else "added"
        console.info(f"{done} key id {key_id} as the default: restart, then `encryption rotate`")
        return
    plan = rotate_keys(target_url(ctx, url_env), dry_run=sql or dry_run, on_step=console.info)
    if sql or dry_run:
        encryption_view.show_statements(plan, sql=sql)
        return
    # The keyring now holds keys no backup has: losing the host now would lose the data.
    console.info(
        "keys rotated: now run `pseamigrate encryption backup-key` (health warns until then)"
    )


@encryption_app.command("backup-key")
def encryption_backup_key(
    dest: Annotated[Path, typer.Argument(help="Directory for the copy (created 0700).")],
    basedir: BasedirOption,
    verify: Annotated[
        bool, typer.Option(help="Prove the copy opens the data (server stopped).")
    ] = True,
    dry_run: DryRunFlag = False,
) -> None:
    """Copy the key files owner-only, then prove they open the data in a scratch copy.

    Example: pseamigrate encryption backup-key /root/psea-keys-2026-11 --basedir /srv/psea-db
    """
    from pseamigrate.encryption.commands import backup_key

    encryption_view.show_key_backup(backup_key(basedir, dest, verify, dry_run), dry_run=dry_run)


@encryption_app.command("purge-residual")
def encryption_purge_residual(
    basedir: BasedirOption,
    schema: Annotated[
        str, typer.Option(help="The target database whose residual-plaintext record to clear.")
    ],
    record: Annotated[
        bool,
        typer.Option("--record", help="After you restarted the server: record the purge."),
    ] = False,
    dry_run: DryRunFlag = False,
) -> None:
    """Remove plaintext copies left from before encryption on a server you run, in two parts.

    First: purge old binary logs, rebuild MySQL undo tablespaces, slow shutdown, delete MySQL's
    doublewrite files; the server is left stopped. Then you start it as usual and run the
    command again with --record, which clears the residual-plaintext WARN of `encryption status`.

    Example: pseamigrate encryption purge-residual --basedir /srv/psea-db --schema psea --dry-run
    """
    from pseamigrate.encryption.purge import purge_until_restart, record_purge

    if record:
        plan, tables = record_purge(basedir, schema, dry_run)
        encryption_view.show_purge(plan, dry_run=dry_run, tables=tables)
        return
    plan = purge_until_restart(basedir, schema, dry_run, console.info)
    encryption_view.show_purge(plan, dry_run=dry_run)
