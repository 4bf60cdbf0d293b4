"""What changed in a site since a moment: its id sets and the ids edited since (both layouts).

A delta run (migrate/marks.py) asks this module, instead of reading every row: which ids each
entity holds now (new rows and rows gone show against the ledger), and which rows Drupal
stamped as changed since the last run's mark (`changed`; files' `timestamp` in Drupal 7).
Ids and unix times only, never content; each query reads one or two indexed columns.
"""

from __future__ import annotations

from collections.abc import Iterable

from pseamigrate.drupal.source import Source, with_ids

# Drupal 7 keeps no `changed` on users and terms: their steps read every row each run.
CHUNK = 1000


class Changes:
    """The id sets and change stamps of one opened site (its `Source` and layout)."""

    def __init__(self, source: Source, drupal_version: int) -> None:
        self.source = source
        self.d8 = drupal_version >= 8

    # --- what the site holds now ----------------------------------------------------------

    def node_ids(self, bundle: str) -> set[int]:
        """Return the nids of one node type."""
        s = self.source
        sql = f"SELECT nid FROM {s.q('node')} WHERE type = :b"
        return {int(r["nid"]) for r in s.rows(sql, {"b": bundle})}

    def revision_ids(self, bundle: str) -> dict[int, int]:
        """Return vid → nid of every revision of one node type's nodes."""
        s = self.source
        sql = (
            f"SELECT r.vid, r.nid FROM {s.q('node_revision')} r "
            f"JOIN {s.q('node')} n ON n.nid = r.nid WHERE n.type = :b"
        )
        return {int(r["vid"]): int(r["nid"]) for r in s.rows(sql, {"b": bundle})}

    def comment_ids(self, bundle: str) -> dict[int, int]:
        """Return cid → nid of the comments on one node type (the rows `iter_comments` reads)."""
        s = self.source
        if self.d8:
            if not s.has("comment_field_data"):
                return {}
            sql = (
                f"SELECT c.cid, c.entity_id AS nid FROM {s.q('comment_field_data')} c "
                f"JOIN {s.q('node')} n ON n.nid = c.entity_id WHERE c.entity_type = 'node' "
                "AND c.default_langcode = 1 AND n.type = :b"
            )
        else:
            if not s.has("comment"):
                return {}
            sql = (
                f"SELECT c.cid, c.nid FROM {s.q('comment')} c "
                f"JOIN {s.q('node')} n ON n.nid = c.nid WHERE n.type = :b"
            )
        return {int(r["cid"]): int(r["nid"]) for r in s.rows(sql, {"b": bundle})}

    def file_ids(self) -> set[int]:
        """Return the fids of the managed files."""
        s = self.source
        return {int(r["fid"]) for r in s.rows(f"SELECT fid FROM {s.q('file_managed')}")}

    def user_ids(self) -> set[int]:
        """Return the uids of the accounts (not anonymous)."""
        s = self.source
        if self.d8:
            sql = (
                f"SELECT uid FROM {s.q('users_field_data')} WHERE uid > 0 AND default_langcode = 1"
            )
        else:
            sql = f"SELECT uid FROM {s.q('users')} WHERE uid > 0"
        return {int(r["uid"]) for r in s.rows(sql)}

    def term_ids(self, vocabulary: str) -> set[int]:
        """Return the tids of one vocabulary."""
        s = self.source
        if self.d8:
            sql = (
                f"SELECT tid FROM {s.q('taxonomy_term_field_data')} "
                "WHERE vid = :b AND default_langcode = 1"
            )
        else:
            sql = (
                f"SELECT t.tid FROM {s.q('taxonomy_term_data')} t "
                f"JOIN {s.q('taxonomy_vocabulary')} v ON v.vid = t.vid WHERE v.machine_name = :b"
            )
        return {int(r["tid"]) for r in s.rows(sql, {"b": vocabulary})}

    # --- what Drupal stamped as changed ---------------------------------------------------

    def changed_nodes(self, bundle: str, since: int) -> set[int]:
        """Return the nids of one type changed at or after `since` (any translation)."""
        s = self.source
        table = "node_field_data" if self.d8 else "node"
        sql = f"SELECT DISTINCT nid FROM {s.q(table)} WHERE type = :b AND changed >= :t"
        return {int(r["nid"]) for r in s.rows(sql, {"b": bundle, "t": since})}

    def changed_comments(self, since: int) -> set[int]:
        """Return the cids changed at or after `since` (any node type)."""
        s = self.source
        table = "comment_field_data" if self.d8 else "comment"
        if not s.has(table):
            return set()
        sql = f"SELECT DISTINCT cid FROM {s.q(table)} WHERE changed >= :t"
        return {int(r["cid"]) for r in s.rows(sql, {"t": since})}

    def changed_files(self, since: int) -> set[int]:
        """Return the fids changed (Drupal 7: stamped) at or after `since`."""
        s = self.source
        column = "changed" if self.d8 else "timestamp"
        sql = f"SELECT fid FROM {s.q('file_managed')} WHERE {column} >= :t"
        return {int(r["fid"]) for r in s.rows(sql, {"t": since})}

    def changed_users(self, since: int) -> set[int] | None:
        """Return the uids changed at or after `since`; None where the layout keeps no such
        stamp (Drupal 7), so every account is read."""
        if not self.d8:
            return None
        s = self.source
        sql = f"SELECT DISTINCT uid FROM {s.q('users_field_data')} WHERE uid > 0 AND changed >= :t"
        return {int(r["uid"]) for r in s.rows(sql, {"t": since})}

    def files_used_by(self, nids: Iterable[int]) -> set[int]:
        """Return the fids that nodes use (file_usage: their usage is part of the file row)."""
        s = self.source
        wanted = sorted(set(nids))
        found: set[int] = set()
        for start in range(0, len(wanted), CHUNK):
            sql = f"SELECT DISTINCT fid FROM {s.q('file_usage')} WHERE type = 'node' AND id IN :ids"
            chunk = wanted[start : start + CHUNK]
            found |= {int(r["fid"]) for r in s.rows(with_ids(sql, chunk))}
        return found

    def clock(self) -> int:
        """Return the moment a run's read starts, as the site stamps it: the newest `changed`
        of its nodes and comments, or the server's clock if that is earlier (a bad stamp in
        the future must not hide the edits made before it is reached)."""
        s = self.source
        now = int(s.scalar("SELECT UNIX_TIMESTAMP()") or 0)
        tables = ["node_field_data", "comment_field_data"] if self.d8 else ["node", "comment"]
        newest = [
            s.scalar(f"SELECT MAX(changed) FROM {s.q(table)}") for table in tables if s.has(table)
        ]
        stamps = [int(value) for value in newest if value is not None]
        return min([now, max(stamps)]) if stamps else now
