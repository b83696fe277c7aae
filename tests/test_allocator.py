"""The allocator setting for cleaning processes: freed batch memory stays in the heap."""

from __future__ import annotations

import ctypes
import os
import platform
import subprocess
import sys
import textwrap

import pytest

from detector import allocator
from detector.parallel import worker_pool

glibc = pytest.mark.skipif(not sys.platform.startswith("linux")
                           or platform.libc_ver()[0] != "glibc"
                           or not hasattr(ctypes.CDLL(None), "mallinfo2"),
                           reason="glibc malloc only")

# Allocates and frees an 8 MB numpy array; prints whether tune_malloc applied, the bytes in
# mmap()ed blocks while the array lives, and the free bytes the heap keeps after it is freed.
_PROBE = textwrap.dedent("""
    import ctypes, sys
    import numpy as np
    from detector.allocator import tune_malloc

    class Info(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks",
                    "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = Info
    applied = tune_malloc() if sys.argv[1] == "tune" else False
    block = np.ones(8 << 20, dtype=np.uint8)
    mapped = libc.mallinfo2().hblkhd
    del block
    print(applied, mapped, libc.mallinfo2().fordblks)
""")


def _probe(mode: str, **env: str) -> tuple[str, int, int]:
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "GLIBC_"))}
    out = subprocess.run([sys.executable, "-c", _PROBE, mode], env={**clean_env, **env},
                         capture_output=True, text=True, check=True).stdout.split()
    return out[0], int(out[1]), int(out[2])


@glibc
def test_tuned_process_keeps_a_freed_batch_array_in_the_heap():
    applied, mapped, kept = _probe("tune")
    assert applied == "True"
    assert mapped < 8 << 20  # the array came from the heap ...
    assert kept >= 8 << 20  # ... and its memory stays there for the next batch


@glibc
def test_untuned_process_maps_and_returns_the_same_array():
    applied, mapped, kept = _probe("plain")
    assert applied == "False"
    assert mapped >= 8 << 20 and kept < 8 << 20


@glibc
def test_malloc_settings_from_the_environment_win():
    applied, mapped, _ = _probe("tune", MALLOC_MMAP_THRESHOLD_="131072")
    assert applied == "False" and mapped >= 8 << 20


def test_repeated_calls_agree(monkeypatch):
    monkeypatch.setattr(allocator, "_done", None)
    first = allocator.tune_malloc()
    assert allocator.tune_malloc() is first


def _allocator_state(_det) -> bool | None:
    return allocator._done


@glibc
def test_worker_processes_tune_their_allocator(det, monkeypatch):
    monkeypatch.setattr(allocator, "_done", None)  # this process has not tuned
    with worker_pool(det, 2) as pool:
        assert pool.submit(_allocator_state).get(timeout=60) is True
    assert allocator._done is None
