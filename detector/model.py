"""The boilerplate classifier: TF-IDF + layout features, logistic regression in two stages.

Stage 1 scores each paragraph from its own text, layout and neighbours' layout. Stage 2 is a
second logistic regression over the stage-1 scores of the paragraph and its neighbours (trained
on out-of-fold stage-1 scores, so it learns how much to trust them). The decision threshold is
stored with the model.

Models are saved as plain arrays and JSON in one ``.npz`` file, read back with
``allow_pickle=False``: loading a model can never run code, whatever file it is given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .cache import ParagraphCache
from .features import CONTEXT_SCORE_NAMES, Standardizer, TextFeatures, context_scores, rows_dot
from .layout import LAYOUT_NAMES, SELF_NAMES, SHORT_WORDS, layout_features, self_features

__all__ = ["BoilerplateModel", "ModelError", "FORMAT_VERSION", "Params", "nb_weights"]

FORMAT_VERSION = 2
#: versions :meth:`BoilerplateModel.load` reads; 1 kept the word vocabulary as a JSON list
READABLE_VERSIONS = (1, 2)
BOILERPLATE, CONTENT, AMBIGUOUS = 1, 0, -1
#: default memory for a model's paragraph cache (each worker process has its own)
CACHE_BYTES = 16 << 20


class ModelError(Exception):
    """A model file is missing, damaged, of an unknown format or fails its checksum."""


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))


def nb_weights(x, y: np.ndarray, power: float, alpha: float = 0.5) -> np.ndarray:
    """``|log((p_j / |p|) / (q_j / |q|))| ** power`` for each column ``j`` of ``x``.

    ``p`` and ``q`` count the boilerplate (``y == 1``) and content (``y == 0``) rows in which
    the column is non-zero, plus ``alpha`` (presence, not TF-IDF mass, as NBSVM does). Scaling
    a column by it before an L2-regularised fit lets n-grams that tell the classes apart
    ("sponsored", "reply") take large weights cheaply, while n-grams both classes use alike are
    held near zero.
    """
    pos = np.asarray((x[y == BOILERPLATE] != 0).sum(axis=0), dtype=np.float64).ravel() + alpha
    neg = np.asarray((x[y == CONTENT] != 0).sum(axis=0), dtype=np.float64).ravel() + alpha
    return np.abs(np.log(pos / pos.sum()) - np.log(neg / neg.sum())) ** power


def _split(values: np.ndarray, lengths: list[int]) -> list[np.ndarray]:
    ends = np.cumsum(lengths).tolist()
    return [values[end - n:end] for n, end in zip(lengths, ends)]


@dataclass
class Params:
    """Hyper-parameters; stored in the model file."""

    c1: float = 4.0
    c2: float = 0.5
    use_chars: bool = True
    char_weight: float = 0.7
    layout_weight: float = 0.5
    min_df: int = 2
    inner_folds: int = 3
    content_weight: float = 1.0
    #: a content paragraph of n characters weighs ``content_weight * (1 + n / content_chars)``:
    #: the loss then counts characters of content, as content loss does, so a long paragraph
    #: is costlier to remove than a short line
    content_chars: float = 150.0
    #: word TF-IDF rows are divided by ``norm ** word_norm_power``; below 1, a telling phrase
    #: in a long paragraph (a disclaimer, a bio) is not drowned by its other words
    word_norm_power: float = 0.85
    #: stage-1 n-gram columns are scaled by ``|log-count ratio| ** nb_power`` while fitting
    #: (NB-weighted features, Wang & Manning 2012) and the scale is folded into the stored
    #: coefficients, so scoring costs nothing more; 0 turns it off
    nb_power: float = 0.5
    #: added to each column's row counts in :func:`nb_weights`
    nb_alpha: float = 0.5
    #: the short-line marks of the layout features ("...", "?", URLs, "|", "©") fade to 0 at
    #: this many words (:func:`detector.layout.self_features`); 0: the older slow fade
    short_words: float = SHORT_WORDS
    extra: dict = field(default_factory=dict)


class BoilerplateModel:
    """Maps a document's ordered paragraphs to P(boilerplate) for each.

    >>> model = BoilerplateModel().fit(docs, labels, groups)   # doctest: +SKIP
    >>> model.predict_proba([["Ad", "Real prose ..."]])          # doctest: +SKIP
    """

    def __init__(self, params: Params | None = None, threshold: float = 0.5,
                 cache_bytes: int = CACHE_BYTES):
        self.params = params or Params()
        self.threshold = threshold
        #: memory for the per-paragraph cache of text-only values (0: no cache)
        self.cache_bytes = cache_bytes
        self._cache: ParagraphCache | None = None

    def __getstate__(self) -> dict:
        """Pickle without the paragraph cache (sent to spawned workers, it would only cost)."""
        state = self.__dict__.copy()
        state["_cache"] = None
        return state

    # ----------------------------------------------------------------------------- fitting
    def _stage1_inputs(self, texts: list[str], lengths: list[int],
                       selff: np.ndarray | None = None) -> np.ndarray:
        return self.layout_scaler_.transform(
            layout_features(texts, lengths, selff, self.params.short_words))

    @staticmethod
    def _fit_lr(x, y, c: float, weights: np.ndarray | None = None):
        from sklearn.linear_model import LogisticRegression

        lr = LogisticRegression(C=c, solver="liblinear", max_iter=1000, random_state=0)
        lr.fit(x, y, sample_weight=weights)
        return lr

    def fit(self, docs: list[list[str]], labels: list[list[int]],
            groups: list[str] | None = None) -> BoilerplateModel:
        """Fit on documents (lists of paragraph texts) with labels 1 / 0 / -1 (ambiguous).

        ``groups`` (one per document, e.g. the site) keeps related documents in the same
        fold when stage-2 inputs are made out of fold.
        """
        import scipy.sparse as sp
        from sklearn.model_selection import GroupKFold

        p = self.params
        lengths = [len(d) for d in docs]
        texts = [t for d in docs for t in d]
        y = np.concatenate([np.asarray(lab, dtype=np.int64) for lab in labels])
        groups = groups or [str(i) for i in range(len(docs))]
        para_group = np.repeat(np.asarray(groups), lengths)
        known = y != AMBIGUOUS
        chars = np.fromiter(map(len, texts), dtype=np.float64, count=len(texts))
        weights = np.where(y == CONTENT, p.content_weight * (1 + chars / p.content_chars), 1.0)

        self.text_ = TextFeatures(p.use_chars, p.char_weight, p.min_df, p.word_norm_power).fit(texts)
        raw_layout = layout_features(texts, lengths, short_words=p.short_words)
        self.layout_scaler_ = Standardizer().fit(raw_layout)
        dense = self.layout_scaler_.transform(raw_layout) * p.layout_weight
        x1 = sp.hstack([self.text_.transform(texts), sp.csr_matrix(dense)], format="csr")
        n_ngrams = self.text_.n_features - len(TextFeatures.DENSE_NAMES)

        def fit_stage1(rows: np.ndarray) -> tuple[np.ndarray, float]:
            """Stage-1 coefficients (NB scale folded in) and intercept fitted on ``rows``."""
            x = x1[rows]  # a copy of the rows: made once, used twice
            scale = np.ones(x1.shape[1])
            if p.nb_power:
                scale[:n_ngrams] = nb_weights(x[:, :n_ngrams], y[rows], p.nb_power, p.nb_alpha)
            lr = self._fit_lr(x @ sp.diags(scale), y[rows], p.c1, weights[rows])
            return lr.coef_.ravel() * scale, float(lr.intercept_[0])

        # Out-of-fold stage-1 margins for training stage 2.
        oof = np.zeros(len(texts))
        n_groups = len(set(groups))
        folds = GroupKFold(n_splits=min(p.inner_folds, n_groups)) if n_groups > 1 else None
        if folds is not None:
            for tr, te in folds.split(x1, y, para_group):
                coef, intercept = fit_stage1(tr[known[tr]])
                oof[te] = x1[te] @ coef + intercept
        self.coef1_, self.intercept1_ = fit_stage1(np.flatnonzero(known))
        if folds is None:
            oof = x1 @ self.coef1_ + self.intercept1_

        z = self._stage2_inputs(oof, dense, lengths)
        self.z_scaler_ = Standardizer().fit(z)
        lr2 = self._fit_lr(self.z_scaler_.transform(z)[known], y[known], p.c2, weights[known])
        self.coef2_ = lr2.coef_.ravel().astype(np.float64)
        self.intercept2_ = float(lr2.intercept_[0])
        self._cache = None
        return self

    @staticmethod
    def _stage2_inputs(margin: np.ndarray, dense: np.ndarray, lengths: list[int]) -> np.ndarray:
        return context_scores(margin, lengths, dense)

    # ----------------------------------------------------------------------------- scoring
    def _own_parts(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Text part of the stage-1 margin and the raw self-layout features of each paragraph.

        Both depend on the paragraph's text alone, so they are cached by it: boilerplate
        repeats across a crawl. Cached values are the very numbers a fresh computation gives,
        so results never depend on what a process has seen before.
        """
        if not self.cache_bytes:
            return self._compute_own_parts(texts)
        if self._cache is None or self._cache.max_bytes != self.cache_bytes:
            self._cache = ParagraphCache(1 + len(SELF_NAMES), self.cache_bytes)
        out, hit = self._cache.get(texts)
        if not hit.all():
            missing: dict[str, list[int]] = {}
            for i in np.flatnonzero(~hit).tolist():
                missing.setdefault(texts[i], []).append(i)
            new = list(missing)
            values = np.column_stack(self._compute_own_parts(new))
            out[[i for t in new for i in missing[t]]] = values[
                [k for k, t in enumerate(new) for _ in missing[t]]]
            self._cache.add(new, values)
        return out[:, 0], out[:, 1:]

    def _compute_own_parts(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_own_parts` computed afresh (what the cache holds, and what it must equal)."""
        return (self.text_.dot(texts, self.coef1_[:self.text_.n_features]),
                self_features(texts, self.params.short_words))

    def _margins(self, docs: list[list[str]]) -> tuple[np.ndarray, list[int]]:
        """Final-stage margins of all paragraphs of ``docs`` in one array, and the doc sizes."""
        lengths = [len(d) for d in docs]
        texts = [t for d in docs for t in d]
        if not texts:
            return np.zeros(0), lengths
        text_margin, selff = self._own_parts(texts)
        dense = self._stage1_inputs(texts, lengths, selff) * self.params.layout_weight
        n_text = self.text_.n_features
        margin1 = text_margin + rows_dot(dense, self.coef1_[n_text:]) + self.intercept1_
        z = self.z_scaler_.transform(self._stage2_inputs(margin1, dense, lengths))
        return rows_dot(z, self.coef2_) + self.intercept2_, lengths

    def decision_function(self, docs: list[list[str]]) -> list[np.ndarray]:
        """Final-stage margin (log-odds of boilerplate) of every paragraph, one array a doc."""
        return _split(*self._margins(docs))

    def predict_proba(self, docs: list[list[str]]) -> list[np.ndarray]:
        """P(boilerplate) of every paragraph, one array per document."""
        margins, lengths = self._margins(docs)
        return _split(_sigmoid(margins), lengths)

    # ----------------------------------------------------------------------------- explain
    def explain(self, doc: list[str], top: int = 6) -> list[list[tuple[str, float]]]:
        """For each paragraph, the features that pushed its score most (coefficient x value).

        Stage-1 text and layout terms are reported by name; stage 2 as ``ctx:<name>``.
        Positive values push towards boilerplate.
        """
        if not doc:
            return []
        p = self.params
        n_text = self.text_.n_features
        lengths = [len(doc)]
        xt = self.text_.transform(doc).tocsr()
        dense = self._stage1_inputs(doc, lengths) * p.layout_weight
        margin1 = xt @ self.coef1_[:n_text] + rows_dot(dense, self.coef1_[n_text:]) + self.intercept1_
        z = self.z_scaler_.transform(self._stage2_inputs(margin1, dense, lengths))
        names_text = self.text_.word_names()
        out = []
        for i in range(len(doc)):
            row = xt.getrow(i)
            terms: dict[str, float] = {}
            for j, v in zip(row.indices, row.data):
                c = float(v * self.coef1_[j])
                if j < len(names_text):
                    name = names_text[j]
                elif j >= n_text - len(TextFeatures.DENSE_NAMES):
                    name = f"text:{TextFeatures.DENSE_NAMES[j - n_text + len(TextFeatures.DENSE_NAMES)]}"
                else:
                    name = "char-ngrams"
                terms[name] = terms.get(name, 0.0) + c
            for j, name in enumerate(LAYOUT_NAMES):
                terms[f"layout:{name}"] = float(dense[i, j] * self.coef1_[n_text + j])
            # Stage 2 re-weights the stage-1 margin; report its context terms apart from it.
            for j, name in enumerate(CONTEXT_SCORE_NAMES):
                terms[f"ctx:{name}"] = float(z[i, j] * self.coef2_[j])
            ranked = sorted(terms.items(), key=lambda kv: -abs(kv[1]))
            out.append([(k, round(v, 4)) for k, v in ranked[:top] if v != 0.0])
        return out

    # ----------------------------------------------------------------------------- storage
    def save(self, path: str | Path, card: dict | None = None) -> None:
        """Write arrays + JSON (no pickle) to ``path`` (an ``.npz`` file), atomically."""
        from .io import atomic_path

        p = self.params
        meta = {
            "format": "detector-model",
            "format_version": FORMAT_VERSION,
            "threshold": self.threshold,
            "params": p.__dict__,
            "char": {"n_features": self.text_.char.n_features, "ngrams": self.text_.char.ngrams,
                     "max_chars": self.text_.char.max_chars},
            "layout_names": LAYOUT_NAMES,
            "context_names": CONTEXT_SCORE_NAMES,
            "card": card or {},
        }
        arrays = {
            "meta": np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), np.uint8),
            **{f"word_{k}": v for k, v in self.text_.word.get_state().items()},
            "char_idf": self.text_.char.idf_ if p.use_chars else np.zeros(0),
            "layout_mean": self.layout_scaler_.mean_, "layout_scale": self.layout_scaler_.scale_,
            "coef1": self.coef1_, "intercept1": np.array([self.intercept1_]),
            "z_mean": self.z_scaler_.mean_, "z_scale": self.z_scaler_.scale_,
            "coef2": self.coef2_, "intercept2": np.array([self.intercept2_]),
        }
        with atomic_path(Path(path)) as tmp, open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> BoilerplateModel:
        """Read a model written by :meth:`save`. Never unpickles anything."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
            meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
        except FileNotFoundError:
            raise ModelError(f"{path}: model file not found") from None
        except (ValueError, KeyError, OSError, EOFError, UnicodeDecodeError) as exc:
            raise ModelError(f"{path}: not a readable detector model (.npz arrays + JSON): "
                             f"{type(exc).__name__}: {exc}") from None
        except Exception as exc:  # zipfile.BadZipFile and friends
            raise ModelError(f"{path}: not a readable detector model: {exc}") from None
        if meta.get("format") != "detector-model":
            raise ModelError(f"{path}: not a detector model file")
        if meta.get("format_version") not in READABLE_VERSIONS:
            raise ModelError(f"{path}: model format version {meta.get('format_version')} is not "
                             f"supported by this detector (it reads {READABLE_VERSIONS}); retrain it")
        if meta.get("layout_names") != LAYOUT_NAMES or \
                meta.get("context_names") != CONTEXT_SCORE_NAMES:
            raise ModelError(f"{path}: model was trained with a different feature set; retrain it")
        try:
            return cls._from_arrays(meta, arrays)
        except (KeyError, ValueError, TypeError, IndexError) as exc:
            raise ModelError(f"{path}: damaged model file: {exc}") from None

    @classmethod
    def _from_arrays(cls, meta: dict, a: dict) -> BoilerplateModel:
        known = {k: v for k, v in meta["params"].items() if k in Params.__dataclass_fields__}
        known.setdefault("word_norm_power", 1.0)  # files from before the parameter used L2
        known.setdefault("nb_power", 0.0)  # and were fitted without NB weights
        known.setdefault("short_words", 0.0)  # and with the slow fade of short-line marks
        params = Params(**known)
        params.char_weight = float(params.char_weight)
        model = cls(params, threshold=float(meta["threshold"]))
        text = TextFeatures(params.use_chars, params.char_weight, params.min_df,
                            params.word_norm_power)
        if "word_terms" in meta:  # format 1
            text.word.set_state(meta["word_terms"], a["word_idf"])
        else:
            text.word.from_state({k.removeprefix("word_"): v for k, v in a.items()
                                  if k.startswith("word_")})
        text.char.n_features = int(meta["char"]["n_features"])
        text.char.ngrams = tuple(meta["char"]["ngrams"])
        text.char.max_chars = int(meta["char"]["max_chars"])
        if params.use_chars:
            text.char.idf_ = a["char_idf"].astype(np.float64)
        model.text_ = text
        model.layout_scaler_ = Standardizer()
        model.layout_scaler_.mean_, model.layout_scaler_.scale_ = a["layout_mean"], a["layout_scale"]
        model.coef1_ = a["coef1"].astype(np.float64)
        model.intercept1_ = float(a["intercept1"][0])
        model.z_scaler_ = Standardizer()
        model.z_scaler_.mean_, model.z_scaler_.scale_ = a["z_mean"], a["z_scale"]
        model.coef2_ = a["coef2"].astype(np.float64)
        model.intercept2_ = float(a["intercept2"][0])
        expected = text.n_features + len(LAYOUT_NAMES)
        if model.coef1_.shape != (expected,) or model.coef2_.shape != (len(CONTEXT_SCORE_NAMES),):
            raise ValueError(f"coefficient shapes {model.coef1_.shape}/{model.coef2_.shape} "
                             f"do not match the vocabulary")
        model.card = meta.get("card", {})
        return model
