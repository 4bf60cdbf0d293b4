"""Hand-built `SiteModel`s mirroring the sample CRP sites (Demo, Iraq, DRC, Syria; D7 or D8).

They follow the content model the sample generator builds (issue text): complaint, referral,
awareness session, four vocabularies; Iraq adds a field and a list value, DRC is French and keeps
a deleted field instance, Syria replicates Demo.
"""

from __future__ import annotations

from dataclasses import replace

from pseamigrate.drupal.model import (
    AllowedValue,
    Bundle,
    FieldInstance,
    FieldStorage,
    Layout,
    SiteModel,
    Vocabulary,
)

INTAKE = [("hotline", "Hotline"), ("in_person", "In person"), ("complaint_box", "Complaint box")]
INTAKE += [("email", "Email")]
AGE = [("child_0_11", "0-11"), ("child_12_17", "12-17"), ("adult_18_59", "18-59")]
AGE += [("adult_60_plus", "60+")]
SEX = [("female", "Female"), ("male", "Male")]
STATUS = [("received", "Received"), ("under_review", "Under review"), ("referred", "Referred")]
STATUS += [("closed", "Closed")]
SERVICE = [("medical", "Medical"), ("psychosocial", "Psychosocial"), ("legal", "Legal")]
SERVICE += [("safety", "Safety"), ("livelihood", "Livelihood")]
FRENCH = {"Hotline": "Ligne verte", "In person": "En personne", "Received": "Reçue"}

# field name → (kind, cardinality, target vocabulary or bundle, list values)
COMPLAINT = {
    "field_code": ("string", 1, None, None),
    "field_date_received": ("date", 1, None, None),
    "field_intake_channel": ("list", 1, None, INTAKE),
    "field_survivor_age_group": ("list", 1, None, AGE),
    "field_sex": ("list", 1, None, SEX),
    "field_perpetrator_organisation": ("term", 1, "organisations", None),
    "field_allegation_type": ("term", 1, "allegation_types", None),
    "field_location": ("term", 1, "locations", None),
    "field_status": ("list", 1, None, STATUS),
    "field_referred_to_va": ("boolean", 1, None, None),
    "field_confidential_narrative": ("long", 1, None, None),
    "field_attachments": ("file", -1, None, None),
}
REFERRAL = {
    "field_complaint": ("node", 1, "complaint", None),
    "field_service_type": ("list", 1, None, SERVICE),
    "field_referral_date": ("date", 1, None, None),
    "field_outcome": ("long", 1, None, None),
}
SESSION = {
    "field_session_date": ("date", 1, None, None),
    "field_location": ("term", 1, "locations", None),
    "field_participants_women": ("int", 1, None, None),
    "field_participants_men": ("int", 1, None, None),
    "field_participants_girls": ("int", 1, None, None),
    "field_participants_boys": ("int", 1, None, None),
    "field_topics": ("term", -1, "awareness_topics", None),
    "field_facilitating_organisation": ("term", 1, "organisations", None),
}
D7_TYPES = {
    "string": "text",
    "date": "datetime",
    "list": "list_text",
    "term": "taxonomy_term_reference",
}
D7_TYPES |= {
    "boolean": "list_boolean",
    "long": "text_long",
    "file": "file",
    "int": "number_integer",
}
D7_TYPES |= {"node": "entityreference"}
D8_TYPES = {"string": "string", "date": "datetime", "list": "list_string"}
D8_TYPES |= {"term": "entity_reference", "boolean": "boolean", "long": "text_long", "file": "file"}
D8_TYPES |= {"int": "integer", "node": "entity_reference"}


def _columns(kind: str, layout: Layout) -> tuple[str, ...]:
    d7 = layout == "d7"
    return {
        "term": ("tid",) if d7 else ("target_id",),
        "node": ("target_id",),
        "file": ("fid", "display", "description")
        if d7
        else ("target_id", "display", "description"),
        "long": ("value", "format"),
        "string": ("value", "format") if d7 else ("value",),
    }.get(kind, ("value",))


def _storage(name: str, spec: tuple, layout: Layout, labels: dict[str, str]) -> FieldStorage:
    kind, cardinality, target, values = spec
    types = D7_TYPES if layout == "d7" else D8_TYPES
    target_type = {"term": "taxonomy_term", "node": "node", "file": "file"}.get(kind)
    table = f"field_data_{name}" if layout == "d7" else f"node__{name}"
    return FieldStorage(
        name=name,
        entity_type="node",
        type=types[kind],
        module="x",
        cardinality=cardinality,
        columns=_columns(kind, layout),
        data_table=table,
        revision_table=table.replace("data", "revision")
        if layout == "d7"
        else f"node_revision__{name}",
        allowed_values=tuple(AllowedValue(k, labels.get(v, v)) for k, v in values or ()),
        target_type=target_type,
        target_bundles=(target,) if target else (),
    )


def crp_site(site: str = "demo", layout: Layout = "d7") -> SiteModel:
    """Return the content model of one sample site (demo, iraq, drc or syria)."""
    labels = FRENCH if site == "drc" else {}
    complaint = dict(COMPLAINT)
    if site == "iraq":
        status_like = list(INTAKE) + [("whatsapp", "WhatsApp")]
        complaint["field_intake_channel"] = ("list", 1, None, status_like)
        complaint["field_disability"] = ("boolean", 1, None, None)
    bundles_spec = {"complaint": complaint, "referral": REFERRAL, "awareness_session": SESSION}
    fields: dict[tuple[str, str], FieldStorage] = {}
    bundles = {}
    for bundle, specs in bundles_spec.items():
        instances = []
        for name, spec in specs.items():
            fields[("node", name)] = _storage(name, spec, layout, labels)
            instances.append(FieldInstance(name, "node", bundle, name, False))
        if site == "drc" and bundle == "complaint":
            fields[("node", "field_witness_count")] = _storage(
                "field_witness_count", ("int", 1, None, None), layout, labels
            )
            instances.append(
                FieldInstance("field_witness_count", "node", bundle, "Témoins", False, deleted=True)
            )
        bundles[bundle] = Bundle("node", bundle, bundle.replace("_", " "), tuple(instances))
    vocabularies = {
        name: Vocabulary(name, name.replace("_", " "), str(i) if layout == "d7" else name, 0)
        for i, name in enumerate(
            ["allegation_types", "organisations", "locations", "awareness_topics"], 1
        )
    }
    vocabularies["locations"] = replace(vocabularies["locations"], hierarchy=1)
    return SiteModel(7 if layout == "d7" else 10, layout, "", bundles, fields, vocabularies)
