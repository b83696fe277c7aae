"""Train the shipped model: grouped cross-validation for the threshold, then a final fit.

The threshold is the one with the best out-of-fold F1 among those that keep content loss
(content characters removed / content characters) within ``max_content_loss``.
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .evaluate import by_group, choose_threshold, cross_val_and_fit, metrics
from .labels import Document, read_labelled
from .model import Params

__all__ = ["train", "write_card"]


def _data_summary(paths: list[Path], docs: list[Document]) -> dict:
    files = []
    for p in paths:
        for f in sorted(p.rglob("*.jsonl")) if p.is_dir() else [p]:
            files.append({"file": f.as_posix(), "sha256": hashlib.sha256(f.read_bytes()).hexdigest()})
    labels = Counter(int(v) for d in docs for v in d.labels)
    kinds = Counter(k for d in docs for k, v in zip(d.kinds, d.labels) if v == 1)
    return {
        "files": files,
        "documents": len(docs),
        "paragraphs": {"content": labels[0], "boilerplate": labels[1], "ambiguous": labels[-1]},
        "languages": dict(sorted(Counter(d.lang or "?" for d in docs).items())),
        "boilerplate_kinds": dict(sorted(kinds.items())),
    }


def train(label_paths: list[str | Path], out: str | Path, params: Params | None = None,
          cv: int = 5, max_content_loss: float = 0.01,
          progress: Callable[[str], None] | None = None) -> dict:
    """Fit a model on the labelled JSONL under ``label_paths`` and write it with its card."""
    say = progress or (lambda _msg: None)
    paths = [Path(p) for p in label_paths]
    docs = read_labelled(paths)
    if not docs:
        raise ValueError(f"no labelled documents under {', '.join(map(str, paths))}")
    params = params or Params()
    start = time.perf_counter()
    say(f"{len(docs)} documents; {cv}-fold grouped cross-validation")
    oof, model = cross_val_and_fit(docs, cv, params,
                                   progress=lambda i: say(f"fold {i}/{cv} done"))
    threshold = choose_threshold(docs, oof, max_content_loss)
    model.threshold = threshold
    cv_metrics = metrics(docs, oof, threshold).as_dict()
    say(f"threshold {threshold}: {cv_metrics}")
    seconds = round(time.perf_counter() - start, 1)
    card = {
        "name": Path(out).name,
        "threshold": threshold,
        "params": params.__dict__,
        "training_data": _data_summary(paths, docs),
        "cross_validation": {
            "folds": cv, "grouped_by": "site", "max_content_loss": max_content_loss,
            "metrics": cv_metrics,
            "per_language": by_group(docs, oof, threshold, "lang"),
            "recall_per_kind": by_group(docs, oof, threshold, "kind"),
        },
        "vocabulary_size": model.text_.word.n_features,
        "train_seconds": seconds,
        "versions": _versions(),
    }
    model.save(out, card)
    write_card(out, card)
    say(f"wrote {out} in {seconds} s")
    return card


def _versions() -> dict:
    import scipy
    import sklearn

    from . import __version__

    return {"detector": __version__, "scikit-learn": sklearn.__version__, "numpy": np.__version__,
            "scipy": scipy.__version__, "python": platform.python_version()}


def write_card(model_path: str | Path, card: dict) -> None:
    """Write ``X.card.json`` (with the model's sha256) and ``X.md`` beside ``X.npz``."""
    from . import card_path, file_sha256
    from .io import atomic_write_text

    model_path = Path(model_path)
    card = {**card, "model_file": model_path.name, "model_sha256": file_sha256(model_path)}
    atomic_write_text(card_path(model_path), json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    atomic_write_text(model_path.with_suffix(".md"), render_card(card))


def render_card(card: dict) -> str:
    """The model card for people (Markdown)."""
    cvm = card["cross_validation"]["metrics"]
    data = card["training_data"]
    lines = [
        f"# Model card: {card['name']}",
        "",
        "TF-IDF (word 1-2-grams, hashed character 3-4-grams) + layout and context features, "
        "two-stage logistic regression. Positive class: boilerplate.",
        "",
        f"- decision threshold: **{card['threshold']}** (best out-of-fold F1 with content loss "
        f"<= {card['cross_validation']['max_content_loss']:.0%})",
        f"- sha256 of `{card.get('model_file', '')}`: `{card.get('model_sha256', '')}`",
        f"- versions: {', '.join(f'{k} {v}' for k, v in card['versions'].items())}",
        f"- training time: {card['train_seconds']} s",
        "- parameters (`detector.model.Params`): " + ", ".join(
            f"{k} {v}" for k, v in card.get("params", {}).items() if v != {}),
        "",
        "## Training data",
        "",
        f"{data['documents']} documents; paragraphs: {data['paragraphs']}.",
        "",
        "| file | sha256 |",
        "|---|---|",
        *[f"| {f['file']} | `{f['sha256'][:16]}…` |" for f in data["files"]],
        "",
        f"Languages: {data['languages']}",
        "",
        "## Cross-validated metrics "
        f"({card['cross_validation']['folds']}-fold, grouped by site)",
        "",
        "| precision | recall | F1 | content loss | residue |",
        "|---|---|---|---|---|",
        f"| {cvm['precision']} | {cvm['recall']} | {cvm['f1']} | {cvm['content_loss']} | "
        f"{cvm['residue']} |",
        "",
        "Recall per boilerplate kind: " + ", ".join(
            f"{k} {v['recall']}" for k, v in card["cross_validation"]["recall_per_kind"].items()),
        "",
    ]
    for title, block in card.get("evaluations", {}).items():
        m = block["metrics"]
        lines += [f"## {title}", "", f"Command: `{block['command']}`", "",
                  "| precision | recall | F1 | content loss | residue |", "|---|---|---|---|---|",
                  f"| {m['precision']} | {m['recall']} | {m['f1']} | {m['content_loss']} | "
                  f"{m['residue']} |", ""]
    return "\n".join(lines)


def record_evaluation(model_path: str | Path, title: str, command: str, result: dict) -> None:
    """Add (or replace) an evaluation block in the model card of ``model_path``."""
    from . import card_path

    path = card_path(model_path)
    card = json.loads(path.read_text(encoding="utf-8"))
    card.setdefault("evaluations", {})[title] = {
        "command": command, "metrics": result["metrics"], "threshold": result["threshold"],
        "documents": result["documents"],
    }
    write_card(model_path, card)
