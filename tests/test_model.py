"""Model files: save/load round trip, checksums, damaged and hostile files, determinism."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
import shlex
import shutil
from pathlib import Path

import numpy as np
import pytest

import detector
import detector.features
from detector.labels import read_labelled
from detector.layout import layout_features
from detector.model import FORMAT_VERSION, BoilerplateModel, ModelError, Params, nb_weights

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "labels"
SMALL_CHAR_FEATURES = 2**12  # the default 2**18 hash buckets make liblinear slow on a tiny set


def small_docs():
    docs = read_labelled([LABELS / "seeds.jsonl"])
    for f in sorted(LABELS.glob("*.jsonl")):
        if f.name != "seeds.jsonl":
            docs += read_labelled([f])[:3]
    return docs


@pytest.fixture(scope="module")
def docs():
    return small_docs()


@pytest.fixture(scope="module")
def small_chars():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(detector.features, "CharHashTfidf",
                   functools.partial(detector.features.CharHashTfidf, n_features=SMALL_CHAR_FEATURES))
        yield


def fit(docs, params: Params | None = None) -> BoilerplateModel:
    return BoilerplateModel(params or Params(), threshold=0.6).fit(
        [d.texts for d in docs], [d.labels for d in docs], [d.group for d in docs])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_card(model_path: Path) -> Path:
    card = detector.card_path(model_path)
    card.write_text(json.dumps({"name": model_path.name, "model_sha256": sha256(model_path)}),
                    encoding="utf-8")
    return card


@pytest.fixture(scope="module")
def tiny(small_chars, docs, tmp_path_factory):
    """(fitted model, path of its saved .npz with a matching .card.json)."""
    model = fit(docs)
    path = tmp_path_factory.mktemp("tiny") / "tiny.npz"
    model.save(path, card={"note": "tiny test model"})
    write_card(path)
    return model, path


def probe_docs(docs):
    return [d.texts for d in docs] + [["Ad", "Reply"], ["Real prose about the markets today."], [],
                                      ["Unseen wörds 新しい 😀", "\x01", ""]]


def copy_model(src: Path, dst_dir: Path, name: str = "model.npz") -> Path:
    dst = dst_dir / name
    shutil.copyfile(src, dst)
    shutil.copyfile(detector.card_path(src), detector.card_path(dst))
    return dst


def flip_byte(path: Path, pos: int) -> None:
    data = bytearray(path.read_bytes())
    data[pos] ^= 0xFF
    path.write_bytes(bytes(data))


def rewrite_meta(src: Path, dst: Path, **changes) -> None:
    with np.load(src, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
    meta.update(changes)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8)
    with open(dst, "wb") as fh:
        np.savez_compressed(fh, **arrays)


# --------------------------------------------------------------------------- round trip


def test_save_load_round_trip(tiny, docs):
    model, path = tiny
    loaded = detector.load(path)  # checksum verified against the card
    assert loaded.threshold == 0.6
    assert loaded.model.card == {"note": "tiny test model"}
    assert loaded.model.params.__dict__ == model.params.__dict__
    assert loaded.model.text_.word.terms_ == model.text_.word.terms_
    assert loaded.model.text_.char.n_features == SMALL_CHAR_FEATURES
    probe = probe_docs(docs)
    before, after = model.predict_proba(probe), loaded.model.predict_proba(probe)
    assert [len(a) for a in after] == [len(d) for d in probe]
    for a, b in zip(before, after):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
        assert np.array_equal(a >= 0.6, b >= 0.6)


def test_second_round_trip_is_bit_identical(tiny, docs, tmp_path):
    _, path = tiny
    once = BoilerplateModel.load(path)
    once.save(tmp_path / "again.npz")
    twice = BoilerplateModel.load(tmp_path / "again.npz")
    probe = probe_docs(docs)
    for a, b in zip(once.predict_proba(probe), twice.predict_proba(probe)):
        assert np.array_equal(a, b)


def test_round_trip_predictions_identical(tiny, docs):
    model, path = tiny
    loaded = BoilerplateModel.load(path)
    probe = probe_docs(docs)
    for a, b in zip(model.predict_proba(probe), loaded.predict_proba(probe)):
        assert np.array_equal(a, b)


def test_training_is_deterministic(small_chars, docs):
    a, b = fit(docs), fit(docs)
    assert a.text_.word.terms_ == b.text_.word.terms_
    assert np.array_equal(a.coef1_, b.coef1_)
    assert np.array_equal(a.coef2_, b.coef2_)
    assert a.intercept1_ == b.intercept1_ and a.intercept2_ == b.intercept2_
    assert np.count_nonzero(a.coef1_) > 0


def test_training_without_char_features(docs, tmp_path):
    model = fit(docs[:12], Params(use_chars=False))
    model.save(tmp_path / "words.npz")
    loaded = BoilerplateModel.load(tmp_path / "words.npz")
    assert loaded.params.use_chars is False
    probe = probe_docs(docs[:12])
    for a, b in zip(model.predict_proba(probe), loaded.predict_proba(probe)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def test_nb_weights_favour_columns_that_tell_the_classes_apart():
    import scipy.sparse as sp

    # columns: only in boilerplate rows, in both alike, only in content rows, one row of each
    # (values are TF-IDF-like weights: only whether a row has the column counts)
    rows = [[0.7, 0.2, 0, 0.5], [0.1, 0.9, 0, 0], [0, 0.3, 0.4, 2.0], [0, 0.6, 0.8, 0],
            [5, 0, 5, 0]]
    x = sp.csr_matrix(np.array(rows))
    y = np.array([1, 1, 0, 0, -1])  # the ambiguous last row must not count
    # row counts 2 2 0 1 against 0 2 2 1, plus alpha 1: ratios 3, 1, 1/3, 1
    w = nb_weights(x, y, power=1.0, alpha=1.0)
    np.testing.assert_allclose(w, [np.log(3), 0, np.log(3), 0], atol=1e-12)
    np.testing.assert_allclose(nb_weights(x, y, power=0.5, alpha=1.0), np.sqrt(w))
    np.testing.assert_allclose(nb_weights(x.toarray(), y, power=1.0, alpha=1.0), w)
    # less smoothing: a column seen in one class only weighs more
    assert nb_weights(x, y, power=1.0, alpha=0.5)[0] > w[0]


def test_nb_scale_is_folded_into_the_stored_coefficients(small_chars, docs):
    """Stage 1 is fitted on NB-scaled n-gram columns; the stored coefficients, applied to the
    unscaled features as scoring does, must give that fit's margins."""
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression

    sub = docs[:20]
    params = Params(nb_power=0.5)
    model = fit(sub, params)
    texts = [t for d in sub for t in d.texts]
    y = np.concatenate([d.labels for d in sub])
    raw = layout_features(texts, [len(d.texts) for d in sub])
    dense = model.layout_scaler_.transform(raw) * params.layout_weight
    x = sp.hstack([model.text_.transform(texts), sp.csr_matrix(dense)], format="csr")
    chars = np.array([len(t) for t in texts], dtype=float)
    weights = np.where(y == 0, params.content_weight * (1 + chars / params.content_chars), 1.0)
    known = y != -1
    n_ngrams = model.text_.n_features - len(detector.features.TextFeatures.DENSE_NAMES)
    scale = np.ones(x.shape[1])
    scale[:n_ngrams] = nb_weights(x[known][:, :n_ngrams], y[known], 0.5, params.nb_alpha)
    assert np.count_nonzero(scale != 1.0) > 0
    lr = LogisticRegression(C=params.c1, solver="liblinear", max_iter=1000, random_state=0)
    lr.fit(x[known] @ sp.diags(scale), y[known], sample_weight=weights[known])
    np.testing.assert_allclose(model.coef1_, lr.coef_.ravel() * scale, rtol=1e-9, atol=1e-12)
    plain = fit(sub, Params(nb_power=0.0))
    assert not np.allclose(plain.coef1_, model.coef1_)


