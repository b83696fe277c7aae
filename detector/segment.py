"""Split text into paragraphs with exact character offsets into the original.

A paragraph is one non-blank line, or several lines of hard-wrapped prose joined together.
Everything between paragraphs (line ends, blank or whitespace-only lines, indentation, a BOM)
is a separator, so ``rebuild(text, segment(text))`` gives back the input exactly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

__all__ = ["Span", "Spans", "segment", "segment_arrays", "segment_batch", "normalize_paragraph",
           "BLANK_CHARS"]

# Characters that make a line "blank": Unicode whitespace (NBSP included) plus BOM and zero-widths.
BLANK_CHARS = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005" \
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff\u200b\u200c\u200d\u2060"
_BULLET = re.compile(r"^(?:[-*•·▪►▶◦‣–—+]|\d{1,3}[.)]|[a-z][.)])\s")

# Hard-wrap detection: a block whose longest line is this wide is treated as wrapped prose.
MIN_WRAP_WIDTH = 40
MAX_WRAP_WIDTH = 120
FULL_LINE_RATIO = 0.75


class Span(NamedTuple):
    """One paragraph: ``text[start:end]`` of the original, first and last non-blank characters."""

    start: int
    end: int
    line_start: int  # start of the paragraph's first line (indentation included)
    line_end: int  # end of its last line, line terminator included


@dataclass(frozen=True)
class Spans:
    """The paragraphs of one text as four int64 arrays (the fields of :class:`Span`)."""

    start: np.ndarray
    end: np.ndarray
    line_start: np.ndarray
    line_end: np.ndarray
    #: the text has no whitespace but single spaces and line ends, so a one-line paragraph
    #: is already normalised (see :func:`normalize_paragraph`)
    single_spaced: bool = False
    #: every paragraph lies within one line (no hard-wrapped lines were joined)
    one_line: bool = False

    def __len__(self) -> int:
        return len(self.start)

    def to_list(self) -> list[Span]:
        columns = (self.start, self.end, self.line_start, self.line_end)
        return [Span(*row) for row in zip(*(a.tolist() for a in columns))]


_BLANK_TABLE = np.zeros(0x10000, dtype=bool)
_BLANK_TABLE[[ord(c) for c in BLANK_CHARS]] = True
# str.islower() of each BMP character; astral characters count as lower case (see segment_batch).
_LOWER_TABLE = np.array([chr(c).islower() for c in range(0x10000)] + [True], dtype=bool)


def _line_arrays(joined: str, offsets: np.ndarray, lengths: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(line_start, line_end_with_terminator, content_start, content_end) of each non-blank line
    of the texts joined in ``joined`` (each followed by one ``\n``, text k at ``offsets[k]``),
    whether each line may start in lower case, and for each text whether it is single-spaced
    (see :class:`Spans`).

    Lines end at ``\n``, ``\r\n`` or ``\r``; a line's content runs from its first to its last
    non-blank character. Computed on the code-point array, with no Python step per line.
    """
    cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    blank = _BLANK_TABLE[np.minimum(cps, 0xFFFF)]
    space = cps == 0x20
    breaks = cps == 0x0A
    # Per text (its slice runs to the next text and takes in the "\n" joiner, which counts as
    # blank and as a break alike): no blank but spaces and \n, and no two spaces in a row.
    other_blank = np.add.reduceat(blank & ~space & ~breaks, offsets)
    double = np.zeros(len(cps), dtype=bool)
    double[:-1] = space[:-1] & space[1:]
    single_spaced = (other_blank == 0) & (np.add.reduceat(double, offsets) == 0)
    if "\r" in joined:  # a lone \r ends a line too; the \r of \r\n does not end one of its own
        cr = cps == 0x0D
        cr[:-1] &= ~breaks[1:]
        breaks |= cr
    nonblank = np.flatnonzero(~blank)
    line_ends = np.flatnonzero(breaks) + 1  # each line's end, terminator included
    line = np.cumsum(breaks, dtype=np.int64)[nonblank]  # breaks before it (it is no break)
    first = np.ones(len(nonblank), dtype=bool)
    first[1:] = line[1:] != line[:-1]
    last = np.ones(len(nonblank), dtype=bool)
    last[:-1] = first[1:]
    k = line[first]
    bounds = np.concatenate([[0], line_ends, [len(cps)]])
    cs = nonblank[first]
    # A text's last line ends at the text's end, not after the joiner.
    text_end = (offsets + lengths)[np.searchsorted(offsets, cs, side="right") - 1]
    may_be_lower = _LOWER_TABLE[np.minimum(cps[cs], 0x10000)]
    return (bounds[k], np.minimum(bounds[k + 1], text_end), cs, nonblank[last] + 1, may_be_lower,
            single_spaced)


_TERMINAL = tuple(".!?:;…。！？」』\"”')")


def _fills_line(prev: str, nxt: str, width: int) -> bool:
    """Greedy-wrap test: ``prev`` is nearly full and ``nxt``'s first word would not have fitted."""
    words = nxt.split(None, 1)
    first_word = words[0] if words else ""
    return len(prev) >= FULL_LINE_RATIO * width and (
        len(prev) + 1 + len(first_word) > width - 2 or prev.endswith("-")
    )


