"""detector.io: decoding, binary sniffing, JSONL records, compressed streams, directory walks and
atomic writes."""

from __future__ import annotations

import codecs
import gzip
import hashlib
import json
import os
import stat
import threading
from pathlib import Path

import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from detector.io import (
    InputError,
    ReadCounter,
    TextSource,
    atomic_path,
    atomic_write_text,
    check_inputs,
    check_level,
    decode,
    is_binary,
    is_jsonl,
    iter_jsonl,
    iter_sources,
    open_read,
    open_write,
    read_text_source,
)


def src(path: Path) -> TextSource:
    return TextSource(path, Path(path.name), str(path))


# ------------------------------------------------------------------------------ decoding
def test_decode_strict_names_byte_offset():
    with pytest.raises(InputError) as err:
        decode("héllo".encode() + b"\x80 tail", "f.txt")
    assert str(err.value).startswith("f.txt: invalid UTF-8 at byte offset 6 ")
    assert "\n" not in str(err.value)
    with pytest.raises(InputError, match=r"^f.txt: invalid UTF-16-LE at byte offset 6 "):
        decode(codecs.BOM_UTF16_LE + "ab".encode("utf-16-le") + b"\x00", "f.txt")


def test_decode_replace():
    assert decode(b"a\xffb", "f", "replace") == ("a\ufffdb", "utf-8")


@pytest.mark.parametrize("bom,encoding", [
    (b"", "utf-8"), (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"), (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be")])
def test_decode_boms_round_trip(bom, encoding):
    text = "Größe ✓ 𝔘nicode\r\nline two\n"
    data = bom + text.encode(encoding)
    decoded, enc = decode(data, "f")
    assert enc == encoding
    assert decoded == ("\ufeff" if bom else "") + text  # the BOM stays, as U+FEFF
    assert decoded.encode(enc) == data
    assert not is_binary(data)


def test_is_binary():
    assert is_binary(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert is_binary(b"text\x00")
    assert not is_binary(b"plain text\n")
    assert not is_binary(b"x" * 9000 + b"\x00")  # only the first 8 KiB are looked at
    assert not is_binary(codecs.BOM_UTF16_LE + "abc".encode("utf-16-le"))


def test_is_jsonl():
    for name in ("a.jsonl", "a.JSONL", "a.ndjson", "a.jsonl.gz", "a.jsonl.zst"):
        assert is_jsonl(name)
    for name in ("a.json", "a.txt", "a.gz", "jsonl"):
        assert not is_jsonl(name)


# ------------------------------------------------------------------------------ JSONL
def records(tmp_path: Path, data: bytes, field: str = "text", errors: str = "strict",
            name: str = "x.jsonl"):
    path = tmp_path / name
    path.write_bytes(data)
    return list(iter_jsonl(src(path), field, errors)), path


def test_iter_jsonl_good_and_bad_lines(tmp_path):
    data = (b'{"id": 1, "text": "a"}\n'
            b"\n"
            b'{"id": 2, "text": "b",}\n'
            b'{"id": 3}\n'
            b'{"id": 4, "text": 4}\n'
            b"[1]\n"
            b'"str"\n'
            b'{"id": 7, "text": "caf\xe9"}\n'
            b'{"text": "x\\udc00"}\n'
            b'{"n": ' + b"9" * 5000 + b', "text": "x"}\n'
            b'{"id": 11, "text": "last", "x": [1, {"y": null}]}\n'
            b'{"id": 12, "te')
    recs, path = records(tmp_path, data)
    got = [(r.line, r.error.split(": ", 1)[1] if r.error else r.text) for r in recs]
    assert got == [
        (1, "a"),
        (3, "malformed JSON (Expecting property name enclosed in double quotes)"),
        (4, "record has no field 'text'"),
        (5, "field 'text' is a JSON number, not a string"),
        (6, "not a JSON object (a JSON array)"),
        (7, "not a JSON object (a JSON string)"),
        (8, "invalid UTF-8 at byte 22 of the line (use --encoding-errors replace)"),
        (9, "field 'text' has an unpaired surrogate (\\udc00) at character 1 (use "
            "--encoding-errors replace)"),
        (10, recs[8].error.split(": ", 1)[1]),
        (11, "last"),
        (12, "truncated last line (no line end and not a complete JSON value)"),
    ]
    assert recs[8].error.startswith(f"{path}:10: malformed JSON (")
    for r in recs:
        assert r.error is None or r.error.startswith(f"{path}:{r.line}: ")
        assert "\n" not in (r.error or "")
    assert recs[0].id == "1" and recs[1].id == "line 3"
    assert recs[9].obj == {"id": 11, "text": "last", "x": [1, {"y": None}]}


def test_iter_jsonl_replace_and_bom(tmp_path):
    data = codecs.BOM_UTF8 + b'{"text": "caf\xe9 \\ud800"}\n{"text": "ok"}'
    recs, _ = records(tmp_path, data, errors="replace")
    assert [r.text for r in recs] == ["caf\ufffd \ufffd", "ok"]
    assert all(r.error is None for r in recs)


def test_iter_jsonl_compressed_and_multiframe(tmp_path):
    lines = [json.dumps({"id": i, "text": f"t{i}"}).encode() + b"\n" for i in range(6)]
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(b"".join(lines[:3]))
                                          + gzip.compress(b"".join(lines[3:])))
    zc = zstandard.ZstdCompressor()
    (tmp_path / "a.jsonl.zst").write_bytes(zc.compress(b"".join(lines[:3]))
                                           + zc.compress(b"".join(lines[3:])))
    for name in ("a.jsonl.gz", "a.jsonl.zst"):
        assert [r.text for r in iter_jsonl(src(tmp_path / name), "text")] == \
            [f"t{i}" for i in range(6)]


