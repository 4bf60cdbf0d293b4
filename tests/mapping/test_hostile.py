"""Hostile mapping files (#15): includes stay in the mappings root, alias bombs stay small,
and messages never echo what a file holds beyond plain names."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.errors import MappingError
from pseamigrate.mapping.load import load_mapping, mapping_roots
from pseamigrate.resources import MAPPINGS_DIR
from pseamigrate.yamldoc import duplicate_problems, parse_located

HEAD = "version: 1\nsite: s\ntenant: t\n"
SHADOW = "root:$6$SECRETSALT$hash:19000:0:99999:7:::\nSECRET_KEY_LINE: 1\n"


def _messages(path: Path) -> list[str]:
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    return [str(problem) for problem in caught.value.problems]


def _layout(tmp_path: Path) -> Path:
    """mappings/sites/ and mappings/shared/ inside the project, a secret file outside."""
    (tmp_path / "project" / "mappings" / "sites").mkdir(parents=True)
    (tmp_path / "project" / "mappings" / "shared").mkdir()
    (tmp_path / "secret.yaml").write_text(SHADOW, encoding="utf-8")
    return tmp_path / "project" / "mappings"


@pytest.mark.parametrize(
    "include", ["../../../secret.yaml", "TMP/secret.yaml", "../shared/../../../secret.yaml"]
)
def test_an_include_outside_the_mappings_root_is_refused(tmp_path: Path, include: str) -> None:
    root = _layout(tmp_path)
    site = root / "sites" / "iraq.yaml"
    site.write_text(f"{HEAD}include: {include.replace('TMP', str(tmp_path))}\n", encoding="utf-8")
    messages = _messages(site)
    assert any(f"include[0]: must name a file inside {root}" in m for m in messages), messages
    assert not any("SECRET" in m or "$6$" in m for m in messages)


def test_a_symlink_out_of_the_root_is_refused(tmp_path: Path) -> None:
    root = _layout(tmp_path)
    (root / "shared" / "base.yaml").symlink_to(tmp_path / "secret.yaml")
    site = root / "sites" / "iraq.yaml"
    site.write_text(f"{HEAD}include: ../shared/base.yaml\n", encoding="utf-8")
    messages = _messages(site)
    assert any("include[0]: must name a file inside" in m for m in messages)
    assert not any("SECRET" in m for m in messages)


def test_includes_inside_the_root_and_the_shipped_template_load(tmp_path: Path) -> None:
    root = _layout(tmp_path)
    template = MAPPINGS_DIR / "shared" / "crp-template.yaml"
    (root / "shared" / "extra.yaml").write_text("x-note: shared\n", encoding="utf-8")
    site = root / "sites" / "demo.yaml"
    site.write_text(
        f"version: 1\nsite: demo\ntenant: demo\ninclude: [{template}, ../shared/extra.yaml]\n",
        encoding="utf-8",
    )
    assert mapping_roots(site) == (root.resolve(), MAPPINGS_DIR.resolve())
    assert load_mapping(site).entities


def test_unknown_keys_that_are_not_names_are_not_echoed(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(f"{HEAD}'{SHADOW.splitlines()[0]}': 1\nentites: {{}}\n", encoding="utf-8")
    messages = _messages(path)
    assert any("unknown key '(not a name)'" in m for m in messages)
    assert any("unknown key 'entites'" in m for m in messages)  # a typo is still named
    assert not any("SECRETSALT" in m for m in messages)


def billion_laughs(levels: int = 9) -> str:
    lines = ['x-l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"x-l{level}: &l{level} [{refs}]")
    return HEAD + "\n".join(lines) + f"\nentities: {{complaint: *l{levels}}}\n"


def test_an_alias_bomb_returns_quickly_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(billion_laughs(), encoding="utf-8")  # 9**10 strings if expanded
    started = time.monotonic()
    messages = _messages(path)
    assert time.monotonic() - started < 5
    assert any("entities.complaint: must be a mapping" in m for m in messages)


def test_the_duplicate_key_walk_visits_shared_nodes_once() -> None:
    doc = parse_located(billion_laughs(30) + "version: 2\n", "bomb.yaml")  # 9**31 if walked
    started = time.monotonic()
    [problem] = duplicate_problems(doc)
    assert time.monotonic() - started < 1
    assert (problem.path, problem.message) == ("version", "duplicate key")


def test_mappings_validate_survives_an_alias_bomb(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(billion_laughs(), encoding="utf-8")
    result = CliRunner().invoke(app, ["mappings", "validate", str(path)], catch_exceptions=False)
    assert result.exit_code == 1
    assert "entities.complaint: must be a mapping" in result.stdout


def test_deeply_nested_yaml_is_a_message(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(HEAD + "x-deep: " + "[" * 20000 + "]" * 20000 + "\n", encoding="utf-8")
    messages = _messages(path)
    assert any("YAML nested too deeply" in m for m in messages)


def test_notes_with_secret_looking_names_are_refused_anywhere(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(
        f"{HEAD}x-owner: ICT\nentities:\n  complaint:\n    x-db-password: hunter2-value\n",
        encoding="utf-8",
    )
    messages = _messages(path)
    assert any(
        "entities.complaint.x-db-password: notes must not hold secrets" in m for m in messages
    )
    assert not any("x-owner" in m or "hunter2" in m for m in messages)
