"""The real ``detector`` CLI on real (and really bad) input: exit codes, one-line messages and
output bytes. In-process runs use typer's CliRunner; signals and huge inputs use a subprocess."""

from __future__ import annotations

import codecs
import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ERROR = "detector: error: "
INTERRUPTED = "detector: error: interrupted; outputs not completed were not written"
ALL_CONTENT = ("003_2bd4001b9ddf0e80.txt", "004_61a83938178f9c40.txt")  # nothing is removed
MIXED = "000_67d0e3787c705103.txt"  # content and boilerplate


# ------------------------------------------------------------------------------ helpers
def _stderr(res) -> str:
    err = res.stderr
    return err if isinstance(err, str) else err.decode("utf-8", "replace")


def _code(res) -> int:
    return res.exit_code if hasattr(res, "exit_code") else res.returncode


def assert_error(res, code: int, *parts: str) -> str:
    """Exit ``code`` and exactly one stderr line, ``detector: error: ...`` containing ``parts``."""
    stderr = _stderr(res)
    assert _code(res) == code, stderr
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(ERROR), stderr
    assert "internal error" not in lines[0]
    for part in parts:
        assert part in lines[0], (part, lines[0])
    return lines[0]


def assert_ok(res) -> None:
    assert _code(res) == 0, _stderr(res)
    assert _stderr(res) == ""


def leftovers(directory: Path) -> list[str]:
    """Temporary files of atomic writes (``.NAME.XXXX.tmp``) anywhere under ``directory``."""
    return sorted(str(p) for p in directory.rglob(".*.tmp"))


def expected_jsonl(det, records: list[dict], field: str = "text") -> bytes:
    out = []
    for rec in records:
        rec = dict(rec)
        rec[field] = det.clean(rec[field]).text
        out.append(json.dumps(rec, ensure_ascii=False) + "\n")
    return "".join(out).encode("utf-8")


def write_jsonl(path: Path, records: list[dict]) -> bytes:
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
    path.write_bytes(data)
    return data


def compress(data: bytes, ext: str) -> bytes:
    if ext == ".gz":
        return gzip.compress(data, mtime=0)
    if ext == ".zst":
        return zstandard.ZstdCompressor().compress(data)
    return data


def decompress(data: bytes, ext: str) -> bytes:
    if ext == ".gz":
        return gzip.decompress(data)
    if ext == ".zst":
        return zstandard.ZstdDecompressor().stream_reader(data, read_across_frames=True).read()
    return data


@pytest.fixture(scope="module")
def corpus(seed_texts) -> list[dict]:
    """The seeds repeated 30 times, with ids and extra fields around the text."""
    recs = []
    for i in range(30):
        for name, text in seed_texts.items():
            recs.append({"id": f"{i:02d}-{name}", "url": f"https://example.org/{i}/{name}",
                         "text": text, "meta": {"n": i, "tags": ["a", "ü"]}})
    return recs


# ------------------------------------------------------------------------------ 1. clean
def test_clean_file_to_stdout(cli, det, seed_paths):
    for path in seed_paths:
        res = cli("clean", path)
        assert_ok(res)
        assert res.stdout_bytes == det.clean(path.read_text(encoding="utf-8")).text.encode()


def test_clean_file_to_output_file(cli, det, seeds_dir, tmp_path):
    src = seeds_dir / MIXED
    out = tmp_path / "sub" / "clean.txt"
    res = cli("clean", src, "-o", out)
    assert_ok(res)
    expected = det.clean(src.read_text(encoding="utf-8")).text
    assert out.read_bytes() == expected.encode()
    assert expected != src.read_text(encoding="utf-8")  # something was removed
    assert leftovers(tmp_path) == []


def test_clean_directory_mirrors_tree(cli, det, seed_paths, tmp_path):
    src = tmp_path / "crawl"
    layout = {}
    for i, p in enumerate(seed_paths):
        rel = Path(*[f"d{k}" for k in range(i % 3)], p.name)
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, src / rel)
        layout[rel] = p.read_text(encoding="utf-8")
    records = [{"id": 1, "text": layout[next(iter(layout))]}]
    (src / "d0" / "x.jsonl.gz").write_bytes(gzip.compress(write_jsonl(tmp_path / "x.jsonl", records)))
    (src / ".hidden.txt").write_text("hidden files are not inputs\n")
    out = tmp_path / "clean"
    res = cli("clean", src, "-o", out)
    assert_ok(res)
    got = {p.relative_to(out) for p in out.rglob("*") if p.is_file()}
    assert got == set(layout) | {Path("d0/x.jsonl.gz")}
    for rel, text in layout.items():
        assert (out / rel).read_bytes() == det.clean(text).text.encode(), rel
    assert gzip.decompress((out / "d0" / "x.jsonl.gz").read_bytes()) == expected_jsonl(det, records)
    assert leftovers(tmp_path) == []


def test_clean_stdin(cli, det, seed_texts):
    text = seed_texts[MIXED]
    res = cli("clean", "-", input=text.encode())
    assert_ok(res)
    assert res.stdout_bytes == det.clean(text).text.encode()


def test_clean_stdin_jsonl(cli, det, corpus):
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in corpus[:7]).encode()
    res = cli("clean", "-", "--format", "jsonl", input=data)
    assert_ok(res)
    assert res.stdout_bytes == expected_jsonl(det, corpus[:7])


def test_jsonl_field_order_and_removed_key(cli, det, seed_texts, tmp_path):
    records = [{"z": 1, "body": t, "a": [1, 2], "id": name, "n": None}
               for name, t in seed_texts.items()]
    src = tmp_path / "in.jsonl"
    write_jsonl(src, records)
    out = tmp_path / "out.jsonl"
    res = cli("clean", src, "--field", "body", "--removed-key", "bp", "-o", out)
    assert_ok(res)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [r["id"] for r in records]  # order kept
    for rec, row in zip(records, rows):
        assert list(row) == [*rec, "bp"]  # key order kept, the new key last
        res_ = det.clean(rec["body"])
        assert row["body"] == res_.text
        assert {k: v for k, v in row.items() if k not in ("body", "bp")} == \
            {k: v for k, v in rec.items() if k != "body"}
        assert row["bp"]["removed"] == [p.text for p in res_.removed]
        assert row["bp"]["scores"] == [round(p.score, 6) for p in res_.paragraphs]
        assert row["bp"]["threshold"] == det.threshold
    assert any(row["bp"]["removed"] for row in rows)


