"""Drupal 8+ configuration (`config` rows) and state (`key_value` rows) of a sample site.

Config objects are PHP-serialized arrays in the key order Drupal's config export uses
(uuid, langcode, status, dependencies, id, …), copied from core's 10.3 "filled" fixture.
"""

from __future__ import annotations

import random
from typing import Any

from pseamigrate.sample import d8fields
from pseamigrate.sample.content import ROLE_LABELS, make_uuid
from pseamigrate.sample.sites import BundleSpec, FieldSpec, SiteSpec, VocabularySpec
from pseamigrate.sample.sql import php, php_object

MODULES = (
    "comment",
    "datetime",
    "field",
    "file",
    "filter",
    "language",
    "node",
    "options",
    "system",
    "taxonomy",
    "text",
    "user",
)
SCHEMA_VERSIONS = {
    "comment": 10100,
    "system": 10201,
    "node": 8700,
    "taxonomy": 10100,
    "user": 10100,
    "file": 8700,
}
# A term field whose revision table name is longer than 48 characters, so Drupal hashes it.
PCODE = FieldSpec("field_location_pcode_reference", "text", "P-code")


BUNDLE_CONFIG = {"node": "node.type", "taxonomy_term": "taxonomy.vocabulary"}
BUNDLE_CONFIG |= {"comment": "comment.type"}
# The comment field's default on new nodes (Drupal 10 standard): open, no comments yet.
COMMENTS_OPEN: dict[str, Any] = {"status": 2, "cid": 0, "last_comment_timestamp": 0}
COMMENTS_OPEN |= {"last_comment_name": None, "last_comment_uid": 0, "comment_count": 0}


def comment_type(uuid: str, language: str) -> dict[str, Any]:
    """Return the `comment.type.comment` config object (comments on nodes)."""
    return {
        **_base(uuid, language, {}),
        "id": "comment",
        "label": "Default comments",
        "target_entity_type_id": "node",
        "description": "Allows commenting on content",
    }


class Uuids:
    """Hand out deterministic UUIDs by config name, so every build of a seed is identical."""

    def __init__(self, seed: int, site: SiteSpec) -> None:
        self.seed, self.site = seed, site

    def __call__(self, name: str) -> str:
        """Return the UUID of config object `name`."""
        return make_uuid(random.Random(f"{self.seed}:{self.site.name}:{name}"))


def _base(uuid: str, language: str, dependencies: dict[str, Any]) -> dict[str, Any]:
    return {"uuid": uuid, "langcode": language, "status": True, "dependencies": dependencies}


def field_storage(entity_type: str, field: FieldSpec, uuid: str, language: str) -> dict[str, Any]:
    """Return a `field.storage.<entity type>.<field>` config object."""
    spec = d8fields.TYPES[field.kind]
    modules = sorted({entity_type, spec.module} - {"core"})
    if field.kind == "term":
        modules = sorted(set(modules) | {"taxonomy"})
    return {
        **_base(uuid, language, {"module": modules}),
        "id": f"{entity_type}.{field.name}",
        "field_name": field.name,
        "entity_type": entity_type,
        "type": spec.type,
        "settings": d8fields.storage_settings(field),
        "module": spec.module,
        "locked": False,
        "cardinality": field.cardinality,
        "translatable": True,
        "indexes": {},
        "persist_with_no_fields": False,
        "custom_storage": False,
    }


def field_instance(
    entity_type: str, bundle: str, field: FieldSpec, label: str, uuid: str, language: str
) -> dict[str, Any]:
    """Return a `field.field.<entity type>.<bundle>.<field>` config object."""
    spec = d8fields.TYPES[field.kind]
    deps = [f"field.storage.{entity_type}.{field.name}"]
    if entity_type in BUNDLE_CONFIG:  # users have one bundle and no config entity for it
        deps.append(f"{BUNDLE_CONFIG[entity_type]}.{bundle}")
    if field.vocabulary:
        deps.append(f"taxonomy.vocabulary.{field.vocabulary}")
    dependencies: dict[str, Any] = {"config": sorted(deps)}
    if spec.module not in ("core",):
        dependencies["module"] = [spec.module]
    return {
        **_base(uuid, language, dependencies),
        "id": f"{entity_type}.{bundle}.{field.name}",
        "field_name": field.name,
        "entity_type": entity_type,
        "bundle": bundle,
        "label": label,
        "description": "",
        "required": field.name == "field_complaint_code",
        "translatable": False,
        "default_value": [COMMENTS_OPEN] if field.kind == "comment" else [],
        "default_value_callback": "",
        "settings": d8fields.instance_settings(field),
        "field_type": spec.type,
    }


