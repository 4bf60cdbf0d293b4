"""Key backups for a local server directory, and the proof that a backup opens the data.

A key backup that was never restored is a hope, not a backup (CIS: key backups that are tested).
`verify_key_backup` copies the stopped server's datadir into a scratch directory, gives the copy
only the keys from the backup, starts it and reads every encrypted table.

The scratch copy (data and keys together: readable by whoever gets it) lives beside the server's
basedir, on the server's own volume, never in $TMPDIR; it is removed on every exit, SIGTERM and
SIGHUP included, and one left by a SIGKILL is removed by the next run. Its server listens on a
socket only (`skip-networking`). A backup never replaces an earlier one and never changes the
mode of a directory that already exists (issue #15 item 5).
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from pseamigrate.childenv import pid_alive
from pseamigrate.db import connection
from pseamigrate.encryption import backend_for
from pseamigrate.encryption.base import quote_name
from pseamigrate.encryption.filestore import FILES_KEY, load_files_keys
from pseamigrate.encryption.keys import add_key, read_key_file, write_new_secret, write_secret
from pseamigrate.encryption.setup import (
    BLOCK,
    MARIADB_FILE_KEY,
    MARIADB_KEY_FILE,
    SetupPlan,
    apply_setup,
    key_dir,
    key_files,
    plan_setup,
)
from pseamigrate.errors import PseamigrateError, RefusedForSafety
from pseamigrate.paths import private_folder
from pseamigrate.servers import LocalServer, new_server
from pseamigrate.servers.cnf import plan_block

SYSTEM_SCHEMAS = ("mysql", "information_schema", "performance_schema", "sys")


@dataclass(frozen=True)
class BackupReport:
    """What `backup-key` copied and, when verified, how many encrypted tables it opened."""

    files: list[Path]
    verified_tables: int | None = None


def backup_keys(server: LocalServer, dest: Path, dry_run: bool = False) -> list[Path]:
    """Copy the server's key files into `dest` (files 0600); return the copies.

    A new `dest` is created 0700; an existing one keeps its mode. Refuses (exit 4) to replace
    any file of an earlier backup.
    """
    sources = [path for path in key_files(server) if path.exists()]
    if not sources:
        raise PseamigrateError(
            f"no key files under {key_dir(server)}: run `encryption setup` first"
        )
    earlier = [dest / s.name for s in sources if (dest / s.name).exists()]
    if earlier:
        raise RefusedForSafety(
            f"{dest} already holds a key backup ({', '.join(p.name for p in earlier)}): "
            "choose a new directory; an earlier backup is never replaced"
        )
    if dry_run:
        return [dest / source.name for source in sources]
    private_folder(dest)  # a new folder and its new parents 0700; an existing one as it is
    copies = [write_new_secret(dest / source.name, source.read_bytes()) for source in sources]
    if (dest / FILES_KEY).exists():
        load_files_keys(dest / FILES_KEY)  # the file store's master keys read back whole
    return copies


def backup_and_verify(
    server: LocalServer, dest: Path, verify: bool = True, dry_run: bool = False
) -> BackupReport:
    """Copy the key files to `dest`, then (unless told not to) prove the copy opens the data."""
    if verify and not dry_run:
        _refuse_if_running_elsewhere(server)  # before copying anything: nothing half-done
    files = backup_keys(server, dest, dry_run)
    if dry_run or not verify:
        return BackupReport(files)
    with scratch_beside(server) as scratch:
        return BackupReport(files, verify_key_backup(server, dest, scratch))


SCRATCH_MARK = ".keycheck-"


@contextmanager
def scratch_beside(server: LocalServer) -> Iterator[Path]:
    """Yield a 0700 scratch directory beside the basedir, removed on any exit or SIGTERM/SIGHUP."""
    remove_stale_scratch(server)
    prefix = f".{server.basedir.name}{SCRATCH_MARK}{os.getpid()}-"
    scratch = Path(tempfile.mkdtemp(prefix=prefix, dir=server.basedir.parent))
    try:
        with _signals_raise():
            yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def remove_stale_scratch(server: LocalServer) -> list[Path]:
    """Remove scratch copies whose process is gone (left by a SIGKILL); return them."""
    removed = []
    for path in server.basedir.parent.glob(f".{server.basedir.name}{SCRATCH_MARK}*"):
        pid = path.name.removeprefix(f".{server.basedir.name}{SCRATCH_MARK}").split("-")[0]
        if pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


class Terminated(PseamigrateError):
    """A signal asked us to stop while a scratch copy existed (it is removed first)."""


@contextmanager
def _signals_raise() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP into an exception, so `finally` blocks remove the scratch copy."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: object) -> None:
        raise Terminated(f"stopped by signal {signum}; the scratch copy was removed")

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def restore_keys(server: LocalServer, backup: Path) -> list[Path]:
    """Put the key files from `backup` back into the server's key directory (0600)."""
    restored = []
    # The file store's key is restored when the backup holds it (one made before it existed
    # does not; the server's own copy then stays).
    wanted = [path for path in key_files(server) if path.name != FILES_KEY]
    if (backup / FILES_KEY).exists():
        wanted.append(key_dir(server) / FILES_KEY)
    for path in wanted:
        source = backup / path.name
        if not source.exists():
            raise PseamigrateError(f"{source} is missing from the key backup")
        write_secret(path, source.read_bytes())
        restored.append(path)
    return restored


