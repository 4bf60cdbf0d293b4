"""Connections to MySQL/MariaDB through SQLAlchemy Core, PyMySQL and mysqlclient.

Legacy sites are read through mysqlclient (`reading`) when it is installed (the `fast` extra,
#25): its rows are parsed in C, four to six times faster than PyMySQL's, and parsing source rows
was the largest single cost of a migration. Without it they are read through PyMySQL, with the
same results (tests/drupal/test_read_driver.py compares the two). Everything else (the target,
servers we start) goes through PyMySQL. Both speak the same TLS policy and their errors the same
codes. mysqlclient is imported only when a site is read or the driver is asked for
(`read_driver`), never when this module is.

URLs are never shown whole: messages name `where(url)` (host:port/database), never the
password. Server error messages are shown through `describe_db_error`, which hides the values
they quote. Identifiers that come from data or a project file (table, column, database and
account names, tenant codes) are put into SQL only through `quote_name` (`pseamigrate/names.py`,
re-exported here), which refuses any name outside `[A-Za-z0-9_]` (`UnsafeIdentifier`) instead
of escaping it.

Transport (issue #15 item 2): a connection to a server that is not on loopback or a socket
uses TLS and verifies the server's certificate (against `ssl_ca`, else the system's CAs), and
is refused if the server does not speak TLS. `tls=off` in the URL query (the project file's
`tls: off`) is accepted only for loopback and sockets. See docs/configuration.md.
"""

from __future__ import annotations

import re
import ssl
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from typing import Any, Literal

import pymysql
from pymysql import converters as pymysql_converters
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from pseamigrate import jsontext
from pseamigrate.errors import ConfigError, ConnectionFailed
from pseamigrate.names import check_name as check_name  # re-exported: the one helper
from pseamigrate.names import quote_listed_name as quote_listed_name
from pseamigrate.names import quote_name as quote_name

Flavor = Literal["mysql", "mariadb"]


TIMEOUTS = {"connect_timeout": 10, "read_timeout": 3600, "write_timeout": 600}
# Client and server codes that mean the connection is gone: 2006 gone away, 2013 lost during a
# query, 2055 lost at handshake, 1053 server shutdown, 1927 MariaDB's connection killed, 4031
# MySQL's disconnected for inactivity.
LOST_CONNECTION = frozenset({2006, 2013, 2055, 1053, 1927, 4031})
# A quoted literal in a server message ('...' with '', \' or an apostrophe before a letter, as
# in O'Brien, inside); an apostrophe inside a word (Can't) opens none.
_QUOTED = re.compile(r"(?<!\w)'((?:[^'\\]|\\.|''|'(?=\w))*)'(?!\w)")
_WORD_BEFORE = re.compile(r"(\S*)\s*$")
# Messages that quote a value, matched greedily to their known end (MySQL and MariaDB wording).
_VALUE_MESSAGES = [
    (
        re.compile(r"Duplicate entry '.*' for key '([\w.$-]*)'", re.S),
        r"Duplicate entry '?' for key '\1'",
    ),
    (
        re.compile(r"(Incorrect [\w ]+ value): '.*'( for column [`'\w.$-]+ at row \d+)", re.S),
        r"\1: '?'\2",
    ),
    (re.compile(r"(Truncated incorrect [\w ]+ value): '.*'", re.S), r"\1: '?'"),
    (re.compile(r"(.*) near '.*' at line (\d+)", re.S), r"\1 near '?' at line \2"),
]
# Words after which a quoted literal names a thing (a key, a column, a user), not a value.
_NAMES = {"key", "column", "table", "database", "schema", "user", "in", "on", "index", "constraint"}


def where(url: URL) -> str:
    """Say host:port/database, the part of a URL that helps a person find the server."""
    host = url.host or "localhost"
    port = f":{url.port}" if url.port else ""
    return f"{host}{port}/{url.database or ''}"


LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}
TLS_FILES = ("ssl_ca", "ssl_cert", "ssl_key")
TLS_MODES = ("verify", "off")


def is_loopback(url: URL) -> bool:
    """Tell whether `url` reaches its server without leaving this host (loopback or socket)."""
    return not url.host or url.host in LOOPBACK_HOSTS or "unix_socket" in url.query


def tls_policy(url: URL) -> tuple[URL, dict[str, Any]]:
    """Split the TLS settings out of `url`: return the driver's URL and its connect arguments.

    Non-local servers (and any URL naming `ssl_*` files or `tls=verify`) get an SSLContext
    that verifies the certificate and the host name; `tls=off` is refused unless loopback.
    """
    query = dict(url.query)
    mode = str(query.pop("tls", "")).lower()
    files = {key: str(query.pop(key)) for key in TLS_FILES if key in query}
    driver_url = url.set(query=query)
    if mode and mode not in TLS_MODES:
        raise ConfigError(f"tls: {mode!r} is not one of {', '.join(TLS_MODES)}")
    mysqldb = url.get_driver_name() == "mysqldb"
    if mode == "off":
        if not is_loopback(url):
            raise ConfigError(
                f"tls: off is allowed only for loopback or a socket, not for {where(url)}"
            )
        return driver_url, {"ssl_mode": "DISABLED"} if mysqldb else {"ssl_disabled": True}
    if not (files or mode == "verify" or not is_loopback(url)):
        return driver_url, {}
    try:
        context = ssl.create_default_context(cafile=files.get("ssl_ca"))
        if "ssl_cert" in files:
            context.load_cert_chain(files["ssl_cert"], files.get("ssl_key"))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"TLS files for {where(url)} cannot be used: {exc.strerror or exc}"
        ) from None
    return driver_url, _mysqldb_tls(files) if mysqldb else {"ssl": context}


