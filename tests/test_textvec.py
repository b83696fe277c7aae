"""Text vectorisers: the numpy word TF-IDF against scikit-learn, and the hashed char TF-IDF."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from detector import textvec
from detector.textvec import (
    _BASE,
    _LEN_MIX,
    START,
    TOKEN_PATTERN,
    CharHashTfidf,
    HashIndex,
    WordTfidf,
    hash_strings,
    normalize_text,
    tokenize_batch,
)

CORPUS = [
    "Read more here... Alibaba: Buy or sell?!",
    "Read more here... Nvidia: Buy or sell?!",
    "Sign up for our newsletter — daily headlines, free to your inbox!",
    "Sign up for our newsletter today",
    "Die Aktie stieg am 23. September um 4,5 % – mehr lesen »",
    "Die Aktie fiel am 12. Oktober um 3,1 % – mehr lesen »",
    "Straße, Größe, Übermut: ÄÖÜ äöü ß",
    "阿里巴巴公布了第一季度财报，云计算收入增长26%。",
    "阿里巴巴的云计算业务继续增长。",
    "アリババは決算を発表しました。詳しくはこちら",
    "アリババの株価が上昇しました。詳しくはこちら",
    "Great news 😀😀 #stocks @user https://example.com/x?y=1",
    "Great news 🚀 #stocks",
    "",
    "",
    "\x01",
    "separator\x01inside text\x01 here",
    "separator inside text here",
    "Ｆｕｌｌｗｉｄｔｈ １２３ digits ٣٤٥ and 12 34",
    "Ｆｕｌｌｗｉｄｔｈ ９９ digits",
    "under_score snake_case words_1",
    "under_score other_case",
    "© 2025 Example Corp. All rights reserved.",
    "© 2024 Example Corp. All rights reserved.",
    "Пресс-релиз: компания сообщила о росте выручки",
    "Пресс-релиз компании",
]
OTHER = [
    "", "\x01", "\x01\x01", "Read more here!!! Buy or sell?", "newsletter\x01newsletter",
    "阿里巴巴云计算 growth 26% 😀", "アリババ 詳しくはこちら。", "Die Aktie stieg – mehr lesen »",
    "brand new words nobody saw", "  \t \xa0 ", "Ｆｕｌｌｗｉｄｔｈ 555", "© 1999 Example Corp.",
    "ÄÖÜ straße", "Пресс-релиз", "under_score", "#stocks 🚀🚀 https://example.com",
]


def sklearn_vec(min_df: int = 2) -> TfidfVectorizer:
    return TfidfVectorizer(preprocessor=normalize_text, token_pattern=TOKEN_PATTERN, ngram_range=(1, 2),
                           sublinear_tf=True, min_df=min_df)


def _starting(texts):
    return [f"{START} {t}" for t in texts]


def assert_same_as_sklearn(fit_texts, texts, min_df=2):
    """Our vocabulary and rows are scikit-learn's on texts that begin with the START token,
    without START's own column (only its bigrams are kept), L2-normalised without it."""
    ours = WordTfidf(min_df=min_df).fit(fit_texts)
    ref = sklearn_vec(min_df).set_params(norm=None).fit(_starting(fit_texts))
    terms = sorted(ref.vocabulary_, key=ref.vocabulary_.get)
    keep = [i for i, t in enumerate(terms) if t != START]
    assert ours.terms_ == [terms[i] for i in keep]
    want = ref.transform(_starting(texts)).toarray()[:, keep]
    norm = np.linalg.norm(want, axis=1, keepdims=True)
    want = np.divide(want, norm, out=np.zeros_like(want), where=norm > 0)
    got = ours.transform(texts)
    assert got.shape == want.shape == (len(texts), len(keep))
    np.testing.assert_allclose(got.toarray(), want, rtol=0, atol=1e-6)


def test_word_tfidf_matches_sklearn_on_mixed_text():
    assert_same_as_sklearn(CORPUS, OTHER)
    assert_same_as_sklearn(CORPUS, CORPUS)


def test_word_tfidf_matches_sklearn_min_df_1():
    assert_same_as_sklearn(CORPUS, OTHER + CORPUS, min_df=1)


