"""Paragraphs of documents -> feature matrices for the two stages of the model.

Stage 1 sees each paragraph's text (word and character n-grams) and its layout and
neighbourhood (:mod:`detector.layout`). Stage 2 sees the stage-1 scores of the paragraph and of
its neighbours, so a heading followed by prose stays while a lone "Reply" in a run of widget
lines goes.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .layout import LAYOUT_NAMES, doc_index, layout_features
from .textvec import CharHashTfidf, WordTfidf

__all__ = ["Standardizer", "TextFeatures", "context_scores", "CONTEXT_SCORE_NAMES"]


class Standardizer:
    """Mean / scale of dense columns, learnt at fit time (a tiny StandardScaler we can store)."""

    def fit(self, x: np.ndarray) -> Standardizer:
        self.mean_ = x.mean(axis=0)
        scale = x.std(axis=0)
        self.scale_ = np.where(scale > 1e-9, scale, 1.0)
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Standardise and clip to +-4: a linear model must not extrapolate from outliers."""
        return np.clip((x - self.mean_) / self.scale_, -4.0, 4.0)


class TextFeatures:
    """Word TF-IDF and hashed character TF-IDF of paragraph texts, side by side."""

    def __init__(self, use_chars: bool = True, char_weight: float = 0.7, min_df: int = 2):
        self.use_chars = use_chars
        self.char_weight = char_weight
        self.word = WordTfidf(min_df=min_df)
        self.char = CharHashTfidf()

    def fit(self, texts: list[str]) -> TextFeatures:
        self.word.fit(texts)
        if self.use_chars:
            self.char.fit(texts)
        return self

    @property
    def n_features(self) -> int:
        return self.word.n_features + (self.char.n_features if self.use_chars else 0)

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        blocks = [self.word.transform(texts)]
        if self.use_chars:
            blocks.append(self.char.transform(texts) * self.char_weight)
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    def feature_names(self) -> list[str]:
        names = [f"word:{t}" for t in self.word.terms_]
        if self.use_chars:
            names += [f"char#{i}" for i in range(self.char.n_features)]
        return names


CONTEXT_SCORE_NAMES = [
    "s1", "s1_prev1", "s1_next1", "s1_prev2", "s1_next2", "s1_prev3", "s1_next3",
    "s1_win2_mean", "s1_win5_mean", "s1_doc_mean", "s1_doc_min", "s1_doc_max",
    "s1_prev_min3", "s1_next_min3", "s1_prev_max3", "s1_next_max3",
]


def context_scores(margin: np.ndarray, lengths: list[int]) -> np.ndarray:
    """Stage-2 inputs: each paragraph's stage-1 margin next to its neighbours' margins.

    Missing neighbours (document edges) get the margin of a sure boilerplate paragraph (+4):
    pages usually begin and end with residue.
    """
    doc, pos, size = doc_index(lengths)
    n = len(margin)
    edge = 4.0
    padded = {}
    for k in (-3, -2, -1, 1, 2, 3):
        idx = np.arange(n) + k
        ok = (pos + k >= 0) & (pos + k < size)
        vals = np.full(n, edge)
        vals[ok] = margin[idx[ok]]
        padded[k] = vals
    cum = np.concatenate([[0.0], np.cumsum(margin)])
    first = np.arange(n) - pos

    def window_mean(w: int) -> np.ndarray:
        lo = np.maximum(pos - w, 0) + first
        hi = np.minimum(pos + w, size - 1) + first + 1
        return (cum[hi] - cum[lo]) / (hi - lo)

    doc_sum = np.bincount(doc, weights=margin, minlength=len(lengths))
    doc_mean = (doc_sum / np.maximum(np.asarray(lengths), 1))[doc]
    doc_min = np.full(len(lengths), np.inf)
    doc_max = np.full(len(lengths), -np.inf)
    np.minimum.at(doc_min, doc, margin)
    np.maximum.at(doc_max, doc, margin)
    prev3 = np.stack([padded[-1], padded[-2], padded[-3]])
    next3 = np.stack([padded[1], padded[2], padded[3]])
    return np.column_stack([
        margin, padded[-1], padded[1], padded[-2], padded[2], padded[-3], padded[3],
        window_mean(2), window_mean(5), doc_mean, doc_min[doc], doc_max[doc],
        prev3.min(0), next3.min(0), prev3.max(0), next3.max(0),
    ])


def layout_matrix(texts: list[str], lengths: list[int]) -> np.ndarray:
    """Raw layout features (see :data:`detector.layout.LAYOUT_NAMES`)."""
    return layout_features(texts, lengths)


__all__ += ["layout_matrix", "LAYOUT_NAMES"]
