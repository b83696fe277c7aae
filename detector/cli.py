"""The ``detector`` command: a thin typer shell over the public API.

Exit codes: 0 ok, 1 input error, 2 usage error, 3 partial (some inputs or records skipped),
130 interrupted. Errors are one line on stderr; ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import ModelError, card_path, default_model_path, load
from .allocator import tune_malloc
from .clean import BATCH_SIZE
from .io import InputError, check_inputs, iter_sources, read_text_source
from .labels import LabelError
from .pipeline import CleanOptions, UsageError, clean_paths

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_PARTIAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

app = typer.Typer(
    add_completion=False, no_args_is_help=True, rich_markup_mode=None,
    help="Find and strip promotional, advertorial and boilerplate paragraphs in scraped text.",
)
_state = {"debug": False}

ModelOpt = Annotated[Optional[Path], typer.Option("--model", "-m", help="Model file (.npz); default: the shipped model.")]
TrustOpt = Annotated[bool, typer.Option("--trust-model", help="Load a model whose sha256 does not match its card.")]
ThresholdOpt = Annotated[Optional[float], typer.Option("--threshold", "-t", min=0.0, max=1.0, help="Remove paragraphs with P(boilerplate) >= this (default: the model's).")]


def _fail(code: int, message: str) -> None:
    typer.echo(f"detector: error: {message}", err=True)
    raise typer.Exit(code)


def _interrupt(signum, frame) -> None:
    """First Ctrl-C or SIGTERM: unwind (temporary files are removed on the way); later ones
    are ignored so the clean-up is not cut short."""
    for sig in _STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    raise KeyboardInterrupt


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _run(fn, *args, **kwargs):
    """Call ``fn`` turning known errors into one-line messages and exit codes."""
    handlers = None
    if threading.current_thread() is threading.main_thread():
        handlers = {sig: signal.signal(sig, _interrupt) for sig in _STOP_SIGNALS}
    try:
        return fn(*args, **kwargs)
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        if _state["debug"]:
            raise
        _fail(EXIT_INTERRUPTED, "interrupted; outputs not completed were not written")
    except UsageError as exc:
        _fail(EXIT_USAGE, str(exc))
    except BrokenPipeError:
        # Downstream closed the pipe (e.g. `| head`): not an error. Point stdout at /dev/null
        # so the interpreter's final flush does not complain again.
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(EXIT_OK) from None
    except (InputError, LabelError, ModelError) as exc:
        if _state["debug"]:
            raise
        _fail(EXIT_INPUT, _one_line(str(exc)))
    except (OSError, ValueError) as exc:
        if _state["debug"]:
            raise
        name = (exc.filename2 or exc.filename) if isinstance(exc, OSError) else None
        where = f"{name}: " if name else ""
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        _fail(EXIT_INPUT, _one_line(f"{where}{reason}" if where else f"{type(exc).__name__}: {reason}"))
    except Exception as exc:  # a bug: still one line, the traceback with --debug
        if _state["debug"]:
            raise
        _fail(EXIT_INPUT, _one_line(f"internal error: {type(exc).__name__}: {exc} "
                                    f"(run with --debug for the traceback)"))
    finally:
        if handlers is not None:
            for sig, handler in handlers.items():
                if handler is not None:  # None: set outside Python, cannot be restored
                    signal.signal(sig, handler)


def _one_line(message: str) -> str:
    return " ".join(message.split())


_LOADED: dict[tuple, object] = {}


def _detector(model: Path | None, threshold: float | None, trust: bool):
    """Load the model; in-process callers (tests, notebooks driving the CLI) reuse a detector
    while the model file is unchanged."""
    try:
        path = (model or default_model_path()).resolve()
        stats = [(q.stat().st_size, q.stat().st_mtime_ns) for q in (path, card_path(path))
                 if q.exists()]
        key = (str(path), *stats, threshold, trust)
    except OSError:
        return load(model, threshold=threshold, trust=trust)  # reports the missing file
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = load(model, threshold=threshold, trust=trust)
    return _LOADED[key]


@app.callback()
def main(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False) -> None:
    """Find and strip promotional, advertorial and boilerplate paragraphs in scraped text."""
    _state["debug"] = debug
    tune_malloc()  # this process runs the detector alone (see detector.allocator)


@app.command()
def clean(
    paths: Annotated[Optional[list[str]], typer.Argument(help="Files, directories (recursive) or - for stdin.")] = None,
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Output file, or directory for several inputs (mirrors the tree). Default: stdout.")] = None,
    threshold: ThresholdOpt = None,
    report: Annotated[Optional[Path], typer.Option("--report", help="Write one JSON line per paragraph (document, index, start, end, score, removed, text, before).")] = None,
    mark: Annotated[bool, typer.Option("--mark", help="Keep everything; prefix removed paragraphs with [REMOVED score].")] = False,
    field: Annotated[str, typer.Option("--field", help="JSONL: the field to clean.")] = "text",
    removed_key: Annotated[Optional[str], typer.Option("--removed-key", help="JSONL: store removed paragraphs and scores under this key.")] = None,
    input_format: Annotated[str, typer.Option("--format", help="auto (by extension), text or jsonl (for stdin).")] = "auto",
    workers: Annotated[int, typer.Option("--workers", "-j", help="Worker processes (0: all cores).")] = 0,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Documents per batch sent to a worker (a batch also ends at 4 MiB).")] = BATCH_SIZE,
    encoding_errors: Annotated[str, typer.Option("--encoding-errors", help="strict (fail, naming the byte offset) or replace.")] = "strict",
    on_error: Annotated[str, typer.Option("--on-error", help="JSONL records that cannot be read: fail, skip, or keep (pass through unchanged).")] = "fail",
    in_place: Annotated[bool, typer.Option("--in-place", help="Overwrite the inputs (atomically).")] = False,
    progress: Annotated[Optional[bool], typer.Option("--progress/--quiet", help="Force the progress bar on or off (default: on when stderr is a terminal).")] = None,
    compress_level: Annotated[Optional[int], typer.Option("--compress-level", help="Level of .gz (1-9, default 6) and .zst (1-22, default 3) outputs; 1 is fastest.")] = None,
    model: ModelOpt = None,
    trust_model: TrustOpt = False,
) -> None:
    """Strip boilerplate paragraphs from texts or a JSONL corpus.

    \b
    Examples:
      detector clean article.txt                     # cleaned text to stdout
      cat page.txt | detector clean -                # from stdin
      detector clean crawl/ -o clean/ --report r.jsonl
      detector clean corpus.jsonl.gz --field text -o out.jsonl.gz --removed-key detector
      detector clean article.txt --mark              # review: removed lines are marked
    """
    if encoding_errors not in ("strict", "replace"):
        _fail(EXIT_USAGE, "--encoding-errors must be strict or replace")
    if on_error not in ("fail", "skip", "keep"):
        _fail(EXIT_USAGE, "--on-error must be fail, skip or keep")
    if input_format not in ("auto", "text", "jsonl"):
        _fail(EXIT_USAGE, "--format must be auto, text or jsonl")
    if not paths:
        _fail(EXIT_USAGE, "give at least one path, or - for standard input")
    if workers < 0:
        _fail(EXIT_USAGE, f"--workers must be 0 (all cores) or a number of processes, not {workers}")
    opts = CleanOptions(
        field=field, removed_key=removed_key, mark=mark, report=report,
        workers=workers or (os.cpu_count() or 1), batch_size=batch_size,
        encoding_errors=encoding_errors, on_error=on_error, in_place=in_place,
        input_format=input_format,
        progress=sys.stderr.isatty() if progress is None else progress,
        compress_level=compress_level,
    )

    def run() -> None:
        det = _detector(model, threshold, trust_model)
        summary = clean_paths(paths, output, det, opts)
        for msg in summary.skipped_files + summary.bad_records:
            typer.echo(f"detector: warning: {msg}", err=True)
        if opts.progress or summary.partial:
            typer.echo(f"detector: {summary.documents} documents, {summary.removed} of "
                       f"{summary.paragraphs} paragraphs removed; {len(summary.skipped_files)} "
                       f"files and {len(summary.bad_records)} records not cleaned", err=True)
        if summary.partial:
            raise typer.Exit(EXIT_PARTIAL)

    _run(run)


@app.command()
def score(
    paths: Annotated[list[str], typer.Argument(help="Text files or - for stdin.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or jsonl.")] = "table",
    explain: Annotated[bool, typer.Option("--explain", help="Show the features that pushed each decision (coefficient x value).")] = False,
    threshold: ThresholdOpt = None,
    model: ModelOpt = None,
    trust_model: TrustOpt = False,
) -> None:
    """Show P(boilerplate) for every paragraph.

    \b
    Examples:
      detector score seeds/000_67d0e3787c705103.txt
      detector score page.txt --explain
      detector score page.txt --format jsonl > scores.jsonl
    """
    if fmt not in ("table", "jsonl"):
        _fail(EXIT_USAGE, "--format must be table or jsonl")

    def run() -> None:
        check_inputs(paths, allow_dirs=False)
        det = _detector(model, threshold, trust_model)
        for source in iter_sources(paths, allow_dirs=False):
            read = read_text_source(source)
            if read is None:
                raise InputError(f"{source.name}: binary file, not text")
            res = det.clean(read[0])
            texts = [p.text for p in res.paragraphs]
            why = det.model.explain([" ".join(t.split()) for t in texts]) if explain else None
            for i, p in enumerate(res.paragraphs):
                if fmt == "jsonl":
                    row = {"document": source.name, "index": i, "start": p.start, "end": p.end,
                           "score": round(p.score, 6), "removed": p.removed, "text": p.text}
                    if why is not None:
                        row["explain"] = why[i]
                    typer.echo(json.dumps(row, ensure_ascii=False))
                    continue
                flag = "REMOVE" if p.removed else "keep  "
                line = " ".join(p.text.split())
                typer.echo(f"{i:4d}  {p.score:5.3f}  {flag}  {line[:90]}")
                if why is not None:
                    typer.echo("        " + ", ".join(f"{k} {v:+.2f}" for k, v in why[i]))

    _run(run)


@app.command()
def train(
    labels: Annotated[list[Path], typer.Option("--labels", "-l", help="Labelled JSONL files or directories.")] = [Path("labels")],  # noqa: B006
    out: Annotated[Path, typer.Option("--out", "-o", help="Model file to write (.npz); its card goes beside it.")] = Path("models/detector.npz"),
    cv: Annotated[int, typer.Option("--cv", min=2, help="Grouped cross-validation folds for the threshold.")] = 5,
    max_content_loss: Annotated[float, typer.Option("--max-content-loss", help="Content-loss budget for the threshold.")] = 0.01,
) -> None:
    """Train a model on labelled JSONL and write it with its model card.

    \b
    Examples:
      detector train                                  # labels/ -> models/detector.npz
      detector train --labels labels/ --labels more.jsonl --out my-model.npz
    """
    from .train import train as train_model

    def run() -> None:
        if not str(out).endswith(".npz"):
            raise UsageError(f"{out}: the model file name must end in .npz")
        card = train_model(labels, out, cv=cv, max_content_loss=max_content_loss,
                           progress=lambda m: typer.echo(m, err=True))
        typer.echo(json.dumps(card["cross_validation"]["metrics"]))

    _run(run)


@app.command()
def evaluate(
    datasets: Annotated[list[Path], typer.Argument(help="Labelled JSONL files (paragraph labels).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    cv: Annotated[Optional[int], typer.Option("--cv", min=2, help="Grouped K-fold cross-validation on these files instead of the model.")] = None,
    do_sweep: Annotated[bool, typer.Option("--sweep", help="Content loss vs residue across thresholds.")] = False,
    plot: Annotated[Optional[Path], typer.Option("--plot", help="Write a precision-recall / loss-residue PNG (needs matplotlib).")] = None,
    errors: Annotated[Optional[Path], typer.Option("--errors", help="Write false removals and misses as JSONL.")] = None,
    show_docs: Annotated[Optional[str], typer.Option("--show-docs", help="Print every decision for documents whose id starts with this (with --cv: by models that never saw them).")] = None,
    record: Annotated[bool, typer.Option("--record", help="Store the metrics and this command in the model card.")] = False,
    leave_out: Annotated[Optional[str], typer.Option("--leave-out", help="Leave one site out: print every decision on the documents whose id starts with this, each by a model fitted on all the other sites (the threshold: -t, else the model's).")] = None,
    threshold: ThresholdOpt = None,
    model: ModelOpt = None,
    trust_model: TrustOpt = False,
) -> None:
    """Measure precision, recall, F1, content loss and residue on labelled data.

    \b
    Examples:
      detector evaluate ../shared/data/dev-residue.jsonl
      detector evaluate labels/*.jsonl --cv 5
      detector evaluate dev.jsonl --sweep --plot pr.png --errors errors.jsonl
      detector evaluate labels/ --cv 5 --show-docs seed-   # seeds scored out of fold
      detector evaluate labels/ --leave-out seed-          # each seed by a model without its site
    """
    from .report import evaluate_command, leave_out_command

    if record and cv:
        _fail(EXIT_USAGE, "--record stores the model's own metrics; it does not go with --cv")
    if leave_out is not None:
        clash = [name for name, on in (("--cv", cv), ("--sweep", do_sweep), ("--plot", plot),
                                       ("--errors", errors), ("--show-docs", show_docs),
                                       ("--record", record)) if on]
        if clash:
            _fail(EXIT_USAGE, f"--leave-out does not go with {', '.join(clash)}")
        _run(leave_out_command, datasets, leave_out, threshold=threshold, model=model,
             trust=trust_model, as_json=as_json, echo=typer.echo,
             progress=lambda m: typer.echo(m, err=True))
        return
    _run(evaluate_command, datasets, as_json=as_json, cv=cv, do_sweep=do_sweep, plot=plot,
         errors=errors, threshold=threshold, model=model, trust=trust_model, echo=typer.echo,
         show_docs=show_docs, record=record)


@app.command()
def info(
    model: ModelOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the machine-readable card.")] = False,
    trust_model: TrustOpt = False,
) -> None:
    """Show the model card: training data, threshold, metrics, versions.

    \b
    Examples:
      detector info
      detector info --json | jq .cross_validation.metrics
    """
    def run() -> None:
        det = _detector(model, None, trust_model)
        card_file = card_path(det.path) if det.path else None
        if as_json:
            # The card file beside the model: the embedded card plus the model's sha256 and any
            # evaluations added after training.
            if card_file is not None and card_file.is_file():
                card = json.loads(card_file.read_text(encoding="utf-8"))
            else:
                card = det.card
            typer.echo(json.dumps(card, indent=2, ensure_ascii=False))
            return
        md = det.path.with_suffix(".md") if det.path else None
        if md and md.is_file():
            typer.echo(md.read_text(encoding="utf-8"))
        else:
            typer.echo(json.dumps(det.card, indent=2, ensure_ascii=False))
        typer.echo(f"model: {det.path}\ncard: {card_file or '-'}\n"
                   f"threshold: {det.threshold}")

    _run(run)


@app.command()
def label(
    paths: Annotated[list[str], typer.Argument(help="Text files to draft labels for, or label files with --check.")],
    check: Annotated[bool, typer.Option("--check", help="Validate label files instead (schema, kinds, duplicates).")] = False,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Draft labels JSONL (default: stdout).")] = None,
    top: Annotated[int, typer.Option("--top", help="How many least-certain paragraphs to list on stderr.")] = 20,
    model: ModelOpt = None,
    trust_model: TrustOpt = False,
) -> None:
    """Draft labels from the model's predictions for a person to correct, or check label files.

    \b
    Examples:
      detector label page1.txt page2.txt -o draft.jsonl   # least certain listed first on stderr
      detector label --check labels/
    """
    from .report import check_command, draft_command

    if check:
        _run(check_command, paths, echo=typer.echo)
        return
    _run(draft_command, paths, output, top=top, model=model, trust=trust_model, echo=typer.echo)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True,
                               "help_option_names": []})
def bench(ctx: typer.Context) -> None:
    """Throughput benchmark (API and CLI, 1..N workers) against jusText and C4 line rules.

    \b
    Examples:
      detector bench --size-mb 200 --workers 1 2
      detector bench --corpus corpus.jsonl --json results.json
    """
    from .bench import main as bench_main

    _run(bench_main, list(ctx.args))


if __name__ == "__main__":  # pragma: no cover
    app()
