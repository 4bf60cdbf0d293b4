"""The one table of Drupal field types serves the readers and the mapping language alike."""

from __future__ import annotations

from pseamigrate.drupal.field_types import FIELD_TYPES, is_core, reference_target, type_kind
from pseamigrate.drupal.model import FieldStorage
from pseamigrate.mapping.types import ACCEPTS, REFERENCE_KINDS, field_kind
from pseamigrate.sample import d7fields, d8fields


def test_every_type_the_sample_sites_write_is_core_in_its_layout() -> None:
    assert all(is_core(spec.type, "d7") for spec in d7fields.TYPES.values())
    assert all(is_core(spec.type, "d8") for spec in d8fields.TYPES.values())


def test_core_types_differ_by_layout_where_drupal_renamed_them() -> None:
    assert is_core("number_integer", "d7") and not is_core("number_integer", "d8")
    assert is_core("integer", "d8") and not is_core("integer", "d7")
    assert is_core("telephone", "d8") and not is_core("telephone", "d7")  # contrib in D7
    assert not is_core("node_reference", "d7") and type_kind("node_reference") == "node"


def test_every_kind_is_one_the_mapping_language_knows() -> None:
    known = {kind for kinds in ACCEPTS.values() for kind in kinds} | REFERENCE_KINDS
    assert {t.kind for t in FIELD_TYPES.values()} <= known | {"text", "other"}
    assert type_kind("phone") == "other" and reference_target("phone") is None


def test_references_take_their_target_from_the_table() -> None:
    assert reference_target("taxonomy_term_reference") == "taxonomy_term"
    assert reference_target("image") == "file"
    storage = FieldStorage(
        name="field_x",
        entity_type="node",
        type="entity_reference",
        module="core",
        cardinality=1,
        columns=("target_id",),
        data_table="node__field_x",
        revision_table=None,
        target_type="taxonomy_term",
    )
    assert field_kind(storage) == "term"
