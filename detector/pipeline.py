"""Clean files, directories, standard input and JSONL corpora, streaming, in order.

``clean_paths`` is what ``detector clean`` runs; it is usable from Python as well. Inputs are
read lazily and cleaned in batches (in worker processes when ``workers > 1``); results come back
in input order and are written through temporary files renamed into place when complete.
"""

from __future__ import annotations

import itertools
import json
import os
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
    check_inputs,
    check_level,
    is_jsonl,
    iter_jsonl,
    iter_sources,
    open_write,
    read_text_source,
)
from .progress import Progress

__all__ = ["CleanOptions", "Summary", "clean_paths", "UsageError"]

BOM = "\ufeff"


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
    compress_level: int | None = None  # .gz / .zst outputs; None: io.DEFAULT_LEVEL


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
    drop: bool = False  # nothing to write: a skipped bad record, or the stand-in of an empty JSONL
    disk: int = 0  # bytes on disk of all inputs read up to this item (for the progress ETA)


class _Sink:
    """The output of one input (or stdout): a temporary file committed when the input ends."""

    def __init__(self, target: Path | None, level: int | None = None):
        self.target = target
        self._ctx = atomic_path(target) if target is not None else None
        if self._ctx is None:
            self.fh: IO[bytes] = sys.stdout.buffer
            return
        _check_level(target, level)
        tmp = self._ctx.__enter__()
        try:
            self.fh = open_write(tmp, like=target, level=level)
        except BaseException as exc:
            _exit_quietly(self._ctx, exc)
            raise

    def commit(self) -> None:
        if self._ctx is None:
            self.fh.flush()
            return
        try:
            self.fh.close()
        except BaseException as exc:
            _exit_quietly(self._ctx, exc)
            raise
        self._ctx.__exit__(None, None, None)

    def abort(self, exc: BaseException) -> None:
        if self._ctx is None:
            return
        try:
            self.fh.close()
        except BaseException:  # a half-written compressed stream may fail to close: discard it
            pass
        _exit_quietly(self._ctx, exc)


def _check_level(target: Path | None, level: int | None) -> None:
    try:
        check_level(target or "", level)
    except ValueError as exc:
        raise UsageError(f"--compress-level: {exc}") from None


def _exit_quietly(ctx, exc: BaseException) -> None:
    """Leave an ``atomic_path`` context after an error: the temporary file is deleted."""
    try:
        ctx.__exit__(type(exc), exc, exc.__traceback__)
    except BaseException:  # atomic_path re-raises after cleaning up; we are unwinding anyway
        pass


def _jsonl(source: TextSource, opts: CleanOptions) -> bool:
    if opts.input_format != "auto":
        return opts.input_format == "jsonl"
    return source.path is not None and is_jsonl(source.path)


@dataclass
class _Plan:
    mode: str  # stdout, file, dir or in-place
    root: Path | None  # the output file (file) or directory (dir)
    input_files: list[Path] = field(default_factory=list)  # named input files, resolved
    input_dirs: list[Path] = field(default_factory=list)  # named input directories, resolved
    written: dict[Path, str] = field(default_factory=dict)  # dir mode: output -> its input

    def check_target(self, target: Path, source: TextSource) -> None:
        """In a mirrored output tree, no two inputs may map to one output and no output may
        replace an input (``detector clean a/x.txt x.txt -o .``)."""
        if target in self.written:
            raise UsageError(f"{self.written[target]} and {source.name} would both be written "
                             f"to {target}")
        self.written[target] = source.name
        for d in self.input_dirs:
            if d in target.parents:
                raise UsageError(f"{target}: output would be written inside the input "
                                 f"directory {d}")
        if target.exists():
            for f in self.input_files:
                if f.exists() and os.path.samefile(target, f):
                    raise UsageError(f"{target}: output is the input {f}; pass --in-place to "
                                     f"overwrite inputs")