@pytest.mark.parametrize("power", [0.5, 0.85])
def test_word_tfidf_norm_power_keeps_weight_in_long_rows(power):
    """Rows are sklearn's L2 rows times ``norm ** (1 - power)``: same direction, longer rows
    longer vectors, so a telling phrase is not drowned by a long paragraph's other words."""
    ours = WordTfidf(norm_power=power).fit(CORPUS)
    unit = WordTfidf().fit(CORPUS)
    got, ref = ours.transform(OTHER + CORPUS).toarray(), unit.transform(OTHER + CORPUS).toarray()
    got_norm, ref_norm = np.linalg.norm(got, axis=1), np.linalg.norm(ref, axis=1)
    nonzero = ref_norm > 0
    np.testing.assert_allclose(got[nonzero] / got_norm[nonzero, None], ref[nonzero], atol=1e-5)
    raw = sklearn_vec().set_params(norm=None).fit(_starting(CORPUS))
    start = raw.vocabulary_[START]
    raw = np.delete(raw.transform(_starting(OTHER + CORPUS)).toarray(), start, axis=1)
    raw_norm = np.linalg.norm(raw, axis=1)
    np.testing.assert_allclose(got_norm[nonzero], raw_norm[nonzero] ** (1 - power), rtol=1e-5)
    assert got_norm.max() > 1.0


def test_word_tfidf_vocabulary_is_not_trivial():
    ours = WordTfidf().fit(CORPUS)
    assert "read more" in ours.terms_ and "newsletter" in ours.terms_
    assert "阿 里" in ours.terms_  # CJK characters are single tokens; bigrams are pairs
    assert "\x01" not in " ".join(ours.terms_)
    assert f"{START} read" in ours.terms_ and START not in ours.terms_  # bigrams only
    row = ours.transform(["Read more here..."])
    assert row.nnz > 0
    assert ours.transform([]).shape == (0, ours.n_features)


def test_word_tfidf_start_bigrams_tell_a_first_word_from_the_same_word_later():
    ours = WordTfidf(min_df=1).fit(["About Acme", "About Beta", "Read about Acme"])
    col = ours.terms_.index(f"{START} about")
    m = ours.transform(["About Gamma", "Talk about Gamma", "about"])
    assert m[0, col] > 0 and m[2, col] > 0
    assert m[1, col] == 0


def test_word_tfidf_vocabulary_without_start_terms_reads_as_before():
    """A model fitted before the START token has no START terms: its rows are still exactly
    scikit-learn's on the texts as they are (the START token is an unknown token to it)."""
    ref = sklearn_vec().fit(CORPUS)
    old = WordTfidf()
    old.set_state(sorted(ref.vocabulary_, key=ref.vocabulary_.get), ref.idf_.astype(np.float64))
    texts = OTHER + CORPUS
    np.testing.assert_allclose(old.transform(texts).toarray(), ref.transform(texts).toarray(),
                               rtol=0, atol=1e-6)


def test_word_tfidf_separator_never_joins_paragraphs():
    ours = WordTfidf(min_df=1).fit(["alpha beta", "beta gamma"])
    m = ours.transform(["alpha", "beta"])
    assert m[0, ours.terms_.index("alpha beta")] == 0
    assert m[1, ours.terms_.index("alpha beta")] == 0


def test_word_tfidf_matches_sklearn_cjk_punctuation_after_punctuation():
    fit_texts = ["「・テスト」 yes", "「・テスト」 no", "(・x) a", "(・x) b"]
    assert_same_as_sklearn(fit_texts, ["「・テスト」", "(・x)"], min_df=1)


_WORDS = st.sampled_from([
    "read", "more", "here", "Buy", "SELL", "?!", "...", "»", "–", "—", "©", "2025", "１２", "阿里", "巴巴",
    "アリババ", "詳しく", "😀", "🚀", "#tag", "@user", "straße", "ÄÖÜ", "пресс", "\x01", "_", "a_b",
    "https://x.y/z", "İstanbul", "ΣΟΦΟΣ", "e\u0301", "\xa0", "\t",
])
_DOCS = st.lists(_WORDS, max_size=12).map(" ".join)


@settings(deadline=None, max_examples=60)
@given(st.lists(_DOCS, min_size=2, max_size=12), st.lists(_DOCS, min_size=1, max_size=6))
def test_word_tfidf_matches_sklearn_property(fit_texts, texts):
    try:
        sklearn_vec(2).fit(fit_texts)
    except ValueError:  # empty vocabulary: nothing to compare
        return
    assert_same_as_sklearn(fit_texts, texts)


@settings(deadline=None, max_examples=60)
@given(st.lists(_DOCS, min_size=1, max_size=8), st.integers(0, 2**32 - 1))
def test_dot_is_the_matrix_product_to_the_last_bit(texts, seed):
    vec = WordTfidf(min_df=1, norm_power=0.85).fit(CORPUS + OTHER)
    rng = np.random.default_rng(seed)
    coef = rng.normal(size=vec.n_features)
    tokens = tokenize_batch(texts)
    want = vec.transform_tokens(tokens, len(texts)) @ coef
    got = vec.dot_tokens(tokens, len(texts), coef)
    assert got.dtype == np.float64  # also with no known token at all
    np.testing.assert_array_equal(got, want)
    char = CharHashTfidf(n_features=2**12).fit(CORPUS)
    coef = rng.normal(size=char.n_features)
    got = char.dot(texts, coef, 0.7)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, (char.transform(texts) * np.float32(0.7)) @ coef)


