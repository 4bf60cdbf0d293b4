"""A throwaway MySQL or MariaDB server: its own datadir, port and socket, on 127.0.0.1 only.

Tests, the demo and benchmarks start these. The server process is tied to ours (it receives
SIGTERM if we die, even by kill -9) and `stop()` runs on context exit, Ctrl-C included, so no
server outlives the program that started it.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pymysql
from sqlalchemy.engine import URL

from pseamigrate.db import Flavor
from pseamigrate.errors import ServerError
from pseamigrate.paths import private_folder

PR_SET_PDEATHSIG = 1
START_TIMEOUT = 90.0
STARTING_GRACE = 5.0


class ServerKind(Protocol):
    """What differs between MySQL and MariaDB: how to install a datadir and run the server."""

    flavor: Flavor

    def base_options(self, server: LocalServer) -> dict[str, str]: ...

    def initialize(self, server: LocalServer) -> None: ...

    def server_command(self, server: LocalServer) -> list[str]: ...

    def environment(self) -> dict[str, str]: ...


@dataclass
class LocalServer:
    """One private server instance living entirely under `basedir`."""

    kind: ServerKind
    basedir: Path
    port: int = 0
    options: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    ready: bool = field(default=False, repr=False)  # answered since the last start
    # What the kernel sends the server when the process that started it dies (even by SIGKILL).
    # A copy holding data and keys uses SIGKILL: mariadbd ignores a SIGTERM that arrives while it
    # starts (measured on 10.11), and such a copy then outlived a killed `backup-key`.
    parent_death_signal: int = field(default=signal.SIGTERM, repr=False)

    @property
    def flavor(self) -> Flavor:
        return self.kind.flavor

    @property
    def datadir(self) -> Path:
        return self.basedir / "data"

    @property
    def socket_path(self) -> Path:
        return self.basedir / "run" / "mysqld.sock"

    @property
    def config_path(self) -> Path:
        return self.basedir / "my.cnf"

    @property
    def log_path(self) -> Path:
        return self.basedir / "mysqld.log"

    def url(self, database: str | None = None, user: str = "root") -> URL:
        """Return the URL of this server for `user` (root has no password on throwaway servers)."""
        return URL.create(
            "mysql+pymysql", username=user, host="127.0.0.1", port=self.port, database=database
        )

    def socket_url(self, database: str | None = None, user: str = "root") -> URL:
        """Return the URL of this server over its Unix socket (works with skip-networking)."""
        return URL.create(
            "mysql+pymysql",
            username=user,
            database=database,
            query={"unix_socket": str(self.socket_path)},
        )

    def write_config(self) -> None:
        """Write my.cnf from the kind's base options plus `self.options` (which win).

        Only `initialize` and explicit callers write it: `start` never does, so what an operator
        or `encryption setup` added to the file survives restarts (issue #14 item 2).
        """
        self._make_dirs()
        merged = {**self._private_options(), **self.kind.base_options(self), **self.options}
        lines = ["[mysqld]"] + [k if v == "" else f"{k}={v}" for k, v in merged.items()]
        self.config_path.write_text("\n".join(lines) + "\n")

    def _make_dirs(self) -> None:
        """Create the run/ and tmp directories the configuration names (tmpfs ones vanish)."""
        (self.basedir / "run").mkdir(parents=True, exist_ok=True)
        tmpdir = Path(self.options.get("tmpdir") or self.basedir / "tmp")
        if not tmpdir.exists():
            private_folder(tmpdir)  # and any missing parent: 0700 too (#30 lows)

    def _private_options(self) -> dict[str, str]:
        """Options every kind needs to keep the instance to itself and to loopback."""
        return {
            "user": "root",
            "datadir": str(self.datadir),
            "port": str(self.port),
            "bind-address": "127.0.0.1",
            "socket": str(self.socket_path),
            "pid-file": str(self.basedir / "run" / "mysqld.pid"),
            "log-error": str(self.log_path),
            "tmpdir": str(self.basedir / "tmp"),
        }

    def initialize(self) -> None:
        """Create the datadir with the system tables (refuses an existing one)."""
        if self.datadir.exists() and any(self.datadir.iterdir()):
            raise ServerError(f"{self.datadir} is not empty; refusing to initialise over it")
        self.basedir.mkdir(parents=True, exist_ok=True)
        if not self.port:
            self.port = free_port()
        self.write_config()
        self.kind.initialize(self)

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start the server and wait until it answers on its socket (or TCP port)."""
        if self.process is not None and self.process.poll() is None:
            return
        self._make_dirs()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.kind.server_command(self),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=self.kind.environment(),
                preexec_fn=functools.partial(_die_with_parent, self.parent_death_signal),
            )
        self._wait_until_ready(timeout)

    def stop(self, slow: bool = False, timeout: float = 120.0) -> None:
        """Stop the server; `slow` flushes every page to disk first (innodb_fast_shutdown=0)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        if slow:
            self._slow_shutdown_setting()
        # A SIGTERM that reaches mariadbd before it is ready leaves it hanging in its start-up
        # (measured on 10.11): a server stopped while starting gets a short grace, then SIGKILL.
        grace, self.ready = (timeout if self.ready else STARTING_GRACE), False
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def restart(self) -> None:
        """Stop and start again (after a change to `options`)."""
        self.stop()
        self.start()

    def log_tail(self, lines: int = 15) -> str:
        """Return the last lines of the server's error log."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                self.process = None
                raise ServerError(
                    f"{self.flavor} server in {self.basedir} exited at start:\n{self.log_tail()}"
                )
            if self.answers():
                self.ready = True
                return
            time.sleep(0.1)
        self.stop()
        raise ServerError(f"{self.flavor} server did not answer within {timeout:.0f}s")

    def answers(self) -> bool:
        """Tell whether a server answers on this instance's socket or TCP port."""
        return _answers(unix_socket=str(self.socket_path)) or (
            bool(self.port) and _answers(port=self.port)
        )

    def _slow_shutdown_setting(self) -> None:
        try:
            with (
                _root_connection(unix_socket=str(self.socket_path)) as conn,
                conn.cursor() as cursor,
            ):
                cursor.execute("SET GLOBAL innodb_fast_shutdown = 0")
        except (OSError, pymysql.MySQLError) as exc:
            raise ServerError(f"cannot ask for a slow shutdown: {exc.args[0]}") from None


