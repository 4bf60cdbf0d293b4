"""Process steps, one by one, on plain rows: pure functions, no database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from pseamigrate.drupal.model import EntityRecord
from pseamigrate.errors import UnmappedValue
from pseamigrate.mapping.load import load_mapping
from pseamigrate.mapping.model import EntityMapping, ProcessField
from pseamigrate.resources import MAPPINGS_DIR
from pseamigrate.transform.callbacks import CALLBACKS
from pseamigrate.transform.process import Context, SkipRow, run_pipeline, transform_row
from pseamigrate.transform.rows import source_row
from tests.mapping.crp_sites import crp_site


def _entity(tmp_path: Path, process: str) -> EntityMapping:
    text = (
        "version: 1\nsite: s\ntenant: t\nentities:\n  e:\n    source: {bundle: b}\n"
        "    destination: {entity: complaint}\n    process:\n" + process
    )
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    return load_mapping(path).entities[0]


def _field(tmp_path: Path, process: str) -> ProcessField:
    return _entity(tmp_path, process).process[0]


def _run(pf: ProcessField, row: dict[str, Any], ctx: Context | None = None) -> Any:
    done, value = run_pipeline(pf, row, ctx)
    assert done
    return value


def test_get_reads_a_field_and_a_storage_column(tmp_path: Path) -> None:
    assert _run(_field(tmp_path, "      a: field_x\n"), {"field_x": "v"}) == "v"
    pf = _field(tmp_path, "      a: {plugin: get, source: field_x/format}\n")
    assert _run(pf, {"field_x/*": [{"value": "v", "format": "plain"}]}) == "plain"


def test_static_map_maps_defaults_bypasses_and_refuses(tmp_path: Path) -> None:
    pf = _field(tmp_path, "      a: {plugin: static_map, source: s, map: {n: new, 1: one}}\n")
    assert _run(pf, {"s": "n"}) == "new"
    assert _run(pf, {"s": 1}) == "one"  # keys compare as text
    assert _run(pf, {"s": ["n", "1"]}) == ["new", "one"]
    with pytest.raises(UnmappedValue) as caught:
        _run(pf, {"s": "secret value"})
    assert "secret value" not in str(caught.value)  # names the step, never the value
    assert "m.yaml:9: entities.e.process.a" in str(caught.value)
    default = _field(
        tmp_path, "      a: {plugin: static_map, source: s, map: {}, default_value: z}\n"
    )
    assert _run(default, {"s": "q"}) == "z"
    bypass = _field(tmp_path, "      a: {plugin: static_map, source: s, map: {}, bypass: true}\n")
    assert _run(bypass, {"s": "q"}) == "q"


def test_default_value_replaces_empty_or_only_null_when_strict(tmp_path: Path) -> None:
    pf = _field(tmp_path, "      a: {plugin: default_value, source: s, default_value: 0}\n")
    assert _run(pf, {"s": None}) == 0
    assert _run(pf, {"s": ""}) == 0
    assert _run(pf, {"s": 7}) == 7
    strict = _field(
        tmp_path, "      a: {plugin: default_value, source: s, default_value: x, strict: true}\n"
    )
    assert _run(strict, {"s": ""}) == ""
    assert _run(strict, {}) == "x"


def test_skip_on_empty_skips_the_row_or_the_destination(tmp_path: Path) -> None:
    row_skip = _field(tmp_path, "      a: {plugin: skip_on_empty, source: s, method: row}\n")
    with pytest.raises(SkipRow):
        run_pipeline(row_skip, {"s": ""})
    assert _run(row_skip, {"s": "x"}) == "x"
    em = _entity(
        tmp_path,
        "      a: {plugin: skip_on_empty, source: s, method: process}\n      b: t\n",
    )
    assert transform_row(em, {"s": None, "t": 2}) == {"b": 2}


def test_format_date_converts_php_formats_and_time_zones(tmp_path: Path) -> None:
    pf = _field(
        tmp_path,
        "      a: {plugin: format_date, source: s, from_format: U, to_format: 'Y-m-d H:i:s'}\n",
    )
    assert _run(pf, {"s": 0}) == "1970-01-01 00:00:00"
    iso = _field(
        tmp_path,
        "      a:\n        plugin: format_date\n        source: s\n"
        "        from_format: ['Y-m-d\\TH:i:s', 'Y-m-d']\n        to_format: 'd/m/Y H:i'\n"
        "        from_timezone: Asia/Baghdad\n",
    )
    assert _run(iso, {"s": "2024-03-01T10:30:00"}) == "01/03/2024 07:30"
    assert _run(iso, {"s": "2024-03-01"}) == "29/02/2024 21:00"
    assert _run(iso, {"s": dt.datetime(2024, 3, 1, 12, 0)}) == "01/03/2024 09:00"
    assert _run(iso, {"s": None}) is None


def test_lookup_asks_the_injected_ledger(tmp_path: Path) -> None:
    seen: list[tuple[str, Any]] = []

    def lookup(kind: str, source_id: Any) -> int | None:
        seen.append((kind, source_id))
        return {5: 105}.get(source_id)

    pf = _field(tmp_path, "      a: {plugin: lookup, source: s, entity: complaint}\n")
    assert _run(pf, {"s": 5}, Context(lookup)) == 105
    assert _run(pf, {"s": 6}, Context(lookup)) is None
    terms = _field(tmp_path, "      a: {plugin: lookup, source: s, vocabulary: location}\n")
    assert _run(terms, {"s": [5, None]}, Context(lookup)) == [105]
    assert seen == [("complaint", 5), ("complaint", 6), ("location", 5)]


def test_callback_runs_a_registered_function(tmp_path: Path) -> None:
    pf = _field(
        tmp_path,
        "      a:\n        - {plugin: get, source: s}\n"
        "        - {plugin: callback, callable: normalise_email}\n",
    )
    assert _run(pf, {"s": "  Ana@Example.ORG "}) == "ana@example.org"
    assert CALLBACKS["to_bool"].function("off") is False
    assert CALLBACKS["first"].function([3, 4]) == 3


def test_sub_process_makes_one_child_per_delta(tmp_path: Path) -> None:
    pf = _field(
        tmp_path,
        "      a:\n        plugin: sub_process\n        source: field_files\n        process:\n"
        "          file_id: {plugin: lookup, source: target_id, entity: file}\n"
        "          description: description\n",
    )
    row = {"field_files/*": [{"target_id": 1, "description": "d1"}, {"target_id": 2}]}
    ctx = Context(lambda kind, source_id: source_id * 10)
    assert _run(pf, row, ctx) == [
        {"delta": 0, "file_id": 10, "description": "d1"},
        {"delta": 1, "file_id": 20, "description": None},
    ]


def test_a_shipped_mapping_transforms_a_drupal_7_complaint() -> None:
    site = crp_site("iraq", "d7")
    record = EntityRecord(
        entity_type="node",
        bundle="complaint",
        id=12,
        revision_id=30,
        language="und",
        base={"title": "C-12", "uid": 3, "status": 1, "created": 86400, "changed": 86400},
        fields={
            "field_complaint_code": ({"value": " IRQ-12 ", "format": None},),
            # Unix time: 2024-01-31 00:40 in Baghdad, still the 30th in UTC (#22)
            "field_date_received": ({"value": 1706650800},),
            "field_intake_channel": ({"value": "camp_committee"},),
            "field_complaint_status": (),
            "field_location": ({"tid": 8},),
            "field_attachments": ({"fid": 4, "display": 1, "description": ""},),
            "field_camp_name": ({"value": "camp", "format": None},),
        },
    )
    mapping = load_mapping(MAPPINGS_DIR / "sites" / "iraq.yaml")
    complaint = next(e for e in mapping.entities if e.bundle == "complaint")
    ids = {("user", 3): 1003, ("location", 8): 2008, ("file", 4): 3004}
    ctx = Context(lambda kind, source_id: ids.get((kind, source_id)))
    values = transform_row(complaint, source_row(record, site), ctx)
    assert values["code"] == "IRQ-12"
    assert values["date_received"] == "2024-01-31"
    assert values["created_at"] == "1970-01-02 00:00:00"
    assert values["author_id"] == 1003
    assert values["intake_channel"] == "other"
    assert values["status"] == "new"  # empty status: the default
    assert values["location_id"] == 2008
    assert values["attachments"] == [{"delta": 0, "file_id": 3004, "description": ""}]
    assert values["extra"] == {"camp_name": "camp", "intake_channel_iraq": "camp_committee"}


def test_drc_keeps_a_deleted_fields_value_in_extra() -> None:
    site = crp_site("drc", "d8")
    record = EntityRecord(
        entity_type="node",
        bundle="complaint",
        id=7,
        revision_id=9,
        language="fr",
        base={"title": "C-7", "uid": 3, "status": 1, "created": 0, "changed": 0},
        fields={"field_complaint_code": ({"value": "DRC-7"},)},
        deleted_fields={"field_old_case_number": ({"value": "OLD-0007"},)},
    )
    row = source_row(record, site)
    assert row["field_old_case_number"] == "OLD-0007"
    mapping = load_mapping(MAPPINGS_DIR / "sites" / "drc.yaml")
    complaint = next(e for e in mapping.entities if e.bundle == "complaint")
    values = transform_row(complaint, row, Context(lambda kind, source_id: source_id))
    assert values["extra"] == {"old_case_number": "OLD-0007"}
    assert values["code"] == "DRC-7"


def test_a_live_field_wins_over_a_deleted_one_of_the_same_name() -> None:
    record = EntityRecord(
        entity_type="node",
        bundle="complaint",
        id=1,
        revision_id=1,
        language="und",
        base={},
        fields={"field_complaint_code": ({"value": "live"},)},
        deleted_fields={"field_complaint_code": ({"value": "old"},)},
    )
    assert source_row(record, crp_site())["field_complaint_code"] == "live"
