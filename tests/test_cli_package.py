"""The CLI package's shared pieces: one help text per shared flag, --url-env without a file."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.errors import ConfigError
from pseamigrate.target.commands import target_url

# --sql and --basedir also mean something else in `schema show` and `encryption rotate`.
SHARED = ("--json", "--dry-run", "--url-env", "--model")


def _helps() -> dict[str, set[str]]:
    """Map each shared flag to the help texts it has across all commands."""
    found: dict[str, set[str]] = {flag: set() for flag in SHARED}

    def walk(command: object) -> None:
        for param in getattr(command, "params", []):
            for flag in set(getattr(param, "opts", [])) & set(SHARED):
                found[flag].add(str(getattr(param, "help", "")))
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(typer.main.get_command(app))
    return found


def test_each_shared_flag_has_one_help_text() -> None:
    helps = _helps()
    assert all(len(texts) == 1 for texts in helps.values()), helps


def test_url_env_needs_no_project_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PSEA_TEST_ONLY_URL", "mysql://root@127.0.0.1:3999/psea")
    assert target_url(None, "PSEA_TEST_ONLY_URL").database == "psea"
    with pytest.raises(ConfigError, match="--url-env"):
        target_url(None, None)


def test_schema_url_env_does_not_read_the_project_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PSEA_UNSET_URL", raising=False)
    result = CliRunner().invoke(
        app, ["--config", "/nonexistent.yaml", "schema", "show", "--url-env", "PSEA_UNSET_URL"]
    )
    assert result.exit_code == 1
    assert "PSEA_UNSET_URL is not set" in result.stderr
