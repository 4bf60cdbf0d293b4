"""Delta runs: read only what changed in a site since its last completed run.

Each completed run leaves a high-water mark per site in `pm_marks`: the source's clock when its
read began (`Changes.clock`), and the digest of what shaped its rows (mapping, model, version).
The next run, if that digest is the same, reads only:

- the nodes Drupal stamped `changed` since the mark, less an overlap (`OVERLAP`: clock skew
  between web and database servers, and requests whose transaction was still open when the last
  run read, stamped before it but committed after);
- the nodes the ledger does not know yet, or whose row failed, and the nodes that gained a
  revision or a comment, or whose comment changed (their whole family is read again: the node,
  every revision, every comment); the nodes written with a reference left empty (the row it
  names was not in the target yet), so it resolves once that row arrives;
- the files changed since, new or failed, and the files those nodes use (their usage is part of
  the file row); in Drupal 8+ the accounts changed since, new or failed (Drupal 7 keeps no
  `changed` on users: accounts, like terms, are read whole every run).

New rows and rows gone from the source show by comparing id sets (source against ledger), one
indexed column each. Edits Drupal does not stamp (a field table changed behind its back) are
what `migrate --full` and `verify` are for (docs/cutover.md).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from pseamigrate.drupal.changes import Changes
from pseamigrate.mapping.model import SiteMapping
from pseamigrate.migrate import plan as p
from pseamigrate.target import model as cm
from pseamigrate.target.ledger import Ledger

OVERLAP = 3600  # seconds before the mark read again (clock skew, transactions left open)
REDO = ("failed", "redo")  # id map statuses read again by every run


@dataclass(frozen=True)
class Delta:
    """What a delta run reads, per step: the ids of its keyset (None: every row)."""

    nodes: dict[str, frozenset[int]] = field(default_factory=dict)  # bundle → nids
    revisions: dict[str, frozenset[int]] = field(default_factory=dict)  # bundle → vids
    notes: dict[str, frozenset[int]] = field(default_factory=dict)  # bundle → cids
    files: frozenset[int] | None = frozenset()
    users: frozenset[int] | None = None

    def only(self, step: p.Step) -> frozenset[int] | None:
        """Return the ids a step reads (None: all of them)."""
        if step.kind == p.NODES:
            return self.nodes.get(step.source, frozenset())
        if step.kind == p.REVISIONS:
            return self.revisions.get(step.source, frozenset())
        if step.kind == p.NOTES:
            return self.notes.get(step.source, frozenset())
        if step.kind == p.FILES:
            return self.files
        if step.kind == p.USERS:
            return self.users
        return None

    def rows(self) -> int:
        """Return how many rows (of the steps it restricts) the delta reads."""
        families = [*self.nodes.values(), *self.revisions.values(), *self.notes.values()]
        return sum(map(len, families)) + len(self.files or ()) + len(self.users or ())


@dataclass
class Survey:
    """What a site's run found before it read: the clock, the rows gone, and the delta (None:
    a full pass, for `reason`)."""

    clock: int
    gone: dict[str, list[str]]  # ledger source entity → source ids no longer in the source
    basis: str  # the digest of what shapes the rows (digest.basis_digest)
    delta: Delta | None = None
    reason: str = ""


@dataclass(frozen=True)
class Known:
    """The ledger's id map of one tenant: source entity → source id → status."""

    by_entity: dict[str, dict[str, str]]

    def ids(self, entity: str) -> dict[str, str]:
        """Return one source entity's source ids and statuses."""
        return self.by_entity.get(entity, {})

    def redo(self, entity: str) -> set[int]:
        """Return the source ids every run reads again (failed, or unlinked by `--sync`)."""
        return {int(i) for i, status in self.ids(entity).items() if status in REDO}


def entities(mapping: SiteMapping, model: cm.CanonicalModel, changes: Changes) -> list[str]:
    """Return the ledger source entities a site's run writes (what gone rows are looked for in)."""
    names = ["user", "file"]
    names += [f"taxonomy_term:{vm.source}" for vm in mapping.vocabularies]
    for em in mapping.entities:
        entity = model.entities[em.destination]
        names.append(f"node:{em.bundle}")
        names += [f"node_revision:{em.bundle}"] if entity.revisions is not None else []
        names += [f"comment:{em.bundle}"] if entity.notes is not None else []
    return names


