"""`pseamigrate health`: is the target up, encrypted, backed up and migrated recently?

The checks are the PASS/WARN/FAIL records `encryption status` uses (its own checks are reused
through `encryption.commands.encryption_status`, never repeated here), plus reachability, key
files of a local server directory, free disk in a local datadir, the age of the last backup (a
marker file the `backup` recipe touches) and of the last migration run per tenant (`pm_runs`).
The verdict is a Nagios plugin's: 0 OK, 1 WARNING (any WARN), 2 CRITICAL (any FAIL).
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import URL

from pseamigrate.db import connection, server_version, where
from pseamigrate.encryption.base import Check, Outcome
from pseamigrate.encryption.commands import encryption_status
from pseamigrate.encryption.keys import file_mode_check
from pseamigrate.errors import PseamigrateError, UsageProblem

NAGIOS = {Outcome.PASS: 0, Outcome.WARN: 1, Outcome.FAIL: 2}
STATUS_NAMES = ("OK", "WARNING", "CRITICAL")
DEFAULT_BACKUP_MARKER = Path("/var/lib/pseamigrate/last-backup")


@dataclass(frozen=True)
class Thresholds:
    """When ages and free space turn into WARNING or CRITICAL."""

    backup_warn_hours: float = 26.0
    backup_crit_hours: float = 72.0
    run_warn_hours: float | None = None  # no threshold: the age is only reported
    run_crit_hours: float | None = None
    disk_warn_percent: float = 15.0
    disk_crit_percent: float = 5.0

    def overridden(self, warning: list[str], critical: list[str]) -> Thresholds:
        """Return these thresholds with `--warning/--critical NAME=VALUE` applied.

        NAME is one of `OVERRIDABLE` (ages in hours, with an optional `h`; free space in %)."""
        changes: dict[str, float] = {}
        for level, option, given in (("warn", "warning", warning), ("crit", "critical", critical)):
            for item in given:
                name, _, raw = item.partition("=")
                if name not in OVERRIDABLE:
                    known = ", ".join(OVERRIDABLE)
                    raise UsageProblem(f"--{option}: {name!r} is not a threshold (one of {known})")
                field_name, unit = OVERRIDABLE[name]
                changes[field_name.format(level=level)] = _threshold_value(item, raw, unit)
        return replace(self, **changes)


# NAME of --warning/--critical -> (Thresholds field, unit); the perfdata labels use the same names.
OVERRIDABLE = {
    "backup_age": ("backup_{level}_hours", "h"),
    "run_age": ("run_{level}_hours", "h"),
    "datadir_free": ("disk_{level}_percent", "%"),
}


def _threshold_value(item: str, raw: str, unit: str) -> float:
    try:
        value = float(raw.removesuffix(unit))
    except ValueError:
        raise UsageProblem(f"{item!r}: give NAME=NUMBER{unit}, e.g. backup_age=30{unit}") from None
    if value < 0 or value != value:  # negative or NaN
        raise UsageProblem(f"{item!r}: a threshold is a number of 0 or more")
    return value


@dataclass(frozen=True)
class Metric:
    """One value for Prometheus: name, labels, value."""

    name: str
    value: float
    labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Perf:
    """One Nagios performance value: label, value with its unit, warning and critical ranges."""

    label: str
    value: float
    uom: str = ""
    warn: str = ""
    crit: str = ""
    low: str = ""
    high: str = ""

    def __str__(self) -> str:
        fields = [f"{_number(self.value)}{self.uom}", self.warn, self.crit, self.low, self.high]
        return f"{self.label}=" + ";".join(fields).rstrip(";")


def _number(value: float) -> str:
    """Return a value exactly: whole numbers without a fraction, others as Python's shortest."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _range(limit: float | None, *, below: bool = False) -> str:
    """Return a Nagios range: alert above `limit`, or below it (`N:`) for free space."""
    if limit is None:
        return ""
    return f"{_number(limit)}:" if below else _number(limit)


