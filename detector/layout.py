"""Shallow layout and context features of paragraphs, as boilerpipe and jusText use.

Everything is computed for a whole batch of documents at once: the paragraphs are joined into
one code-point array, each character gets a class from a lookup table, and per-paragraph counts
are ``np.bincount`` calls. Context (neighbours, position, distance to the main text block,
repetition inside the document) uses the document boundaries of the batch, never other documents,
so a paragraph's features do not depend on how documents were batched.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np

__all__ = ["layout_features", "self_features", "LAYOUT_NAMES", "SELF_NAMES", "doc_index"]

# Character classes of the lookup table.
UPPER, LOWER, DIGIT, PUNCT, SYMBOL, SPACE, CJK, OTHER_LETTER, OTHER = range(9)
# Flag bits of the second lookup table.
F_CURRENCY, F_QUOTE, F_SENT_END, F_BULLET, F_CLOSER, F_DATE_SEP, F_OPEN_END, F_COLON = (
    1, 2, 4, 8, 16, 32, 64, 128)
_FLAG_CHARS = {
    F_CURRENCY: "$€£¥₹₩₽¢₺₪฿",
    F_QUOTE: "\"“”«»„「」",
    F_SENT_END: ".!?。！？…",
    F_BULLET: "•·▪►▶◦‣-–—*+>|»◆■□●○✓✔★☆",
    F_CLOSER: "\"'”’»)]」』",
    F_DATE_SEP: "-/.:",
    F_OPEN_END: ",;-–(",
    F_COLON: ":：",
}
_ELLIPSIS = "..."
_PAREN_COUNT = re.compile(r"\(\d+\)\s*$|\[\d+\]")


@lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, np.ndarray]:
    """Class and flags of every BMP code point (computed once, about 50 ms)."""
    table = np.full(0x10000, OTHER, dtype=np.uint8)
    for cp in range(0x10000):
        cat = unicodedata.category(chr(cp))
        if 0x3040 <= cp <= 0x30FF or 0x3400 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF or \
                0xAC00 <= cp <= 0xD7AF:
            table[cp] = CJK
        elif cat in ("Lu", "Lt"):
            table[cp] = UPPER
        elif cat == "Ll":
            table[cp] = LOWER
        elif cat[0] in "LM":
            table[cp] = OTHER_LETTER
        elif cat == "Nd":
            table[cp] = DIGIT
        elif cat[0] == "P":
            table[cp] = PUNCT
        elif cat[0] == "S":
            table[cp] = SYMBOL
        elif cat[0] == "Z" or chr(cp).isspace():
            table[cp] = SPACE
    flags = np.zeros(0x10000, dtype=np.uint8)
    for bit, chars in _FLAG_CHARS.items():
        for ch in chars:
            flags[ord(ch)] |= bit
    return table, flags


def _literal_starts(text: str, literal: str) -> list[int]:
    """Positions of ``literal`` in ``text`` (str.find is far faster than a regex scan)."""
    out, i = [], text.find(literal)
    while i >= 0:
        out.append(i)
        i = text.find(literal, i + 1)
    return out


def _per_paragraph(positions: list[int], bounds: np.ndarray) -> np.ndarray:
    """How many of ``positions`` (offsets into the joined batch) fall in each paragraph."""
    n = len(bounds) - 1
    if not positions:
        return np.zeros(n)
    para = np.searchsorted(bounds, np.asarray(positions), side="right") - 1
    return np.bincount(para, minlength=n)[:n].astype(np.float64)


def doc_index(lengths: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For paragraphs of documents with ``lengths`` paragraphs: doc id, position, doc size."""
    sizes = np.asarray(lengths, dtype=np.int64)
    doc = np.repeat(np.arange(len(sizes)), sizes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    pos = np.arange(int(sizes.sum()), dtype=np.int64) - np.repeat(starts, sizes)
    return doc, pos, np.repeat(sizes, sizes)


SELF_NAMES = [
    "log_chars", "log_words", "mean_word_len", "digit_ratio", "upper_ratio", "punct_ratio",
    "symbol_ratio", "cjk_ratio", "title_ratio", "ends_terminal", "ends_colon", "ends_open",
    "starts_bullet", "starts_lower", "starts_digit", "ellipsis_short", "question_marks_short",
    "urls_short", "at_sign_short", "hashtags_short", "currency_short", "dates", "pipes_short",
    "paren_count_short", "copyright_short", "sentences",
    "quote_marks", "counter_like", "len_le3w", "len_4_8w", "len_9_20w", "len_21_50w", "len_gt50w",
]
# No document-wide features (length, share of short lines): in a labelled corpus the long
# documents are the full-page dumps, mostly boilerplate, and a model that sees them learns to
# strip more of every long page (on real full pages the document length alone doubled the
# content lost, with cross-validation unchanged).
CONTEXT_NAMES = [
    "rel_pos", "pos_capped", "from_end_capped", "is_first", "is_last", "char_frac_before",
    "in_main_span", "log_dist_long", "long_density_3", "long_density_8",
    "log_repeats", "same_shape_run", "wrap_joins",
]
NEIGHBOUR_BASE = ["log_chars", "ends_terminal", "title_ratio", "digit_ratio", "starts_bullet",
                  "counter_like", "dates", "is_long"]
NEIGHBOUR_NAMES = [f"{side}_{name}" for side in ("prev1", "next1", "prev2", "next2")
                   for name in NEIGHBOUR_BASE + ["missing"]]
LAYOUT_NAMES = SELF_NAMES + CONTEXT_NAMES + NEIGHBOUR_NAMES
#: default paragraph length (words) at which the short-line marks stop counting
SHORT_WORDS = 40.0


def _self_features(texts: list[str], short_words: float) -> np.ndarray:
    n = len(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    bounds = np.concatenate([[0], np.cumsum(lengths + 1)])  # +1: the "\n" joiner
    starts, ends = bounds[:-1], bounds[:-1] + lengths
    joined = "\n".join(texts) + "\n"
    cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    table, flag_table = _tables()
    clipped = np.minimum(cps, 0xFFFF)
    cls, flags = table[clipped], flag_table[clipped]
    cls[cps > 0xFFFF] = SYMBOL  # emoji and other astral symbols

    def count(mask: np.ndarray) -> np.ndarray:
        # Each paragraph's slice runs up to the next one's start: it takes in the "\n" joiner,
        # which no mask marks (it is SPACE, has no flags, is no digit), and is never empty.
        return np.add.reduceat(mask, starts, dtype=np.int64).astype(np.float64)

    def at(index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Class and flags of the character at ``index`` of each paragraph (SPACE if empty)."""
        ok = lengths > 0
        c = np.full(n, SPACE, dtype=np.uint8)
        f = np.zeros(n, dtype=np.uint8)
        c[ok], f[ok] = cls[index[ok]], flags[index[ok]]
        return c, f

    chars = np.maximum(lengths, 1).astype(np.float64)
    upper, lower = count(cls == UPPER), count(cls == LOWER)
    letters = upper + lower + count(cls == OTHER_LETTER)
    digit = cls == DIGIT
    wordish = (cls == UPPER) | (cls == LOWER) | (cls == OTHER_LETTER) | digit
    word_start = wordish.copy()
    word_start[1:] &= ~wordish[:-1]
    n_word_starts = count(word_start)
    cjk = count(cls == CJK)
    words = n_word_starts + cjk / 2.0
    first_cls, first_flags = at(starts)
    last_cls, last_flags = at(ends - 1)
    _, before_last_flags = at(np.maximum(ends - 2, starts))
    ends_terminal = (last_flags & F_SENT_END > 0) | (
        (last_flags & F_CLOSER > 0) & (before_last_flags & F_SENT_END > 0))
    ends_open = (last_flags & F_OPEN_END > 0) | np.isin(last_cls, [UPPER, LOWER, OTHER_LETTER,
                                                                   DIGIT, CJK])
    # Numeric dates and times: digit, one of - / . :, digit ("09-02", "12/03/2024", "14:30").
    date_like = np.zeros(len(cps), dtype=bool)
    date_like[:-2] = digit[:-2] & (flags[1:-1] & F_DATE_SEP > 0) & digit[2:]
    date_like[1:] &= ~date_like[:-1]
    # CJK dates: digits before 年 / 月 / 日 (one \d+[年月日] match per such character)
    date_mark = np.flatnonzero((cps[1:] == 0x5E74) | (cps[1:] == 0x6708) | (cps[1:] == 0x65E5))
    cjk_dates = [i + 1 for i in date_mark.tolist()
                 if digit[i] or (cps[i] > 0xFFFF and chr(cps[i]).isdecimal())]
    hashtags = [i for i in _literal_starts(joined, "#") if joined[i + 1].isalnum()]
    urls = _literal_starts(joined, "://") + _literal_starts(joined, "www.")
    paren_count = [bool(_PAREN_COUNT.search(t)) if "(" in t or "[" in t else False for t in texts]
    wc = words
    short = _short_weight(words, short_words)
    feats = [
        np.log1p(lengths), np.log1p(words), chars / np.maximum(words, 1) / 10.0,
        count(digit) / chars, upper / np.maximum(letters, 1), count(cls == PUNCT) / chars,
        count(cls == SYMBOL) / chars, cjk / chars,
        count(word_start & (cls == UPPER)) / np.maximum(n_word_starts, 1),
        ends_terminal, last_flags & F_COLON > 0, ends_open, first_flags & F_BULLET > 0,
        first_cls == LOWER, first_cls == DIGIT,
        # Marks that decide a short line ("Read more...", "© 2025", "| Share", a URL) but say
        # little inside long prose: each is scaled down as the paragraph grows.
        short * np.minimum(_per_paragraph(_literal_starts(joined, _ELLIPSIS), bounds)
                           + count(cps == 0x2026), 3),
        short * np.minimum(count((cps == 0x3F) | (cps == 0x21) | (cps == 0xFF1F)), 3),
        short * np.minimum(_per_paragraph(urls, bounds), 1),
        short * np.log1p(count(cps == 0x40)),
        short * np.log1p(_per_paragraph(hashtags, bounds)),
        short * np.minimum(count(flags & F_CURRENCY > 0), 3),
        np.log1p(count(date_like) + _per_paragraph(cjk_dates, bounds)),
        short * np.log1p(count(cps == 0x7C)),
        short * np.array(paren_count),
        short * np.minimum(count((cps == 0xA9) | (cps == 0xAE)), 2),
        np.minimum(count(flags & F_SENT_END > 0) / np.maximum(words, 1) * 10, 3),
        np.minimum(count(flags & F_QUOTE > 0), 4),
        (lengths <= 12) & (letters <= 2),
        wc <= 3, (wc > 3) & (wc <= 8), (wc > 8) & (wc <= 20), (wc > 20) & (wc <= 50), wc > 50,
    ]
    return np.column_stack([np.asarray(f, dtype=np.float64) for f in feats])


def _shift(values: np.ndarray, doc: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``values`` of the paragraph ``k`` places away in the same document (0 and missing=1)."""
    n, m = len(doc), len(doc) - abs(k)
    ok = np.zeros(n, dtype=bool)
    out = np.zeros_like(values)
    if m > 0:  # slices instead of fancy indexing: this runs a dozen times per batch
        dst, src = (slice(0, m), slice(k, n)) if k > 0 else (slice(-k, n), slice(0, m))
        ok[dst] = doc[dst] == doc[src]
        out[dst] = values[src]
        out[~ok] = 0
    return out, (~ok).astype(np.float64)


def _context(texts: list[str], selff: np.ndarray, lengths: list[int]
             ) -> tuple[np.ndarray, np.ndarray]:
    """Position, main-text-span, density, repetition and run features; also the is-long mask."""
    doc, pos, size = doc_index(lengths)
    n = len(doc)
    # Whole numbers again (expm1(log1p(150)) is not exactly 150): "150 characters or more"
    # must hold for 150, and running sums of whole numbers do not depend on the batch.
    chars = np.rint(np.expm1(selff[:, SELF_NAMES.index("log_chars")]))
    terminal = selff[:, SELF_NAMES.index("ends_terminal")]
    is_long = (chars >= 150) & (terminal > 0) | (chars >= 400)
    doc_first = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)[doc]
    idx = np.arange(n)
    # Main text span: from the first to the last long paragraph of the document.
    long_idx = np.where(is_long, idx, -1)
    last_long = np.maximum.accumulate(long_idx) if n else long_idx
    last_long = np.where(last_long >= doc_first, last_long, -1)
    rev = np.where(is_long, idx, n)[::-1]
    next_long = np.minimum.accumulate(rev)[::-1] if n else rev
    doc_last = doc_first + size - 1
    next_long = np.where(next_long <= doc_last, next_long, -1)
    has_prev, has_next = last_long >= 0, next_long >= 0
    dist = np.full(n, 1000.0)
    dist[has_prev] = idx[has_prev] - last_long[has_prev]
    dist = np.where(has_next, np.minimum(dist, next_long - idx), dist)
    in_main = has_prev & has_next
    # Share of characters in long paragraphs within a window around each paragraph.
    cum_all = np.concatenate([[0.0], np.cumsum(chars)])
    cum_long = np.concatenate([[0.0], np.cumsum(chars * is_long)])

    def density(w: int) -> np.ndarray:
        lo = np.maximum(idx - w, doc_first)
        hi = np.minimum(idx + w, doc_last) + 1
        return (cum_long[hi] - cum_long[lo]) / np.maximum(cum_all[hi] - cum_all[lo], 1.0)

    doc_chars = np.bincount(doc, weights=chars, minlength=len(lengths))[doc]
    before = cum_all[idx] - cum_all[doc_first]
    # Repetition inside the document: equal texts of one document share a key (text hash
    # mixed with the document number; a 64-bit collision is as unlikely as one of hash()).
    keys = np.fromiter(map(hash, texts), dtype=np.int64, count=n).view(np.uint64)
    keys = keys + doc.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    repeats = counts[inverse] - 1
    # Runs of paragraphs of the same rough shape (menus, lists of links, date runs).
    shape = np.minimum(chars // 25, 4) * 2 + terminal
    same_prev = np.zeros(n, dtype=bool)
    same_prev[1:] = (shape[1:] == shape[:-1]) & (doc[1:] == doc[:-1])
    run = np.zeros(n)
    for k in (1, 2, 3):
        a, _ = _shift(same_prev.astype(np.float64), doc, -k + 1)
        b, _ = _shift(same_prev.astype(np.float64), doc, k)
        run += a + b
    # Hard-wrapped text (plain-text pages, mail archives, <br>-broken posts): a line that goes
    # on in lower case after an open-ended line, or ends open before such a line, is a piece of
    # a longer paragraph. The open line must be long enough to have been wrapped (a menu item
    # ends open too). 0, 1 or 2 joins.
    opened = selff[:, SELF_NAMES.index("ends_open")] * (chars >= 30)
    lower = selff[:, SELF_NAMES.index("starts_lower")]
    prev_open, _ = _shift(opened, doc, -1)
    next_lower, _ = _shift(lower, doc, 1)
    joins = prev_open * lower + opened * next_lower
    return np.column_stack([
        pos / np.maximum(size - 1, 1), np.minimum(pos, 20) / 20, np.minimum(size - 1 - pos, 20) / 20,
        pos == 0, pos == size - 1, before / np.maximum(doc_chars, 1.0), in_main,
        np.log1p(dist), density(3), density(8), np.log1p(repeats), run / 6.0, joins,
    ]).astype(np.float64), is_long


def _short_weight(words: np.ndarray, short_words: float) -> np.ndarray:
    """Weight of the short-line marks ("...", "?", a URL, "|", "©") by paragraph length.

    1 on a one-word line, ``(1 - words / short_words) ** 2`` down to 0 at ``short_words``
    words. A slow fade (``1 / (1 + words / 15)``, ``short_words=0``, kept for older model files) left
    a URL or an ellipsis in a 200-word paragraph several standard deviations above the
    corpus mean, so it alone could strip article prose that cites a link.
    """
    if short_words <= 0:
        return 1.0 / (1.0 + words / 15.0)
    return np.clip(1.0 - words / short_words, 0.0, 1.0) ** 2


def self_features(texts: list[str], short_words: float = SHORT_WORDS) -> np.ndarray:
    """The ``SELF_NAMES`` columns: features of each paragraph's own text, whatever its context.

    ``short_words``: paragraph length (in words) at which the short-line marks stop counting
    (see :func:`_short_weight`).
    """
    if not texts:
        return np.zeros((0, len(SELF_NAMES)))
    return _self_features(texts, short_words)


def layout_features(texts: list[str], lengths: list[int], selff: np.ndarray | None = None,
                    short_words: float = SHORT_WORDS) -> np.ndarray:
    """Dense feature matrix (paragraphs x ``LAYOUT_NAMES``) for documents of ``lengths`` paragraphs.

    ``texts`` are all paragraphs of the batch in order; ``lengths`` how many each document has.
    ``selff``: their :func:`self_features`, when the caller already has them (from a cache).
    """
    if not texts:
        return np.zeros((0, len(LAYOUT_NAMES)))
    if selff is None:
        selff = self_features(texts, short_words)
    ctx, is_long = _context(texts, selff, lengths)
    doc, _, _ = doc_index(lengths)
    base = np.column_stack([selff[:, SELF_NAMES.index(b)] for b in NEIGHBOUR_BASE[:-1]] + [is_long])
    neigh = []
    for k in (-1, 1, -2, 2):
        vals, missing = _shift(base, doc, k)
        neigh.append(np.column_stack([vals, missing]))
    return np.column_stack([selff, ctx] + neigh)