def _check_report(report: Path | None, in_paths: list[Path], output: str | None) -> None:
    """The report must not replace an input or the output."""
    if report is None:
        return
    rep = Path(report).resolve()
    if rep.is_dir():
        raise UsageError(f"--report {report}: is a directory; give a file path")
    clashes = [(p, "an input") for p in in_paths]
    if output not in (None, "-"):
        clashes.append((Path(output).resolve(), "the output"))
    for p, what in clashes:
        if rep == p or (rep.exists() and p.exists() and os.path.samefile(rep, p)):
            raise UsageError(f"--report {report}: would overwrite {what}")


def _plan_outputs(inputs: list[str], output: str | None, opts: CleanOptions) -> _Plan:
    """Check the request before anything is read or written and decide where outputs go."""
    if opts.removed_key is not None and opts.removed_key == opts.field:
        raise UsageError(f"--removed-key {opts.removed_key!r} would overwrite the cleaned field")
    if inputs.count("-") > 1:
        raise UsageError("standard input (-) can be read only once")
    if opts.in_place:
        if output is not None:
            raise UsageError("--in-place and -o/--output do not go together")
        if "-" in inputs:
            raise UsageError("--in-place cannot rewrite standard input")
        check_inputs(inputs)
        _check_report(opts.report, [Path(p).resolve() for p in inputs], None)
        for p in inputs:
            _check_level(Path(p), opts.compress_level)
        return _Plan("in-place", None)
    check_inputs(inputs)
    in_paths = [Path(p).resolve() for p in inputs if p != "-"]
    _check_report(opts.report, in_paths, output)
    many = (len(inputs) > 1 or any(p.is_dir() for p in in_paths)
            or (output is not None and output.endswith(("/", os.sep))))  # `-o out/`: a directory
    if output is None or output == "-":
        return _Plan("stdout", None)
    out = Path(output).resolve()
    for p in in_paths:
        if out == p or (out.exists() and os.path.samefile(out, p)):
            raise UsageError(f"{output}: output is the input; pass --in-place to overwrite inputs")
        if p.is_dir() and p in out.parents:
            raise UsageError(f"{output}: output is inside the input directory {p}")
    if not many:
        if out.is_dir():
            raise UsageError(f"{output}: is a directory; give a file path for a single input")
        _check_level(out, opts.compress_level)
        return _Plan("file", out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{output}: several inputs need an output directory, this is a file")
    plan = _Plan("dir", out, [p for p in in_paths if not p.is_dir()],
                 [p for p in in_paths if p.is_dir()])
    for raw in inputs:  # named files: their outputs are known now, check them before any work
        if raw != "-" and not Path(raw).is_dir():
            plan.check_target(out / Path(raw).name, TextSource(Path(raw), Path(raw), raw))
            _check_level(out / Path(raw).name, opts.compress_level)
    plan.written.clear()
    return plan


def _items(inputs: list[str], opts: CleanOptions, summary: Summary) -> Iterator[_Item]:
    base = 0  # bytes on disk of the inputs already read
    for source in iter_sources(inputs):
        if source.problem:
            summary.skipped_files.append(f"{source.name}: {source.problem}, skipped")
            continue
        size = _disk_size(source.path)
        if _jsonl(source, opts):
            empty = True
            for rec in iter_jsonl(source, opts.field, opts.encoding_errors):
                empty = False
                if rec.error is None:
                    summary.bytes_in += len(rec.raw)
                    yield _Item(source, rec.text or "", record=rec, disk=base + rec.pos)
                elif opts.on_error == "fail":
                    raise InputError(rec.error)
                else:
                    summary.bad_records.append(rec.error)
                    yield _Item(source, "", record=rec, passthrough=opts.on_error == "keep",
                                drop=opts.on_error == "skip")
            if empty:  # no records: still an (empty) output, so every input has one
                yield _Item(source, "", drop=True)
        else:
            read = read_text_source(source, opts.encoding_errors)
            if read is None:
                summary.skipped_files.append(f"{source.name}: binary file, skipped")
                base += size
                continue
            text, encoding = read
            summary.bytes_in += len(text.encode("utf-8", "surrogatepass"))
            yield _Item(source, text, encoding, disk=base + size)
        base += size


def _disk_size(path: Path | None) -> int:
    try:
        return path.stat().st_size if path is not None else 0
    except OSError:
        return 0


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
    try:
        return (json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8")
    except UnicodeEncodeError:  # an unpaired surrogate in another field: keep it, escaped
        return (json.dumps(obj, ensure_ascii=True) + "\n").encode("ascii")


def clean_paths(inputs: list[str], output: str | None, detector: Detector,
                opts: CleanOptions | None = None) -> Summary:
    """Clean ``inputs`` (paths, directories or '-') into ``output`` (None: standard output).

    Text files give text files (same encoding, BOM kept); JSONL gives JSONL with ``opts.field``
    cleaned and every other field kept. Raises :class:`InputError` / :class:`UsageError`; on
    any exception no partial output is left behind.
    """
    opts = opts or CleanOptions()
    summary = Summary()
    plan = _plan_outputs(inputs, output, opts)
    mode, root = plan.mode, plan.root
    text_to_stdout = mode == "stdout"
    progress = Progress(enabled=opts.progress,
                        total_bytes=_total_bytes(inputs) if opts.progress else None)
    pending: deque[_Item] = deque()

    def texts() -> Iterator[str]:
        for item in _items(inputs, opts, summary):
            pending.append(item)
            yield item.text

    sink: _Sink | None = None
    sink_source: TextSource | None = None
    report_ctx = atomic_path(opts.report) if opts.report else None
    report_fh = None
    results: Iterator[CleanResult] | None = None
    try:
        if report_ctx is not None:
            report_fh = open(report_ctx.__enter__(), "w", encoding="utf-8")  # noqa: SIM115
        stream = texts()
        # Everything fits in one batch: clean in this process, no workers to start.
        head = list(itertools.islice(stream, opts.batch_size + 1))
        n_jobs = opts.workers if len(head) > opts.batch_size else 1
        results = detector.clean_many(itertools.chain(head, stream), n_jobs=n_jobs,
                                      batch_size=opts.batch_size, mark=opts.mark)
        for res in results:
            item = pending.popleft()
            if sink is None or (item.source is not sink_source and not text_to_stdout):
                if sink is not None:
                    done, sink = sink, None
                    done.commit()
                    summary.outputs.append(str(done.target or "<stdout>"))
                target = _target(mode, root, item.source, output)
                if target is not None and mode == "dir":
                    plan.check_target(target, item.source)
                sink = _Sink(target, opts.compress_level)
            sink_source = item.source
            if item.drop:
                continue
            if item.record is not None:
                sink.fh.write(_encode_record(item, res, opts, detector.threshold))
                doc_id = f"{item.source.name}#{item.record.id}"
            else:
                text = res.text
                if item.text.startswith(BOM) and not text.startswith(BOM):
                    text = BOM + text  # the first paragraph went, the byte order mark stays
                sink.fh.write(text.encode(item.encoding, "surrogatepass"))
                doc_id = item.source.name
            if item.passthrough:
                continue
            summary.documents += 1
            summary.paragraphs += res.n_paragraphs
            summary.removed += res.n_removed
            if report_fh:
                for row in res.report(doc_id):
                    report_fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            if progress.enabled:  # the byte count is an encode of the text: only when shown
                progress.update(1, len(item.text.encode("utf-8", "surrogatepass")), item.disk)
        if sink is not None:
            done, sink = sink, None
            done.commit()
            summary.outputs.append(str(done.target or "<stdout>"))
        if report_fh is not None and report_ctx is not None:
            fh, report_fh = report_fh, None
            fh.close()
            ctx, report_ctx = report_ctx, None
            ctx.__exit__(None, None, None)
    except BaseException as exc:
        if results is not None:
            try:
                results.close()  # stops the worker processes, if any, now
            except BaseException:
                pass
        if sink is not None:
            sink.abort(exc)
        if report_ctx is not None:
            if report_fh is not None:
                report_fh.close()
            _exit_quietly(report_ctx, exc)
        raise
    finally:
        progress.close()
    return summary


def _total_bytes(inputs: list[str]) -> int | None:
    """Size of the inputs on disk, for the progress bar's ETA (None for stdin)."""
    total = 0
    try:
        for p in inputs:
            if p == "-":
                return None
            path = Path(p)
            if path.is_file():
                total += path.stat().st_size
            elif path.is_dir():
                total += sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    except OSError:
        return None
    return total