def _mysqldb_tls(files: dict[str, str]) -> dict[str, Any]:
    """The same policy in mysqlclient's words: VERIFY_IDENTITY checks the certificate against
    the CA and the host name, and refuses a server without TLS (the files were checked above,
    by loading them into an SSLContext). Without ssl_ca, the system's CAs, named explicitly:
    the C library does not look them up by itself."""
    options = {key.removeprefix("ssl_"): path for key, path in files.items()}
    if "ca" not in options:
        system = ssl.get_default_verify_paths()
        if system.cafile:
            options["ca"] = system.cafile
        elif system.capath:
            options["capath"] = system.capath
    return {"ssl": options, "ssl_mode": "VERIFY_IDENTITY"}


@dataclass(frozen=True)
class ReadDriver:
    """The driver that reads legacy sites: mysqlclient when installed, else PyMySQL."""

    name: str  # the package: "mysqlclient" or "PyMySQL"
    dialect: str  # SQLAlchemy's name for it: "mysqldb" or "pymysql"
    version: str
    missing: str = ""  # why mysqlclient is not used ("" when it is)

    @property
    def fast(self) -> bool:
        """Tell whether rows are parsed in C (mysqlclient)."""
        return self.dialect == "mysqldb"


# What an operator does to read sites faster; the package names are Debian's (#25, README).
FAST_READER_HINT = (
    "install pseamigrate[fast] (mysqlclient, 4-6x faster reads; building it needs "
    "libmariadb-dev pkg-config gcc libc6-dev python3-dev)"
)


@cache
def read_driver() -> ReadDriver:
    """Return the driver `reading` gives legacy sites: mysqlclient if it imports, else PyMySQL."""
    try:
        import MySQLdb  # noqa: F401  (the fast extra; a missing C library fails here too)
    except ImportError as exc:
        return ReadDriver("PyMySQL", "pymysql", metadata.version("PyMySQL"), str(exc))
    return ReadDriver("mysqlclient", "mysqldb", metadata.version("mysqlclient"))


def reading(url: URL) -> URL:
    """Return `url` with the driver that reads legacy sites (`read_driver`).

    The C library takes the host `localhost` to mean its default socket, whatever the port;
    PyMySQL, and so the URLs people write, mean TCP to this host: it is said as 127.0.0.1."""
    driver = read_driver()
    if driver.fast and url.host == "localhost" and "unix_socket" not in url.query:
        url = url.set(host="127.0.0.1")
    return url.set(drivername=f"{url.get_backend_name()}+{driver.dialect}")


@cache
def _mysqldb_conversions() -> dict[Any, Any]:
    # mysqlclient reads a date it cannot parse ('0000-00-00', as legacy rows hold) as None;
    # PyMySQL keeps its text. A legacy value must not vanish, so mysqlclient reads dates and
    # times as PyMySQL does (tests/drupal/test_read_driver.py compares the two on every table).
    from MySQLdb import converters as mysqldb_converters
    from MySQLdb.constants import FIELD_TYPE

    return {
        **mysqldb_converters.conversions,
        FIELD_TYPE.DATETIME: pymysql_converters.convert_datetime,
        FIELD_TYPE.TIMESTAMP: pymysql_converters.convert_datetime,
        FIELD_TYPE.DATE: pymysql_converters.convert_date,
        FIELD_TYPE.TIME: pymysql_converters.convert_timedelta,
    }


def make_engine(url: URL | str) -> Engine:
    """Create an engine that speaks utf8mb4, recycles dropped connections and enforces TLS.

    `url` is a SQLAlchemy URL or its string form; `mysql://` and `mariadb://` mean PyMySQL
    (`reading` turns a URL to mysqlclient).
    `hide_parameters` keeps row values (names, narratives) out of error messages and logs.
    """
    if isinstance(url, str):
        url = make_url(url)
        if url.drivername in ("mysql", "mariadb"):
            url = url.set(drivername=f"{url.drivername}+pymysql")
    driver_url, connect_args = tls_policy(url)
    if url.get_driver_name() == "mysqldb":
        connect_args["conv"] = _mysqldb_conversions()
    query = dict(driver_url.query)
    query.setdefault("charset", "utf8mb4")
    for name, seconds in TIMEOUTS.items():
        query.setdefault(name, str(seconds))
    engine = create_engine(
        driver_url.set(query=query),
        pool_pre_ping=True,
        pool_recycle=3600,
        hide_parameters=True,
        connect_args=connect_args,
        # JSON columns (`extra`, revision snapshots) as compact UTF-8 text, encoded in C.
        json_serializer=jsontext.column_text,
    )
    if "ssl" in connect_args:
        event.listen(engine, "connect", _require_tls(url))
    return engine


