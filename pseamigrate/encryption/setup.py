"""Server-side configuration for encryption at rest, rendered from the templates beside this file.

For a local server directory (`pseamigrate.servers.LocalServer`): MySQL gets the per-instance
keyring manifest and component config in its datadir (the global ones in the prefix are written
by `servers.mysql_prefix`), MariaDB a generated, encrypted key file and its passphrase; both get
their settings in a marked block of my.cnf (or a drop-in file), with logs off, tmpdir on tmpfs
and, with `tls`, server certificates. Key files are 0600 in a 0700 directory, owned by the
server's account, and never overwritten; an incomplete key set is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from pseamigrate.encryption.filestore import FILES_KEY
from pseamigrate.encryption.keys import (
    INITIAL_KEY_IDS,
    SALT_HEADER,
    chown_to,
    generate_keys,
    generate_passphrase,
    key_lines,
    openssl_encrypt,
    server_account,
    write_secret,
)
from pseamigrate.encryption.tls import make_server_certificates
from pseamigrate.encryption.volumes import filesystem_of
from pseamigrate.errors import PseamigrateError, RefusedForSafety
from pseamigrate.paths import create_private_folders
from pseamigrate.servers import LocalServer
from pseamigrate.servers.cnf import CnfChange, plan_block, plan_dropin

KEY_DIR = "keys"
MYSQL_KEYRING = "component_keyring_file"
MARIADB_KEY_FILE = "keys.enc"
MARIADB_FILE_KEY = "keyfile.key"
KEYRING_KINDS = ("component", "plugin")
TLS_DIR = "tls"
BLOCK = "encryption"
TMPFS_ROOT = Path("/dev/shm")
# Set by `rotate --basedir`; a later setup must not reset it to the first key id.
KEPT_SETTINGS = ("innodb_default_encryption_key_id",)


@dataclass(frozen=True)
class PlannedFile:
    """One file setup writes; `secret` files hold key material and are never shown.

    Files of one `group` ("keys", "tls") are a set: all kept when any exists (never replaced),
    and refused when only some exist (an incomplete set cannot open the data).
    """

    path: Path
    content: bytes
    secret: bool = False
    summary: str = ""
    group: str = ""

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
    tmpdir: Path | None = None


def key_dir(server: LocalServer) -> Path:
    """Return the owner-only directory holding this server's key material."""
    return server.basedir / KEY_DIR


def key_files(server: LocalServer) -> list[Path]:
    """Return the key files this server's encryption depends on (what backup-key copies).

    The file store's master key (`files.key`, issue #30 S4) is one of them once setup wrote it:
    a directory set up before it existed has none to copy, and a restore needs none."""
    if server.flavor == "mysql":
        files = [key_dir(server) / MYSQL_KEYRING]
    else:
        files = [key_dir(server) / MARIADB_KEY_FILE, key_dir(server) / MARIADB_FILE_KEY]
    store_key = key_dir(server) / FILES_KEY
    return files + ([store_key] if store_key.exists() else [])


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


def default_tmpdir(server: LocalServer) -> Path | None:
    """Return a private tmpfs directory for this server's temporary files, if /dev/shm is tmpfs."""
    if not is_tmpfs(TMPFS_ROOT):
        return None
    digest = hashlib.sha256(str(server.basedir.resolve()).encode()).hexdigest()[:12]
    return TMPFS_ROOT / f"pseamigrate-{server.basedir.name[:24]}-{digest}"


def is_tmpfs(path: Path) -> bool:
    """Tell whether `path` is on a tmpfs/ramfs file system (memory, not disk)."""
    return filesystem_of(path) in ("tmpfs", "ramfs")


