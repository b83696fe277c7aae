"""Paragraphs of documents -> feature matrices for the two stages of the model.

Stage 1 sees each paragraph's text (word and character n-grams) and its layout and
neighbourhood (:mod:`detector.layout`). Stage 2 sees the stage-1 scores of the paragraph and of
its neighbours, so a heading followed by prose stays while a lone "Reply" in a run of widget
lines goes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .layout import LAYOUT_NAMES, doc_index
from .stopwords import STOPWORDS
from .textvec import CharHashTfidf, HashIndex, Tokens, WordTfidf, hash_strings, readable_term, tokenize_batch

if TYPE_CHECKING:  # scipy is imported where a matrix is built (training), not for scoring
    import scipy.sparse as sp

__all__ = ["Standardizer", "TextFeatures", "context_scores", "rows_dot", "CONTEXT_SCORE_NAMES"]


def rows_dot(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``x @ w`` for a dense matrix, one row at a time and without BLAS.

    For a large batch BLAS starts threads, which only spin on a busy machine and take cores
    from the other worker processes; a row's result also never depends on the batch size.
    """
    return np.einsum("ij,j->i", x, w)


class Standardizer:
    """Mean / scale of dense columns, learnt at fit time (a tiny StandardScaler we can store)."""

    def fit(self, x: np.ndarray) -> Standardizer:
        self.mean_ = x.mean(axis=0)
        scale = x.std(axis=0)
        self.scale_ = np.where(scale > 1e-9, scale, 1.0)
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Standardise and clip to +-4: a linear model must not extrapolate from outliers.

        Done in one new array: batches are large and each temporary is a fresh allocation.
        """
        out = np.subtract(x, self.mean_)
        np.divide(out, self.scale_, out=out)
        return np.clip(out, -4.0, 4.0, out=out)


class TextFeatures:
    """Word TF-IDF and hashed character TF-IDF of paragraph texts, side by side."""

    #: dense columns appended after the n-grams: function-word share and count
    DENSE_NAMES = ("stopword_ratio", "stopword_count")

    def __init__(self, use_chars: bool = True, char_weight: float = 0.7, min_df: int = 2,
                 word_norm_power: float = 1.0):
        self.use_chars = use_chars
        self.char_weight = char_weight
        self.word = WordTfidf(min_df=min_df, norm_power=word_norm_power)
        self.char = CharHashTfidf()

    def fit(self, texts: list[str]) -> TextFeatures:
        self.word.fit(texts)
        if self.use_chars:
            self.char.fit(texts)
        return self

    @property
    def n_features(self) -> int:
        return (self.word.n_features + (self.char.n_features if self.use_chars else 0)
                + len(self.DENSE_NAMES))

    def _blocks(self, texts: list[str]) -> list:
        import scipy.sparse as sp

        tokens = tokenize_batch(texts)
        blocks = [self.word.transform_tokens(tokens, len(texts))]
        if self.use_chars:
            blocks.append(self.char.transform(texts) * self.char_weight)
        blocks.append(sp.csr_matrix(_stopword_density(tokens, len(texts))))
        return blocks

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        import scipy.sparse as sp

        return sp.hstack(self._blocks(texts), format="csr", dtype=np.float32)

    def dot(self, texts: list[str], coef: np.ndarray) -> np.ndarray:
        """``transform(texts) @ coef`` without building the stacked matrix (the hot path)."""
        tokens = tokenize_batch(texts)
        n, n_word = len(texts), self.word.n_features
        out = self.word.dot_tokens(tokens, n, coef[:n_word])
        if self.use_chars:
            n_char = self.char.n_features
            out += self.char.dot(texts, coef[n_word:n_word + n_char], self.char_weight)
        return out + rows_dot(_stopword_density(tokens, n), coef[-len(self.DENSE_NAMES):])

    def word_names(self) -> list[str]:
        """``word:<term>`` for each word column, as ``explain`` and :meth:`feature_names` show it."""
        return [f"word:{readable_term(t)}" for t in self.word.terms_]

    def feature_names(self) -> list[str]:
        names = self.word_names()
        if self.use_chars:
            names += [f"char#{i}" for i in range(self.char.n_features)]
        return names + [f"text:{n}" for n in self.DENSE_NAMES]


_STOPWORDS = HashIndex(hash_strings(sorted(STOPWORDS)))


def _stopword_density(tokens: Tokens, n: int) -> np.ndarray:
    """Share of word tokens that are function words, and their count (capped at 10)."""
    is_stop = _STOPWORDS.get(tokens.hashes) >= 0
    words = np.bincount(tokens.row, weights=tokens.is_word, minlength=n)[:n]
    stops = np.bincount(tokens.row, weights=is_stop, minlength=n)[:n]
    return np.column_stack([stops / np.maximum(words, 1), np.minimum(stops, 10) / 10])


CONTEXT_SCORE_NAMES = [
    "s1", "s1_prev1", "s1_next1", "s1_prev2", "s1_next2", "s1_prev3", "s1_next3",
    "s1_win2_mean", "s1_win5_mean", "s1_x_log_chars", "s1_x_in_main_span", "s1_x_long_density_3",
]
_INTERACT = [LAYOUT_NAMES.index(n) for n in ("log_chars", "in_main_span", "long_density_3")]


def context_scores(margin: np.ndarray, lengths: list[int], layout: np.ndarray) -> np.ndarray:
    """Stage-2 inputs: each paragraph's stage-1 margin next to its neighbours' margins.

    Missing neighbours (document edges) get the margin of a sure boilerplate paragraph (+4):
    pages usually begin and end with residue. ``layout`` is the standardised layout matrix;
    the margin times a few of its columns lets stage 2 trust the text score less for long
    paragraphs inside the main text. Document-wide statistics were tried and dropped: they
    made the model worse on real pages (see the note above ``layout.CONTEXT_NAMES``).
    """
    _, pos, size = doc_index(lengths)
    n = len(margin)
    edge = 4.0
    shifted = {}
    for k in (-3, -2, -1, 1, 2, 3):
        idx = np.arange(n) + k
        ok = (pos + k >= 0) & (pos + k < size)
        vals = np.full(n, edge)
        vals[ok] = margin[idx[ok]]
        shifted[k] = vals

    def window_mean(w: int) -> np.ndarray:
        # Neighbours are added one distance at a time, in the same order for every paragraph,
        # so the mean never depends on what else is in the batch (a running sum would).
        total, count = margin.copy(), np.ones(n)
        for k in range(1, min(w, n - 1) + 1):
            ahead = pos[: n - k] + k < size[: n - k]
            total[: n - k] += np.where(ahead, margin[k:], 0.0)
            count[: n - k] += ahead
            behind = pos[k:] >= k
            total[k:] += np.where(behind, margin[: n - k], 0.0)
            count[k:] += behind
        return total / count

    return np.column_stack([
        margin, shifted[-1], shifted[1], shifted[-2], shifted[2], shifted[-3], shifted[3],
        window_mean(2), window_mean(5), *(margin * layout[:, j] for j in _INTERACT),
    ])
