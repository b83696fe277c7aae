"""A bounded cache of per-paragraph values, keyed by paragraph text.

Boilerplate repeats across a crawl: the same menu, disclaimer and "Reply" lines come back
thousands of times, while article prose is seen once. The cache keeps the recurring lines
within a fixed memory budget, whatever the input, choosing them by how often they recur
(TinyLFU, Einziger et al. 2017, in bulk):

- every text looked up is counted in a small frequency sketch (two rows of 8-bit counters,
  halved every few times the cache's capacity, so counts follow what recurs now);
- a text is admitted from its second sighting on, while there is room;
- once the budget is used up, a newcomer takes the place of the least frequent entry only
  if it has recurred clearly more often (by more than one sighting in the sketch). So a
  stream whose recurring lines outnumber the budget keeps a stable share of them cached
  instead of flushing and refilling (a recency rule does that, and then hits almost
  nothing), and lines that stop recurring fade out and give way to new ones.

Keys are the texts themselves, never a hash of them, so a hit returns exactly the values a
fresh computation gives: what a process has seen before cannot change its results.
"""

from __future__ import annotations

from itertools import repeat

import numpy as np

__all__ = ["ParagraphCache", "FrequencySketch", "text_bytes"]

#: bytes an entry costs besides its row and its text: dict slot, str header, row number
ENTRY_OVERHEAD = 128
TYPICAL_TEXT = 64
#: a newcomer displaces an entry only if its count exceeds the entry's by more than this
ADMIT_MARGIN = 1
#: entries sampled per newcomer to find the least frequent ones to replace
SAMPLE_PER_VICTIM = 8
#: the sketch's counts are halved after this many look-ups per row of capacity
AGE_AFTER_ROWS = 4


def text_bytes(text: str) -> int:
    """Memory of a str's characters, within a factor of two (1 byte a char for ASCII)."""
    return len(text) if text.isascii() else 4 * len(text)


