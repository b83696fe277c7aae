"""Files in and out: decoding, compressed streams, JSONL records, directory walks, atomic writes.

Nothing here decides anything about boilerplate; it turns paths into texts (lazily) and texts
back into files without ever leaving a half-written output behind.
"""

from __future__ import annotations

import codecs
import contextlib
import gzip
import io
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

__all__ = [
    "InputError", "TextSource", "Record", "atomic_path", "atomic_write_text", "decode",
    "is_binary", "is_jsonl", "open_read", "open_write", "iter_sources", "read_text_source",
    "iter_jsonl", "compression_of", "strip_compression",
]

JSONL_SUFFIXES = (".jsonl", ".ndjson")
COMPRESSED = (".gz", ".zst")
BINARY_PROBE = 8192


class InputError(Exception):
    """Bad input; the message is one line naming the file, line or record."""


# ------------------------------------------------------------------------------ writing
@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it into place only on success.

    On any error, Ctrl-C or SIGTERM (raised as an exception by the CLI) the temporary file is
    removed and ``target`` is left as it was.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(target: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``target`` through a temporary file and a rename."""
    with atomic_path(Path(target)) as tmp:
        tmp.write_text(text, encoding="utf-8")


def compression_of(path: str | Path) -> str | None:
    name = str(path).lower()
    return next((c for c in COMPRESSED if name.endswith(c)), None)


def strip_compression(path: str | Path) -> str:
    c = compression_of(path)
    return str(path)[: -len(c)] if c else str(path)


def is_jsonl(path: str | Path) -> bool:
    return strip_compression(path).lower().endswith(JSONL_SUFFIXES)


def open_write(path: Path) -> IO[bytes]:
    """Binary writer for ``path``, compressing when it ends in .gz or .zst."""
    c = compression_of(path)
    raw = open(path, "wb")  # noqa: SIM115 - returned to the caller, who closes it
    if c == ".gz":
        return gzip.GzipFile(fileobj=raw, mode="wb", mtime=0)  # closes only itself
    if c == ".zst":
        import zstandard

        return zstandard.ZstdCompressor().stream_writer(raw, closefd=True)
    return raw


# ------------------------------------------------------------------------------ reading
def open_read(path: Path) -> IO[bytes]:
    """Binary reader for ``path``, decompressing .gz and .zst transparently."""
    c = compression_of(path)
    if c == ".gz":
        return gzip.open(path, "rb")
    if c == ".zst":
        import zstandard

        return zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), closefd=True)
    return open(path, "rb")


_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))


def sniff_encoding(data: bytes) -> str:
    """utf-16-le/-be when the data starts with their BOM, else utf-8."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return enc
    return "utf-8"


def is_binary(data: bytes) -> bool:
    """NUL bytes in the first 8 KiB of a file that is not UTF-16 mean binary (images, archives)."""
    return sniff_encoding(data) == "utf-8" and b"\x00" in data[:BINARY_PROBE]


def decode(data: bytes, name: str, errors: str = "strict") -> tuple[str, str]:
    """(text, encoding). A BOM stays in the text as U+FEFF so outputs can keep it.

    With ``errors="strict"`` invalid bytes raise an :class:`InputError` naming the byte offset.
    """
    encoding = sniff_encoding(data)
    try:
        return data.decode(encoding, errors=errors), encoding
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: invalid {encoding.upper()} at byte offset {exc.start} "
                         f"(use --encoding-errors replace to substitute U+FFFD)") from None


@dataclass
class TextSource:
    """One input document: where it came from and where its output goes (relative path)."""

    path: Path | None  # None: standard input
    relative: Path  # path under its input root, for mirrored outputs
    name: str  # for messages and reports

    @property
    def jsonl(self) -> bool:
        return self.path is not None and is_jsonl(self.path)


