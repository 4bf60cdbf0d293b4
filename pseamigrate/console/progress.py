"""Progress of long runs (`migrate`, `verify`) on stderr: live bars on a terminal, heartbeat
lines without one (issue #24 item 3).

A run under nohup, cron, systemd or a recipe has no terminal; it still says every
`every` seconds where it is (site, step, rows done of total, rows/s), so nobody waits hours for
a silent process. On a terminal there is one live bar per site (its current step, rows/s, time
left), cleared when the run ends: the closing table says the rest.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from pseamigrate.console import err

MODES = ("auto", "bar", "plain", "off")
DEFAULT_EVERY = 15.0  # seconds between heartbeat lines

StepUpdate = Callable[[str, str, int, int | None], None]


class RowsPerSecond(ProgressColumn):
    """Rows per second of the step under way (rich's own speed estimate)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} rows/s")


def resolve_mode(mode: str) -> str:
    """Return the mode to use: `auto` is a bar on a terminal, heartbeat lines otherwise."""
    if mode == "auto":
        return "bar" if err.is_terminal else "plain"
    return mode


@contextmanager
def site_progress(mode: str = "auto", every: float = DEFAULT_EVERY) -> Iterator[StepUpdate]:
    """Yield the callback the library feeds (site, step, rows done, rows in the step)."""
    chosen = resolve_mode(mode)
    if chosen == "bar":
        with _bars() as update:
            yield update
    elif chosen == "plain":
        yield Heartbeat(every, time.monotonic).update
    else:
        yield lambda _site, _step, _done, _total: None


@contextmanager
def _bars() -> Iterator[StepUpdate]:
    bars = Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        RowsPerSecond(),
        TimeRemainingColumn(),
        console=err,
        transient=True,  # the closing table replaces them
    )
    tasks: dict[str, Any] = {}
    steps: dict[str, str] = {}

    def update(site: str, step: str, done: int, total: int | None) -> None:
        if site not in tasks:
            tasks[site] = bars.add_task(f"{site}: {step}", total=total)
        elif steps.get(site) != step:  # a new step: its own count and speed
            bars.reset(tasks[site], total=total, description=f"{site}: {step}")
        steps[site] = step
        bars.update(tasks[site], completed=done, total=total)

    with bars:
        yield update


@dataclass
class Heartbeat:
    """Say at most every `every` seconds, on one line, where each site is (no terminal)."""

    every: float
    clock: Callable[[], float]
    say: Callable[[str], None] = field(default=lambda line: err.print(Text(line), soft_wrap=True))
    last: float | None = None
    started: dict[tuple[str, str], tuple[float, int]] = field(default_factory=dict)
    latest: dict[str, str] = field(default_factory=dict)

    def update(self, site: str, step: str, done: int, total: int | None) -> None:
        now = self.clock()
        first_seen = self.started.setdefault((site, step), (now, done))
        self.latest[site] = self._line(site, step, done, total, now, first_seen)
        if self.last is None or now - self.last >= self.every:
            self.last = now
            for line in self.latest.values():
                self.say(line)

    @staticmethod
    def _line(
        site: str, step: str, done: int, total: int | None, now: float, first: tuple[float, int]
    ) -> str:
        seconds, rows = now - first[0], done - first[1]
        rate = f", {rows / seconds:,.0f} rows/s" if seconds > 0 else ""
        of_total = f"/{total}" if total is not None else ""
        return f"progress: {site} {step} {done}{of_total} rows{rate}"
