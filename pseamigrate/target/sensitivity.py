"""What every target column holds, for the sanitized test instance (issue #12).

Model columns declare it (`sensitivity:` in model.yaml: public, personal, sensitive, date;
references are public: they hold target ids). The columns the schema adds itself are classified
here, by table and name. Kinds and what `sanitize` does with them:

| kind | holds | becomes |
|---|---|---|
| public | codes, counts, list values, ids, flags | copied as is |
| personal | names, user names, case codes: what people can be found by | a keyed pseudonym |
| email | e-mail addresses (and their merge key) | a keyed pseudonym e-mail |
| sensitive | narratives, notes, titles, logs, free text | placeholder text: same length, script |
| date | when things happened | shifted by a per-tenant, key-derived number of days |
| password | password hashes | a hash that no password matches |
| json | `extra`, snapshots: country fields, user and term fields | every text inside sanitized |
| filename, uri | names and paths of attachments | pseudonyms keeping the extension |
| digest | sha256 of a file or a row | recomputed or a keyed pseudonym |

`classify()` returns the kind of every column of the schema and raises `ModelError` naming any
column it cannot classify, so a new column cannot slip into the test instance unnoticed.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import MetaData

from pseamigrate.errors import ModelError
from pseamigrate.target import model as cm
from pseamigrate.yamldoc import Problem

KINDS = {"public", "personal", "email", "sensitive", "date", "password", "json"}
KINDS |= {"filename", "uri", "digest"}

# Columns the schema adds to many tables, by name.
COMMON: dict[str, str] = {
    "id": "public",
    "tenant_id": "public",
    "source_id": "public",
    "source_revision_id": "public",
    "source_entity_id": "public",
    "source_language": "public",
    "title": "sensitive",
    "author_id": "public",
    "published": "public",
    "created_at": "date",
    "changed_at": "date",
    "imported_at": "public",
    "updated_at": "public",
    "extra": "json",
    "delta": "public",
    "parent_id": "public",
    "weight": "public",
    "name": "public",  # term and role names: the country's lists, not people
    "name_key": "public",
    "term_id": "public",
}
# Columns of particular tables, by table then name (these win over COMMON).
TABLES: dict[str, dict[str, str]] = {
    "tenants": dict.fromkeys(
        ("code", "name", "source_description", "template", "template_version", "created_at"),
        "public",
    ),
    "accounts": {
        "email_key": "email",
        "email": "email",
        "password_hash": "password",
        "first_tenant_id": "public",
    },
    "memberships": {
        "account_id": "public",
        "username": "personal",
        "active": "public",
        "password_hash": "password",
        "last_login_at": "date",
    },
    "roles": {"name": "public"},
    "membership_roles": {"membership_id": "public", "role_id": "public"},
    "files": {
        "owner_id": "public",
        "filename": "filename",
        "uri": "uri",
        "mime": "public",
        "size": "public",
        "sha256": "digest",
        "status": "public",
    },
    "pm_runs": {
        "site": "public",
        "mode": "public",
        "started_by": "personal",
        "started_at": "public",
        "finished_at": "public",
        "status": "public",
        "mapping_digest": "public",
        "allowed_plaintext": "public",
        "counts": "public",
    },
    "pm_id_map": {
        "source_entity": "public",
        "target_table": "public",
        "target_id": "public",
        "row_hash": "digest",
        "status": "public",
        "first_run_id": "public",
        "run_id": "public",
    },
    "pm_messages": dict.fromkeys(("run_id", "source_entity", "level", "message"), "public"),
    "pm_locks": dict.fromkeys(
        ("name", "holder_host", "holder_pid", "run_id", "acquired_at", "expires_at"), "public"
    ),
    "pm_marks": dict.fromkeys(
        ("site", "basis", "since", "run_id", "gone", "steps", "updated_at"), "public"
    ),
}
REVISION_COLUMNS = {"revised_at": "date", "log": "sensitive", "snapshot": "json"}
NOTE_COLUMNS = {"thread": "public", "subject": "sensitive", "body": "sensitive"}
NOTE_COLUMNS |= {"body_format": "public"}


def classify(metadata: MetaData, model: cm.CanonicalModel) -> dict[str, dict[str, str]]:
    """Return table → column → kind for the whole schema; raise `ModelError` if one is missing."""
    declared = _declared(model)
    kinds: dict[str, dict[str, str]] = {}
    problems = []
    for table in metadata.sorted_tables:
        own = {**TABLES.get(table.name, {}), **declared.get(table.name, {})}
        for column in table.columns:
            kind = own.get(column.name) or COMMON.get(column.name)
            if kind is None:
                where = f"{table.name}.{column.name}"
                problems.append(Problem(model.path, 1, where, "no sensitivity declared"))
                continue
            kinds.setdefault(table.name, {})[column.name] = kind
    if problems:
        raise ModelError(problems)
    return kinds


def _declared(model: cm.CanonicalModel) -> Mapping[str, dict[str, str]]:
    """The model's own declarations, plus what entity tables add around them."""
    out: dict[str, dict[str, str]] = {}
    for entity in model.entities.values():
        out[entity.table] = {c.name: c.sensitivity for c in entity.columns}
        out[entity.table][f"{entity.name}_id"] = "public"
        for child in entity.children:
            out[child.table] = {c.name: c.sensitivity for c in child.columns}
            out[child.table][f"{entity.name}_id"] = "public"
        if entity.revisions is not None:
            tracked = {
                c.name: c.sensitivity for c in entity.columns if c.name in entity.revisions.track
            }
            out[entity.revisions.table] = {
                **REVISION_COLUMNS,
                **tracked,
                f"{entity.name}_id": "public",
            }
        if entity.notes is not None:
            out[entity.notes.table] = {**NOTE_COLUMNS, f"{entity.name}_id": "public"}
    return out
