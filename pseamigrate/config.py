"""The project file (`pseamigrate.yaml`): which legacy sites exist and where the target is.

Secrets never live here. A connection names either an environment variable holding a URL
(`url_env`) or a MySQL option file and group (`option_file`, `group`), optionally with the
password in another environment variable (`password_env`) or asked for at a terminal
(`password_prompt: true`). `url_env` and `password_env` hold only the *name* of a variable
(`^[A-Z_][A-Z0-9_]*$`), so a URL or password pasted there is refused, never echoed; notes
(`x-…` keys) may not have secret-looking names. The file is found through `--config`, then
`$PSEAMIGRATE_CONFIG`, then `./pseamigrate.yaml`.
"""

from __future__ import annotations

import configparser
import getpass
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from pseamigrate.errors import ConfigError, NoProjectFile, UnknownSite
from pseamigrate.names import is_name
from pseamigrate.yamldoc import (
    Problem,
    YamlSyntaxError,
    duplicate_problems,
    located_mappings,
    parse_located,
    secret_looking,
    unknown_keys,
)

CONFIG_ENV = "PSEAMIGRATE_CONFIG"
DEFAULT_CONFIG = Path("pseamigrate.yaml")

SITE_KEYS = {"tenant", "connection", "table_prefix", "mapping", "files_dir", "description"}
TIMEOUT_KEYS = ("connect_timeout", "read_timeout", "write_timeout")
CONNECTION_KEYS = {
    "url_env",
    "option_file",
    "group",
    "database",
    "password_env",
    "password_prompt",
    *("tls", "ssl_ca", "ssl_cert", "ssl_key"),  # TLS (issue #15 item 2, docs/configuration.md)
    *TIMEOUT_KEYS,
}
ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
TABLE_PREFIX = re.compile(r"[A-Za-z0-9_]*")


def is_env_name(name: object) -> bool:
    """Tell whether `name` is an environment variable's name (and so cannot be a URL)."""
    return isinstance(name, str) and ENV_NAME.fullmatch(name) is not None


def is_table_prefix(prefix: object) -> bool:
    """Tell whether `prefix` is a valid Drupal table prefix (letters, digits, underscore)."""
    return isinstance(prefix, str) and TABLE_PREFIX.fullmatch(prefix) is not None


def _terminal_prompt(question: str) -> str:
    # getpass reads from the controlling terminal and echoes nothing.
    if not sys.stdin.isatty():
        raise ConfigError(f"{question} needs a terminal; use password_env or an option file")
    return getpass.getpass(f"{question}: ")


# What asks for a password; tests and other front ends may replace it.
password_prompt: Callable[[str], str] = _terminal_prompt
TOP_KEYS = {"sites", "target", "test_target", "model", "mappings"}
TARGET_KEYS = {"connection", "files_dir", "files_key"}


@dataclass(frozen=True)
class ConnectionSpec:
    """Where to find a database's URL and credentials; holds no secret itself."""

    url_env: str | None = None
    option_file: Path | None = None
    group: str = "client"
    database: str | None = None
    password_env: str | None = None
    password_prompt: bool = False
    tls: dict[str, str] = field(default_factory=dict)  # tls (verify/off), ssl_ca/_cert/_key
    timeouts: tuple[tuple[str, int], ...] = ()  # (connect_timeout, 10)…, overriding db.TIMEOUTS

    def __post_init__(self) -> None:
        for key in ("url_env", "password_env"):
            value = getattr(self, key)
            if value is not None and not is_env_name(value):
                raise ConfigError(f"{key} {_env_rule()}")

    def describe(self) -> str:
        """Say where the credentials come from, for messages."""
        if self.url_env:
            return f"${self.url_env}"
        return f"{self.option_file} [{self.group}]"

    def resolve(self) -> URL:
        """Build the SQLAlchemy URL, reading the environment or option file now."""
        url = self._url_from_env() if self.url_env else self._url_from_option_file()
        if self.database:
            url = url.set(database=self.database)
        if self.password_env:
            if self.password_env not in os.environ:
                raise ConfigError(f"environment variable {self.password_env} is not set")
            url = url.set(password=os.environ[self.password_env])
        if self.password_prompt:
            url = url.set(password=password_prompt(f"password for {self.describe()}"))
        if self.tls:  # db.make_engine enforces them (tls: off only for loopback)
            url = url.update_query_dict(self.tls)
        if self.timeouts:
            url = url.update_query_dict({key: str(value) for key, value in self.timeouts})
        return url

    def _url_from_env(self) -> URL:
        assert self.url_env is not None
        raw = os.environ.get(self.url_env)
        if not raw:
            raise ConfigError(f"environment variable {self.url_env} is not set or empty")
        try:
            url = make_url(raw)
        except ArgumentError:
            raise ConfigError(f"${self.url_env} does not hold a database URL") from None
        if url.drivername in ("mysql", "mariadb"):
            url = url.set(drivername=f"{url.drivername}+pymysql")
        return url

    def _url_from_option_file(self) -> URL:
        assert self.option_file is not None
        values = read_option_file(self.option_file, self.group)
        return URL.create(
            "mysql+pymysql",
            username=values.get("user"),
            password=values.get("password"),
            host=values.get("host", "127.0.0.1"),
            port=int(values["port"]) if "port" in values else None,
            database=values.get("database"),
            query={
                **({"unix_socket": values["socket"]} if "socket" in values else {}),
                **{key: values[f"ssl-{key[4:]}"] for key in SSL_KEYS if f"ssl-{key[4:]}" in values},
            },
        )


