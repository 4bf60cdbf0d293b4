"""MariaDB from Debian's own archive (`mariadb-install-db`, `mariadbd`)."""

from __future__ import annotations

import shutil
import subprocess
from typing import TYPE_CHECKING

from pseamigrate.childenv import child_env
from pseamigrate.db import Flavor
from pseamigrate.errors import ServerError

if TYPE_CHECKING:
    from pseamigrate.servers.instance import LocalServer


class MariaDBKind:
    """How to install and run a private MariaDB instance."""

    flavor: Flavor = "mariadb"

    def base_options(self, server: LocalServer) -> dict[str, str]:
        return {
            "character-set-server": "utf8mb4",
            "collation-server": "utf8mb4_unicode_ci",
            "innodb_buffer_pool_size": "128M",
            "max_allowed_packet": "256M",
            "skip-name-resolve": "",
        }

    def initialize(self, server: LocalServer) -> None:
        install_db = _binary("mariadb-install-db")
        argv = [
            install_db,
            f"--defaults-file={server.config_path}",  # must come first: keeps /etc/mysql out
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ]
        done = subprocess.run(
            argv, capture_output=True, text=True, env=self.environment(), check=False
        )
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-8:])
            raise ServerError(f"mariadb-install-db failed in {server.datadir}:\n{tail}")

    def server_command(self, server: LocalServer) -> list[str]:
        return [_binary("mariadbd"), f"--defaults-file={server.config_path}"]

    def environment(self) -> dict[str, str]:
        return child_env()


def _binary(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if found is None:
        raise ServerError(f"{name} not found: install Debian's mariadb-server (run scripts/setup)")
    return found
