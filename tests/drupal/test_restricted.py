"""A delta run's readers take `only=` ids: `restricted` adds them next to the keyset filter."""

from __future__ import annotations

import pytest

from pseamigrate.drupal.source import restricted

D7_USERS = (
    "SELECT uid FROM `users` WHERE uid > 0 AND uid > :after AND :b = 'user' "
    "ORDER BY uid LIMIT :size"
)
D7_REVISIONS = (
    "SELECT r.* FROM `node_revision` r STRAIGHT_JOIN `node` n ON n.nid = r.nid "
    "WHERE n.type = :b AND r.vid > :after ORDER BY r.vid LIMIT :size"
)


def test_the_ids_go_next_to_the_keyset_filter_on_the_same_column() -> None:
    assert "uid > 0 AND uid > :after AND uid IN (3,7)" in restricted(D7_USERS, "uid", [3, 7])
    found = restricted(D7_REVISIONS, "vid", [12, "15"])  # type: ignore[list-item]
    assert "r.vid > :after AND r.vid IN (12,15) ORDER BY r.vid" in found


def test_a_query_without_exactly_one_keyset_filter_is_refused() -> None:
    with pytest.raises(ValueError, match="nid > :after exactly once"):
        restricted(D7_USERS, "nid", [1])
    with pytest.raises(ValueError):
        restricted("SELECT 1 WHERE a.id > :after OR b.id > :after", "id", [1])
    with pytest.raises(ValueError):
        restricted(D7_USERS, "uid", ["1; DROP TABLE users"])  # type: ignore[list-item]
