"""Several sites at once: one worker process per site (`migrate --jobs N`, `verify --jobs N`).

A migration is mostly Python work (parsing rows, transforming, escaping values), and one Python
process runs on one core at a time; the sites are independent tenants, so separate processes let
them use every core while the servers work. The parent takes the run's lease lock once and the
workers renew it in the parent's name. Steps that write rows shared by every tenant (accounts
merged by e-mail, merged terms of shared vocabularies) take turns in the project file's order, so
a parallel run writes the same shared rows as one site after another would.

Workers are started fresh (spawn) and die with the parent (Linux's parent-death signal), so a run
killed with -9 leaves no worker writing behind it.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import pickle
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing.context import SpawnContext
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import URL

from pseamigrate import db
from pseamigrate.config import SiteSettings
from pseamigrate.errors import PseamigrateError
from pseamigrate.migrate import lock
from pseamigrate.migrate import plan as p
from pseamigrate.migrate.items import ItemFilter
from pseamigrate.migrate.run import SiteJob, SiteProgress, SiteRun, guard_target, migrate_site
from pseamigrate.migrate.steps import Options
from pseamigrate.target import model as cm
from pseamigrate.target.ledger import Ledger
from pseamigrate.target.schema import build_metadata

PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies
GC_THRESHOLD = 50_000  # allocations between collections of the youngest generation (700)
GROUPS = p.SHARED_GROUPS  # rows shared across tenants, written one site at a time


class Turns:
    """Whose turn it is, per shared group: a site writes a group's rows once every site before
    it in the project file is done with them (or has none to write)."""

    def __init__(self, context: SpawnContext, sites: int) -> None:
        self._changed = context.Condition()
        self._done = context.Array("b", sites * len(GROUPS), lock=False)

    def wait(self, group: str, index: int) -> None:
        """Block until every site before site `index` is done with `group`."""
        slot = GROUPS.index(group)
        with self._changed:
            self._changed.wait_for(
                lambda: all(self._done[j * len(GROUPS) + slot] for j in range(index))
            )

    def done(self, group: str, index: int) -> None:
        """Say site `index` is done with `group` (or will write none of its rows)."""
        with self._changed:
            self._done[index * len(GROUPS) + GROUPS.index(group)] = 1
            self._changed.notify_all()


@dataclass(frozen=True)
class WorkerJob:
    """What a worker needs to migrate one site (everything picklable)."""

    index: int  # the site's place in the project file's order: its turn
    target_url: URL
    what: str  # how messages name the target
    site: SiteSettings
    files_dir: Path | None
    model: cm.CanonicalModel
    options: Options
    holder: lock.Holder | None  # the parent's lock holder (None: a dry run takes no lock)
    item_filter: ItemFilter | None
    files_key: Path | None = None


Task = TypeVar("Task")
Result = TypeVar("Result")

# Set in each worker by `_start_worker`: how it reports progress and takes turns.
_progress: Any = None
_turns: Turns | None = None
_stop: Any = None  # set by the parent when the run stops (Ctrl-C, a failure)


def in_workers(
    work: Callable[[Task], Result],
    tasks: list[Task],
    workers: int,
    on_progress: SiteProgress | None,
) -> list[Result]:
    """Run `work` on each task in up to `workers` fresh processes; return results in order.

    `work` must be a module-level function; in it, `worker_progress` and `worker_turns` give
    the progress and turns of this run. A failure keeps the tasks not yet started from
    starting; the first failure (in task order) is raised once every started task stopped."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue() if on_progress is not None else None
    turns = Turns(context, len(tasks))
    stop = context.Event()
    with (
        _forwarding(queue, on_progress),
        ProcessPoolExecutor(
            max_workers=max(1, min(workers, len(tasks))),
            mp_context=context,
            initializer=_start_worker,
            initargs=(os.getpid(), queue, turns, stop),
        ) as pool,
    ):
        # Submitted in task order, and a pool starts them in that order: a task only ever
        # waits for the turns of tasks already running or done.
        futures: list[Future[tuple[Any, bytes | None]]] = [
            pool.submit(_call, work, task) for task in tasks
        ]
        try:
            results = [future.result() for future in futures]
        except BaseException:
            stop.set()  # tasks already handed to a worker must not start either
            for future in futures:
                future.cancel()
            raise
    for _, failure in results:
        if failure is not None:
            raise pickle.loads(failure)
    return [result for result, _ in results]


def worker_progress(site: str) -> Callable[[str, int, int | None], None] | None:
    """Return how a worker reports the progress of one site's steps (None: nobody listens)."""
    queue = _progress
    if queue is None:
        return None

    def report(step: str, done: int, total: int | None) -> None:
        queue.put((site, step, done, total))

    return report