def without_param(src: Path, dst: Path, name: str) -> Path:
    """A copy of model file ``src`` whose stored params lack ``name``, as older files do."""
    with np.load(src, allow_pickle=False) as z:
        meta = json.loads(z["meta"].tobytes().decode("utf-8"))
    del meta["params"][name]
    rewrite_meta(src, dst, params=meta["params"])
    return dst


def test_files_from_before_nb_weights_load_with_nb_power_0(tiny, tmp_path):
    model, path = tiny
    assert model.params.nb_power == Params().nb_power > 0
    old = without_param(path, tmp_path / "old.npz", "nb_power")
    assert BoilerplateModel.load(old).params.nb_power == 0.0


def test_files_from_before_short_words_keep_the_slow_fade(tiny, docs, tmp_path):
    """A file without ``short_words`` was fitted on the 1 / (1 + words / 15) fade of the
    short-line marks; it must load with it and score with it, not with the new default."""
    model, path = tiny
    assert model.params.short_words == Params().short_words > 0
    loaded = BoilerplateModel.load(without_param(path, tmp_path / "old.npz", "short_words"))
    assert loaded.params.short_words == 0.0
    # a long paragraph citing a link: only the slow fade gives its URL a weight
    page = [d.texts for d in docs[:3]] + [[
        "Heading", "The figures come from the survey published last spring, which is online "
        "at https://data.example-lab.org/survey-2025 for anyone who wants to check the "
        "method; the authors say the sample covers every county and most of the towns.",
        "Reply"]]
    assert not np.allclose(np.concatenate(loaded.decision_function(page)),
                           np.concatenate(model.decision_function(page)))