def node_type(bundle: BundleSpec, label: str, uuid: str, language: str) -> dict[str, Any]:
    """Return a `node.type.<bundle>` config object (revisions on: case records keep history)."""
    return {
        **_base(uuid, language, {}),
        "name": label,
        "type": bundle.name,
        "description": "",
        "help": None,
        "new_revision": True,
        "preview_mode": 1,
        "display_submitted": True,
    }


def vocabulary(vocab: VocabularySpec, label: str, uuid: str, language: str, weight: int) -> Any:
    """Return a `taxonomy.vocabulary.<vid>` config object."""
    return {
        **_base(uuid, language, {}),
        "name": label,
        "vid": vocab.machine_name,
        "description": "",
        "weight": weight,
        "new_revision": False,
    }


def roles(uuids: Uuids, language: str) -> list[tuple[str, bytes]]:
    """Return `user.role.*` config rows (Drupal 8+ roles are config, not a table)."""
    names = {"anonymous": "Anonymous user", "authenticated": "Authenticated user"}
    names |= {"administrator": "Administrator"} | {k: v.title() for k, v in ROLE_LABELS.items()}
    rows = []
    for weight, (rid, label) in enumerate(names.items()):
        data = {
            **_base(uuids(f"user.role.{rid}"), language, {}),
            "id": rid,
            "label": label,
            "weight": weight,
            "is_admin": rid == "administrator",
            "permissions": [],
        }
        rows.append((f"user.role.{rid}", php(data)))
    return rows


def core_extension(language: str) -> bytes:
    """Return `core.extension`: enabled modules (weights), themes and the install profile."""
    modules = dict.fromkeys(m for m in MODULES if m != "language" or language != "en")
    enabled: dict[str, int] = {m: 0 for m in modules}
    enabled["standard"] = 1000
    return php({"module": enabled, "theme": {"stark": 0, "claro": 0}, "profile": "standard"})


def system_site(name: str, language: str, uuid: str) -> bytes:
    """Return `system.site` (site name and default language)."""
    data: dict[str, Any] = {"uuid": uuid, "name": name, "mail": "noreply@example.org"}
    data |= {"slogan": ""}
    data |= {"page": {"403": "", "404": "", "front": "/node"}, "admin_compact_mode": False}
    data |= {"weight_select_max": 100, "default_langcode": language}
    return php(data)


def system_date(timezone: str) -> bytes:
    """Return `system.date` as core's filled fixtures hold it, with the site's time zone."""
    user = {"configurable": True, "default": 0, "warn": False}
    data = {"first_day": 0, "country": {"default": ""}}
    return php(data | {"timezone": {"default": timezone, "user": user}})


def deleted_state(
    field: FieldSpec, bundle: str, label: str, uuids: Uuids, language: str
) -> tuple[bytes, bytes]:
    """Return `state` values `field.field.deleted` and `field.storage.deleted` for `field`.

    Drupal keeps deleted field and storage definitions as serialized objects (protected
    properties, hence the NUL-star-NUL names) until field_purge removes the data.
    """
    storage_uuid = uuids(f"field.storage.node.{field.name}")
    field_uuid = uuids(f"field.field.node.{bundle}.{field.name}")
    inst = field_instance("node", bundle, field, label, field_uuid, language)
    store = field_storage("node", field, storage_uuid, language)
    inst_props = {"deleted": True} | {k: v for k, v in inst.items() if k != "dependencies"}
    store_props = {"deleted": True} | {k: v for k, v in store.items() if k != "dependencies"}
    field_obj = php_object("Drupal\\field\\Entity\\FieldConfig", _protected(inst_props))
    storage_obj = php_object("Drupal\\field\\Entity\\FieldStorageConfig", _protected(store_props))
    return php({field_uuid: field_obj}), php({storage_uuid: storage_obj})


def _protected(properties: dict[str, Any]) -> dict[str, Any]:
    return {f"\0*\0{name}": value for name, value in properties.items()}
