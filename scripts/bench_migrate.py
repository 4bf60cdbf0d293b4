"""Benchmark `pseamigrate migrate` against `mariadb-dump | mariadb` of the same sources.

For each size (`--scale` and 10x that) it builds the four sample sites (Drupal 7 layout by
default) on a throwaway MariaDB, copies them with dump|restore (the baseline, timed in the same
run), then migrates them into an empty target in a *fresh* process that reports its own peak RSS
(the sum of VmRSS over it and its worker processes, sampled every 50 ms, as `--jobs N` runs the
sites in N processes). Prints field values, rows/s, seconds, the ratio to the baseline and the
peak RSS ratio against the smaller size. Goals (issue #9): migration <= 2x dump|restore; peak
RSS at 10x <= 1.2x.
At the larger size it then times `pseamigrate verify` of the migrated target in a fresh process
(issue #10 goal: verify <= 1x the migration's time), then the cut-over figures of issue #27: a
re-run with nothing changed and a delta run after 1 % of the nodes changed (edited and stamped
`changed`), each as a ratio to the first run (goals <= 0.05x and <= 0.15x), plain `status` of
the four sites (goal <= 1 s per site), and the freeze window: that delta run plus verify (goal
<= 0.3x the first run).
Each side runs `--repeat` times (default 2), the two sides taking turns, and keeps its best
time, so one slow moment of a shared machine moves neither side; the migration starts from an
empty target each time. The target is not encrypted here (the demo shows the encrypted path).
The first line names the driver that reads the sites (mysqlclient with the `fast` extra, else
PyMySQL): docs/migrate.md gives each figure with its driver.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

SITES = ("demo", "iraq", "drc", "syria")


def _status_kb(pid: int | str, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree_rss_kb() -> int:
    """Return the resident memory of this process plus its children (the workers), in KB."""
    me = os.getpid()
    total = _status_kb(me, "VmRSS:")
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _status_kb(entry.name, "PPid:") == me:
            total += _status_kb(entry.name, "VmRSS:")
    return total


class PeakSampler(threading.Thread):
    """Samples the process tree's resident memory every 50 ms; keeps the highest."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_kb = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.05):
            self.peak_kb = max(self.peak_kb, _tree_rss_kb())


def child(project: str, batch_size: int, jobs: int) -> None:
    """Run the migration (in the child process) and print its numbers as JSON."""
    from pseamigrate.config import load_settings
    from pseamigrate.migrate.run import migrate
    from pseamigrate.migrate.steps import Options

    sampler = PeakSampler()
    sampler.start()
    started = time.perf_counter()
    # Plain copies of the files, as dump|restore's side has none to seal: the same work compared.
    options = Options(
        allow_plaintext=True, batch_size=batch_size, jobs=jobs, allow_plaintext_files=True
    )
    report = migrate(load_settings(Path(project)), [], options)
    seconds = time.perf_counter() - started
    sampler.stop.set()
    sampler.join()
    peak = max(sampler.peak_kb, _status_kb("self", "VmHWM:"))
    rows = sum(s.counts.read for site in report.sites for s in site.steps)
    failed = report.failed_rows()
    print(json.dumps({"seconds": seconds, "rows": rows, "failed": failed, "peak_kb": peak}))


def verify_child(project: str, batch_size: int, jobs: int) -> None:
    """Run verify (in the child process) and print its numbers as JSON."""
    from pseamigrate.config import load_settings
    from pseamigrate.verify.reconcile import VerifyOptions, verify

    started = time.perf_counter()
    options = VerifyOptions(allow_plaintext=True, batch_size=batch_size, jobs=jobs)
    result = verify(load_settings(Path(project)), [], options)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "mismatched": result.mismatched()}))


def status_child(project: str) -> None:
    """Run plain `status` of every site (in the child process) and print its seconds."""
    from pseamigrate.config import load_settings
    from pseamigrate.migrate.status import status

    started = time.perf_counter()
    found = status(load_settings(Path(project)), [])
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "sites": len(found)}))