def worker_turns() -> Turns | None:
    """Return the turns of this run (None outside a worker)."""
    return _turns


def migrate_parallel(
    target_url: URL,
    what: str,
    sites: list[SiteSettings],
    store: tuple[Path | None, Path | None],
    model: cm.CanonicalModel,
    options: Options,
    on_progress: SiteProgress | None,
    item_filter: ItemFilter | None,
) -> list[SiteRun]:
    """Migrate `sites` in up to `options.jobs` processes; return their runs in project order.

    `store`: the file store's folder and its master key file (either may be None)."""
    holder = None if options.dry_run else lock.Holder.me()
    files_dir, files_key = store
    with _lease(target_url, what, model, options, holder):
        jobs = [
            WorkerJob(
                i, target_url, what, site, files_dir, model, options, holder, item_filter, files_key
            )
            for i, site in enumerate(sites)
        ]
        return in_workers(_migrate_worker, jobs, options.jobs, on_progress)


@contextlib.contextmanager
def _lease(
    target_url: URL,
    what: str,
    model: cm.CanonicalModel,
    options: Options,
    holder: lock.Holder | None,
) -> Iterator[None]:
    """Check the target and hold the lock for the whole run (a dry run takes none)."""
    if holder is None:
        yield
        return
    metadata = build_metadata(model)
    ledger = Ledger(metadata)
    with db.engine(target_url, what) as engine:
        guard_target(engine, metadata.tables, options, SiteRun("", "", False))
        lock.acquire(engine, ledger, holder)
        try:
            yield
        finally:
            with contextlib.suppress(Exception):  # the target may be gone; the lease expires
                lock.release(engine, ledger, holder)


@contextlib.contextmanager
def _forwarding(queue: Any, on_progress: SiteProgress | None) -> Iterator[None]:
    """Pass the workers' progress to `on_progress` from a thread of this process."""
    if queue is None or on_progress is None:
        yield
        return

    def forward() -> None:
        while (message := queue.get()) is not None:
            on_progress(*message)

    thread = threading.Thread(target=forward, name="worker-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        queue.put(None)
        thread.join(timeout=10)


def _start_worker(parent: int, queue: Any, turns: Turns, stop: Any) -> None:
    """Make this worker die with the parent, and keep its progress queue, turns and stop."""
    global _progress, _turns, _stop
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    _progress, _turns, _stop = queue, turns, stop
    # Ctrl-C reaches every process of the terminal's job: a worker between tasks ignores it
    # (the parent stops the pool), one running a task stops it cleanly (see `_call`).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A run allocates millions of short-lived rows and dicts, few of them in cycles: collect
    # the youngest generation less often (measured: about a tenth less CPU), and leave the
    # modules loaded so far out of the older generations' scans.
    gc.set_threshold(GC_THRESHOLD, 20, 20)
    gc.freeze()


def _call(work: Callable[[Task], Result], task: Task) -> tuple[Result | None, bytes | None]:
    """Run one task in a worker; return its result, or its failure pickled for the parent."""
    if _stop is not None and _stop.is_set():
        return None, pickle.dumps(KeyboardInterrupt())
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return work(task), None
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
        if _stop is not None:  # set here, before this worker can take the next task
            _stop.set()
        return None, _portable(exc)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _migrate_worker(job: WorkerJob) -> SiteRun:
    """Migrate one site in a worker; its turns pass on however it ends."""
    run = SiteRun(job.site.name, job.site.tenant, job.options.dry_run)
    turns = worker_turns()
    try:
        with db.engine(job.target_url, job.what) as engine:
            site_job = SiteJob(
                engine,
                job.site,
                job.files_dir,
                job.model,
                job.options,
                worker_progress(job.site.name),
                job.item_filter,
                holder=job.holder,
                turn=None if turns is None else (turns, job.index),
                files_key=job.files_key,
            )
            migrate_site(site_job, run)
        return run
    finally:
        if turns is not None:
            for group in GROUPS:
                turns.done(group, job.index)


def _portable(exc: BaseException) -> bytes:
    """Pickle an error for the parent; one that does not survive pickling keeps its message
    (typed errors: their text names things, never values) and its exit code."""
    with contextlib.suppress(Exception):
        data = pickle.dumps(exc)
        pickle.loads(data)
        return data
    if isinstance(exc, PseamigrateError):
        fallback = PseamigrateError(str(exc))
        fallback.exit_code = exc.exit_code
        return pickle.dumps(fallback)
    return pickle.dumps(RuntimeError(f"{type(exc).__name__} in a worker process"))