class FrequencySketch:
    """Approximate recent counts of 64-bit keys: a count-min sketch of two rows of saturating
    8-bit counters, all halved once ``age_after`` keys have been counted.

    A count can only be overestimated (two keys sharing both counters), never under.
    """

    def __init__(self, bits: int, age_after: int):
        self._mask = (1 << bits) - 1
        self._bits = bits
        self._table = np.zeros((2, 1 << bits), dtype=np.uint8)
        self.age_after = max(1, age_after)
        self._counted = 0

    def _slots(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return keys & self._mask, (keys >> self._bits) & self._mask

    def add(self, keys: np.ndarray) -> None:
        """Count one occurrence of each of ``keys`` (repeats count again)."""
        for row, slots in zip(self._table, self._slots(keys)):
            slot, times = np.unique(slots, return_counts=True)
            row[slot] = np.minimum(row[slot] + times, 255)
        self._counted += len(keys)
        if self._counted >= self.age_after:
            self._table >>= 1
            self._counted = 0

    def estimate(self, keys: np.ndarray) -> np.ndarray:
        """The count of each of ``keys`` (int64)."""
        a, b = self._slots(keys)
        return np.minimum(self._table[0, a], self._table[1, b]).astype(np.int64)

    def clear(self) -> None:
        self._table[:] = 0
        self._counted = 0


def _keys(texts: list[str]) -> np.ndarray:
    """A non-negative 63-bit key of each text (Python's own string hash, cached on the str)."""
    return np.fromiter(map(hash, texts), np.int64, count=len(texts)) & np.int64(2**63 - 1)


class ParagraphCache:
    """text -> a row of ``width`` float64 values, in at most about ``max_bytes`` of memory.

    >>> cache = ParagraphCache(width=2)
    >>> cache.get(["Reply"])[1].tolist()               # a look-up counts a sighting
    [False]
    >>> cache.add(["Reply"], np.array([[1.0, 2.0]]))   # first sighting: not kept
    >>> _ = cache.get(["Reply"])                       # the second sighting
    >>> cache.add(["Reply"], np.array([[1.0, 2.0]]))   # kept
    >>> cache.get(["Reply", "prose"])[1].tolist()
    [True, False]
    """

    def __init__(self, width: int, max_bytes: int = 16 << 20):
        self.width = width
        self.max_bytes = max_bytes
        # rows for entries of typical length (a menu line, a sentence); longer texts fill the
        # budget with fewer rows
        self._max_rows = max(1, max_bytes // (8 * width + ENTRY_OVERHEAD + TYPICAL_TEXT))
        # ~32 counters per row of capacity (at most 2 x 1 MiB): few one-off texts collide
        # with a recurring one in both rows of the sketch
        bits = min(20, max(10, (32 * self._max_rows - 1).bit_length()))
        self._sketch = FrequencySketch(bits, AGE_AFTER_ROWS * self._max_rows)
        self._rng = np.random.default_rng(0)  # which entries are sampled: speed only, not values
        self.clear()

    def clear(self) -> None:
        """Forget every entry and every count."""
        self._index: dict[str, int] = {}  # text -> row of _rows
        self._texts: list[str | None] = []  # text of each row; None: free
        self._keys = np.zeros(0, dtype=np.int64)  # sketch key of each row
        self._held = np.zeros(0, dtype=bool)  # whether a row holds an entry
        self._free: list[int] = []
        self._rows = np.empty((0, self.width))
        self._text_bytes = 0
        self._sketch.clear()

    def __len__(self) -> int:
        return len(self._index)

    @property
    def nbytes(self) -> int:
        """Estimated memory held: the row array plus each entry's text and overhead."""
        return self._rows.nbytes + self._text_bytes + ENTRY_OVERHEAD * len(self._index)

    def get(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(values, hit)``: ``values[i]`` is the row of ``texts[i]`` wherever ``hit[i]``.

        Every look-up is a sighting: it is counted, hit or not.
        """
        n = len(texts)
        rows = np.fromiter(map(self._index.get, texts, repeat(-1)), np.int64, count=n)
        hit = rows >= 0
        out = np.empty((n, self.width))
        out[hit] = self._rows[rows[hit]]
        if self.max_bytes and n:
            self._sketch.add(_keys(texts))
        return out, hit

    def add(self, texts: list[str], values: np.ndarray) -> None:
        """Offer freshly computed rows of distinct texts (looked up with :meth:`get` first).

        Texts seen before are kept while there is room; then each takes the place of a less
        frequent entry, or is not kept.
        """
        if not self.max_bytes or not texts:
            return
        keys = _keys(texts)
        freq = self._sketch.estimate(keys)
        order = np.flatnonzero(freq >= 2)
        order = order[np.argsort(-freq[order], kind="stable")]  # most frequent first
        victims: list[int] = []
        victim_freq = np.zeros(0, dtype=np.int64)
        v = 0  # next victim
        for i, k in enumerate(order.tolist()):
            text = texts[k]
            if text in self._index:
                continue
            size = text_bytes(text) + ENTRY_OVERHEAD
            if self._rows.nbytes + size > self.max_bytes:
                continue  # too long for the budget on its own
            while not self._fits(size):
                if v >= len(victims):  # full: entries that could make room, least frequent first
                    victims, victim_freq = self._least_frequent(min(len(order) - i, 256))
                    v = 0
                if not victims or freq[k] <= victim_freq[v] + ADMIT_MARGIN:
                    return  # the rest are no more frequent than what they would replace
                self._remove(victims[v])
                v += 1
            self._insert(text, keys[k], values[k])

    def _fits(self, size: int) -> bool:
        return self.nbytes + size + self._growth() <= self.max_bytes

    def _least_frequent(self, wanted: int) -> tuple[list[int], np.ndarray]:
        """Rows that could make room for ``wanted`` newcomers, least frequent first, and their
        counts: the least frequent of a random sample of the entries (as Redis evicts), which
        costs the same however large the cache is."""
        held = np.flatnonzero(self._held)
        sample = SAMPLE_PER_VICTIM * wanted + 64
        if sample < len(held):
            picked = np.zeros(len(self._held), dtype=bool)  # a row drawn twice counts once
            picked[held[self._rng.integers(0, len(held), sample)]] = True
            held = np.flatnonzero(picked)
        freq = self._sketch.estimate(self._keys[held])
        order = np.argsort(freq, kind="stable")[: 2 * wanted + 16]  # some take two: sizes vary
        return held[order].tolist(), freq[order]

    def _insert(self, text: str, key: np.int64, row: np.ndarray) -> None:
        if self._free:
            r = self._free.pop()
            self._texts[r] = text
        else:
            r = len(self._texts)
            if r >= self._rows.shape[0]:
                n = self._grown_rows()
                grown, keys = np.empty((n, self.width)), np.zeros(n, dtype=np.int64)
                held = np.zeros(n, dtype=bool)
                grown[:r], keys[:r], held[:r] = self._rows[:r], self._keys[:r], self._held[:r]
                self._rows, self._keys, self._held = grown, keys, held
            self._texts.append(text)
        self._rows[r] = row
        self._keys[r] = key
        self._held[r] = True
        self._index[text] = r
        self._text_bytes += text_bytes(text)

    def _remove(self, r: int) -> None:
        text = self._texts[r]
        assert text is not None
        del self._index[text]
        self._text_bytes -= text_bytes(text)
        self._texts[r] = None
        self._held[r] = False
        self._free.append(r)

    def _grown_rows(self) -> int:
        """Rows of the array once grown for one more entry: geometrically, up to the limit."""
        return min(self._max_rows, max(64, 2 * self._rows.shape[0]))

    def _growth(self) -> int:
        """Bytes the row array must grow by to take one more entry (more than the budget
        when it has reached its limit: an entry must be removed first)."""
        if self._free or len(self._texts) < self._rows.shape[0]:
            return 0
        if self._rows.shape[0] >= self._max_rows:
            return self.max_bytes + 1
        return (self._grown_rows() - self._rows.shape[0]) * 8 * self.width
