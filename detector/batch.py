"""One batch of ``detector clean``: raw inputs in, the bytes to write out.

The parent process of a run only reads and writes: it cuts the inputs into :class:`Part` s
(raw JSONL lines, or decoded text files) and hands them, a batch at a time, to
:func:`clean_parts`, which runs in a worker process. There the records are parsed, cleaned in
one model call, encoded back to JSON or text, gzip-compressed when the output is a ``.gz``
file, and the report lines written, so the parent's share of the work stays small and the
workers, not the parent, set the pace.

The same function runs in the parent when there is one worker, so the output does not depend
on the number of workers, byte for byte.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field

from .clean import CleanResult
from .io import Record, parse_record

__all__ = ["Settings", "Part", "PartOutput", "clean_parts", "BOM"]

BOM = "\ufeff"


@dataclass(frozen=True)
class Settings:
    """What every part of a run is cleaned and written with."""

    field: str = "text"  # JSONL: the field to clean
    removed_key: str | None = None  # JSONL: put removed paragraphs and scores under this key
    mark: bool = False
    on_error: str = "fail"  # JSONL records: fail | skip | keep
    encoding_errors: str = "strict"
    report: bool = False  # build report lines
    count_text: bool = False  # count the UTF-8 bytes of the texts (for the progress bar)


@dataclass
class Part:
    """Consecutive documents of one input, all written to the same output.

    ``lines``: (line number, raw bytes) of JSONL records; ``text``: a whole text file and its
    encoding (a part holds one or the other). ``gzip_level``: compress what this part writes
    as a gzip member at that level (the output is a ``.gz`` file), or None.
    """

    name: str  # the input, for messages and report document names
    lines: list[tuple[int, bytes]] | None = None
    text: tuple[str, str] | None = None
    gzip_level: int | None = None

    @property
    def size(self) -> int:
        """Documents in this part."""
        return len(self.lines) if self.lines is not None else 1


@dataclass
class PartOutput:
    data: bytes = b""  # what to append to the part's output
    report: bytes = b""  # report lines (UTF-8 JSONL)
    documents: int = 0  # documents cleaned (bad records passed through or skipped excluded)
    paragraphs: int = 0
    removed: int = 0
    bytes_in: int = 0  # JSONL: bytes of the good records' lines; text: UTF-8 bytes of the text
    text_bytes: int = 0  # UTF-8 bytes of the texts cleaned (when Settings.count_text)
    bad_records: list[str] = field(default_factory=list)  # skipped or kept unchanged
    error: str | None = None  # the first bad record, when on_error is "fail": the run stops


def clean_parts(detector, parts: list[Part], settings: Settings) -> list[PartOutput]:
    """Clean ``parts`` (one :meth:`Detector.clean_batch` call); one output per part."""
    outputs = [PartOutput() for _ in parts]
    plans: list[list[tuple[Record | None, str | None]]] = []  # per part: (record, text) per doc
    texts: list[str] = []
    for part, out in zip(parts, outputs):
        plan = _plan(part, settings, out)
        plans.append(plan)
        texts.extend(text for _, text in plan if text is not None)
    results = iter(detector.clean_batch(texts, settings.mark))
    for part, out, plan in zip(parts, outputs, plans):
        chunks: list[bytes] = []
        rows: list[str] = []
        for rec, text in plan:
            if text is None:  # a bad record kept as it was
                assert rec is not None
                chunks.append(rec.raw if rec.raw.endswith(b"\n") else rec.raw + b"\n")
                continue
            res = next(results)
            if rec is not None:
                chunks.append(_encode_record(rec, res, settings, detector.threshold))
                doc_id = f"{part.name}#{rec.id}"
            else:
                assert part.text is not None
                chunks.append(_encode_text(text, part.text[1], res))
                doc_id = part.name
            out.documents += 1
            out.paragraphs += res.n_paragraphs
            out.removed += res.n_removed
            if settings.count_text:  # an encode of every text: only when a bar shows it
                out.text_bytes += len(text.encode("utf-8", "surrogatepass"))
            if settings.report:
                rows.extend(json.dumps(row, ensure_ascii=False) + "\n"
                            for row in res.report(doc_id))
        data = b"".join(chunks)
        if part.gzip_level is not None and data:
            data = gzip.compress(data, compresslevel=part.gzip_level, mtime=0)
        out.data = data
        out.report = "".join(rows).encode("utf-8", "surrogatepass")
    return outputs


def _plan(part: Part, settings: Settings,
          out: PartOutput) -> list[tuple[Record | None, str | None]]:
    """What to do with each document of ``part``: (record, text to clean, or None to pass the
    record through unchanged). Skipped records are left out; the first bad record under
    ``on_error="fail"`` ends the plan and is reported in ``out.error``."""
    if part.text is not None:
        text = part.text[0]
        out.bytes_in += len(text.encode("utf-8", "surrogatepass"))
        return [(None, text)]
    plan: list[tuple[Record | None, str | None]] = []
    for n, raw in part.lines or ():
        rec = parse_record(n, raw, part.name, settings.field, settings.encoding_errors)
        if rec.error is None:
            out.bytes_in += len(raw)
            plan.append((rec, rec.text or ""))
        elif settings.on_error == "fail":
            out.error = rec.error
            return []
        else:
            out.bad_records.append(rec.error)
            if settings.on_error == "keep":
                plan.append((rec, None))
    return plan


def _encode_record(rec: Record, res: CleanResult, settings: Settings,
                   threshold: float) -> bytes:
    obj = dict(rec.obj or {})
    obj[settings.field] = res.text
    if settings.removed_key:
        obj[settings.removed_key] = {
            "removed": [p.text for p in res.removed],
            "scores": [round(p.score, 6) for p in res.paragraphs],
            "threshold": threshold,
        }
    try:
        return (json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8")
    except UnicodeEncodeError:  # an unpaired surrogate in another field: keep it, escaped
        return (json.dumps(obj, ensure_ascii=True) + "\n").encode("ascii")


def _encode_text(source: str, encoding: str, res: CleanResult) -> bytes:
    text = res.text
    if source.startswith(BOM) and not text.startswith(BOM):
        text = BOM + text  # the first paragraph went, the byte order mark stays
    return text.encode(encoding, "surrogatepass")
