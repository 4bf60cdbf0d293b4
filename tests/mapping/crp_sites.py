"""Hand-built `SiteModel`s mirroring the sample CRP sites (Demo, Iraq, DRC, Syria; D7 or D8+).

They follow `pseamigrate.sample.sites` (branch `sample`, issue #3): complaint, referral and
awareness session, four vocabularies, a free-text `field_incident_date` on complaints and (8+)
the `comment` field on complaints and referrals; Iraq adds `field_camp_name` and the intake
channel value `camp_committee`, and calls the topics vocabulary `crp_topics` and the referral's
link `field_case_nid`; DRC is French and keeps the deleted instance
`field_old_case_number`; Iraq (Asia/Baghdad) and DRC (America/Port-au-Prince) keep the date
received as Unix time in an integer field; Syria replicates Demo.
"""

from __future__ import annotations

from typing import Any

from pseamigrate.drupal.facts import TIMEZONE_SETTINGS
from pseamigrate.drupal.model import (
    AllowedValue,
    Bundle,
    FieldInstance,
    FieldStorage,
    Layout,
    SiteModel,
    SiteTimeZone,
    Vocabulary,
)

INTAKE = [("hotline", "Hotline"), ("complaint_box", "Complaint box"), ("in_person", "In person")]
INTAKE += [("email", "Email"), ("community_focal_point", "Community focal point")]
AGES = [("0_11", "0-11"), ("12_17", "12-17"), ("18_59", "18-59"), ("60_plus", "60+")]
SEXES = [("female", "Female"), ("male", "Male"), ("other", "Other"), ("unknown", "Unknown")]
STATUSES = [("new", "New"), ("in_progress", "In progress"), ("referred", "Referred")]
STATUSES += [("closed", "Closed")]
SERVICES = [("medical", "Medical"), ("psychosocial", "Psychosocial"), ("legal", "Legal")]
SERVICES += [("safety", "Safety and security"), ("livelihood", "Livelihood")]
OUTCOMES = [("pending", "Pending"), ("accepted", "Accepted"), ("declined", "Declined")]
OUTCOMES += [("completed", "Completed")]

# field name → (kind as in the sample generator, cardinality, target, list values)
Spec = tuple[str, int, str, list[tuple[str, str]]]
COMPLAINT: dict[str, Spec] = {
    "field_complaint_code": ("text", 1, "", []),
    "field_date_received": ("date", 1, "", []),
    "field_intake_channel": ("list", 1, "", INTAKE),
    "field_survivor_age_group": ("list", 1, "", AGES),
    "field_survivor_sex": ("list", 1, "", SEXES),
    "field_perpetrator_org": ("term", 1, "organisation", []),
    "field_allegation_type": ("term", 1, "allegation_type", []),
    "field_location": ("term", 1, "location", []),
    "field_complaint_status": ("list", 1, "", STATUSES),
    "field_referred_va": ("bool", 1, "", []),
    "field_narrative": ("longtext", 1, "", []),
    "field_attachments": ("file", -1, "", []),
    "field_incident_date": ("text", 1, "", []),
}
REFERRAL: dict[str, Spec] = {
    "field_complaint_ref": ("noderef", 1, "complaint", []),
    "field_service_type": ("list", 1, "", SERVICES),
    "field_referral_date": ("date", 1, "", []),
    "field_referral_outcome": ("list", 1, "", OUTCOMES),
}
SESSION: dict[str, Spec] = {
    "field_session_date": ("date", 1, "", []),
    "field_session_location": ("term", 1, "location", []),
    "field_participants_women": ("int", 1, "", []),
    "field_participants_men": ("int", 1, "", []),
    "field_participants_girls": ("int", 1, "", []),
    "field_participants_boys": ("int", 1, "", []),
    "field_session_topics": ("term", -1, "awareness_topic", []),
    "field_facilitating_org": ("term", 1, "organisation", []),
}
# kind → (Drupal 7 type, its columns), (Drupal 8+ type, its columns)
TYPES: dict[str, tuple[tuple[str, tuple[str, ...]], tuple[str, tuple[str, ...]]]] = {
    "text": (("text", ("value", "format")), ("string", ("value",))),
    "date": (("datetime", ("value",)), ("datetime", ("value",))),
    "list": (("list_text", ("value",)), ("list_string", ("value",))),
    "term": (("taxonomy_term_reference", ("tid",)), ("entity_reference", ("target_id",))),
    "bool": (("list_boolean", ("value",)), ("boolean", ("value",))),
    "longtext": (("text_long", ("value", "format")), ("text_long", ("value", "format"))),
    "file": (
        ("file", ("fid", "display", "description")),
        ("file", ("target_id", "display", "description")),
    ),
    "noderef": (("entityreference", ("target_id",)), ("entity_reference", ("target_id",))),
    "int": (("number_integer", ("value",)), ("integer", ("value",))),
    "comment": (("comment", ("status",)), ("comment", ("status",))),  # Drupal 8+ only
}
# Sites whose time zone is not UTC (the others set UTC).
TIMEZONES = {"iraq": "Asia/Baghdad", "drc": "America/Port-au-Prince"}
IRAQ_TOPICS, IRAQ_LINK = "crp_topics", "field_case_nid"
TARGET_TYPES = {"term": "taxonomy_term", "noderef": "node", "file": "file"}


