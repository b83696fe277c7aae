"""Worker pools: how they stop after an error."""

from __future__ import annotations

import multiprocessing
import time

import pytest

from detector import parallel
from detector.parallel import worker_pool


def _error_while_workers_are_busy(det, seed_texts) -> list:
    """Raise in the consumer while both workers clean a large batch; their exit codes."""
    big = [t * 300 for t in seed_texts.values()]  # over a second of work for a worker
    with pytest.raises(RuntimeError, match="consumer failed"), worker_pool(det, 2) as pool:
        processes = list(pool._pool._pool)
        pool.submit(parallel.clean_arrays, ["Reply"], False).get(timeout=60)  # both workers are up
        for _ in range(2):
            pool.submit(parallel.clean_arrays, big, False)
        time.sleep(0.3)  # let both workers take their batch
        raise RuntimeError("consumer failed")
    return [p.exitcode for p in processes]


def test_error_lets_batches_in_flight_finish_then_stops_workers_cleanly(det, seed_texts):
    """A worker killed while it sends a result would leave the result queue locked and
    Pool.terminate() hanging; so after an error the workers finish and exit on their own."""
    assert _error_while_workers_are_busy(det, seed_texts) == [0, 0]
    assert multiprocessing.active_children() == []


def test_workers_still_busy_after_the_drain_time_are_killed(det, seed_texts, monkeypatch):
    monkeypatch.setattr(parallel, "DRAIN_SECONDS", 0.0)
    codes = _error_while_workers_are_busy(det, seed_texts)
    assert all(code is not None for code in codes) and min(codes) < 0
    assert multiprocessing.active_children() == []
