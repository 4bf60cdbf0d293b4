"""The command line as users meet it: help, exit codes, one-line errors, no secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from pseamigrate import __version__
from pseamigrate.cli import app
from pseamigrate.errors import ConnectionFailed
from pseamigrate.servers import LocalServer
from pseamigrate.servers.instance import free_port

runner = CliRunner()
SECRET = "pw-Zq81-never-shown"


def project(tmp_path: Path, url_env: str = "PSEA_IRAQ_URL") -> Path:
    path = tmp_path / "pseamigrate.yaml"
    path.write_text(
        f"sites:\n  iraq:\n    tenant: iq\n    connection: {{url_env: {url_env}}}\n"
        "target:\n  connection: {url_env: PSEA_TARGET_URL}\n"
    )
    return path


def all_commands() -> list[list[str]]:
    group = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(command: object, prefix: list[str]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            paths.append([*prefix, name])
            walk(sub, [*prefix, name])

    walk(group, [])
    return paths


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in ("sites", "ping", "demo"):
        assert name in result.stdout


@pytest.mark.parametrize("command", all_commands(), ids=" ".join)
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.stdout or "Commands" in result.stdout


@pytest.mark.parametrize("command", all_commands(), ids=" ".join)
def test_every_command_exits_2_on_a_bad_option_health_3(command: list[str]) -> None:
    """One exit-code scheme (#24 item 5): a usage error is 2 everywhere, one line on stderr;
    `health` speaks Nagios, where 2 is CRITICAL, so its usage errors are UNKNOWN (3)."""
    result = runner.invoke(app, [*command, "--no-such-option"])
    if command == ["health"]:
        assert result.exit_code == 3 and result.stdout.startswith("PSEAMIGRATE UNKNOWN - ")
        return
    assert result.exit_code == 2, (command, result.output)
    assert "No such option: --no-such-option" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.stdout


def test_wrong_option_exits_2_with_one_line() -> None:
    result = runner.invoke(app, ["--no-such-option"])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert lines[0].startswith("Error: No such option: --no-such-option")


def test_unknown_command_exits_2() -> None:
    result = runner.invoke(app, ["migrat"])
    assert result.exit_code == 2
    assert "Error:" in result.stderr


def test_unreachable_database_names_the_site_not_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()  # nothing listens there
    monkeypatch.setenv("PSEA_IRAQ_URL", f"mysql://migrator:{SECRET}@127.0.0.1:{port}/psea")
    result = runner.invoke(app, ["--config", str(project(tmp_path)), "ping", "iraq"])
    assert result.exit_code == 1
    assert f"cannot connect to site 'iraq' at 127.0.0.1:{port}/psea" in result.stderr
    assert SECRET not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr + result.stdout


def test_wrong_password_on_a_real_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, any_server: LocalServer
) -> None:
    monkeypatch.setenv("PSEA_IRAQ_URL", f"mysql://root:{SECRET}@127.0.0.1:{any_server.port}/")
    result = runner.invoke(app, ["--config", str(project(tmp_path)), "ping", "iraq"])
    assert result.exit_code == 1
    assert "site 'iraq'" in result.stderr
    assert "1045" in result.stderr  # access denied
    assert SECRET not in result.stderr + result.stdout


def test_ping_a_real_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, any_server: LocalServer
) -> None:
    monkeypatch.setenv("PSEA_IRAQ_URL", f"mysql://root@127.0.0.1:{any_server.port}/mysql")
    monkeypatch.setenv("PSEA_TARGET_URL", f"mysql://root@127.0.0.1:{any_server.port}/")
    result = runner.invoke(app, ["--config", str(project(tmp_path)), "ping"])
    assert result.exit_code == 0, result.stderr
    assert f"iraq: 127.0.0.1:{any_server.port}/mysql" in result.stdout
    assert "target:" in result.stdout
    expected = "MariaDB" if any_server.flavor == "mariadb" else "9.7."
    assert expected in result.stdout


def test_ping_and_sites_include_the_test_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, any_server: LocalServer
) -> None:
    monkeypatch.setenv("PSEA_IRAQ_URL", f"mysql://root@127.0.0.1:{any_server.port}/mysql")
    monkeypatch.setenv("PSEA_TARGET_URL", f"mysql://root@127.0.0.1:{any_server.port}/")
    monkeypatch.setenv("PSEA_TEST_URL", f"mysql://root@127.0.0.1:{any_server.port}/no_such_db")
    path = project(tmp_path)
    path.write_text(path.read_text() + "test_target:\n  connection: {url_env: PSEA_TEST_URL}\n")
    result = runner.invoke(app, ["--config", str(path), "sites"])
    assert result.exit_code == 0 and "test_target: credentials from $PSEA_TEST_URL" in result.stdout
    result = runner.invoke(app, ["--config", str(path), "ping"])
    assert result.exit_code == 1  # the test target's database does not exist yet
    assert f"ok      target: 127.0.0.1:{any_server.port}" in result.stdout
    assert (
        "FAILED  test_target:" in result.stdout
        and "pseamigrate target init --url-env PSEA_TEST_URL" in result.stdout
    )
    assert "cannot connect to the test target" in result.stderr
    result = runner.invoke(app, ["--config", str(path), "ping", "test_target"])
    assert result.exit_code == 1 and "iraq" not in result.stdout


def test_an_unknown_site_is_a_usage_error_with_a_suggestion(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--config", str(project(tmp_path)), "ping", "narnia"])
    assert result.exit_code == 2
    assert "unknown site 'narnia' (known sites: iraq)" in result.stderr
    assert "did you mean" not in result.stderr  # nothing close: no guess
    result = runner.invoke(app, ["--config", str(project(tmp_path)), "ping", "irak"])
    assert result.exit_code == 2
    assert "unknown site 'irak' (known sites: iraq); did you mean 'iraq'?" in result.stderr


def test_sites_without_a_project_file_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["sites"], env={"PSEAMIGRATE_CONFIG": ""})
    assert result.exit_code == 2
    assert "no project file" in result.stderr and "None" not in result.stdout


def test_health_usage_errors_are_nagios_unknown() -> None:
    result = runner.invoke(app, ["health", "--bogus"])
    assert result.exit_code == 3  # Nagios reads 2 as CRITICAL
    assert result.stdout.startswith("PSEAMIGRATE UNKNOWN - No such option: --bogus")


def test_debug_shows_the_real_exception(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PSEA_IRAQ_URL", f"mysql://m:{SECRET}@127.0.0.1:{free_port()}/psea")
    result = runner.invoke(app, ["--debug", "--config", str(project(tmp_path)), "ping", "iraq"])
    assert isinstance(result.exception, ConnectionFailed)


def test_sites_shows_where_credentials_come_from_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PSEA_IRAQ_URL", f"mysql://m:{SECRET}@127.0.0.1/psea")
    result = runner.invoke(app, ["--config", str(project(tmp_path)), "sites"])
    assert result.exit_code == 0
    assert "$PSEA_IRAQ_URL" in result.stdout
    assert SECRET not in result.stdout


def test_missing_project_file_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--config", str(tmp_path / "nope.yaml"), "sites"])
    assert result.exit_code == 1
    assert "cannot read project file" in result.stderr
