"""Text from files and legacy databases reaches the terminal literally: no emoji, no markup.

`bad.yaml:100:` once printed as `bad.yaml💯` (rich's emoji codes) and a `[bold]` label would
have vanished into styling; these tests run the real CLI rendering and compare the bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.mapping.commands import validate_files

runner = CliRunner()
LABEL = "[bold]Article[/bold] :smile: :100:"


def _bad_mapping(tmp_path: Path) -> Path:
    """Write a mapping whose unknown key sits on line 100, in a folder whose name holds `:100:`."""
    folder = tmp_path / "sites:100:[bold]"
    folder.mkdir()
    path = folder / "bad:smile:.yaml"
    padding = "".join(f"# line {n}\n" for n in range(1, 96))
    body = "version: 1\nsite: demo\ntenant: demo\nentities: {}\nentitties: {}\n"
    path.write_text(padding + body, encoding="utf-8")
    return path


def test_mapping_problem_prints_byte_for_byte(tmp_path: Path) -> None:
    path = _bad_mapping(tmp_path)
    (problem,) = validate_files([path])[0].problems
    assert problem.line == 100
    result = runner.invoke(app, ["mappings", "validate", str(path)])
    assert result.exit_code == 1
    assert result.stderr == ""  # the problems are the result: stdout (#14)
    expected = f"{path}: 1 problem(s)\n  {path}:100: entitties: {problem.message}\n"
    assert result.stdout.encode() == expected.encode()
    assert "💯" not in result.stdout and "😄" not in result.stdout


def test_project_paths_print_literally(tmp_path: Path) -> None:
    project = tmp_path / "pseamigrate.yaml"
    project.write_text(
        "sites:\n  iraq:\n    tenant: iq\n    connection: {url_env: X}\n"
        "    mapping: 'm:100:/[bold]x:smile:.yaml'\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["--config", str(project), "sites"])
    assert result.exit_code == 0, result.stderr
    assert f"{tmp_path}/m:100:/[bold]x:smile:.yaml" in result.stdout.replace("\n", "")
    assert f"Sites in {project}" in result.stdout


def _relabel(url: URL, bundle: str, label: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE node_type SET name = :label WHERE type = :bundle"),
                {"label": label, "bundle": bundle},
            )
    finally:
        engine.dispose()


@pytest.mark.mariadb
def test_inspect_prints_a_drupal_label_byte_for_byte(
    drupal_copy: Callable[[str], URL], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = drupal_copy("d7")
    _relabel(url, "article", LABEL)
    monkeypatch.setenv("PSEA_TEST_LITERAL_URL", url.render_as_string(hide_password=False))
    project = tmp_path / "pseamigrate.yaml"
    project.write_text(
        "sites:\n  demo: {tenant: demo, connection: {url_env: PSEA_TEST_LITERAL_URL}}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["--config", str(project), "inspect", "demo"])
    assert result.exit_code == 0, result.stderr
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    assert f"Fields of article ({LABEL})".encode() in [line.encode() for line in lines]
    row = next(line for line in lines if line.startswith("│ article "))
    assert f"│ {LABEL} │".encode() in row.encode()
    assert "💯" not in result.stdout and "😄" not in result.stdout
