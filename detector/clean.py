"""Decide and strip: turn texts into cleaned texts plus a per-paragraph account.

``Detector`` wraps a trained :class:`~detector.model.BoilerplateModel` with its threshold.
Removing a paragraph removes its whole line(s) and the blank run after it, so the cleaned text
keeps the original's layout; a text where nothing is removed comes back byte-identical.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .model import BoilerplateModel
from .segment import Span, Spans, normalize_paragraph, segment_batch

__all__ = ["Paragraph", "CleanResult", "Detector", "rebuild", "MARK_PREFIX"]

MARK_PREFIX = "[REMOVED {score:.2f}] "
#: texts per model call: larger batches amortise the per-call work, but their arrays fall out
#: of the CPU caches (measured: 64 cleans faster than 512 or 1,024 on one core)
MODEL_BATCH = 64
#: texts per batch handed to a worker process: large, since each hand-over costs the parent
BATCH_SIZE = 512


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of a cleaned text, as it stood in the original."""

    text: str  # original characters, text[start:end] of the input
    start: int
    end: int
    score: float  # P(boilerplate)
    removed: bool
    before: str = ""  # the original characters between the previous paragraph and this one


class CleanResult:
    """Cleaned text and the account of every paragraph of the original.

    Paragraph offsets, scores and decisions are kept as arrays; :attr:`paragraphs` builds the
    :class:`Paragraph` objects on first use. Results cross process boundaries in bulk, so this
    keeps them cheap to send back from worker processes.
    """

    __slots__ = ("text", "source", "starts", "ends", "scores", "removed_mask", "_paragraphs")

    def __init__(self, text: str, source: str, starts: np.ndarray, ends: np.ndarray,
                 scores: np.ndarray, removed_mask: np.ndarray):
        self.text = text  # the cleaned text
        self.source = source  # the original text
        self.starts, self.ends = starts, ends
        self.scores, self.removed_mask = scores, removed_mask
        self._paragraphs: list[Paragraph] | None = None

    def __getstate__(self):
        return (self.text, self.source, self.starts, self.ends, self.scores, self.removed_mask)

    def __setstate__(self, state):
        self.__init__(*state)

    def __repr__(self) -> str:
        return (f"CleanResult({len(self.starts)} paragraphs, {self.n_removed} removed, "
                f"{len(self.text)} chars kept)")

    @property
    def paragraphs(self) -> list[Paragraph]:
        if self._paragraphs is None:
            src, out, prev = self.source, [], 0
            for s, e, p, r in zip(self.starts.tolist(), self.ends.tolist(), self.scores.tolist(),
                                  self.removed_mask.tolist()):
                out.append(Paragraph(src[s:e], s, e, p, r, src[prev:s]))
                prev = e
            self._paragraphs = out
        return self._paragraphs

    @property
    def n_paragraphs(self) -> int:
        return len(self.starts)

    @property
    def n_removed(self) -> int:
        return int(np.count_nonzero(self.removed_mask))

    @property
    def after(self) -> str:
        """Original characters after the last paragraph."""
        return self.source[int(self.ends[-1]):] if len(self.ends) else self.source

    @property
    def removed(self) -> list[Paragraph]:
        return [p for p in self.paragraphs if p.removed]

    @property
    def kept(self) -> list[Paragraph]:
        return [p for p in self.paragraphs if not p.removed]

    def original(self) -> str:
        """The input text, rebuilt from the paragraphs and separators."""
        return "".join(p.before + p.text for p in self.paragraphs) + self.after

    def report(self, document: str) -> list[dict]:
        """One JSON-ready record per paragraph; ``after`` rides on the last record."""
        rows = []
        for i, p in enumerate(self.paragraphs):
            row = {"document": document, "index": i, **asdict(p)}
            row["score"] = round(p.score, 6)
            if i == len(self.paragraphs) - 1:
                row["after"] = self.after
            rows.append(row)
        return rows


def rebuild(text: str, spans: Sequence[Span] | Spans, keep: Sequence[bool]) -> str:
    """``text`` without the paragraphs whose ``keep`` is False.

    A removed paragraph takes its whole line(s) with it, plus the blank lines before it, so
    blank-line separated texts do not collect double gaps. Leading and trailing blanks of the
    text stay, a leading BOM included (even when the first line, which it starts, is removed).
    If the text's last line had no line end and is removed, the new last line loses its line
    end too. A text whose paragraphs are all removed becomes "".
    """
    mask = np.asarray(keep, dtype=bool).tobytes()  # one byte per paragraph, 1 = kept
    if 0 not in mask:
        return text
    if 1 not in mask:
        return ""
    if isinstance(spans, Spans):
        line_start, line_end = spans.line_start.tolist(), spans.line_end.tolist()
    else:
        line_start, line_end = [s.line_start for s in spans], [s.line_end for s in spans]
    first = mask.index(1)
    head = text[: line_start[0]]
    if first != 0 and not head and text.startswith("\ufeff"):
        head = "\ufeff"  # the BOM marks the file, not the removed first line
    # Each run of kept paragraphs is one slice: from the end of the paragraph before it (so
    # with the blank lines between) to the end of its last line; the first run starts at its
    # own first line.
    out = [head]
    a = first
    while a >= 0:
        b = mask.find(0, a)
        b = len(mask) if b < 0 else b
        out.append(text[line_start[a] if a == first else line_end[a - 1] : line_end[b - 1]])
        a = mask.find(1, b)
    out.append(text[line_end[-1] :])
    result = "".join(out)
    if not mask[-1] and not text[: line_end[-1]].endswith(("\n", "\r")):
        for terminator in ("\r\n", "\n", "\r"):
            if result.endswith(terminator):
                result = result[: -len(terminator)]
                break
    return result


