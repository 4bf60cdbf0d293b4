"""What a migration of one site does, in which order, as data (STYLE.md C4).

Accounts come first (everything points at an author), then files (attachments point at them),
then terms, then each entity's nodes with the entities they reference before them (complaints
before referrals), then revisions and notes. Bundles and vocabularies the mapping ignores are
steps too, so their rows are counted and reported with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from pseamigrate.drupal.model import SiteModel
from pseamigrate.mapping.model import SiteMapping
from pseamigrate.target import model as cm

USERS, FILES, TERMS, NODES, REVISIONS, NOTES = (
    "users",
    "files",
    "terms",
    "nodes",
    "revisions",
    "notes",
)
IGNORED_BUNDLE, IGNORED_VOCABULARY = "ignored bundle", "ignored vocabulary"
# Rows shared by every tenant: accounts merged by e-mail, shared vocabularies' merged terms.
SHARED_GROUPS = ("accounts", "terms")


@dataclass(frozen=True)
class Step:
    """One step: what it reads (`source`: a node type or vocabulary) and where it goes."""

    kind: str
    label: str  # the summary row: "complaint", "complaint revisions", "terms location"…
    source: str = ""
    destination: str = ""  # a canonical entity or vocabulary
    reason: str = ""  # for ignored bundles and vocabularies

    def ledger_entity(self) -> str | None:
        """Return the ledger's source entity of this step's rows (None: an ignored bundle or
        vocabulary, whose rows the ledger does not keep)."""
        return {
            USERS: "user",
            FILES: "file",
            TERMS: f"taxonomy_term:{self.source}",
            NODES: f"node:{self.source}",
            REVISIONS: f"node_revision:{self.source}",
            NOTES: f"comment:{self.source}",
        }.get(self.kind)


def plan_site(mapping: SiteMapping, model: cm.CanonicalModel, site: SiteModel) -> list[Step]:
    """Return the ordered steps migrating one site with its mapping."""
    steps = [Step(USERS, "accounts"), Step(FILES, "files")]
    for vm in mapping.vocabularies:
        if vm.source in site.vocabularies:
            steps.append(Step(TERMS, f"terms {vm.source}", vm.source, vm.destination))
    steps += [
        Step(IGNORED_VOCABULARY, f"terms {i.name}", i.name, reason=i.reason)
        for i in mapping.ignore_vocabularies
        if i.name in site.vocabularies
    ]
    ordered = ordered_entities(model)
    content = sorted(mapping.entities, key=lambda em: ordered.index(em.destination))
    steps += [Step(NODES, em.bundle, em.bundle, em.destination) for em in content]
    steps += [
        Step(REVISIONS, f"{em.bundle} revisions", em.bundle, em.destination)
        for em in content
        if model.entities[em.destination].revisions is not None
    ]
    steps += [
        Step(NOTES, f"{em.bundle} notes", em.bundle, em.destination)
        for em in content
        if model.entities[em.destination].notes is not None
    ]
    steps += [
        Step(IGNORED_BUNDLE, i.name, i.name, reason=i.reason)
        for i in mapping.ignore_bundles
        if i.name in site.bundles
    ]
    return steps


def shared_group(step: Step, model: cm.CanonicalModel) -> str | None:
    """Return which rows shared by every tenant a step writes: "accounts" (users merge by
    e-mail), "terms" (a shared vocabulary's merged terms), or None (only its tenant's rows)."""
    if step.kind == USERS:
        return "accounts"
    if step.kind == TERMS and model.vocabularies[step.destination].scope == "shared":
        return "terms"
    return None


def ordered_entities(model: cm.CanonicalModel) -> list[str]:
    """Return the entity names with every referenced entity before the ones pointing at it."""
    done: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in done or name in path:
            return
        for column in model.entities[name].columns:
            if column.type == "ref" and column.entity and column.entity != name:
                visit(column.entity, (*path, name))
        done.append(name)

    for name in model.entities:
        visit(name, ())
    return done


def lookup_sources(mapping: SiteMapping) -> dict[str, list[str]]:
    """Return, per lookup kind, the ledger source entities that feed it."""
    sources: dict[str, list[str]] = {"user": ["user"], "file": ["file"]}
    for vm in mapping.vocabularies:
        sources.setdefault(vm.destination, []).append(f"taxonomy_term:{vm.source}")
    for em in mapping.entities:
        sources.setdefault(em.destination, []).append(f"node:{em.bundle}")
        sources.setdefault(f"note:{em.destination}", []).append(f"comment:{em.bundle}")
    return sources
