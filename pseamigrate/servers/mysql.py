"""Oracle MySQL 9.7 run from the private sid prefix (see mysql_prefix.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from pseamigrate.db import Flavor
from pseamigrate.errors import ServerError
from pseamigrate.servers.mysql_prefix import ensure_mysql_prefix, loader_command, loader_env

if TYPE_CHECKING:
    from pseamigrate.servers.instance import LocalServer

# With skip-name-resolve, root@localhost matches only the socket; tests connect over TCP.
ROOT_OVER_TCP = """\
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
"""


class MySQLKind:
    """How to install and run a private Oracle MySQL instance."""

    flavor: Flavor = "mysql"

    def __init__(self, prefix: Path | None = None) -> None:
        self._prefix = prefix

    @property
    def prefix(self) -> Path:
        if self._prefix is None:
            self._prefix = ensure_mysql_prefix()
        return self._prefix

    def base_options(self, server: LocalServer) -> dict[str, str]:
        prefix = self.prefix
        return {
            "basedir": str(prefix / "usr"),
            "plugin-dir": str(prefix / "usr/lib/mysql/plugin"),
            "lc-messages-dir": str(prefix / "usr/share/mysql"),
            "character-sets-dir": str(prefix / "usr/share/mysql/charsets"),
            "secure-file-priv": str(server.basedir / "tmp"),
            "mysqlx": "OFF",
            "skip-name-resolve": "",
            "innodb_redo_log_capacity": "32M",
            "innodb_buffer_pool_size": "128M",
            "performance_schema_max_digest_length": "0",
            "max_allowed_packet": "256M",
            "character-set-server": "utf8mb4",
            "collation-server": "utf8mb4_0900_ai_ci",
        }

    def initialize(self, server: LocalServer) -> None:
        init_file = server.basedir / "init.sql"
        init_file.write_text(ROOT_OVER_TCP)
        argv = self.server_command(server) + ["--initialize-insecure", f"--init-file={init_file}"]
        done = subprocess.run(
            argv, capture_output=True, text=True, env=self.environment(), check=False
        )
        if done.returncode != 0:
            raise ServerError(
                f"mysqld --initialize failed in {server.datadir}:\n{server.log_tail()}"
            )

    def server_command(self, server: LocalServer) -> list[str]:
        # --defaults-file must come first, or the host's /etc/mysql/my.cnf (MariaDB's) is read.
        return loader_command(self.prefix, "usr/sbin/mysqld") + [
            f"--defaults-file={server.config_path}"
        ]

    def client_command(self, program: str = "mysql") -> list[str]:
        """Return argv for a client program of the prefix (mysql, mysqladmin, mysqldump…)."""
        return loader_command(self.prefix, f"usr/bin/{program}")

    def environment(self) -> dict[str, str]:
        return loader_env(self.prefix)