@dataclass(frozen=True)
class SiteSettings:
    """One legacy Drupal site as the project file describes it."""

    name: str
    tenant: str
    connection: ConnectionSpec
    table_prefix: str = ""
    mapping: Path | None = None
    files_dir: str | None = None
    description: str = ""


@dataclass(frozen=True)
class Settings:
    """The whole project file."""

    path: Path | None
    sites: dict[str, SiteSettings] = field(default_factory=dict)
    target: ConnectionSpec | None = None
    target_files_dir: Path | None = None  # the target's file store, one folder per tenant
    test_target: ConnectionSpec | None = None  # the sanitized copy for the test instance
    test_target_files_dir: Path | None = None
    model: Path | None = None  # the project's own canonical model (`--model` still wins)
    mappings: Path | None = None  # the project's mappings folder: sites/<site>.yaml
    # The master key files sealing each store's files (a path, not a secret: issue #30 S4).
    target_files_key: Path | None = None
    test_target_files_key: Path | None = None

    def require_file(self, or_else: str = "") -> Path:
        """Return the project file's path, or say how to name one (and `or_else`, if given)."""
        if self.path is None:
            ways = ["pass --config", "set $PSEAMIGRATE_CONFIG", *([or_else] if or_else else [])]
            raise NoProjectFile(f"no project file: {', '.join(ways[:-1])} or {ways[-1]}")
        return self.path

    def site(self, name: str) -> SiteSettings:
        """Return the named site or raise `UnknownSite` listing the known ones."""
        if name not in self.sites:
            raise UnknownSite(name, sorted(self.sites))
        return self.sites[name]

    def target_connection(self) -> ConnectionSpec:
        """Return the target's connection or say that the project file lacks one."""
        if self.target is None:
            raise ConfigError(f"{self.path}: no 'target' section")
        return self.target


def read_option_file(path: Path, group: str) -> dict[str, str]:
    """Read one group of a MySQL option file (`key=value` lines under `[group]`).

    Refused (#30): a file that holds a password and that others than its owner may read (chmod
    600 it), and `!include`/`!includedir` lines, which this reader does not follow (they were
    dropped silently: settings the operator meant were not read)."""
    parser = configparser.ConfigParser(allow_no_value=True, interpolation=None, strict=False)
    try:
        with open(path.expanduser(), encoding="utf-8") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            lines = list(handle)
        if any(line.lstrip().startswith("!") for line in lines):
            raise ConfigError(
                f"option file {path} has !include or !includedir lines, which pseamigrate does "
                "not follow; put the settings it needs in this file"
            )
        parser.read_string("".join(lines), source=str(path))
    except OSError as exc:
        raise ConfigError(f"cannot read option file {path}: {exc.strerror}") from None
    except configparser.Error:
        raise ConfigError(f"option file {path} is not a valid MySQL option file") from None
    _refuse_readable_password(path, mode, parser)
    if not parser.has_section(group):
        raise ConfigError(f"option file {path} has no [{group}] group")
    return {
        key.replace("_", "-"): (value or "").strip("'\"") for key, value in parser[group].items()
    }


def _refuse_readable_password(path: Path, mode: int, parser: configparser.ConfigParser) -> None:
    """Refuse an option file holding a password that its group or others may read."""
    if not mode & 0o077:
        return
    if any("password" in parser[section] for section in parser.sections()):
        raise ConfigError(
            f"option file {path} holds a password and others may read it (mode "
            f"{mode & 0o777:04o}); run: chmod 600 {path}"
        )


