"""Drupal 8+ comment rows: `comment`, `comment_field_data`, the body, and node statistics.

Shapes copy Drupal 10.3 standard (core's "filled" fixture): comments of type `comment` on the
node field `comment`; top-level comments have `pid` NULL; bodies live in
`comment__comment_body` (comments have no revisions, so `revision_id` is the cid).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pseamigrate.sample.comments import node_statistics
from pseamigrate.sample.content import NodeChunk
from pseamigrate.sample.sites import COMMENT_BODY

if TYPE_CHECKING:
    from pseamigrate.sample.d8 import D8Site

TYPE = "comment"  # the comment type (bundle) Drupal 10 standard creates
FIELD = "comment"  # the node field comments hang on


def write_comments(site: D8Site, chunk: NodeChunk) -> None:
    """Write a chunk's comments with their bodies, and every node's statistics row."""
    w, lang, comments = site.w, site.spec.language, chunk.comments
    w.insert(
        "comment",
        ("cid", "comment_type", "uuid", "langcode"),
        [(c.cid, TYPE, c.uuid, lang) for c in comments],
    )
    w.insert(
        "comment_field_data",
        ("cid", "comment_type", "langcode", "pid", "entity_id", "subject", "uid", "name")
        + ("mail", "homepage", "hostname", "created", "changed", "status", "thread")
        + ("entity_type", "field_name", "default_langcode"),
        [
            (c.cid, TYPE, lang, c.pid or None, c.nid, c.subject, c.uid, c.name, None, None)
            + (c.hostname, c.created, c.changed, c.status, c.thread, "node", FIELD, 1)
            for c in comments
        ],
    )
    data, _ = site.tables[("comment", COMMENT_BODY.name)]
    w.insert(
        data,
        ("bundle", "deleted", "entity_id", "revision_id", "langcode", "delta")
        + ("comment_body_value", "comment_body_format"),
        [(TYPE, 0, c.cid, c.cid, lang, 0, c.body, "plain_text") for c in comments],
    )
    nodes = [(n.nid, n.uid, n.current.timestamp) for n in chunk.nodes]
    stats = node_statistics(nodes, chunk.comments)
    w.insert(
        "comment_entity_statistics",
        ("entity_id", "entity_type", "field_name", "cid", "last_comment_timestamp")
        + ("last_comment_name", "last_comment_uid", "comment_count"),
        [(s.nid, "node", FIELD, s.cid, s.timestamp, s.name, s.uid, s.count) for s in stats],
    )
