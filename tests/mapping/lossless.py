"""Follow every value of a live site through a mapping: each lands in a column, child or extra.

Shared by the sample-site and the core-fixture tests of `scaffold --unmapped extra` (#9 item 1).
"""

from __future__ import annotations

import re

from sqlalchemy.engine import URL

from pseamigrate.db import make_engine
from pseamigrate.drupal import open_site
from pseamigrate.drupal.model import SiteModel
from pseamigrate.mapping.model import (
    EXTRA_PREFIX,
    EntityMapping,
    SiteMapping,
    extra_key,
    sources_used,
)
from pseamigrate.transform.process import Context, transform_row
from pseamigrate.transform.rows import source_row

# What a row message may say: a field, the problem, where the value went; never a value.
MESSAGE = re.compile(
    r"[\w/]+: value (does not parse as a date|has no match in the map); kept in extra/[\w/]+"
)


def assert_lossless(url: URL, mapping: SiteMapping) -> tuple[int, list[str]]:
    """Transform every node of the site; each field's values land in a column, child or extra.

    Return how many (node, field) values were followed, and the messages of every row.
    """
    engine = make_engine(url)
    checked, messages = 0, []
    try:
        with open_site(engine) as site:
            for em in mapping.entities:
                for batch in site.iter_entities(em.bundle):
                    for record in batch:
                        row = source_row(record, site.model)
                        ctx = Context(lambda kind, ident: ident)
                        values = transform_row(em, row, ctx)
                        checked += _assert_row_kept(em, site.model, row, values)
                        messages += ctx.messages
    finally:
        engine.dispose()
    return checked, messages


def _assert_row_kept(
    em: EntityMapping, model: SiteModel, row: dict[str, object], values: dict[str, object]
) -> int:
    extra = values.get("extra") or {}
    assert isinstance(extra, dict)
    checked = 0
    for instance in model.bundles[em.bundle].fields:
        name = instance.field_name
        raw = row.get(name)
        if raw is None or raw == [] or _comment_setting(model, instance.field_name):
            continue  # nothing stored for this node, or not content (see _comment_setting)
        readers = [pf for pf in em.process if name in sources_used((pf,))]
        assert readers, f"{em.bundle}.{name} holds values but no process entry reads it"
        landed = [_landed(pf.destination, name, row, values, extra) for pf in readers]
        assert any(landed), f"{em.bundle}.{name}: values lost (node {row['nid']})"
        checked += 1
    return checked


def _landed(
    destination: str, name: str, row: dict[str, object], values: dict[str, object], extra: dict
) -> bool:
    """Tell whether a field's values reached `destination` (or were kept in extra instead)."""
    deltas = row.get(f"{name}/*") or []
    assert isinstance(deltas, list)
    if destination.startswith(EXTRA_PREFIX):
        kept = extra.get(destination[len(EXTRA_PREFIX) :])
        return kept == row[name] or isinstance(kept, list) and len(kept) == len(deltas)
    got = values.get(destination)
    if isinstance(got, list):  # a child table: one row per value
        return len(got) == len(deltas)
    return got is not None or extra.get(extra_key(name)) == row[name]


def _comment_setting(model: SiteModel, name: str) -> bool:
    """Tell whether a field is Drupal 8+'s comment setting (open/closed) of a node.

    The scaffold ignores it with that reason (pseamigrate/mapping/scaffold.py COMMENT_SETTING):
    the comments themselves are read on their own and migrated as notes.
    """
    storage = model.fields.get(("node", name))
    return storage is not None and storage.type == "comment"
