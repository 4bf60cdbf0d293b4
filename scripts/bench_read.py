"""Benchmark the streaming Drupal reader: memory must stay flat and throughput must hold.

For each layout, builds the sample site `demo` at `--scale` and at 10x that on a throwaway
MariaDB (or `--url`), then reads every node (current and all revisions), term, user and file
through `pseamigrate.drupal` in a *fresh* subprocess per size, which reports its own peak RSS
(VmHWM). Prints rows/s and peak RSS, each as a ratio against the smaller run.
Target: peak RSS at 10x within 1.5x of the smaller run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from pseamigrate.db import make_engine
from pseamigrate.drupal import open_site


def read_everything(url: str, batch_size: int) -> dict[str, Any]:
    """Stream the whole site; count rows, keep nothing. Runs in the child process."""
    engine = make_engine(make_url(url))
    started = time.perf_counter()
    records = values = 0
    try:
        with open_site(engine) as site:
            batches = []
            for bundle in site.model.bundles:
                batches += [site.iter_entities(bundle, batch_size=batch_size)]
                batches += [site.iter_revisions(bundle, batch_size=batch_size)]
            batches += [site.iter_terms(v, batch_size=batch_size) for v in site.model.vocabularies]
            batches += [
                site.iter_users(batch_size=batch_size),
                site.iter_files(batch_size=batch_size),
            ]
            for stream in batches:
                for batch in stream:
                    records += len(batch)
                    values += sum(len(v) for r in batch for v in r.fields.values())
    finally:
        engine.dispose()
    seconds = time.perf_counter() - started
    return {"records": records, "values": values, "seconds": seconds, "peak_kb": _vmhwm_kb()}


def _vmhwm_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def measure(url: URL, batch_size: int) -> dict[str, Any]:
    """Read the site in a fresh interpreter so peak RSS belongs to this size alone."""
    child = [sys.executable, __file__, "--child", url.render_as_string(hide_password=False),
             "--batch-size", str(batch_size)]  # fmt: skip
    done = subprocess.run(child, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def build(url: URL, layout: str, scale: float) -> tuple[float, int]:
    """Build the sample site into a fresh database; return build seconds and field values."""
    from pseamigrate.sample import build_site

    admin = create_engine(url.set(database="information_schema"))  # set(None) keeps the db
    try:
        with admin.begin() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{url.database}`"))
            conn.execute(text(f"CREATE DATABASE `{url.database}` CHARACTER SET utf8mb4"))
    finally:
        admin.dispose()
    started = time.perf_counter()
    report = build_site(url, "demo", layout, scale=scale)
    return time.perf_counter() - started, report.field_values


def run(server_url: URL, layouts: list[str], scale: float, batch_size: int) -> None:
    """Build, read and report each layout at `scale` and 10x `scale`."""
    print(f"{'layout':6} {'scale':>6} {'records':>9} {'values':>9} {'rows/s':>9} "
          f"{'peak RSS':>9} {'rows/s x':>9} {'RSS x':>6}")  # fmt: skip
    for layout in layouts:
        base: dict[str, Any] | None = None
        for size in (scale, scale * 10):
            url = server_url.set(database=f"bench_{layout}_{str(size).replace('.', '_')}")
            build(url, layout, size)
            result = measure(url, batch_size)
            rate = (result["records"] + result["values"]) / result["seconds"]
            result["rate"] = rate
            base = base or result
            ratio_rate, ratio_rss = rate / base["rate"], result["peak_kb"] / base["peak_kb"]
            print(f"{layout:6} {size:>6g} {result['records']:>9} {result['values']:>9} "
                  f"{rate:>9.0f} {result['peak_kb'] / 1024:>7.1f}MB "
                  f"{ratio_rate:>9.2f} {ratio_rss:>6.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=2.0, help="smaller size (default 2)")
    parser.add_argument("--layout", action="append", choices=["d7", "d8"])
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--url", help="a server URL to use instead of a throwaway MariaDB")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(read_everything(args.child, args.batch_size)))
        return
    layouts = args.layout or ["d7", "d8"]
    if args.url:
        run(make_url(args.url), layouts, args.scale, args.batch_size)
        return
    from pseamigrate.servers import running_server

    with (
        tempfile.TemporaryDirectory(prefix="bench-read-") as tmp,
        running_server("mariadb", Path(tmp)) as server,
    ):
        run(server.url(), layouts, args.scale, args.batch_size)


if __name__ == "__main__":
    main()
