"""Accuracy of the detector on labelled documents.

Boilerplate is the positive class. ``ambiguous`` paragraphs are given to the model as context
but never counted. Besides paragraph precision / recall / F1 we report the two numbers that
matter for a cleaning step, weighted by characters:

- content loss: content characters removed / content characters;
- residue: boilerplate characters kept / boilerplate characters.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .labels import Document

__all__ = ["Metrics", "metrics", "sweep", "choose_threshold", "cross_val_scores",
           "leave_site_out_scores", "by_group"]


@dataclass
class Metrics:
    precision: float
    recall: float
    f1: float
    content_loss: float
    residue: float
    accuracy: float
    n_content: int
    n_boilerplate: int

    def as_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def _flat(docs: list[Document], probs: list[np.ndarray]) -> tuple[np.ndarray, ...]:
    y = np.concatenate([d.labels for d in docs]) if docs else np.zeros(0, int)
    p = np.concatenate(probs) if probs else np.zeros(0)
    chars = np.concatenate([[len(t) for t in d.texts] for d in docs]).astype(float) \
        if docs else np.zeros(0)
    return y, p, chars


def _metrics(y: np.ndarray, removed: np.ndarray, chars: np.ndarray) -> Metrics:
    pos, neg = y == 1, y == 0
    tp = float((removed & pos).sum())
    fp = float((removed & neg).sum())
    fn = float((~removed & pos).sum())
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    content_chars = chars[neg].sum()
    bp_chars = chars[pos].sum()
    loss = chars[neg & removed].sum() / content_chars if content_chars else 0.0
    residue = chars[pos & ~removed].sum() / bp_chars if bp_chars else 0.0
    counted = pos | neg
    acc = float(((removed == pos) & counted).sum() / counted.sum()) if counted.any() else 1.0
    return Metrics(precision, recall, f1, float(loss), float(residue), acc,
                   int(neg.sum()), int(pos.sum()))


def metrics(docs: list[Document], probs: list[np.ndarray], threshold: float) -> Metrics:
    """Paragraph and character metrics of removing every paragraph with P >= ``threshold``."""
    y, p, chars = _flat(docs, probs)
    return _metrics(y, p >= threshold, chars)


def by_group(docs: list[Document], probs: list[np.ndarray], threshold: float,
             key: str) -> dict[str, dict]:
    """Recall per boilerplate kind (``key="kind"``) or full metrics per language (``"lang"``)."""
    out: dict[str, dict] = {}
    if key == "kind":
        hits: dict[str, list[bool]] = defaultdict(list)
        for d, p in zip(docs, probs):
            for lab, kind, prob in zip(d.labels, d.kinds, p):
                if lab == 1:
                    hits[kind or "?"].append(bool(prob >= threshold))
        for kind, h in sorted(hits.items()):
            out[kind] = {"recall": round(float(np.mean(h)), 4), "n": len(h)}
        return out
    groups: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(docs):
        groups[d.lang or "?"].append(i)
    for lang, idx in sorted(groups.items()):
        out[lang] = metrics([docs[i] for i in idx], [probs[i] for i in idx], threshold).as_dict()
    return out


def sweep(docs: list[Document], probs: list[np.ndarray],
          thresholds: np.ndarray | None = None) -> list[dict]:
    """Content loss against residue (and P/R/F1) across thresholds."""
    y, p, chars = _flat(docs, probs)
    if thresholds is None:
        thresholds = np.round(np.linspace(0.05, 0.95, 19), 2)
    return [{"threshold": float(t), **_metrics(y, p >= t, chars).as_dict()} for t in thresholds]


def choose_threshold(docs: list[Document], probs: list[np.ndarray],
                     max_content_loss: float = 0.01) -> float:
    """Threshold with the best F1 among those whose content loss stays within the budget."""
    y, p, chars = _flat(docs, probs)
    candidates = np.unique(np.round(np.concatenate([np.linspace(0.05, 0.98, 94), [0.5]]), 3))
    best, best_f1 = 0.98, -1.0
    for t in candidates:
        m = _metrics(y, p >= t, chars)
        if m.content_loss <= max_content_loss and m.f1 > best_f1:
            best, best_f1 = float(t), m.f1
    return best


def _fold(docs: list[Document], tr, te, groups: list[str], params) -> list[np.ndarray]:
    model = _fit([docs[j] for j in tr], [groups[j] for j in tr], params)
    return model.predict_proba([docs[j].texts for j in te])


def cross_val_scores(docs: list[Document], k: int = 5, params=None, progress=None,
                     n_jobs: int = -1) -> list[np.ndarray]:
    """Out-of-fold P(boilerplate) for every document, folds grouped by site.

    Folds run in parallel (joblib, ``n_jobs`` processes; -1: all cores); results do not depend
    on ``n_jobs``.
    """
    return _run_folds(docs, k, params, progress, n_jobs, fit_all=False)[0]


def cross_val_and_fit(docs: list[Document], k: int = 5, params=None, progress=None,
                      n_jobs: int = -1):
    """``cross_val_scores`` plus a model fitted on all ``docs``, trained alongside the folds.

    The full fit is the longest job; started first, it keeps both cores busy while the folds
    run, instead of running alone after them.
    """
    return _run_folds(docs, k, params, progress, n_jobs, fit_all=True)


def leave_site_out_scores(docs: list[Document], prefix: str, params=None, progress=None,
                          n_jobs: int = -1) -> dict[int, np.ndarray]:
    """P(boilerplate) of the documents whose id starts with ``prefix``, each scored by a model
    fitted on every document of the other sites (leave one site out).

    Unlike K-fold cross-validation, the model for a site misses only that site, not a fifth
    of the corpus, so its decisions do not depend on which other sites share a fold. Returns
    ``{document index: probabilities}``; one fit per site, run in parallel like the folds.
    """
    from joblib import Parallel, delayed

    groups = [d.group for d in docs]
    sites: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(docs):
        if d.id.startswith(prefix):
            sites[groups[i]].append(i)
    jobs = [delayed(_fold)(docs, [j for j, g in enumerate(groups) if g != site], held, groups,
                           params)
            for site, held in sites.items()]
    out: dict[int, np.ndarray] = {}
    results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
    for n, (held, site_probs) in enumerate(zip(sites.values(), results)):
        out.update(zip(held, site_probs))
        if progress:
            progress(n + 1, len(sites))
    return out


def _run_folds(docs, k, params, progress, n_jobs, fit_all: bool):
    from joblib import Parallel, delayed
    from sklearn.model_selection import GroupKFold

    groups = [d.group for d in docs]
    probs: list[np.ndarray | None] = [None] * len(docs)
    splits = list(GroupKFold(n_splits=min(k, len(set(groups)))).split(
        np.zeros(len(docs)), groups=groups))
    jobs = [delayed(_fit)(docs, groups, params)] if fit_all else []
    jobs += [delayed(_fold)(docs, tr, te, groups, params) for tr, te in splits]
    results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
    model = next(results) if fit_all else None
    for i, ((_, te), fold_probs) in enumerate(zip(splits, results)):
        for j, p in zip(te, fold_probs):
            probs[j] = p
        if progress:
            progress(i + 1)
    return probs, model


def _fit(docs: list[Document], groups: list[str], params):
    from .model import BoilerplateModel

    return BoilerplateModel(params).fit([d.texts for d in docs], [d.labels for d in docs], groups)
