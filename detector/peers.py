"""Baseline boilerplate classifiers to compare the detector against.

Every peer is a function ``(paragraphs: list[str]) -> np.ndarray`` of bool, one entry per
paragraph of ONE document, ``True`` meaning boilerplate (the same orientation as the detector's
``removed``):

* :func:`c4_line_rules` -- the line heuristics of C4 (Raffel et al. 2020, "Exploring the Limits
  of Transfer Learning with a Unified Text-to-Text Transformer", the Colossal Clean Crawled
  Corpus), one paragraph = one line.
* :func:`justext_paragraphs` -- jusText (Pomikálek 2011) on the paragraphs wrapped in ``<p>``.

``PEERS`` maps short names to them. jusText is an optional dependency
(``pip install detector[peers]``); this module imports it only when that peer is called.
"""

from __future__ import annotations

import difflib
import functools
import html
import re
from collections.abc import Sequence

import numpy as np

__all__ = ["c4_line_rules", "justext_paragraphs", "PEERS", "C4_POLICY_SUBSTRINGS"]

# --------------------------------------------------------------------------------------------
# C4 line rules
# --------------------------------------------------------------------------------------------

C4_MIN_WORDS_PER_LINE = 3
C4_MIN_SENTENCES = 5
C4_MAX_WORD_LENGTH = 1000
# The policy substrings of C4's clean_page (TFDS c4_utils._POLICY_SUBSTRINGS); datatrove's
# C4QualityFilter uses the same list.
C4_POLICY_SUBSTRINGS = ("terms of use", "privacy policy", "cookie policy", "uses cookies",
                        "use of cookies", "use cookies")
_C4_CITATION = re.compile(r"\[\d*\]|\[edit\]|\[citation needed\]")
_TERMINAL = (".", "!", "?")
_CLOSING_QUOTES = "\"'”’»"
_ELLIPSES = ("...", "…")
# A sentence end: terminal punctuation run, optional closing quotes, then whitespace or the end.
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’»)\]]*(?=\s|$)")


def _ends_with_terminal(line: str) -> bool:
    """Ends in . ! ? possibly followed by closing quotes (``He said "no."`` and ``"Why?"``)."""
    core = line.rstrip(_CLOSING_QUOTES)
    return core.endswith(_TERMINAL) and not core.endswith(_ELLIPSES)


def _count_sentences(line: str) -> int:
    return max(1, len(_SENTENCE_END.findall(line)))


def c4_line_rules(paragraphs: Sequence[str], *, min_sentences: int = C4_MIN_SENTENCES) -> np.ndarray:
    """C4's line heuristics, one paragraph = one line; ``True`` = boilerplate (line dropped).

    Whitespace inside a paragraph (a hard-wrapped paragraph's line ends too) is collapsed, so
    each paragraph is judged as one line. Rules, checked in C4's order (TFDS ``clean_page``):

    Line rules -- the paragraph is boilerplate when it

    1. has a "word" (whitespace-separated token) longer than 1000 characters;
    2. (after removing Wikipedia citation marks ``[1]``, ``[edit]``, ``[citation needed]``)
       does not end in a terminal punctuation mark ``.``, ``!`` or ``?``, optionally followed by
       closing quotes (``"`` ``'`` ``”`` ``’`` ``»``), or ends in an ellipsis (``...``, ``…``).
       Original C4 accepted any line ending in ``"``; here the quote must close a sentence;
    3. has fewer than 3 words;
    4. contains "javascript" (any case) -- C4's "JavaScript must be enabled" notices;
    5. contains one of the cookie / policy phrases of C4 (any case): "terms of use",
       "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies".

    Page rules -- every paragraph is boilerplate (C4 dropped the whole page) when

    6. a line that passed rules 1-3 contains "lorem ipsum" (any case);
    7. a line that passed rules 1-4 contains a curly bracket ``{``;
    8. the kept lines hold fewer than ``min_sentences`` (default 5) sentences in total.
       Sentences are counted with a regex (terminal punctuation followed by a space or the
       end), where C4 used NLTK's punkt tokenizer.

    Not implemented (page filters, not boilerplate detection): the bad-words list, language
    identification and C4's de-duplication of repeated three-sentence spans.
    """
    n = len(paragraphs)
    boiler = np.ones(n, dtype=bool)
    sentences = 0
    for i, raw in enumerate(paragraphs):
        line = " ".join(raw.split())
        if any(len(w) > C4_MAX_WORD_LENGTH for w in line.split()):
            continue
        line = _C4_CITATION.sub("", line).strip()
        if not _ends_with_terminal(line):
            continue
        if len(line.split()) < C4_MIN_WORDS_PER_LINE:
            continue
        lower = line.lower()
        if "lorem ipsum" in lower:
            return np.ones(n, dtype=bool)
        if "javascript" in lower:
            continue
        if "{" in line:
            return np.ones(n, dtype=bool)
        if any(p in lower for p in C4_POLICY_SUBSTRINGS):
            continue
        sentences += _count_sentences(line)
        boiler[i] = False
    if sentences < min_sentences:
        boiler[:] = True
    return boiler