def _answers(port: int = 0, unix_socket: str = "") -> bool:
    """Tell whether a server answers at all: a refusal (TLS required, access denied) counts."""
    try:
        with _root_connection(port, unix_socket):
            return True
    except OSError:
        return False
    except pymysql.MySQLError as exc:
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
        return code not in CLIENT_SIDE_ERRORS and code != 0


@contextmanager
def _root_connection(port: int = 0, unix_socket: str = "") -> Iterator[pymysql.Connection]:
    """Connect as password-less root over our own socket object, closed whatever happens.

    PyMySQL leaks its socket when the connect itself fails (a ResourceWarning, an error in the
    tests), so the socket is opened here and handed to it.
    """
    family = socket.AF_UNIX if unix_socket else socket.AF_INET
    address: str | tuple[str, int] = unix_socket or ("127.0.0.1", port)
    conn = pymysql.connect(host="127.0.0.1", user="root", defer_connect=True)
    with socket.socket(family, socket.SOCK_STREAM) as raw:
        raw.settimeout(1)
        raw.connect(address)
        conn.connect(raw)
        try:
            yield conn
        finally:
            conn.close()


# Client-side errors (CR_*): nothing answered yet. A server error (e.g. 3159 "secure transport
# required", 1045 access denied) means the server is up.
CLIENT_SIDE_ERRORS = range(2000, 3000)


def _die_with_parent(death_signal: int) -> None:
    # Runs in the child before exec: if this Python process dies, even by SIGKILL, the kernel
    # sends the server `death_signal`, so no throwaway server is left behind.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, death_signal)
    os.setpgrp()  # Ctrl-C in a terminal reaches us, not the server; we stop it in order.


def free_port() -> int:
    """Ask the kernel for a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(
    flavor: Flavor, basedir: Path, options: dict[str, str] | None = None
) -> Iterator[LocalServer]:
    """Initialise and start a fresh server under `basedir`; stop it on exit."""
    from pseamigrate.servers import new_server

    server = new_server(flavor, basedir, options or {})
    try:
        server.initialize()
        server.start()
        yield server
    finally:
        server.stop()
        _remove_outside_tmpdir(server)


def _remove_outside_tmpdir(server: LocalServer) -> None:
    # `encryption setup` may point tmpdir at a private tmpfs directory (docs/encryption.md);
    # a throwaway server leaves it behind empty, and memory is not ours to keep.
    tmpdir = Path(server.options.get("tmpdir") or server.basedir / "tmp")
    if tmpdir.is_relative_to(server.basedir) or not tmpdir.name.startswith("pseamigrate-"):
        return
    with contextlib.suppress(OSError):  # not empty or gone: leave it
        tmpdir.rmdir()
