"""The public API contract: load, score, clean, clean_many, detector.clean."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import detector
from detector import CleanResult, Detector, Paragraph

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))

TEXT = "Real prose about markets and the economy, written at length.\nAd\n\nReply\nMore prose here.\n"


@pytest.fixture(scope="session")
def det():
    return detector.load()


def test_load_default_and_by_path(det):
    assert isinstance(det, Detector)
    path = detector.default_model_path()
    assert path.is_file()
    assert detector.card_path(path).is_file()
    by_path = detector.load(path)
    assert isinstance(by_path, Detector)
    assert by_path.path == path
    assert isinstance(det.threshold, float) and 0.0 < det.threshold < 1.0
    assert by_path.threshold == det.threshold
    # same model, same scores
    paras = ["Ad", "Reply", "Some long paragraph of real article prose about the economy."]
    assert np.array_equal(by_path.score(paras), det.score(paras))


def test_load_threshold_override():
    d = detector.load(threshold=0.3)
    assert isinstance(d.threshold, float) and d.threshold == 0.3


def test_load_missing_path_raises_model_error(tmp_path):
    with pytest.raises(detector.ModelError, match="not found"):
        detector.load(tmp_path / "nope.npz")


def test_score_contract(det):
    s = det.score(["p1", "p2"])
    assert isinstance(s, np.ndarray)
    assert s.shape == (2,)
    assert np.issubdtype(s.dtype, np.floating)
    assert np.all((s >= 0.0) & (s <= 1.0))
    assert det.score([]).shape == (0,)
    # a tuple of paragraphs is fine too
    assert np.array_equal(det.score(("p1", "p2")), s)


def test_score_rejects_plain_str(det):
    with pytest.raises(TypeError):
        det.score("p1 p2")


def test_score_separates_obvious_cases(det):
    s = det.score(["Ad", "Reply", "Report"] + [read(SEEDS[3]).split("\n")[0]])
    assert s[-1] < det.threshold
    assert s[0] >= det.threshold


def test_clean_contract(det):
    res = det.clean(TEXT)
    assert isinstance(res, CleanResult)
    assert isinstance(res.text, str)
    assert res.paragraphs and all(isinstance(p, Paragraph) for p in res.paragraphs)
    for p in res.paragraphs:
        assert isinstance(p.text, str) and p.text == TEXT[p.start : p.end]
        assert isinstance(p.start, int) and isinstance(p.end, int)
        assert isinstance(p.score, float) and 0.0 <= p.score <= 1.0
        assert isinstance(p.removed, bool)
    assert [p.text for p in res.paragraphs] == [
        "Real prose about markets and the economy, written at length.", "Ad", "Reply", "More prose here."]
    assert res.original() == TEXT
    assert res.removed == [p for p in res.paragraphs if p.removed]
    assert res.kept == [p for p in res.paragraphs if not p.removed]


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _same(a: CleanResult, b: CleanResult) -> bool:
    """Same text and decisions; scores equal up to float rounding (batching changes summation order)."""
    def key(r):
        return r.text, r.after, [(p.text, p.start, p.end, p.removed, p.before) for p in r.paragraphs]

    return key(a) == key(b) and np.allclose([p.score for p in a.paragraphs],
                                            [p.score for p in b.paragraphs], rtol=1e-9, atol=1e-12)


def test_clean_many_is_lazy_ordered_and_equals_clean(det):
    texts = [read(p) for p in SEEDS] + [TEXT, "", "Ad\n", "\ufeffReply\r\nSome prose text."]
    texts = texts * 5
    consumed = []

    def gen():
        for t in texts:
            consumed.append(t)
            yield t

    it = det.clean_many(gen(), n_jobs=2, batch_size=2)
    assert consumed == []  # nothing is read before the first result is asked for
    first = next(it)
    assert 0 < len(consumed) < len(texts)  # at most a few batches ahead
    results = [first, *it]
    assert len(consumed) == len(texts)
    assert len(results) == len(texts)
    expected = [det.clean(t) for t in texts]
    assert all(_same(r, e) for r, e in zip(results, expected))


def test_clean_many_single_process_and_mark(det):
    texts = [read(p) for p in SEEDS[:3]]
    got = list(det.clean_many(iter(texts), n_jobs=1, batch_size=2, mark=True))
    assert [r.text for r in got] == [det.clean(t, mark=True).text for t in texts]
    assert list(det.clean_many(iter([]), n_jobs=2)) == []


def test_clean_many_stops_early_without_hanging(det):
    def endless():
        while True:
            yield TEXT

    it = det.clean_many(endless(), n_jobs=2, batch_size=3)
    heads = [next(it) for _ in range(7)]
    it.close()
    assert all(_same(h, det.clean(TEXT)) for h in heads)


def test_module_level_clean_returns_str(det):
    out = detector.clean(TEXT)
    assert isinstance(out, str)
    assert out == det.clean(TEXT).text
    seed = read(SEEDS[3])
    assert detector.clean(seed) == seed


def test_default_model_loads_from_another_working_directory(tmp_path):
    code = (
        "import json, detector\n"
        "d = detector.load()\n"
        "r = d.clean('Real prose about markets.\\nAd\\n')\n"
        "print(json.dumps({'path': str(d.path), 'n': len(r.paragraphs), 'thr': d.threshold}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert Path(out["path"]) == detector.default_model_path()
    assert out["n"] == 2
    assert out["thr"] == detector.load().threshold
