"""Nothing lost: the streaming readers return the data rows of deleted fields, kept apart.

Counted against our own SQL on the renamed `field_deleted_*` tables of the generated DRC site
(both layouts, MariaDB and MySQL 9.7), and on a hand-made deleted instance of a field that lives
on in another bundle (its rows stay in the live table with `deleted = 1`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import phpserialize
import pytest
from sqlalchemy.engine import URL

from pseamigrate.db import make_engine
from pseamigrate.drupal import open_site, phpdata
from pseamigrate.drupal.model import EntityRecord
from pseamigrate.sample import build_site
from tests.drupal.helpers import query, run

SCALE = 0.15
OLD = "field_old_case_number"
LAYOUTS = [("d7", ""), ("d8", "crp_")]


def read_all(url: URL, prefix: str, bundle: str, revisions: bool = False) -> list[EntityRecord]:
    """Read every record (or revision) of one bundle in small batches."""
    engine = make_engine(url)
    try:
        with open_site(engine, prefix) as site:
            reader = site.iter_revisions if revisions else site.iter_entities
            return [r for batch in reader(bundle, batch_size=7) for r in batch]
    finally:
        engine.dispose()


def yielded(
    records: Iterable[EntityRecord], name: str, deleted: bool, by_revision: bool = False
) -> set[tuple[Any, ...]]:
    """Return (id or revision id, delta, value) of one field over records and translations."""
    out = set()
    for r in records:
        key = r.revision_id if by_revision else r.id
        for holder in (r, *r.translations):
            values = holder.deleted_fields if deleted else holder.fields
            for delta, value in enumerate(values.get(name, ())):
                out.add((key, delta, value["value"]))
    return out


@pytest.mark.parametrize(("layout", "prefix"), LAYOUTS)
def test_deleted_field_rows_come_back_apart(any_server, make_db, layout, prefix) -> None:
    url = make_db(any_server)
    build_site(url, "drc", layout, scale=SCALE, table_prefix=prefix)
    tables = sorted(t for (t,) in query(url, "SHOW TABLES") if "field_deleted_" in t)
    data = [t for t in tables if "_data_" in t]
    revision = [t for t in tables if "_revision_" in t]
    assert len(data) == len(revision) == 1, tables
    column = f"{OLD}_value"
    stored = set(query(url, f"SELECT entity_id, delta, `{column}` FROM `{data[0]}`"))
    stored_rev = set(query(url, f"SELECT revision_id, delta, `{column}` FROM `{revision[0]}`"))
    assert len(stored) > 10 and len(stored_rev) >= len(stored)

    records = read_all(url, prefix, "complaint")
    assert yielded(records, OLD, deleted=True) == stored
    assert not any(OLD in r.fields for r in records)  # never mixed with live fields
    assert all(r.fields.get("field_complaint_code") for r in records)  # live ones still read
    revisions = read_all(url, prefix, "complaint", revisions=True)
    assert yielded(revisions, OLD, deleted=True, by_revision=True) == stored_rev
    assert not any(r.deleted_fields for r in read_all(url, prefix, "referral"))


def _delete_instance_d7(url: URL, field: str, bundle: str, elsewhere: str) -> None:
    """Do what field_delete_instance() does while the field lives on in `elsewhere`."""
    run(
        url,
        "INSERT INTO field_config_instance (field_id, field_name, entity_type, bundle, data, "
        "deleted) SELECT field_id, field_name, entity_type, :e, data, 0 "
        "FROM field_config_instance WHERE field_name = :f AND bundle = :b",
        "UPDATE field_config_instance SET deleted = 1 WHERE field_name = :f AND bundle = :b",
        f"UPDATE field_data_{field} SET deleted = 1 WHERE bundle = :b",
        f"UPDATE field_revision_{field} SET deleted = 1 WHERE bundle = :b",
        params={"f": field, "b": bundle, "e": elsewhere},
    )


def _delete_instance_d8(url: URL, prefix: str, field: str, bundle: str) -> None:
    """Do what FieldConfig::delete() does to one bundle's instance of a live storage."""
    name = f"field.field.node.{bundle}.{field}"
    ((blob,),) = query(url, f"SELECT data FROM {prefix}config WHERE name = :n", {"n": name})
    instance = phpdata.loads(blob)
    ((state,),) = query(
        url,
        f"SELECT value FROM {prefix}key_value WHERE collection = 'state' "
        "AND name = 'field.field.deleted'",
    )
    deleted = phpdata.loads(state)
    deleted[instance["uuid"]] = {**instance, "deleted": True}
    run(
        url,
        f"DELETE FROM {prefix}config WHERE name = :n",
        f"UPDATE {prefix}key_value SET value = :v WHERE collection = 'state' "
        "AND name = 'field.field.deleted'",
        f"UPDATE {prefix}node__{field} SET deleted = 1 WHERE bundle = :b",
        f"UPDATE {prefix}node_revision__{field} SET deleted = 1 WHERE bundle = :b",
        params={"n": name, "v": phpserialize.dumps(deleted), "b": bundle},
    )


@pytest.mark.parametrize(("layout", "prefix"), LAYOUTS)
def test_deleted_instance_rows_in_a_live_table(any_server, make_db, layout, prefix) -> None:
    url = make_db(any_server)
    build_site(url, "demo", layout, scale=SCALE, table_prefix=prefix)
    field = "field_complaint_code"
    if layout == "d7":
        _delete_instance_d7(url, field, "complaint", "referral")
        table = f"field_data_{field}"
    else:
        _delete_instance_d8(url, prefix, field, "complaint")
        table = f"{prefix}node__{field}"
    stored = set(
        query(url, f"SELECT entity_id, delta, `{field}_value` FROM `{table}` WHERE deleted = 1")
    )
    assert len(stored) > 10
    records = read_all(url, prefix, "complaint")
    assert yielded(records, field, deleted=True) == stored
    assert yielded(records, field, deleted=False) == set()
