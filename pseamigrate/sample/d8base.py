"""Drupal 8+ rows that are not nodes: config, state, terms (with revisions) and users."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pseamigrate.sample import d8config, d8fields
from pseamigrate.sample.sites import (
    COMMENT_BODY,
    COMMENT_FIELD,
    COMMENTED,
    LOCATION_FIELDS,
    USER_FIELDS,
)
from pseamigrate.sample.sql import php

if TYPE_CHECKING:
    from pseamigrate.sample.d8 import D8Site


def _label(site: D8Site, english: str, french: str) -> str:
    return french if site.spec.language == "fr" and french else english


def write_config(site: D8Site) -> None:
    """Write the `config` rows (site, modules, types, vocabularies, fields, roles) and state."""
    spec, uuids, lang = site.spec, site.uuids, site.spec.language
    rows: list[tuple[str, str, bytes]] = [
        ("", "core.extension", d8config.core_extension(lang)),
        ("", "system.site", d8config.system_site(f"CRP {spec.name.upper()} (synthetic)", lang,
                                                 uuids("system.site"))),
        ("", "system.date", d8config.system_date(spec.timezone)),
    ]  # fmt: skip
    rows += [("", name, data) for name, data in d8config.roles(uuids, lang)]
    for weight, vocab in enumerate(spec.vocabularies):
        name = f"taxonomy.vocabulary.{vocab.machine_name}"
        label = _label(site, vocab.label, vocab.label_fr)
        rows.append(("", name, php(d8config.vocabulary(vocab, label, uuids(name), lang, weight))))
    for bundle in spec.bundles:
        name = f"node.type.{bundle.name}"
        label = _label(site, bundle.label, bundle.label_fr)
        rows.append(("", name, php(d8config.node_type(bundle, label, uuids(name), lang))))
        for field in bundle.fields:
            if not field.deleted:
                rows += _field_rows(site, "node", bundle.name, field)
    rows += _field_rows(site, "taxonomy_term", "location", d8config.PCODE)
    rows += _field_rows(site, "taxonomy_term", "location", LOCATION_FIELDS[0])
    for bundle in spec.bundles:
        if bundle.name in COMMENTED:
            rows += _field_rows(site, "node", bundle.name, COMMENT_FIELD)
    rows += _field_rows(site, "comment", "comment", COMMENT_BODY)
    rows.append(("", "comment.type.comment", php(d8config.comment_type(uuids("comment"), lang))))
    for field in USER_FIELDS:
        rows += _field_rows(site, "user", "user", field)
    unique = {name: (collection, name, data) for collection, name, data in rows}  # shared storages
    site.w.insert("config", ("collection", "name", "data"), sorted(unique.values()))
    site.w.insert("key_value", ("collection", "name", "value"), sorted(_state_rows(site)))


def _field_rows(site: D8Site, entity_type: str, bundle: str, field: Any) -> list[Any]:
    lang, uuids = site.spec.language, site.uuids
    storage_name = f"field.storage.{entity_type}.{field.name}"
    field_name = f"field.field.{entity_type}.{bundle}.{field.name}"
    label = _label(site, field.label, field.label_fr)
    storage = d8config.field_storage(entity_type, field, uuids(storage_name), lang)
    instance = d8config.field_instance(entity_type, bundle, field, label, uuids(field_name), lang)
    return [("", storage_name, php(storage)), ("", field_name, php(instance))]


def _state_rows(site: D8Site) -> list[tuple[str, str, bytes]]:
    rows = site.schema_rows()
    modules = dict.fromkeys(d8config.MODULES)
    for module in modules:
        version = d8config.SCHEMA_VERSIONS.get(module, 8000)
        rows.append(("system.schema", module, php(version)))
    field_deleted, storage_deleted = php({}), php({})
    for bundle in site.spec.bundles:
        for field in bundle.fields:
            if field.deleted:
                label = _label(site, field.label, field.label_fr)
                field_deleted, storage_deleted = d8config.deleted_state(
                    field, bundle.name, label, site.uuids, site.spec.language
                )
    rows.append(("state", "field.field.deleted", field_deleted))
    rows.append(("state", "field.storage.deleted", storage_deleted))
    return rows


def write_terms(site: D8Site) -> None:
    """Write terms with one revision each, parents, and the P-code term field."""
    lang, terms, w = site.spec.language, site.content.terms, site.w
    w.insert(
        "taxonomy_term_data",
        ("tid", "revision_id", "vid", "uuid", "langcode"),
        [(t.tid, t.tid, t.vocabulary, t.uuid, lang) for t in terms],
    )
    cols: tuple[str, ...] = ("tid", "revision_id", "vid", "langcode", "name", "description__value")
    cols += ("description__format", "weight", "changed", "default_langcode", "status")
    cols += ("revision_translation_affected",)
    w.insert(
        "taxonomy_term_field_data",
        cols,
        [
            (t.tid, t.tid, t.vocabulary, lang, t.name, None, None, t.weight, 0, 1, 1, 1)
            for t in terms
        ],
    )
    w.insert(
        "taxonomy_term_revision",
        ("tid", "revision_id", "langcode", "revision_default", "revision_created"),
        [(t.tid, t.tid, lang, 1, 0) for t in terms],
    )
    w.insert(
        "taxonomy_term_field_revision",
        ("tid", "revision_id", "langcode", "name", "changed", "default_langcode", "status")
        + ("revision_translation_affected",),
        [(t.tid, t.tid, lang, t.name, 0, 1, 1, 1) for t in terms],
    )
    parents = [(t.vocabulary, 0, t.tid, t.tid, lang, 0, t.parent) for t in terms]
    parents += [(t.vocabulary, 0, t.tid, t.tid, lang, 1, t.second_parent) for t in terms
                if t.second_parent]  # fmt: skip
    parents.sort(key=lambda row: (row[2], row[5]))
    pcols: tuple[str, ...] = ("bundle", "deleted", "entity_id", "revision_id", "langcode", "delta")
    w.insert("taxonomy_term__parent", pcols + ("parent_target_id",), parents)
    w.insert("taxonomy_term_revision__parent", pcols + ("parent_target_id",), parents)
    _write_pcodes(site, pcols)


def _write_pcodes(site: D8Site, pcols: tuple[str, ...]) -> None:
    """Write the P-code term field, whose revision table has a hashed name."""
    lang, terms, w = site.spec.language, site.content.terms, site.w
    pcode = d8config.PCODE.name
    data, revision = site.tables[("taxonomy_term", pcode)]
    rows = [
        ("location", 0, t.tid, t.tid, lang, 0, f"PC-{t.tid:04d}")
        for t in terms
        if t.vocabulary == "location"
    ]
    assert revision is not None  # terms have revisions
    w.insert(data, pcols + (f"{pcode}_value",), rows)
    w.insert(revision, pcols + (f"{pcode}_value",), rows)
    code = LOCATION_FIELDS[0].name
    data, revision = site.tables[("taxonomy_term", code)]
    assert revision is not None
    rows = [
        ("location", 0, t.tid, t.tid, lang, 0, t.code) for t in terms if t.vocabulary == "location"
    ]
    w.insert(data, pcols + (f"{code}_value",), rows)
    w.insert(revision, pcols + (f"{code}_value",), rows)


def write_users(site: D8Site) -> None:
    """Write users (uid 0 is the anonymous account Drupal always has) and their roles."""
    lang, users, w = site.spec.language, site.content.users, site.w
    anonymous = site.uuids("user.0")
    w.insert(
        "users",
        ("uid", "uuid", "langcode"),
        [(0, anonymous, lang)] + [(u.uid, u.uuid, lang) for u in users],
    )
    cols: tuple[str, ...] = (
        "uid",
        "langcode",
        "preferred_langcode",
        "name",
        "pass",
        "mail",
        "timezone",
    )
    cols += ("status", "created", "changed", "access", "login", "init", "default_langcode")
    rows: list[tuple[Any, ...]] = [(0, lang, lang, "", None, None, "", 0, 0, 0, 0, 0, None, 1)]
    rows += [
        (u.uid, lang, lang, u.name, u.password, u.mail, "UTC", u.status, u.created, u.access)
        + (u.access, u.access, u.mail, 1)
        for u in users
    ]
    w.insert("users_field_data", cols, rows)
    _write_user_fields(site)
    w.insert(
        "user__roles",
        ("bundle", "deleted", "entity_id", "revision_id", "langcode", "delta", "roles_target_id"),
        [
            ("user", 0, u.uid, u.uid, lang, delta, role)
            for u in users
            for delta, role in enumerate(u.roles)
        ],
    )


def _write_user_fields(site: D8Site) -> None:
    """Write the accounts' name, phone and organisation fields (users have no revisions)."""
    lang, users, w = site.spec.language, site.content.users, site.w
    name, phone, organisation = USER_FIELDS
    for field, values in (
        (name, [(u.uid, u.full_name) for u in users]),
        (phone, [(u.uid, u.phone) for u in users if u.phone]),
        (organisation, [(u.uid, u.organisation) for u in users if u.organisation]),
    ):
        column = f"{field.name}_{d8fields.TYPES[field.kind].properties[0][0]}"
        data, _ = site.tables[("user", field.name)]
        w.insert(
            data,
            ("bundle", "deleted", "entity_id", "revision_id", "langcode", "delta", column),
            [("user", 0, uid, uid, lang, 0, value) for uid, value in values],
        )