def verify_key_backup(server: LocalServer, backup: Path, scratch: Path) -> int:
    """Restore `backup` into a copy of the server under `scratch`; return encrypted tables read.

    A server this process started is stopped for the copy and started again; one that runs
    elsewhere is refused (copying a live datadir gives a torn copy).
    """
    was_running = server.process is not None
    if was_running:
        server.stop()
    _refuse_if_running_elsewhere(server)
    copy = new_server(server.flavor, scratch, {"skip-networking": ""})  # socket only
    # Data and keys together: killed outright if we die, even while it starts (it ignores
    # SIGTERM then); the next `backup-key` removes the folder left behind.
    copy.parent_death_signal = signal.SIGKILL
    try:
        shutil.copytree(server.datadir, copy.datadir, symlinks=True)
    finally:
        if was_running:
            server.start()
    return _open_copy(server, copy, backup)


def _refuse_if_running_elsewhere(server: LocalServer) -> None:
    if server.process is None and server.answers():
        raise RefusedForSafety(f"the server in {server.basedir} is running: stop it to verify")


def _open_copy(server: LocalServer, copy: LocalServer, backup: Path) -> int:
    copy.write_config()
    plan = plan_setup(copy, tmpdir=False)
    key_id = {k: v for k, v in server.options.items() if k == "innodb_default_encryption_key_id"}
    files = tuple(f for f in plan.files if not f.secret)
    apply_setup(copy, SetupPlan(plan.flavor, files, plan.cnf_text, {**plan.options, **key_id}))
    restore_keys(copy, backup)
    with copy:
        copy.start()
        return _read_encrypted_tables(copy)


def _read_encrypted_tables(server: LocalServer) -> int:
    """Read every encrypted table of every user schema; return how many were read."""
    with connection(server.socket_url()) as conn:
        backend = backend_for(conn)
        schemas = conn.execute(text("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA"))
        count = 0
        for schema in [s for s in schemas.scalars() if s not in SYSTEM_SCHEMAS]:
            for table in backend.tables(conn, schema):
                if table.encrypted:
                    name = f"{quote_name(schema)}.{quote_name(table.name)}"
                    conn.execute(text(f"SELECT COUNT(*) FROM {name}")).scalar_one()
                    count += 1
        return count


def new_mariadb_key(server: LocalServer, dry_run: bool = False) -> int:
    """Add a key id to a MariaDB server's key file and make it the default (restart to load).

    file_key_management has no key versions: rotating means a new key id for new writes, then
    `encryption rotate` rebuilds tables with it. Key 1 (redo, system tablespace) is never dropped.
    """
    if server.flavor != "mariadb":
        raise PseamigrateError("new key ids are a MariaDB concept; MySQL rotates with SQL only")
    file_key = key_dir(server) / MARIADB_FILE_KEY
    passphrase = file_key if file_key.exists() else None
    if dry_run:
        return max(read_key_file(key_dir(server) / MARIADB_KEY_FILE, passphrase), default=0) + 1
    new_id = add_key(key_dir(server) / MARIADB_KEY_FILE, passphrase)
    setting = {"innodb_default_encryption_key_id": str(new_id)}
    plan_block(server.config_path, BLOCK, "mysqld", setting).apply()
    server.options.update(setting)
    return new_id


def remove_key_files(server: LocalServer) -> list[Path]:
    """Delete the server's key files (for drills and tests of a lost keyring)."""
    removed = [path for path in key_files(server) if path.exists()]
    for path in removed:
        os.remove(path)
    return removed


# Log lines that say a server could not start or read data for want of its keys (measured on
# MySQL 9.7 and MariaDB 10.11, see docs/encryption.md).
KEY_ERROR_MARKERS = (
    "MY-013066",  # MySQL: cannot read the encryption information in the redo log header
    "MY-012226",  # MySQL: encryption information in a datafile can't be decrypted
    "please check if keyring is loaded",
    "Can't find master key",
    "file_key_management",  # MariaDB: plugin init failed (key file missing / wrong file key)
    "Cannot decrypt",
    "encryption plugin is not available",
    "looks corrupted; key_version",
)


def key_errors_in_log(server: LocalServer) -> list[str]:
    """Return the error-log lines that blame missing or wrong keys (the 'why' of a failed start)."""
    if not server.log_path.exists():
        return []
    lines = server.log_path.read_text(errors="replace").splitlines()
    hits = [line for line in lines if any(marker in line for marker in KEY_ERROR_MARKERS)]
    missing = [line for line in lines if "[ERROR]" in line and "not found" in line]
    return [line for line in lines if line in hits or line in missing]
