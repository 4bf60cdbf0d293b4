"""`ping` reports every site and the target, each ok or with its reason, and their files_dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.servers import LocalServer
from pseamigrate.servers.instance import free_port

runner = CliRunner()
SECRET = "pw-ping-never-shown"


def _project(tmp_path: Path) -> Path:
    (tmp_path / "good-files" / "files").mkdir(parents=True)
    path = tmp_path / "pseamigrate.yaml"
    path.write_text(
        "sites:\n"
        "  good:\n    tenant: g\n    connection: {url_env: PSEA_GOOD_URL}\n"
        "    files_dir: good-files\n"
        "  badpass:\n    tenant: b\n    connection: {url_env: PSEA_BAD_URL}\n"
        "    files_dir: /nonexistent/psea-files\n"
        "  noenv:\n    tenant: n\n    connection: {url_env: PSEA_UNSET_URL}\n"
        "target:\n  connection: {url_env: PSEA_TARGET_URL}\n"
    )
    return path


def test_target_down_and_one_site_broken_reports_every_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, any_server: LocalServer
) -> None:
    port = any_server.port
    monkeypatch.setenv("PSEA_GOOD_URL", f"mysql://root@127.0.0.1:{port}/mysql")
    monkeypatch.setenv("PSEA_BAD_URL", f"mysql://root:{SECRET}@127.0.0.1:{port}/mysql")
    monkeypatch.delenv("PSEA_UNSET_URL", raising=False)
    down = free_port()  # nothing listens there
    monkeypatch.setenv("PSEA_TARGET_URL", f"mysql://root@127.0.0.1:{down}/psea")
    result = runner.invoke(app, ["--config", str(_project(tmp_path)), "ping"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 4, result.stdout
    good, bad, noenv, target = lines
    assert good.startswith("ok") and f"good: 127.0.0.1:{port}/mysql" in good
    assert "good-files readable, missing private/" in good
    assert bad.startswith("FAILED") and "1045" in bad
    assert "/nonexistent/psea-files missing or not a directory" in bad
    assert noenv.startswith("FAILED") and "PSEA_UNSET_URL is not set" in noenv
    assert noenv.endswith("no files_dir in the project file")
    assert target.startswith("FAILED") and f"target: 127.0.0.1:{down}/psea" in target
    assert "4 of 4 failed" not in result.stderr and "3 of 4 failed" in result.stderr
    assert f"cannot connect to the target at 127.0.0.1:{down}/psea" in result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_ping_json_and_a_missing_target_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mariadb_server: LocalServer
) -> None:
    port = mariadb_server.port
    monkeypatch.setenv("PSEA_GOOD_URL", f"mysql://root@127.0.0.1:{port}/mysql")
    monkeypatch.setenv("PSEA_TARGET_URL", f"mysql://root@127.0.0.1:{port}/psea_not_created")
    config = _project(tmp_path)
    result = runner.invoke(app, ["--config", str(config), "ping", "good", "target", "--json"])
    assert result.exit_code == 1
    good, target = json.loads(result.stdout)
    assert good["ok"] is True and good["files_dir"]["missing_subfolders"] == ["private"]
    assert target["ok"] is False and "1049" in target["reason"]
    assert "pseamigrate target init" in target["reason"]


def test_sites_shows_files_dir(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--config", str(_project(tmp_path)), "sites"])
    assert result.exit_code == 0
    assert "/nonexistent/psea-files" in result.stdout and "files_dir" in result.stdout
