"""Connections to MySQL/MariaDB through SQLAlchemy Core and PyMySQL.

URLs are never shown whole: messages name `where(url)` (host:port/database), never the
password.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Literal

import pymysql
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import DBAPIError, OperationalError

from pseamigrate.errors import ConnectionFailed

Flavor = Literal["mysql", "mariadb"]


def where(url: URL) -> str:
    """Say host:port/database, the part of a URL that helps a person find the server."""
    host = url.host or "localhost"
    port = f":{url.port}" if url.port else ""
    return f"{host}{port}/{url.database or ''}"


def make_engine(url: URL) -> Engine:
    """Create an engine that speaks utf8mb4 and recycles dropped connections.

    `hide_parameters` keeps row values (names, narratives) out of error messages and logs.
    """
    query = dict(url.query)
    query.setdefault("charset", "utf8mb4")
    return create_engine(
        url.set(query=query), pool_pre_ping=True, pool_recycle=3600, hide_parameters=True
    )


@contextmanager
def connection(
    url: URL, what: str = "the database", *, begin: bool = False, autocommit: bool = False
) -> Iterator[Connection]:
    """Open the one connection a piece of work needs, and close it with its engine.

    Every caller connects through here. A server that cannot be reached raises
    `ConnectionFailed` naming `what` (e.g. "site 'iraq'"), never the password. With `begin` the
    work runs in one transaction (committed on success, rolled back on an exception); with
    `autocommit` every statement commits by itself (DDL, SET PERSIST). The short-lived engine is
    disposed at the end, so no pool outlives the work."""
    engine = make_engine(url)
    try:
        try:
            conn = engine.connect()
        except (OperationalError, DBAPIError) as exc:
            raise ConnectionFailed(what, where(url), describe_db_error(exc)) from None
        with conn:
            if autocommit:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            with conn.begin() if begin else nullcontext():
                yield conn
    finally:
        engine.dispose()


@contextmanager
def engine(url: URL, what: str = "the database") -> Iterator[Engine]:
    """Yield the engine behind a checked `connection` (for work that needs several connections,
    like a migration's lock and its batches); disposed with it."""
    with connection(url, what) as conn:
        yield conn.engine


def describe_db_error(exc: DBAPIError) -> str:
    """Turn a driver error into a one-line reason without SQL parameters or secrets."""
    orig = exc.orig
    if isinstance(orig, pymysql.err.MySQLError) and orig.args:
        code = orig.args[0]
        message = str(orig.args[1]) if len(orig.args) > 1 else ""
        message = message.split("(")[0].strip() if "Can't connect" in message else message
        return f"MySQL error {code}: {message}"
    return type(orig).__name__ if orig is not None else type(exc).__name__


def server_flavor(conn: Connection) -> Flavor:
    """Tell Oracle MySQL from MariaDB by the server's own version string."""
    version = str(conn.execute(text("SELECT VERSION()")).scalar_one())
    return "mariadb" if "mariadb" in version.lower() else "mysql"


def server_version(conn: Connection) -> str:
    """Return `SELECT VERSION()` of the server behind `conn`."""
    return str(conn.execute(text("SELECT VERSION()")).scalar_one())