# --------------------------------------------------------------------------- damaged files


def _sources(tiny):
    return {"tiny": tiny[1], "shipped": detector.default_model_path()}


@pytest.mark.parametrize("which", ["tiny", "shipped"])
@pytest.mark.parametrize("where", [0.0, 0.001, 0.1, 0.5, 0.9, 0.999])
def test_tampered_model_is_refused(tiny, tmp_path, which, where):
    path = copy_model(_sources(tiny)[which], tmp_path)
    pos = min(int(where * path.stat().st_size), path.stat().st_size - 1)
    flip_byte(path, pos)
    with pytest.raises(ModelError, match="sha256"):
        detector.load(path)


@pytest.mark.parametrize("where", [i / 24 for i in range(24)] + [0.999, 1.0])
def test_tampered_model_with_trust_loads_or_raises_model_error(tiny, tmp_path, where):
    path = copy_model(tiny[1], tmp_path)
    size = path.stat().st_size
    flip_byte(path, min(int(where * size), size - 1))
    try:
        det = detector.load(path, trust=True)
    except ModelError:
        return
    # if the flipped byte was in an unused field, the model must still work
    scores = det.score(["Ad", "Some prose."])
    assert scores.shape == (2,)


@pytest.mark.parametrize("keep", [0, 10, 100, 0.5, -22, -1])
def test_truncated_model_is_refused(tiny, tmp_path, keep):
    path = copy_model(tiny[1], tmp_path)
    data = path.read_bytes()
    n = int(keep * len(data)) if isinstance(keep, float) else keep % len(data)
    path.write_bytes(data[:n])
    with pytest.raises(ModelError, match="sha256"):
        detector.load(path)
    with pytest.raises(ModelError):
        detector.load(path, trust=True)
    detector.card_path(path).unlink()
    with pytest.raises(ModelError):
        detector.load(path)  # an explicit path without a card is read, and refused as damaged


def test_not_a_model_file(tmp_path):
    for name, content in [("empty.npz", b""), ("text.npz", b"hello world\n" * 10),
                          ("zip.npz", b"PK\x03\x04" + b"\x00" * 40)]:
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ModelError):
            detector.load(tmp_path / name)
    # a valid .npz that is not a detector model
    np.savez(tmp_path / "other.npz", a=np.arange(3))
    with pytest.raises(ModelError):
        detector.load(tmp_path / "other.npz")


class _Exploit:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {shlex.quote(str(self.marker))}",)


@pytest.mark.parametrize("container", ["pickle", "npz-object-array", "npy-object-array"])
@pytest.mark.parametrize("card", ["none", "matching"])
@pytest.mark.parametrize("trust", [False, True])
def test_pickle_model_file_never_runs_code(tmp_path, container, card, trust):
    marker = tmp_path / "MARKER"
    payload = pickle.dumps(_Exploit(marker))
    # the payload is live: unpickling it does create the marker
    pickle.loads(payload)
    assert marker.exists()
    marker.unlink()

    path = tmp_path / "model.npz"
    if container == "pickle":
        path.write_bytes(payload)
    elif container == "npz-object-array":
        obj = np.empty(1, dtype=object)
        obj[0] = _Exploit(marker)
        with open(path, "wb") as fh:
            np.savez(fh, meta=obj, coef1=obj)
    else:
        obj = np.empty(1, dtype=object)
        obj[0] = _Exploit(marker)
        with open(path, "wb") as fh:
            np.save(fh, obj, allow_pickle=True)
    if card == "matching":
        write_card(path)  # the checksum passes: only the loader itself stands in the way
    with pytest.raises(ModelError):
        detector.load(path, trust=trust)
    with pytest.raises(ModelError):
        BoilerplateModel.load(path)
    assert not marker.exists()