def find_config(explicit: Path | None) -> Path | None:
    """Return the project file: explicit, then $PSEAMIGRATE_CONFIG, then ./pseamigrate.yaml."""
    if explicit is not None:
        return explicit
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    return DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None


def load_settings(explicit: Path | None = None) -> Settings:
    """Load and validate the project file; every problem is reported at once."""
    path = find_config(explicit)
    if path is None:
        return Settings(path=None)
    try:
        document = parse_located(path.read_text(encoding="utf-8"), str(path)) or {}
    except OSError as exc:
        raise ConfigError(f"cannot read project file {path}: {exc.strerror}") from None
    except YamlSyntaxError as exc:  # the parser's reason, line and column; never the text
        raise ConfigError(str(exc.problem)) from None
    # With lines: a duplicated site key would otherwise silently win (issue #24 item 6).
    located = [str(found) for found in duplicate_problems(document) + _secret_problems(document)]
    problems: list[str] = []
    settings = _parse_settings(path, document, problems)
    if located or problems:
        raise ConfigError("\n".join(located + [f"{path}: {problem}" for problem in problems]))
    return settings


# Keys that can only hold a secret; `password_env` and `password_prompt` name where one comes from.
_SECRET_KEYS = frozenset({"password", "passwd", "pwd", "pass", "secret", "token", "url"})


def _secret_problems(document: Any) -> list[Problem]:
    """Refuse a secret written anywhere in the project file, naming its line and never its value.

    `url` counts: a database URL carries its password (`mysql://user:pw@host/db`)."""
    return [
        Problem(node.file, node.key_line(key), f"{where}.{key}".lstrip("."), _SECRET_RULE)
        for node, where in located_mappings(document)
        for key in node
        if str(key).lower() in _SECRET_KEYS
    ]


_SECRET_RULE = "secrets never go here: use url_env or an option file"


def _parse_settings(path: Path, document: Any, problems: list[str]) -> Settings:
    if not isinstance(document, dict):
        problems.append("the top level must be a mapping with 'sites' and 'target'")
        return Settings(path=path)
    _unknown_keys(document, TOP_KEYS, "", problems)
    sites_doc = document.get("sites") or {}
    if not isinstance(sites_doc, dict):
        problems.append("sites: must be a mapping of site name to settings")
        sites_doc = {}
    model, mappings = (
        _project_path(path, document, "model"),
        _project_path(path, document, "mappings"),
    )
    sites = {}
    for name, site_doc in sites_doc.items():
        site = _parse_site(path, str(name), site_doc, problems, mappings)
        if site is not None:
            sites[str(name)] = site
    target, target_files = _parse_target(path, document, "target", problems)
    test, test_files = _parse_target(path, document, "test_target", problems)
    target_key, test_key = (_files_key(path, document, name) for name in ("target", "test_target"))
    return Settings(
        path=path,
        sites=sites,
        target=target,
        target_files_dir=target_files,
        test_target=test,
        test_target_files_dir=test_files,
        model=model,
        mappings=mappings,
        target_files_key=target_key,
        test_target_files_key=test_key,
    )


def _files_key(path: Path, document: dict[str, Any], name: str) -> Path | None:
    """Return `target.files_key` (or test_target's), relative to the project file."""
    doc = document.get(name)
    value = doc.get("files_key") if isinstance(doc, dict) else None
    return path.parent / str(value) if value else None


def _parse_target(
    path: Path, document: dict[str, Any], name: str, problems: list[str]
) -> tuple[ConnectionSpec | None, Path | None]:
    """Parse `target:` or `test_target:` (a connection and a files_dir)."""
    if name not in document:
        return None, None
    doc = document[name]
    if not isinstance(doc, dict):
        problems.append(f"{name}: must be a mapping with 'connection'")
        doc = {}
    _unknown_keys(doc, TARGET_KEYS, f"{name}.", problems)
    connection = _parse_connection(doc.get("connection"), f"{name}.connection", problems)
    files_dir = doc.get("files_dir")
    return connection, (path.parent / str(files_dir)) if files_dir else None


def _project_path(path: Path, document: dict[str, Any], key: str) -> Path | None:
    """Return a top-level path key (`model`, `mappings`) relative to the project file."""
    value = document.get(key)
    return path.parent / str(value) if value else None