def _require_tls(url: URL) -> Callable[[Any, Any], None]:
    # PyMySQL falls back to plaintext when the server offers no TLS; refuse that connection.
    def check(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
            row = cursor.fetchone()
        finally:
            cursor.close()
        if not row or not row[1]:
            dbapi_connection.close()
            raise ConnectionFailed(
                "the server",
                where(url),
                "it does not speak TLS (refused: plaintext over a network)",
            )

    return check


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


def describe_db_error(exc: DBAPIError, table: str | None = None) -> str:
    """Turn a driver error into a one-line reason: the server's code, the table if given, and
    its message with every quoted value hidden (`Duplicate entry '?' for key 'mail'`)."""
    orig = exc.orig
    on = f" on table {table}" if table else ""
    if is_driver_error(orig) and orig is not None and orig.args:
        code = orig.args[0]
        message = str(orig.args[1]) if len(orig.args) > 1 else ""
        tls = _tls_reason(message)
        message = message.split("(")[0].strip() if "Can't connect" in message else message
        return f"MySQL error {code}{on}: {hide_values(message)}{tls}"
    return (type(orig).__name__ if orig is not None else type(exc).__name__) + on


_UNVERIFIED = "TLS: certificate verify failed (is ssl_ca the server's CA?)"
TLS_REASONS = {
    "certificate verify failed": _UNVERIFIED,
    # mysqlclient (MariaDB Connector/C) words the same refusals its own way
    "certificate signature failure": _UNVERIFIED,
    "unable to get local issuer certificate": _UNVERIFIED,
    "self-signed certificate": _UNVERIFIED,
    "validation of ssl server certificate failed": _UNVERIFIED,
    "mismatch": "TLS: the certificate does not name this host",
    "wrong version number": "TLS: the server does not speak TLS on this port",
}


def _tls_reason(message: str) -> str:
    # The driver's TLS errors sit inside the parenthesis the line above drops; keep their gist.
    lowered = message.lower()
    return next((f" ({why})" for key, why in TLS_REASONS.items() if key in lowered), "")


def hide_values(message: str) -> str:
    """Replace each quoted literal of a server message by '?', unless it names a thing.

    Servers quote the offending value in errors such as 1062 (`Duplicate entry
    'name@example.org'`), 1366 and 1292; keys, columns and users stay readable. A value may hold
    quotes itself (`'O'Brien'`), so the messages known to carry one are matched whole first."""
    for pattern, shown in _VALUE_MESSAGES:
        if pattern.fullmatch(message):
            return pattern.sub(shown, message)

    def keep_names(match: re.Match[str]) -> str:
        before = _WORD_BEFORE.search(message, 0, match.start())
        word = before.group(1) if before else ""
        named = word.lower() in _NAMES or word.endswith("@")
        literal = match.group(1)
        return f"'{literal if named and _is_name(literal) else '?'}'"

    return _QUOTED.sub(keep_names, message)


def _is_name(text: str) -> bool:
    """Tell an identifier-like literal (`users.mail`, `PRIMARY`, `localhost`) from a value."""
    return re.fullmatch(r"[\w.$-]{1,128}", text) is not None


def error_code(exc: BaseException) -> int | None:
    """Return the server or client error code behind a SQLAlchemy or driver error, if any."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if is_driver_error(orig) and orig is not None and orig.args and isinstance(orig.args[0], int):
        code: int = orig.args[0]
        return code
    return None


def is_driver_error(error: BaseException | None) -> bool:
    """Tell whether `error` is PyMySQL's or mysqlclient's own (it carries the server's code).

    mysqlclient is looked up among the imported modules, not imported: before it is, none of
    its errors can exist."""
    kinds: list[type[BaseException]] = [pymysql.err.MySQLError]
    mysqldb = sys.modules.get("MySQLdb")
    if mysqldb is not None:
        kinds.append(mysqldb.MySQLError)
    return isinstance(error, tuple(kinds))


def is_lost_connection(exc: DBAPIError) -> bool:
    """Tell whether an error means the connection to the server is gone (killed, stalled)."""
    return exc.connection_invalidated or error_code(exc) in LOST_CONNECTION


def server_flavor(conn: Connection) -> Flavor:
    """Tell Oracle MySQL from MariaDB by the server's own version string."""
    version = str(conn.execute(text("SELECT VERSION()")).scalar_one())
    return "mariadb" if "mariadb" in version.lower() else "mysql"


def server_version(conn: Connection) -> str:
    """Return `SELECT VERSION()` of the server behind `conn`."""
    return str(conn.execute(text("SELECT VERSION()")).scalar_one())
