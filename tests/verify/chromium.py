"""Headless Chromium (Debian's `chromium`, installed by scripts/setup) for the HTML report test."""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # nothing resolves: no request can leave
    "--enable-logging=stderr",
    "--v=1",  # logs every URL request the network stack sees
]
REQUEST = re.compile(r"NotifyBeforeURLRequest: (\S+)")


def chromium() -> str:
    """Return the chromium binary (scripts/setup installs it)."""
    found = shutil.which("chromium")
    assert found, "chromium is missing: run scripts/setup"
    return found


def run(page: Path, workdir: Path, *action: str) -> tuple[str, set[str]]:
    """Open a local page headless; return stdout and the URLs the network stack requested."""
    workdir.mkdir(parents=True, exist_ok=True)
    action = action or ("--dump-dom",)  # without an action headless Chromium keeps running
    done = subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={workdir / 'profile'}", *action, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, set(REQUEST.findall(done.stderr))


def hosts(urls: set[str]) -> set[str]:
    """Return the hosts of http(s) URLs."""
    return {m.group(1) for u in urls if (m := re.match(r"https?://([^/?#]+)", u))}


@lru_cache(maxsize=1)
def background_hosts(workdir: Path) -> frozenset[str]:
    """Return the hosts Chromium itself contacts when it opens an empty local page."""
    workdir.mkdir(parents=True, exist_ok=True)
    blank = workdir / "blank.html"
    blank.write_text("<!DOCTYPE html><title>blank</title>", "utf-8")
    _, urls = run(blank, workdir / "blank")
    return frozenset(hosts(urls))
