"""detector.pipeline.clean_paths from Python: order, workers, reports, atomic outputs."""

from __future__ import annotations

import gzip
import io
import json
import multiprocessing
import os
import shutil
import sys
from pathlib import Path

import pytest

from detector.io import InputError
from detector.pipeline import CleanOptions, UsageError, clean_paths


def jsonl(records: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


def tmp_files(directory: Path) -> list[Path]:
    return sorted(directory.rglob(".*.tmp"))


@pytest.fixture(scope="module")
def variants(seed_texts) -> dict[str, str]:
    """The seeds plus layout variants: CRLF, CR, BOM, indentation, surrounding blank lines,
    no final line end, boilerplate first."""
    out = dict(seed_texts)
    base = seed_texts["000_67d0e3787c705103.txt"]
    out["crlf"] = base.replace("\n", "\r\n")
    out["cr"] = base.replace("\n", "\r")
    out["bom"] = "\ufeff" + base
    out["indented"] = "\n\n  " + base.replace("\n", "\n\t \n   ") + "\n\n\n"
    out["no-final-newline"] = base.rstrip("\n")
    out["promo-first"] = ("Subscribe to our newsletter for the latest deals!\n"
                          "Advertisement\n" + seed_texts["003_2bd4001b9ddf0e80.txt"])
    out["blank"] = " \n\t\n"
    out["empty"] = ""
    return out


def test_workers_and_batches_do_not_change_output(det, seed_texts, tmp_path):
    recs = [{"id": f"{i}-{k}", "text": t} for i in range(30) for k, t in enumerate(seed_texts.values())]
    src = tmp_path / "c.jsonl"
    src.write_bytes(jsonl(recs))
    outs = {}
    for workers, batch in ((1, 64), (2, 64), (2, 5), (1, 1)):
        out = tmp_path / f"o-{workers}-{batch}.jsonl"
        summary = clean_paths([str(src)], str(out), det, CleanOptions(workers=workers, batch_size=batch))
        assert summary.documents == len(recs) and not summary.partial
        outs[(workers, batch)] = out.read_bytes()
    assert len(set(outs.values())) == 1
    expected = jsonl([{**r, "text": det.clean(r["text"]).text} for r in recs])
    assert outs[(1, 64)] == expected
    assert multiprocessing.active_children() == []


def test_report_rebuilds_layout_variants(det, variants, tmp_path):
    indir = tmp_path / "in"
    indir.mkdir()
    for name, text in variants.items():
        (indir / f"{name}.txt").write_bytes(text.encode())
    report = tmp_path / "report.jsonl"
    summary = clean_paths([str(indir)], str(tmp_path / "out"), det, CleanOptions(report=report))
    rows = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    by_doc: dict[str, list[dict]] = {}
    for row in rows:
        by_doc.setdefault(Path(row["document"]).stem, []).append(row)
    assert set(by_doc) == set(variants) - {"blank", "empty"}  # no paragraphs, no rows
    for name, drows in by_doc.items():
        assert "".join(r["before"] + r["text"] for r in drows) + drows[-1]["after"] == variants[name]
    assert summary.paragraphs == len(rows)
    assert summary.removed == sum(r["removed"] for r in rows) > 0
    for name, text in variants.items():
        got = (tmp_path / "out" / f"{name}.txt").read_bytes().decode()
        want = det.clean(text).text
        if text.startswith("\ufeff") and not want.startswith("\ufeff"):
            want = "\ufeff" + want
        assert got == want, name


def test_bom_kept_when_first_paragraph_removed(det, variants, tmp_path):
    text = "\ufeff" + variants["promo-first"]
    res = det.clean(text)
    assert res.paragraphs[0].removed, "the model keeps the promo line: pick another"
    src = tmp_path / "p.txt"
    src.write_bytes(b"\xff\xfe" + text[1:].encode("utf-16-le"))
    clean_paths([str(src)], str(tmp_path / "o.txt"), det)
    out = (tmp_path / "o.txt").read_bytes()
    assert out == b"\xff\xfe" + res.text.removeprefix("\ufeff").encode("utf-16-le")
    # everything removed: the API gives "", a file keeps its BOM (and so its encoding)
    src.write_bytes(b"\xff\xfe" + "Advertisement\n".encode("utf-16-le"))
    assert det.clean("\ufeffAdvertisement\n").text == ""
    clean_paths([str(src)], str(tmp_path / "o.txt"), det)
    assert (tmp_path / "o.txt").read_bytes() == b"\xff\xfe"


def test_failure_mid_run_with_workers_leaves_nothing(det, seed_texts, tmp_path):
    texts = list(seed_texts.values())
    lines = [json.dumps({"id": i, "text": texts[i % 5]}).encode() + b"\n" for i in range(400)]
    lines.insert(300, b'{"id": 300}\n')
    src = tmp_path / "c.jsonl.gz"
    src.write_bytes(gzip.compress(b"".join(lines)))
    out = tmp_path / "out" / "c.jsonl.gz"
    report = tmp_path / "out" / "r.jsonl"
    with pytest.raises(InputError, match=rf"^{src}:301: record has no field 'text'$"):
        clean_paths([str(src)], str(out), det, CleanOptions(workers=2, batch_size=8, report=report))
    assert list((tmp_path / "out").iterdir()) == []
    assert multiprocessing.active_children() == []  # the pool is stopped, not left behind


def test_interrupt_in_the_middle_leaves_nothing(det, seed_texts, tmp_path, monkeypatch):
    """A KeyboardInterrupt (what SIGTERM / Ctrl-C become) while results are being written."""
    src = tmp_path / "c.jsonl"
    src.write_bytes(jsonl([{"id": i, "text": t} for i in range(20) for t in seed_texts.values()]))
    calls = {"n": 0}
    real = det.clean_batch

    def flaky(batch, mark=False):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(batch, mark)

    monkeypatch.setattr(det, "clean_batch", flaky)
    with pytest.raises(KeyboardInterrupt):
        clean_paths([str(src)], str(tmp_path / "o.jsonl"), det,
                    CleanOptions(batch_size=10, report=tmp_path / "r.jsonl"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl"]


def test_outputs_that_clash(det, seeds_dir, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        d.mkdir()
        shutil.copyfile(seeds_dir / "000_67d0e3787c705103.txt", d / "page.txt")
    with pytest.raises(UsageError, match="would both be written to"):
        clean_paths([str(a / "page.txt"), str(b / "page.txt")], str(tmp_path / "o"), det)
    assert not (tmp_path / "o").exists()  # found before anything was written
    with pytest.raises(UsageError, match="would both be written to"):
        clean_paths([str(a), str(b)], str(tmp_path / "o"), det)
    with pytest.raises(UsageError, match="output is the input"):
        clean_paths([str(a / "page.txt"), str(b)], str(a), det)
    with pytest.raises(UsageError, match="overwrite the cleaned field"):
        clean_paths([str(a)], None, det, CleanOptions(removed_key="text"))


def test_walk_problems_are_counted_not_fatal(det, seeds_dir, tmp_path):
    indir = tmp_path / "in"
    indir.mkdir()
    shutil.copyfile(seeds_dir / "004_61a83938178f9c40.txt", indir / "ok.txt")
    os.mkfifo(indir / "fifo")
    (indir / "dangling").symlink_to(tmp_path / "nowhere")
    (indir / "img.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    summary = clean_paths([str(indir)], str(tmp_path / "out"), det)
    assert summary.partial and summary.documents == 1
    assert summary.skipped_files == [f"{indir / 'dangling'}: broken symbolic link, skipped",
                                     f"{indir / 'fifo'}: not a regular file, skipped",
                                     f"{indir / 'img.png'}: binary file, skipped"]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["ok.txt"]


def test_in_place_jsonl_gz_and_mode(det, seed_texts, tmp_path):
    recs = [{"id": k, "text": t} for k, t in enumerate(seed_texts.values())]
    src = tmp_path / "c.jsonl.gz"
    src.write_bytes(gzip.compress(jsonl(recs)))
    src.chmod(0o600)
    clean_paths([str(src)], None, det, CleanOptions(in_place=True, removed_key="removed"))
    rows = [json.loads(line) for line in gzip.decompress(src.read_bytes()).splitlines()]
    assert [r["text"] for r in rows] == [det.clean(r["text"]).text for r in recs]
    assert [r["removed"]["removed"] for r in rows] == \
        [[p.text for p in det.clean(r["text"]).removed] for r in recs]
    assert src.stat().st_mode & 0o777 == 0o600
    assert tmp_files(tmp_path) == []


def test_stdout_and_stdin(det, seed_texts, monkeypatch, capsysbinary):
    text = seed_texts["000_67d0e3787c705103.txt"]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    summary = clean_paths(["-"], None, det)
    assert capsysbinary.readouterr().out == det.clean(text).text.encode()
    assert summary.documents == 1 and summary.outputs == ["<stdout>"]


def test_passthrough_keeps_raw_bytes_and_other_surrogates(det, tmp_path):
    raw_bad = b'{"id": 2, "text": null, "x": "\\u00e9"}\n'
    src = tmp_path / "c.jsonl"
    src.write_bytes(b'{"id": 1, "text": "Plain words here.", "note": "\\udfff"}\n' + raw_bad)
    out = tmp_path / "o.jsonl"
    summary = clean_paths([str(src)], str(out), det, CleanOptions(on_error="keep"))
    first, second = out.read_bytes().splitlines(keepends=True)
    assert second == raw_bad  # byte for byte, escapes and all
    assert json.loads(first)["note"] == "\udfff"  # kept, written as an escape
    assert first.isascii()
    assert summary.bad_records == [f"{src}:2: field 'text' is a JSON null, not a string"]


def test_gz_output_is_gzip_members_made_by_the_workers(det, seed_texts, tmp_path):
    """A .gz output is one gzip member per batch, compressed in the workers: any gzip reader
    sees one stream, equal to the plain output, and the file does not depend on --workers."""
    recs = [{"id": i, "text": t} for i in range(40) for t in seed_texts.values()]
    src = tmp_path / "c.jsonl"
    src.write_bytes(jsonl(recs))
    clean_paths([str(src)], str(tmp_path / "plain.jsonl"), det, CleanOptions(batch_size=16))
    plain = (tmp_path / "plain.jsonl").read_bytes()
    files = {}
    for workers in (1, 2):
        out = tmp_path / f"w{workers}.jsonl.gz"
        clean_paths([str(src)], str(out), det, CleanOptions(workers=workers, batch_size=16))
        files[workers] = out.read_bytes()
    assert files[1] == files[2]
    assert files[1].count(b"\x1f\x8b\x08") >= len(recs) // 16  # a member a batch
    assert gzip.decompress(files[1]) == plain
    with gzip.open(tmp_path / "w2.jsonl.gz") as fh:  # a streaming reader crosses members too
        assert fh.read() == plain
    # an input without records still gives a readable (empty) .gz file
    (tmp_path / "empty.jsonl").write_bytes(b"")
    clean_paths([str(tmp_path / "empty.jsonl")], str(tmp_path / "e.jsonl.gz"), det)
    assert gzip.decompress((tmp_path / "e.jsonl.gz").read_bytes()) == b""
