"""Files in and out: decoding, compressed streams, JSONL records, directory walks, atomic writes.

Nothing here decides anything about boilerplate; it turns paths into texts (lazily) and texts
back into files without ever leaving a half-written output behind.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import gzip
import io
import json
import os
import re
import sys
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

__all__ = [
    "InputError", "TextSource", "Record", "atomic_path", "atomic_write_text", "decode",
    "is_binary", "is_jsonl", "open_read", "open_write", "iter_sources", "read_text_source",
    "iter_jsonl", "compression_of", "strip_compression", "check_inputs", "check_level",
    "ReadCounter", "iter_jsonl_lines", "parse_record", "output_level",
]

JSONL_SUFFIXES = (".jsonl", ".ndjson")
COMPRESSED = (".gz", ".zst")
# Compression levels of written .gz / .zst files: gzip's own default (6) rather than Python's
# (9, as small a file and up to 1.4x slower); zstandard's default (3).
DEFAULT_LEVEL = {".gz": 6, ".zst": 3}
LEVELS = {".gz": range(1, 10), ".zst": range(1, 23)}
BINARY_PROBE = 8192


class InputError(Exception):
    """Bad input; the message is one line naming the file, line or record."""


# ------------------------------------------------------------------------------ writing
@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it into place only on success.

    On any error, Ctrl-C or SIGTERM (raised as an exception by the CLI) the temporary file is
    removed and ``target`` is left as it was. The new file gets ``target``'s permission bits
    when it replaces an existing file, else the usual ones for a new file (0666 & ~umask).
    """
    target = Path(target)
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory, expected a file path", str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        try:
            mode = target.stat().st_mode & 0o7777
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        if tmp:
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


class _GzipFile(gzip.GzipFile):
    """A gzip reader or writer that also closes the file under it."""

    def close(self) -> None:
        raw = self.fileobj
        try:
            super().close()
        finally:
            if raw is not None:
                raw.close()


def check_level(path: str | Path, level: int | None) -> None:
    """Raise ValueError when ``level`` is not a compression level for ``path``'s format."""
    c = compression_of(path)
    if level is not None and c is not None and level not in LEVELS[c]:
        r = LEVELS[c]
        raise ValueError(f"{path}: compression level {level} is out of range for {c} "
                         f"({r.start}-{r.stop - 1})")


def output_level(path: str | Path, level: int | None = None) -> int | None:
    """The level ``path`` is compressed at: ``level``, or its format's :data:`DEFAULT_LEVEL`;
    None for an uncompressed path."""
    c = compression_of(path)
    if c is None:
        return None
    return DEFAULT_LEVEL[c] if level is None else level


def open_write(path: Path, like: Path | None = None, level: int | None = None) -> IO[bytes]:
    """Binary writer for ``path``, compressing when it (or ``like``: the final name of a
    temporary file) ends in .gz or .zst, at ``level`` (default: :data:`DEFAULT_LEVEL`).

    Compressed outputs are reproducible: no time stamp and no (temporary) file name in the
    gzip header.
    """
    name = like if like is not None else path
    check_level(name, level)
    c = compression_of(name)
    level = output_level(name, level)
    raw = open(path, "wb")  # noqa: SIM115 - returned to the caller, who closes it
    try:
        if c == ".gz":
            return _GzipFile(filename="", fileobj=raw, mode="wb", mtime=0, compresslevel=level)
        if c == ".zst":
            import zstandard

            return zstandard.ZstdCompressor(level=level).stream_writer(raw, closefd=True)
    except BaseException:
        raw.close()
        raise
    return raw


# ------------------------------------------------------------------------------ reading
class ReadCounter(io.RawIOBase):
    """A file opened for reading that counts the bytes read from it: how far into a
    (compressed) input we are."""

    def __init__(self, path: Path):
        self.raw = open(path, "rb")  # noqa: SIM115 - closed with this object
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer) or 0
        self.count += n
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


def open_read(path: Path, counter: ReadCounter | None = None) -> IO[bytes]:
    """Binary reader for ``path``, decompressing .gz and .zst transparently.

    ``counter``, a :class:`ReadCounter` of ``path``, is read instead of opening the file, so
    the caller can follow how many bytes on disk have been consumed; it is closed with the
    reader (or here, if the reader cannot be made).
    """
    c = compression_of(path)
    raw: IO[bytes] = counter if counter is not None else open(path, "rb")  # noqa: SIM115
    try:
        if c == ".gz":
            return _GzipFile(fileobj=raw, mode="rb")
        if c == ".zst":
            import zstandard

            # read_across_frames: concatenated .zst files (pzstd, `cat a.zst b.zst`) are one
            # stream.
            return zstandard.ZstdDecompressor().stream_reader(raw, closefd=True,
                                                              read_across_frames=True)
    except BaseException:
        raw.close()
        raise
    return io.BufferedReader(raw) if counter is not None else raw  # type: ignore[arg-type]