# --------------------------------------------------------------------------------------------
# jusText
# --------------------------------------------------------------------------------------------

# Characters lxml refuses or drops (XML-invalid controls, lone surrogates, non-characters).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_PAGE_HEAD = '<!DOCTYPE html><html><head><meta charset="utf-8"><title></title></head><body>\n'
_PAGE_TAIL = "</body></html>"


def _import_justext():
    try:
        import justext
    except ImportError as exc:
        raise ImportError("the jusText peer needs the jusText package: "
                          "pip install detector[peers]  (or: pip install jusText)") from exc
    return justext


@functools.lru_cache(maxsize=32)
def _stoplist(language: str) -> frozenset:
    return _import_justext().get_stoplist(language)


def _squash(text: str) -> str:
    return " ".join(text.split())


def _align(inputs: list[str], outputs: list[str]) -> list[int | None]:
    """For each input text, the index of its jusText paragraph (or None if it has none).

    Identical sequences map one to one; otherwise empty inputs get None and the others are
    aligned with difflib, inputs in a replaced stretch being paired with the outputs there in
    order.
    """
    if inputs == outputs:
        return list(range(len(inputs)))
    mapping: list[int | None] = [None] * len(inputs)
    texted = [i for i, t in enumerate(inputs) if t]  # jusText makes no paragraph of an empty <p>
    matcher = difflib.SequenceMatcher(None, [inputs[i] for i in texted], outputs, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("equal", "replace"):
            for k in range(min(i2 - i1, j2 - j1)):
                mapping[texted[i1 + k]] = j1 + k
    return mapping


def justext_paragraphs(paragraphs: Sequence[str], language: str = "English",
                       **options) -> np.ndarray:
    """jusText's verdict on each paragraph; ``True`` = boilerplate (``is_boilerplate``).

    The paragraphs are HTML-escaped, each put in its own ``<p>`` of a minimal HTML page, and
    classified with ``justext.justext(page, justext.get_stoplist(language), **options)``
    (``options``: jusText's ``length_low``, ``stopwords_high``, ... keywords). jusText returns
    one paragraph per non-empty ``<p>``; they are mapped back to the inputs by order and
    (whitespace-normalised) text. An input with no jusText paragraph -- one with no text --
    counts as boilerplate. Raises ImportError (naming ``pip install detector[peers]``) when
    jusText is not installed and ValueError for a language jusText has no stoplist for.
    """
    justext = _import_justext()
    stoplist = _stoplist(language)
    n = len(paragraphs)
    if n == 0:
        return np.zeros(0, dtype=bool)
    clean = [_XML_INVALID.sub(" ", p) for p in paragraphs]
    page = _PAGE_HEAD + "".join(f"<p>{html.escape(p, quote=False)}</p>\n" for p in clean) + _PAGE_TAIL
    result = justext.justext(page, stoplist, **options)
    mapping = _align([_squash(p) for p in clean], [_squash(r.text) for r in result])
    return np.array([True if j is None else bool(result[j].is_boilerplate) for j in mapping],
                    dtype=bool)


PEERS = {"c4": c4_line_rules, "justext": justext_paragraphs}