def test_unsupported_format_version(tiny, tmp_path):
    path = tmp_path / "future.npz"
    rewrite_meta(tiny[1], path, format_version=999)
    write_card(path)
    with pytest.raises(ModelError, match="not supported"):
        detector.load(path)
    with pytest.raises(ModelError, match="999"):
        BoilerplateModel.load(path)
    rewrite_meta(tiny[1], path, format_version=FORMAT_VERSION)
    assert isinstance(BoilerplateModel.load(path), BoilerplateModel)


def test_format_1_files_still_load_with_the_same_scores(tiny, docs, tmp_path):
    """Format 1 kept the word vocabulary as a JSON list in the metadata; such files load."""
    model, path = tiny
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files if not k.startswith("word_") or k == "word_idf"}
    meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
    meta.update(format_version=1, word_terms=model.text_.word.terms_)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8)
    old = tmp_path / "v1.npz"
    with open(old, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    loaded = BoilerplateModel.load(old)
    assert loaded.text_.word.terms_ == model.text_.word.terms_
    for got, want in zip(loaded.predict_proba(probe_docs(docs)), model.predict_proba(probe_docs(docs))):
        np.testing.assert_array_equal(got, want)


def test_word_tables_that_do_not_fit_together_are_refused(tiny, tmp_path):
    _, path = tiny
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["word_uni"] = arrays["word_uni"][:-1]
    bad = tmp_path / "bad_tables.npz"
    with open(bad, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    with pytest.raises(ModelError, match="damaged model file"):
        BoilerplateModel.load(bad)


@pytest.mark.parametrize("changes", [{"format": "something-else"}, {"layout_names": ["x"]},
                                     {"context_names": []}, {"word_terms": ["only"]}, {"char": {}},
                                     {"threshold": None}])
def test_inconsistent_meta_is_refused(tiny, tmp_path, changes):
    path = tmp_path / "bad.npz"
    rewrite_meta(tiny[1], path, **changes)
    with pytest.raises(ModelError):
        BoilerplateModel.load(path)


def test_missing_card_for_explicit_path_is_allowed(tiny, tmp_path):
    path = tmp_path / "nocard.npz"
    shutil.copyfile(tiny[1], path)
    assert isinstance(detector.load(path), detector.Detector)


def test_unreadable_card_is_refused(tiny, tmp_path):
    path = copy_model(tiny[1], tmp_path)
    detector.card_path(path).write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match="model card"):
        detector.load(path)


# --------------------------------------------------------------------------- paragraph cache

@pytest.mark.parametrize("cache_bytes", [0, 3_000, 60_000, 32 << 20])
def test_cache_never_changes_scores(tiny, docs, cache_bytes):
    """Scores are the same, bit for bit, with no cache, a tiny one that keeps clearing, or a
    large one, whatever was scored before (workers see different streams) and wherever a
    document sits in a batch (no BLAS: its sums would depend on the row's place)."""
    model, path = tiny
    fresh = BoilerplateModel.load(path)
    fresh.cache_bytes = 0
    want = fresh.predict_proba(probe_docs(docs))
    cached = BoilerplateModel.load(path)
    cached.cache_bytes = cache_bytes
    for _ in range(3):  # later passes are served from the cache where it is big enough
        got = cached.predict_proba(probe_docs(docs)[::-1])[::-1]
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
    if cache_bytes:
        assert cached._cache.nbytes <= cache_bytes
        assert len(cached._cache) > 0 or cache_bytes < 10_000
    else:
        assert cached._cache is None


def test_a_pickled_model_leaves_its_cache_behind(tiny, docs):
    model = BoilerplateModel.load(tiny[1])
    want = model.predict_proba(probe_docs(docs))
    model.predict_proba(probe_docs(docs))  # second sighting: the cache now holds entries
    assert len(model._cache) > 0
    copy = pickle.loads(pickle.dumps(model))
    assert copy._cache is None and len(model._cache) > 0
    for got, w in zip(copy.predict_proba(probe_docs(docs)), want):
        np.testing.assert_array_equal(got, w)