def known(conn: Connection | None, ledger: Ledger, tenant_id: int, names: list[str]) -> Known:
    """Read the ledger's id map of the entities a run writes (empty without a target)."""
    if conn is None or not tenant_id:
        return Known({})
    return Known({name: ledger.statuses(conn, tenant_id, name) for name in names})


@dataclass
class SourceIds:
    """The ids a site holds now, per ledger source entity (family members keep their nid)."""

    plain: dict[str, set[int]] = field(default_factory=dict)  # node, file, user, term ids
    family: dict[str, dict[int, int]] = field(default_factory=dict)  # vid/cid → nid


def source_ids(
    changes: Changes, mapping: SiteMapping, model: cm.CanonicalModel, vocabularies: Collection[str]
) -> SourceIds:
    """Read every id set a run compares with the ledger (indexed columns only)."""
    found = SourceIds()
    found.plain["user"] = changes.user_ids()
    found.plain["file"] = changes.file_ids()
    for vm in mapping.vocabularies:
        if vm.source in vocabularies:
            found.plain[f"taxonomy_term:{vm.source}"] = changes.term_ids(vm.source)
    for em in mapping.entities:
        entity = model.entities[em.destination]
        found.plain[f"node:{em.bundle}"] = changes.node_ids(em.bundle)
        if entity.revisions is not None:
            found.family[f"node_revision:{em.bundle}"] = changes.revision_ids(em.bundle)
        if entity.notes is not None:
            found.family[f"comment:{em.bundle}"] = changes.comment_ids(em.bundle)
    return found


def gone(ids: SourceIds, ledger_ids: Known) -> dict[str, list[str]]:
    """Return, per source entity, the ids the ledger holds and the source no longer does."""
    out: dict[str, list[str]] = {}
    for entity, statuses in ledger_ids.by_entity.items():
        if entity in ids.plain:
            present = {str(i) for i in ids.plain[entity]}
        elif entity in ids.family:
            present = {str(i) for i in ids.family[entity]}
        else:
            continue
        missing = sorted((i for i in statuses if i not in present), key=_numeric)
        if missing:
            out[entity] = missing
    return out


def _numeric(value: str) -> tuple[int, str]:
    return (int(value), "") if value.isdigit() else (0, value)


def delta(
    changes: Changes,
    mapping: SiteMapping,
    ids: SourceIds,
    ledger_ids: Known,
    marks: dict[str, Any],
    unresolved: dict[str, set[int]],
) -> Delta:
    """Return what a run reads after the last completed run's `marks` (`unresolved`: per
    bundle, the nodes whose target row keeps a reference it could not resolve)."""
    since = int(marks["since"])
    start = since - OVERLAP
    changed_comments = changes.changed_comments(start)
    nodes, revisions, notes = {}, {}, {}
    for em in mapping.entities:
        b = em.bundle
        nids = _family_nids(changes, b, ids, ledger_ids, start, changed_comments)
        nids |= unresolved.get(b, set()) & ids.plain[f"node:{b}"]
        nodes[b] = frozenset(nids)
        revs = ids.family.get(f"node_revision:{b}", {})
        revisions[b] = frozenset(vid for vid, nid in revs.items() if nid in nids)
        comments = ids.family.get(f"comment:{b}", {})
        notes[b] = frozenset(cid for cid, nid in comments.items() if nid in nids)
    every_nid = set().union(*nodes.values()) if nodes else set()
    files = _fresh(ids.plain["file"], ledger_ids, "file") | changes.changed_files(start)
    files |= changes.files_used_by(every_nid)
    users = changes.changed_users(start)
    if users is not None:
        users |= _fresh(ids.plain["user"], ledger_ids, "user")
    # A node or comment deleted since took its file_usage rows along, which changes the rows
    # of the files it used; which files those were the source no longer says: read them all.
    newly_gone = _newly_gone(gone(ids, ledger_ids), marks.get("gone") or {})
    return Delta(
        nodes=nodes,
        revisions=revisions,
        notes=notes,
        files=None if newly_gone else frozenset(files & ids.plain["file"]),
        users=None if users is None else frozenset(users & ids.plain["user"]),
    )


def _newly_gone(now: dict[str, list[str]], before: dict[str, list[str]]) -> bool:
    """Tell whether a node or comment went from the source since the last completed run."""
    return any(
        set(ids) - set(before.get(entity, []))
        for entity, ids in now.items()
        if entity.startswith(("node:", "comment:"))
    )


