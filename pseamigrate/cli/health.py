"""`pseamigrate health`: a Nagios-style check of the target (#11)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pseamigrate import console
from pseamigrate.cli import NAGIOS_UNKNOWN, app, target_url
from pseamigrate.cli.options import JsonFlag, UrlEnvOption
from pseamigrate.console import health as health_view

HealthBasedir = Annotated[
    Path | None,
    typer.Option(
        "--basedir", help="Local server directory: also check its key files.", file_okay=False
    ),
]
BackupMarker = Annotated[
    Path | None,
    typer.Option(
        help="Marker the backup recipe touches (default /var/lib/pseamigrate/last-backup).",
        dir_okay=False,
    ),
]
BackupWarn = Annotated[float, typer.Option(help="WARNING when the last backup is older.")]
BackupCrit = Annotated[float, typer.Option(help="CRITICAL when the last backup is older.")]
RunWarn = Annotated[
    float | None, typer.Option(help="WARNING when a tenant's last migration run is older.")
]
WarningAt = Annotated[
    list[str] | None,
    typer.Option(
        "--warning",
        metavar="NAME=VALUE",
        help="WARNING threshold, repeatable: backup_age=30h, run_age=48h, datadir_free=20%.",
    ),
]
CriticalAt = Annotated[
    list[str] | None,
    typer.Option(
        "--critical",
        metavar="NAME=VALUE",
        help="CRITICAL threshold, repeatable: backup_age=72h, run_age=168h, datadir_free=5%.",
    ),
]
Prometheus = Annotated[
    Path | None, typer.Option(help="Also write a node-exporter textfile here.", dir_okay=False)
]


@app.command("health")
def health(
    ctx: typer.Context,
    url_env: UrlEnvOption = None,
    basedir: HealthBasedir = None,
    backup_marker: BackupMarker = None,
    backup_warn_hours: BackupWarn = 26.0,
    backup_crit_hours: BackupCrit = 72.0,
    run_warn_hours: RunWarn = None,
    warning: WarningAt = None,
    critical: CriticalAt = None,
    prometheus: Prometheus = None,
    json_out: JsonFlag = False,
) -> None:
    """Check the target like a Nagios plugin: exit 0 OK, 1 WARNING, 2 CRITICAL (3 UNKNOWN).

    The first line carries perfdata with units and the warning;critical ranges in force.

    Example: pseamigrate health --basedir /srv/psea-db --prometheus /var/lib/prom/psea.prom
    """
    from pseamigrate.deploy import health as checks
    from pseamigrate.errors import PseamigrateError

    marker = backup_marker or checks.DEFAULT_BACKUP_MARKER
    try:
        limits = checks.Thresholds(backup_warn_hours, backup_crit_hours, run_warn_hours)
        limits = limits.overridden(warning or [], critical or [])
        report = checks.check_health(target_url(ctx, url_env), basedir, marker, limits)
    except PseamigrateError as exc:
        console.out.print(f"PSEAMIGRATE UNKNOWN - {str(exc).splitlines()[0]}", soft_wrap=True)
        raise typer.Exit(NAGIOS_UNKNOWN) from None
    if prometheus is not None:
        checks.write_prometheus(report, prometheus)
    health_view.show_health(report, json_out)
    raise typer.Exit(report.exit_code)
