"""`pseamigrate mappings …` on the command line: exit codes and the problem list on stdout."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.resources import MAPPINGS_DIR

runner = CliRunner()
SITES = MAPPINGS_DIR / "sites"


def test_validate_accepts_the_shipped_mappings() -> None:
    files = [str(SITES / f"{name}.yaml") for name in ("demo", "iraq", "drc", "syria")]
    result = runner.invoke(app, ["mappings", "validate", *files])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("ok  ") == 4


def test_validate_lists_every_problem_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "version: 1\nsite: s\ntenant: t\nentites: {}\nentities:\n  c:\n"
        "    source: {bundle: complaint}\n    destination: {entity: complaint}\n"
        "    process:\n      code: {plugin: eval, source: x}\n",
        encoding="utf-8",
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nsite: [s\n", encoding="utf-8")
    result = runner.invoke(app, ["mappings", "validate", str(bad), str(broken)])
    assert result.exit_code == 1
    assert f"{bad}:4: entites: unknown key 'entites'" in result.stdout
    assert f"{bad}:10: entities.c.process.code.plugin: unknown process step 'eval'" in result.stdout
    assert f"{broken}:3: YAML syntax error" in result.stdout


def test_validate_json(tmp_path: Path) -> None:
    result = runner.invoke(app, ["mappings", "validate", "--json", str(SITES / "demo.yaml")])
    assert result.exit_code == 0
    assert '"problems": []' in result.stdout


def test_check_needs_a_project_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["mappings", "check"], env={"PSEAMIGRATE_CONFIG": ""})
    assert result.exit_code == 2
    assert "no project file" in result.stderr


def test_scaffold_refuses_to_overwrite(tmp_path: Path) -> None:
    config = tmp_path / "pseamigrate.yaml"
    existing = tmp_path / "demo.yaml"
    existing.write_text("keep me\n", encoding="utf-8")
    config.write_text(
        "sites:\n  demo:\n    tenant: demo\n    connection: {url_env: PSEA_NOWHERE}\n"
        "    mapping: demo.yaml\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["--config", str(config), "mappings", "scaffold", "demo"])
    assert result.exit_code == 4
    assert "exists; pass" in result.stderr
    assert existing.read_text(encoding="utf-8") == "keep me\n"
