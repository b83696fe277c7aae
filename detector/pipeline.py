"""Clean files, directories, standard input and JSONL corpora, streaming, in order.

``clean_paths`` is what ``detector clean`` runs; it is usable from Python as well. Inputs are
read lazily, as raw JSONL lines or decoded text files, and handed out in batches to
:func:`detector.batch.clean_parts` (in worker processes when ``workers > 1``), which returns
the bytes to write. They come back in input order and are written through temporary files
renamed into place when complete.
"""

from __future__ import annotations

import gzip
import os
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .batch import Part, PartOutput, Settings, clean_parts
from .clean import BATCH_SIZE, Detector
from .io import (
    InputError,
    TextSource,
    atomic_path,
    check_inputs,
    check_level,
    compression_of,
    is_jsonl,
    iter_jsonl_lines,
    iter_sources,
    open_write,
    output_level,
    read_text_source,
)
from .parallel import map_ordered
from .progress import Progress

__all__ = ["CleanOptions", "Summary", "clean_paths", "UsageError"]

#: a batch also ends once it holds this many bytes of input, so large documents do not make
#: large batches (memory in flight is at most ``2 * workers`` batches)
BATCH_BYTES = 4 << 20


class UsageError(Exception):
    """The request itself is wrong (paths that clash, options that do not fit)."""


@dataclass
class CleanOptions:
    field: str = "text"  # JSONL: the field to clean
    removed_key: str | None = None  # JSONL: put removed paragraphs and scores under this key
    mark: bool = False
    report: Path | None = None
    workers: int = 1
    batch_size: int = BATCH_SIZE  # documents per batch handed to a worker (and BATCH_BYTES)
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
class _Unit:
    """A :class:`~detector.batch.Part` and what only the parent needs to write its output."""

    source: TextSource
    target: Path | None  # where its output goes (None: standard output)
    part: Part
    disk: int = 0  # bytes on disk of all inputs read up to this part (for the progress ETA)
    nbytes: int = 0  # bytes of input in the part


class _Sink:
    """The output of one input (or stdout): a temporary file committed when the input ends.

    A ``.gz`` output is written as the gzip members the workers compressed (one per batch:
    gzip readers read them as one stream); other outputs are compressed here, if at all.
    """

    def __init__(self, target: Path | None, level: int | None = None):
        self.target = target
        self.members = _gzip_members(target)
        self.written = False
        self._ctx = atomic_path(target) if target is not None else None
        if self._ctx is None:
            self.fh: IO[bytes] = sys.stdout.buffer
            return
        _check_level(target, level)
        tmp = self._ctx.__enter__()
        try:
            self.fh = open(tmp, "wb") if self.members else open_write(tmp, like=target, level=level)  # noqa: SIM115
        except BaseException as exc:
            _exit_quietly(self._ctx, exc)
            raise

    def write(self, data: bytes) -> None:
        if data:
            self.fh.write(data)
            self.written = True

    def commit(self) -> None:
        if self._ctx is None:
            self.fh.flush()
            return
        try:
            if self.members and not self.written:  # an empty .gz file is still a gzip file
                self.fh.write(gzip.compress(b"", mtime=0))
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


def _gzip_members(target: Path | None) -> bool:
    """Whether the output is a .gz file, written as members the workers compress."""
    return target is not None and compression_of(target) == ".gz"


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


def _units(inputs: list[str], opts: CleanOptions, plan: _Plan, output: str | None,
           summary: Summary) -> Iterator[_Unit]:
    """The inputs, read lazily and cut into parts of at most ``opts.batch_size`` records or
    :data:`BATCH_BYTES` bytes."""
    base = 0  # bytes on disk of the inputs already read
    for source in iter_sources(inputs):
        if source.problem:
            summary.skipped_files.append(f"{source.name}: {source.problem}, skipped")
            continue
        size = _disk_size(source.path)
        target = _target(plan.mode, plan.root, source, output)
        level = output_level(target, opts.compress_level) if _gzip_members(target) else None
        if _jsonl(source, opts):
            lines: list[tuple[int, bytes]] = []
            nbytes = parts = 0
            for n, raw, pos in iter_jsonl_lines(source):
                lines.append((n, raw))
                nbytes += len(raw)
                if len(lines) >= opts.batch_size or nbytes >= BATCH_BYTES:
                    yield _Unit(source, target, Part(source.name, lines=lines, gzip_level=level),
                                base + pos, nbytes)
                    lines, nbytes, parts = [], 0, parts + 1
            if lines or not parts:  # an input without records still gets its (empty) output
                yield _Unit(source, target, Part(source.name, lines=lines, gzip_level=level),
                            base + size, nbytes)
        else:
            read = read_text_source(source, opts.encoding_errors)
            if read is None:
                summary.skipped_files.append(f"{source.name}: binary file, skipped")
            else:
                yield _Unit(source, target, Part(source.name, text=read, gzip_level=level),
                            base + size, len(read[0]))
        base += size


def _batches(units: Iterator[_Unit], size: int) -> Iterator[list[_Unit]]:
    """Consecutive units, ``size`` documents or :data:`BATCH_BYTES` bytes to a batch."""
    batch: list[_Unit] = []
    docs = nbytes = 0
    for unit in units:
        batch.append(unit)
        docs += unit.part.size
        nbytes += unit.nbytes
        if docs >= size or nbytes >= BATCH_BYTES:
            yield batch
            batch, docs, nbytes = [], 0, 0
    if batch:
        yield batch


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
    settings = Settings(opts.field, opts.removed_key, opts.mark, opts.on_error,
                        opts.encoding_errors, report=opts.report is not None,
                        count_text=opts.progress)
    progress = Progress(enabled=opts.progress,
                        total_bytes=_total_bytes(inputs) if opts.progress else None)
    sent: deque[list[_Unit]] = deque()  # batches handed out, in order

    def jobs() -> Iterator[tuple[list[Part], Settings]]:
        for batch in _batches(_units(inputs, opts, plan, output, summary), opts.batch_size):
            sent.append(batch)
            yield [u.part for u in batch], settings

    sink: _Sink | None = None
    sink_source: TextSource | None = None
    report_ctx = atomic_path(opts.report) if opts.report else None
    report_fh = None
    results: Iterator | None = None
    try:
        if report_ctx is not None:
            report_fh = open(report_ctx.__enter__(), "wb")  # noqa: SIM115
        results = map_ordered(detector, clean_parts, jobs(), opts.workers)
        for _, outputs in results:
            for unit, out in zip(sent.popleft(), outputs):
                if sink is None or (unit.source is not sink_source and plan.mode != "stdout"):
                    if sink is not None:
                        done, sink = sink, None
                        done.commit()
                        summary.outputs.append(str(done.target or "<stdout>"))
                    if unit.target is not None and plan.mode == "dir":
                        plan.check_target(unit.target, unit.source)
                    sink = _Sink(unit.target, opts.compress_level)
                sink_source = unit.source
                _account(out, summary)
                sink.write(out.data)
                if report_fh is not None:
                    report_fh.write(out.report)
                progress.update(out.documents, out.text_bytes, unit.disk)
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


def _account(out: PartOutput, summary: Summary) -> None:
    """Add a part's counts to the summary; its first bad record stops a run that fails on one."""
    if out.error is not None:
        raise InputError(out.error)
    summary.bad_records.extend(out.bad_records)
    summary.documents += out.documents
    summary.paragraphs += out.paragraphs
    summary.removed += out.removed
    summary.bytes_in += out.bytes_in


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
