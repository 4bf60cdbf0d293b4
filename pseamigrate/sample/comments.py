"""Comments on sample nodes: the complaint handlers' case notes, threaded like Drupal's.

Layout-neutral, like `content.py`: `d7.py` and `d8.py` turn them into rows. Threads follow
Drupal's vancode scheme (`comment_save()` in Drupal 7, `Comment::preSave()` in 8+): the n-th
top-level comment of a node is `int2vancode(n)/`, the k-th reply (from 0) to thread `T/` is
`T.int2vancode(k)/`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from pseamigrate.sample import text
from pseamigrate.sample.sites import COMMENTED

ANONYMOUS_NAME = "synthetic.visitor"  # what an anonymous commenter typed as name


@dataclass(frozen=True)
class Comment:
    """One comment on a node; `pid` 0 is a top-level comment, `uid` 0 an anonymous one."""

    cid: int
    nid: int
    pid: int
    thread: str
    uid: int
    name: str
    subject: str
    body: str
    created: int
    changed: int
    status: int
    uuid: str
    hostname: str


@dataclass(frozen=True)
class Statistics:
    """A node's comment statistics row (`node_comment_statistics`, `comment_entity_statistics`)."""

    nid: int
    cid: int
    timestamp: int
    name: str | None
    uid: int
    count: int


def vancode(number: int) -> str:
    """Return Drupal's `int2vancode()`: base 36, prefixed by its length minus one."""
    digits = ""
    while True:
        number, rest = divmod(number, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[rest] + digits
        if number == 0:
            break
    return chr(len(digits) + ord("0") - 1) + digits


def reply_thread(parent: str, index: int) -> str:
    """Return the thread of reply `index` (from 0) to the comment whose thread is `parent`."""
    return f"{parent.rstrip('/')}.{vancode(index)}/"


class CommentMaker:
    """Draw comments for nodes from their own random stream (node content stays the same)."""

    def __init__(self, rng: random.Random, language: str, arabic: bool, emoji: bool) -> None:
        self.rng, self.language, self.arabic, self.emoji = rng, language, arabic, emoji
        self.cid = 0
        self.with_emoji: list[int] = []

    def comments_of(
        self, bundle: str, nid: int, created: int, authors: dict[int, str]
    ) -> list[Comment]:
        """Return a node's comments in cid order: top-level ones, each followed by its replies."""
        rng = self.rng
        if bundle not in COMMENTED:
            return []
        tops = rng.choice((0, 1, 1, 2, 3)) if bundle == "complaint" else int(rng.random() < 0.25)
        out: list[Comment] = []
        stamp = created
        for number in range(1, tops + 1):
            stamp += rng.randrange(3600, 86400 * 20)
            top = self._comment(nid, 0, f"{vancode(number)}/", stamp, authors)
            out.append(top)
            for index in range(rng.choice((0, 0, 1, 2))):
                stamp += rng.randrange(600, 86400 * 5)
                out.append(
                    self._comment(nid, top.cid, reply_thread(top.thread, index), stamp, authors)
                )
        return out

    def _comment(
        self, nid: int, pid: int, thread: str, stamp: int, authors: dict[int, str]
    ) -> Comment:
        rng = self.rng
        self.cid += 1
        uid = 0 if rng.random() < 0.1 else rng.choice(sorted(authors))
        body = text.comment_body(rng, self.language, self.arabic, self.emoji)
        if text.EMOJI in body:
            self.with_emoji.append(self.cid)
        edited = rng.random() < 0.3
        return Comment(
            cid=self.cid,
            nid=nid,
            pid=pid,
            thread=thread,
            uid=uid,
            name=authors.get(uid, ANONYMOUS_NAME),
            subject=f"Case note {self.cid}" if self.language != "fr" else f"Note {self.cid}",
            body=body,
            created=stamp,
            changed=stamp + (rng.randrange(60, 86400) if edited else 0),
            status=0 if rng.random() < 0.1 else 1,
            uuid=str(_uuid(rng)),
            hostname=f"192.0.2.{rng.randint(1, 254)}",  # TEST-NET-1: never a real address
        )


def statistics(nid: int, uid: int, changed: int, comments: list[Comment]) -> Statistics:
    """Return the statistics Drupal keeps for a node (`_comment_update_node_statistics()`):
    the latest published comment and the number of published ones; none: the node's own."""
    published = [c for c in comments if c.status == 1]
    if not published:
        return Statistics(nid, 0, changed, None, uid, 0)
    last = max(published, key=lambda c: (c.created, c.cid))
    name = "" if last.uid else last.name  # Drupal keeps the name of anonymous authors only
    return Statistics(nid, last.cid, last.changed, name, last.uid, len(published))


def node_statistics(nodes: list[tuple[int, int, int]], comments: list[Comment]) -> list[Statistics]:
    """Return the statistics row of every node, given as (nid, uid, changed)."""
    by_node: dict[int, list[Comment]] = {}
    for comment in comments:
        by_node.setdefault(comment.nid, []).append(comment)
    return [statistics(nid, uid, changed, by_node.get(nid, [])) for nid, uid, changed in nodes]


def _uuid(rng: random.Random) -> str:
    import uuid

    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
