"""What ``detector evaluate`` and ``detector label`` print: tables, JSON, plots and drafts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .evaluate import by_group, choose_threshold, cross_val_scores, leave_site_out_scores, metrics, sweep
from .io import InputError, atomic_write_text, iter_sources, read_text_source
from .labels import check_labels, read_labelled

Echo = Callable[[str], None]
_COLS = ("precision", "recall", "f1", "content_loss", "residue")


def _table(rows: list[tuple[str, dict]], first: str) -> str:
    head = f"{first:<28}" + "".join(f"{c:>14}" for c in _COLS) + f"{'n_content':>11}{'n_bp':>8}"
    lines = [head]
    for name, m in rows:
        lines.append(f"{name[:28]:<28}" + "".join(f"{m[c]:>14.4f}" for c in _COLS)
                     + f"{m['n_content']:>11}{m['n_boilerplate']:>8}")
    return "\n".join(lines)


def evaluate_command(datasets: list[Path], *, as_json: bool, cv: int | None, do_sweep: bool,
                     plot: Path | None, errors: Path | None, threshold: float | None,
                     model: Path | None, trust: bool, echo: Echo,
                     show_docs: str | None = None, record: bool = False) -> dict:
    """Score each dataset (with the model, or by cross-validation) and print the metrics.

    ``show_docs``: also print every paragraph decision of the documents whose id starts with
    it (with ``cv``, the decisions of models that never saw those documents' site).
    """
    from . import load

    out: dict = {}
    det = None if cv else load(model, threshold=threshold, trust=trust)
    all_docs, all_probs = [], []
    for path in datasets:
        docs = read_labelled([path])
        if cv:
            probs = cross_val_scores(docs, cv)
        else:
            probs = det.model.predict_proba([[" ".join(t.split()) for t in d.texts] for d in docs])
        if threshold is not None:
            th = threshold
        elif det is not None:
            th = det.threshold
        else:  # cross-validation: pick the threshold as training does (content loss <= 1 %)
            th = choose_threshold(docs, probs)
        res = {"threshold": th, "documents": len(docs),
               "metrics": metrics(docs, probs, th).as_dict(),
               "per_language": by_group(docs, probs, th, "lang"),
               "recall_per_kind": by_group(docs, probs, th, "kind")}
        if do_sweep:
            res["sweep"] = sweep(docs, probs)
        out[str(path)] = res
        all_docs += docs
        all_probs += probs
    if record and det is not None and det.path is not None:
        import shlex
        import sys

        from .train import record_evaluation

        command = "detector " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        for name, res in out.items():
            record_evaluation(det.path, Path(name).name, command, res)
    if show_docs:
        _show_documents(all_docs, all_probs, show_docs, next(iter(out.values()))["threshold"],
                        echo)
    if errors:
        _write_errors(errors, all_docs, all_probs, next(iter(out.values()))["threshold"])
    if plot:
        _plot(plot, all_docs, all_probs)
    if as_json:
        echo(json.dumps(out, indent=2, ensure_ascii=False))
        return out
    for name, res in out.items():
        echo(f"== {name}  ({res['documents']} documents, threshold {res['threshold']})")
        echo(_table([("all", res["metrics"])] + list(res["per_language"].items()), "language"))
        kinds = res["recall_per_kind"]
        if kinds:
            echo("recall per kind: " + ", ".join(f"{k} {v['recall']:.2f} (n={v['n']})"
                                                 for k, v in kinds.items()))
        if do_sweep:
            echo(_table([(f"threshold {r['threshold']:.2f}", r) for r in res["sweep"]], "sweep"))
        echo("")
    return out


def leave_out_command(datasets: list[Path], prefix: str, *, threshold: float | None,
                      model: Path | None, trust: bool, as_json: bool, echo: Echo,
                      progress: Echo | None = None) -> dict:
    """Decisions on the documents whose id starts with ``prefix``, by models that never saw
    their site (one fit per site on all the other documents of ``datasets``).

    The threshold is ``threshold``, else that of the model (the shipped one by default), so
    the check asks: would a model trained without this site, cut where ours cuts, decide
    these paragraphs as labelled?
    """
    from . import load

    th = threshold if threshold is not None else load(model, trust=trust).threshold
    docs = read_labelled(datasets)
    if not any(d.id.startswith(prefix) for d in docs):
        raise InputError(f"no document id starts with {prefix!r} in {', '.join(map(str, datasets))}")

    def tell(done: int, total: int) -> None:
        if progress:
            progress(f"site {done}/{total} done")

    scored = leave_site_out_scores(docs, prefix, progress=tell)
    held = sorted(scored)
    held_docs, probs = [docs[i] for i in held], [scored[i] for i in held]
    decisions = [{"document": d.id, "index": j, "label": int(lab), "score": float(pr),
                  "removed": bool(pr >= th)}
                 for d, p in zip(held_docs, probs) for j, (lab, pr) in enumerate(zip(d.labels, p))]
    labelled = [r for r in decisions if r["label"] >= 0]
    out = {"prefix": prefix, "threshold": th, "sites": len({d.group for d in held_docs}),
           "documents": len(held_docs), "paragraphs": len(labelled),
           "decided_as_labelled": sum(r["removed"] == (r["label"] == 1) for r in labelled),
           "metrics": metrics(held_docs, probs, th).as_dict(), "decisions": decisions}
    if as_json:
        echo(json.dumps(out, indent=2, ensure_ascii=False))
        return out
    _show_documents(held_docs, probs, "", th, echo)
    echo(f"leave one site out: {out['decided_as_labelled']} of {out['paragraphs']} labelled "
         f"paragraphs of {out['documents']} documents ({out['sites']} sites) decided as labelled, "
         f"threshold {th}")
    return out


def _show_documents(docs, probs, prefix: str, threshold: float, echo: Echo) -> None:
    for d, p in zip(docs, probs):
        if not d.id.startswith(prefix):
            continue
        wrong = sum(int(lab) != int(pr >= threshold) for lab, pr in zip(d.labels, p) if lab >= 0)
        echo(f"-- {d.id}: {len(d.texts)} paragraphs, {wrong} decided against the label")
        for lab, pr, text in zip(d.labels, p, d.texts):
            verdict = "REMOVE" if pr >= threshold else "keep  "
            gold = {1: "boilerplate", 0: "content", -1: "ambiguous"}[int(lab)]
            mark = "  " if lab < 0 or int(lab) == int(pr >= threshold) else "!!"
            echo(f"{mark} {pr:5.3f} {verdict} [{gold:<11}] {' '.join(text.split())[:80]}")


def _write_errors(path: Path, docs, probs, threshold: float) -> None:
    rows = []
    for d, p in zip(docs, probs):
        for i, (text, lab, kind, prob) in enumerate(zip(d.texts, d.labels, d.kinds, p)):
            if lab == 0 and prob >= threshold:
                rows.append({"error": "false_removal", "document": d.id, "index": i,
                             "score": round(float(prob), 4), "text": text})
            elif lab == 1 and prob < threshold:
                rows.append({"error": "miss", "document": d.id, "index": i, "kind": kind,
                             "score": round(float(prob), 4), "text": text})
    atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def _plot(path: Path, docs, probs) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError("--plot needs matplotlib: pip install 'detector[plot]'") from None
    from .io import atomic_path

    rows = sweep(docs, probs, np.round(np.linspace(0.02, 0.98, 49), 2))
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    a.plot([r["recall"] for r in rows], [r["precision"] for r in rows], marker=".")
    a.set(xlabel="recall (boilerplate)", ylabel="precision", title="precision-recall")
    b.plot([r["residue"] for r in rows], [r["content_loss"] for r in rows], marker=".")
    b.set(xlabel="residue (boilerplate chars kept)", ylabel="content loss (content chars removed)",
          title="loss vs residue across thresholds")
    fig.tight_layout()
    with atomic_path(Path(path)) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)


def check_command(paths: list[str], echo: Echo) -> None:
    """Validate label files; exit 1 (via InputError) when there are problems."""
    problems, summary = check_labels(paths)
    labels = summary["labels"]
    echo(f"{summary['documents']} documents; content {labels[0]}, boilerplate {labels[1]}, "
         f"ambiguous {labels[-1]}")
    echo("languages: " + ", ".join(f"{k} {v}" for k, v in sorted(summary["langs"].items())))
    echo("kinds: " + ", ".join(f"{k} {v}" for k, v in sorted(summary["kinds"].items())))
    for p in problems:
        echo(f"problem: {p}")
    if problems:
        raise InputError(f"{len(problems)} problems in the label files")


def draft_command(paths: list[str], output: Path | None, *, top: int, model: Path | None,
                  trust: bool, echo: Echo) -> None:
    """Write draft labels (the model's decisions) and list the least certain paragraphs first."""
    import sys

    from . import load

    det = load(model, trust=trust)
    docs, doubts = [], []
    for source in iter_sources(paths):
        read = read_text_source(source)
        if read is None:
            raise InputError(f"{source.name}: binary file")
        res = det.clean(read[0])
        paras = []
        for i, p in enumerate(res.paragraphs):
            # Certainty: distance from the threshold in log-odds; review the smallest first.
            margin = abs(np.log(max(p.score, 1e-9) / max(1 - p.score, 1e-9))
                         - np.log(det.threshold / (1 - det.threshold)))
            paras.append({"text": " ".join(p.text.split()),
                          "label": "boilerplate" if p.removed else "content",
                          "score": round(p.score, 4)})
            if p.removed:
                paras[-1]["kind"] = "other_boilerplate"
            doubts.append((margin, source.name, i, paras[-1]))
        docs.append({"id": source.relative.as_posix(), "source": "draft", "paragraphs": paras})
    for rank, (_m, _name, _i, para) in enumerate(sorted(doubts, key=lambda d: d[0]), 1):
        para["review_rank"] = rank
    text = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs)
    if output:
        atomic_write_text(output, text)
    else:
        sys.stdout.write(text)
    print("least certain paragraphs first (review these):", file=sys.stderr)
    for _m, name, i, para in sorted(doubts, key=lambda d: d[0])[:top]:
        print(f"  {name} #{i}  score {para['score']:.3f}  {para['label']:<11} "
                 f"{para['text'][:70]}", file=sys.stderr)
