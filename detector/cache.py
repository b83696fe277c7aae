"""A bounded cache of per-paragraph values, keyed by paragraph text.

Boilerplate repeats across a crawl: the same menu, disclaimer and "Reply" lines come back
thousands of times, while article prose is seen once. The cache keeps the recurring lines
within a fixed memory budget, whatever the input:

- a text is admitted on its second sighting (a bit table of hash slots remembers the first),
  so a stream of one-off prose does not flush out the lines that recur;
- when the budget is used up, the entries not hit since the last eviction go (a bulk
  "second chance" sweep); if those are too few to make room, everything goes.

Keys are the texts themselves, never a hash of them, so a hit returns exactly the values a
fresh computation gives: what a process has seen before cannot change its results.
"""

from __future__ import annotations

from itertools import repeat

import numpy as np

#: bytes an entry costs besides its row and its text: dict slot, str header, row number
ENTRY_OVERHEAD = 128
TYPICAL_TEXT = 64
_SEEN_BITS = 23  # 1 MiB bit table of first sightings
_SEEN_CLEAR_AFTER = 1 << 20  # texts noted before the table is cleared (<= 1/8 of it set)


def text_bytes(text: str) -> int:
    """Memory of a str's characters, within a factor of two (1 byte a char for ASCII)."""
    return len(text) if text.isascii() else 4 * len(text)


class ParagraphCache:
    """text -> a row of ``width`` float64 values, in at most about ``max_bytes`` of memory.

    >>> cache = ParagraphCache(width=2)
    >>> cache.add(["Reply"], np.array([[1.0, 2.0]]))   # first sighting: only noted
    >>> cache.add(["Reply"], np.array([[1.0, 2.0]]))   # seen again: kept
    >>> cache.get(["Reply", "prose"])[1].tolist()
    [True, False]
    """

    def __init__(self, width: int, max_bytes: int = 16 << 20):
        self.width = width
        self.max_bytes = max_bytes
        # rows for entries of typical length (a menu line, a sentence); longer texts fill the
        # budget with fewer rows
        self._max_rows = max(1, max_bytes // (8 * width + ENTRY_OVERHEAD + TYPICAL_TEXT))
        self._seen = np.zeros(1 << (_SEEN_BITS - 3), dtype=np.uint8)
        self.clear()

    def clear(self) -> None:
        """Forget every entry and every first sighting."""
        self._drop_entries()
        self._seen[:] = 0
        self._noted = 0

    def _drop_entries(self) -> None:
        self._index: dict[str, int] = {}  # text -> row of _rows
        self._texts: list[str | None] = []  # text of each row; None: free
        self._free: list[int] = []
        self._rows = np.empty((0, self.width))
        self._used = np.zeros(0, dtype=bool)  # hit since the last eviction
        self._text_bytes = 0

    def __len__(self) -> int:
        return len(self._index)

    @property
    def nbytes(self) -> int:
        """Estimated memory held: the row array plus each entry's text and overhead."""
        return self._rows.nbytes + self._text_bytes + ENTRY_OVERHEAD * len(self._index)

    def get(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(values, hit)``: ``values[i]`` is the row of ``texts[i]`` wherever ``hit[i]``."""
        n = len(texts)
        rows = np.fromiter(map(self._index.get, texts, repeat(-1)), np.int64, count=n)
        hit = rows >= 0
        out = np.empty((n, self.width))
        out[hit] = self._rows[rows[hit]]
        self._used[rows[hit]] = True
        return out, hit

    def add(self, texts: list[str], values: np.ndarray) -> None:
        """Offer freshly computed rows of distinct texts; a text is kept from its second
        sighting on."""
        if not self.max_bytes or not texts:
            return
        if self._noted >= _SEEN_CLEAR_AFTER:  # mostly set, it would let everything in
            self._seen[:] = 0
            self._noted = 0
        slot = np.fromiter(map(hash, texts), np.int64, count=len(texts)) & ((1 << _SEEN_BITS) - 1)
        byte, bit = slot >> 3, np.left_shift(1, slot & 7).astype(np.uint8)
        again = (self._seen[byte] & bit) != 0
        np.bitwise_or.at(self._seen, byte, bit)
        self._noted += len(texts)
        for k in np.flatnonzero(again).tolist():
            self._insert(texts[k], values[k])

    def _insert(self, text: str, row: np.ndarray) -> None:
        if text in self._index:
            return
        size = text_bytes(text) + ENTRY_OVERHEAD
        if self.nbytes + size + self._growth() > self.max_bytes:
            self._evict(size)
            if self.nbytes + size + self._growth() > self.max_bytes:
                return  # a text too long for the budget on its own
        if self._free:
            r = self._free.pop()
            self._texts[r] = text
        else:
            r = len(self._texts)
            if r >= self._rows.shape[0]:
                n = self._grown_rows()
                grown, used = np.empty((n, self.width)), np.zeros(n, dtype=bool)
                grown[:r], used[:r] = self._rows[:r], self._used[:r]
                self._rows, self._used = grown, used
            self._texts.append(text)
        self._rows[r] = row
        self._used[r] = False
        self._index[text] = r
        self._text_bytes += text_bytes(text)

    def _grown_rows(self) -> int:
        """Rows of the array once grown for one more entry: geometrically, up to the limit."""
        return min(self._max_rows, max(64, 2 * self._rows.shape[0]))

    def _growth(self) -> int:
        """Bytes the row array must grow by to take one more entry (more than the budget
        when it has reached its limit: an entry must be evicted first)."""
        if self._free or len(self._texts) < self._rows.shape[0]:
            return 0
        if self._rows.shape[0] >= self._max_rows:
            return self.max_bytes + 1
        return (self._grown_rows() - self._rows.shape[0]) * 8 * self.width

    def _evict(self, room: int) -> None:
        """Drop the entries not hit since the last eviction; all of them if that frees too
        little (less than a quarter of the entries, or not ``room`` bytes)."""
        held = np.flatnonzero(np.fromiter((t is not None for t in self._texts), bool,
                                          count=len(self._texts)))
        stale = held[~self._used[held]]
        freed = sum(text_bytes(self._texts[r]) + ENTRY_OVERHEAD for r in stale.tolist())
        if len(stale) * 4 < len(held) or self.nbytes - freed + room > self.max_bytes:
            self._drop_entries()  # the first sightings stay: those texts were seen
            return
        for r in stale.tolist():
            text = self._texts[r]
            del self._index[text]
            self._text_bytes -= text_bytes(text)
            self._texts[r] = None
            self._free.append(r)
        self._used[:] = False
