"""`pseamigrate server …`: server directories as recipes operate them (#11)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pseamigrate import console
from pseamigrate.cli import app, sub_app
from pseamigrate.cli.options import BasedirOption, DryRunFlag

server_app = sub_app("Server directories for recipes and drills: init, start, stop, backups.")
app.add_typer(server_app, name="server")

DatabaseOption = Annotated[str, typer.Option("--database", help="Database name.")]


@server_app.command("init")
def server_init(
    basedir: BasedirOption,
    flavor: Annotated[str, typer.Option(help="mariadb or mysql (Oracle MySQL 9.7).")] = "mariadb",
    port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1.")] = 3306,
) -> None:
    """Create a private server directory (my.cnf, datadir); kept as it is if it exists.

    Example: pseamigrate server init --basedir /srv/psea-test-db --flavor mysql --port 3307
    """
    from pseamigrate.deploy.server_dir import init_server

    if (basedir / "my.cnf").exists():
        console.info(f"{basedir} is already a server directory: kept")
        return
    init_server(flavor, basedir, port)
    console.info(f"initialised {flavor} in {basedir} (port {port})")


@server_app.command("start")
def server_start(basedir: BasedirOption) -> None:
    """Start the server of a directory in the background and wait until it answers.

    Example: pseamigrate server start --basedir /srv/psea-test-db
    """
    from pseamigrate.deploy.server_dir import start_detached

    server = start_detached(basedir)
    console.info(f"{server.flavor} server of {basedir} answers on 127.0.0.1:{server.port}")


@server_app.command("stop")
def server_stop(basedir: BasedirOption) -> None:
    """Stop the server of a directory (a clean shutdown); nothing to do when it is stopped.

    Example: pseamigrate server stop --basedir /srv/psea-test-db
    """
    from pseamigrate.deploy.server_dir import stop_detached

    stopped = stop_detached(basedir)
    console.info(f"server of {basedir} {'stopped' if stopped else 'was not running'}")


@server_app.command("create-database")
def server_create_database(basedir: BasedirOption, database: DatabaseOption) -> None:
    """Create a utf8mb4 database on the server of a directory (kept if it exists).

    Example: pseamigrate server create-database --basedir /srv/psea-test-db --database psea
    """
    from pseamigrate.deploy.server_dir import create_database

    create_database(basedir, database)
    console.info(f"database {database} ready")


@server_app.command("migration-account")
def server_migration_account(
    basedir: BasedirOption,
    database: DatabaseOption,
    option_file: Annotated[
        Path | None,
        typer.Option(
            help="Where its credentials go (0600; default BASEDIR/migration.cnf).", dir_okay=False
        ),
    ] = None,
) -> None:
    """Create or rotate the migration account (target DDL, tenant views, the account routine).

    Example: pseamigrate server migration-account --basedir /srv/psea-db --database psea
    """
    from pseamigrate.deploy.server_dir import create_migration_account

    target = option_file or basedir / "migration.cnf"
    account = create_migration_account(basedir, database, target)
    console.info(f"account {account}: credentials written to {target} (0600)")


@server_app.command("dump")
def server_dump(
    basedir: BasedirOption,
    database: DatabaseOption,
    dest: Annotated[Path, typer.Option(help="Backup folder (created 0700).", file_okay=False)],
) -> None:
    """Dump a database compressed and encrypted ($PSEA_BACKUP_PASSPHRASE) into an 0600 file.

    Example: pseamigrate server dump --basedir /srv/psea-db --database psea --dest /backups
    """
    from pseamigrate.deploy.backup import dump_database

    console.out.print(str(dump_database(basedir, database, dest)), soft_wrap=True)


@server_app.command("restore-check")
def server_restore_check(
    basedir: BasedirOption,
    database: DatabaseOption,
    dest: Annotated[
        Path, typer.Option(help="Backup folder: its newest dump is checked.", file_okay=False)
    ],
) -> None:
    """Restore the newest dump into a scratch database and compare every table's row count.

    Example: pseamigrate server restore-check --basedir B --database psea --dest /backups
    """
    from pseamigrate.deploy.backup import newest_dump, restore_check

    dump = newest_dump(dest, database)
    tables, rows = restore_check(basedir, dump, database)
    console.verdict(f"restore check of {dump.name}: {tables} tables, {rows} rows match", True)


@server_app.command("health-timer")
def server_health_timer(
    config: Annotated[
        Path, typer.Option("--project", help="Project file naming the target.", dir_okay=False)
    ],
    basedir: Annotated[
        Path | None, typer.Option(help="Local server directory (key files).", file_okay=False)
    ] = None,
    prometheus: Annotated[
        Path, typer.Option(help="node-exporter textfile.", dir_okay=False)
    ] = Path("/var/lib/prometheus/node-exporter/pseamigrate.prom"),
    every: Annotated[int, typer.Option(help="Minutes between checks.")] = 5,
    unit_dir: Annotated[Path, typer.Option(file_okay=False)] = Path("/etc/systemd/system"),
    cron_file: Annotated[Path, typer.Option(dir_okay=False)] = Path(
        "/etc/cron.d/pseamigrate-health"
    ),
    pseamigrate: Annotated[str, typer.Option(help="The pseamigrate command.")] = "pseamigrate",
    dry_run: DryRunFlag = False,
) -> None:
    """Run `pseamigrate health` every few minutes: a systemd timer, else a cron file.

    Example: pseamigrate server health-timer --project /etc/psea/pseamigrate.yaml --dry-run
    """
    from pseamigrate.deploy.timer import health_command, install_timer, plan_timer

    command = health_command(pseamigrate, config, basedir, prometheus)
    plan = plan_timer(command, every, unit_dir, cron_file, None)
    for path, content in plan.files.items():
        console.out.print(f"# {path}\n{content}", soft_wrap=True)
    if not dry_run:
        install_timer(plan)
        console.info(f"installed the health check as a {plan.kind} job")
