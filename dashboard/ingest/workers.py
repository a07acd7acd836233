"""The worker pool: parse-and-tag (or retag) jobs in forked processes next to the writer."""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dashboard.config import Settings
    from dashboard.tagging.tagger import Tagger

# Below this many files, starting worker processes costs more than it saves, unless the files
# are big: two workers start in about 0.1 s, what parsing and tagging 1 MiB of feed takes.
POOL_MIN_FILES = 8
POOL_MIN_BYTES = 2**20


class WorkerPool:
    """Parse-and-tag jobs, run in worker processes (workers >= 2) or inline (0).

    Parsing and tagging are pure and CPU-bound while the store writes in this process: with
    workers the two overlap on separate cores. Results come back in submission order, and
    at most 4 jobs a worker wait at once, so memory stays flat however many feeds there are.
    """

    def __init__(self, tagger: Callable[[], Tagger], taxonomy, workers: int, built=None):
        """tagger: gives the tagger for jobs run inline (built when first asked for);
        built: a tagger this process has already built, which forked workers share instead
        of building their own."""
        self.tagger = tagger
        self.window = 4 * workers
        self.pending: deque = deque()
        self.pool = None
        if workers:
            # fork, not forkserver: a forkserver and its workers outlive a SIGKILLed parent.
            # Forked workers ask the kernel to end them with it (_init_worker), and they are
            # started here, before the fetch thread exists, so no lock is copied mid-use.
            context = multiprocessing.get_context("fork")
            self.pool = ProcessPoolExecutor(
                workers,
                mp_context=context,
                initializer=_init_worker,
                initargs=(built, taxonomy, os.getpid()),
            )
            self.pool.submit(int).result()  # launches the workers now

    @classmethod
    def for_jobs(
        cls, n: int, tagger, taxonomy, settings: Settings, *, size: int = 0, built=None
    ) -> WorkerPool:
        """Workers only where they pay: two cores or more, and enough jobs (n of them,
        `size` bytes in all when known): many, or at least two that are big."""
        workers = min(settings.parse_workers, os.cpu_count() or 1)
        enough = n >= POOL_MIN_FILES or (n >= 2 and size >= POOL_MIN_BYTES)
        return cls(tagger, taxonomy, workers if workers >= 2 and enough else 0, built)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc) -> None:
        if self.pool:
            self.pool.shutdown(cancel_futures=True)

    @property
    def full(self) -> bool:
        return self.pool is not None and len(self.pending) >= self.window

    def submit(self, key, fn, *args) -> None:
        """Run fn(*args, tagger) here or in a worker; its result comes back from ready()."""
        if self.pool is None:
            done: Future = Future()
            done.set_result(fn(*args, self.tagger()))
            self.pending.append((key, done))
        else:
            self.pending.append((key, self.pool.submit(_in_worker, fn, *args)))

    def ready(self, *, block: bool, everything: bool = False):
        """Yield (key, result) for finished jobs in order; with block, wait for the first
        (or, with everything, for all of them)."""
        while self.pending:
            key, job = self.pending[0]
            if not (block or job.done()):
                return
            self.pending.popleft()
            yield key, job.result()
            if not everything:
                block = False


_worker_tagger = None


def _init_worker(built, taxonomy, parent: int) -> None:
    global _worker_tagger
    from dashboard.tagging.tagger import Tagger

    _die_with(parent)
    _worker_tagger = built or Tagger(taxonomy)


def _die_with(parent: int) -> None:
    """Linux: the kernel sends SIGKILL to this worker when its parent dies (prctl
    PR_SET_PDEATHSIG), so a killed ingest leaves no orphans behind."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _in_worker(fn, *args):
    return fn(*args, _worker_tagger)
