"""Reconcile one planned step of one site: counts, explanations, chunk digests, bisection.

The source rows are read and turned into items by the migrate producers themselves (the same
`StepRunner` a dry run uses, its lookups loaded from the ledger, read-only), so the projection
is exactly what the migration would write. Per chunk of source ids, the XOR of the projected
rows' digests is compared with the XOR of the target rows' digests; a chunk that differs is
bisected down to the differing source ids, and each is reported with the names of the fields
that differ.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from pseamigrate.drupal.model import EntityRecord
from pseamigrate.encryption.sealed import TamperedFile
from pseamigrate.migrate import items as it
from pseamigrate.migrate import plan as p
from pseamigrate.migrate.items import Item
from pseamigrate.migrate.steps import StepRunner
from pseamigrate.target.ledger import Ledger
from pseamigrate.target.store import relative_path
from pseamigrate.verify import results as r
from pseamigrate.verify.canon import bisect, combined, differing_fields, row_digest
from pseamigrate.verify.shapes import Shape, merged_across, projected, read_target

StepProgress = Callable[[str, int, int | None], None]  # step label, rows done, total


class Projector(StepRunner):
    """A dry-run step runner whose batches and items verify reads (nothing is written)."""

    def batches(self, step: p.Step) -> Iterator[list[EntityRecord]]:
        """Return the step's source records in batches."""
        return self._batches(step)

    def produce(self, step: p.Step, record: EntityRecord) -> Item:
        """Return the item the migration makes of one source record."""
        return self._produce(step, record)

    def store_path(self, uri: str) -> Path | None:
        """Return where the target's file store keeps the copy of `uri`."""
        relative = relative_path(uri)
        if relative is None or self.files.target is None:
            return None
        return self.files.target / relative


@dataclass
class Digests:
    """The running XOR digests of one step and a reservoir of sampled rows."""

    ours: int = 0  # XOR of the projected rows' digests so far (constant memory)
    theirs: int = 0
    seen: int = 0
    keys: int = 0  # rows with a merge key (e-mail, term name)
    distinct: set[str] = field(default_factory=set)  # the distinct merge keys
    sample: list[tuple[str, dict[str, Any], dict[str, Any]]] = field(default_factory=list)


