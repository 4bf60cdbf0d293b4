"""Warnings to review, and lookups into what the mapping never fills (#9 item 1, #14 item 6)."""

from __future__ import annotations

from pathlib import Path

from pseamigrate.mapping.check import check_findings, check_mapping
from pseamigrate.mapping.load import load_mapping
from tests.mapping.crp_sites import crp_site
from tests.mapping.test_check import TEMPLATE, _mapping

LOCATION = "  location: location                # per tenant, keeps its two-level hierarchy\n"


def test_a_lookup_into_a_vocabulary_the_mapping_ignores_fails(tmp_path: Path) -> None:
    assert LOCATION in TEMPLATE
    template = TEMPLATE.replace(LOCATION, "")
    ignore = "ignore:\n  vocabularies:\n    location: not used by this country\n"
    messages = [
        str(p)
        for p in check_mapping(load_mapping(_mapping(tmp_path, template, ignore)), crp_site())
    ]
    wanted = (
        "lookup into vocabulary 'location', which nothing fills: "
        "the mapping ignores the site's vocabulary 'location'"
    )
    # complaint.location_id and awareness_session.location_id both look it up
    assert sum(wanted in m for m in messages) == 2, messages
    assert any("location_id: " + wanted in m for m in messages)


def test_a_lookup_into_a_vocabulary_nothing_maps_fails(tmp_path: Path) -> None:
    template = TEMPLATE.replace("  awareness_topic: awareness_topic\n", "")
    messages = [
        p.message for p in check_mapping(load_mapping(_mapping(tmp_path, template)), crp_site())
    ]
    # the topics child's inner lookup is checked too
    assert (
        "lookup into vocabulary 'awareness_topic', which nothing fills: "
        "no vocabulary of this mapping is mapped to it"
    ) in messages
    assert "source vocabulary 'awareness_topic' is neither mapped nor ignored" in messages


def test_a_lookup_into_an_entity_the_mapping_ignores_fails(tmp_path: Path) -> None:
    start = TEMPLATE.index("  complaint:\n    source:")
    end = TEMPLATE.index("  referral:\n")
    template = TEMPLATE[:start] + TEMPLATE[end:]
    ignore = "ignore:\n  bundles:\n    complaint: handled on paper\n"
    problems = check_mapping(load_mapping(_mapping(tmp_path, template, ignore)), crp_site())
    [problem] = problems
    assert problem.path == "entities.referral.process.complaint_id"
    assert problem.message == (
        "lookup into entity 'complaint', which nothing fills: "
        "the mapping ignores the site's bundle 'complaint'"
    )


def test_the_shipped_template_feeds_every_lookup(tmp_path: Path) -> None:
    findings = check_findings(load_mapping(_mapping(tmp_path)), crp_site())
    assert (findings.problems, findings.warnings) == ([], [])


def test_review_markers_are_warnings_not_problems(tmp_path: Path) -> None:
    template = TEMPLATE.replace(
        "      narrative: field_narrative\n",
        "      narrative: {plugin: get, source: field_narrative, review: chosen by the tool}\n",
    )
    site = crp_site("iraq")
    extra = (
        "vocabularies: {awareness_topic: ~, crp_topics: awareness_topic}\n"  # Iraq's names
        "entities:\n  referral:\n    process:\n"
        "      complaint_id: {plugin: lookup, source: field_case_nid, entity: complaint}\n"
        "  complaint:\n    process:\n"
        "      intake_channel: {plugin: static_map, source: field_intake_channel,\n"
        "        map: {hotline: hotline}, unmatched: extra}\n"
        "    ignore:\n      field_camp_name: 'REVIEW: the model has no column for it'\n"
    )
    findings = check_findings(load_mapping(_mapping(tmp_path, template, extra)), site)
    assert findings.problems == []
    assert check_mapping(load_mapping(_mapping(tmp_path, template, extra)), site) == []
    messages = [(w.path, w.message) for w in findings.warnings]
    assert ("entities.complaint.process.narrative", "to review: chosen by the tool") in messages
    assert (
        "entities.complaint.ignore.field_camp_name",
        "to review: the model has no column for it",
    ) in messages
    kept = [m for p, m in messages if p == "entities.complaint.process.intake_channel"]
    assert kept == [
        f"value {v!r} of field_intake_channel: kept as it is in extra/intake_channel"
        for v in ("complaint_box", "in_person", "email", "community_focal_point", "camp_committee")
    ]
