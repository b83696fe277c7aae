"""Throughput benchmark: corpus building, measuring runs and the report (no timing assertions)."""

from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path

import pytest

from detector import bench

LABELS = Path(__file__).resolve().parent.parent / "labels"
KEYS = {"mode", "workers", "mb", "seconds", "mb_per_s", "paragraphs_per_s", "peak_rss_mb"}


def _records(lines: list[str]) -> list[dict]:
    records = [json.loads(line) for line in lines if line.strip()]
    for r in records:
        assert set(r) == {"id", "text"} and isinstance(r["text"], str) and r["text"]
    assert len({r["id"] for r in records}) == len(records)
    return records


def test_build_corpus_plain(tmp_path):
    out = tmp_path / "corpus.jsonl"
    info = bench.build_corpus(out, 0.2, labels_dir=LABELS, seed=1)
    data = out.read_bytes()
    assert 0.2 * bench.MB <= len(data) < 0.2 * bench.MB + 100_000
    assert info["bytes"] == len(data)
    records = _records(data.decode("utf-8").splitlines())
    assert info["records"] == len(records)
    # the repeated labelled documents, shuffled: a second pass uses other ids
    assert any(r["id"].endswith("~1") for r in records) or len(records) < 600
    again = tmp_path / "again.jsonl"
    bench.build_corpus(again, 0.2, labels_dir=LABELS, seed=1)
    assert again.read_bytes() == data


def test_build_corpus_gz(tmp_path):
    out = tmp_path / "corpus.jsonl.gz"
    info = bench.build_corpus(out, 0.2, labels_dir=LABELS)
    assert out.read_bytes()[:2] == b"\x1f\x8b"
    raw = gzip.decompress(out.read_bytes())
    assert 0.2 * bench.MB <= len(raw) < 0.2 * bench.MB + 100_000
    records = _records(raw.decode("utf-8").splitlines())
    assert [t for t in bench.iter_texts(out)] == [r["text"] for r in records]
    assert info["records"] == len(records)
    assert not list(tmp_path.glob(".*.tmp"))  # no leftover temporary file


def test_build_corpus_rejects_bad_input(tmp_path):
    with pytest.raises(ValueError):
        bench.build_corpus(tmp_path / "c.jsonl", 0, labels_dir=LABELS)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError):
        bench.build_corpus(tmp_path / "c.jsonl", 0.1, labels_dir=empty)
    assert not (tmp_path / "c.jsonl").exists()


def test_iter_texts_limit_and_stats(tmp_path):
    out = tmp_path / "c.jsonl"
    bench.build_corpus(out, 0.05, labels_dir=LABELS)
    every = list(bench.iter_texts(out))
    some = list(bench.iter_texts(out, limit_mb=0.01))
    assert 0 < len(some) < len(every) and some == every[: len(some)]
    stats = bench.corpus_stats(out)
    assert stats["documents"] == len(every)
    assert stats["mb"] == sum(len(t.encode("utf-8")) for t in every) / bench.MB
    assert stats["paragraphs"] >= len(every)


