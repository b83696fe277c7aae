"""Clean files, directories, standard input and JSONL corpora, streaming, in order.

``clean_paths`` is what ``detector clean`` runs; it is usable from Python as well. Inputs are
read lazily and cleaned in batches (in worker processes when ``workers > 1``); results come back
in input order and are written through temporary files renamed into place when complete.
"""

from __future__ import annotations

import json
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .clean import CleanResult, Detector
from .io import (
    InputError,
    Record,
    TextSource,
    atomic_path,
    is_jsonl,
    iter_jsonl,
    iter_sources,
    open_write,
    read_text_source,
)
from .progress import Progress

__all__ = ["CleanOptions", "Summary", "clean_paths", "UsageError"]


class UsageError(Exception):
    """The request itself is wrong (paths that clash, options that do not fit)."""


@dataclass
class CleanOptions:
    field: str = "text"  # JSONL: the field to clean
    removed_key: str | None = None  # JSONL: put removed paragraphs and scores under this key
    mark: bool = False
    report: Path | None = None
    workers: int = 1
    batch_size: int = 64
    encoding_errors: str = "strict"
    on_error: str = "fail"  # JSONL records: fail | skip | keep
    in_place: bool = False
    input_format: str = "auto"  # auto | text | jsonl (for stdin and unknown extensions)
    progress: bool = False


@dataclass
class Summary:
    documents: int = 0
    paragraphs: int = 0
    removed: int = 0
    bytes_in: int = 0
    skipped_files: list[str] = field(default_factory=list)
    bad_records: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        return bool(self.skipped_files or self.bad_records)


@dataclass
class _Item:
    source: TextSource
    text: str  # what is cleaned ("" for records passed through)
    encoding: str = "utf-8"
    record: Record | None = None
    passthrough: bool = False  # bad record kept unchanged
    drop: bool = False  # bad record skipped


class _Sink:
    """The output of one input (or stdout): a temporary file committed when the input ends."""

    def __init__(self, target: Path | None):
        self.target = target
        self._ctx = atomic_path(target) if target is not None else None
        self._tmp = self._ctx.__enter__() if self._ctx is not None else None
        self.fh: IO[bytes] = open_write(self._tmp) if self._tmp is not None else sys.stdout.buffer

    def commit(self) -> None:
        if self._ctx is None:
            self.fh.flush()
            return
        self.fh.close()
        self._ctx.__exit__(None, None, None)

    def abort(self, exc: BaseException) -> None:
        if self._ctx is None:
            return
        self.fh.close()
        try:
            self._ctx.__exit__(type(exc), exc, exc.__traceback__)
        except BaseException:  # atomic_path re-raises after cleaning up; we are unwinding anyway
            pass


def _jsonl(source: TextSource, opts: CleanOptions) -> bool:
    if opts.input_format != "auto":
        return opts.input_format == "jsonl"
    return source.path is not None and is_jsonl(source.path)


def _plan_outputs(inputs: list[str], output: str | None, opts: CleanOptions) -> tuple[str, Path | None]:
    """Return (mode, root): mode is stdout, file, dir or in-place."""
    if opts.in_place:
        if output is not None:
            raise UsageError("--in-place and -o/--output do not go together")
        if "-" in inputs:
            raise UsageError("--in-place cannot rewrite standard input")
        return "in-place", None
    many = len(inputs) > 1 or any(Path(p).is_dir() for p in inputs if p != "-")
    in_paths = [Path(p).resolve() for p in inputs if p != "-"]
    if output is None or output == "-":
        return "stdout", None
    out = Path(output).resolve()
    for p in in_paths:
        if out == p:
            raise UsageError(f"{output}: output is the input; pass --in-place to overwrite inputs")
        if p.is_dir() and (out == p or p in out.parents):
            raise UsageError(f"{output}: output is inside the input directory {p}")
    if many:
        if out.exists() and not out.is_dir():
            raise UsageError(f"{output}: several inputs need an output directory, this is a file")
        return "dir", out
    if out.is_dir():
        raise UsageError(f"{output}: is a directory; give a file path for a single input")
    return "file", out


