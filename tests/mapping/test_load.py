"""Loading mappings: every problem at once, each with file, line and path."""

from __future__ import annotations

from pathlib import Path

import pytest

from pseamigrate.errors import MappingError
from pseamigrate.mapping.load import load_mapping
from pseamigrate.resources import MAPPINGS_DIR
from pseamigrate.yamldoc import Problem

SITES = MAPPINGS_DIR / "sites"

GOOD = """\
version: 1
site: demo
tenant: demo
x-owner: ICT team
entities:
  complaint:
    source: {bundle: complaint}
    destination: {entity: complaint}
    process:
      code: field_complaint_code
      status:
        - plugin: static_map
          source: field_complaint_status
          map: {new: new}
          default_value: new
        - {plugin: callback, callable: trim}
    ignore:
      field_narrative: "kept in the paper file"
"""


def _write(tmp_path: Path, text: str, name: str = "site.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(path: Path) -> list[Problem]:
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    return [p for p in caught.value.problems if isinstance(p, Problem)]


def test_a_good_mapping_loads_into_frozen_dataclasses(tmp_path: Path) -> None:
    mapping = load_mapping(_write(tmp_path, GOOD))
    complaint = mapping.entities[0]
    assert (complaint.bundle, complaint.destination) == ("complaint", "complaint")
    code = complaint.field("code")
    assert code is not None
    assert [s.plugin for s in code.steps] == ["get"]
    assert code.source == "field_complaint_code"
    assert code.where.line == 10
    status = complaint.field("status")
    assert status is not None
    assert [s.plugin for s in status.steps] == ["static_map", "callback"]
    assert complaint.ignore[0].reason == "kept in the paper file"
    with pytest.raises(AttributeError):
        complaint.bundle = "x"  # type: ignore[misc]


def test_a_typo_in_a_key_is_reported_with_file_line_and_path(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("    destination:", "    destinaton:"))
    problems = _problems(path)
    typo = [p for p in problems if "destinaton" in p.message]
    assert len(typo) == 1
    assert (typo[0].file, typo[0].line) == (str(path), 8)
    assert typo[0].path == "entities.complaint.destinaton"
    assert "unknown key 'destinaton'" in typo[0].message
    # the missing destination is reported in the same run: all problems at once
    assert any(p.path == "entities.complaint.destination.entity" for p in problems)


def test_an_unknown_process_step_is_reported(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("plugin: static_map", "plugin: statc_map"))
    [problem] = _problems(path)
    assert str(problem) == (
        f"{path}:12: entities.complaint.process.status[0].plugin: unknown process step "
        "'statc_map' (callback, default_value, format_date, get, lookup, skip_on_empty, "
        "static_map, sub_process)"
    )


def test_an_unknown_callback_is_reported_never_evaluated(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("callable: trim", "callable: __import__"))
    [problem] = _problems(path)
    assert problem.line == 16
    assert problem.path == "entities.complaint.process.status[1].callable"
    assert "unknown callback '__import__' (registered: " in problem.message


def test_a_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("map: {new: new}", "map: {new: new"))
    [problem] = _problems(path)
    assert problem.file == str(path)
    assert problem.line == 15
    assert problem.message.startswith("YAML syntax error")


def test_missing_options_duplicates_and_empty_reasons_all_reported(tmp_path: Path) -> None:
    text = GOOD.replace("          map: {new: new}\n", "")
    text += '      field_other: ""\n      field_narrative: again\n'
    problems = _problems(_write(tmp_path, text))
    messages = {(p.line, p.message) for p in problems}
    assert (12, "static_map needs 'map'") in messages
    assert (18, "an ignored item needs a reason") in messages
    assert (19, "duplicate key") in messages
    assert len(problems) == 3


def test_version_must_be_known(tmp_path: Path) -> None:
    [problem] = _problems(_write(tmp_path, GOOD.replace("version: 1", "version: 7")))
    assert (problem.line, problem.path) == (1, "version")


def test_numbers_with_underscores_stay_text(tmp_path: Path) -> None:
    text = GOOD.replace("map: {new: new}", "map: {0_11: 12_17}")
    mapping = load_mapping(_write(tmp_path, text))
    status = mapping.entities[0].field("status")
    assert status is not None
    assert dict(status.steps[0].options["map"]) == {"0_11": "12_17"}


def test_include_merges_and_the_local_value_wins(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    _write(tmp_path / "shared", GOOD.replace("site: demo\ntenant: demo\n", ""), "base.yaml")
    local = _write(
        tmp_path,
        "version: 1\nsite: iraq\ntenant: iq\ninclude: shared/base.yaml\n"
        "entities:\n  complaint:\n    process:\n      code: field_other_code\n",
    )
    mapping = load_mapping(local)
    complaint = mapping.entities[0]
    code, status = complaint.field("code"), complaint.field("status")
    assert code is not None and status is not None
    assert code.source == "field_other_code"
    assert code.where.file == str(local)
    assert len(status.steps) == 2  # inherited unchanged
    assert status.steps[0].where.file.endswith("base.yaml")
    assert mapping.tenant == "iq"


def test_a_null_drops_what_an_included_file_says(tmp_path: Path) -> None:
    """A clone that renamed a vocabulary or a field drops the shared file's name with `~`
    (Iraq: `awareness_topic: ~`), instead of copying the whole shared file (#22)."""
    base = GOOD.replace("site: demo\ntenant: demo\n", "vocabularies: {topics: awareness_topic}\n")
    _write(tmp_path, base, "base.yaml")
    local = _write(
        tmp_path,
        "version: 1\nsite: s\ntenant: t\ninclude: base.yaml\n"
        "vocabularies: {topics: ~, crp_topics: awareness_topic}\n"
        "entities:\n  complaint:\n    process:\n      status: ~\n",
    )
    mapping = load_mapping(local)
    assert [(v.source, v.destination) for v in mapping.vocabularies] == [
        ("crp_topics", "awareness_topic")
    ]
    assert [pf.destination for pf in mapping.entities[0].process] == ["code"]


def test_problems_in_an_included_file_name_that_file(tmp_path: Path) -> None:
    _write(tmp_path, GOOD.replace("callable: trim", "callable: nope"), "base.yaml")
    local = _write(tmp_path, "version: 1\nsite: s\ntenant: t\ninclude: base.yaml\n")
    [problem] = _problems(local)
    assert problem.file == str(tmp_path / "base.yaml")
    assert problem.line == 16


def test_a_bad_include_is_named_at_its_own_line(tmp_path: Path) -> None:
    _write(tmp_path, GOOD.replace("site: demo\ntenant: demo\n", ""), "base.yaml")
    local = _write(
        tmp_path,
        "version: 1\nsite: s\ntenant: t\ninclude:\n  - base.yaml\n  - site.yaml\n  - gone.yaml\n",
    )
    problems = {(p.file, p.line, p.path, p.message) for p in _problems(local)}
    assert problems == {
        (str(local), 6, "include[1]", "site.yaml includes itself"),
        (str(local), 7, "include[2]", "gone.yaml is not a readable file"),
    }


@pytest.mark.parametrize("name", ["demo", "iraq", "drc", "syria"])
def test_shipped_site_mappings_load(name: str) -> None:
    mapping = load_mapping(SITES / f"{name}.yaml")
    assert mapping.site == name
    assert {e.destination for e in mapping.entities} == {
        "complaint",
        "referral",
        "awareness_session",
    }
