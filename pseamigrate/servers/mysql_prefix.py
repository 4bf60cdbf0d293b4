"""Oracle MySQL 9.7 from Debian sid, unpacked into a private prefix on a Debian 12 host.

sid's `mysql-server-core` needs a newer C library than bookworm's, so it cannot be apt-installed
here. Instead a private apt configuration (the host's /etc/apt is never touched) downloads the
dependency closure, `dpkg-deb -x` unpacks it into a prefix, and every binary runs through the
prefix's own dynamic loader. The result is cached: a second call costs nothing.
See docs/testing.md and docs/architecture.md, "Throwaway servers".
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from pseamigrate.errors import ServerError

MYSQL_VERSION = os.environ.get("PSEAMIGRATE_MYSQL_VERSION", "9.7.4-2")
PACKAGES = ("mysql-server-core", "mysql-client-core")
SID_SOURCE = (
    "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
    "http://deb.debian.org/debian sid main\n"
)
MULTIARCH = "x86_64-linux-gnu"
# perl is needed only by helper scripts we never run.
SKIPPED_PREFIXES = ("perl", "libperl")


def cache_root() -> Path:
    """Return the cache directory ($PSEAMIGRATE_CACHE or ~/.cache/pseamigrate)."""
    configured = os.environ.get("PSEAMIGRATE_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "pseamigrate"


def prefix_dir(version: str = MYSQL_VERSION) -> Path:
    """Return where the unpacked MySQL of `version` lives (whether or not it exists yet)."""
    return cache_root() / f"mysql-{version}" / "prefix"


def ensure_mysql_prefix(
    version: str = MYSQL_VERSION, say: Callable[[str], None] | None = None
) -> Path:
    """Return a prefix holding MySQL `version`, downloading and unpacking it the first time."""
    prefix = prefix_dir(version)
    marker = prefix / ".pseamigrate-complete"
    if marker.exists():
        return prefix
    say = say or (lambda _message: None)
    apt_dir = prefix.parent / "apt-sid"
    apt_conf = _write_apt_config(apt_dir)
    say(f"fetching Oracle MySQL {version} from Debian sid into {prefix}")
    _apt(apt_conf, "apt-get", "update", "-qq")
    packages = _closure(apt_conf, version)
    debs = apt_dir / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    _apt(apt_conf, "apt-get", "download", "-qq", *packages, cwd=debs)
    staging = prefix.with_name("prefix.partial")
    shutil.rmtree(staging, ignore_errors=True)
    for deb in sorted(debs.glob("*.deb")):
        _run(["dpkg-deb", "-x", str(deb), str(staging)])
    _write_keyring_globals(staging)
    shutil.rmtree(prefix, ignore_errors=True)
    staging.rename(prefix)
    marker.write_text(version + "\n")
    return prefix


def loader_command(prefix: Path, program: str) -> list[str]:
    """Return argv that runs `program` (e.g. usr/sbin/mysqld) through the prefix's own loader."""
    lib = prefix / "usr" / "lib" / MULTIARCH
    return [str(lib / "ld-linux-x86-64.so.2"), "--library-path", str(lib), str(prefix / program)]


def loader_env(prefix: Path) -> dict[str, str]:
    """Return the environment the prefix's programs need."""
    env = dict(os.environ)
    env.update(LC_ALL="C", GCONV_PATH=str(prefix / "usr" / "lib" / MULTIARCH / "gconv"))
    return env


def _write_apt_config(apt_dir: Path) -> Path:
    for sub in ("lists/partial", "cache/archives/partial"):
        (apt_dir / sub).mkdir(parents=True, exist_ok=True)
    (apt_dir / "status").touch()
    (apt_dir / "sources.list").write_text(SID_SOURCE)
    settings = {
        "Dir::Etc::sourcelist": apt_dir / "sources.list",
        "Dir::Etc::sourceparts": "/dev/null",
        "Dir::State::Lists": apt_dir / "lists",
        "Dir::State::status": apt_dir / "status",
        "Dir::Cache": apt_dir / "cache",
        "Acquire::Check-Valid-Until": "false",
        "APT::Sandbox::User": "root",
        "Debug::NoLocking": "true",
    }
    conf = apt_dir / "apt.conf"
    conf.write_text("".join(f'{key} "{value}";\n' for key, value in settings.items()))
    return conf


def _closure(apt_conf: Path, version: str) -> list[str]:
    pinned = [f"{name}={version}" for name in PACKAGES]
    listing = _apt(
        apt_conf,
        "apt-cache",
        "depends",
        "--recurse",
        *(f"--no-{kind}" for kind in _SKIPPED_DEPENDENCY_KINDS),
        *pinned,
    )
    names = {
        line.strip()
        for line in listing.splitlines()
        if line and not line.startswith((" ", "<")) and not line.startswith(SKIPPED_PREFIXES)
    }
    names.difference_update(PACKAGES)
    return sorted(names) + pinned


_SKIPPED_DEPENDENCY_KINDS = (
    "recommends",
    "suggests",
    "conflicts",
    "breaks",
    "replaces",
    "enhances",
)


def _write_keyring_globals(prefix: Path) -> None:
    # The keyring component reads a manifest beside mysqld; each instance then names its own
    # keyring file in its datadir ("read_local_manifest"/"read_local_config").
    (prefix / "usr/sbin/mysqld.my").write_text('{ "read_local_manifest": true }\n')
    plugin_dir = prefix / "usr/lib/mysql/plugin"
    (plugin_dir / "component_keyring_file.cnf").write_text('{ "read_local_config": true }\n')


def _apt(apt_conf: Path, *argv: str, cwd: Path | None = None) -> str:
    env = dict(os.environ, APT_CONFIG=str(apt_conf), DEBIAN_FRONTEND="noninteractive")
    return _run(list(argv), env=env, cwd=cwd)


def _run(argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    try:
        done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise ServerError(f"{argv[0]} is not installed (run scripts/setup)") from None
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise ServerError(f"{' '.join(argv[:3])} failed (exit {done.returncode}):\n{tail}")
    return done.stdout


if __name__ == "__main__":  # scripts/setup: python -m pseamigrate.servers.mysql_prefix
    print(f"setup: Oracle MySQL {MYSQL_VERSION} in {ensure_mysql_prefix(say=print)}")
