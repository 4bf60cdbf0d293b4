"""The canonical model file: validated with lines and paths, x- notes allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import JSON, BigInteger, Boolean, Integer, String
from sqlalchemy.dialects import mysql

from pseamigrate.errors import ModelError
from pseamigrate.target.logical import normalise_type
from pseamigrate.target.model import DEFAULT_MODEL, load_model

TEXT = DEFAULT_MODEL.read_text(encoding="utf-8")


def _load(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "model.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        load_model(path)
    return [str(p).replace(f"{path}:", "") for p in caught.value.problems]


def test_the_shipped_model_loads() -> None:
    model = load_model()
    assert set(model.entities) == {"complaint", "referral", "awareness_session"}
    assert model.vocabularies["location"].scope == "tenant"
    assert model.vocabularies["allegation_type"].scope == "shared"
    complaint = model.entities["complaint"]
    assert complaint.revisions is not None and complaint.revisions.track == ("status",)
    assert [c.name for c in complaint.children] == ["attachments"]
    assert "0_11" in (complaint.column("survivor_age_group") or complaint.columns[0]).values


def test_model_problems_come_with_lines_and_paths(tmp_path: Path) -> None:
    text = TEXT.replace("      date_received: {type: date", "      date_received: {type: dat")
    text = text.replace(
        "    scope: shared\n    description: Kinds", "    scop: shared\n    description: Kinds"
    )
    term = "vocabulary: location, from: field_location}"
    text = text.replace(term, term.replace("location,", "place,"))
    problems = "\n".join(_load(tmp_path, text))
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "{type: dat," in row)
    assert f"{line}: entities.complaint.columns.date_received.type: unknown type 'dat'" in problems
    assert "vocabularies.allegation_type.scop: unknown key 'scop'" in problems
    assert "vocabularies.allegation_type.scope: must be 'shared' or 'tenant'" in problems
    assert "entities.complaint.columns.location_id: unknown vocabulary 'place'" in problems
    assert problems.count("\n") == 3


def test_reference_columns_must_end_in_id(tmp_path: Path) -> None:
    text = TEXT.replace(
        "      location_id: {type: term, vocabulary: location, from: field_location}",
        "      location: {type: term, vocabulary: location}",
    )
    [problem] = _load(tmp_path, text)
    assert "entities.complaint.columns.location: a term column's name must end in _id" in problem


def test_types_normalise_the_same_for_both_servers() -> None:
    assert normalise_type(mysql.BIGINT(display_width=20)) == "bigint"
    assert normalise_type(BigInteger()) == "bigint"
    assert normalise_type(mysql.INTEGER(display_width=11)) == "integer"
    assert normalise_type(Integer()) == "integer"
    assert normalise_type(mysql.TINYINT(display_width=1)) == "boolean"
    assert normalise_type(mysql.TINYINT()) == "boolean"
    assert normalise_type(Boolean()) == "boolean"
    assert normalise_type(mysql.LONGTEXT()) == "json"
    assert normalise_type(JSON()) == "json"
    assert normalise_type(mysql.VARCHAR(length=64, collation="utf8mb4_unicode_ci")) == "varchar(64)"
    assert normalise_type(String(64)) == "varchar(64)"
