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


def scroll_width(page: Path, workdir: Path, width: int) -> int:
    """Return the page's scrollWidth in a window `width` px wide.

    The report allows no script (its CSP), so a copy without the CSP and with one line that
    writes the width into the DOM is measured; the layout is the report's own."""
    html = page.read_text("utf-8")
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
    probe = (
        "<script>document.body.dataset.scrollWidth=document.documentElement.scrollWidth</script>"
    )
    measured = workdir / f"measured-{page.name}"
    workdir.mkdir(parents=True, exist_ok=True)
    measured.write_text(html.replace("</body>", probe + "</body>"), "utf-8")
    dom, _ = run(measured, workdir / "width", "--dump-dom", f"--window-size={width},900")
    found = re.search(r'data-scroll-width="(\d+)"', dom)
    assert found, "the probe did not run"
    return int(found.group(1))


def pdf_pages(page: Path, workdir: Path) -> int:
    """Print the page to PDF as a person would (A4 from its CSS) and return the page count."""
    pdf = workdir / f"{page.stem}.pdf"
    run(page, workdir / "pdf", f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    counts = re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", pdf.read_bytes())
    counts += re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", pdf.read_bytes())
    assert counts, "no page tree found in the PDF"
    return max(int(count) for count in counts)