# UTF-32 first: its little-endian BOM starts with the UTF-16 one.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))


def sniff_encoding(data: bytes) -> str:
    """utf-16/-32 (-le/-be) when the data starts with their BOM, else utf-8."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return enc
    return "utf-8"


def is_binary(data: bytes) -> bool:
    """NUL bytes in the first 8 KiB of a file without a UTF-16/32 BOM mean binary (images, archives)."""
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
    problem: str | None = None  # set for entries of a directory walk that cannot be read

    @property
    def jsonl(self) -> bool:
        return self.path is not None and is_jsonl(self.path)


def check_inputs(inputs: list[str], allow_dirs: bool = True) -> None:
    """Fail early, before anything is written, when a named input does not exist or is a
    directory where only files are accepted."""
    for raw in inputs:
        if raw == "-":
            continue
        path = Path(raw)
        if not path.exists():
            kind = "broken symbolic link" if path.is_symlink() else "no such file or directory"
            raise InputError(f"{raw}: {kind}")
        if path.is_dir() and not allow_dirs:
            raise InputError(f"{raw}: is a directory, expected a file")


def iter_sources(inputs: list[str], allow_dirs: bool = True) -> Iterator[TextSource]:
    """Expand paths ('-' for stdin, files, directories walked recursively in sorted order).

    Hidden entries (names starting with '.') of a walk are left out. Entries of a walk that are
    not regular files (sockets, FIFOs, broken links) and unreadable sub-directories come back
    with ``problem`` set, so callers can report them instead of losing them silently; a FIFO
    or device named explicitly (``<(zcat x.gz)``) is read like a file.
    """
    for raw in inputs:
        if raw == "-":
            yield TextSource(None, Path("stdin"), "<stdin>")
            continue
        path = Path(raw)
        if path.is_dir():
            if not allow_dirs:
                raise InputError(f"{raw}: is a directory, expected a file")
            errors: list[OSError] = []
            for root, dirs, files in os.walk(path, onerror=errors.append):
                yield from _walk_errors(path, errors)
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    if f.startswith("."):
                        continue
                    full = Path(root) / f
                    if not full.is_file():
                        kind = "broken symbolic link" if full.is_symlink() else "not a regular file"
                        yield _problem(path, full, kind)
                        continue
                    yield TextSource(full, full.relative_to(path), str(full))
            yield from _walk_errors(path, errors)
        elif not path.exists():
            kind = "broken symbolic link" if path.is_symlink() else "no such file or directory"
            raise InputError(f"{raw}: {kind}")
        else:
            yield TextSource(path, Path(path.name), str(path))


def _walk_errors(root: Path, errors: list[OSError]) -> Iterator[TextSource]:
    """Directories ``os.walk`` could not list, as problem sources."""
    for err in errors:
        where = Path(err.filename) if err.filename else root
        yield _problem(root, where, f"cannot read directory: {_reason(err)}")
    errors.clear()


def _problem(root: Path, where: Path, problem: str) -> TextSource:
    try:
        rel = where.relative_to(root)
    except ValueError:
        rel = Path(where.name)
    return TextSource(where, rel, str(where), problem)


def read_source_bytes(source: TextSource) -> bytes:
    if source.problem:
        raise InputError(f"{source.name}: {source.problem}")
    try:
        if source.path is None:
            return sys.stdin.buffer.read()
        with open_read(source.path) as fh:
            return fh.read()
    except PermissionError:
        raise InputError(f"{source.name}: permission denied") from None
    except IsADirectoryError:
        raise InputError(f"{source.name}: is a directory, expected a file") from None
    except _stream_errors() as exc:  # truncated or corrupt .gz / .zst
        raise InputError(f"{source.name}: cannot read: {_reason(exc)}") from None


def _stream_errors() -> tuple[type[BaseException], ...]:
    """What reading a (compressed) stream raises on damaged data or I/O failure."""
    errors: tuple[type[BaseException], ...] = (OSError, EOFError, zlib.error)
    try:
        import zstandard

        errors += (zstandard.ZstdError,)
    except ImportError:  # pragma: no cover - a dependency, but .zst is optional at run time
        pass
    return errors


def _reason(exc: BaseException) -> str:
    """A one-line reason for an I/O error (no file name: the caller puts it first)."""
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return " ".join(text.split()) or type(exc).__name__


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
    pos: int = 0  # bytes of the file on disk read so far (compressed, read-ahead included)

    @property
    def id(self) -> str:
        if self.obj is not None and isinstance(self.obj.get("id"), (str, int)):
            return str(self.obj["id"])
        return f"line {self.line}"


_SURROGATE = re.compile("[\ud800-\udfff]")


def iter_jsonl(source: TextSource, field: str, errors: str = "strict") -> Iterator[Record]:
    """Stream the records of a JSONL input; bad lines come back with ``error`` set.

    Reading is line by line from a (decompressing) stream: memory does not grow with the file.
    Blank lines are skipped; a UTF-8 BOM before the first record is accepted. A field holding
    an unpaired UTF-16 surrogate (``"\\ud800"``) is bad input like invalid UTF-8: an error with
    ``errors="strict"``, replaced by U+FFFD with ``errors="replace"``.
    """
    for n, raw, pos in iter_jsonl_lines(source):
        rec = parse_record(n, raw, source.name, field, errors)
        rec.pos = pos
        yield rec


def iter_jsonl_lines(source: TextSource) -> Iterator[tuple[int, bytes, int]]:
    """(line number, raw line, bytes read on disk so far) of each non-blank line, unparsed.

    The reading half of :func:`iter_jsonl`: the parsing half, :func:`parse_record`, can then
    run elsewhere (in a worker process). A UTF-8 BOM before the first line is dropped.
    """
    if source.problem:
        raise InputError(f"{source.name}: {source.problem}")
    counter: ReadCounter | None = None
    try:
        if source.path is None:
            fh: IO[bytes] = sys.stdin.buffer
        else:
            counter = ReadCounter(source.path)
            fh = open_read(source.path, counter)
    except PermissionError:
        raise InputError(f"{source.name}: permission denied") from None
    except IsADirectoryError:
        raise InputError(f"{source.name}: is a directory, expected a file") from None
    except OSError as exc:
        raise InputError(f"{source.name}: cannot read: {_reason(exc)}") from None
    try:
        for n, raw in enumerate(_lines(fh, source.name), 1):
            if n == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            if raw.strip():
                yield n, raw, counter.count if counter else 0
    finally:
        if source.path is not None:
            fh.close()


def parse_record(n: int, raw: bytes, name: str, field: str, errors: str = "strict") -> Record:
    """Parse line ``n`` of the JSONL input ``name``; a bad line gives a Record with ``error``."""
    where = f"{name}:{n}"
    if not raw.endswith(b"\n") and not _is_complete_json(raw):
        return Record(n, raw, None, None, f"{where}: truncated last line (no line end and not "
                                          f"a complete JSON value)")
    try:
        obj: Any = json.loads(raw.decode("utf-8", errors=errors))
    except UnicodeDecodeError as exc:
        return Record(n, raw, None, None, f"{where}: invalid UTF-8 at byte {exc.start} of the "
                                          f"line (use --encoding-errors replace)")
    except ValueError as exc:  # JSONDecodeError, or an integer too long to convert
        msg = exc.msg if isinstance(exc, json.JSONDecodeError) else _reason(exc)
        return Record(n, raw, None, None, f"{where}: malformed JSON ({msg})")
    except RecursionError:
        return Record(n, raw, None, None, f"{where}: malformed JSON (nested too deeply)")
    if not isinstance(obj, dict):
        return Record(n, raw, None, None, f"{where}: not a JSON object (a JSON {_json_type(obj)})")
    if field not in obj:
        return Record(n, raw, obj, None, f"{where}: record has no field {field!r}")
    value = obj[field]
    if not isinstance(value, str):
        return Record(n, raw, obj, None, f"{where}: field {field!r} is a JSON "
                                         f"{_json_type(value)}, not a string")
    # Only a \uD800-\uDFFF escape can leave a lone surrogate (decoded UTF-8 never does):
    # without one in the line, the regex scan of the whole text is skipped.
    maybe = b"\\ud" in raw or b"\\uD" in raw
    bad = _SURROGATE.search(value) if maybe else None
    if bad is not None:
        if errors == "strict":
            return Record(n, raw, obj, None, f"{where}: field {field!r} has an unpaired "
                                             f"surrogate (\\u{ord(bad.group()):04x}) at character "
                                             f"{bad.start()} (use --encoding-errors replace)")
        value = _SURROGATE.sub("\ufffd", value)
    return Record(n, raw, obj, value, None)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _lines(fh: IO[bytes], name: str) -> Iterator[bytes]:
    try:
        # A large buffer in C: few calls into the (Python) decompressor, not one per 8 KiB.
        yield from io.BufferedReader(fh, buffer_size=1 << 20)  # type: ignore[arg-type]
    except _stream_errors() as exc:  # truncated or corrupt .gz / .zst, I/O errors
        raise InputError(f"{name}: cannot read: {_reason(exc)}") from None


def _is_complete_json(raw: bytes) -> bool:
    try:
        json.loads(raw)
        return True
    except (ValueError, RecursionError):
        return False