def _parse_site(
    path: Path, name: str, doc: Any, problems: list[str], mappings: Path | None = None
) -> SiteSettings | None:
    where = f"sites.{name}"
    if not isinstance(doc, dict):
        problems.append(f"{where}: must be a mapping")
        return None
    _unknown_keys(doc, SITE_KEYS, f"{where}.", problems)
    if not doc.get("tenant"):
        problems.append(f"{where}.tenant: required (the tenant code, e.g. iq)")
    elif not is_name(str(doc["tenant"])):  # it names the file store's folder, schemas, accounts
        problems.append(
            f"{where}.tenant: only letters, digits and _ are allowed (1-64), e.g. iq; "
            "a tenant code names folders, schemas and accounts"
        )
        return None
    connection = _parse_connection(doc.get("connection"), f"{where}.connection", problems)
    if connection is None:
        return None
    mapping = doc.get("mapping")
    default_mapping = mappings / "sites" / f"{name}.yaml" if mappings else None
    prefix = doc.get("table_prefix") or ""
    if not is_table_prefix(prefix):
        problems.append(f"{where}.table_prefix: only letters, digits and _ are allowed")
        return None
    return SiteSettings(
        name=name,
        tenant=str(doc.get("tenant", "")),
        connection=connection,
        table_prefix=prefix,
        mapping=(path.parent / mapping) if mapping else default_mapping,
        files_dir=_local_or_url(path, doc.get("files_dir")),
        description=str(doc.get("description") or ""),
    )


def _local_or_url(path: Path, value: Any) -> str | None:
    """Resolve a relative folder against the project file's folder; keep `ssh://…` as it is."""
    if not value:
        return None
    return str(value) if "://" in str(value) else str(path.parent / str(value))


def _parse_connection(doc: Any, where: str, problems: list[str]) -> ConnectionSpec | None:
    if not isinstance(doc, dict):
        problems.append(f"{where}: required, e.g. {{url_env: PSEA_SITE_URL}}")
        return None
    secrets = _SECRET_KEYS & set(doc)  # refused with their lines by `_secret_problems`
    _unknown_keys(doc, CONNECTION_KEYS | secrets, f"{where}.", problems)
    if bool(doc.get("url_env")) == bool(doc.get("option_file")):
        problems.append(f"{where}: give exactly one of url_env or option_file")
        return None
    bad = [key for key in ("url_env", "password_env") if key in doc and not is_env_name(doc[key])]
    problems.extend(f"{where}.{key}: {_env_rule()}" for key in bad)
    timeouts = _timeouts(doc, where, problems)
    if bad:
        return None
    option_file = doc.get("option_file")
    tls = _parse_tls(doc, where, problems)
    return ConnectionSpec(
        url_env=doc.get("url_env"),
        option_file=Path(option_file) if option_file else None,
        group=str(doc.get("group") or "client"),
        database=doc.get("database"),
        password_env=doc.get("password_env"),
        password_prompt=bool(doc.get("password_prompt", False)),
        tls=tls,
        timeouts=timeouts,
    )


SSL_KEYS = ("ssl_ca", "ssl_cert", "ssl_key")


def _parse_tls(doc: dict[str, Any], where: str, problems: list[str]) -> dict[str, str]:
    """Read `tls` (verify / off; YAML reads a bare off as false) and the ssl_* file paths."""
    settings = {key: str(Path(str(doc[key])).expanduser()) for key in SSL_KEYS if doc.get(key)}
    if "tls" in doc:
        raw = doc["tls"]
        mode = ("verify" if raw else "off") if isinstance(raw, bool) else str(raw).lower()
        if mode not in ("verify", "off"):
            problems.append(f"{where}.tls: must be verify or off")
        elif mode == "off" and settings:
            problems.append(f"{where}.tls: off contradicts {', '.join(settings)}")
        settings["tls"] = mode
    return settings


def _env_rule() -> str:
    # The value is never repeated: a URL with its password pasted here must not be printed.
    return (
        "must be the name of an environment variable (capitals, digits, _), "
        "e.g. PSEA_IRAQ_URL; the URL or password itself goes in that variable"
    )


def _timeouts(doc: dict[str, Any], where: str, problems: list[str]) -> tuple[tuple[str, int], ...]:
    found = []
    for key in TIMEOUT_KEYS:
        if key not in doc:
            continue
        value = doc[key]
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 86400:
            found.append((key, value))
        else:
            problems.append(f"{where}.{key}: must be whole seconds between 1 and 86400")
    return tuple(found)


def _unknown_keys(doc: dict[str, Any], known: set[str], prefix: str, problems: list[str]) -> None:
    for key in doc:
        if secret_looking(key):
            problems.append(f"{prefix}{key}: notes must not hold secrets; use an option file")
    found = unknown_keys(doc, known, prefix.rstrip("."))
    problems.extend(f"{problem.path}: {problem.message}" for problem in found)
