"""The package as a user gets it: shipped data and project paths (the installed wheel:
tests/test_install.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.config import load_settings
from pseamigrate.resources import DEFAULT_MODEL, MAPPINGS_DIR

runner = CliRunner()

# The shipped model with one more entity, so a test can tell which model a command read.
EXTRA_ENTITY = """
  witness_statement:
    table: witness_statements
    description: test-only entity
    columns:
      summary: {type: text, sensitivity: sensitive}
"""


def _own_model(tmp_path: Path) -> Path:
    text = DEFAULT_MODEL.read_text(encoding="utf-8")
    head, _, tail = text.partition("\nentities:\n")
    path = tmp_path / "own" / "model.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(f"{head}\nentities:{EXTRA_ENTITY}{tail}", encoding="utf-8")
    return path


def test_project_file_names_its_own_model_and_mappings(tmp_path: Path) -> None:
    project = tmp_path / "pseamigrate.yaml"
    project.write_text(
        "model: own/model.yaml\nmappings: own/mappings\nsites:\n"
        "  iraq: {tenant: iq, connection: {url_env: X}}\n"
        "  drc: {tenant: cd, connection: {url_env: X}, mapping: drc.yaml}\n",
        encoding="utf-8",
    )
    settings = load_settings(project)
    assert settings.model == tmp_path / "own" / "model.yaml"
    assert settings.mappings == tmp_path / "own" / "mappings"
    assert settings.site("iraq").mapping == tmp_path / "own" / "mappings" / "sites" / "iraq.yaml"
    assert settings.site("drc").mapping == tmp_path / "drc.yaml"  # a site's own path wins


def test_schema_reads_the_project_model_and_model_option_wins(tmp_path: Path) -> None:
    _own_model(tmp_path)
    project = tmp_path / "pseamigrate.yaml"
    project.write_text("model: own/model.yaml\n", encoding="utf-8")
    own = runner.invoke(app, ["--config", str(project), "schema", "show", "--sql"])
    assert own.exit_code == 0, own.stderr
    assert "CREATE TABLE witness_statements" in own.stdout
    args = ["--config", str(project), "schema", "show", "--sql", "--model", str(DEFAULT_MODEL)]
    shipped = runner.invoke(app, args)
    assert shipped.exit_code == 0, shipped.stderr
    assert "CREATE TABLE complaints" in shipped.stdout
    assert "witness_statements" not in shipped.stdout


def test_schema_docs_writes_under_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PSEAMIGRATE_CONFIG", raising=False)
    result = runner.invoke(app, ["schema", "docs"])
    assert result.exit_code == 0, result.stderr
    written = tmp_path / "docs" / "schema.md"
    assert written.read_text(encoding="utf-8").startswith("# ")
    assert f"wrote {Path('docs') / 'schema.md'}" in result.stderr


def test_package_data_is_inside_the_package() -> None:
    package = Path(__file__).resolve().parents[1] / "pseamigrate"
    assert MAPPINGS_DIR.is_relative_to(package)
    assert (MAPPINGS_DIR / "shared" / "crp-template.yaml").is_file()