@dataclass
class HealthReport:
    """Every check and metric of one `health` run, and the Nagios verdict over them."""

    target: str
    checks: list[Check] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)
    perfdata: list[Perf] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """Return 0 OK, 1 WARNING or 2 CRITICAL: the worst outcome of any check."""
        return max((NAGIOS[c.outcome] for c in self.checks), default=0)

    def summary(self) -> str:
        """Return the one line a Nagios plugin prints first."""
        status = STATUS_NAMES[self.exit_code]
        bad = [c for c in self.checks if c.outcome is not Outcome.PASS]
        bad.sort(key=lambda c: -NAGIOS[c.outcome])
        if not bad:
            text_ = f"{len(self.checks)} checks passed"
        else:
            named = ", ".join(c.name for c in bad[:5]) + (" …" if len(bad) > 5 else "")
            text_ = f"{len(bad)} of {len(self.checks)} checks not OK: {named}"
        fails = sum(c.outcome is Outcome.FAIL for c in self.checks)
        warns = sum(c.outcome is Outcome.WARN for c in self.checks)
        counts = [Perf("critical", fails, low="0"), Perf("warning", warns, low="0")]
        perf = " ".join(str(item) for item in counts + self.perfdata)
        return f"PSEAMIGRATE {status} - {text_} | {perf}"

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return {
            "target": self.target,
            "status": STATUS_NAMES[self.exit_code],
            "exit_code": self.exit_code,
            "summary": self.summary(),
            "checks": [c.as_dict() for c in self.checks],
            "metrics": [
                {"name": m.name, "labels": dict(m.labels), "value": m.value} for m in self.metrics
            ],
            "perfdata": [str(item) for item in self.perfdata],
        }


def check_health(
    url: URL,
    basedir: Path | None = None,
    backup_marker: Path = DEFAULT_BACKUP_MARKER,
    limits: Thresholds | None = None,
) -> HealthReport:
    """Run every health check against the target at `url` (and a local server directory)."""
    limits = limits or Thresholds()
    report = HealthReport(where(url))
    if not _reachable(url, report):
        return report
    report.checks += [
        Check(f"encryption: {c.name}", c.outcome, c.detail, c.cis)
        for c in encryption_status(url).checks
    ]
    if basedir is not None:
        report.checks += key_file_checks(basedir)
        report.checks.append(key_backup_check(basedir, report))
    with connection(url) as conn:
        report.checks.append(_disk_check(conn, limits, report))
        _run_ages(conn, limits, report)
    report.checks.append(backup_check(backup_marker, limits, report))
    return report


def _reachable(url: URL, report: HealthReport) -> bool:
    try:
        with connection(url) as conn:
            version = server_version(conn)
    except Exception as exc:  # noqa: BLE001 - any failure to connect is the finding
        report.checks.append(Check("reachable", Outcome.FAIL, _reason(exc)))
        report.metrics.append(Metric("pseamigrate_up", 0))
        return False
    report.checks.append(Check("reachable", Outcome.PASS, report.target))
    report.checks.append(Check("server version", Outcome.PASS, version))
    report.metrics.append(Metric("pseamigrate_up", 1))
    return True


def _reason(exc: Exception) -> str:
    """Say why a connection failed, without the URL's password or any SQL."""
    from sqlalchemy.exc import DBAPIError

    from pseamigrate.db import describe_db_error

    if isinstance(exc, DBAPIError):
        return describe_db_error(exc)
    if isinstance(exc, PseamigrateError):
        return str(exc).splitlines()[0]
    return type(exc).__name__


def key_file_checks(basedir: Path) -> list[Check]:
    """Check that a local server directory's key files exist and are owner-only."""
    from pseamigrate.encryption.setup import key_files
    from pseamigrate.servers import existing_server

    checks = []
    for path in key_files(existing_server(basedir)):
        if not path.exists():
            checks.append(
                Check(f"key file {path.name}", Outcome.FAIL, f"{path} is missing", "3.10")
            )
        else:
            checks.append(file_mode_check(f"key file {path.name}", str(path), "3.10"))
    return checks


