"""The package as a user gets it: shipped data, project paths, and a wheel installed elsewhere."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.config import load_settings
from pseamigrate.resources import DEFAULT_MODEL, MAPPINGS_DIR

ROOT = Path(__file__).resolve().parents[1]
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


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"{args[:3]} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
    return done.stdout


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)], tmp_path)
    wheel = next(dist.glob("pseamigrate-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    shipped = [p.relative_to(ROOT).as_posix() for p in (ROOT / "pseamigrate" / "data").rglob("*")]
    templates = [p.relative_to(ROOT).as_posix() for p in (ROOT / "pseamigrate").rglob("*.j2")]
    assert templates and "pseamigrate/data/mappings/README.md" in shipped
    assert {name for name in shipped + templates if "." in name.rsplit("/", 1)[-1]} <= names
    home = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(home)
    pip = [str(home / "bin" / "python"), "-m", "pip", "install", "-q"]
    _run([*pip, "-c", str(ROOT / "requirements.lock"), str(wheel)], tmp_path)
    where = tmp_path / "elsewhere"
    where.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PSEAMIGRATE_", "PYTHON"))}
    tool = str(home / "bin" / "pseamigrate")
    assert _run([tool, "--version"], where, env).startswith("pseamigrate ")
    sql = _run([tool, "schema", "show", "--sql"], where, env)
    assert "CREATE TABLE complaints" in sql and "ENGINE=InnoDB" in sql
    assert "Example: pseamigrate demo" in _run([tool, "demo", "--help"], where, env)
    found = _run(
        [str(home / "bin" / "python"), "-c", "import pseamigrate; print(pseamigrate.__file__)"],
        where,
        env,
    )
    assert Path(found.strip()).is_relative_to(home), "the checkout was imported, not the wheel"