def _is_wrapped_block(bodies: list[str], width: int) -> bool:
    """Hard-wrapped prose: most lines fill the width and many continue in lower case.

    A list of headlines or menu items can have lines of similar width too, but they start with a
    capital; wrapped sentences mostly go on with a lower-case word.
    """
    if len(bodies) < 2 or not MIN_WRAP_WIDTH <= width <= MAX_WRAP_WIDTH:
        return False
    pairs = list(zip(bodies, bodies[1:]))
    full = sum(_fills_line(a, b, width) for a, b in pairs)
    lower = sum(b[:1].islower() for _, b in pairs)
    if len(bodies) == 2:
        return full == 1 and lower == 1
    return full >= 0.5 * len(pairs) and lower >= 0.4 * len(pairs)


def _continues(prev: str, nxt: str, width: int) -> bool:
    """True when wrapped line ``prev`` goes on in ``nxt`` (same sentence, not a new bullet)."""
    if _BULLET.match(nxt) or not _fills_line(prev, nxt, width):
        return False
    return not (prev.endswith(_TERMINAL) and nxt[:1].isupper())


def _split_block(text: str, block: list[tuple[int, int, int, int]], width: int) -> list[Span]:
    """Split a run of non-blank lines (its widest line ``width`` long, within the wrap widths)
    into paragraphs, merging hard-wrapped lines."""
    bodies = [text[cs:ce] for _, _, cs, ce in block]
    wrapped = _is_wrapped_block(bodies, width)
    spans: list[Span] = []
    first = 0
    for i in range(len(block)):
        last = i == len(block) - 1
        if not last and wrapped and _continues(bodies[i], bodies[i + 1], width):
            continue
        spans.append(Span(block[first][2], block[i][3], block[first][0], block[i][1]))
        first = i + 1
    return spans


def segment(text: str) -> list[Span]:
    """Return the paragraphs of ``text`` in order, as offsets into it."""
    return segment_arrays(text).to_list()


def segment_arrays(text: str) -> Spans:
    """:func:`segment` as arrays (the form the cleaning path works with)."""
    return segment_batch([text])[0]


def segment_batch(texts: Sequence[str]) -> list[Spans]:
    """:func:`segment_arrays` of several texts, found in one pass over all of them.

    Each text is segmented exactly as on its own; batching only saves the fixed cost of the
    array work per text, which dominates for short texts.
    """
    if not texts:
        return []
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    offsets = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]])
    joined = "\n".join(texts) + "\n"
    ls, le, cs, ce, lower, single = _line_arrays(joined, offsets, lengths)
    # Blocks: runs of non-blank lines with no blank line between them (never across texts:
    # a text's last line ends before the joiner, so the next text's first line does not follow
    # it directly).
    new_block = np.ones(len(ls), dtype=bool)
    new_block[1:] = ls[1:] != le[:-1]
    firsts = np.flatnonzero(new_block)
    lasts = np.append(firsts[1:], len(ls))
    width = np.maximum.reduceat(ce - cs, firsts) if len(ls) else np.zeros(0, dtype=np.int64)
    wrappable = (lasts - firsts >= 2) & (width >= MIN_WRAP_WIDTH) & (width <= MAX_WRAP_WIDTH)
    # _is_wrapped_block needs enough lines that go on in lower case; a block with too few is
    # one paragraph per line, so the Python pass over its lines is skipped (same result).
    if wrappable.any():
        pairs = lasts - firsts - 1
        go_on = np.add.reduceat(lower, firsts) - lower[firsts]
        wrappable &= np.where(pairs == 1, go_on == 1, go_on >= 0.4 * pairs)
    columns = np.column_stack([cs, ce, ls, le])
    # Texts with a block that may be joined (a superset of those where lines were joined).
    joinable = np.zeros(len(texts), dtype=bool)
    joinable[np.searchsorted(offsets, ls[firsts[wrappable]], side="right") - 1] = True
    if wrappable.any():
        pieces, done = [], 0
        for f, la, w in zip(firsts[wrappable].tolist(), lasts[wrappable].tolist(),
                            width[wrappable].tolist()):
            pieces.append(columns[done:f])
            block = [(a, b, c, d) for c, d, a, b in columns[f:la].tolist()]
            pieces.append(np.array(_split_block(joined, block, w), dtype=np.int64).reshape(-1, 4))
            done = la
        pieces.append(columns[done:])
        columns = np.concatenate(pieces)
    cut = np.searchsorted(columns[:, 0], offsets)
    out = []
    for k, (lo, hi, off) in enumerate(zip(cut.tolist(), np.append(cut[1:], len(columns)).tolist(),
                                          offsets.tolist())):
        part = columns[lo:hi] - off
        out.append(Spans(part[:, 0], part[:, 1], part[:, 2], part[:, 3], bool(single[k]),
                         not joinable[k]))
    return out


def normalize_paragraph(raw: str) -> str:
    """The paragraph text the model sees: whitespace runs (wrapped line ends too) become one space."""
    return " ".join(raw.split()).strip(BLANK_CHARS)
