"""Connections to MySQL/MariaDB through SQLAlchemy Core and PyMySQL.

URLs are only ever shown through `safe_url`, which hides the password.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import pymysql
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from pseamigrate.errors import ConnectionFailed

Flavor = Literal["mysql", "mariadb"]


def safe_url(url: URL) -> str:
    """Render a URL for people: the password is replaced by ***."""
    return url.render_as_string(hide_password=True)


def where(url: URL) -> str:
    """Say host:port/database, the part of a URL that helps a person find the server."""
    host = url.host or "localhost"
    port = f":{url.port}" if url.port else ""
    return f"{host}{port}/{url.database or ''}"


def make_engine(url: URL | str) -> Engine:
    """Create an engine that speaks utf8mb4 and recycles dropped connections.

    `url` is a SQLAlchemy URL or its string form; `mysql://` and `mariadb://` mean PyMySQL.
    `hide_parameters` keeps row values (names, narratives) out of error messages and logs.
    """
    if isinstance(url, str):
        url = make_url(url)
        if url.drivername in ("mysql", "mariadb"):
            url = url.set(drivername=f"{url.drivername}+pymysql")
    query = dict(url.query)
    query.setdefault("charset", "utf8mb4")
    return create_engine(
        url.set(query=query), pool_pre_ping=True, pool_recycle=3600, hide_parameters=True
    )


@contextmanager
def connection(url: URL, *, begin: bool = False) -> Iterator[Connection]:
    """Yield one connection on a short-lived engine (in a transaction with `begin`), then
    dispose of the engine, so no pool outlives the work."""
    engine = make_engine(url)
    try:
        with engine.begin() if begin else engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def connect_checked(url: URL, what: str) -> Engine:
    """Create an engine and prove it can connect, or raise `ConnectionFailed` naming `what`."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (OperationalError, DBAPIError) as exc:
        engine.dispose()
        raise ConnectionFailed(what, where(url), describe_db_error(exc)) from None
    return engine


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
