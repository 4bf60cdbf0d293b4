"""The diff matrix as pure data: what counts as drift and what does not."""

from __future__ import annotations

from typing import Any

from pseamigrate.drupal.report import diff_data


def site(fields: dict[str, Any], deleted: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    bundle = {"count": 1, "fields": fields, "deleted_fields": deleted or []}
    return {
        "bundles": {"complaint": bundle},
        "vocabularies": {"location": {}},
        "latin1_tables": [],
        **extra,
    }


def field(kind: str = "list_text", cardinality: int = 1, values: list[str] | None = None) -> dict:
    return {"type": kind, "cardinality": cardinality, "allowed_values": values or []}


def test_identical_sites_have_no_differences_even_with_other_counts() -> None:
    a = site({"f": field(values=["a", "b"])})
    b = site({"f": field(values=["a", "b"])})
    b["bundles"]["complaint"]["count"] = 500
    assert diff_data({"a": a, "b": b})["differences"] == []


def test_list_value_order_is_not_drift_but_a_new_key_is() -> None:
    a = site({"f": field(values=["a", "b"])})
    b = site({"f": field(values=["b", "a"])})
    c = site({"f": field(values=["a", "b", "c"])})
    assert diff_data({"a": a, "b": b})["differences"] == []
    (row,) = diff_data({"a": a, "b": b, "c": c})["differences"]
    assert row["property"] == "allowed_values"
    assert row["only_in"] == {"a": [], "b": [], "c": ["c"]}


def test_type_cardinality_presence_deletion_and_encoding() -> None:
    a = site({"f": field(), "g": field("text")}, latin1_tables=["node"])
    b = site({"f": field("list_integer", -1)}, deleted=["g"])
    rows = diff_data({"a": a, "b": b})["differences"]
    found = {(r["field"], r["property"]): r["values"] for r in rows}
    assert found == {
        ("f", "type"): {"a": "list_text", "b": "list_integer"},
        ("f", "cardinality"): {"a": 1, "b": -1},
        ("g", "present"): {"a": "present", "b": "deleted"},
        (None, "latin1_tables"): {"a": 1, "b": 0},
    }


def test_a_missing_bundle_is_one_row_not_one_per_field() -> None:
    a = site({"f": field()})
    b = {"bundles": {}, "vocabularies": {"location": {}}, "latin1_tables": []}
    rows = diff_data({"a": a, "b": b})["differences"]
    assert [(r["kind"], r["bundle"], r["values"]) for r in rows] == [
        ("bundle", "complaint", {"a": True, "b": False})
    ]
