"""The Drupal 8+ layout: its SQL for nodes, revisions, terms, users, files and counts."""

from __future__ import annotations

from collections.abc import Sequence

from pseamigrate.drupal import d8_model
from pseamigrate.drupal.assemble import FieldQuery
from pseamigrate.drupal.base import BaseSite
from pseamigrate.drupal.source import Row

# Entity type → (its translatable data table, id column), for translations.
DATA_TABLES = {
    "node": ("node_field_data", "nid"),
    "taxonomy_term": ("taxonomy_term_field_data", "tid"),
    "user": ("users_field_data", "uid"),
    "comment": ("comment_field_data", "cid"),
}


class D8Site(BaseSite):
    """A Drupal 8, 9, 10 or 11 database (SQL content entity storage)."""

    fields_how = FieldQuery(lang_column="langcode", entity_type_column=False)
    users_count = ("users_field_data", "uid > 0 AND default_langcode = 1")
    introspect = staticmethod(d8_model.introspect)  # reads the content model

    def _node_counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Count nodes by type, and published ones (default translations only)."""
        s = self.source
        nodes = s.rows(f"SELECT type, COUNT(*) AS n FROM {s.q('node')} GROUP BY type")
        published = s.rows(
            f"SELECT type, SUM(status = 1) AS p FROM {s.q('node_field_data')} "
            "WHERE default_langcode = 1 GROUP BY type"
        )
        return {r["type"]: int(r["n"]) for r in nodes}, {
            r["type"]: int(r["p"] or 0) for r in published
        }

    def _term_counts(self) -> dict[str, int]:
        s = self.source
        terms = s.rows(
            f"SELECT vid, COUNT(*) AS n FROM {s.q('taxonomy_term_field_data')} "
            "WHERE default_langcode = 1 GROUP BY vid"
        )
        counted = {r["vid"]: int(r["n"]) for r in terms}
        return {**dict.fromkeys(self.model.vocabularies, 0), **counted}

    def _comment_count_sql(self) -> str | None:
        s = self.source
        if not s.has("comment_field_data"):
            return None
        return (
            f"SELECT n.type, COUNT(*) AS n FROM {s.q('comment_field_data')} c "
            f"JOIN {s.q('node')} n ON n.nid = c.entity_id "
            "WHERE c.entity_type = 'node' AND c.default_langcode = 1 GROUP BY n.type"
        )

    def _comment_sql(self) -> tuple[str, str] | None:
        """Select comments on nodes (default translation); `nid` and `pid` (0: top level)
        are named as in Drupal 7, so both layouts give the same base keys."""
        s = self.source
        if not s.has("comment_field_data"):
            return None
        sql = (
            "SELECT d.cid, COALESCE(d.pid, 0) AS pid, d.entity_id AS nid, d.uid, d.subject, "
            "d.hostname, d.created, d.changed, d.status, d.thread, d.name, d.mail, d.homepage, "
            "d.langcode, d.entity_type, d.field_name, c.uuid, d.comment_type AS bundle "
            f"FROM {s.q('comment_field_data')} d JOIN {s.q('comment')} c ON c.cid = d.cid "
            f"JOIN {s.q('node')} n ON n.nid = d.entity_id "
            "WHERE d.entity_type = 'node' AND n.type = :b AND d.default_langcode = 1 "
            "AND d.cid > :after ORDER BY d.cid LIMIT :size"
        )
        return sql, s.name("comment_field_data")

    def _entity_sql(self) -> tuple[str, str]:
        s = self.source
        sql = (
            f"SELECT d.*, n.uuid, d.type AS bundle FROM {s.q('node_field_data')} d "
            f"JOIN {s.q('node')} n ON n.nid = d.nid "
            "WHERE d.type = :b AND d.default_langcode = 1 AND d.nid > :after "
            "ORDER BY d.nid LIMIT :size"
        )
        return sql, s.name("node_field_data")

    def _revision_sql(self, one_node: bool) -> tuple[str, str]:
        # STRAIGHT_JOIN: revisions in vid order, stopping at the batch's size (see d7.py).
        s = self.source
        only = "AND r.nid = :nid " if one_node else ""
        sql = (
            "SELECT f.*, r.revision_uid AS revision_author, "
            "r.revision_timestamp AS revision_timestamp, r.revision_log, n.type AS bundle "
            f"FROM {s.q('node_revision')} r STRAIGHT_JOIN {s.q('node')} n ON n.nid = r.nid "
            f"STRAIGHT_JOIN {s.q('node_field_revision')} f "
            "ON f.vid = r.vid AND f.default_langcode = 1 "
            f"WHERE n.type = :b {only}AND r.vid > :after ORDER BY r.vid LIMIT :size"
        )
        return sql, s.name("node_field_revision")

    def _term_sql(self) -> tuple[str, str]:
        sql = (
            f"SELECT t.*, t.vid AS bundle FROM {self.source.q('taxonomy_term_field_data')} t "
            "WHERE t.vid = :b AND t.default_langcode = 1 AND t.tid > :after "
            "ORDER BY t.tid LIMIT :size"
        )
        return sql, self.source.name("taxonomy_term_field_data")

    def _user_sql(self) -> tuple[str, str]:
        sql = (
            "SELECT uid, langcode, name, pass, mail, status, created, changed, access, login, "
            f"timezone, init, 'user' AS bundle FROM {self.source.q('users_field_data')} "
            "WHERE uid > 0 AND default_langcode = 1 AND uid > :after AND :b = 'user' "
            "ORDER BY uid LIMIT :size"
        )
        return sql, self.source.name("users_field_data")

    def _parents_table(self) -> tuple[str, str, str]:
        if self.source.has("taxonomy_term__parent"):
            return "taxonomy_term__parent", "parent_target_id", "entity_id"
        return super()._parents_table()  # before Drupal 8.6 parents lived there too

    def _roles(self, rows: list[Row], ids: Sequence[int]) -> None:
        """Attach role ids (Drupal 8+ roles are machine names)."""
        self._related(rows, ids, "uid", "roles", "user__roles", "roles_target_id", "entity_id")

    def translations(self, entity_type: str, ids: Sequence[int]) -> dict[int, dict[str, Row]]:
        """Return the non-default translations' base rows by id, then language."""
        if entity_type not in DATA_TABLES:
            return {}
        table, key = DATA_TABLES[entity_type]
        sql = (
            f"SELECT * FROM {self.source.q(table)} WHERE default_langcode = 0 AND {key} IN :ids "
            f"ORDER BY {key}, langcode"
        )
        out: dict[int, dict[str, Row]] = {}
        for row in self.source.rows_in(sql, ids, table=self.source.name(table)):
            out.setdefault(int(row[key]), {})[str(row["langcode"])] = row
        return out