def test_iter_texts_reads_compressed_corpora(tmp_path):
    """gzip and concatenated zstd frames (pzstd, ``cat a.zst b.zst``) read as one corpus."""
    zstandard = pytest.importorskip("zstandard")
    lines = [json.dumps({"text": f"Paragraph {i}.\nAd"}) + "\n" for i in range(6)]
    with gzip.open(tmp_path / "c.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.writelines(lines)
    zc = zstandard.ZstdCompressor()
    frames = zc.compress("".join(lines[:2]).encode()) + zc.compress("".join(lines[2:]).encode())
    (tmp_path / "c.jsonl.zst").write_bytes(frames)
    expected = [f"Paragraph {i}.\nAd" for i in range(6)]
    for name in ("c.jsonl.gz", "c.jsonl.zst"):
        assert list(bench.iter_texts(tmp_path / name)) == expected, name


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bench") / "tiny.jsonl"
    bench.build_corpus(out, 0.03, labels_dir=LABELS)
    return out


@pytest.fixture(scope="module")
def shipped_model():
    import detector

    try:
        return detector.load()
    except detector.ModelError as exc:
        pytest.skip(f"the shipped model does not load (being retrained?): {exc}")


def _check(record: dict, mode: str, workers: int) -> None:
    assert set(record) >= KEYS
    assert record["mode"] == mode and record["workers"] == workers
    for key in KEYS - {"mode", "workers"}:
        assert isinstance(record[key], float) and record[key] > 0, key


def test_bench_api(tiny_corpus, shipped_model):
    results = bench.bench_api(tiny_corpus, workers_list=(1, 2))
    assert [r["workers"] for r in results] == [1, 2]
    for r, w in zip(results, (1, 2)):
        _check(r, "api", w)
    stats = bench.corpus_stats(tiny_corpus)
    assert results[0]["mb"] == pytest.approx(stats["mb"])
    assert results[0]["paragraphs"] == stats["paragraphs"]
    # a loaded Detector object is handed over too; limit_mb reads less
    limited = bench.bench_api(tiny_corpus, workers_list=(1,), detector=shipped_model, limit_mb=0.01)
    _check(limited[0], "api", 1)
    assert limited[0]["mb"] < results[0]["mb"]


def test_bench_peers_and_ratios(tiny_corpus, shipped_model):
    peers = ["c4", "justext"] if importlib.util.find_spec("justext") else ["c4"]
    results = bench.bench(tiny_corpus, workers_list=(1,), cli=False, peers=peers, log=lambda m: None)
    assert [r["mode"] for r in results] == ["api"] + [f"peer:{p}" for p in peers]
    _check(results[0], "api", 1)
    for r in results[1:]:
        _check(r, r["mode"], 1)
        assert r["ratio"] == pytest.approx(results[0]["mb_per_s"] / r["mb_per_s"])
        assert r["paragraphs"] == results[0]["paragraphs"]  # the very same paragraphs
    report = bench.format_report(results)
    assert "detector (1 worker) is " in report and "C4 rules" in report


def test_bench_peers_rejects_unknown(tiny_corpus):
    with pytest.raises(ValueError, match="unknown peer"):
        bench.bench_peers(tiny_corpus, peers=["nope"])


def test_bench_cli(tiny_corpus, shipped_model):
    ok, why = bench.cli_available()
    if not ok:
        pytest.skip(f"the CLI is not available yet: {why}")
    results = bench.bench_cli(tiny_corpus, workers_list=(1,))
    _check(results[0], "cli", 1)


FAKE = [
    {"mode": "api", "workers": 1, "mb": 10.0, "seconds": 2.0, "mb_per_s": 5.0,
     "paragraphs_per_s": 12000.0, "peak_rss_mb": 150.0},
    {"mode": "api", "workers": 2, "mb": 10.0, "seconds": 1.081, "mb_per_s": 9.25,
     "paragraphs_per_s": 22200.0, "peak_rss_mb": 290.0},
    {"mode": "cli", "workers": 1, "mb": 10.0, "seconds": 2.5, "mb_per_s": 4.0,
     "paragraphs_per_s": 9600.0, "peak_rss_mb": 160.0},
    {"mode": "peer:justext", "peer": "justext", "workers": 1, "mb": 2.0, "seconds": 10.0,
     "mb_per_s": 0.2, "paragraphs_per_s": 480.0, "peak_rss_mb": 60.0},
    {"mode": "peer:c4", "peer": "c4", "workers": 1, "mb": 2.0, "seconds": 0.32,
     "mb_per_s": 6.25, "paragraphs_per_s": 15000.0, "peak_rss_mb": None},
]


def test_format_report():
    report = bench.format_report(FAKE)
    lines = report.splitlines()
    assert lines[0].split() == ["mode", "workers", "MB", "s", "MB/s", "paragraphs/s", "peak", "RSS", "MB"]
    assert len({len(line) for line in lines[:2]}) == 1  # header and rule are aligned
    assert "detector (1 worker) is 25.0x jusText, 0.8x C4 rules" in lines
    assert "speed-up 1 -> 2 workers: 1.85x" in lines
    assert any(line.startswith("peer:c4") and line.endswith("-") for line in lines)  # unknown RSS
    # stored ratios win over recomputed ones
    stored = [dict(r, ratio=3.0) if r["mode"] == "peer:c4" else r for r in FAKE]
    assert "0.8x C4 rules" not in bench.format_report(stored)
    assert "3.0x C4 rules" in bench.format_report(stored)


def test_main_json(tiny_corpus, shipped_model, tmp_path, capsys):
    out = tmp_path / "results.json"
    code = bench.main(["--corpus", str(tiny_corpus), "--workers", "1", "--peers", "c4", "--no-cli",
                       "--json", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "detector (1 worker) is" in printed
    results = json.loads(out.read_text())
    assert [r["mode"] for r in results] == ["api", "peer:c4"]


def test_main_reports_errors(tmp_path, capsys):
    code = bench.main(["--corpus", str(tmp_path / "c.jsonl"), "--labels", str(tmp_path / "missing"),
                       "--no-cli", "--peers"])
    assert code == 1
    assert "error:" in capsys.readouterr().err