def _result(text: str, spans: Spans, probs: np.ndarray, threshold: float,
            mark: bool) -> CleanResult:
    removed = probs >= threshold
    res = CleanResult("", text, spans.start, spans.end, np.asarray(probs, dtype=np.float64),
                      removed)
    if mark:
        res.text = _marked(text, res.paragraphs)
    else:
        res.text = rebuild(text, spans, ~removed)
    return res


def paragraph_texts(text: str, spans: Spans) -> list[str]:
    """The normalised text of each paragraph (what the model sees)."""
    raw = [text[s:e] for s, e in zip(spans.start.tolist(), spans.end.tolist())]
    if spans.single_spaced:  # only paragraphs of several lines need normalising
        if spans.one_line:
            return raw
        return [p if "\n" not in p else normalize_paragraph(p) for p in raw]
    return [normalize_paragraph(p) for p in raw]


def _marked(text: str, paragraphs: list[Paragraph]) -> str:
    """Everything kept; each removed paragraph prefixed with ``[REMOVED score]``."""
    out, prev = [], 0
    for p in paragraphs:
        out.append(text[prev:p.start])
        if p.removed:
            out.append(MARK_PREFIX.format(score=p.score))
        out.append(p.text)
        prev = p.end
    out.append(text[prev:])
    return "".join(out)


class Detector:
    """A trained model plus its decision threshold: the object ingestion code works with.

    >>> import detector
    >>> det = detector.load()
    >>> det.clean("Real prose about markets.\\nAd\\n").text      # doctest: +SKIP
    """

    def __init__(self, model: BoilerplateModel, threshold: float | None = None,
                 path: str | Path | None = None):
        self.model = model
        self.threshold = float(model.threshold if threshold is None else threshold)
        self.path = Path(path) if path else None

    @property
    def card(self) -> dict:
        return getattr(self.model, "card", {})

    def score(self, paragraphs: Sequence[str]) -> np.ndarray:
        """P(boilerplate) of each paragraph of ONE document, given in order."""
        if isinstance(paragraphs, str):
            raise TypeError("score() takes the paragraphs of one document (a list of str); "
                            "use clean() for a whole text")
        texts = [normalize_paragraph(p) for p in paragraphs]
        return self.model.predict_proba([texts])[0]

    def score_many(self, documents: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """``score`` for several documents at once (one batched model call)."""
        return self.model.predict_proba([[normalize_paragraph(p) for p in d] for d in documents])

    def clean_batch(self, texts: Sequence[str], mark: bool = False) -> list[CleanResult]:
        """Clean several texts, with one model call per :data:`MODEL_BATCH` of them."""
        if len(texts) > MODEL_BATCH:
            return [res for i in range(0, len(texts), MODEL_BATCH)
                    for res in self._clean_slice(texts[i:i + MODEL_BATCH], mark)]
        return self._clean_slice(texts, mark)

    def _clean_slice(self, texts: Sequence[str], mark: bool) -> list[CleanResult]:
        spans = segment_batch(texts)
        docs = [paragraph_texts(t, sp) for t, sp in zip(texts, spans)]
        probs = self.model.predict_proba(docs)
        return [_result(t, sp, p, self.threshold, mark) for t, sp, p in zip(texts, spans, probs)]

    def clean(self, text: str, mark: bool = False) -> CleanResult:
        """Remove the boilerplate paragraphs of ``text`` (``mark=True``: keep and mark them)."""
        if not isinstance(text, str):
            raise TypeError(f"clean() takes a str, not {type(text).__name__}")
        return self.clean_batch([text], mark)[0]

    def clean_many(self, texts: Iterable[str], n_jobs: int = 1, batch_size: int = BATCH_SIZE,
                   mark: bool = False) -> Iterator[CleanResult]:
        """Clean a stream of texts lazily, in order, on ``n_jobs`` processes (-1: all cores).

        At most ``2 * n_jobs`` batches are in flight, so memory stays bounded however long the
        stream is.
        """
        n_jobs = os.cpu_count() or 1 if n_jobs in (-1, 0) else max(1, n_jobs)
        batches = _batched(texts, batch_size)
        if n_jobs == 1:
            for batch in batches:
                yield from self.clean_batch(batch, mark)
            return
        from .parallel import clean_arrays, map_ordered

        jobs = ((batch, mark) for batch in batches)
        for (batch, _), packed in map_ordered(self, clean_arrays, jobs, n_jobs):
            yield from _rejoin(batch, packed)


def _rejoin(batch: list[str], packed) -> Iterator[CleanResult]:
    """Results from a worker (without their source texts) joined to the batch they came from."""
    texts, counts, (starts, ends, scores, removed) = packed
    stops = np.cumsum(counts).tolist()
    for source, text, n, stop in zip(batch, texts, counts.tolist(), stops):
        part = slice(stop - n, stop)
        yield CleanResult(text, source, starts[part], ends[part], scores[part], removed[part])


def _batched(items: Iterable[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
