"""What reaches disk outside the encrypted tablespaces: query logs, temporary files and tables,
relay logs, and whether clients may talk to the server in plaintext (issue #15 item 1).

Each check is proven by a canary search of the raw files in tests/encryption/test_exposure.py.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from pseamigrate.encryption.base import (
    Check,
    Outcome,
    active_plugin,
    is_on,
    setting_check,
    variables,
)
from pseamigrate.encryption.binlogs import binlog_files_check
from pseamigrate.encryption.keys import file_mode_check
from pseamigrate.encryption.volumes import protection

VARIABLES = (
    "general_log",
    "general_log_file",
    "slow_query_log",
    "slow_query_log_file",
    "log_output",
    "datadir",
    "tmpdir",
    "innodb_tmpdir",
    "encrypt_tmp_disk_tables",
    "require_secure_transport",
    "skip_networking",
    "bind_address",
    "binlog_encryption",
    "encrypt_binlog",
    "hostname",
    "innodb_temp_tablespaces_dir",
    "innodb_temp_data_file_path",
    "innodb_data_home_dir",
    "ssl_key",
    "log_error",
    "innodb_print_all_deadlocks",
    "innodb_status_output",
    "server_audit_logging",
    "server_audit_output_type",
    "server_audit_file_path",
    "sql_error_log_filename",
)
LOCAL_VARIABLES = ("hostname", "datadir")  # what `server_is_local` reads
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
# (check name, switch, file variable, table in the mysql schema when log_output=TABLE)
LOGS = (
    ("general log", "general_log", "general_log_file", "general_log"),
    ("slow query log", "slow_query_log", "slow_query_log_file", "slow_log"),
)
WHY_TMP = {
    "mariadb": "Aria temporary tables keep TEXT values there in plaintext, even with "
    "encrypt_tmp_disk_tables=ON (measured on 10.11)",
    "mysql": "MySQL does not encrypt sort and temporary files",
}


def exposure_checks(conn: Connection, flavor: str, declared: Sequence[str]) -> list[Check]:
    """Check logs, temporary files and tables, relay logs and transport of this server."""
    values = variables(conn, VARIABLES)
    local = server_is_local(values)
    checks = [_log_check(values, log, declared, local) for log in LOGS]
    checks += tmp_checks(values, flavor, declared, local)
    checks.append(relay_check(conn, values, flavor))
    checks.append(binlog_files_check(conn, local))
    checks += plugin_log_checks(conn, values, declared, local)
    checks.append(deadlock_check(values, declared, local))
    checks.append(transport_check(values))
    if local and values.get("ssl_key"):  # a TLS key readable by others lets them impersonate
        key = _in_datadir(values, values["ssl_key"])
        checks.append(file_mode_check("TLS private key", key, "3.10"))
    return checks


def server_is_local(values: dict[str, str]) -> bool:
    """Tell whether the server runs on this host (same host name, its datadir visible here)."""
    datadir = values.get("datadir", "")
    return (
        values.get("hostname") == socket.gethostname() and bool(datadir) and Path(datadir).is_dir()
    )


def _in_datadir(values: dict[str, str], path: str) -> str:
    return path if path.startswith("/") else str(Path(values.get("datadir", "")) / path)


def _log_check(
    values: dict[str, str], log: tuple[str, str, str, str], declared: Sequence[str], local: bool
) -> Check:
    name, switch, file_var, table = log
    if not is_on(values.get(switch)):
        return Check(name, Outcome.PASS, f"{switch}={values.get(switch, 'OFF')}", "4.10")
    outputs = {o.strip().upper() for o in values.get("log_output", "FILE").split(",")}
    places = []
    if "NONE" not in outputs and "FILE" in outputs:
        places.append(_in_datadir(values, values.get(file_var, "")))
    if "NONE" not in outputs and "TABLE" in outputs:  # a CSV table: plaintext in the datadir
        places.append(_in_datadir(values, f"mysql/{table}.CSV"))
    return _places_check(name, f"{switch}=ON", places, declared, local, f"set {switch}=OFF")


def _places_check(
    name: str, head: str, places: list[str], declared: Sequence[str], local: bool, fix: str
) -> Check:
    """PASS when every place is memory or an encrypted volume, else FAIL naming the others."""
    bare = [p for p in places if protection(p, declared, local) is None]
    if bare:
        where = ", ".join(bare)
        return Check(
            name,
            Outcome.FAIL,
            f"{head}: plaintext reaches {where} ({fix}, or put it on tmpfs or an encrypted "
            "volume named with --encrypted-volume)",
            "4.10",
        )
    why = "; ".join(f"{p} {protection(p, declared, local)}" for p in places) or "nothing written"
    return Check(name, Outcome.PASS, f"{head}, {why}", "4.10")


def tmp_checks(
    values: dict[str, str], flavor: str, declared: Sequence[str], local: bool
) -> list[Check]:
    """Check where temporary tables and files go (tmpdir, innodb_tmpdir) and MariaDB's switch."""
    checks = []
    if flavor == "mariadb":
        checks.append(setting_check(values, "encrypt_tmp_disk_tables", "4.10"))
    dirs = [d for d in values.get("tmpdir", "").split(":") if d]
    if values.get("innodb_tmpdir"):
        dirs.append(values["innodb_tmpdir"])
    fix = f"{WHY_TMP.get(flavor, '')}: point tmpdir at tmpfs"
    checks.append(_places_check("temporary files", "tmpdir", dirs, declared, local, fix))
    if flavor == "mysql":
        checks.append(_temp_tablespaces_check(values, declared, local))
    return checks


