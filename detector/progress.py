"""A one-line progress display on stderr: documents, MB, MB/s, share done and ETA.

MB and MB/s count the text cleaned; the share done and the ETA come from the bytes read from
the input files on disk, so they hold for compressed inputs too.
"""

from __future__ import annotations

import sys
import time


class Progress:
    """Redraws at most five times a second; prints nothing when disabled."""

    def __init__(self, enabled: bool, total_bytes: int | None = None, stream=None):
        self.enabled = enabled
        self.total = total_bytes
        self.stream = stream or sys.stderr
        self.docs = 0
        self.bytes = 0
        self.disk = 0
        self.start = time.perf_counter()
        self._last = 0.0

    def update(self, docs: int, nbytes: int, disk: int | None = None) -> None:
        """``nbytes`` of text cleaned in ``docs`` documents; ``disk``: input bytes read so far."""
        self.docs += docs
        self.bytes += nbytes
        if disk is not None:
            self.disk = disk
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self._last >= 0.2:
            self._last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        elapsed = max(now - self.start, 1e-9)
        rate = self.bytes / elapsed / 1e6
        line = f"\r{self.docs:,} docs  {self.bytes / 1e6:,.1f} MB  {rate:,.2f} MB/s"
        if self.total and self.disk:
            done = min(self.disk / self.total, 1.0)
            eta = elapsed * (1 - done) / done
            line += f"  {done:4.0%}  ETA {int(eta // 60)}:{int(eta % 60):02d}"
        self.stream.write(line + "   ")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self._draw(time.perf_counter())
            self.stream.write("\n")
            self.stream.flush()
