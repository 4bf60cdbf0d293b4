"""Checks over a site's structure: charsets, languages, roles, modules, comments, term parents,
and the fields users and terms carry. Names (tables, roles, modules, fields) and ids only."""

from __future__ import annotations

from collections.abc import Iterator

from pseamigrate.assess.context import SiteContext, subject
from pseamigrate.assess.findings import Finding, Severity, capped
from pseamigrate.drupal.facts import LEGACY_CHARSETS

CHARSET_ACTION = {
    "latin1": "read as bytes and re-decoded as UTF-8 where it round-trips (double encoding), "
    "else as latin1; written as utf8mb4",
    "utf8mb3": "4-byte characters (emoji, rare CJK) could never be stored there; written as "
    "utf8mb4, a superset: nothing is lost",
}


def structure_findings(ctx: SiteContext) -> Iterator[Finding]:
    """Run every structural check of one site."""
    yield from charsets(ctx)
    yield from site_facts(ctx)
    yield from comments(ctx)
    yield from several_parents(ctx)
    yield from entity_fields(ctx)


def charsets(ctx: SiteContext) -> Iterator[Finding]:
    """Report tables in legacy character sets (utf8mb3, latin1)."""
    for charset in LEGACY_CHARSETS:
        tables = ctx.facts.charsets.get(charset, [])
        if tables:
            yield Finding(
                ctx.name,
                "table_charset",
                "info",
                charset,
                f"{len(tables)} table(s) declare {charset} text",
                len(tables),
                capped(tables),
                CHARSET_ACTION[charset],
            )


def site_facts(ctx: SiteContext) -> Iterator[Finding]:
    """Report languages, roles and enabled modules (compared across sites by `diff`)."""
    facts = ctx.facts
    languages = ", ".join(f"{code} {n}" for code, n in sorted(facts.languages.items()))
    yield Finding(
        ctx.name,
        "languages",
        "info",
        "node",
        f"default language {facts.default_language}; nodes by language: {languages or 'none'}",
        len(facts.languages),
        capped(sorted(facts.languages)),
        "each row keeps its language in source_language",
    )
    roles = ", ".join(f"{name} {n}" for name, n in sorted(facts.roles.items()))
    yield Finding(
        ctx.name,
        "roles",
        "info",
        "users",
        f"{len(facts.roles)} role(s); users per role: {roles or 'none'}",
        len(facts.roles),
        capped(sorted(facts.roles)),
        "each account gets one membership in this tenant, with these roles",
    )
    yield Finding(
        ctx.name,
        "modules",
        "info",
        "system",
        f"{len(facts.modules)} enabled module(s) (all in inspect --json)",
        len(facts.modules),
        capped(facts.modules),
        "configuration, not content: compared across sites by diff, not migrated",
    )


def _comment_sql(ctx: SiteContext) -> str | None:
    s = ctx.source
    if ctx.layout == "d7" and s.has("comment"):
        return (
            f"SELECT n.type AS t, c.nid AS id FROM {s.q('comment')} c "
            f"JOIN {s.q('node')} n ON n.nid = c.nid"
        )
    if ctx.layout == "d8" and s.has("comment_field_data"):
        return (
            f"SELECT n.type AS t, c.entity_id AS id FROM {s.q('comment_field_data')} c "
            f"JOIN {s.q('node')} n ON n.nid = c.entity_id "
            "WHERE c.entity_type = 'node' AND c.default_langcode = 1"
        )
    return None


def comments(ctx: SiteContext) -> Iterator[Finding]:
    """Count comments per node type: on CRP complaints they are the handlers' case notes."""
    sql = _comment_sql(ctx)
    if sql is None:
        return
    counted = ctx.source.rows(
        f"SELECT t, COUNT(*) AS n, COUNT(DISTINCT id) AS nodes FROM ({sql}) x GROUP BY t"
    )
    for row in counted:
        node_type, count = str(row["t"]), int(row["n"])
        ids = ctx.source.rows(
            f"SELECT DISTINCT id FROM ({sql}) x WHERE t = :t ORDER BY id",
            {"t": node_type},
        )
        severity, action = _comment_fate(ctx, node_type)
        yield Finding(
            ctx.name,
            "comments",
            severity,
            node_type,
            f"{count} comment(s) (case notes) on {row['nodes']} {node_type} node(s)",
            int(row["nodes"]),
            tuple(int(r["id"]) for r in ids),
            action,
        )


def _comment_fate(ctx: SiteContext, node_type: str) -> tuple[Severity, str]:
    """Say where a node type's comments go: its entity's notes table, or nowhere (a blocker
    when the nodes themselves are migrated: their case notes would be lost)."""
    notes = ctx.view.notes_table(node_type)
    if notes is not None:
        return "info", f"migrated into {notes}, with replies"
    if ctx.view.maps_entity_type("comment"):
        return "info", "migrated by the mapping's comment entity"
    if ctx.view.entity("node", node_type) is None:
        return "info", f"node type {node_type} is not migrated by the mapping"
    return "blocker", (
        "the model has no notes table for this entity: these case notes would be lost; add "
        "one (notes: in the model) before migrating"
    )


def several_parents(ctx: SiteContext) -> Iterator[Finding]:
    """Find terms with more than one parent, per vocabulary."""
    s = ctx.source
    if ctx.layout == "d8" and s.has("taxonomy_term__parent"):
        sql = (
            f"SELECT bundle AS v, entity_id AS tid, COUNT(*) AS n "
            f"FROM {s.q('taxonomy_term__parent')} GROUP BY bundle, entity_id HAVING n > 1"
        )
    elif s.has("taxonomy_term_hierarchy") and s.has("taxonomy_vocabulary"):
        sql = (
            f"SELECT v.machine_name AS v, h.tid AS tid, COUNT(*) AS n "
            f"FROM {s.q('taxonomy_term_hierarchy')} h "
            f"JOIN {s.q('taxonomy_term_data')} t ON t.tid = h.tid "
            f"JOIN {s.q('taxonomy_vocabulary')} v ON v.vid = t.vid "
            "GROUP BY v.machine_name, h.tid HAVING n > 1"
        )
    else:
        return
    found: dict[str, list[int]] = {}
    for row in s.rows(f"SELECT v, tid FROM ({sql}) x ORDER BY v, tid"):
        found.setdefault(str(row["v"]), []).append(int(row["tid"]))
    for vocabulary, tids in found.items():
        yield Finding(
            ctx.name,
            "several_parents",
            "warning",
            f"vocabulary {vocabulary}",
            f"{len(tids)} term(s) with more than one parent",
            len(tids),
            capped(tids),
            "the target keeps one parent per term (parent_id): the other parent links are lost",
        )


def entity_fields(ctx: SiteContext) -> Iterator[Finding]:
    """Report the fields users and terms carry, with how many hold data and their fate."""
    for table in ctx.field_tables(("user", "taxonomy_term")):
        count, ids = table.matching("1 = 1")
        fate = ctx.fate(table)
        lost = count > 0 and not fate.migrated and fate.kind != "ignored"
        yield Finding(
            ctx.name,
            f"{table.storage.entity_type}_field",
            "warning" if lost else "info",
            subject(table),
            f"{table.storage.type} field; {count} {table.storage.entity_type}(s) hold a value",
            count,
            capped(ids),
            fate.text + (": its values will not be migrated" if lost else ""),
        )
