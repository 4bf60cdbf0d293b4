"""Real servers for the tests: one MariaDB and one Oracle MySQL 9.7 per test session (per worker
under pytest-xdist).

Each is private (own datadir, port and socket, 127.0.0.1 only) and stopped when the session ends.
Tests get a fresh, uniquely named database on them through `make_db`/`any_db`. pytest's temporary
directories, and with them every test server's datadir and tmpdir, live in memory (tmpfs) when the
machine has it: a real server still, without an fsync per `CREATE TABLE` (issue #26). Tests about
what reaches a disk take `disk_path` instead.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL

from pseamigrate.encryption.volumes import MEMORY_FILESYSTEMS, filesystem_of
from pseamigrate.servers import LocalServer, running_server
from tests.sites import SiteCache

# ../shared beside the checkout; git worktrees sit one level deeper, so look up the ancestors.
SHARED = next(
    (p / "shared" for p in Path(__file__).resolve().parents[1:4] if (p / "shared").is_dir()),
    Path(__file__).resolve().parents[1].parent / "shared",
)
DRUPAL_CORE_FIXTURES = SHARED / "fixtures" / "drupal-core"
_db_counter = itertools.count(1)
# Captured output is 160 columns wide (pseamigrate/console/__init__.py) unless COLUMNS says
# otherwise; pytest-xdist's workers get COLUMNS=80 from somewhere, which wraps long tmp paths in
# tables that tests read. Every process of the suite renders as a plain run does.
os.environ.pop("COLUMNS", None)
MEMORY_ROOT = Path("/dev/shm")
MEMORY_PREFIX = "pm"  # /dev/shm/pm<pid of the pytest session>
MEMORY_BASE_ENV = "PSEAMIGRATE_TEST_MEMORY"  # "0" keeps pytest's temporary folders on disk


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Put pytest's base temporary folder on tmpfs unless one is given (or we are a worker, which
    gets a folder inside the controller's)."""
    if config.option.basetemp or hasattr(config, "workerinput"):
        return
    if os.environ.get(MEMORY_BASE_ENV) == "0" or not _in_memory(MEMORY_ROOT):
        return
    _remove_stale_bases()
    # Short: socket paths must stay under 108 bytes, and rendered tables under 80 columns wrap
    # long paths that tests look for.
    base = MEMORY_ROOT / f"{MEMORY_PREFIX}{os.getpid()}"
    config.option.basetemp = str(base)
    config.stash[_memory_base] = base


def pytest_unconfigure(config: pytest.Config) -> None:
    """Give the memory back: the base folder goes when the session ends."""
    base = config.stash.get(_memory_base, None)
    if base is not None:
        shutil.rmtree(base, ignore_errors=True)


_memory_base = pytest.StashKey[Path]()


def _in_memory(path: Path) -> bool:
    return path.is_dir() and os.access(path, os.W_OK) and filesystem_of(path) in MEMORY_FILESYSTEMS


def _remove_stale_bases() -> None:
    """Remove base folders of sessions that died without their `pytest_unconfigure`."""
    for stale in MEMORY_ROOT.glob(f"{MEMORY_PREFIX}*"):
        pid = stale.name.removeprefix(MEMORY_PREFIX)
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(stale, ignore_errors=True)


