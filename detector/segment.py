"""Split text into paragraphs with exact character offsets into the original.

A paragraph is one non-blank line, or several lines of hard-wrapped prose joined together.
Everything between paragraphs (line ends, blank or whitespace-only lines, indentation, a BOM)
is a separator, so ``rebuild(text, segment(text))`` gives back the input exactly.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["Span", "segment", "normalize_paragraph", "BLANK_CHARS"]

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


# One match per non-blank line: its first to its last non-blank character (\r and \n are
# blank, so a match never crosses a line end).
_CONTENT = re.compile(f"[^{BLANK_CHARS}](?:[^\r\n]*[^{BLANK_CHARS}])?")
_NEWLINE = re.compile(r"\r\n?|\n")


def _lines(text: str) -> list[tuple[int, int, int, int]]:
    """(line_start, line_end_with_terminator, content_start, content_end) of each non-blank line.

    Found with one regex scan of the whole text (two when it has ``\r`` line ends) rather than
    a Python step per line.
    """
    contents = [m.span() for m in _CONTENT.finditer(text)]
    if not contents:
        return []
    if "\r" not in text:
        out = []
        for cs, ce in contents:
            nl = text.find("\n", ce)
            out.append((text.rfind("\n", 0, cs) + 1, len(text) if nl < 0 else nl + 1, cs, ce))
        return out
    ends = [m.end() for m in _NEWLINE.finditer(text)]  # line ends, terminators included
    out, k = [], 0
    for cs, ce in contents:
        while k < len(ends) and ends[k] <= cs:
            k += 1
        out.append((ends[k - 1] if k else 0, ends[k] if k < len(ends) else len(text), cs, ce))
    return out


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


def _split_block(text: str, block: list[tuple[int, int, int, int]]) -> list[Span]:
    """Split a run of non-blank lines into paragraphs, merging hard-wrapped lines."""
    width = max(ce - cs for _, _, cs, ce in block)
    if len(block) == 1 or not MIN_WRAP_WIDTH <= width <= MAX_WRAP_WIDTH:  # cannot be wrapped
        return [Span(cs, ce, ls, le) for ls, le, cs, ce in block]
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
    spans: list[Span] = []
    block: list[tuple[int, int, int, int]] = []
    for line in _lines(text):
        if block and line[0] != block[-1][1]:  # a blank line (or more) in between
            spans.extend(_split_block(text, block))
            block = []
        block.append(line)
    if block:
        spans.extend(_split_block(text, block))
    return spans


def normalize_paragraph(raw: str) -> str:
    """The paragraph text the model sees: whitespace runs (wrapped line ends too) become one space."""
    return " ".join(raw.split()).strip(BLANK_CHARS)
