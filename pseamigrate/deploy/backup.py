"""Database backups of a server directory: an encrypted dump, and the proof that it restores.

The dump is compressed and encrypted on the way to disk (`openssl enc -aes-256-cbc -pbkdf2`,
the passphrase read by openssl from `$PSEA_BACKUP_PASSPHRASE`, never argv), into an owner-only
file: the target is encrypted at rest, so its backups must be too. `restore_check` loads a dump
into a scratch database on the same server and compares every table's row count.
"""

from __future__ import annotations

import os
import subprocess
from datetime import datetime
from pathlib import Path
from typing import IO

from sqlalchemy import text

from pseamigrate.db import connection
from pseamigrate.encryption.base import quote_name
from pseamigrate.errors import PseamigrateError, UsageProblem, VerificationMismatch
from pseamigrate.names import check_name
from pseamigrate.paths import private_folder
from pseamigrate.servers import LocalServer, existing_server

PASSPHRASE_ENV = "PSEA_BACKUP_PASSPHRASE"
CIPHER = ["-aes-256-cbc", "-pbkdf2", "-iter", "200000", "-pass", f"env:{PASSPHRASE_ENV}"]


def _secret_env() -> dict[str, str]:
    """Return the minimal environment openssl needs: PATH and the passphrase."""
    passphrase = os.environ.get(PASSPHRASE_ENV)
    if not passphrase:
        raise UsageProblem(f"set {PASSPHRASE_ENV}: the passphrase that encrypts backups")
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), PASSPHRASE_ENV: passphrase}


def _client(server: LocalServer, program: str) -> tuple[list[str], dict[str, str]]:
    """Return argv and environment of a client program (`dump` or `mysql`) for `server`."""
    address = ["-h127.0.0.1", f"-P{server.port}", "-uroot"]
    if server.flavor == "mysql":
        name = {"dump": "mysqldump", "mysql": "mysql"}[program]
        argv = server.kind.client_command(name)  # type: ignore[attr-defined]
        return [*argv, *address], dict(server.kind.environment())
    name = {"dump": "mariadb-dump", "mysql": "mariadb"}[program]
    return [name, *address], {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def dump_database(basedir: Path, database: str, dest: Path) -> Path:
    """Dump `database` compressed and encrypted into `dest` (0700); return the file (0600)."""
    check_name(database, "the database name")  # it names the dump file
    server, env = existing_server(basedir), _secret_env()
    private_folder(dest)
    dest.chmod(0o700)
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    target = dest / f"{database}-{stamp}.sql.gz.enc"
    argv, client_env = _client(server, "dump")
    argv += ["--single-transaction", "--routines", "--triggers", "--databases", database]
    if server.flavor == "mysql":  # GTIDs would clash when the dump is loaded on the same server
        argv.insert(-2, "--set-gtid-purged=OFF")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        steps = _pipeline(
            [argv, ["gzip", "-c"], ["openssl", "enc", "-e", *CIPHER]], [client_env, env, env], out
        )
    if steps:
        target.unlink()
        raise PseamigrateError(f"dump of {database} failed: {steps}")
    return target


def _pipeline(commands: list[list[str]], envs: list[dict[str, str]], out: IO[bytes]) -> str:
    """Run `commands` as a pipeline into the open file `out`; return '' or what failed."""
    processes: list[subprocess.Popen[bytes]] = []
    previous: IO[bytes] | None = None
    for number, (argv, env) in enumerate(zip(commands, envs, strict=True)):
        last = number == len(commands) - 1
        process = subprocess.Popen(
            argv,
            stdin=previous or subprocess.DEVNULL,
            env=env,
            stderr=subprocess.PIPE,
            stdout=out if last else subprocess.PIPE,
        )
        if previous is not None:
            previous.close()  # the next process owns it now
        previous = process.stdout
        processes.append(process)
    failures = []
    for argv, process in zip(commands, processes, strict=True):
        _out, err = process.communicate()
        if process.returncode != 0:
            tail = err.decode(errors="replace").strip().splitlines()[-1:] or [""]
            failures.append(f"{_program(argv)} exited {process.returncode}: {tail[0]}")
    return "; ".join(failures)


def _program(argv: list[str]) -> str:
    """Name the program of `argv`, also when it runs through the MySQL prefix's loader."""
    inside = [Path(a).name for a in argv if "/usr/bin/" in a or "/usr/sbin/" in a]
    return inside[0] if inside else Path(argv[0]).name


def _row_counts(server: LocalServer, database: str) -> dict[str, int]:
    with connection(server.url(database)) as conn:
        tables = (
            conn.execute(
                text(
                    "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = :db "
                    "AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME"
                ),
                {"db": database},
            )
            .scalars()
            .all()
        )
        return {
            str(t): int(conn.execute(text(f"SELECT COUNT(*) FROM {quote_name(t)}")).scalar_one())
            for t in tables
        }


def restore_check(basedir: Path, dump: Path, database: str) -> tuple[int, int]:
    """Load `dump` into a scratch database and compare row counts with `database`.

    Returns (tables, rows) compared; raises `VerificationMismatch` when any count differs.
    The scratch database is dropped afterwards, also on failure.
    """
    check_name(database, "the database name")  # it goes into the sed script of `_load`
    server, env = existing_server(basedir), _secret_env()
    scratch = f"{database}_restore_check"[:64]
    argv, client_env = _client(server, "mysql")
    with connection(server.url(), begin=True) as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {quote_name(scratch)}"))
        conn.execute(text(f"CREATE DATABASE {quote_name(scratch)} CHARACTER SET utf8mb4"))
    try:
        _load(dump, database, scratch, argv, [env, env, client_env])
        want, have = _row_counts(server, database), _row_counts(server, scratch)
    finally:
        with connection(server.url(), begin=True) as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {quote_name(scratch)}"))
    if want != have:
        differ = sorted(t for t in set(want) | set(have) if want.get(t) != have.get(t))
        raise VerificationMismatch(
            f"restore check of {dump.name}: tables differ: {', '.join(differ)}"
        )
    return len(want), sum(want.values())


def _load(
    dump: Path, database: str, scratch: str, client: list[str], envs: list[dict[str, str]]
) -> None:
    """Decrypt, decompress and load `dump` into `scratch` (its USE statement rewritten).

    Both names are plain identifiers (`check_name`): nothing in them means anything to sed."""
    check_name(database, "the database name")
    check_name(scratch, "the scratch database name")
    rename = [
        "sed",
        "-e",
        f"s/^USE `{database}`;/USE `{scratch}`;/",
        "-e",
        f"/^CREATE DATABASE .*`{database}`/d",
    ]
    commands = [
        ["openssl", "enc", "-d", *CIPHER, "-in", str(dump)],
        ["gunzip", "-c"],
        rename,
        [*client, scratch],
    ]
    with open(os.devnull, "wb") as sink:
        failed = _pipeline(commands, [envs[0], envs[1], envs[1], envs[2]], sink)
    if failed:
        raise PseamigrateError(f"restore check of {dump.name} failed: {failed}")


def newest_dump(dest: Path, database: str) -> Path:
    """Return the newest dump of `database` in `dest`, or raise `UsageProblem`."""
    check_name(database, "the database name")  # a glob pattern is built from it
    dumps = sorted(dest.glob(f"{database}-*.sql.gz.enc"))
    if not dumps:
        raise UsageProblem(f"no dump of {database} in {dest}")
    return dumps[-1]