def _fresh(present: Iterable[int], ledger_ids: Known, entity: str) -> set[int]:
    """Return the ids the ledger does not know, and those it wants read again."""
    listed = ledger_ids.ids(entity)
    return {i for i in present if str(i) not in listed} | ledger_ids.redo(entity)


def _family_nids(
    changes: Changes,
    bundle: str,
    ids: SourceIds,
    ledger_ids: Known,
    start: int,
    changed_comments: set[int],
) -> set[int]:
    """Return the nids of one type whose family (node, revisions, comments) is read again."""
    present = ids.plain[f"node:{bundle}"]
    nids = _fresh(present, ledger_ids, f"node:{bundle}") | changes.changed_nodes(bundle, start)
    revisions = ids.family.get(f"node_revision:{bundle}")
    if revisions is not None:
        entity = f"node_revision:{bundle}"
        fresh = _fresh(revisions, ledger_ids, entity)
        nids |= {revisions[vid] for vid in fresh if vid in revisions}
    comments = ids.family.get(f"comment:{bundle}")
    if comments is not None:
        entity = f"comment:{bundle}"
        fresh = _fresh(comments, ledger_ids, entity) | (changed_comments & set(comments))
        nids |= {comments[cid] for cid in fresh if cid in comments}
    return nids & present


def full_reason(marks: dict[str, Any] | None, basis: str, asked: str) -> str:
    """Return why a run reads everything ("" when a delta run may go): `asked` names an
    option that wants it (--full, --update, --limit, --idlist)."""
    if asked:
        return asked
    if marks is None:
        return "no completed run left marks"
    if marks["basis"] != basis:
        return (
            "the mapping, the canonical model, the site's content model or the tool changed "
            "since the last completed run"
        )
    return ""


def survey(
    changes: Changes,
    mapping: SiteMapping,
    model: cm.CanonicalModel,
    vocabularies: Collection[str],
    where: tuple[Connection | None, Ledger, int, str],
    basis: str,
    asked: str,
) -> Survey:
    """Read the source's clock and id sets and the ledger's; return the rows gone and, when
    the marks allow it, the delta (`where`: target connection, ledger, tenant id, site)."""
    conn, ledger, tenant_id, site = where
    clock = changes.clock()
    ledger_ids = known(conn, ledger, tenant_id, entities(mapping, model, changes))
    ids = source_ids(changes, mapping, model, vocabularies)
    found = Survey(clock, gone(ids, ledger_ids), basis)
    marks = ledger.read_marks(conn, tenant_id, site) if conn is not None and tenant_id else None
    found.reason = full_reason(marks, basis, asked)
    if not found.reason and marks is not None:
        assert conn is not None
        pending = _unresolved(conn, ledger, tenant_id, mapping, model)
        found.delta = delta(changes, mapping, ids, ledger_ids, marks, pending)
    return found


def _unresolved(
    conn: Connection, ledger: Ledger, tenant_id: int, mapping: SiteMapping, model: cm.CanonicalModel
) -> dict[str, set[int]]:
    """Return, per bundle, the nodes written with a reference left empty (the row it names was
    not in the target then): each run reads them again, as a full run would resolve them once
    that row arrives."""
    out = {}
    for em in mapping.entities:
        keys = [
            f"{pf.destination}_source_id"
            for pf in em.process
            if any(step.plugin == "lookup" for step in pf.steps)
        ]
        table = model.entities[em.destination].table
        out[em.bundle] = ledger.unresolved(conn, tenant_id, table, keys)
    return out


def keep(
    conn: Connection,
    where: tuple[Ledger, int, str],
    run_id: int,
    found: Survey,
    steps: list[tuple[p.Step, int]],
) -> None:
    """Record a completed run's marks: the clock its read began at, the rows still gone, and
    its steps (`steps`: each with the rows an ignored step counted) for `status`."""
    ledger, tenant_id, site = where
    listed = [
        {
            "label": s.label,
            "kind": s.kind,
            "entity": s.ledger_entity(),
            "reason": s.reason,
            # The rows of an ignored bundle or vocabulary, which no ledger entry counts.
            "rows": n if s.ledger_entity() is None else None,
        }
        for s, n in steps
    ]
    ledger.write_marks(
        conn,
        tenant_id,
        site,
        basis=found.basis,
        since=found.clock,
        run_id=run_id,
        gone=found.gone,
        steps=listed,
    )