def test_dot_of_texts_without_known_ngrams():
    vec = WordTfidf(min_df=1).fit(CORPUS)
    char = CharHashTfidf(n_features=2**12).fit(CORPUS)
    texts = ["", "0N", "zzqx"]
    for got in (vec.dot_tokens(tokenize_batch(texts), 3, np.ones(vec.n_features)),
                char.dot(["", ""], np.ones(char.n_features))):
        assert got.dtype == np.float64 and not got.any()


def test_scoring_does_not_import_scipy():
    """scipy is for training: a scoring process (each worker) is smaller without it."""
    code = ("import sys, detector; detector.load().clean('Reply\\nA sentence of the article.'); "
            "print(sorted(m for m in sys.modules if m.startswith(('scipy', 'sklearn'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- char hashes


@pytest.fixture(scope="module")
def char():
    return CharHashTfidf(n_features=2**14).fit(CORPUS)


def _stored_row_norms(m: sp.csr_matrix) -> np.ndarray:
    """sqrt of the sum of squares of each row's stored entries (duplicates counted apart)."""
    sq = np.asarray(m.data, dtype=np.float64) ** 2
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    return np.sqrt(np.bincount(rows, weights=sq, minlength=m.shape[0]))


def test_char_tfidf_rows_unit_length_as_stored(char):
    m = char.transform(OTHER + CORPUS)
    norms = _stored_row_norms(m)
    empty = np.diff(m.indptr) == 0
    np.testing.assert_allclose(norms[~empty], 1.0, atol=1e-5)
    assert np.flatnonzero(empty).tolist() == [i for i, t in enumerate(OTHER + CORPUS) if t == ""]
    assert np.all(norms[empty] == 0)
    assert m.shape == (len(OTHER) + len(CORPUS), 2**14)
    assert char.transform([""]).nnz == 0


_CHAR_TEXT = st.text(
    alphabet=st.one_of(st.sampled_from(list("aA1 \x00\x01\n\t.ΣσςİßÄ阿😀")), st.characters(codec="utf-8")),
    max_size=200,
)


@settings(deadline=None, max_examples=60)
@given(st.lists(_CHAR_TEXT, max_size=8))
def test_char_tfidf_is_batch_independent(texts):
    char = CharHashTfidf(n_features=2**12).fit(CORPUS)
    batch = char.transform(texts)
    assert batch.shape == (len(texts), 2**12)
    for i, t in enumerate(texts):
        single = char.transform([t])
        np.testing.assert_array_equal(batch[i].toarray(), single.toarray())
    if texts:
        norms = _stored_row_norms(batch)
        assert np.all((np.abs(norms - 1) < 1e-5) | (norms == 0))


def test_char_tfidf_reads_a_nul_inside_a_text_as_a_space(char):
    texts = ["Read\x00more", "plain text"]
    got = char.transform(texts).toarray()
    np.testing.assert_array_equal(got, char.transform(["Read more", "plain text"]).toarray())
    np.testing.assert_array_equal(got[1], char.transform(["plain text"]).toarray()[0])


def test_char_tfidf_caps_paragraph_length(char):
    long = "x" * 40 + "boilerplate " * 100
    m1, m2 = char.transform([long]), char.transform([long[: char.max_chars]])
    np.testing.assert_array_equal(m1.toarray(), m2.toarray())


def test_char_tfidf_digits_are_folded(char):
    a, b = char.transform(["Sep 23 2025"]), char.transform(["Sep 04 1999"])
    np.testing.assert_array_equal(a.toarray(), b.toarray())
    assert char.transform(["Sep 23"]).toarray().tolist() != char.transform(["Sep xy"]).toarray().tolist()


def test_normalize_text():
    assert normalize_text("Sep 23, ＡＢ１２") == "sep 00, ａｂ00"
    assert normalize_text("a\x01b") == "a b"
    assert normalize_text("0") == "0"


# --------------------------------------------------------------------------- numpy tokenizer

_TOKEN_RE = re.compile(TOKEN_PATTERN)


def regex_tokens(texts):
    """The reference: TOKEN_PATTERN over each normalised text, with the paragraph of each token."""
    toks, rows = [], []
    for i, t in enumerate(texts):
        found = [START, *_TOKEN_RE.findall(normalize_text(t))]
        toks += found
        rows += [i] * len(found)
    return toks, rows


def reference_hash(token: str) -> int:
    """span_hashes written out in plain Python integers."""
    h = sum(ord(c) * pow(_BASE, j, 1 << 64) for j, c in enumerate(token)) % (1 << 64)
    return h ^ (len(token) * int(_LEN_MIX)) % (1 << 64)


_TOKEN_TEXT = st.lists(st.one_of(_WORDS, st.text(max_size=6)), max_size=10).map(" ".join)


@settings(deadline=None, max_examples=150)
@given(st.lists(_TOKEN_TEXT, max_size=8))
def test_tokenize_batch_finds_the_regex_tokens(texts):
    toks, rows = regex_tokens(texts)
    got = tokenize_batch(texts)
    assert got.row.tolist() == rows
    assert got.hashes.tolist() == hash_strings(toks).tolist()
    assert got.is_word.tolist() == [t.isalnum() for t in toks]


def test_token_hashes_match_the_formula_and_tell_tokens_apart():
    toks = ["a", "b", "ab", "ba", "aa", "aaa", "\x00", "\x00\x00", "日", "😀", "straße", "x" * 500]
    assert hash_strings(toks).tolist() == [reference_hash(t) for t in toks]
    assert len(set(hash_strings(toks).tolist())) == len(toks)


def test_token_longer_than_a_hash_window():
    long = "ab" * 150_001  # longer than the prefix-sum window
    assert hash_strings([long]).tolist() == [reference_hash(long)]
    got = tokenize_batch(["x " + long + " y", long])
    assert got.hashes.tolist() == hash_strings([START, "x", long, "y", START, long]).tolist()
    assert got.row.tolist() == [0, 0, 0, 0, 1, 1]


def test_token_classes_of_every_code_point_are_the_regex_classes():
    """The BMP is classified at start, astral code points when a batch first holds them;
    either way each code point gets the class TOKEN_PATTERN's regex gives it."""
    textvec._token_classes.cache_clear()
    table = textvec._token_classes()
    assert (table[0x10000:] == textvec._UNSEEN).all()  # nothing astral looked up yet
    astral = np.array([0x1F600, 0x1D400, 0x20000], dtype=np.uint32)  # 😀, 𝐀, 𠀀 (letters)
    assert textvec._classes(astral).tolist() == [textvec._OTHER, textvec._WORD, textvec._WORD]
    assert (table[0x10000:] != textvec._UNSEEN).sum() == 3
    every = np.arange(0x110000, dtype=np.uint32)
    text = every.tobytes().decode("utf-32-le", "surrogatepass")
    expected = np.full(len(every), textvec._OTHER, dtype=np.uint8)
    for m in re.finditer(r"\w", text):
        expected[m.start()] = textvec._SINGLE if re.fullmatch(rf"[{textvec._CJK}]", m.group()) \
            else textvec._WORD
    for m in re.finditer(r"\s", text):
        expected[m.start()] = textvec._BREAK
    expected[0x01] = textvec._BREAK  # the batch separator
    assert np.array_equal(textvec._classes(every), expected)


def test_tokenize_batch_cjk_and_separator_inside_text():
    got = tokenize_batch(["阿里巴巴 ok", "a\x01b", ""])
    assert got.hashes.tolist() == hash_strings(
        [START, "阿", "里", "巴", "巴", "ok", START, "a", "b", START]).tolist()
    assert got.row.tolist() == [0, 0, 0, 0, 0, 0, 1, 1, 1, 2]


_KEYS = st.one_of(st.integers(0, 40), st.integers(0, 2**64 - 1))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_KEYS, st.integers(0, 10**6)), max_size=300),
       st.lists(_KEYS, max_size=100))