def iter_sources(inputs: list[str]) -> Iterator[TextSource]:
    """Expand paths ('-' for stdin, files, directories walked recursively in sorted order)."""
    for raw in inputs:
        if raw == "-":
            yield TextSource(None, Path("stdin"), "<stdin>")
            continue
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    if f.startswith("."):
                        continue
                    full = Path(root) / f
                    yield TextSource(full, full.relative_to(path), str(full))
        elif path.exists() and not path.is_file():
            raise InputError(f"{path}: not a regular file")
        elif not path.exists():
            raise InputError(f"{path}: no such file or directory")
        else:
            yield TextSource(path, Path(path.name), str(path))


def read_source_bytes(source: TextSource) -> bytes:
    try:
        if source.path is None:
            return sys.stdin.buffer.read()
        with open_read(source.path) as fh:
            return fh.read()
    except PermissionError:
        raise InputError(f"{source.name}: permission denied") from None
    except IsADirectoryError:
        raise InputError(f"{source.name}: is a directory, expected a file") from None
    except (OSError, EOFError) as exc:  # truncated or corrupt .gz / .zst
        raise InputError(f"{source.name}: cannot read: {exc}") from None


def read_text_source(source: TextSource, errors: str = "strict") -> tuple[str, str] | None:
    """(text, encoding) of a text input, or None when it is binary (to be skipped)."""
    data = read_source_bytes(source)
    if is_binary(data):
        return None
    return decode(data, source.name, errors)


@dataclass
class Record:
    """One JSONL line: the parsed object (None when unreadable) and what went wrong."""

    line: int
    raw: bytes
    obj: dict | None
    text: str | None
    error: str | None

    @property
    def id(self) -> str:
        if self.obj is not None and isinstance(self.obj.get("id"), (str, int)):
            return str(self.obj["id"])
        return f"line {self.line}"


def iter_jsonl(source: TextSource, field: str, errors: str = "strict") -> Iterator[Record]:
    """Stream the records of a JSONL input; bad lines come back with ``error`` set.

    Reading is line by line from a (decompressing) stream: memory does not grow with the file.
    """
    try:
        fh: IO[bytes] = sys.stdin.buffer if source.path is None else open_read(source.path)
    except PermissionError:
        raise InputError(f"{source.name}: permission denied") from None
    try:
        for n, raw in enumerate(_lines(fh, source.name), 1):
            if not raw.strip():
                continue
            where = f"{source.name}:{n}"
            if not raw.endswith(b"\n") and not _is_complete_json(raw):
                yield Record(n, raw, None, None, f"{where}: truncated last line")
                continue
            try:
                obj: Any = json.loads(raw.decode("utf-8", errors=errors))
            except UnicodeDecodeError as exc:
                yield Record(n, raw, None, None, f"{where}: invalid UTF-8 at byte {exc.start}")
                continue
            except json.JSONDecodeError as exc:
                yield Record(n, raw, None, None, f"{where}: malformed JSON ({exc.msg})")
                continue
            if not isinstance(obj, dict):
                yield Record(n, raw, None, None, f"{where}: not a JSON object")
                continue
            if field not in obj:
                yield Record(n, raw, obj, None, f"{where}: record has no field {field!r}")
                continue
            value = obj[field]
            if not isinstance(value, str):
                yield Record(n, raw, obj, None,
                             f"{where}: field {field!r} is {type(value).__name__}, not a string")
                continue
            yield Record(n, raw, obj, value, None)
    finally:
        if source.path is not None:
            fh.close()


def _lines(fh: IO[bytes], name: str) -> Iterator[bytes]:
    try:
        reader = fh if isinstance(fh, io.BufferedIOBase) else io.BufferedReader(fh)  # type: ignore
        yield from reader
    except (OSError, EOFError) as exc:
        raise InputError(f"{name}: cannot read: {exc}") from None


def _is_complete_json(raw: bytes) -> bool:
    try:
        json.loads(raw)
        return True
    except (ValueError, UnicodeDecodeError):
        return False