@dataclass
class StepCheck:
    """Checks one step of one site against the target."""

    conn: Connection
    runner: Projector
    ledger: Ledger
    tenant_id: int | None
    sample: int = 0
    rng: random.Random = field(default_factory=lambda: random.Random(0))

    def run(self, step: p.Step, shape: Shape, on_progress: StepProgress | None) -> r.EntityCheck:
        """Return the step's counts, explanations, digests and mismatches."""
        check = r.EntityCheck(step.label, step.kind, shape.table.name)
        digests = Digests()
        seen: set[str] = set()
        total = self.runner.total(step) if on_progress is not None else None
        for batch in self.runner.batches(step):
            items = [self.runner.produce(step, record) for record in batch]
            seen |= {item.source_id for item in items}
            self._chunk(step, shape, items, check, digests)
            if on_progress is not None:
                on_progress(step.label, check.source, total)
        self._gone(step, shape, seen, check)
        check.source_digest = format(digests.ours, "064x")
        check.target_digest = format(digests.theirs, "064x")
        check.sampled = [_sampled(sid, ours, theirs) for sid, ours, theirs in digests.sample]
        check.merged = digests.keys - len(digests.distinct)
        if self.tenant_id is not None:
            check.merged_across = merged_across(self.conn, shape, self.tenant_id)
        return check

    def _chunk(
        self, step: p.Step, shape: Shape, items: list[Item], check: r.EntityCheck, d: Digests
    ) -> None:
        hashes = {item.source_id: item.row_hash() for item in items}  # before lookups fill ids
        entity = items[0].source_entity
        entries = (
            self.ledger.entries(self.conn, self.tenant_id, entity, list(hashes))
            if self.tenant_id is not None
            else {}
        )
        compare: list[Item] = []
        present: list[str] = []
        keys = [str(i.inputs.get("email_key") or i.inputs.get("name_key") or "") for i in items]
        d.keys += sum(1 for key in keys if key)
        d.distinct |= {key for key in keys if key}
        for item in items:
            check.source += 1
            entry = entries.get(item.source_id)
            in_target = entry is not None and entry.target_id is not None
            if in_target:
                present.append(item.source_id)
            why = _explanation(item, entry, hashes[item.source_id])
            if why:
                check.explain(why, item.source_id, _reason(item) if why != r.CHANGED else "")
            else:
                compare.append(item)
        found = (
            read_target(self.conn, shape, self.tenant_id, present)
            if self.tenant_id is not None
            else {}
        )
        check.target += len(found)
        self._compare(step, shape, compare, found, check, d)

    def _compare(
        self,
        step: p.Step,
        shape: Shape,
        items: list[Item],
        found: dict[str, tuple[int, dict[str, Any]]],
        check: r.EntityCheck,
        d: Digests,
    ) -> None:
        ours = {i.source_id: projected(shape, i, self.runner.scope.ids) for i in items}
        theirs = {sid: found[sid][1] for sid in ours if sid in found}
        our_digests = {sid: row_digest(doc) for sid, doc in ours.items()}
        their_digests = {sid: row_digest(doc) for sid, doc in theirs.items()}
        ids = sorted(ours)
        check.compared += len(ids)
        d.ours ^= int(combined(our_digests.values()), 16)
        absent = [their_digests.get(sid) or row_digest({"absent": sid}) for sid in ids]
        d.theirs ^= int(combined(absent), 16)
        for sid in bisect(ids, our_digests, their_digests):
            if sid not in theirs:
                check.mismatches.append(r.Mismatch(sid, "missing in the target"))
            else:
                fields = differing_fields(ours[sid], theirs[sid])
                check.mismatches.append(r.Mismatch(sid, "fields differ", fields))
        if step.kind == p.FILES:
            self._store_copies(theirs, check)
        for sid in ids:
            if sid in theirs:
                self._reservoir(d, sid, ours[sid], theirs[sid])

    def _store_copies(self, theirs: dict[str, dict[str, Any]], check: r.EntityCheck) -> None:
        """Check each copy in the target's file store against the sha256 its row records."""
        for sid, document in sorted(theirs.items()):
            if not document.get("sha256"):
                continue
            try:  # a sealed copy is decrypted and authenticated (issue #30 S4)
                stored = self.runner.files.stored_sha256(str(document.get("uri") or ""))
            except TamperedFile:
                check.mismatches.append(r.Mismatch(sid, "store copy fails authentication"))
                continue
            if stored is None:
                check.mismatches.append(r.Mismatch(sid, "store copy missing"))
            elif stored != document["sha256"]:
                check.mismatches.append(r.Mismatch(sid, "store copy differs", ["sha256"]))

    def _reservoir(
        self, d: Digests, sid: str, ours: dict[str, Any], theirs: dict[str, Any]
    ) -> None:
        if not self.sample:
            return
        d.seen += 1
        if len(d.sample) < self.sample:
            d.sample.append((sid, ours, theirs))
            return
        slot = self.rng.randrange(d.seen)
        if slot < self.sample:
            d.sample[slot] = (sid, ours, theirs)

    def _gone(self, step: p.Step, shape: Shape, seen: set[str], check: r.EntityCheck) -> None:
        """Rows the ledger put in the target whose source row is gone: explained and listed."""
        if self.tenant_id is None:
            return
        mapped = self.ledger.targets(self.conn, self.tenant_id, [_ledger_entity(step)])
        missing = sorted(set(mapped) - seen, key=_id_order)
        found = read_target(self.conn, shape, self.tenant_id, missing)
        for sid in missing:
            if sid in found:
                check.target += 1
                check.explain(r.GONE, sid)


def _explanation(item: Item, entry: Any, digest: str) -> str:
    """Say why a source row is not compared, or "" when it is."""
    if item.status == it.IGNORED:
        return r.IGNORED
    if entry is not None and entry.status == "failed":
        # Failed in the last run, whether the row would fail again or now goes through (a row
        # the server refused): either way the next run tries it again.
        return r.FAILED
    if item.status == it.FAILED:
        return r.NOT_YET if entry is None else r.CHANGED
    if entry is None or entry.target_id is None:
        return r.NOT_YET
    return r.CHANGED if entry.row_hash != digest else ""


def _reason(item: Item) -> str:
    return "; ".join(text for level, text in item.messages if level in ("error", "info"))


def _sampled(sid: str, ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    return {
        "source_id": sid,
        "fields_compared": len(set(ours) | set(theirs)),
        "differing_fields": differing_fields(ours, theirs),
    }


def _id_order(key: str) -> tuple[int, str]:
    return (int(key), "") if key.lstrip("-").isdigit() else (0, key)


def _ledger_entity(step: p.Step) -> str:
    entity = step.ledger_entity()
    if entity is None:  # verify compares only the steps whose rows the ledger keeps
        raise ValueError(f"step {step.label!r} has no rows in the ledger")
    return entity