def _temp_tablespaces_check(values: dict[str, str], declared: Sequence[str], local: bool) -> Check:
    """MySQL 9.7: session temporary tablespaces and ibtmp1 are not encrypted (measured)."""
    home = values.get("innodb_data_home_dir") or values.get("datadir", "")
    places = [_in_datadir(values, values.get("innodb_temp_tablespaces_dir") or "#innodb_temp")]
    for spec in values.get("innodb_temp_data_file_path", "ibtmp1").split(";"):
        name = spec.split(":")[0]
        places.append(name if name.startswith("/") else str(Path(home) / name))
    fix = "MySQL does not encrypt temporary tables: point innodb_temp_tablespaces_dir and "
    fix += "innodb_temp_data_file_path at tmpfs"
    return _places_check(
        "temporary tablespaces", "InnoDB temporary tables", places, declared, local, fix
    )


def plugin_log_checks(
    conn: Connection, values: dict[str, str], declared: Sequence[str], local: bool
) -> list[Check]:
    """Check MariaDB's audit plugin and SQL error log: both write statement text to a file.

    server_audit logs every query (narratives included) when server_audit_logging=ON;
    sql_errlog logs every statement that failed, values and all (a duplicate key, a check
    option) as long as the plugin is loaded.
    """
    checks = []
    if active_plugin(conn, "PLUGIN_NAME = 'SERVER_AUDIT'"):
        checks.append(_audit_check(values, declared, local))
    if active_plugin(conn, "PLUGIN_NAME = 'SQL_ERROR_LOG'"):
        place = _in_datadir(values, values.get("sql_error_log_filename") or "sql_errors.log")
        fix = "UNINSTALL SONAME 'sql_errlog'"
        checks.append(
            _places_check("SQL error log", "sql_errlog loaded", [place], declared, local, fix)
        )
    return checks


def _audit_check(values: dict[str, str], declared: Sequence[str], local: bool) -> Check:
    if not is_on(values.get("server_audit_logging")):
        return Check("audit log", Outcome.PASS, "server_audit loaded, server_audit_logging=OFF")
    if values.get("server_audit_output_type", "file").lower() != "file":
        return Check(
            "audit log",
            Outcome.FAIL,
            "server_audit_logging=ON writes every query to syslog, which cannot be proven "
            "encrypted (set server_audit_logging=OFF)",
            "4.10",
        )
    place = _in_datadir(values, values.get("server_audit_file_path") or "server_audit.log")
    fix = "set server_audit_logging=OFF"
    return _places_check("audit log", "server_audit_logging=ON", [place], declared, local, fix)


# Switches that copy deadlocked statements and row bytes into the error log: every deadlock, or
# the InnoDB monitor's "LATEST DETECTED DEADLOCK" section every 15 seconds.
DEADLOCK_SWITCHES = ("innodb_print_all_deadlocks", "innodb_status_output")


def deadlock_check(values: dict[str, str], declared: Sequence[str], local: bool) -> Check:
    """Check that no deadlock report (statements, row bytes) reaches an error log on disk;
    parallel migrations (`--jobs`) meet deadlocks by design."""
    on = [name for name in DEADLOCK_SWITCHES if is_on(values.get(name))]
    if not on:
        off = ", ".join(f"{name}=OFF" for name in DEADLOCK_SWITCHES)
        return Check("deadlock reports", Outcome.PASS, off)
    log = values.get("log_error", "")
    head = ", ".join(f"{name}=ON" for name in on)
    fix = f"set {', '.join(f'{name}=OFF' for name in on)}"
    if log in ("", "stderr"):  # wherever the service manager sends it: nothing proves it safe
        return Check(
            "deadlock reports",
            Outcome.FAIL,
            f"{head}: statements and rows go to the error log on stderr ({fix})",
            "4.10",
        )
    return _places_check("deadlock reports", head, [_in_datadir(values, log)], declared, local, fix)


def relay_check(conn: Connection, values: dict[str, str], flavor: str) -> Check:
    """Check that relay logs (row images from a source) are encrypted like the binary log."""
    setting = "binlog_encryption" if flavor == "mysql" else "encrypt_binlog"
    if is_on(values.get(setting)):
        return Check(
            "relay logs", Outcome.PASS, f"encrypted with the binary log ({setting}=ON)", "2.2.1"
        )
    try:
        replica = bool(conn.execute(text("SHOW REPLICA STATUS")).all())
    except DBAPIError:
        return Check(
            "relay logs", Outcome.FAIL, f"{setting}=OFF and replica status unreadable", "2.2.1"
        )
    if replica:
        detail = f"this server is a replica and {setting}=OFF: relay logs hold rows in plaintext"
        return Check("relay logs", Outcome.FAIL, detail, "2.2.1")
    detail = f"not a replica; {setting}=OFF would leave relay logs plaintext if it became one"
    return Check("relay logs", Outcome.WARN, detail, "2.2.1")


def transport_check(values: dict[str, str]) -> Check:
    """Check that no client can reach the server over the network without TLS."""
    if is_on(values.get("require_secure_transport")):
        return Check("require_secure_transport", Outcome.PASS, "ON: TLS or socket only")
    if is_on(values.get("skip_networking")):
        return Check("require_secure_transport", Outcome.PASS, "OFF, but networking is off")
    bind = values.get("bind_address", "*") or "*"
    if all(address.strip() in LOOPBACK for address in bind.split(",")):
        return Check(
            "require_secure_transport", Outcome.PASS, f"OFF, but bound to loopback only ({bind})"
        )
    return Check(
        "require_secure_transport",
        Outcome.FAIL,
        f"OFF with bind_address={bind}: clients may connect without TLS "
        "(`encryption setup --tls` writes certificates and require_secure_transport=ON)",
    )