def key_backup_check(basedir: Path, report: HealthReport) -> Check:
    """WARNING when no key backup was recorded, or keys changed after the last one."""
    from pseamigrate.encryption.keyrecord import changed_since, read_record
    from pseamigrate.encryption.setup import key_files
    from pseamigrate.servers import existing_server

    name = "key backup"
    record = read_record(basedir)
    if record is None:
        return Check(name, Outcome.WARN, "no key backup recorded: run `encryption backup-key`")
    report.metrics.append(
        Metric("pseamigrate_last_key_backup_timestamp_seconds", record.at.timestamp())
    )
    age_hours = (time.time() - record.at.timestamp()) / 3600
    report.perfdata.append(Perf("key_backup_age", round(age_hours * 3600), "s", low="0"))
    changed = changed_since(record, key_files(existing_server(basedir)))
    report.metrics.append(Metric("pseamigrate_key_backup_current", 0 if changed else 1))
    if changed:
        detail = f"keys changed after the last key backup ({', '.join(changed)})"
        return Check(name, Outcome.WARN, f"{detail}: run `encryption backup-key`")
    proof = "verified" if record.verified else "not verified by a scratch restore"
    return Check(name, Outcome.PASS, f"{age_hours:.1f} h ago, {proof}")


def _disk_check(conn: Connection, limits: Thresholds, report: HealthReport) -> Check:
    datadir = Path(str(conn.execute(text("SELECT @@datadir")).scalar()))
    if not datadir.is_dir():
        return Check("free disk in datadir", Outcome.PASS, f"{datadir} is not on this host")
    usage = shutil.disk_usage(datadir)
    free = 100.0 * usage.free / usage.total
    report.metrics.append(Metric("pseamigrate_datadir_free_ratio", usage.free / usage.total))
    warn, crit = (
        _range(limit, below=True) for limit in (limits.disk_warn_percent, limits.disk_crit_percent)
    )
    report.perfdata.append(Perf("datadir_free", round(free, 2), "%", warn, crit, "0", "100"))
    outcome = Outcome.PASS
    if free < limits.disk_crit_percent:
        outcome = Outcome.FAIL
    elif free < limits.disk_warn_percent:
        outcome = Outcome.WARN
    return Check("free disk in datadir", outcome, f"{free:.1f}% free in {datadir}")


def backup_check(marker: Path, limits: Thresholds, report: HealthReport) -> Check:
    """Check the age of the last backup from the marker file the `backup` recipe touches."""
    try:
        stamp = os.stat(marker).st_mtime
    except OSError:
        return Check("last backup", Outcome.WARN, f"no backup recorded ({marker} is missing)")
    age = time.time() - stamp
    report.metrics.append(Metric("pseamigrate_last_backup_timestamp_seconds", stamp))
    warn, crit = (_range(h * 3600) for h in (limits.backup_warn_hours, limits.backup_crit_hours))
    report.perfdata.append(Perf("backup_age", round(age), "s", warn, crit, "0"))
    hours = age / 3600
    detail = f"{hours:.1f} h ago"
    if hours > limits.backup_crit_hours:
        return Check("last backup", Outcome.FAIL, f"{detail} (over {limits.backup_crit_hours} h)")
    if hours > limits.backup_warn_hours:
        return Check("last backup", Outcome.WARN, f"{detail} (over {limits.backup_warn_hours} h)")
    return Check("last backup", Outcome.PASS, detail)