def test_hash_index_matches_a_dict(pairs, others):
    """Small keys collide on slots and probe; equal keys keep their first value."""
    expected: dict[int, int] = {}
    for key, value in pairs:
        expected.setdefault(key, value)
    index = HashIndex(np.array([k for k, _ in pairs], dtype=np.uint64),
                      np.array([v for _, v in pairs], dtype=np.int64))
    queries = [k for k, _ in pairs] + others
    got = index.get(np.array(queries, dtype=np.uint64), default=-5).tolist()
    assert got == [expected.get(k, -5) for k in queries]
    assert all((k in index) == (k in expected) for k in others)


def test_hash_index_default_values_are_positions_and_out_of_range_values_are_refused():
    index = HashIndex(np.array([7, 3, 7, 11], dtype=np.int64))
    assert index.get(np.array([3, 7, 11, 5])).tolist() == [1, 0, 3, -1]
    assert HashIndex(np.zeros(0, dtype=np.uint64)).get(np.array([1, 2])).tolist() == [-1, -1]
    with pytest.raises(ValueError, match="must be in"):
        HashIndex(np.array([1]), np.array([-1]))
    with pytest.raises(ValueError, match="must be in"):
        HashIndex(np.array([1]), np.array([2**31]))
    assert HashIndex(np.array([1]), np.array([2**31 - 1])).get(np.array([1])).tolist() == [2**31 - 1]