@pytest.fixture
def disk_path() -> Iterator[Path]:
    """A folder on a real disk (not tmpfs), for tests about what reaches a disk; removed after."""
    folder = Path(tempfile.mkdtemp(prefix="pseamigrate-disk-", dir="/var/tmp"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def sample_sites(tmp_path_factory: pytest.TempPathFactory) -> SiteCache:
    """Generated sample sites built once per server and kind, copied server-side for each use."""
    return SiteCache(tmp_path_factory.mktemp("site-templates"))


@pytest.fixture(scope="session")
def mariadb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """A MariaDB server from Debian's archive, for the whole session."""
    with running_server("mariadb", tmp_path_factory.mktemp("mariadb")) as server:
        yield server


@pytest.fixture(scope="session")
def mysql_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """An Oracle MySQL 9.7 server from the sid prefix, for the whole session."""
    with running_server("mysql", tmp_path_factory.mktemp("mysql")) as server:
        yield server


@pytest.fixture(params=["mariadb", "mysql"])
def any_server(request: pytest.FixtureRequest) -> LocalServer:
    """Each test using this runs once on MariaDB and once on MySQL."""
    server: LocalServer = request.getfixturevalue(f"{request.param}_server")
    return server


DatabaseFactory = Callable[[LocalServer], URL]


@pytest.fixture
def make_db() -> Iterator[DatabaseFactory]:
    """Create uniquely named utf8mb4 databases on a server; drop them after the test."""
    created: list[tuple[LocalServer, str]] = []

    def make(server: LocalServer) -> URL:
        name = f"t{next(_db_counter)}_{server.flavor}"
        _admin(server, f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        created.append((server, name))
        return server.url(name)

    yield make
    for server, name in created:
        if server.process is not None:
            _admin(server, f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture
def any_db(any_server: LocalServer, make_db: DatabaseFactory) -> URL:
    """A fresh empty database, once on MariaDB and once on MySQL."""
    return make_db(any_server)


@pytest.fixture
def engine_for() -> Iterator[Callable[[URL], Engine]]:
    """Create engines that are disposed of after the test."""
    engines: list[Engine] = []

    def make(url: URL) -> Engine:
        engine = create_engine(url)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


def _admin(server: LocalServer, statement: str) -> None:
    engine = create_engine(server.url())
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


# --- Drupal core fixture databases (#4) -------------------------------------------------------

DRUPAL_DUMPS = {
    "d7": "d7_migrate_fixture.sql.gz",
    "d9": "d9_4_filled_standard.sql.gz",
    "d10": "d10_3_filled_standard.sql.gz",
    "d11": "d11_3_filled_standard.sql.gz",
}


def load_drupal_dump(server: LocalServer, database: str, dump: str) -> None:
    """Load one of the shared Drupal core dumps into `database` with the mariadb client."""
    import gzip
    import subprocess

    path = DRUPAL_CORE_FIXTURES / DRUPAL_DUMPS[dump]
    program, env = ["mariadb"], None
    if server.flavor == "mysql":  # the dumps are MariaDB-made; MySQL 9.7's client loads them too
        program = server.kind.client_command("mysql")  # type: ignore[attr-defined]
        env = server.kind.environment()
    client = [*program, "-h127.0.0.1", f"-P{server.port}", "-uroot", database]
    with gzip.open(path, "rb") as sql:
        done = subprocess.run(client, input=sql.read(), capture_output=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"loading {path.name} failed: {done.stderr.decode()[-500:]}")


def need_drupal_fixtures(where: Path = DRUPAL_CORE_FIXTURES) -> None:
    """Skip, saying why, when ../shared is absent; in CI (which has it) fail instead."""
    if where.is_dir():
        return
    message = f"Drupal core fixtures not found at {where}"
    if os.environ.get("CI"):
        pytest.fail(f"{message}: CI must run with ../shared beside the checkout")
    pytest.skip(message)


def _load_core(server: LocalServer) -> dict[str, URL]:
    need_drupal_fixtures()
    urls = {}
    for name in DRUPAL_DUMPS:
        database = f"core_{name}"
        _admin(server, f"CREATE DATABASE IF NOT EXISTS `{database}` CHARACTER SET utf8mb4")
        load_drupal_dump(server, database, name)
        urls[name] = server.url(database)
    return urls


@pytest.fixture(scope="session")
def drupal_core(mariadb_server: LocalServer) -> dict[str, URL]:
    """The four Drupal core databases on MariaDB, loaded once (read-only: do not modify)."""
    return _load_core(mariadb_server)


@pytest.fixture(scope="session")
def drupal_core_mysql(mysql_server: LocalServer) -> dict[str, URL]:
    """The same four databases on Oracle MySQL 9.7, loaded once (read-only)."""
    return _load_core(mysql_server)


@pytest.fixture(params=["mariadb", "mysql"])
def drupal_core_any(request: pytest.FixtureRequest) -> dict[str, URL]:
    """The Drupal core databases, once on MariaDB and once on MySQL 9.7."""
    name = "drupal_core" if request.param == "mariadb" else "drupal_core_mysql"
    urls: dict[str, URL] = request.getfixturevalue(name)
    return urls


@pytest.fixture
def drupal_copy(mariadb_server: LocalServer, make_db: DatabaseFactory) -> Callable[[str], URL]:
    """Load a private copy of one Drupal core dump (for tests that change it)."""
    need_drupal_fixtures()

    def make(dump: str) -> URL:
        url = make_db(mariadb_server)
        assert url.database is not None
        load_drupal_dump(mariadb_server, url.database, dump)
        return url

    return make


@pytest.fixture(scope="module", params=["mysql", "mariadb"])
def enc_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalServer]:
    """A private server per flavor and test module, taken through encryption setup -> restart ->
    enable (#6). Private because encryption tests restart and reconfigure it."""
    from pseamigrate.encryption.commands import enable_encryption
    from pseamigrate.encryption.setup import apply_setup, plan_setup

    basedir = tmp_path_factory.mktemp(f"enc-{request.param}")
    # A binary log on both (MySQL has one by default), so the on-disk proof can fail for it.
    options = {"log-bin": "binlog"} if request.param == "mariadb" else {}
    with running_server(request.param, basedir, options) as server:
        apply_setup(server, plan_setup(server))
        server.restart()
        enable_encryption(server.url(), purge_binlogs=True)
        yield server
