"""`migrate --jobs N`: sites in worker processes, on a real MariaDB server (#9, speed)."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.config import SiteSettings
from pseamigrate.errors import ConfigError, ConnectionFailed, PseamigrateError
from pseamigrate.migrate import run as run_module
from pseamigrate.migrate.parallel import Turns, _portable
from pseamigrate.migrate.run import MigrationReport, migrate
from pseamigrate.migrate.steps import Options
from pseamigrate.target.model import CanonicalModel
from tests.migrate.helpers import SITES, Project, canonical_dump, hold_lock, reset_target

runner = CliRunner()
Event = tuple[str, str, int, int | None]


def test_a_parallel_run_equals_a_run_of_one_site_at_a_time(one_project: Project) -> None:
    one_project.migrate(jobs=1)
    one_at_a_time = canonical_dump(one_project.target)
    reset_target(one_project)
    seen: list[Event] = []
    report = _migrate(one_project, 4, seen.append)
    assert report.failed_rows() == 0
    assert [site.site for site in report.sites] == list(SITES)  # the project file's order
    assert all(site.status == "done" for site in report.sites)
    assert len({site.run_id for site in report.sites}) == len(SITES)
    # Shared rows (accounts merged by e-mail, merged terms) are written in the sites' order.
    assert canonical_dump(one_project.target) == one_at_a_time
    assert {site for site, *_ in seen} == set(SITES)  # every worker's progress arrived
    assert one_project.count("pm_locks") == 0
    assert one_project.count("pm_runs", "WHERE status <> 'done'") == 0


def test_a_parallel_rerun_changes_nothing(one_project: Project) -> None:
    _migrate(one_project, 2)
    again = _migrate(one_project, 2)
    steps = [step.counts for site in again.sites for step in site.steps]
    assert sum(c.inserted + c.updated + c.failed for c in steps) == 0
    assert sum(c.unchanged for c in steps) > 0


def test_a_site_with_bad_input_stops_a_parallel_run_before_any_site_writes(
    one_project: Project,
) -> None:
    broken = one_project.path.with_name("broken-files.yaml")
    original = one_project.path.read_text(encoding="utf-8")
    broken.write_text(original.replace(str(one_project.files["iraq"]), "/nonexistent/x"), "utf-8")
    args = [
        "--config",
        str(broken),
        "migrate",
        "--allow-plaintext-target",
        "--allow-plaintext-files",
        "--jobs",
        "4",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "site 'iraq': files_dir /nonexistent/x does not exist" in result.stderr
    assert one_project.count("pm_runs") == 0  # checked before any site wrote
    assert one_project.count("pm_locks") == 0


def test_a_parallel_run_honours_the_lock_of_another_run(one_project: Project) -> None:
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        expires = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(minutes=5)
        hold_lock(one_project, socket.gethostname(), holder.pid, expires)
        args = [
            "--config",
            str(one_project.path),
            "migrate",
            "--allow-plaintext-target",
            "--allow-plaintext-files",
        ]
        result = runner.invoke(app, [*args, "--jobs", "2"])
        assert result.exit_code == 4
        assert f"pid {holder.pid}" in result.stderr
        assert one_project.count("pm_runs") == 0
    finally:
        holder.kill()
        holder.wait()


def test_kill_9_of_a_parallel_run_kills_its_workers_and_a_run_then_completes(
    one_project: Project,
) -> None:
    one_project.migrate()
    clean = canonical_dump(one_project.target)
    total = one_project.count("pm_id_map")
    reset_target(one_project)
    command = [sys.executable, "-m", "pseamigrate", "--config", str(one_project.path), "migrate"]
    process = subprocess.Popen(
        [
            *command,
            "--allow-plaintext-target",
            "--allow-plaintext-files",
            "--batch-size",
            "10",
            "--jobs",
            "4",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ.copy(),
    )
    workers: set[int] = set()
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and process.poll() is None:
            workers |= _children(process.pid)
            if one_project.count("pm_id_map") >= total // 3 and len(workers) >= 2:
                break
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert len(workers) >= 2
    assert _all_gone(workers), "a worker outlived its killed parent"
    written = one_project.count("pm_id_map")
    time.sleep(1)
    assert one_project.count("pm_id_map") == written < total  # nobody writes any more
    report = _migrate(one_project, 4)
    assert report.failed_rows() == 0
    assert one_project.count("pm_runs", "WHERE status = 'running'") == 0
    assert canonical_dump(one_project.target) == clean


def test_ctrl_c_stops_a_parallel_run_cleanly(one_project: Project) -> None:
    command = [sys.executable, "-m", "pseamigrate", "--config", str(one_project.path), "migrate"]
    process = subprocess.Popen(
        [
            *command,
            "--allow-plaintext-target",
            "--allow-plaintext-files",
            "--batch-size",
            "10",
            "--jobs",
            "2",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    workers: set[int] = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        workers |= _children(process.pid)
        if one_project.count("pm_id_map") >= 200 and len(workers) >= 2:
            break
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert "run the same command again to resume" in stderr
    assert "progress: " in stderr  # without a terminal, heartbeat lines (#24 item 3)
    assert _all_gone(workers)
    assert one_project.count("pm_locks") == 0  # the lock was given back
    assert one_project.count("pm_runs", "WHERE status = 'stopped'") >= 1
    assert one_project.count("pm_runs", "WHERE status = 'done'") < len(SITES)  # none went on
    report = _migrate(one_project, 2)  # and the next run completes the target
    assert report.failed_rows() == 0
    assert one_project.count("pm_runs", "WHERE status = 'running'") == 0


def test_a_site_failing_while_others_run_stops_the_run_with_its_error(
    one_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    _gone_after_preflight(one_project, monkeypatch, "drc")
    with pytest.raises(ConnectionFailed) as failed:
        _migrate(one_project, 4)
    assert "site 'drc'" in str(failed.value)
    assert one_project.count("pm_locks") == 0  # the parent gave the lock back
    assert one_project.count("pm_runs", "WHERE status = 'running'") == 0
    # Sites already running finish; those not yet started when drc failed never start.
    assert one_project.count("pm_runs", "WHERE status NOT IN ('done', 'stopped')") == 0


def test_a_failed_site_keeps_the_sites_not_yet_started_from_starting(
    one_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two workers: demo and iraq start; iraq's database is gone; drc and syria never start.
    _gone_after_preflight(one_project, monkeypatch, "iraq")
    with pytest.raises(ConnectionFailed):
        _migrate(one_project, 2)
    sites = one_project.scalar("SELECT GROUP_CONCAT(site ORDER BY site) FROM pm_runs")
    assert sites in ("demo", None), sites  # iraq failed before its run row; drc, syria: none
    assert one_project.count("pm_locks") == 0


def test_jobs_below_one_is_a_usage_error(one_project: Project) -> None:
    args = ["--config", str(one_project.path), "migrate", "--jobs", "0"]
    assert runner.invoke(app, args).exit_code == 2
    assert one_project.count("pm_runs") == 0


def test_an_error_that_does_not_survive_pickling_keeps_its_message_and_exit_code() -> None:
    class Odd(ConfigError):
        def __init__(self, name: str, other: int) -> None:
            super().__init__(f"site {name!r} is odd ({other})")

    copy = pickle.loads(_portable(Odd("iraq", 3)))
    assert isinstance(copy, PseamigrateError)
    assert str(copy) == "site 'iraq' is odd (3)" and copy.exit_code == ConfigError.exit_code
    assert isinstance(pickle.loads(_portable(ConfigError("plain"))), ConfigError)
    lost = pickle.loads(_portable(ConnectionFailed("site 'drc'", "host:1/db", "MySQL error 1049")))
    assert type(lost) is ConnectionFailed and lost.where == "host:1/db"  # type and attributes

    class Bug(Exception):
        def __init__(self, value: str, where: int) -> None:
            super().__init__(f"{value} at {where}")

    bug = pickle.loads(_portable(Bug("a value from a row", 3)))  # untyped: its text may quote
    assert "a value from a row" not in str(bug) and "Bug in a worker process" in str(bug)


def test_a_turn_waits_for_every_earlier_site_whatever_order_they_finish_in() -> None:
    turns = Turns(multiprocessing.get_context("spawn"), 3)
    entered: list[int] = []
    third = threading.Thread(target=lambda: (turns.wait("terms", 2), entered.append(2)))
    third.start()
    turns.done("terms", 1)  # the second site has no shared terms: done before the first
    time.sleep(0.3)
    assert entered == []  # still waiting for the first site
    turns.done("terms", 0)
    third.join(timeout=5)
    assert entered == [2]
    turns.wait("accounts", 0)  # the first site never waits


def _gone_after_preflight(project: Project, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Point site `name` at a database that does not exist, unseen by the parent's preflight:
    its database is gone by the time its worker reads it."""
    variable = f"PM_{project.name.upper()}_{name.upper()}"
    gone = project.sources[name].set(database=f"{project.name}_gone")
    monkeypatch.setenv(variable, gone.render_as_string(hide_password=False))
    real = run_module.preflight

    def preflight(site: SiteSettings, model: CanonicalModel) -> None:
        if site.name != name:
            real(site, model)

    monkeypatch.setattr(run_module, "preflight", preflight)


def _migrate(
    project: Project, jobs: int, on_progress: Callable[[Event], None] | None = None
) -> MigrationReport:
    options = Options(allow_plaintext=True, jobs=jobs, allow_plaintext_files=True)
    progress = None
    if on_progress is not None:
        sink = on_progress

        def progress(site: str, step: str, done: int, total: int | None) -> None:
            sink((site, step, done, total))

    return migrate(project.settings(), [], options, on_progress=progress)


def _children(pid: int) -> set[int]:
    """Return the pids whose parent is `pid` (read from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def _all_gone(pids: set[int], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(Path(f"/proc/{pid}").exists() and not _zombie(pid) for pid in pids):
            return True
        time.sleep(0.1)
    return False


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False