def _storage(name: str, spec: Spec, layout: Layout, deleted: bool = False) -> FieldStorage:
    kind, cardinality, target, values = spec
    field_type, columns = TYPES[kind][0 if layout == "d7" else 1]
    settings: dict[str, Any] = (
        {"datetime_type": "date"} if kind == "date" and layout == "d8" else {}
    )
    data = f"field_data_{name}" if layout == "d7" else f"node__{name}"
    revision = f"field_revision_{name}" if layout == "d7" else f"node_revision__{name}"
    return FieldStorage(
        name=name,
        entity_type="node",
        type=field_type,
        module="x",
        cardinality=cardinality,
        columns=columns,
        data_table=data,
        revision_table=revision,
        allowed_values=tuple(AllowedValue(key, label) for key, label in values),
        target_type=TARGET_TYPES.get(kind),
        target_bundles=(target,) if target else (),
        deleted=deleted,
        settings=settings,
    )


def _bundles(site: str, layout: Layout) -> dict[str, dict[str, Spec]]:
    complaint = dict(COMPLAINT)
    referral = dict(REFERRAL)
    if site in TIMEZONES:  # the date received as Unix time (#22)
        complaint["field_date_received"] = ("int", 1, "", [])
    session = dict(SESSION)
    if site == "iraq":
        complaint["field_intake_channel"] = ("list", 1, "", INTAKE + [("camp_committee", "Camp")])
        complaint["field_camp_name"] = ("text", 1, "", [])
        # Renamed by Iraq's clone (#22): the topics vocabulary and the link to the complaint.
        session["field_session_topics"] = ("term", -1, IRAQ_TOPICS, [])
        referral = {IRAQ_LINK: referral.pop("field_complaint_ref"), **referral}
    if layout == "d8":  # Drupal 8+ nodes that take comments have a `comment` field
        complaint["comment"] = referral["comment"] = ("comment", 1, "", [])
    return {"complaint": complaint, "referral": referral, "awareness_session": session}


def crp_site(site: str = "demo", layout: Layout = "d7") -> SiteModel:
    """Return the content model of one sample site (demo, iraq, drc or syria)."""
    fields: dict[tuple[str, str], FieldStorage] = {}
    bundles = {}
    for bundle, specs in _bundles(site, layout).items():
        instances = []
        for name, spec in specs.items():
            fields[("node", name)] = _storage(name, spec, layout)
            instances.append(FieldInstance(name, "node", bundle, name, False))
        if site == "drc" and bundle == "complaint":
            name = "field_old_case_number"
            fields[("node", name)] = _storage(name, ("text", 1, "", []), layout, deleted=True)
            instances.append(FieldInstance(name, "node", bundle, "Ancien numéro", False, True))
        bundles[bundle] = Bundle("node", bundle, bundle.replace("_", " "), tuple(instances))
    topics = IRAQ_TOPICS if site == "iraq" else "awareness_topic"
    names = ["organisation", "allegation_type", "location", topics]
    vocabularies = {
        name: Vocabulary(name, name, str(i) if layout == "d7" else name, int(name == "location"))
        for i, name in enumerate(names, 1)
    }
    setting = TIMEZONE_SETTINGS[layout]
    zone = SiteTimeZone(TIMEZONES.get(site, "UTC"), setting)
    return SiteModel(
        7 if layout == "d7" else 10, layout, "", bundles, fields, vocabularies, timezone=zone
    )
