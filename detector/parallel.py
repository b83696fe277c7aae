"""Worker processes for cleaning: each gets the detector once, then only batches of text."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import signal
from collections.abc import Iterator

_DETECTOR = None


def _init(detector) -> None:
    global _DETECTOR
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    _DETECTOR = detector


def _clean(batch: list[str], mark: bool):
    return _DETECTOR.clean_batch(batch, mark)


def _score(docs: list[list[str]]):
    return _DETECTOR.model.predict_proba(docs)


class WorkerPool:
    """A process pool whose workers hold one detector each."""

    def __init__(self, pool):
        self._pool = pool

    def submit(self, batch: list[str], mark: bool = False):
        """Clean ``batch`` in a worker; ``.get()`` on the result waits for it."""
        return self._pool.apply_async(_clean, (batch, mark))

    def submit_scores(self, docs: list[list[str]]):
        return self._pool.apply_async(_score, (docs,))


@contextlib.contextmanager
def worker_pool(detector, n_jobs: int) -> Iterator[WorkerPool]:
    """Start ``n_jobs`` workers (fork where available, so the model is shared copy-on-write)."""
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    pool = mp.get_context(method).Pool(n_jobs, initializer=_init, initargs=(detector,))
    try:
        yield WorkerPool(pool)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
