"""The indicator set file: the shipped one loads, and every problem names its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pseamigrate.errors import ProblemsError
from pseamigrate.indicators.spec import load_indicators
from pseamigrate.target.model import load_model

BAD = """\
version: 1
indicators:
  by_narrative:
    entity: complaint
    unit: cases
    by: {column: narrative}
    period: date_received
  by_code:
    entity: complaint
    unit: cases
    by: {column: code}
    period: date_received
  nowhere:
    entity: case_file
    unit: cases
  odd:
    entity: awareness_session
    unit: souls
    count: [participants_women, title]
    by: {month: session_date}
    period: participants_men
    colour: red
"""


def test_the_shipped_set_loads_and_groups_only_by_labels() -> None:
    model = load_model()
    found = load_indicators(model)
    assert {i.name for i in found} >= {"complaints_per_month", "awareness_sessions_per_month"}
    for indicator in found:
        column = model.entities[indicator.entity].column(indicator.by_column)
        assert column is not None
        if indicator.by_kind == "month":  # a date, published as its month only
            assert column.type == "date"
        else:
            assert column.sensitivity == "public"
            assert column.type == "boolean" or column.values


def test_every_problem_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "set.yaml"
    path.write_text(BAD, "utf-8")
    with pytest.raises(ProblemsError) as caught:
        load_indicators(load_model(), path)
    lines = [str(problem) for problem in caught.value.problems]
    assert f"{path}:6: indicators.by_narrative.by: 'narrative' is not a public coded" in lines[0]
    assert any(p.startswith(f"{path}:11: indicators.by_code.by: 'code'") for p in lines)
    assert any(p.startswith(f"{path}:14: indicators.nowhere.entity: unknown entity") for p in lines)
    odd = [p for p in lines if ".odd" in p]
    assert any(p.startswith(f"{path}:18: indicators.odd.unit:") for p in odd)
    assert any("'title' is not a public integer column" in p for p in odd)
    assert any(p.startswith(f"{path}:21: indicators.odd.period:") for p in odd)
    assert any(":22:" in p and "colour" in p for p in odd)
