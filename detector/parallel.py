"""Worker processes for cleaning: each gets the detector once, then only batches of text."""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing as mp
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator

import numpy as np

from .allocator import tune_malloc

_DETECTOR = None
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _init(detector) -> None:
    global _DETECTOR
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    # The CLI turns SIGTERM into KeyboardInterrupt in the parent and a forked worker inherits
    # that handler; but Pool.terminate() stops workers with SIGTERM, which must end them at
    # once (an exception there prints a traceback and can hang the pool's shutdown).
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):  # blocked by worker_pool() around the fork
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    tune_malloc()  # a worker only cleans: keep its batch temporaries in the heap
    _DETECTOR = detector


def _call(fn: Callable, args: tuple):
    return fn(_DETECTOR, *args)


def clean_arrays(detector, batch: list[str], mark: bool):
    """Clean ``batch``; the source texts are not sent back (the parent has them).

    The per-paragraph arrays of the whole batch go back as four arrays, not four per document:
    pickling many small arrays costs more than the cleaning of short documents.
    """
    results = detector.clean_batch(batch, mark)
    counts = np.fromiter((r.n_paragraphs for r in results), dtype=np.int64, count=len(results))
    arrays = [np.concatenate([getattr(r, name) for r in results]) if results else np.zeros(0)
              for name in ("starts", "ends", "scores", "removed_mask")]
    return [r.text for r in results], counts, arrays


#: after an error, how long to let the batches in flight finish before killing the workers
DRAIN_SECONDS = 10.0


class WorkerPool:
    """A process pool whose workers hold one detector each."""

    def __init__(self, pool):
        self._pool = pool
        self._jobs: deque = deque()  # submitted, maybe not finished (finished ones are pruned)

    def submit(self, fn: Callable, *args):
        """Run ``fn(detector, *args)`` in a worker; ``.get()`` on the result waits for it.

        ``fn`` must be a module-level function (it is sent by name).
        """
        while self._jobs and self._jobs[0].ready():
            self._jobs.popleft()
        job = self._pool.apply_async(_call, (fn, args))
        self._jobs.append(job)
        return job

    def drain(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for every submitted batch to finish; True if they all did."""
        deadline = time.monotonic() + seconds
        for job in self._jobs:
            job.wait(max(0.0, deadline - time.monotonic()))
            if not job.ready():
                return False
        return True


@contextlib.contextmanager
def worker_pool(detector, n_jobs: int) -> Iterator[WorkerPool]:
    """Start ``n_jobs`` workers (fork where available, so the model is shared copy-on-write)."""
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    # Hold Ctrl-C / SIGTERM while forking: a worker must not run the parent's handlers before
    # _init has installed its own. A signal arriving meanwhile reaches the parent right after.
    masked = hasattr(signal, "pthread_sigmask")
    if masked:
        old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        pool = mp.get_context(method).Pool(n_jobs, initializer=_init, initargs=(detector,))
    finally:
        if masked:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
    workers = WorkerPool(pool)
    try:
        yield workers
        pool.close()
    except BaseException:
        # Killing a worker while it sends a result leaves the result queue's lock held for
        # good, and Pool.terminate() then waits on it forever. So the batches in flight (at
        # most two per worker) are let finish first; only a worker stuck longer is killed.
        try:
            idle = workers.drain(DRAIN_SECONDS)
        except BaseException:  # a second Ctrl-C: stop waiting
            idle = False
        if idle:
            pool.close()
        else:
            pool.terminate()
        raise
    finally:
        pool.join()


def map_ordered(detector, fn: Callable, jobs: Iterable[tuple], n_jobs: int) -> Iterator[tuple]:
    """``(job, fn(detector, *job))`` for each job, in order, computed on ``n_jobs`` processes.

    With one job, or ``n_jobs == 1``, everything runs in this process. Otherwise at most
    ``2 * n_jobs`` jobs are in flight, so memory stays bounded however long ``jobs`` is.
    """
    jobs = iter(jobs)
    head = list(itertools.islice(jobs, 2))
    if n_jobs <= 1 or len(head) < 2:
        for job in itertools.chain(head, jobs):
            yield job, fn(detector, *job)
        return
    with worker_pool(detector, n_jobs) as pool:
        pending: deque = deque()
        for job in itertools.chain(head, jobs):
            pending.append((job, pool.submit(fn, *job)))
            if len(pending) >= 2 * n_jobs:
                done, result = pending.popleft()
                yield done, result.get()
        while pending:
            done, result = pending.popleft()
            yield done, result.get()