def change_share(server: URL, tag: str, share: float) -> None:
    """Edit `share` of each site's nodes as Drupal does: the current revision's title, and the
    node stamped `changed` now (both layouts)."""
    every = max(1, round(1 / share))
    for site in SITES:
        engine = create_engine(server.set(database=f"b{tag}_{site}"))
        try:
            with engine.begin() as conn:
                tables = {str(name) for (name,) in conn.execute(text("SHOW TABLES"))}
                data = "node_field_data" if "node_field_data" in tables else "node"
                revisions = "node_field_revision" if data == "node_field_data" else "node_revision"
                conn.execute(
                    text(
                        f"UPDATE {revisions} r JOIN {data} n ON n.vid = r.vid "
                        f"SET r.title = CONCAT(r.title, '.') WHERE MOD(n.nid, {every}) = 0"
                    )
                )
                conn.execute(
                    text(
                        f"UPDATE {data} SET title = CONCAT(title, '.'), "
                        f"changed = UNIX_TIMESTAMP() WHERE MOD(nid, {every}) = 0"
                    )
                )
        finally:
            engine.dispose()


def admin(url: URL, sql: str) -> None:
    engine = create_engine(url.set(database="information_schema"))
    try:
        with engine.begin() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def build(server: URL, tag: str, scale: float, layout: str, folder: Path) -> tuple[int, Path]:
    """Build the four sites and a target with the schema; write the project file."""
    from pseamigrate.resources import MAPPINGS_DIR
    from pseamigrate.sample import build_site

    values = 0
    option = folder / "client.cnf"
    option.write_text(f"[client]\nuser=root\nhost=127.0.0.1\nport={server.port}\n")
    option.chmod(0o600)
    lines = ["sites:"]
    for site in SITES:
        database = f"b{tag}_{site}"
        admin(server, f"DROP DATABASE IF EXISTS `{database}`")
        admin(server, f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4")
        files = folder / "files" / site
        values += build_site(server.set(database=database), site, layout, scale=scale,
                             files_dir=files).field_values  # fmt: skip
        lines += [f"  {site}:", f"    tenant: {site}",
                  f"    connection: {{option_file: {option}, database: {database}}}",
                  f"    mapping: {MAPPINGS_DIR / 'sites' / f'{site}.yaml'}",
                  f"    files_dir: {files}"]  # fmt: skip
    target = fresh_target(server, tag, folder)
    lines += ["target:", f"  connection: {{option_file: {option}, database: {target}}}",
              f"  files_dir: {folder / 'store'}"]  # fmt: skip
    project = folder / "pseamigrate.yaml"
    project.write_text("\n".join(lines) + "\n")
    return values, project


def fresh_target(server: URL, tag: str, folder: Path) -> str:
    """Create (or empty) the target database with the schema, and empty its file store."""
    from pseamigrate.db import make_engine
    from pseamigrate.target.commands import create_schema

    target = f"b{tag}_target"
    admin(server, f"DROP DATABASE IF EXISTS `{target}`")
    admin(server, f"CREATE DATABASE `{target}` CHARACTER SET utf8mb4")
    engine = make_engine(server.set(database=target))
    with engine.connect() as schema_conn:
        create_schema(schema_conn)
    engine.dispose()
    shutil.rmtree(folder / "store", ignore_errors=True)
    return target


def dump_restore(server: URL, tag: str) -> float:
    """Copy each source database with mariadb-dump | mariadb; return the seconds it took."""
    started = time.perf_counter()
    for site in SITES:
        source, copy = f"b{tag}_{site}", f"b{tag}_{site}_copy"
        admin(server, f"DROP DATABASE IF EXISTS `{copy}`")
        admin(server, f"CREATE DATABASE `{copy}` CHARACTER SET utf8mb4")
        connect = ["-h127.0.0.1", f"-P{server.port}", "-uroot"]
        dump = subprocess.Popen(
            ["mariadb-dump", *connect, "--single-transaction", source], stdout=subprocess.PIPE
        )
        subprocess.run(["mariadb", *connect, copy], stdin=dump.stdout, check=True)
        dump.wait()
    return time.perf_counter() - started


def measure(project: Path, batch_size: int, jobs: int, mode: str = "--child") -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, mode, str(project), "--batch-size", str(batch_size),
         "--jobs", str(jobs)],
        capture_output=True, text=True, check=False, env=os.environ.copy(),
    )  # fmt: skip
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-3000:])
        raise SystemExit(f"{mode} failed with exit {done.returncode}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(  # noqa: PLR0913 - the benchmark's knobs
    server: URL, scale: float, layout: str, batch_size: int, jobs: int, repeat: int, folder: Path
) -> None:
    from pseamigrate.db import read_driver

    reader = read_driver()  # the migrating child runs this same interpreter, so the same driver
    print(f"migrate --jobs {jobs} (sites at once), best of {repeat} runs of each side; "
          "peak RSS: the highest sum over the run's processes; "
          f"sites read through {reader.name} {reader.version}")  # fmt: skip
    header = (f"{'scale':>6} {'values':>9} {'rows':>7} {'dump|restore':>12} {'migrate':>8} "
              f"{'rows/s':>8} {'x dump':>7} {'peak RSS':>9} {'RSS x':>6}")  # fmt: skip
    print(header)
    base_rss = 0
    for index, size in enumerate((scale, scale * 10)):
        tag = f"{index}"
        where = folder / tag
        where.mkdir(parents=True, exist_ok=True)
        values, project = build(server, tag, size, layout, where)
        # Best of `repeat` runs on each side, the sides taking turns: one slow stretch of a
        # shared machine then meets both sides, not just the one that ran during it.
        baselines, runs = [], []
        for attempt in range(repeat):
            baselines.append(dump_restore(server, tag))
            if attempt:
                fresh_target(server, tag, where)
            runs.append(measure(project, batch_size, jobs))
        baseline = min(baselines)
        result = min(runs, key=lambda r: float(r["seconds"]))
        result["peak_kb"] = max(int(r["peak_kb"]) for r in runs)
        base_rss = base_rss or result["peak_kb"]
        rate = result["rows"] / result["seconds"]
        print(f"{size:>6g} {values:>9} {result['rows']:>7} {baseline:>11.1f}s "
              f"{result['seconds']:>7.1f}s {rate:>8.0f} {result['seconds'] / baseline:>7.2f} "
              f"{result['peak_kb'] / 1024:>7.1f}MB {result['peak_kb'] / base_rss:>6.2f}"
              + (f"  ({result['failed']} rows failed)" if result["failed"] else ""))  # fmt: skip
        if index == 1:
            checked = measure(project, batch_size, jobs, "--verify-child")
            print(f"verify at scale {size:g}: {checked['seconds']:.1f}s, "
                  f"{checked['seconds'] / result['seconds']:.2f}x the migration "
                  f"({checked['mismatched']} mismatches)")  # fmt: skip
            cutover(server, tag, project, batch_size, jobs, float(result["seconds"]))


