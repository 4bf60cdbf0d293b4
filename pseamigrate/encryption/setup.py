"""Server-side configuration for encryption at rest, rendered from the templates beside this file.

For a local server directory (`pseamigrate.servers.LocalServer`): MySQL gets the per-instance
keyring manifest and component config in its datadir (the global ones in the prefix are written
by `servers.mysql_prefix`), MariaDB a generated, encrypted key file and its passphrase; both get
their my.cnf settings. Key files are 0600 in a 0700 directory and are never overwritten.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from pseamigrate.encryption.keys import (
    INITIAL_KEY_IDS,
    generate_keys,
    generate_passphrase,
    key_lines,
    openssl_encrypt,
    write_secret,
)
from pseamigrate.errors import PseamigrateError
from pseamigrate.servers import LocalServer

KEY_DIR = "keys"
MYSQL_KEYRING = "component_keyring_file"
MARIADB_KEY_FILE = "keys.enc"
MARIADB_FILE_KEY = "keyfile.key"
KEYRING_KINDS = ("component", "plugin")


@dataclass(frozen=True)
class PlannedFile:
    """One file setup writes; `secret` files hold key material and are never shown."""

    path: Path
    content: bytes
    secret: bool = False
    summary: str = ""

    def shown(self) -> str:
        """Return what `--dry-run` may print: the text, or a placeholder for key material."""
        return f"<{self.summary}>" if self.secret else self.content.decode()


@dataclass(frozen=True)
class SetupPlan:
    """Everything `setup` writes: files and the my.cnf options (as text and as a dict)."""

    flavor: str
    files: tuple[PlannedFile, ...]
    cnf_text: str
    options: dict[str, str] = field(default_factory=dict)


def key_dir(server: LocalServer) -> Path:
    """Return the owner-only directory holding this server's key material."""
    return server.basedir / KEY_DIR


def key_files(server: LocalServer) -> list[Path]:
    """Return the key files this server's encryption depends on (what backup-key copies)."""
    if server.flavor == "mysql":
        return [key_dir(server) / MYSQL_KEYRING]
    return [key_dir(server) / MARIADB_KEY_FILE, key_dir(server) / MARIADB_FILE_KEY]


def _render(name: str, **values: object) -> str:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pseamigrate.encryption", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # config files, not HTML
    )
    try:
        return env.get_template(name).render(**values)
    except jinja2.TemplateError as exc:
        raise PseamigrateError(f"template {name} failed: {exc}") from None


def cnf_options(cnf_text: str) -> dict[str, str]:
    """Turn rendered `[mysqld]` lines into LocalServer options (comments and groups dropped)."""
    options = {}
    for line in cnf_text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "[")):
            continue
        key, _, value = line.partition("=")
        options[key.strip()] = value.strip()
    return options


def plan_setup(
    server: LocalServer, keyring: str = "component", encrypt_key_file: bool = True
) -> SetupPlan:
    """Render the files and settings that load a keyring and encrypt everything on `server`."""
    if keyring not in KEYRING_KINDS:
        raise PseamigrateError(f"unknown keyring {keyring!r} (known: {', '.join(KEYRING_KINDS)})")
    if server.flavor == "mysql":
        return _plan_mysql(server, keyring)
    return _plan_mariadb(server, encrypt_key_file)


def _plan_mysql(server: LocalServer, keyring: str) -> SetupPlan:
    keyring_path = key_dir(server) / (MYSQL_KEYRING if keyring == "component" else "keyring")
    cnf = _render("mysql-encryption.cnf.j2", keyring=keyring, keyring_path=keyring_path)
    files: tuple[PlannedFile, ...] = ()
    if keyring == "component":
        files = (
            PlannedFile(server.datadir / "mysqld.my", _render("mysqld.my.j2").encode()),
            PlannedFile(
                server.datadir / "component_keyring_file.cnf",
                _render("component_keyring_file.cnf.j2", keyring_path=str(keyring_path)).encode(),
            ),
            # Created empty and owner-only: the component keeps the mode of an existing file but
            # creates a new one 0640 (measured on 9.7), which fails CIS 3.10.
            PlannedFile(
                keyring_path, b"", True, "empty keyring: the server generates the master key"
            ),
        )
    return SetupPlan("mysql", files, cnf, cnf_options(cnf))


def _plan_mariadb(server: LocalServer, encrypt_key_file: bool) -> SetupPlan:
    keys = generate_keys(INITIAL_KEY_IDS)
    key_file = key_dir(server) / MARIADB_KEY_FILE
    file_key = key_dir(server) / MARIADB_FILE_KEY if encrypt_key_file else None
    files = []
    content = key_lines(keys)
    if file_key is not None:
        passphrase = generate_passphrase()
        files.append(PlannedFile(file_key, passphrase, True, "generated: key file passphrase"))
        content = openssl_encrypt(content, passphrase)
    files.insert(0, PlannedFile(key_file, content, True, f"generated: {len(keys)} keys"))
    cnf = _render(
        "mariadb-encryption.cnf.j2",
        key_file=key_file,
        file_key=file_key or "",
        default_key_id=min(keys),
    )
    return SetupPlan("mariadb", tuple(files), cnf, cnf_options(cnf))


def apply_setup(
    server: LocalServer, plan: SetupPlan, on_file: Callable[[str], None] | None = None
) -> None:
    """Write the plan's files (0600, key dir 0700) and add its options to the server's my.cnf.

    Existing key material is kept, never replaced: replacing it would make data unreadable.
    The server must be restarted afterwards for the keyring to load.
    """
    say = on_file or (lambda _line: None)
    key_dir(server).mkdir(mode=0o700, parents=True, exist_ok=True)
    key_dir(server).chmod(0o700)
    secrets_exist = any(f.path.exists() for f in plan.files if f.secret)
    for planned in plan.files:
        if planned.secret and secrets_exist:
            say(f"kept existing {planned.path}")
            continue
        write_secret(planned.path, planned.content)
        say(f"wrote {planned.path} (0600)")
    server.options.update(plan.options)
    server.write_config()
    say(f"wrote {server.config_path}: {len(plan.options)} encryption settings")
