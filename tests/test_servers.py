"""The harness's real servers: they answer, report their true versions, and stop cleanly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from pseamigrate.db import server_flavor
from pseamigrate.errors import ServerError
from pseamigrate.servers import LocalServer, new_server


def _version(server: LocalServer) -> str:
    engine = create_engine(server.url())
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SELECT VERSION()")).scalar_one())
    finally:
        engine.dispose()


def test_mariadb_is_a_real_mariadb_10_11_or_newer(mariadb_server: LocalServer) -> None:
    version = _version(mariadb_server)
    assert "MariaDB" in version
    major, minor = (int(part) for part in version.split(".")[:2])
    assert (major, minor) >= (10, 11)


def test_mysql_is_oracle_mysql_9_7(mysql_server: LocalServer) -> None:
    version = _version(mysql_server)
    assert version.startswith("9.7."), version
    assert "MariaDB" not in version


def test_server_flavor_tells_them_apart(any_server: LocalServer) -> None:
    engine = create_engine(any_server.url())
    try:
        with engine.connect() as conn:
            assert server_flavor(conn) == any_server.flavor
    finally:
        engine.dispose()


def test_servers_listen_on_loopback_only(any_server: LocalServer) -> None:
    engine = create_engine(any_server.url())
    try:
        with engine.connect() as conn:
            bind = conn.execute(text("SELECT @@bind_address")).scalar_one()
    finally:
        engine.dispose()
    assert bind == "127.0.0.1"


def test_stop_leaves_no_process(tmp_path: Path) -> None:
    server = new_server("mariadb", tmp_path / "m")
    server.initialize()
    server.start()
    assert server.process is not None
    pid = server.process.pid
    server.stop()
    assert not Path(f"/proc/{pid}").exists() or _is_zombie(pid)


def test_initialize_refuses_a_non_empty_datadir(tmp_path: Path) -> None:
    server = new_server("mariadb", tmp_path / "m")
    server.datadir.mkdir(parents=True)
    (server.datadir / "precious").write_text("keep me")
    with pytest.raises(ServerError, match="not empty"):
        server.initialize()
    assert (server.datadir / "precious").read_text() == "keep me"


def test_unknown_flavor_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ServerError, match="known: mariadb, mysql"):
        new_server("postgres", tmp_path)


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


def test_server_dies_with_its_parent(tmp_path: Path) -> None:
    """kill -9 of the program that started a server must not leave the server running."""
    import signal
    import subprocess
    import sys
    import time

    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from pseamigrate.servers import new_server\n"
        "s = new_server('mariadb', Path(sys.argv[1]))\n"
        "s.initialize(); s.start()\n"
        "print(s.process.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path / "orphan")], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    server_pid = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    parent.stdout.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _is_zombie(server_pid):
        time.sleep(0.2)
    assert _is_zombie(server_pid), "the server outlived the process that started it"


@pytest.mark.parametrize("flavor", ["mariadb", "mysql"])
def test_a_started_server_inherits_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flavor: str
) -> None:
    """#15: the toolkit's environment holds URLs with passwords; its servers must not see them."""
    from pseamigrate.servers import running_server

    secret = "pw-Env-7731-secret"
    monkeypatch.setenv("PSEA_TARGET_URL", f"mysql://migrator:{secret}@db.example/psea")
    monkeypatch.setenv("PSEA_SOURCE_PASSWORD", secret)
    monkeypatch.setenv("TZ", "UTC")
    with running_server(flavor, tmp_path / flavor) as server:  # type: ignore[arg-type]
        assert server.process is not None
        environ = Path(f"/proc/{server.process.pid}/environ").read_bytes()
    names = {entry.split(b"=")[0].decode() for entry in environ.split(b"\0") if entry}
    assert secret.encode() not in environ
    assert names <= {"PATH", "LANG", "LC_ALL", "HOME", "TZ", "GCONV_PATH"}, names
    assert "TZ" in names and "PATH" in names


def test_install_tools_get_the_minimal_environment_plus_proxies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pseamigrate.servers import mysql_prefix

    monkeypatch.setenv("PSEA_TARGET_URL", "mysql://m:pw-Env-7731-secret@db/psea")
    monkeypatch.setenv("https_proxy", "http://proxy.example:3128")
    shown = mysql_prefix._apt(tmp_path / "apt.conf", "env")
    names = {line.split("=")[0] for line in shown.splitlines()}
    assert "pw-Env-7731-secret" not in shown
    assert {"APT_CONFIG", "DEBIAN_FRONTEND", "https_proxy", "PATH"} <= names
    assert "https_proxy" not in mysql_prefix._run(["env"])