@pytest.mark.parametrize("ext_in,ext_out", [("", ".gz"), (".gz", ".zst"), (".zst", ""),
                                            (".zst", ".gz"), (".gz", ".gz")])
def test_jsonl_compressed_in_and_out(cli, det, corpus, tmp_path, ext_in, ext_out):
    plain = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in corpus[:12]).encode()
    src = tmp_path / f"in.jsonl{ext_in}"
    src.write_bytes(compress(plain, ext_in))
    out = tmp_path / f"out.jsonl{ext_out}"
    res = cli("clean", src, "-o", out)
    assert_ok(res)
    assert decompress(out.read_bytes(), ext_out) == expected_jsonl(det, corpus[:12])
    if ext_out == ".gz":  # reproducible: no time stamp, no temporary file name in the header
        first = out.read_bytes()
        assert first[3] & 0x08 == 0 and first[4:8] == b"\0\0\0\0"
        out.unlink()
        assert_ok(cli("clean", src, "-o", out))
        assert out.read_bytes() == first
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("ext", [".gz", ".zst"])
def test_compress_level(cli, det, corpus, tmp_path, ext):
    plain = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in corpus * 20).encode()
    src = tmp_path / "in.jsonl"
    src.write_bytes(plain)
    sizes = {}
    for level in ("1", None, "9"):
        out = tmp_path / f"out-{level}.jsonl{ext}"
        assert_ok(cli("clean", src, "-o", out, *(["--compress-level", level] if level else [])))
        assert decompress(out.read_bytes(), ext) == expected_jsonl(det, corpus * 20)
        sizes[level] = out.stat().st_size
    assert sizes["1"] > sizes[None] >= sizes["9"]
    if ext == ".gz":  # the header's XFL byte: 0 for levels 2-8 (the default is 6)
        assert (tmp_path / "out-None.jsonl.gz").read_bytes()[8] == 0
    out = tmp_path / f"bad.jsonl{ext}"
    res = cli("clean", src, "-o", out, "--compress-level", "23" if ext == ".zst" else "10")
    assert_error(res, 2, "--compress-level", "out of range", str(out))
    assert not out.exists() and leftovers(tmp_path) == []


def test_multi_frame_zst_input(cli, det, corpus, tmp_path):
    a = "".join(json.dumps(r) + "\n" for r in corpus[:3]).encode()
    b = "".join(json.dumps(r) + "\n" for r in corpus[3:6]).encode()
    src = tmp_path / "cat.jsonl.zst"  # `cat a.zst b.zst`: two frames
    src.write_bytes(compress(a, ".zst") + compress(b, ".zst"))
    res = cli("clean", src, "--format", "jsonl")
    assert_ok(res)
    assert res.stdout_bytes == expected_jsonl(det, corpus[:6])


def test_report_rebuilds_every_document(cli, det, seeds_dir, seed_texts, tmp_path):
    report = tmp_path / "report.jsonl"
    out = tmp_path / "out"
    res = cli("clean", seeds_dir, "-o", out, "--report", report)
    assert_ok(res)
    rows = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    docs: dict[str, list[dict]] = {}
    for row in rows:
        docs.setdefault(row["document"], []).append(row)
    assert {Path(d).name for d in docs} == set(seed_texts)
    total_removed = 0
    for doc, drows in docs.items():
        text = seed_texts[Path(doc).name]
        assert [r["index"] for r in drows] == list(range(len(drows)))
        assert "after" in drows[-1] and all("after" not in r for r in drows[:-1])
        assert "".join(r["before"] + r["text"] for r in drows) + drows[-1]["after"] == text
        for r in drows:
            assert text[r["start"]:r["end"]] == r["text"]
        cleaned = det.clean(text)
        kept = [r for r in drows if not r["removed"]]
        removed = [r for r in drows if r["removed"]]
        assert len(kept) + len(removed) == len(cleaned.paragraphs) == len(drows)
        assert [r["text"] for r in removed] == [p.text for p in cleaned.removed]
        assert [r["score"] for r in drows] == [round(p.score, 6) for p in cleaned.paragraphs]
        total_removed += len(removed)
    assert total_removed > 0


def test_mark(cli, det, seed_texts, seeds_dir):
    text = seed_texts[MIXED]
    res = cli("clean", seeds_dir / MIXED, "--mark")
    assert_ok(res)
    out = res.stdout_bytes.decode()
    assert out == det.clean(text, mark=True).text
    markers = re.findall(r"\[REMOVED \d\.\d\d\] ", out)
    assert len(markers) == len(det.clean(text).removed) > 0
    assert re.sub(r"\[REMOVED \d\.\d\d\] ", "", out) == text


def test_threshold(cli, seeds_dir, seed_texts):
    import detector

    text = seed_texts[MIXED]
    for th in ("0.0", "0.3", "0.95", "1.0"):
        res = cli("clean", seeds_dir / MIXED, "--threshold", th)
        assert_ok(res)
        assert res.stdout_bytes == detector.load(threshold=float(th)).clean(text).text.encode()
    assert cli("clean", seeds_dir / MIXED, "-t", "0").stdout_bytes == b""  # all removed
    res = cli("clean", seeds_dir / MIXED, "-t", "1.5")
    assert res.exit_code == 2


