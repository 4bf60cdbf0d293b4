"""`mappings scaffold` writes a mapping `check` accepts after only the edits a person must make."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pseamigrate.drupal.model import Layout
from pseamigrate.mapping.check import check_mapping
from pseamigrate.mapping.load import load_mapping
from pseamigrate.mapping.scaffold import TODO_DELETED, TODO_FIELD, scaffold_mapping
from pseamigrate.target.model import load_model
from tests.mapping.crp_sites import crp_site

# Every site: the hand-typed incident date has no model column yet; it is kept in `extra`.
INCIDENT_DATE = [
    (f"      field_incident_date: '{TODO_FIELD}'\n", ""),
    (
        "      code: field_complaint_code\n",
        "      code: field_complaint_code\n      extra/incident_date: field_incident_date\n",
    ),
]
# The edits a person must make after scaffolding, per site: (text written, text it becomes).
HUMAN_EDITS: dict[str, list[tuple[str, str]]] = {
    "demo": INCIDENT_DATE,
    "syria": INCIDENT_DATE,
    # Iraq: decide where the extra channel goes, and keep the extra field in `extra`.
    "iraq": [
        ("camp_committee: TODO", "camp_committee: other"),
        (f"      field_camp_name: '{TODO_FIELD}'\n", ""),
        (
            "      code: field_complaint_code\n",
            "      code: field_complaint_code\n      extra/camp_name: field_camp_name\n",
        ),
        *INCIDENT_DATE,
    ],
    # DRC: only the incident date; its deleted field's remaining rows are kept in `extra` (with
    # a comment).
    "drc": INCIDENT_DATE,
}


def _scaffold(site: str, layout: Layout, tmp_path: Path) -> Path:
    text = scaffold_mapping(crp_site(site, layout), load_model(), site, site)
    path = tmp_path / f"{site}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("layout", ["d7", "d8"])
@pytest.mark.parametrize("site", ["demo", "iraq", "drc", "syria"])
def test_scaffold_then_the_documented_edits_pass_check(
    site: str, layout: Layout, tmp_path: Path
) -> None:
    path = _scaffold(site, layout, tmp_path)
    text = path.read_text(encoding="utf-8")
    for before, after in HUMAN_EDITS[site]:
        assert before in text, before
        text = text.replace(before, after, 1)
    path.write_text(text, encoding="utf-8")
    assert check_mapping(load_mapping(path), crp_site(site, layout)) == []


@pytest.mark.parametrize("layout", ["d7", "d8"])
def test_scaffold_of_iraq_lists_the_extra_field_and_list_value(
    layout: Layout, tmp_path: Path
) -> None:
    path = _scaffold("iraq", layout, tmp_path)
    problems = check_mapping(load_mapping(path), crp_site("iraq", layout))
    assert [(p.path, p.message) for p in problems] == [
        (
            "entities.complaint.process.intake_channel.map.camp_committee",
            "static_map maps 'camp_committee' to 'TODO', which is not a value of intake_channel "
            "(hotline, complaint_box, in_person, email, community_focal_point, other)",
        ),
        (
            "entities.complaint.ignore.field_camp_name",
            "still marked TODO (not in the model): map it, or replace TODO with the reason",
        ),
        (
            "entities.complaint.ignore.field_incident_date",
            "still marked TODO (not in the model): map it, or replace TODO with the reason",
        ),
    ]


@pytest.mark.parametrize("layout", ["d7", "d8"])
def test_scaffold_of_drc_keeps_the_deleted_field_in_extra(layout: Layout, tmp_path: Path) -> None:
    path = _scaffold("drc", layout, tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    at = lines.index("      extra/old_case_number: field_old_case_number")
    assert lines[at - 2].startswith("      # field_old_case_number is a DELETED field whose rows")
    assert "ignore:" in lines[at - 1]  # the comment says how to leave it behind instead
    assert "field_old_case_number" not in "\n".join(lines[at + 1 :])  # not also ignored
    mapping = load_mapping(path)
    complaint = next(e for e in mapping.entities if e.bundle == "complaint")
    assert complaint.field("extra/old_case_number") is not None
    problems = check_mapping(mapping, crp_site("drc", layout))
    # Only the free-text incident date (every site's) is left to a person.
    assert [p.path for p in problems] == ["entities.complaint.ignore.field_incident_date"]


def test_scaffold_still_marks_a_deleted_instance_without_storage_todo(tmp_path: Path) -> None:
    site = crp_site("drc", "d8")
    fields = {k: v for k, v in site.fields.items() if k[1] != "field_old_case_number"}
    path = tmp_path / "drc.yaml"
    path.write_text(
        scaffold_mapping(replace(site, fields=fields), load_model(), "drc", "drc"), "utf-8"
    )
    assert f"field_old_case_number: '{TODO_DELETED}'" in path.read_text(encoding="utf-8")


def test_scaffold_maps_by_model_hints_and_layout(tmp_path: Path) -> None:
    d7 = load_mapping(_scaffold("demo", "d7", tmp_path)).entities
    complaint = next(e for e in d7 if e.bundle == "complaint")
    date = complaint.field("date_received")
    assert date is not None
    assert dict(date.steps[0].options) == {
        "from_format": "Y-m-d H:i:s",
        "to_format": "Y-m-d",
        "from_timezone": "UTC",  # a calendar date stays as written (#22)
        "to_timezone": "UTC",
    }
    location = complaint.field("location_id")
    assert location is not None
    assert (location.steps[0].plugin, location.steps[0].options["vocabulary"]) == (
        "lookup",
        "location",
    )
    d8 = load_mapping(_scaffold("demo", "d8", tmp_path)).entities
    date8 = next(e for e in d8 if e.bundle == "complaint").field("date_received")
    assert date8 is not None
    assert date8.steps[0].options["from_format"] == "Y-m-d"