def _items(inputs: list[str], opts: CleanOptions, summary: Summary) -> Iterator[_Item]:
    for source in iter_sources(inputs):
        if _jsonl(source, opts):
            for rec in iter_jsonl(source, opts.field, opts.encoding_errors):
                if rec.error is None:
                    summary.bytes_in += len(rec.raw)
                    yield _Item(source, rec.text or "", record=rec)
                elif opts.on_error == "fail":
                    raise InputError(rec.error)
                else:
                    summary.bad_records.append(rec.error)
                    yield _Item(source, "", record=rec, passthrough=opts.on_error == "keep",
                                drop=opts.on_error == "skip")
        else:
            read = read_text_source(source, opts.encoding_errors)
            if read is None:
                summary.skipped_files.append(f"{source.name}: binary file skipped")
                continue
            text, encoding = read
            summary.bytes_in += len(text.encode("utf-8", "surrogatepass"))
            yield _Item(source, text, encoding)


def _target(mode: str, root: Path | None, source: TextSource, output: str | None) -> Path | None:
    if mode == "stdout":
        return None
    if mode == "in-place":
        return source.path
    if mode == "file":
        return root
    assert root is not None
    return root / source.relative


def _encode_record(item: _Item, res: CleanResult, opts: CleanOptions, threshold: float) -> bytes:
    rec = item.record
    assert rec is not None
    if item.passthrough:
        return rec.raw if rec.raw.endswith(b"\n") else rec.raw + b"\n"
    obj = dict(rec.obj or {})
    obj[opts.field] = res.text
    if opts.removed_key:
        obj[opts.removed_key] = {
            "removed": [p.text for p in res.removed],
            "scores": [round(p.score, 6) for p in res.paragraphs],
            "threshold": threshold,
        }
    return (json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8")


def clean_paths(inputs: list[str], output: str | None, detector: Detector,
                opts: CleanOptions | None = None) -> Summary:
    """Clean ``inputs`` (paths, directories or '-') into ``output`` (None: standard output).

    Text files give text files (same encoding, BOM kept); JSONL gives JSONL with ``opts.field``
    cleaned and every other field kept. Raises :class:`InputError` / :class:`UsageError`; on
    any exception no partial output is left behind.
    """
    opts = opts or CleanOptions()
    summary = Summary()
    mode, root = _plan_outputs(inputs, output, opts)
    text_to_stdout = mode == "stdout"
    progress = Progress(enabled=opts.progress, total_bytes=_total_bytes(inputs))
    pending: deque[_Item] = deque()

    def texts() -> Iterator[str]:
        for item in _items(inputs, opts, summary):
            pending.append(item)
            yield item.text

    sink: _Sink | None = None
    sink_source: TextSource | None = None
    report_ctx = atomic_path(opts.report) if opts.report else None
    report_tmp = report_ctx.__enter__() if report_ctx else None
    report_fh = open(report_tmp, "w", encoding="utf-8") if report_tmp else None  # noqa: SIM115
    try:
        results = detector.clean_many(texts(), n_jobs=opts.workers, batch_size=opts.batch_size,
                                      mark=opts.mark)
        for res in results:
            item = pending.popleft()
            if sink is None or (item.source is not sink_source and not text_to_stdout):
                if sink is not None:
                    sink.commit()
                    summary.outputs.append(str(sink.target or "<stdout>"))
                sink = _Sink(_target(mode, root, item.source, output))
            sink_source = item.source
            if item.drop:
                continue
            if item.record is not None:
                sink.fh.write(_encode_record(item, res, opts, detector.threshold))
                doc_id = f"{item.source.name}#{item.record.id}"
            else:
                sink.fh.write(res.text.encode(item.encoding, "surrogatepass"))
                doc_id = item.source.name
            if item.passthrough:
                continue
            summary.documents += 1
            summary.paragraphs += len(res.paragraphs)
            summary.removed += len(res.removed)
            if report_fh:
                for row in res.report(doc_id):
                    report_fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            progress.update(1, len(item.text.encode("utf-8", "surrogatepass")))
        if sink is not None:
            sink.commit()
            summary.outputs.append(str(sink.target or "<stdout>"))
        if report_fh and report_ctx:
            report_fh.close()
            report_ctx.__exit__(None, None, None)
    except BaseException as exc:
        if sink is not None:
            sink.abort(exc)
        if report_fh and report_ctx:
            report_fh.close()
            try:
                report_ctx.__exit__(type(exc), exc, exc.__traceback__)
            except BaseException:
                pass
        raise
    finally:
        progress.close()
    return summary


def _total_bytes(inputs: list[str]) -> int | None:
    """Size of the inputs on disk, for the progress bar's ETA (None for stdin)."""
    total = 0
    for p in inputs:
        if p == "-":
            return None
        path = Path(p)
        if path.is_file():
            total += path.stat().st_size
        elif path.is_dir():
            total += sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return total