def _run_ages(conn: Connection, limits: Thresholds, report: HealthReport) -> None:
    """Add a check and a metric per tenant: how long ago its last migration run finished."""
    if not (inspect(conn).has_table("tenants") and inspect(conn).has_table("pm_runs")):
        report.checks.append(Check("target schema", Outcome.WARN, "no tenants/pm_runs tables"))
        return
    rows = conn.execute(text(LAST_RUN_SQL)).all()
    now = conn.execute(text("SELECT NOW()")).scalar()
    for code, finished, status in rows:
        name = f"last migration run {code}"
        if finished is None:
            report.checks.append(Check(name, Outcome.PASS, "no run yet"))
            continue
        assert isinstance(now, datetime)
        age = (now - finished).total_seconds()  # both in the server's clock and zone
        labels = (("tenant", str(code)),)
        stamp = time.time() - age
        report.metrics.append(Metric("pseamigrate_last_run_timestamp_seconds", stamp, labels))
        warn, crit = (
            _range(h and h * 3600) for h in (limits.run_warn_hours, limits.run_crit_hours)
        )
        report.perfdata.append(Perf(f"run_age_{code}", round(age), "s", warn, crit, "0"))
        report.checks.append(
            Check(name, _run_outcome(age, str(status), limits), f"{age / 3600:.1f} h ago, {status}")
        )


def _run_outcome(age: float, status: str, limits: Thresholds) -> Outcome:
    hours = age / 3600
    if limits.run_crit_hours is not None and hours > limits.run_crit_hours:
        return Outcome.FAIL
    late = limits.run_warn_hours is not None and hours > limits.run_warn_hours
    return Outcome.WARN if late or status in FAILED_RUN_STATUSES else Outcome.PASS


# The last finished migration run of each tenant (dry runs and rollbacks are not migrations).
LAST_RUN_SQL = """
SELECT t.code, r.finished_at, r.status FROM tenants t
LEFT JOIN pm_runs r ON r.id = (
  SELECT p.id FROM pm_runs p
  WHERE p.tenant_id = t.id AND p.finished_at IS NOT NULL AND p.mode NOT IN ('dry-run', 'rollback')
  ORDER BY p.finished_at DESC, p.id DESC LIMIT 1)
ORDER BY t.code
"""
FAILED_RUN_STATUSES = {"failed", "stopped"}


# Every family written, with its HELP (Prometheus: times as `*_timestamp_seconds`, not ages).
FAMILIES = {
    "pseamigrate_health_status": "0 OK, 1 WARNING, 2 CRITICAL (pseamigrate health).",
    "pseamigrate_check_status": "Each check of pseamigrate health: 0 OK, 1 WARNING, 2 CRITICAL.",
    "pseamigrate_up": "1 when the target answered, else 0.",
    "pseamigrate_datadir_free_ratio": "Free share (0 to 1) of the file system of the datadir.",
    "pseamigrate_last_backup_timestamp_seconds": "Unix time of the last backup (its marker).",
    "pseamigrate_last_key_backup_timestamp_seconds": "Unix time of the last key backup.",
    "pseamigrate_key_backup_current": "1 when no key changed after the last key backup, else 0.",
    "pseamigrate_last_run_timestamp_seconds": "Unix time a tenant's last migration run finished.",
}


def prometheus_text(report: HealthReport) -> str:
    """Return the report as a node-exporter textfile (gauges, HELP and TYPE on every family)."""
    checks = [
        Metric("pseamigrate_check_status", NAGIOS[c.outcome], (("check", c.name),))
        for c in report.checks
    ]
    metrics = [Metric("pseamigrate_health_status", report.exit_code), *checks, *report.metrics]
    lines = []
    for name in dict.fromkeys(m.name for m in metrics):  # first-seen order
        lines += [f"# HELP {name} {FAMILIES[name]}", f"# TYPE {name} gauge"]
        for metric in (m for m in metrics if m.name == name):
            labels = ",".join(f'{k}="{_label(v)}"' for k, v in metric.labels)
            series = f"{name}{{{labels}}}" if labels else name
            lines.append(f"{series} {_number(metric.value)}")
    return "\n".join(lines) + "\n"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def write_prometheus(report: HealthReport, path: Path) -> None:
    """Write the textfile atomically (node-exporter must never read half a file)."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(prometheus_text(report), encoding="utf-8")
    os.replace(partial, path)
