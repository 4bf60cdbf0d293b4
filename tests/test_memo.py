"""IdentityCache: one build per object, by identity, bounded."""

from __future__ import annotations

from pseamigrate.memo import IdentityCache


def test_each_object_is_built_once_and_equal_objects_apart() -> None:
    built: list[dict[str, int]] = []

    def build(mapping: dict[str, int]) -> int:
        built.append(mapping)
        return sum(mapping.values())

    cache: IdentityCache[dict[str, int], int] = IdentityCache(build)
    first, twin = {"a": 1}, {"a": 1}
    assert [cache(first), cache(first), cache(twin)] == [1, 1, 1]
    assert len(built) == 2 and built[0] is first and built[1] is twin  # by identity, not ==


def test_a_full_cache_is_emptied_and_never_answers_for_a_dropped_object() -> None:
    cache: IdentityCache[list[int], int] = IdentityCache(len, limit=2)
    kept = [[1], [1, 2], [1, 2, 3]]
    assert [cache(item) for item in kept] == [1, 2, 3]
    assert len(cache._entries) == 1  # emptied at the limit, then the third added
    for _ in range(100):  # a new object may take a dropped one's id: it gets its own value
        assert cache([0] * 5) == 5