def plan_setup(
    server: LocalServer,
    keyring: str = "component",
    encrypt_key_file: bool = True,
    tmpdir: Path | None | bool = True,
    tls: tuple[str, ...] | None = None,
) -> SetupPlan:
    """Render the files and settings that load a keyring and encrypt everything on `server`.

    `tmpdir`: True picks a private tmpfs directory, a path is the operator's (tmpfs or an
    encrypted volume), False/None leaves tmpdir alone. `tls`: host names for a server
    certificate (plus localhost); None configures no TLS.
    """
    if keyring not in KEYRING_KINDS:
        raise PseamigrateError(f"unknown keyring {keyring!r} (known: {', '.join(KEYRING_KINDS)})")
    chosen = default_tmpdir(server) if tmpdir is True else (tmpdir or None)
    tls_files, tls_paths = _plan_tls(server, tls)
    common = {"tmpdir": chosen, "tls": tls_paths}
    if server.flavor == "mysql":
        plan = _plan_mysql(server, keyring, common)
    else:
        plan = _plan_mariadb(server, encrypt_key_file, common)
    files = (*plan.files, *tls_files, _files_key(server))
    return SetupPlan(plan.flavor, files, plan.cnf_text, plan.options, chosen)


def _files_key(server: LocalServer) -> PlannedFile:
    """The file store's master key, beside the database keys (a set of its own: kept if any)."""
    content = key_lines(generate_keys((1,)))
    return PlannedFile(key_dir(server) / FILES_KEY, content, True, "generated: files key", "files")


def _plan_tls(
    server: LocalServer, hostnames: tuple[str, ...] | None
) -> tuple[tuple[PlannedFile, ...], dict[str, Path] | None]:
    if hostnames is None:
        return (), None
    where = key_dir(server) / TLS_DIR
    certs = make_server_certificates(hostnames)
    paths = {
        "ca": where / "ca.pem",
        "cert": where / "server-cert.pem",
        "key": where / "server-key.pem",
    }
    files = (
        PlannedFile(paths["ca"], certs.ca_cert, True, "generated: CA certificate", "tls"),
        PlannedFile(where / "ca-key.pem", certs.ca_key, True, "generated: CA key", "tls"),
        PlannedFile(paths["cert"], certs.server_cert, True, "generated: server certificate", "tls"),
        PlannedFile(paths["key"], certs.server_key, True, "generated: server key", "tls"),
    )
    return files, paths


def _plan_mysql(server: LocalServer, keyring: str, common: dict[str, Any]) -> SetupPlan:
    keyring_path = key_dir(server) / (MYSQL_KEYRING if keyring == "component" else "keyring")
    cnf = _render("mysql-encryption.cnf.j2", keyring=keyring, keyring_path=keyring_path, **common)
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
                keyring_path,
                b"",
                True,
                "empty keyring: the server generates the master key",
                "keys",
            ),
        )
    return SetupPlan("mysql", files, cnf, cnf_options(cnf))


def _plan_mariadb(server: LocalServer, encrypt_key_file: bool, common: dict[str, Any]) -> SetupPlan:
    keys = generate_keys(INITIAL_KEY_IDS)
    key_file = key_dir(server) / MARIADB_KEY_FILE
    file_key = key_dir(server) / MARIADB_FILE_KEY if encrypt_key_file else None
    files = []
    content = key_lines(keys)
    if file_key is not None:
        passphrase = generate_passphrase()
        files.append(
            PlannedFile(file_key, passphrase, True, "generated: key file passphrase", "keys")
        )
        content = openssl_encrypt(content, passphrase)
    files.insert(0, PlannedFile(key_file, content, True, f"generated: {len(keys)} keys", "keys"))
    cnf = _render(
        "mariadb-encryption.cnf.j2",
        key_file=key_file,
        file_key=file_key or "",
        default_key_id=min(keys),
        **common,
    )
    return SetupPlan("mariadb", tuple(files), cnf, cnf_options(cnf))