def test_iter_jsonl_corrupt_compressed(tmp_path):
    good = gzip.compress(b'{"text": "a"}\n' * 1000)
    (tmp_path / "cut.jsonl.gz").write_bytes(good[: len(good) // 2])
    with pytest.raises(InputError, match=r"cut.jsonl.gz: cannot read: "):
        list(iter_jsonl(src(tmp_path / "cut.jsonl.gz"), "text"))
    (tmp_path / "junk.jsonl.zst").write_bytes(b"not zstd at all")
    with pytest.raises(InputError, match=r"junk.jsonl.zst: cannot read: "):
        list(iter_jsonl(src(tmp_path / "junk.jsonl.zst"), "text"))
    (tmp_path / "junk.txt.gz").write_bytes(b"not gzip")
    with pytest.raises(InputError, match=r"junk.txt.gz: cannot read: "):
        read_text_source(src(tmp_path / "junk.txt.gz"))


_lines = st.one_of(
    st.binary(max_size=30),
    st.fixed_dictionaries({"text": st.text(max_size=20)}).map(lambda d: json.dumps(d).encode()),
    st.text(max_size=20).map(lambda t: json.dumps({"text": t}, ensure_ascii=False)
                             .encode("utf-8", "surrogatepass")),
    st.sampled_from([b"{", b"}", b"[", b'"', b"\\", b"\r", b"\xef\xbb\xbf", b"null", b"1e999",
                     b'{"text": "\\ud800"}', b'{"text": 1}']),
)


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(_lines, max_size=8), end=st.sampled_from([b"", b"\n", b"\r\n"]),
       errors=st.sampled_from(["strict", "replace"]))
def test_fuzz_iter_jsonl(tmp_path_factory, parts, end, errors):
    path = tmp_path_factory.mktemp("fuzz") / "f.jsonl"
    path.write_bytes(b"\n".join(parts) + end)
    seen = []
    for rec in iter_jsonl(src(path), "text", errors):  # never raises on a readable file
        seen.append(rec.line)
        if rec.error is None:
            assert isinstance(rec.obj, dict) and isinstance(rec.text, str)
            rec.text.encode("utf-8")  # no unpaired surrogates reach the model
        else:
            assert rec.text is None
            assert rec.error.startswith(f"{path}:{rec.line}: ")
            assert "\n" not in rec.error and "\r" not in rec.error
    assert seen == sorted(set(seen))


# ------------------------------------------------------------------------------ compressed out
@pytest.mark.parametrize("ext", ["", ".gz", ".zst"])
def test_open_write_read_round_trip(tmp_path, ext):
    data = "Grüße\n".encode() * 10_000
    path = tmp_path / f"x.jsonl{ext}"
    with open_write(path) as fh:
        fh.write(data)
    with open_read(path) as fh:
        assert fh.read() == data
    raw = path.read_bytes()
    assert (raw != data) == bool(ext)


def test_open_write_levels(tmp_path):
    data = " ".join(f"word{i % 997} and more words" for i in range(20_000)).encode()
    for ext, bad in ((".gz", (0, 10)), (".zst", (0, 23))):
        sizes = []
        for level in (1, None, 9):
            path = tmp_path / f"x{level}.txt{ext}"
            with open_write(path, level=level) as fh:
                fh.write(data)
            with open_read(path) as fh:
                assert fh.read() == data
            sizes.append(path.stat().st_size)
        assert sizes[0] > sizes[1] >= sizes[2]
        for level in bad:
            with pytest.raises(ValueError, match=f"level {level} is out of range for {ext}"):
                open_write(tmp_path / f"y.txt{ext}", level=level)
            assert not (tmp_path / f"y.txt{ext}").exists()
    check_level(tmp_path / "plain.txt", 99)  # nothing is compressed: any level is moot


@pytest.mark.parametrize("ext", ["", ".gz", ".zst"])
def test_records_say_how_far_into_the_file_on_disk(tmp_path, ext):
    lines = [json.dumps({"id": i, "text": hashlib.sha256(str(i).encode()).hexdigest()}) + "\n"
             for i in range(60_000)]  # hex digits: ~2:1 in every format, so many 1 MiB reads
    path = tmp_path / f"c.jsonl{ext}"
    with open_write(path) as fh:
        fh.write("".join(lines).encode())
    size = path.stat().st_size
    recs = list(iter_jsonl(TextSource(path, Path(path.name), str(path)), "text"))
    assert [r.text for r in recs] == [json.loads(line)["text"] for line in lines]
    pos = [r.pos for r in recs]
    assert pos == sorted(pos) and 0 < pos[0] < size // 2 and pos[-1] == size
    counter = ReadCounter(path)
    with open_read(path, counter) as fh:
        assert fh.read() == "".join(lines).encode()
    assert counter.count == size and counter.closed


def test_open_write_compression_from_final_name(tmp_path):
    tmp = tmp_path / ".x.jsonl.gz.abc.tmp"
    with open_write(tmp, like=tmp_path / "x.jsonl.gz") as fh:
        fh.write(b"hello\n")
    raw = tmp.read_bytes()
    assert raw[:2] == b"\x1f\x8b"
    assert raw[3] & 0x08 == 0  # no file name in the header: the temporary one would leak
    assert raw[4:8] == b"\0\0\0\0"  # no time stamp
    assert gzip.decompress(raw) == b"hello\n"


# ------------------------------------------------------------------------------ atomic writes
def test_atomic_path_success_keeps_mode(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    target.chmod(0o600)
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".out.txt.") and tmp.name.endswith(".tmp")
        tmp.write_text("new")
        assert target.read_text() == "old"
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


@pytest.mark.parametrize("exc", [ValueError, KeyboardInterrupt])
def test_atomic_path_failure_leaves_target(tmp_path, exc):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(exc), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise exc()
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
    new = tmp_path / "sub" / "new.txt"
    with pytest.raises(exc), atomic_path(new) as tmp:
        raise exc()
    assert not new.exists() and list(new.parent.iterdir()) == []


def test_atomic_path_new_file_mode_and_directory_target(tmp_path):
    atomic_write_text(tmp_path / "a.txt", "x")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o666 & ~umask
    with pytest.raises(IsADirectoryError), atomic_path(tmp_path):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


# ------------------------------------------------------------------------------ sources
def test_iter_sources_walk(tmp_path):
    root = tmp_path / "in"
    for rel in ("b.txt", "a/z.txt", "a/b/y.jsonl", ".hidden", ".git/x.txt", "c.txt"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel)
    (root / "broken").symlink_to(root / "nowhere")
    os.mkfifo(root / "fifo")
    got = [(s.relative.as_posix(), s.problem) for s in iter_sources([str(root)])]
    assert got == [("b.txt", None), ("broken", "broken symbolic link"), ("c.txt", None),
                   ("fifo", "not a regular file"), ("a/z.txt", None), ("a/b/y.jsonl", None)]
    fifo = [s for s in iter_sources([str(root)]) if s.problem][1]
    with pytest.raises(InputError, match="fifo: not a regular file"):  # never opened: no hang
        read_text_source(fifo)


def test_iter_sources_named_fifo_is_read(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def feed():
        with open(fifo, "wb") as fh:
            fh.write(b"through a pipe\n")

    t = threading.Thread(target=feed)
    t.start()
    (source,) = iter_sources([str(fifo)])
    assert read_text_source(source) == ("through a pipe\n", "utf-8")
    t.join(5)


def test_iter_sources_errors(tmp_path):
    with pytest.raises(InputError, match=r"nope: no such file or directory$"):
        list(iter_sources([str(tmp_path / "nope")]))
    with pytest.raises(InputError, match=r"is a directory, expected a file$"):
        list(iter_sources([str(tmp_path)], allow_dirs=False))
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    with pytest.raises(InputError, match=r"dangling: broken symbolic link$"):
        check_inputs([str(tmp_path / "dangling")])
    check_inputs(["-", str(tmp_path)])
    with pytest.raises(InputError, match="is a directory"):
        check_inputs([str(tmp_path)], allow_dirs=False)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any directory")
def test_iter_sources_unreadable_subdirectory(tmp_path):
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "x.txt").write_text("x")
    (tmp_path / "locked").chmod(0)
    try:
        got = [(s.relative.as_posix(), s.problem) for s in iter_sources([str(tmp_path)])]
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert got == [("locked", "cannot read directory: Permission denied")]