def test_workers_1_and_2_give_identical_bytes(cli, det, corpus, tmp_path):
    src = tmp_path / "corpus.jsonl"
    write_jsonl(src, corpus)  # 150 records: 3 batches of 64, so 2 workers really run
    out1, out2 = tmp_path / "w1.jsonl", tmp_path / "w2.jsonl"
    assert_ok(cli("clean", src, "-o", out1, "--workers", "1"))
    assert_ok(cli("clean", src, "-o", out2, "--workers", "2"))
    assert out1.read_bytes() == out2.read_bytes()
    rows = [json.loads(line) for line in out2.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [r["id"] for r in corpus]
    for rec, row in zip(corpus, rows):
        assert row["text"] == det.clean(rec["text"]).text
    # small batches: many in flight, results must still come back in input order
    out3 = tmp_path / "w2b.jsonl"
    assert_ok(cli("clean", src, "-o", out3, "--workers", "2", "--batch-size", "3"))
    assert out3.read_bytes() == out1.read_bytes()


# ------------------------------------------------------------------------------ 2. input cases
def test_invalid_utf8_strict_names_file_and_offset(cli, seed_texts, tmp_path):
    good = seed_texts[ALL_CONTENT[0]].encode()
    bad = good[:1000] + b"\xff\xfe" + good[1000:]
    src = tmp_path / "bad.txt"
    src.write_bytes(bad)
    out = tmp_path / "out.txt"
    assert_error(cli("clean", src, "-o", out), 1, f"{src}: invalid UTF-8 at byte offset 1000")
    assert not out.exists() and leftovers(tmp_path) == []
    assert_error(cli("clean", "-", input=bad), 1, "<stdin>: invalid UTF-8 at byte offset 1000")


def test_invalid_utf8_replace(cli, det, seed_texts, tmp_path):
    good = seed_texts[ALL_CONTENT[0]].encode()
    src = tmp_path / "bad.txt"
    src.write_bytes(good[:1000] + b"\xff\xfe" + good[1000:])
    res = cli("clean", src, "--encoding-errors", "replace")
    assert_ok(res)
    text = src.read_bytes().decode("utf-8", "replace")
    assert "\ufffd\ufffd" in text
    assert res.stdout_bytes == det.clean(text).text.encode()


@pytest.mark.parametrize("bom,encoding", [(codecs.BOM_UTF8, "utf-8"),
                                          (codecs.BOM_UTF16_LE, "utf-16-le"),
                                          (codecs.BOM_UTF16_BE, "utf-16-be")])
def test_bom_and_encoding_kept(cli, det, seed_texts, tmp_path, bom, encoding):
    for name in ALL_CONTENT:  # nothing removed: byte-identical
        src = tmp_path / name
        src.write_bytes(bom + seed_texts[name].encode(encoding))
        out = tmp_path / ("out-" + name)
        assert_ok(cli("clean", src, "-o", out))
        assert out.read_bytes() == src.read_bytes()
    for name, text in seed_texts.items():  # something removed: same encoding, BOM kept
        for newline in ("\n", "\r\n"):
            src = tmp_path / name
            src.write_bytes(bom + text.replace("\n", newline).encode(encoding))
            res = cli("clean", src)
            assert_ok(res)
            expected = det.clean("\ufeff" + text.replace("\n", newline)).text
            if not expected.startswith("\ufeff"):
                expected = "\ufeff" + expected
            assert res.stdout_bytes == expected.encode(encoding)
            assert res.stdout_bytes.startswith(bom)


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_line_ends_kept(cli, det, seed_texts, tmp_path, newline):
    text = seed_texts[MIXED].replace("\n", newline)
    src = tmp_path / "page.txt"
    src.write_bytes(text.encode())
    res = cli("clean", src)
    assert_ok(res)
    assert res.stdout_bytes == det.clean(text).text.encode()
    out = res.stdout_bytes.decode()
    assert out.count(newline) > 3
    assert "\n" not in out.replace("\r\n", "") if newline == "\r\n" else "\n" not in out
    # same decisions as with LF
    assert out.replace(newline, "\n") == det.clean(seed_texts[MIXED]).text


def test_binary_files_in_walk_skipped(cli, det, seeds_dir, tmp_path):
    src = tmp_path / "crawl"
    (src / "img").mkdir(parents=True)
    shutil.copyfile(seeds_dir / MIXED, src / "page.txt")
    (src / "nul.txt").write_bytes(b"text with a \x00 NUL byte\n")
    (src / "img" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    out = tmp_path / "out"
    res = cli("clean", src, "-o", out)
    assert res.exit_code == 3, res.stderr
    lines = res.stderr.splitlines()
    assert lines[:2] == [f"detector: warning: {src / 'nul.txt'}: binary file, skipped",
                         f"detector: warning: {src / 'img' / 'logo.png'}: binary file, skipped"]
    assert lines[2].endswith("2 files and 0 records not cleaned")
    assert len(lines) == 3
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == ["page.txt"]
    assert (out / "page.txt").read_bytes() == det.clean((seeds_dir / MIXED).read_text()).text.encode()
    # named directly: the same
    res = cli("clean", src / "nul.txt", "-o", tmp_path / "nul.out")
    assert res.exit_code == 3 and not (tmp_path / "nul.out").exists()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("content", [b"", b"   \n\n\t \r\n \n", b"\n", b"\xef\xbb\xbf",
                                     b"\xef\xbb\xbf \n"])
def test_empty_and_whitespace_only_identical(cli, tmp_path, content):
    src = tmp_path / "blank.txt"
    src.write_bytes(content)
    out = tmp_path / "out.txt"
    assert_ok(cli("clean", src, "-o", out))
    assert out.read_bytes() == content
    res = cli("clean", "-", input=content)
    assert_ok(res)
    assert res.stdout_bytes == content


def test_empty_jsonl_gives_empty_output(cli, tmp_path):
    src = tmp_path / "empty.jsonl"
    src.write_bytes(b"\n\n")
    out = tmp_path / "out.jsonl"
    assert_ok(cli("clean", src, "-o", out))
    assert out.read_bytes() == b""


# huge inputs: one-character lines and one line without a line end, both run at once (2 cores)
@pytest.fixture(scope="module")
def huge_runs(tmp_path_factory, seed_texts):
    d = tmp_path_factory.mktemp("huge")
    lines = d / "million.txt"
    lines.write_bytes(b"a\n" * 1_000_000)
    unit = (" ".join(seed_texts[ALL_CONTENT[0]].split()) + " ").encode()
    long = d / "line.txt"
    long.write_bytes((unit * (50_000_000 // len(unit) + 1))[:50_000_000].rstrip(b" ") + b".")
    procs = {}
    for name, src in (("lines", lines), ("long", long)):
        out = d / f"{name}.out"
        procs[name] = (src, out, subprocess.Popen(
            [sys.executable, "-m", "detector", "clean", str(src), "-o", str(out), "--workers", "1",
             "--progress"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    yield procs
    for _, _, proc in procs.values():
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _summary(stderr: bytes) -> tuple[int, int, int]:
    m = re.search(rb"detector: (\d+) documents, (\d+) of (\d+) paragraphs removed", stderr)
    assert m, stderr[-2000:]
    return int(m[1]), int(m[2]), int(m[3])


def test_million_one_character_lines(huge_runs):
    src, out, proc = huge_runs["lines"]
    _, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err[-2000:]
    assert b"Traceback" not in err
    docs, removed, paragraphs = _summary(err)
    assert (docs, paragraphs) == (1, 1_000_000)
    assert out.read_bytes() == b"a\n" * (paragraphs - removed)


def test_fifty_megabyte_line_without_newline(huge_runs):
    src, out, proc = huge_runs["long"]
    _, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err[-2000:]
    docs, removed, paragraphs = _summary(err)
    assert (docs, paragraphs) == (1, 1)
    assert out.read_bytes() == (b"" if removed else src.read_bytes())


# JSONL: bad records
BAD_RECORDS = {
    "malformed": (b'{"id": 2, "text": "x",}\n', "malformed JSON"),
    "no_field": (b'{"id": 2, "body": "x"}\n', "record has no field 'text'"),
    "not_string": (b'{"id": 2, "text": ["x"]}\n', "field 'text' is a JSON array, not a string"),
    "not_object": (b'["id", 2]\n', "not a JSON object"),
    "truncated": (b'{"id": 2, "text": "The end of the fi', "truncated last line"),
    "bad_utf8": (b'{"id": 2, "text": "caf\xe9"}\n', "invalid UTF-8 at byte 22"),
    "surrogate": (b'{"id": 2, "text": "x \\ud800 y"}\n', "field 'text' has an unpaired surrogate"),
    "deep": (b"[" * 100_000 + b"\n", "malformed JSON"),
}


def _bad_corpus(tmp_path: Path, seed_texts, bad: bytes, bad_at: int) -> tuple[Path, list[dict]]:
    texts = list(seed_texts.values())
    good = [{"id": i, "text": texts[i % len(texts)]} for i in range(bad_at + 2)]
    lines = [json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in good]
    if bad.endswith(b"\n"):
        lines.insert(bad_at, bad)
    else:
        lines.append(bad)
    src = tmp_path / "corpus.jsonl"
    src.write_bytes(b"".join(lines))
    return src, good


@pytest.mark.parametrize("case", sorted(BAD_RECORDS))
def test_bad_record_fails_naming_file_and_line(cli, seed_texts, tmp_path, case):
    bad, message = BAD_RECORDS[case]
    src, good = _bad_corpus(tmp_path, seed_texts, bad, 3)
    line = 4 if bad.endswith(b"\n") else len(good) + 1
    out = tmp_path / "out.jsonl"
    report = tmp_path / "report.jsonl"
    assert_error(cli("clean", src, "-o", out, "--report", report), 1, f"{src}:{line}: {message}")
    assert not out.exists() and not report.exists()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("case", sorted(BAD_RECORDS))
def test_bad_record_skip_and_keep(cli, det, seed_texts, tmp_path, case):
    bad, message = BAD_RECORDS[case]
    src, good = _bad_corpus(tmp_path, seed_texts, bad, 3)
    line = 4 if bad.endswith(b"\n") else len(good) + 1
    expected = expected_jsonl(det, good)
    out = tmp_path / "skip.jsonl"
    res = cli("clean", src, "-o", out, "--on-error", "skip")
    assert res.exit_code == 3
    warning, summary = res.stderr.splitlines()
    assert warning.startswith(f"detector: warning: {src}:{line}: ") and message in warning
    assert summary.endswith("0 files and 1 records not cleaned")
    assert out.read_bytes() == expected
    out = tmp_path / "keep.jsonl"
    res = cli("clean", src, "-o", out, "--on-error", "keep")
    assert res.exit_code == 3 and message in res.stderr
    got = out.read_bytes().splitlines(keepends=True)
    want = expected.splitlines(keepends=True)
    kept = bad if bad.endswith(b"\n") else bad + b"\n"
    want.insert(line - 1, kept)
    assert got == want


def test_jsonl_bom_and_blank_lines_accepted(cli, det, corpus, tmp_path):
    src = tmp_path / "bom.jsonl"
    body = write_jsonl(tmp_path / "x.jsonl", corpus[:3])
    src.write_bytes(codecs.BOM_UTF8 + body.replace(b"\n", b"\n\n", 1) + b"  \n")
    res = cli("clean", src)
    assert_ok(res)
    assert res.stdout_bytes == expected_jsonl(det, corpus[:3])


# paths
def test_missing_file(cli, tmp_path):
    out = tmp_path / "out.txt"
    assert_error(cli("clean", tmp_path / "nope.txt", "-o", out), 1,
                 f"{tmp_path / 'nope.txt'}: no such file or directory")
    assert not out.exists()
    assert_error(cli("score", tmp_path / "nope.txt"), 1, "no such file or directory")


def test_missing_second_input_writes_nothing(cli, seeds_dir, tmp_path):
    out = tmp_path / "out"
    assert_error(cli("clean", seeds_dir / MIXED, tmp_path / "nope.txt", "-o", out), 1, "nope.txt")
    assert not out.exists()


def test_directory_where_a_file_is_expected(cli, seeds_dir, tmp_path):
    assert_error(cli("score", seeds_dir), 1, f"{seeds_dir}: is a directory, expected a file")
    assert_error(cli("clean", seeds_dir / MIXED, "-o", tmp_path), 2, "is a directory")
    assert_error(cli("label", seeds_dir / MIXED, "-o", tmp_path), 1, str(tmp_path))


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(cli, seeds_dir, tmp_path):
    src = tmp_path / "secret.txt"
    shutil.copyfile(seeds_dir / MIXED, src)
    src.chmod(0)
    try:
        assert_error(cli("clean", src, "-o", tmp_path / "o.txt"), 1, f"{src}: permission denied")
        assert_error(cli("score", src), 1, "permission denied")
    finally:
        src.chmod(0o644)


def test_unreadable_file_as_the_os_reports_it(cli, seeds_dir, tmp_path, monkeypatch):
    """The same as above where it cannot be staged for real (root): open() refuses the file."""
    import detector.io

    real = detector.io.open_read
    locked = {tmp_path / "secret.txt", tmp_path / "secret.jsonl"}

    def open_read(path, *args):
        if Path(path) in locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args)

    monkeypatch.setattr(detector.io, "open_read", open_read)
    for path in locked:
        shutil.copyfile(seeds_dir / MIXED, path)
        out = tmp_path / "o"
        assert_error(cli("clean", path, "-o", out), 1, f"{path}: permission denied")
        assert not out.exists()
    assert_error(cli("score", tmp_path / "secret.txt"), 1, "secret.txt: permission denied")


def test_output_inside_input_directory(cli, seeds_dir, tmp_path):
    src = tmp_path / "crawl"
    shutil.copytree(seeds_dir, src)
    for out in (src / "clean", src, src / "a" / "b"):
        assert_error(cli("clean", src, "-o", out), 2, "inside the input directory" if out != src
                     else "output is the input")
    assert sorted(p.name for p in src.iterdir()) == sorted(p.name for p in seeds_dir.iterdir())


def test_output_equal_to_input(cli, det, seeds_dir, tmp_path):
    src = tmp_path / "page.txt"
    shutil.copyfile(seeds_dir / MIXED, src)
    before = src.read_bytes()
    assert_error(cli("clean", src, "-o", src), 2, "output is the input", "--in-place")
    os.link(src, tmp_path / "hard.txt")
    assert_error(cli("clean", src, "-o", tmp_path / "hard.txt"), 2, "output is the input")
    (tmp_path / "link.txt").symlink_to(src)
    assert_error(cli("clean", src, "-o", tmp_path / "link.txt"), 2, "output is the input")
    assert src.read_bytes() == before
    # several inputs into a directory where one of them lives: would overwrite it
    other = tmp_path / "sub" / "page.txt"
    other.parent.mkdir()
    shutil.copyfile(seeds_dir / ALL_CONTENT[0], other)
    assert_error(cli("clean", other, src, "-o", tmp_path), 2)
    assert src.read_bytes() == before


def test_in_place(cli, det, seeds_dir, tmp_path):
    src = tmp_path / "page.txt"
    shutil.copyfile(seeds_dir / MIXED, src)
    src.chmod(0o640)
    text = src.read_text(encoding="utf-8")
    inode = src.stat().st_ino
    assert_ok(cli("clean", "--in-place", src))
    assert src.read_bytes() == det.clean(text).text.encode()
    assert src.stat().st_ino != inode  # replaced by a rename, not rewritten in place
    assert src.stat().st_mode & 0o777 == 0o640
    assert leftovers(tmp_path) == []
    assert_error(cli("clean", "--in-place", src, "-o", tmp_path / "x"), 2, "--in-place")
    assert_error(cli("clean", "--in-place", "-"), 2, "standard input")


def test_in_place_directory_leaves_binaries(cli, det, seeds_dir, tmp_path):
    src = tmp_path / "crawl"
    shutil.copytree(seeds_dir, src)
    for p in src.iterdir():
        p.chmod(0o644)
    png = src / "x.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    res = cli("clean", "--in-place", src)
    assert res.exit_code == 3
    assert png.read_bytes() == b"\x89PNG\r\n\x1a\n\x00\x00"
    for p in seeds_dir.iterdir():
        assert (src / p.name).read_bytes() == det.clean(p.read_text(encoding="utf-8")).text.encode()
    assert leftovers(tmp_path) == []


def test_usage_errors(cli, seeds_dir, tmp_path):
    f = seeds_dir / MIXED
    assert_error(cli("clean"), 2, "give at least one path")
    assert_error(cli("clean", f, "--on-error", "explode"), 2, "--on-error")
    assert_error(cli("clean", f, "--encoding-errors", "ignore"), 2, "--encoding-errors")
    assert_error(cli("clean", f, "--format", "xml"), 2, "--format")
    assert_error(cli("clean", f, "--workers", "-3"), 2, "--workers")
    assert_error(cli("clean", f, "--removed-key", "text"), 2, "--removed-key")
    assert_error(cli("clean", "-", "-"), 2, "standard input")
    assert_error(cli("score", f, "--format", "xml"), 2, "--format")
    assert cli("clean", f, "--no-such-option").exit_code == 2


# ------------------------------------------------------------------------------ 3. nothing lost
def test_failure_mid_run_leaves_nothing(cli, seed_texts, tmp_path):
    texts = list(seed_texts.values())
    lines = [json.dumps({"id": i, "text": texts[i % 5]}).encode() + b"\n" for i in range(300)]
    lines.insert(250, b'{"id": "bad", "text": \n')
    src = tmp_path / "in" / "corpus.jsonl.gz"
    src.parent.mkdir()
    src.write_bytes(gzip.compress(b"".join(lines)))
    outdir = tmp_path / "out"
    for workers in ("1", "2"):
        out = outdir / "corpus.jsonl.gz"
        assert_error(cli("clean", src, "-o", out, "--workers", workers, "--batch-size", "16",
                         "--report", outdir / "r.jsonl"), 1, f"{src}:251: malformed JSON")
        assert not outdir.exists() or list(outdir.iterdir()) == []
    # several inputs: the completed ones are written, the failing one is not
    (tmp_path / "in" / "a.txt").write_text(texts[0])
    assert_error(cli("clean", tmp_path / "in", "-o", outdir, "--workers", "1", "--batch-size", "1"),
                 1, f"{src}:251")
    assert sorted(p.name for p in outdir.iterdir()) == ["a.txt"]
    assert leftovers(tmp_path) == []


@pytest.fixture(scope="module")
def big_jsonl(tmp_path_factory, seed_texts) -> Path:
    """~20 MB of seeds with ids: some seconds of work even on two workers. Each copy's lines
    carry its number, so no paragraph repeats and the paragraph cache cannot shortcut the work."""
    path = tmp_path_factory.mktemp("big") / "BIG.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(600):
            for name, text in seed_texts.items():
                text = text.replace("\n", f" {i}\n")
                fh.write(json.dumps({"id": f"{i}-{name}", "text": text}, ensure_ascii=False) + "\n")
    return path


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_interrupt_leaves_no_output(big_jsonl, tmp_path, signum):
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "detector", "clean", str(big_jsonl), "-o",
                             str(out), "--workers", "2", "--report", str(tmp_path / "r.jsonl")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob(".out.jsonl.*.tmp")):  # working: the output is being written
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "no temporary output appeared"
            time.sleep(0.05)
        time.sleep(1.0)
        assert proc.poll() is None, "finished before the signal: make the corpus bigger"
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, stderr
    assert stderr.decode() == INTERRUPTED + "\n"
    assert stdout == b""
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no output, no report, no .out.jsonl.*.tmp


def test_closed_stdout_is_not_an_error(big_jsonl):
    """`detector clean BIG.jsonl | head -c 100`: the reader goes away, exit 0, nothing on stderr."""
    proc = subprocess.Popen([sys.executable, "-m", "detector", "clean", str(big_jsonl),
                             "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout.read(100).startswith(b'{"id": "0-')
        proc.stdout.close()
        assert proc.wait(timeout=60) == 0
        assert proc.stderr.read() == b""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_report_must_not_replace_input_or_output(cli, seeds_dir, tmp_path):
    src = tmp_path / "page.txt"
    shutil.copyfile(seeds_dir / MIXED, src)
    before = src.read_bytes()
    assert_error(cli("clean", src, "--report", src), 2, "--report", "would overwrite an input")
    assert_error(cli("clean", src, "-o", tmp_path / "o.txt", "--report", tmp_path / "o.txt"), 2,
                 "would overwrite the output")
    assert_error(cli("clean", "--in-place", src, "--report", src), 2, "would overwrite an input")
    assert_error(cli("clean", src, "--report", tmp_path), 2, "is a directory")
    assert src.read_bytes() == before


def test_output_with_trailing_slash_is_a_directory(cli, det, seeds_dir, tmp_path):
    res = cli("clean", seeds_dir / MIXED, "-o", f"{tmp_path / 'new'}/")
    assert_ok(res)
    assert (tmp_path / "new" / MIXED).read_bytes() == \
        det.clean((seeds_dir / MIXED).read_text(encoding="utf-8")).text.encode()


# ------------------------------------------------------------------------------ 4. progress
def test_progress_forced_on_and_off(cli, det, seeds_dir, seed_texts, tmp_path):
    expected = b"".join(det.clean(t).text.encode() for t in seed_texts.values())
    res = cli("clean", seeds_dir, "--progress")
    assert res.exit_code == 0
    assert res.stdout_bytes == expected  # the bar never goes to stdout
    assert re.search(r"\r\d+ docs +[\d.]+ MB +[\d.,]+ MB/s", res.stderr)
    assert res.stderr.endswith("paragraphs removed; 0 files and 0 records not cleaned\n")
    assert "Traceback" not in res.stderr
    res = cli("clean", seeds_dir, "--quiet")
    assert_ok(res)
    assert res.stdout_bytes == expected
    res = cli("clean", seeds_dir)  # stderr is not a terminal here: no bar by default
    assert_ok(res)


def test_progress_in_subprocess(run_module, seeds_dir, tmp_path):
    res = run_module("clean", seeds_dir, "-o", tmp_path / "o", "--progress")
    assert res.returncode == 0
    assert b" docs " in res.stderr and b"MB/s" in res.stderr
    res = run_module("clean", seeds_dir, "-o", tmp_path / "q", "--quiet")
    assert res.returncode == 0 and res.stderr == b""


def _stderr_on_a_terminal(*args) -> tuple[int, bytes]:
    master, slave = os.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "detector", *map(str, args)],
                              stdout=subprocess.DEVNULL, stderr=slave, timeout=300)
    finally:
        os.close(slave)
    data = b""
    try:
        while chunk := os.read(master, 65536):
            data += chunk
    except OSError:  # EIO: the terminal's other end is closed and everything was read
        pass
    finally:
        os.close(master)
    return proc.returncode, data


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_progress_by_default_only_on_a_terminal(seeds_dir, tmp_path):
    code, err = _stderr_on_a_terminal("clean", seeds_dir, "-o", tmp_path / "a")
    assert code == 0
    assert b" docs " in err and b"MB/s" in err and b"paragraphs removed" in err
    code, err = _stderr_on_a_terminal("clean", seeds_dir, "-o", tmp_path / "b", "--quiet")
    assert (code, err) == (0, b"")


# ------------------------------------------------------------------------------ 5. fuzz
_record = st.fixed_dictionaries({"id": st.integers(0, 99), "text": st.text(max_size=80)})
_line = st.one_of(
    _record.map(lambda r: json.dumps(r).encode()),
    _record.map(lambda r: json.dumps(r, ensure_ascii=False).encode()),
    st.binary(max_size=40),
    st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                 lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
                 max_leaves=6).map(lambda v: json.dumps(v).encode()),
    st.sampled_from([b"", b" ", b"{", b'{"text": "a"', b'{"text": "\\ud83d"}', b"\xef\xbb\xbf{}",
                     b'{"text": null}', b"\r", b"\x00\x00"]),
)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(lines=st.lists(_line, max_size=6), final_newline=st.booleans(),
       on_error=st.sampled_from(["fail", "skip", "keep"]),
       errors=st.sampled_from(["strict", "replace"]))
def test_fuzz_cli_jsonl(cli, lines, final_newline, on_error, errors):
    data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "f.jsonl", Path(tmp) / "out.jsonl"
        src.write_bytes(data)
        res = cli("clean", src, "-o", out, "--on-error", on_error, "--encoding-errors", errors)
        assert res.exit_code in (0, 1, 3), res.stderr
        assert "Traceback" not in res.stderr and "internal error" not in res.stderr
        if res.exit_code == 1:
            assert_error(res, 1, f"{src}:")
            assert not out.exists()
        else:
            assert out.exists()
            for line in out.read_bytes().splitlines():
                if res.exit_code == 0 or on_error == "skip":
                    assert isinstance(json.loads(line), dict)
            if res.exit_code == 0:
                assert res.stderr == ""
        assert leftovers(Path(tmp)) == []


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.one_of(st.binary(max_size=300),
                      st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass"))),
       bom=st.sampled_from([b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE]),
       errors=st.sampled_from(["strict", "replace"]))
def test_fuzz_cli_text(cli, data, bom, errors):
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "f.txt", Path(tmp) / "out.txt"
        src.write_bytes(bom + data)
        res = cli("clean", src, "-o", out, "--encoding-errors", errors)
        assert res.exit_code in (0, 1, 3), res.stderr
        assert "Traceback" not in res.stderr and "internal error" not in res.stderr
        if res.exit_code == 1:
            assert_error(res, 1, f"{src}: invalid")
        assert out.exists() == (res.exit_code == 0)
        if res.exit_code == 0:
            assert out.read_bytes().startswith(bom)
        assert leftovers(Path(tmp)) == []


# ------------------------------------------------------------------------------ 6. other commands
def test_score_table(cli, det, seeds_dir, seed_texts):
    res = cli("score", seeds_dir / MIXED)
    assert_ok(res)
    paras = det.clean(seed_texts[MIXED]).paragraphs
    lines = res.stdout.splitlines()
    assert len(lines) == len(paras)
    for i, (line, p) in enumerate(zip(lines, paras)):
        idx, score, flag = line.split()[:3]
        assert (int(idx), float(score), flag) == (i, round(p.score, 3),
                                                   "REMOVE" if p.removed else "keep")
    res = cli("score", seeds_dir / MIXED, "--explain")
    assert_ok(res)
    lines = res.stdout.splitlines()
    assert len(lines) == 2 * len(paras)
    assert all(line.startswith("        ") and re.search(r"[+-]\d+\.\d\d", line) for line in lines[1::2])


def test_score_jsonl_explain(cli, det, seeds_dir, seed_texts):
    paras = det.clean(seed_texts[MIXED]).paragraphs
    for extra in ([], ["--explain"]):
        res = cli("score", seeds_dir / MIXED, "--format", "jsonl", *extra)
        assert_ok(res)
        rows = [json.loads(line) for line in res.stdout.splitlines()]
        assert [r["index"] for r in rows] == list(range(len(paras)))
        for r, p in zip(rows, paras):
            assert (r["text"], r["start"], r["end"], r["removed"]) == (p.text, p.start, p.end, p.removed)
            assert r["score"] == round(p.score, 6)
            assert r["document"] == str(seeds_dir / MIXED)
            assert ("explain" in r) == bool(extra)
            if extra:
                assert r["explain"] and all(isinstance(name, str) for name, _ in r["explain"])
    res = cli("score", "-", "--format", "jsonl", input=seed_texts[MIXED].encode())
    assert_ok(res)
    assert len(res.stdout.splitlines()) == len(paras)


def test_score_binary_and_bad_utf8(cli, tmp_path):
    (tmp_path / "x.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    assert_error(cli("score", tmp_path / "x.png"), 1, "x.png: binary file")
    (tmp_path / "bad.txt").write_bytes(b"ok\n\xc3(")
    assert_error(cli("score", tmp_path / "bad.txt"), 1, "bad.txt: invalid UTF-8 at byte offset 3")


def test_info(cli, det):
    res = cli("info")
    assert_ok(res)
    assert f"model: {det.path}" in res.stdout
    assert f"threshold: {det.threshold}" in res.stdout
    assert "Model card" in res.stdout


def test_info_json(cli, det):
    import detector

    res = cli("info", "--json")
    assert_ok(res)
    card = json.loads(res.stdout)
    assert card == json.loads(detector.card_path(det.path).read_text(encoding="utf-8"))
    assert card["threshold"] == det.threshold
    assert {k: v for k, v in card.items() if k in det.card} == det.card
    assert card["model_sha256"] == detector.file_sha256(det.path)


def test_info_missing_model(cli, tmp_path):
    assert_error(cli("info", "--model", tmp_path / "none.npz"), 1, "model file not found")


def test_label_draft(cli, det, seeds_dir, seed_texts, tmp_path):
    out = tmp_path / "draft.jsonl"
    res = cli("label", seeds_dir / MIXED, seeds_dir / ALL_CONTENT[0], "-o", out)
    assert res.exit_code == 0, res.stderr
    assert res.stderr.startswith("least certain paragraphs first")
    assert res.stdout == ""
    docs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [d["id"] for d in docs] == [MIXED, ALL_CONTENT[0]]
    for doc in docs:
        cleaned = det.clean(seed_texts[doc["id"]])
        assert [p["text"] for p in doc["paragraphs"]] == [" ".join(p.text.split())
                                                          for p in cleaned.paragraphs]
        assert [p["label"] == "boilerplate" for p in doc["paragraphs"]] == \
            [p.removed for p in cleaned.paragraphs]
    ranks = sorted(p["review_rank"] for d in docs for p in d["paragraphs"])
    assert ranks == list(range(1, len(ranks) + 1))
    res = cli("label", "--check", out)  # a draft is a valid label file
    assert res.exit_code == 0, res.stdout + res.stderr
    assert res.stdout.startswith("2 documents;")


def test_label_check_repo_labels(cli, labels_dir):
    res = cli("label", "--check", labels_dir)
    n_docs = sum(1 for p in labels_dir.rglob("*.jsonl")
                 for line in p.read_text(encoding="utf-8").splitlines() if line.strip())
    lines = res.stdout.splitlines()
    assert lines[0].startswith(f"{n_docs} documents; content ")
    assert lines[1].startswith("languages: ") and lines[2].startswith("kinds: ")
    problems = [line for line in lines if line.startswith("problem: ")]
    assert len(lines) == 3 + len(problems)
    if problems:
        assert_error(res, 1, f"{len(problems)} problems in the label files")
    else:
        assert_ok(res)


def test_label_check_bad_file(cli, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "paragraphs": [{"text": "x", "label": "content"}]}\n'
                   '{"id": "b", "paragraphs": [{"text": "y", "label": "maybe"}]}\n')
    res = cli("label", "--check", bad)
    assert_error(res, 1, "1 problems in the label files")
    assert f"problem: {bad}:2: paragraph 0 has label 'maybe'" in res.stdout


# ------------------------------------------------------------------------------ train
def test_train_writes_a_loadable_model_with_its_card(cli, labels_dir, tmp_path):
    """``detector train`` on a small labelled set: the model equals a direct fit on the same
    documents, carries the threshold chosen on the folds, and its card describes it."""
    import numpy as np

    import detector
    from detector.labels import read_labelled
    from detector.model import BoilerplateModel, Params

    lines = (labels_dir / "seeds.jsonl").read_text(encoding="utf-8").splitlines()
    for f in sorted(labels_dir.glob("[a-h]_*.jsonl")):
        lines += f.read_text(encoding="utf-8").splitlines()[:4]
    data = tmp_path / "small.jsonl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "m" / "small.npz"
    out.parent.mkdir()
    try:
        res = cli("train", "--labels", str(data), "--out", str(out), "--cv", "3")
    finally:  # joblib keeps its worker processes for reuse; other tests count children
        from joblib.externals.loky import get_reusable_executor

        get_reusable_executor().shutdown(wait=True)
    assert res.exit_code == 0, res.stderr
    model = detector.load(out)
    card = json.loads(detector.card_path(out).read_text(encoding="utf-8"))
    assert card["threshold"] == model.threshold
    assert 0.05 <= model.threshold <= 0.98
    assert card["cross_validation"]["folds"] == 3
    assert card["training_data"]["documents"] == len(lines)
    assert card["params"]["nb_power"] == Params().nb_power
    assert "nb_power 0.5" in out.with_suffix(".md").read_text(encoding="utf-8")
    docs = read_labelled([data])
    direct = BoilerplateModel(Params()).fit([d.texts for d in docs], [d.labels for d in docs],
                                            [d.group for d in docs])
    # Trained in a joblib worker (BLAS limited to one thread there): equal up to float noise.
    np.testing.assert_allclose(model.model.coef1_, direct.coef1_, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(model.model.coef2_, direct.coef2_, rtol=1e-3, atol=1e-4)
    res = cli("evaluate", str(data), "--model", str(out), "--json")
    assert res.exit_code == 0, res.stderr


def test_evaluate_leave_out_scores_each_seed_without_its_site(cli, labels_dir, tmp_path):
    """``--leave-out seed-``: one decision per labelled seed paragraph, by models that never saw
    the seed's site, cut at the model's threshold; the counts in the summary match them."""
    lines = (labels_dir / "seeds.jsonl").read_text(encoding="utf-8").splitlines()[:2]
    for f in sorted(labels_dir.glob("[a-e]_*.jsonl")):
        lines += f.read_text(encoding="utf-8").splitlines()[:3]
    data = tmp_path / "small.jsonl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        res = cli("evaluate", str(data), "--leave-out", "seed-", "--json", "-t", "0.5")
    finally:  # joblib keeps its worker processes for reuse; other tests count children
        from joblib.externals.loky import get_reusable_executor

        get_reusable_executor().shutdown(wait=True)
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert (out["sites"], out["documents"], out["threshold"]) == (2, 2, 0.5)
    labelled = [d for d in out["decisions"] if d["label"] >= 0]
    assert {d["document"][:8] for d in out["decisions"]} == {"seed-000", "seed-001"}
    assert all(d["removed"] == (d["score"] >= 0.5) for d in out["decisions"])
    assert out["paragraphs"] == len(labelled) == 46
    assert out["decided_as_labelled"] == sum(d["removed"] == (d["label"] == 1) for d in labelled)
    assert "site 2/2 done" in res.stderr


def test_evaluate_leave_out_errors(cli, labels_dir):
    seeds = str(labels_dir / "seeds.jsonl")
    assert_error(cli("evaluate", seeds, "--leave-out", "nosuch-"), 1,
                 "no document id starts with 'nosuch-'", "seeds.jsonl")
    assert_error(cli("evaluate", seeds, "--leave-out", "seed-", "--cv", "3", "--sweep"), 2,
                 "--leave-out does not go with --cv, --sweep")