def check_key_sets(plan: SetupPlan) -> list[str]:
    """Refuse an incomplete key set; return the groups whose files all exist (to be kept)."""
    kept = []
    for group in sorted({f.group for f in plan.files if f.group}):
        members = [f.path for f in plan.files if f.group == group]
        present = [path for path in members if path.exists()]
        if present and len(present) < len(members):
            missing = ", ".join(p.name for p in members if p not in present)
            raise RefusedForSafety(
                f"incomplete key set in {members[0].parent}: {missing} missing beside "
                f"{', '.join(p.name for p in present)}; restore it from the key backup "
                "(new keys would make the encrypted data unreadable)"
            )
        if present:
            kept.append(group)
    _refuse_plain_key_file_with_file_key(plan, kept)
    return kept


def _refuse_plain_key_file_with_file_key(plan: SetupPlan, kept: list[str]) -> None:
    key_file = next((f.path for f in plan.files if f.path.name == MARIADB_KEY_FILE), None)
    if "keys" not in kept or key_file is None or "file_key_management_filekey" not in plan.options:
        return
    if not key_file.read_bytes().startswith(SALT_HEADER):
        raise RefusedForSafety(
            f"{key_file} is not encrypted but a file key is planned: run setup --no-file-key "
            "to keep it as it is"
        )


def cnf_change(server: LocalServer, plan: SetupPlan, conf_dir: Path | None = None) -> CnfChange:
    """Plan the my.cnf block (or `conf_dir` drop-in) that holds the plan's settings."""
    from pseamigrate.servers.cnf import block_options

    target = conf_dir / f"pseamigrate-{BLOCK}.cnf" if conf_dir else server.config_path
    existing = block_options(target.read_text(), BLOCK) if target.exists() else {}
    options = {k: v for k, v in plan.options.items() if not (k in KEPT_SETTINGS and k in existing)}
    if conf_dir is not None:
        return plan_dropin(conf_dir, BLOCK, "mysqld", options)
    return plan_block(server.config_path, BLOCK, "mysqld", options)


def apply_setup(
    server: LocalServer,
    plan: SetupPlan,
    on_file: Callable[[str], None] | None = None,
    conf_dir: Path | None = None,
) -> CnfChange:
    """Write the plan's files (0600, key dir 0700, owned by the server's account) and settings.

    Existing key material is kept, never replaced (replacing it makes data unreadable); its
    mode is fixed to 0600. An incomplete key set is refused. Settings go into a marked block of
    my.cnf (or a `conf_dir` drop-in), after a timestamped backup; nothing else in the file
    changes. The server must be restarted afterwards for the keyring to load.
    """
    say = on_file or (lambda _line: None)
    kept = check_key_sets(plan)
    account = server_account(server)
    _make_private_dir(key_dir(server), account)
    for planned in plan.files:
        if planned.group in kept:
            say(_keep(planned.path))
        else:
            write_secret(planned.path, planned.content)
            say(f"wrote {planned.path} (0600)")
        if planned.group != "files":  # read by pseamigrate, not by the server
            chown_to(planned.path, account)
    if plan.tmpdir is not None and not plan.tmpdir.exists():
        _make_private_dir(plan.tmpdir, account)  # an existing (operator's) directory stays as is
    change = cnf_change(server, plan, conf_dir)
    backup = change.apply()
    server.options.update(plan.options)
    kept_note = f", backup {backup}" if backup else ""
    say(f"wrote {change.path}: {len(plan.options)} encryption settings{kept_note}")
    return change


def _keep(path: Path) -> str:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        path.chmod(0o600)
        return f"kept existing {path}, mode fixed from {mode:04o} to 0600"
    return f"kept existing {path}"


def _make_private_dir(path: Path, account: tuple[int, int] | None) -> None:
    """Create `path` 0700 (or make our own existing key directory 0700), owned by the server;
    new parents are 0700 too, and the server's, so it can reach what is inside."""
    for created in create_private_folders(path):
        chown_to(created, account)
    path.chmod(0o700)
    chown_to(path, account)
