"""Bad input to `country new` gets one clear message, a non-zero exit and no files (#11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pseamigrate.country.locations import LocationsError, read_locations
from pseamigrate.country.template import list_templates, load_template, resolve_inputs
from pseamigrate.errors import UsageProblem
from tests.country.helpers import ADMIN, cli, new_country


def test_list_templates_shows_crp_with_typed_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _err = cli(monkeypatch, None, "country", "list-templates", "--json")
    assert code == 0
    crp = next(t for t in json.loads(out) if t["name"] == "crp")
    assert crp["version"] and crp["summary"].startswith("The default")
    inputs = {i["name"]: i for i in crp["inputs"]}
    assert inputs["admin_email"]["type"] == "email" and inputs["admin_email"]["env"]
    assert inputs["direction"]["choices"] == ["ltr", "rtl"]
    assert {"code", "name", "languages", "timezone", "locations", "focal_points"} <= set(inputs)


def test_every_shipped_template_has_a_summary_and_a_version() -> None:
    for template in list_templates():
        assert template.summary and template.version, template.name


def test_inputs_come_from_set_then_environment_then_default() -> None:
    crp = load_template("crp")
    env = {"PSEA_ADMIN_EMAIL": ADMIN, "PSEA_FOCAL_POINTS": "a@x.org, b@y.org"}
    values = resolve_inputs(crp, {"code": "iq", "name": "Iraq", "languages": "ar,en"}, env)
    assert values["languages"] == ["ar", "en"]
    assert values["focal_points"] == ["a@x.org", "b@y.org"]
    assert values["direction"] == "ltr" and values["timezone"] == "UTC"


def test_every_input_problem_is_reported_at_once_without_values() -> None:
    with pytest.raises(UsageProblem) as caught:
        resolve_inputs(
            load_template("crp"),
            {"code": "iq", "direction": "up", "admin_email": "secret-not-an-email", "x": "1"},
            {},
        )
    message = str(caught.value)
    for expected in ("x: unknown input", "name: required", "direction: must be one of"):
        assert expected in message
    assert "admin_email: not an e-mail address" in message
    assert "secret-not-an-email" not in message


def test_unknown_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _out, err = cli(
        monkeypatch, None, "country", "new", "iq", "-t", "nope", "--root", str(tmp_path)
    )
    assert code == 2
    assert "unknown country template 'nope' (known: crp" in err
    assert not (tmp_path / "countries").exists()


def test_missing_required_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PSEA_ADMIN_EMAIL", raising=False)
    code, _out, err = cli(
        monkeypatch, None, "country", "new", "iq", "--set", "name=Iraq", "--root", str(tmp_path)
    )
    assert code == 2
    assert "admin_email: required" in err and "$PSEA_ADMIN_EMAIL" in err
    assert not (tmp_path / "countries" / "iq").exists()


def test_existing_destination_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    new_country(monkeypatch, tmp_path, "iq", "Iraq")
    country = tmp_path / "countries" / "iq" / "country.yaml"
    country.write_text(country.read_text() + "# reviewed\n")
    code, _out, err = cli(
        monkeypatch, None, "country", "new", "iq", "--set", "name=X", "--root", str(tmp_path)
    )
    assert code == 4
    assert "already exists" in err
    assert country.read_text().endswith("# reviewed\n")


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "places.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_malformed_locations_csv_names_each_row(tmp_path: Path) -> None:
    path = _csv(tmp_path, "code,name,parent_code\nA,Alpha,\nA,Again,\nB,,A\nC,Gamma,A,extra\n")
    with pytest.raises(LocationsError) as caught:
        read_locations(path)
    message = str(caught.value)
    assert "row 3: code 'A' repeats row 2" in message
    assert "row 4: name must be 1-255 characters" in message
    assert "row 5: 4 columns, expected 3" in message
    assert "Alpha" not in message  # codes only, never names


def test_locations_csv_needs_its_header(tmp_path: Path) -> None:
    with pytest.raises(LocationsError, match="row 1: the header must be code,name,parent_code"):
        read_locations(_csv(tmp_path, "id,label,parent\n1,x,\n"))


def test_unknown_parent_and_cycles_are_refused(tmp_path: Path) -> None:
    path = _csv(tmp_path, "code,name,parent_code\nA,Alpha,Z\nB,Beta,C\nC,Gamma,B\n")
    with pytest.raises(LocationsError) as caught:
        read_locations(path)
    message = str(caught.value)
    assert "row 2: parent_code 'Z' does not exist" in message
    assert (
        "row 3: 'B' is its own ancestor" in message and "row 4: 'C' is its own ancestor" in message
    )


def test_locations_come_parents_first(tmp_path: Path) -> None:
    path = _csv(tmp_path, "code,name,parent_code\nK,Karkh,B\nB,Baghdad,\n")
    assert [p.code for p in read_locations(path)] == ["B", "K"]


def test_bad_locations_via_cli_exit_nonzero_and_write_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PSEA_ADMIN_EMAIL", ADMIN)
    path = _csv(tmp_path, "code,name,parent_code\nA,Alpha,Q\n")
    code, _out, err = cli(
        monkeypatch,
        None,
        "country",
        "new",
        "iq",
        "--set",
        "name=Iraq",
        "--locations",
        str(path),
        "--root",
        str(tmp_path),
    )
    assert code == 1
    assert "row 2: parent_code 'Q' does not exist" in err
    assert not (tmp_path / "countries").exists()