def cutover(server: URL, tag: str, project: Path, batch_size: int, jobs: int, first: float) -> None:
    """Time the cut-over figures against the first run's `first` seconds (issue #27)."""
    again = measure(project, batch_size, jobs)
    print(f"re-run, nothing changed: {again['seconds']:.1f}s, {again['seconds'] / first:.3f}x "
          f"the first run ({again['rows']} rows read; goal <= 0.05x)")  # fmt: skip
    quick = measure(project, batch_size, jobs, "--status-child")
    print(f"status of {quick['sites']} sites: {quick['seconds']:.2f}s, "
          f"{quick['seconds'] / quick['sites']:.2f}s per site (goal <= 1 s)")  # fmt: skip
    change_share(server, tag, 0.01)
    delta = measure(project, batch_size, jobs)
    print(f"delta after 1 % of the nodes changed: {delta['seconds']:.1f}s, "
          f"{delta['seconds'] / first:.3f}x the first run ({delta['rows']} rows read; "
          "goal <= 0.15x)")  # fmt: skip
    checked = measure(project, batch_size, jobs, "--verify-child")
    window = delta["seconds"] + checked["seconds"]
    print(f"freeze window (that delta run + verify {checked['seconds']:.1f}s): {window:.1f}s, "
          f"{window / first:.2f}x the first run ({checked['mismatched']} mismatches; "
          "goal <= 0.3x)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="smaller size (default 1)")
    parser.add_argument("--layout", default="d7", choices=["d7", "d8"])
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--jobs", type=int, default=4, help="sites at once (default 4)")
    parser.add_argument("--repeat", type=int, default=2, help="runs per side, best kept (2)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--verify-child", help=argparse.SUPPRESS)
    parser.add_argument("--status-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.status_child:
        status_child(args.status_child)
        return
    if args.child:
        child(args.child, args.batch_size, args.jobs)
        return
    if args.verify_child:
        verify_child(args.verify_child, args.batch_size, args.jobs)
        return
    from pseamigrate.servers import running_server

    with (
        tempfile.TemporaryDirectory(prefix="bench-migrate-") as tmp,
        running_server("mariadb", Path(tmp) / "server") as server,
    ):
        run(server.url(), args.scale, args.layout, args.batch_size, args.jobs, args.repeat,
            Path(tmp))  # fmt: skip


if __name__ == "__main__":
    main()
