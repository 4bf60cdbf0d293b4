"""Deterministic fake content of one site, from a seed: terms, users, files and nodes.

Everything is layout-neutral; `d7.py` and `d8.py` turn it into rows. Nodes are produced in
chunks so a large scale never holds the whole site in memory (only node ids of complaints,
which referrals point at).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from pseamigrate.sample import text
from pseamigrate.sample.comments import Comment, CommentMaker
from pseamigrate.sample.sites import STATUSES, BundleSpec, FieldSpec, SiteSpec

EPOCH = 1514764800  # 2018-01-01: the oldest CRP content
SPAN = 7 * 365 * 86400
ROLES = ("focal_point", "coordinator", "data_entry", "viewer")
ROLE_LABELS = {
    "focal_point": "focal point",
    "coordinator": "coordinator",
    "data_entry": "data entry",
    "viewer": "viewer",
}
CHUNK = 500
PUBLIC_BEFORE = EPOCH + 365 * 86400  # attachments of 2018 were public://, later private://
# Accounts that work in two sites (same person, same email); the second site writes the email
# with other case and stray whitespace, as people typed it.
SHARED_ACCOUNTS = (("demo", "syria"), ("iraq", "drc"), ("demo", "iraq"), ("drc", "syria"))

Value = Any  # str | int | tuple[int, str] (file: fid, description)


@dataclass(frozen=True)
class Term:
    """A taxonomy term; `parent` 0 means a root term."""

    tid: int
    vocabulary: str
    name: str
    parent: int
    weight: int
    uuid: str
    second_parent: int = 0  # a term with two parents (Drupal's multiple hierarchy)
    code: str = ""  # field_location_code of location terms


@dataclass(frozen=True)
class User:
    """An account (uid 0, the anonymous user, is written by the layouts, not here)."""

    uid: int
    name: str
    mail: str
    password: str
    status: int
    created: int
    access: int
    roles: tuple[str, ...]
    uuid: str
    full_name: str = ""  # field_full_name
    phone: str = ""  # field_phone ("" when the account has none)
    organisation: int = 0  # field_organisation: a tid of the organisation vocabulary


@dataclass(frozen=True)
class ManagedFile:
    """A managed file; `missing` files have a row but nothing on disk, as on real sites."""

    fid: int
    uid: int
    uri: str
    filename: str
    mime: str
    body: bytes
    timestamp: int
    nid: int
    missing: bool
    uuid: str


@dataclass
class Revision:
    """One revision of a node with every field value it had then."""

    vid: int
    uid: int
    timestamp: int
    title: str
    status: int
    log: str
    values: dict[str, list[Value]]


@dataclass
class Node:
    """A node; its last revision is the current one."""

    nid: int
    bundle: str
    language: str
    uid: int
    created: int
    uuid: str
    revisions: list[Revision] = field(default_factory=list)

    @property
    def current(self) -> Revision:
        """Return the current (last) revision."""
        return self.revisions[-1]


@dataclass
class NodeChunk:
    """Nodes produced together, with the files their attachments created."""

    nodes: list[Node]
    files: list[ManagedFile]
    comments: list[Comment] = field(default_factory=list)


def make_uuid(rng: random.Random) -> str:
    """Return a version-4 UUID drawn from `rng` (deterministic, unlike uuid4())."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class SiteContent:
    """Generate one site's content deterministically from `seed` and `scale`."""

    def __init__(
        self, spec: SiteSpec, seed: int, scale: float, emoji: bool, big_narrative_bytes: int = 0
    ) -> None:
        self.spec, self.seed, self.scale, self.emoji = spec, seed, scale, emoji
        self.big_narrative_bytes = big_narrative_bytes
        self.rng = random.Random(f"{seed}:{spec.seed_offset}")
        self.terms = self._make_terms()
        self.users = self._make_users()
        self.active_uids = [u.uid for u in self.users if u.status == 1]
        self._nid = 0
        self._vid = 0
        self._fid = 0
        self.complaint_nids: list[int] = []
        # Comments draw from their own stream, so node content does not depend on them.
        comment_rng = random.Random(f"{seed}:{spec.seed_offset}:comments")
        self.comments = CommentMaker(comment_rng, spec.language, spec.arabic, emoji)
        self.authors = {u.uid: u.name for u in self.users if u.status == 1}
        # Planted problems by name: the ids a test can assert (see docs/sample-sites.md).
        self.planted: dict[str, list[int | str]] = {
            "dangling_complaint_ref": [],
            "deleted_complaints": [],
            "unparseable_incident_dates": [],
            "multi_parent_terms": [t.tid for t in self.terms if t.second_parent],
            "emoji_nodes": [],
            "big_narrative": [],
            "shared_emails": [u.uid for u in self.users[self._own_users() :]],
            "missing_files": [],
            "midnight_dates": [],
            "unmodelled_statuses": [],
        }

    def count(self, bundle: BundleSpec) -> int:
        """Return how many nodes of `bundle` this scale gives (at least 3)."""
        return max(3, round(bundle.per_scale * self.scale))

    def terms_of(self, vocabulary: str, leaves_only: bool = False) -> list[Term]:
        """Return the terms of `vocabulary` (only children, for hierarchical ones if asked)."""
        return [
            t
            for t in self.terms
            if t.vocabulary == vocabulary and not (leaves_only and t.parent == 0)
        ]

    def _make_terms(self) -> list[Term]:
        fr, arabic = self.spec.language == "fr", self.spec.arabic
        names = {
            "organisation": [[n] for n in text.ORGANISATIONS],
            "allegation_type": [[n] for n in (text.ALLEGATIONS_FR if fr else text.ALLEGATIONS_EN)],
            "location": text.location_names(self.spec.language, arabic, 4, 3),
            "awareness_topic": [[n] for n in (text.TOPICS_FR if fr else text.TOPICS_EN)],
        }
        terms: list[Term] = []
        for vocabulary in self.spec.vocabularies:
            for weight, group in enumerate(names[vocabulary.role]):
                parent = len(terms) + 1
                for i, name in enumerate(group):
                    tid = len(terms) + 1
                    up = 0 if i == 0 else parent
                    uid = make_uuid(self.rng)
                    terms.append(Term(tid, vocabulary.machine_name, name, up, weight, uid))
        return _location_extras(terms, self.spec.code)

    def planted_ids(self) -> dict[str, list[int | str]]:
        """Return every planted problem's ids (call after all chunks were written)."""
        return {**self.planted, "emoji_comments": list(self.comments.with_emoji)}

    def _own_users(self) -> int:
        return 8 + round(10 * self.scale)

    def _make_users(self) -> list[User]:
        total = self._own_users()
        users = [self._user(uid, uid * 37 + self.spec.seed_offset) for uid in range(1, total + 1)]
        shared = random.Random(f"{self.seed}:shared")
        for number, pair in enumerate(SHARED_ACCOUNTS):
            person = 900 + shared.randint(0, 99) * 10 + number
            if self.spec.name in pair:
                mail = f"synthetic.person.{person}@example.org"
                if self.spec.name == pair[1]:
                    mail = f"  {mail.title()} "
                user = self._user(len(users) + 1, person)
                users.append(_with(user, mail=mail, status=1))
        return users

    def _user(self, uid: int, person: int) -> User:
        rng = self.rng
        created = EPOCH + rng.randrange(SPAN // 2)
        alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        password = "$S$D" + "".join(rng.choices(alphabet, k=51))  # phpass shape, not a real hash
        roles = (ROLES[uid % len(ROLES)],) + (("data_entry",) if uid % 5 == 0 else ())
        return User(
            uid=uid,
            name=f"{text.person_name(person)}.{self.spec.code.lower()}",
            mail=f"synthetic.person.{person}@example.org",
            password=password,
            status=0 if uid % 7 == 3 else 1,
            created=created,
            access=created + rng.randrange(86400 * 30),
            roles=tuple(dict.fromkeys(roles)),
            uuid=make_uuid(rng),
            **self._user_fields(uid, person),
        )

    def _user_fields(self, uid: int, person: int) -> dict[str, Any]:
        """Return the account's field values, derived from the person number (no draws)."""
        full_name = f"Synthetic Person {person:03d}"
        if self.spec.arabic and uid % 3 == 0:
            full_name += f" / شخص اصطناعي {person}"
        orgs = [t.tid for t in self.terms if t.vocabulary == "organisation"]
        return {
            "full_name": full_name,
            "phone": "" if uid % 4 == 0 else f"+000 555 {person:04d}",
            "organisation": orgs[person % len(orgs)] if orgs and uid % 5 else 0,
        }

    def chunks(self, bundle: BundleSpec) -> Iterator[NodeChunk]:
        """Yield the nodes of `bundle` in chunks, with the files they created."""
        total = self.count(bundle)
        if bundle.name == "referral":
            self._nid += 1  # the last complaint was deleted; a referral still points at it
            self.planted["deleted_complaints"].append(self._nid)
        for start in range(0, total, CHUNK):
            chunk = NodeChunk([], [])
            for index in range(start, min(total, start + CHUNK)):
                node = self._node(bundle, index)
                chunk.nodes.append(node)
                chunk.files.extend(self.files_of(node))
                chunk.comments += self.comments.comments_of(
                    bundle.name, node.nid, node.created, self.authors
                )
            self.planted["missing_files"] += [f.fid for f in chunk.files if f.missing]
            yield chunk

    def _node(self, bundle: BundleSpec, index: int) -> Node:
        rng = self.rng
        self._nid += 1 + (rng.randrange(1, 4) if rng.random() < 0.08 else 0)  # deleted nodes
        created = EPOCH + rng.randrange(SPAN)
        node = Node(
            self._nid, bundle.name, self.spec.language, rng.choice(self.active_uids), created, ""
        )
        node.uuid = make_uuid(rng)
        if bundle.name == "complaint":
            self.complaint_nids.append(node.nid)
        values = {f.name: self._values(f, node, index) for f in bundle.fields}
        values = {name: v for name, v in values.items() if v}
        title = self._title(bundle, index)
        self._plant(bundle, index, node, values, title)
        published = 0 if rng.random() < 0.08 else 1
        count = rng.choice((1, 1, 1, 2, 3)) if bundle.name != "awareness_session" else 1
        for number in range(count):
            self._vid += 1
            rev_values = dict(values)
            if "field_complaint_status" in values:
                step = min(number + (len(STATUS_FLOW) - count), len(STATUS_FLOW) - 1)
                rev_values["field_complaint_status"] = [STATUS_FLOW[step]]
                if number == count - 1:
                    self._unmodelled_status(bundle, index, node, rev_values)
            status = published if number == count - 1 else 1
            stamp = created + number * 86400 * rng.randint(1, 20)
            log = f"synthetic revision {number + 1}" if number else ""
            rev = Revision(self._vid, node.uid, stamp, title, status, log, rev_values)
            node.revisions.append(rev)
        return node

    def _unmodelled_status(
        self, bundle: BundleSpec, index: int, node: Node, values: dict[str, Any]
    ) -> None:
        """Give two complaints in five a status of the site's own (Iraq: awaiting_review,
        escalated), as real clones hold: their current revision only, no randomness drawn."""
        status = next(f for f in bundle.fields if f.name == "field_complaint_status")
        own = [key for key, _ in status.allowed if key not in STATUS_FLOW]
        if own and index % 5 in (1, 3):
            values["field_complaint_status"] = [own[(index % 5 // 2) % len(own)]]
            self.planted["unmodelled_statuses"].append(node.nid)

    def _plant(
        self, bundle: BundleSpec, index: int, node: Node, values: dict[str, Any], title: str
    ) -> None:
        """Plant the per-node problems: a referral to a deleted complaint, the big narrative,
        and note the nodes whose title or narrative holds the emoji."""
        if bundle.name == "referral" and index == 0:
            link = next(f.name for f in bundle.fields if f.kind == "noderef")
            values[link] = list(self.planted["deleted_complaints"][-1:])
            self.planted["dangling_complaint_ref"].append(node.nid)
        if bundle.name == "complaint" and index == 1 and self.big_narrative_bytes > 0:
            size = self.big_narrative_bytes
            values["field_narrative"] = [text.sized_narrative(size, self.emoji)]
            self.planted["big_narrative"].append(node.nid)
        narratives = [v for v in values.get("field_narrative", []) if isinstance(v, str)]
        if any(text.EMOJI in v for v in [title, *narratives]):
            self.planted["emoji_nodes"].append(node.nid)

    def _title(self, bundle: BundleSpec, index: int) -> str:
        if bundle.name == "complaint":
            return f"CRP-{self.spec.code}-{index + 1:05d}"
        # Some session titles carry the 4-byte emoji, where the charset holds it.
        emoji = f" {text.EMOJI}" if self.emoji and index % 9 == 4 else ""
        return f"{bundle.label} {index + 1} (synthetic){emoji}"

    def _values(self, spec: FieldSpec, node: Node, index: int) -> list[Value]:
        rng = self.rng
        if spec.kind == "file":
            return [self._file(i) for i in range(rng.choice((0, 0, 1, 1, 2, 3)))]
        if spec.name == "field_incident_date":
            value, parseable = text.incident_date(index, _date(node.created))
            if not parseable:
                self.planted["unparseable_incident_dates"].append(node.nid)
            return [value]
        if spec.name != "field_complaint_code" and rng.random() < 0.05:
            return []  # optional fields left empty now and then
        if spec.kind == "term":
            leaves = spec.vocabulary == "location"
            pool = [t.tid for t in self.terms_of(spec.vocabulary, leaves_only=leaves)]
            if spec.cardinality == -1:
                return sorted(rng.sample(pool, rng.randint(1, 4)))
            return [rng.choice(pool)]
        return [self._scalar(spec, node, index)]

    def _scalar(self, spec: FieldSpec, node: Node, index: int) -> Value:
        rng, kind = self.rng, spec.kind
        if kind == "list":
            # A status is overwritten by STATUS_FLOW; the draw stays the template's, so a site's
            # own statuses (`_unmodelled_status`) change no other value of the site.
            allowed = STATUSES if spec.name == "field_complaint_status" else spec.allowed
            return rng.choice(allowed)[0]
        if kind == "date":
            return _date(node.created - rng.randrange(86400 * 10))
        if kind == "unixdate":
            return self._unix_date(node, index, rng.randrange(86400 * 10))
        if kind == "bool":
            return rng.randint(0, 1)
        if kind == "int":
            return rng.randint(0, 60)
        if kind == "noderef":
            return rng.choice(self.complaint_nids) if self.complaint_nids else 0
        if kind == "longtext":
            if index == 2:
                return text.long_narrative(self.spec.language, self.spec.arabic)
            return text.narrative(rng, self.spec.language, self.spec.arabic, self.emoji)
        if spec.name == "field_complaint_code":
            return f"CRP-{self.spec.code}-{index + 1:05d}"
        return f"{spec.name.removeprefix('field_')}-{rng.randint(1, 999):03d}"

    def _unix_date(self, node: Node, index: int, back: int) -> int:
        """Return a Unix time on the day `back` seconds before `node` was created, in the site's
        time zone: in office hours, or (every 11th node from the 6th) near midnight on the side
        where UTC has another calendar date; note the nodes whose UTC date differs."""
        zone = ZoneInfo(self.spec.timezone)
        day = dt.datetime.fromtimestamp(node.created - back, zone).date()
        offset = dt.datetime.combine(day, dt.time(12), zone).utcoffset() or dt.timedelta()
        if index % 11 == 5 and offset:
            clock = dt.time(0, 40) if offset > dt.timedelta() else dt.time(23, 20)
        else:
            clock = dt.time(9 + back % 8, back // 8 % 60)
        stamp = int(dt.datetime.combine(day, clock, zone).timestamp())
        if _date(stamp) != day.isoformat():
            self.planted["midnight_dates"].append(node.nid)
        return stamp

    def _file(self, delta: int) -> tuple[int, str]:
        self._fid += 1
        return (self._fid, f"attachment {delta + 1}")

    def files_of(self, node: Node) -> list[ManagedFile]:
        """Return the managed files the current revision of `node` attaches."""
        return [
            self.managed_file(fid, node)
            for fid, _ in node.current.values.get("field_attachments", [])
        ]

    def managed_file(self, fid: int, node: Node) -> ManagedFile:
        """Describe file `fid` attached to `node` (its bytes depend only on seed, site, fid)."""
        scheme = "public" if node.created < PUBLIC_BEFORE else "private"
        month = _date(node.created)[:7]
        ext, mime = (("pdf", "application/pdf"), ("jpg", "image/jpeg"), ("txt", "text/plain"))[
            fid % 3
        ]
        name = f"synthetic-attachment-{fid:05d}.{ext}"
        digest = hashlib.sha256(f"{self.seed}:{self.spec.name}:{fid}".encode()).hexdigest()
        body = f"{text.MARK} file {fid} of site {self.spec.name} {digest}\n".encode()
        uid = make_uuid(random.Random(digest))
        return ManagedFile(
            fid=fid,
            uid=node.uid,
            uri=f"{scheme}://complaints/{month}/{name}",
            filename=name,
            mime=mime,
            body=body,
            timestamp=node.created,
            nid=node.nid,
            missing=fid % 11 == 4,
            uuid=uid,
        )


STATUS_FLOW = ("new", "in_progress", "referred", "closed")


def indexed_terms(term_fields: list[str], nodes: list[Node]) -> Iterator[tuple[Node, int]]:
    """Yield (node, tid) for taxonomy_index: Drupal indexes published nodes' current terms only."""
    for node in nodes:
        if node.current.status != 1:
            continue
        tids = {tid for name in term_fields for tid in node.current.values.get(name, [])}
        for tid in sorted(tids):
            yield node, tid


def _location_extras(terms: list[Term], code: str) -> list[Term]:
    """Give location terms their code, and the last district a second parent (the next region)."""
    locations = [t for t in terms if t.vocabulary == "location"]
    regions = [t.tid for t in locations if t.parent == 0]
    out = []
    for term in terms:
        if term.vocabulary == "location":
            extra: dict[str, Any] = {"code": f"{code}-L{term.tid - locations[0].tid + 1:03d}"}
            if term is locations[-1] and len(regions) > 1:
                extra["second_parent"] = regions[regions.index(term.parent) - 1]
            term = _with_term(term, **extra)
        out.append(term)
    return out


def _with_term(term: Term, **changes: Any) -> Term:
    from dataclasses import replace

    return replace(term, **changes)


def _date(stamp: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%d")


def _with(user: User, **changes: Any) -> User:
    from dataclasses import replace

    return replace(user, **changes)
