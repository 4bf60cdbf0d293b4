"""Heartbeat lines of long runs without a terminal (#24 item 3): a pure clock-driven unit."""

from __future__ import annotations

from pseamigrate.console.progress import Heartbeat, resolve_mode


def test_a_heartbeat_says_each_site_at_most_every_n_seconds_with_its_rate() -> None:
    now = [100.0]
    said: list[str] = []
    beat = Heartbeat(10.0, lambda: now[0], said.append)
    beat.update("iraq", "complaint", 0, 400)  # the first update speaks at once
    assert said == ["progress: iraq complaint 0/400 rows"]
    now[0] = 104.0
    beat.update("iraq", "complaint", 200, 400)
    beat.update("drc", "files", 5, None)
    assert len(said) == 1  # within 10 s: silent
    now[0] = 110.0
    beat.update("iraq", "complaint", 300, 400)
    assert said[1:] == [
        "progress: iraq complaint 300/400 rows, 30 rows/s",
        "progress: drc files 5 rows",  # no total known; no time passed since it began
    ]


def test_auto_is_plain_without_a_terminal() -> None:
    assert resolve_mode("auto") == "plain"  # pytest captures stderr: no terminal
    assert resolve_mode("bar") == "bar"
