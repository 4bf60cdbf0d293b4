"""Files that hold secrets or sensitive reports (#30 lows): option files refused when others
may read a password in them, `!include` said instead of dropped, the `.partial` of a secret
never written through a planted symlink, `assess --html` readable by its owner only."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pseamigrate.assess.findings import Assessment
from pseamigrate.assess.html import write_html
from pseamigrate.config import ConnectionSpec, read_option_file
from pseamigrate.encryption.keys import write_secret
from pseamigrate.errors import ConfigError

SECRET = "s3cret-of-the-test"


def _option_file(tmp_path: Path, mode: int, extra: str = "") -> Path:
    path = tmp_path / "my.cnf"
    path.write_text(f"{extra}[client]\nuser=reader\npassword={SECRET}\nhost=127.0.0.1\n")
    path.chmod(mode)
    return path


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_an_option_file_with_a_password_others_may_read_is_refused(
    tmp_path: Path, mode: int
) -> None:
    path = _option_file(tmp_path, mode)
    with pytest.raises(ConfigError, match="holds a password and others may read it") as caught:
        ConnectionSpec(option_file=path).resolve()
    assert f"chmod 600 {path}" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_an_owner_only_option_file_is_read(tmp_path: Path) -> None:
    path = _option_file(tmp_path, 0o600)
    assert read_option_file(path, "client")["password"] == SECRET
    readable = tmp_path / "nopass.cnf"  # no password in it: its mode does not matter
    readable.write_text("[client]\nuser=reader\n")
    readable.chmod(0o644)
    assert read_option_file(readable, "client") == {"user": "reader"}


@pytest.mark.parametrize("line", ["!include /etc/mysql/extra.cnf\n", "!includedir /etc/x.d\n"])
def test_include_lines_are_said_not_dropped(tmp_path: Path, line: str) -> None:
    path = _option_file(tmp_path, 0o600, extra=line)
    with pytest.raises(ConfigError, match="!include or !includedir lines, which pseamigrate"):
        read_option_file(path, "client")


def test_a_planted_partial_symlink_never_receives_the_secret(tmp_path: Path) -> None:
    victim = tmp_path / "elsewhere.txt"
    victim.write_text("untouched\n")
    victim.chmod(0o644)
    target = tmp_path / "secrets" / "tenant.cnf"
    target.parent.mkdir(mode=0o700)
    (target.parent / "tenant.cnf.partial").symlink_to(victim)

    write_secret(target, SECRET.encode())

    assert victim.read_text() == "untouched\n"
    assert target.read_bytes() == SECRET.encode() and not target.is_symlink()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not (target.parent / "tenant.cnf.partial").exists()


def test_the_html_report_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = write_html(Assessment([]), tmp_path / "assess.html")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "<html" in path.read_text(encoding="utf-8").lower()
