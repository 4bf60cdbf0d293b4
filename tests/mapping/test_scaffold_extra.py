"""`scaffold --unmapped extra`: a mapping `check` accepts as it is, losing nothing (#9 item 1)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.config import ConnectionSpec, SiteSettings
from pseamigrate.drupal.model import (
    Bundle,
    FieldInstance,
    FieldStorage,
    Layout,
    SiteModel,
    Vocabulary,
)
from pseamigrate.errors import UsageProblem
from pseamigrate.mapping.check import check_findings
from pseamigrate.mapping.commands import scaffold_site
from pseamigrate.mapping.load import load_mapping
from pseamigrate.mapping.model import EntityMapping, SiteMapping
from pseamigrate.mapping.scaffold import REVIEW_BUNDLE, REVIEW_VOCABULARY, scaffold_mapping
from pseamigrate.target.model import load_model
from pseamigrate.transform.process import Context, transform_row
from tests.mapping.crp_sites import crp_site


def _scaffold(site: SiteModel, tmp_path: Path, name: str = "s") -> SiteMapping:
    path = tmp_path / f"{name}.yaml"
    path.write_text(scaffold_mapping(site, load_model(), name, name, "extra"), encoding="utf-8")
    return load_mapping(path)


def _entity(mapping: SiteMapping, bundle: str) -> EntityMapping:
    return next(e for e in mapping.entities if e.bundle == bundle)


@pytest.mark.parametrize("layout", ["d7", "d8"])
@pytest.mark.parametrize("site", ["demo", "iraq", "drc", "syria"])
def test_the_sample_sites_pass_check_as_scaffolded(
    site: str, layout: Layout, tmp_path: Path
) -> None:
    findings = check_findings(
        _scaffold(crp_site(site, layout), tmp_path, site), crp_site(site, layout)
    )
    assert findings.problems == []
    warned = {w.path for w in findings.warnings}
    drift = {  # what each clone adds to the template must be among the warnings
        "demo": set(),
        "syria": set(),
        "iraq": {
            "entities.complaint.process.extra/camp_name",
            "entities.complaint.process.intake_channel",  # camp_committee kept as it is
            "entities.complaint.process.date_received",  # an integer read as Unix time
        },
        "drc": {
            "entities.complaint.process.extra/old_case_number",
            "entities.complaint.process.date_received",  # an integer read as Unix time
        },
    }
    assert drift[site] <= warned
    # Anything else warned about is a field the model has no column for, kept whole in extra.
    model = load_model()
    for path in warned - drift[site]:
        entity, _, destination = path.removeprefix("entities.").partition(".process.")
        name = destination.removeprefix("extra/")
        columns = model.entities[entity].columns
        assert destination.startswith("extra/") and all(c.name != name for c in columns), path
        assert any(
            f.field_name == f"field_{name}" for f in crp_site(site, layout).bundles[entity].fields
        )


def _storage(name: str, kind: str, columns: tuple[str, ...], deleted: bool = False) -> FieldStorage:
    return FieldStorage(
        name, "node", kind, "x", 1, columns, f"field_data_{name}", None, deleted=deleted
    )


def _drifted() -> SiteModel:
    """Demo (Drupal 7) with the drift real clones carry, one case of each kind."""
    site = crp_site("demo", "d7")
    changed = {
        # a free-text date, an integer holding Unix time, several values for one column,
        # free text into a coded column, a term field into a vocabulary the model lacks, a node
        # reference to a bundle of another entity, images into the attachments child table
        "field_date_received": _storage("field_date_received", "text", ("value", "format")),
        "field_referral_date": _storage("field_referral_date", "number_integer", ("value",)),
        "field_location": replace(site.fields[("node", "field_location")], cardinality=-1),
        "field_complaint_status": _storage("field_complaint_status", "text", ("value", "format")),
        "field_allegation_type": replace(
            site.fields[("node", "field_allegation_type")], target_bundles=("tags",)
        ),
        "field_attachments": replace(
            site.fields[("node", "field_attachments")],
            type="image",
            columns=("fid", "alt", "title", "width", "height"),
        ),
        "field_complaint_ref": replace(
            site.fields[("node", "field_complaint_ref")], target_bundles=("awareness_session",)
        ),
    }
    added = {
        "field_note": _storage("field_note", "text_with_summary", ("value", "summary", "format")),
        "field_gone": _storage("field_gone", "text", ("value", "format"), deleted=True),
    }
    fields = dict(site.fields)
    fields.update({("node", name): storage for name, storage in {**changed, **added}.items()})
    complaint = site.bundles["complaint"]
    instances = (
        *complaint.fields,
        FieldInstance("field_note", "node", "complaint", "Note", False),
        FieldInstance("field_gone", "node", "complaint", "Gone", False, True),
        FieldInstance("field_lost", "node", "complaint", "Lost", False, True),
    )
    bundles = dict(site.bundles)
    bundles["complaint"] = replace(complaint, fields=instances)
    bundles["page"] = Bundle("node", "page", "Page")
    vocabularies = dict(site.vocabularies)
    vocabularies["tags"] = Vocabulary("tags", "Tags", "9")
    return replace(site, fields=fields, bundles=bundles, vocabularies=vocabularies)


def test_every_kind_of_drift_lands_somewhere_and_check_passes(tmp_path: Path) -> None:
    site = _drifted()
    mapping = _scaffold(site, tmp_path)
    findings = check_findings(mapping, site)
    assert findings.problems == []
    assert {(i.name, i.reason) for i in mapping.ignore_bundles} == {("page", REVIEW_BUNDLE)}
    assert {(i.name, i.reason) for i in mapping.ignore_vocabularies} == {
        ("tags", REVIEW_VOCABULARY)
    }
    complaint = _entity(mapping, "complaint")
    steps = {pf.destination: pf.steps[0] for pf in complaint.process}
    date = steps["date_received"]
    assert (date.plugin, date.options["on_error"]) == ("format_date", "extra")
    assert "d/m/Y" in date.options["from_format"]
    referral = {pf.destination: pf.steps[0] for pf in _entity(mapping, "referral").process}
    unix = referral["referral_date"]
    assert (unix.options["from_format"], unix.options["on_error"]) == ("U", "extra")
    assert "location_id" not in steps and steps["extra/location"].plugin == "get"
    assert "allegation_type_id" not in steps and "extra/allegation_type" in steps
    status = steps["status"]
    assert (status.plugin, status.options["unmatched"]) == ("static_map", "extra")
    note = steps["extra/note"]
    assert (note.plugin, dict(note.process[0].steps[0].options)) == ("sub_process", {})
    assert [pf.destination for pf in note.process] == ["value", "summary"]
    assert "extra/gone" in steps
    assert "complaint_id" not in referral and "extra/complaint_ref" in referral
    assert steps["attachments"].plugin == "sub_process"
    assert [pf.destination for pf in steps["extra/attachments"].process] == [
        "alt",
        "title",
        "width",
        "height",
    ]
    assert [i.name for i in complaint.ignore] == ["field_lost"]
    # every one of those decisions is a warning; required columns are still all mapped
    warned = {w.path.rsplit(".", 1)[-1] for w in findings.warnings}
    assert {"date_received", "extra/location", "extra/allegation_type", "status"} <= warned
    assert {"extra/note", "extra/gone", "field_lost", "page", "tags", "referral_date"} <= warned
    assert "extra/complaint_ref" in warned


def test_the_drifted_values_reach_a_column_or_extra(tmp_path: Path) -> None:
    mapping = _scaffold(_drifted(), tmp_path)
    complaint = _entity(mapping, "complaint")
    row = {
        "field_date_received": "31/12/2023",
        "field_location": [7, 8],
        "field_complaint_status": "en attente",
        "field_allegation_type": 3,
        "field_note/*": [{"value": "v", "summary": "s", "format": "plain_text"}],
        "field_gone": "old",
        "field_attachments/*": [
            {"fid": 4, "target_id": 4, "alt": "a", "title": "t", "width": 1, "height": 2}
        ],
    }
    ctx = Context(lambda kind, ident: ident)
    values = transform_row(complaint, row, ctx)
    assert values["date_received"] == "2023-12-31"
    assert values["status"] is None
    extra = values["extra"]
    assert extra["location"] == [7, 8]
    assert extra["complaint_status"] == "en attente"
    assert extra["allegation_type"] == 3
    assert extra["note"] == [{"delta": 0, "value": "v", "summary": "s"}]
    assert extra["gone"] == "old"
    assert values["attachments"] == [{"delta": 0, "file_id": 4}]  # no description column: none
    assert extra["attachments"] == [{"delta": 0, "alt": "a", "title": "t", "width": 1, "height": 2}]
    assert ctx.messages == [
        "field_complaint_status: value has no match in the map; kept in extra/complaint_status"
    ]
    bad = transform_row(complaint, {**row, "field_date_received": "hier"}, ctx)
    assert bad["date_received"] is None and bad["extra"]["date_received"] == "hier"
    assert ctx.messages[-1] == (
        "field_date_received: value does not parse as a date; kept in extra/date_received"
    )


def test_validate_lists_the_review_notes_without_a_site(tmp_path: Path) -> None:
    path = tmp_path / "drift.yaml"
    path.write_text(scaffold_mapping(_drifted(), load_model(), "d", "d", "extra"), "utf-8")
    # every warning of check on this site is a review note (no list value is left unmatched)
    notes = len(check_findings(load_mapping(path), _drifted()).warnings)
    assert notes >= 12
    result = CliRunner().invoke(app, ["mappings", "validate", str(path)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"ok  {path} ({notes} warning(s) to review)")
    assert result.stdout.count("  warning: ") == notes
    assert "ignore.bundles.page: to review: no entity of the model matches" in result.stdout
    as_json = CliRunner().invoke(app, ["mappings", "validate", "--json", str(path)])
    assert '"ok": true' in as_json.stdout and as_json.stdout.count('"message"') == notes


def test_an_unknown_unmapped_mode_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["mappings", "scaffold", "demo", "--unmapped", "drop"])
    assert result.exit_code == 2
    assert "drop" in result.stderr
    spec = ConnectionSpec(url_env="PSEA_NOWHERE")
    site = SiteSettings("demo", "demo", spec, mapping=tmp_path / "m.yaml")
    with pytest.raises(UsageProblem, match="--unmapped must be one of todo, extra"):
        scaffold_site(site, unmapped="drop")
    assert not (tmp_path / "m.yaml").exists()
