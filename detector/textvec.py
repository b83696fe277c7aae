"""Text n-gram features: word TF-IDF and hashed character n-grams, vectorised with numpy.

Both vectorisers turn a list of paragraph strings into a sublinear TF-IDF sparse matrix, rows
L2-normalised (the word rows optionally divided by ``norm ** norm_power`` instead, so long rows
keep more weight). The word vocabulary and IDF are learnt by scikit-learn's ``TfidfVectorizer``;
the transform is re-implemented with numpy (tokens found on the code-point array of the whole
batch and looked up by 64-bit hash), which is several times faster and gives the same matrix
(tested against scikit-learn).
Character n-grams (3 and 4) are hashed from the code-point array of the whole batch, so they
cost a few numpy passes whatever the language; they carry signal for unseen spellings, numbers
and scripts without word boundaries.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:  # scipy is imported where a matrix is built (training), not for scoring
    import scipy.sparse as sp

__all__ = ["normalize_text", "TOKEN_PATTERN", "START", "WordTfidf", "CharHashTfidf", "Tokens",
           "tokenize_batch", "hash_strings", "HashIndex", "readable_term"]

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
# Words are \w runs, except that CJK characters stand alone (so bigrams are character pairs);
# punctuation runs ("?!", "...", "©", "»") are tokens too, as they carry much of the signal.
TOKEN_PATTERN = rf"(?:(?=\w)[{_CJK}])|[^\W{_CJK}]+|[^\w\s]+"
_DIGIT = re.compile("[1-9\uff10-\uff19]")
_SEP = "\x01"  # paragraph separator inside a joined batch; it breaks tokens like a space
#: a token put before each paragraph's first token, so "first word" bigrams are features:
#: "About Acme", "Photo:", "Tags:" open boilerplate whatever follows. Only its bigrams are
#: in the vocabulary (a unigram in every row would only shift the length normalisation).
START = "\ue000"
_START_PREFIX = START + " "


def readable_term(term: str) -> str:
    """A vocabulary term for people: the START token shown as ``<start>``."""
    return term.replace(START, "<start>")


def normalize_text(text: str) -> str:
    """Lower-case and map every digit to 0, so "Sep 23" and "Oct 04" share features."""
    return _DIGIT.sub("0", (text.replace(_SEP, " ") if _SEP in text else text).lower())


class HashIndex:
    """Exact look-up of 64-bit keys in an open-addressing hash table (linear probing).

    The vocabulary look-ups of every token run through this. A table at most a quarter full
    settles most keys with one gather, about twice as fast as ``np.searchsorted`` on the sorted
    keys. Equal keys keep the value of their first occurrence.
    """

    _MIX = np.uint64(0x9E3779B97F4A7C15)

    def __init__(self, keys: np.ndarray, values: np.ndarray | None = None):
        keys = np.asarray(keys).astype(np.uint64)
        values = np.arange(len(keys)) if values is None else np.asarray(values)
        keys, first = np.unique(keys, return_index=True)
        values = values[first].astype(np.int64)
        if len(values) and (values.min() < 0 or values.max() > np.iinfo(np.int32).max):
            raise ValueError("HashIndex values must be in [0, 2**31)")
        bits = max(4, (4 * len(keys) - 1).bit_length())
        self._shift, self._mask = np.uint64(64 - bits), (1 << bits) - 1
        self._keys = np.zeros(1 << bits, dtype=np.uint64)
        self._values = np.full(1 << bits, -1, dtype=np.int32)  # -1: empty slot
        slot, todo = self._slots(keys), np.arange(len(keys))
        while todo.size:  # insert in rounds; of keys that want the same free slot, one wins
            free = self._values[slot[todo]] < 0
            taken, first_claim = np.unique(slot[todo[free]], return_index=True)
            won = todo[free][first_claim]
            self._keys[taken], self._values[taken] = keys[won], values[won]
            placed = np.zeros(len(keys), dtype=bool)
            placed[won] = True
            todo = todo[~placed[todo]]
            slot[todo] = (slot[todo] + 1) & self._mask

    def _slots(self, keys: np.ndarray) -> np.ndarray:
        return ((keys * self._MIX) >> self._shift).astype(np.int64)

    def items(self) -> tuple[np.ndarray, np.ndarray]:
        """The stored keys (uint64) and their values, in table order (to save the index)."""
        used = self._values >= 0
        return self._keys[used], self._values[used].astype(np.int64)

    def get(self, keys: np.ndarray, default: int = -1) -> np.ndarray:
        """The value of each of ``keys``, ``default`` for keys not in the index."""
        keys = np.asarray(keys).astype(np.uint64)
        out = np.full(len(keys), default, dtype=np.int64)
        pending, slot = np.arange(len(keys)), self._slots(keys)
        while pending.size:
            value = self._values[slot]
            hit = (self._keys[slot] == keys) & (value >= 0)
            out[pending[hit]] = value[hit]
            probe = ~hit & (value >= 0)  # an occupied slot holding another key: try the next
            pending, keys, slot = pending[probe], keys[probe], (slot[probe] + 1) & self._mask
        return out

    def __contains__(self, key) -> bool:
        return bool(self.get(np.array([key]))[0] >= 0)


# Token classes of every code point, for the numpy tokenizer (same tokens as TOKEN_PATTERN).
_BREAK, _WORD, _OTHER, _SINGLE = 0, 1, 2, 3
_WINDOW = 1 << 16  # code points hashed per prefix-sum window (bounds the power tables)
_MOD = 1 << 64
_BASE = 0x9E3779B97F4A7C15
_LEN_MIX = np.uint64(0xC2B2AE3D27D4EB4F)


_UNSEEN = 255  # class of an astral code point not looked up yet


@lru_cache(maxsize=1)
def _token_classes() -> np.ndarray:
    """Class of every code point: \\s (and the batch separator) break tokens, \\w runs are
    words, other runs are punctuation tokens, CJK word characters stand alone.

    Classified with ``re`` itself, so the classes are exactly the regex's. The BMP is done at
    once; the million astral code points (emoji, rare scripts) only when a batch holds them
    (:func:`_classes`), which cuts the build at start from 0.13 s to 0.01 s.
    """
    table = np.full(0x110000, _UNSEEN, dtype=np.uint8)
    _classify(table, np.arange(0x10000, dtype=np.uint32))
    table[ord(_SEP)] = _BREAK
    return table


def _classify(table: np.ndarray, cps: np.ndarray) -> None:
    """Fill in the class of each of ``cps`` (each character is classified on its own)."""
    text = cps.astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    classes = np.full(len(cps), _OTHER, dtype=np.uint8)
    for pattern, cls in ((r"\w+", _WORD), (r"\s+", _BREAK), (rf"(?:(?=\w)[{_CJK}])+", _SINGLE)):
        for m in re.finditer(pattern, text):
            classes[m.start():m.end()] = cls
    table[cps] = classes


def _classes(cps: np.ndarray) -> np.ndarray:
    """The token class of each code point of ``cps``."""
    table = _token_classes()
    if cps.size and cps.max() > 0xFFFF:
        astral = np.unique(cps[cps > 0xFFFF])
        unseen = astral[table[astral] == _UNSEEN]
        if unseen.size:
            _classify(table, unseen)
    return table[cps]


@lru_cache(maxsize=1)
def _powers() -> tuple[np.ndarray, np.ndarray]:
    """BASE**k and BASE**-k modulo 2**64 for k < _WINDOW + 1 (uint64 arithmetic wraps)."""
    base = np.full(_WINDOW, _BASE, dtype=np.uint64)
    inv = np.full(_WINDOW, pow(_BASE, -1, _MOD), dtype=np.uint64)
    one = np.ones(1, dtype=np.uint64)
    return np.concatenate([one, np.cumprod(base)]), np.concatenate([one, np.cumprod(inv)])


def span_hashes(cps: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """64-bit hash of each ``cps[start:end]`` (sorted, non-overlapping spans).

    A polynomial hash from prefix sums: ``sum(c[j] * BASE**(j - start))``, mixed with the
    length. It depends on the span's code points only, so token strings hashed on their own
    (the vocabulary) get the same values as tokens found inside a batch.
    """
    out = np.empty(len(starts), dtype=np.uint64)
    pw, inv = _powers()
    i = 0
    while i < len(starts):
        lo = int(starts[i])
        j = int(np.searchsorted(ends, lo + _WINDOW, side="right"))
        if j == i:  # one span longer than a window: hash it by windows of its own
            out[i] = _long_span_hash(cps[lo:int(ends[i])])
            i += 1
            continue
        hi = int(ends[j - 1])
        prefix = np.zeros(hi - lo + 1, dtype=np.uint64)
        np.cumsum(cps[lo:hi].astype(np.uint64) * pw[: hi - lo], out=prefix[1:])
        s, e = starts[i:j] - lo, ends[i:j] - lo
        out[i:j] = (prefix[e] - prefix[s]) * inv[s]
        i = j
    return out ^ ((ends - starts).astype(np.uint64) * _LEN_MIX)


def _long_span_hash(cps: np.ndarray) -> np.uint64:
    pw = _powers()[0]
    total, scale = 0, 1
    for k in range(0, len(cps), _WINDOW):
        part = cps[k:k + _WINDOW].astype(np.uint64)
        total = (total + int(np.sum(part * pw[: len(part)])) * scale) % _MOD
        scale = scale * pow(_BASE, len(part), _MOD) % _MOD
    return np.uint64(total)


def hash_strings(strings: list[str]) -> np.ndarray:
    """:func:`span_hashes` of whole strings (vocabulary terms, stopwords), as they are."""
    lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    ends = np.cumsum(lengths)
    cps = np.frombuffer("".join(strings).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return span_hashes(cps, ends - lengths, ends)


class Tokens(NamedTuple):
    """The tokens of a batch of paragraphs, as ``TOKEN_PATTERN`` finds them in normalised text."""

    hashes: np.ndarray  # uint64 hash of each token (see span_hashes)
    row: np.ndarray  # paragraph of each token
    is_word: np.ndarray  # str.isalnum() of each token


def tokenize_batch(texts: list[str]) -> Tokens:
    """Tokens of all ``texts`` (lower-cased, digits as 0), found with numpy, not a regex.

    The batch is one code-point array; a token starts where the character class changes
    (word, punctuation, break) or at a stand-alone CJK character. No Python work per token.
    Each paragraph's tokens begin with the :data:`START` token.
    """
    glue = _SEP + _START_PREFIX
    joined = _START_PREFIX + glue.join(texts) if texts else ""
    if joined.count(_SEP) != max(len(texts) - 1, 0):  # a text holds the separator itself
        joined = _START_PREFIX + glue.join(t.replace(_SEP, " ") for t in texts)
    cps = np.frombuffer(joined.lower().encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    cps = cps.copy()
    cps[((cps >= 0x31) & (cps <= 0x39)) | ((cps >= 0xFF10) & (cps <= 0xFF19))] = 0x30
    cls = _classes(cps)
    edge = np.empty(len(cls) + 1, dtype=bool)  # class changes between c[i-1] and c[i]
    edge[0] = edge[-1] = True
    np.not_equal(cls[1:], cls[:-1], out=edge[1:-1])
    single = cls == _SINGLE
    edge[:-1] |= single
    edge[1:] |= single
    token = cls != _BREAK
    starts = np.flatnonzero(edge[:-1] & token)
    ends = np.flatnonzero(edge[1:] & token) + 1
    row = np.cumsum(cps == ord(_SEP), dtype=np.int64)[starts]
    is_word = cls[starts] != _OTHER
    if "_" in joined:  # \w includes "_", str.isalnum() does not
        under = np.concatenate([[0], np.cumsum(cps == 0x5F)])
        is_word &= under[ends] == under[starts]
    return Tokens(span_hashes(cps, starts, ends), row, is_word)


def _tfidf_parts(rows: np.ndarray, cols: np.ndarray, n_rows: int, idf: np.ndarray,
                 norm_power: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count (row, col) pairs, then apply sublinear tf, idf weights and L2 row normalisation.

    Returns the row, column and value (float32) of each distinct pair, row by row and columns
    ascending: the entries of a canonical CSR matrix, in its order. Rows are divided by
    ``norm ** norm_power``; below 1, long rows keep more weight per term.
    """
    n_cols = idf.shape[0]
    keys, counts = np.unique(rows.astype(np.int64) * n_cols + cols, return_counts=True)
    row_of, col = np.divmod(keys, n_cols)
    data = (1.0 + np.log(counts.astype(np.float64))) * idf[col]
    norms = np.sqrt(np.bincount(row_of, weights=data * data, minlength=n_rows))
    norms[norms == 0] = 1.0
    data /= norms[row_of] ** norm_power
    return row_of, col, data.astype(np.float32)


def _sum_rows(rows: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Sum of ``values`` per row, in order (float64 even when there are none)."""
    return np.bincount(rows, weights=values, minlength=n).astype(np.float64, copy=False)


def _csr(rows: np.ndarray, cols: np.ndarray, data: np.ndarray, shape: tuple[int, int]
         ) -> sp.csr_matrix:
    """A CSR matrix of entries already in row order (scipy is imported here, for training)."""
    import scipy.sparse as sp

    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=shape[0]))])
    return sp.csr_matrix((data, cols, indptr), shape=shape)


def _tfidf_rows(rows: np.ndarray, cols: np.ndarray, n_rows: int, idf: np.ndarray,
                norm_power: float = 1.0) -> sp.csr_matrix:
    """:func:`_tfidf_parts` as a CSR matrix."""
    row_of, col, data = _tfidf_parts(rows, cols, n_rows, idf, norm_power)
    return _csr(row_of, col, data, (n_rows, idf.shape[0]))


class WordTfidf:
    """Word 1-2-gram TF-IDF (sublinear tf, L2) with a numpy transform.

    ``fit`` delegates to scikit-learn; ``transform`` reproduces its output from the stored
    vocabulary and IDF without per-n-gram Python work.
    """

    def __init__(self, min_df: int = 2, max_features: int | None = None,
                 norm_power: float = 1.0):
        self.min_df = min_df
        self.max_features = max_features
        self.norm_power = norm_power

    def fit(self, texts: list[str]) -> WordTfidf:
        from sklearn.feature_extraction.text import TfidfVectorizer

        vec = TfidfVectorizer(
            preprocessor=normalize_text,
            token_pattern=TOKEN_PATTERN,
            ngram_range=(1, 2),
            sublinear_tf=True,
            min_df=self.min_df,
            max_features=self.max_features,
            dtype=np.float32,
        )
        vec.fit([_START_PREFIX + t for t in texts])
        terms = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
        keep = [i for i, t in enumerate(terms) if t != START]
        self.set_state([terms[i] for i in keep], vec.idf_[keep].astype(np.float64))
        return self

    def set_state(self, terms: list[str], idf: np.ndarray) -> None:
        """Build the lookup tables from a vocabulary (feature order) and its IDF."""
        terms = list(terms)
        if len(terms) != len(idf):
            raise ValueError(f"{len(terms)} word terms for {len(idf)} IDF values")
        tokens: dict[str, int] = {}
        for pair in (t.split(" ") for t in terms):
            for tok in pair:
                tokens.setdefault(tok, len(tokens))
        n_tok = len(tokens)
        uni_tok, uni_feat, bi_keys, bi_feat = [], [], [], []
        for feat, pair in enumerate(t.split(" ") for t in terms):
            if len(pair) == 1:
                uni_tok.append(tokens[pair[0]])
                uni_feat.append(feat)
            else:
                bi_keys.append(tokens[pair[0]] * n_tok + tokens[pair[1]])
                bi_feat.append(feat)
        uni = np.full(n_tok + 1, -1, dtype=np.int64)  # last slot: unknown token
        uni[np.array(uni_tok, dtype=np.int64)] = uni_feat
        self._set_tables(idf, hash_strings(list(tokens)), uni,
                         np.array(bi_keys, dtype=np.int64), np.array(bi_feat, dtype=np.int64),
                         _join_terms(terms))

    def _set_tables(self, idf, token_hashes, uni, bigram_keys, bigram_features, terms_blob):
        self.idf_ = np.asarray(idf, dtype=np.float64)
        self._n_tok = len(token_hashes)
        self._token_hashes = token_hashes  # hash of each vocabulary token, by token id
        self._tokens = HashIndex(token_hashes)  # token hash -> token id
        self._uni = np.asarray(uni, dtype=np.int64)  # token id -> unigram feature (-1: none)
        self._bigrams = HashIndex(bigram_keys, bigram_features)  # token-id pair -> feature
        self._terms_blob = terms_blob  # the terms, "\n"-joined UTF-8; decoded only for names

    def get_state(self) -> dict[str, np.ndarray]:
        """The arrays that define the transform, for saving; :meth:`from_state` reads them.

        They are what :meth:`set_state` builds, so loading needs no per-term Python work:
        a model loads in a fraction of the time and memory of re-reading its terms.
        """
        bigram_keys, bigram_features = self._bigrams.items()
        return {"idf": self.idf_, "token_hashes": self._token_hashes, "uni": self._uni,
                "bigram_keys": bigram_keys.astype(np.int64), "bigram_features": bigram_features,
                "terms": self._terms_blob}

    def from_state(self, state: dict[str, np.ndarray]) -> WordTfidf:
        """Restore the tables written by :meth:`get_state`."""
        token_hashes = np.asarray(state["token_hashes"], dtype=np.uint64)
        uni = np.asarray(state["uni"], dtype=np.int64)
        idf = np.asarray(state["idf"], dtype=np.float64)
        if uni.shape != (len(token_hashes) + 1,) or len(state["bigram_keys"]) != len(
                state["bigram_features"]) or uni.max(initial=-1) >= len(idf):
            raise ValueError("word vocabulary tables do not fit together")
        blob = np.asarray(state["terms"], dtype=np.uint8)
        n_terms = int(np.count_nonzero(blob == 10)) + 1 if blob.size else 0
        if n_terms != len(idf):
            raise ValueError(f"{n_terms} word terms for {len(idf)} IDF values")
        self._set_tables(idf, token_hashes, uni, state["bigram_keys"],
                         state["bigram_features"], blob)
        return self

    @property
    def terms_(self) -> list[str]:
        """The vocabulary in feature order (decoded on demand: only names need it)."""
        blob = self._terms_blob.tobytes().decode("utf-8")
        return blob.split("\n") if blob else []

    def token_ids(self, hashes: np.ndarray) -> np.ndarray:
        """Vocabulary token id of each token hash; ``n_tok`` for tokens not in the vocabulary."""
        return self._tokens.get(hashes, self._n_tok)

    @property
    def n_features(self) -> int:
        return len(self.idf_)

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        return self.transform_tokens(tokenize_batch(texts), len(texts))

    def transform_tokens(self, tokens: Tokens, n: int) -> sp.csr_matrix:
        """Transform from ``tokenize_batch`` output (shared with other text features)."""
        return _tfidf_rows(*self._pairs(tokens), n, self.idf_, self.norm_power)

    def dot_tokens(self, tokens: Tokens, n: int, coef: np.ndarray) -> np.ndarray:
        """``transform_tokens(tokens, n) @ coef`` without building the matrix (the hot path).

        The products are summed row by row in column order, as scipy's CSR product does, so
        the result is the same to the last bit.
        """
        row_of, col, data = _tfidf_parts(*self._pairs(tokens), n, self.idf_, self.norm_power)
        return _sum_rows(row_of, data * coef[col], n)

    def _pairs(self, tokens: Tokens) -> tuple[np.ndarray, np.ndarray]:
        """(row, feature) of every unigram and bigram of the vocabulary in ``tokens``."""
        n_tok, row = self._n_tok, tokens.row
        tid = self.token_ids(tokens.hashes)
        uni = self._uni[tid]
        keep = uni >= 0
        rows, cols = [row[keep]], [uni[keep]]
        if tid.size > 1:
            a, b = tid[:-1], tid[1:]
            ok = (row[:-1] == row[1:]) & (a < n_tok) & (b < n_tok)
            feat = self._bigrams.get(a[ok] * n_tok + b[ok])
            hit = feat >= 0
            rows.append(row[:-1][ok][hit])
            cols.append(feat[hit])
        return np.concatenate(rows), np.concatenate(cols)


def _join_terms(terms: list[str]) -> np.ndarray:
    """Terms as one UTF-8 array; a term never holds a newline (whitespace splits tokens)."""
    return np.frombuffer("\n".join(terms).encode("utf-8"), dtype=np.uint8)


_MULT = np.array([0x85EBCA6B, 0xC2B2AE35, 0x27D4EB2F, 0x165667B1, 0x9E3779B1], dtype=np.uint32)


class CharHashTfidf:
    """Hashed character 3- and 4-grams of each paragraph's first ``max_chars`` characters.

    Long paragraphs are capped because their words already decide them; the cap keeps the cost
    per paragraph bounded. IDF is learnt per hash bucket at fit time.
    """

    def __init__(self, n_features: int = 2**18, ngrams: tuple[int, ...] = (3, 4),
                 max_chars: int = 160):
        self.n_features = n_features
        self.ngrams = ngrams
        self.max_chars = max_chars

    def _pairs(self, texts: list[str], by_row: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(paragraph, bucket) of every n-gram occurrence, sorted by paragraph if ``by_row``.

        The batch is one code-point array with a NUL between paragraphs; windows are hashed
        with whole-array slices and those that touch a NUL are dropped.
        """
        cap = self.max_chars
        pieces = [t[:cap].replace("\x00", " ") for t in texts]
        joined = " " + " \x00 ".join(pieces).lower() + " "
        cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).copy()
        cps[(cps >= 0x31) & (cps <= 0x39)] = 0x30  # digits -> 0, as normalize_text does
        nul = cps == 0
        row_at = np.cumsum(nul)
        mask = np.uint32(self.n_features - 1)
        rows, cols = [], []
        for n in self.ngrams:
            width = len(cps) - n + 1
            if width <= 0:
                continue
            h = np.full(width, np.uint32((n * 0x9E3779B1) & 0xFFFFFFFF), dtype=np.uint32)
            bad = nul[:width].copy()
            for k in range(n):
                np.bitwise_xor(h, cps[k : k + width], out=h)
                np.multiply(h, _MULT[k], out=h)
                if k:
                    np.bitwise_or(bad, nul[k : k + width], out=bad)
            np.bitwise_xor(h, h >> np.uint32(15), out=h)
            ok = ~bad
            rows.append(row_at[:width][ok])
            cols.append((h[ok] & mask).astype(np.int64))
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        row, col = np.concatenate(rows), np.concatenate(cols)
        if not by_row:
            return row, col
        order = np.argsort(row, kind="stable")  # merges the sorted runs, one per n
        return row[order], col[order]

    def fit(self, texts: list[str]) -> CharHashTfidf:
        import scipy.sparse as sp

        rows, cols = self._pairs(texts)
        present = sp.csr_matrix((np.ones(len(rows)), (rows, cols)),
                                shape=(len(texts), self.n_features))
        present.sum_duplicates()
        df = np.bincount(present.indices, minlength=self.n_features)
        self.idf_ = np.log((1 + len(texts)) / (1 + df)) + 1.0
        return self

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        """Raw tf x idf, scaled to unit length as if every n-gram occurrence were distinct.

        Skipping the duplicate merge (a sort of every row) halves the cost; the scale is the
        same at fit and predict time, which is all the classifier needs.
        """
        rows, cols = self._pairs(texts)
        n = len(texts)
        return _csr(rows, cols, self._unit_weights(rows, cols, n), (n, self.n_features))

    def _unit_weights(self, rows: np.ndarray, cols: np.ndarray, n: int) -> np.ndarray:
        """The idf of each occurrence, each of the ``n`` rows scaled to unit length (float32)."""
        idf = self.idf_[cols]
        norms = np.sqrt(np.bincount(rows, weights=idf * idf, minlength=n))
        norms[norms == 0] = 1.0
        return (idf / norms[rows]).astype(np.float32)

    def dot(self, texts: list[str], coef: np.ndarray, weight: float = 1.0) -> np.ndarray:
        """``(transform(texts) * weight) @ coef`` straight from the n-gram occurrences.

        No matrix is built or sorted; the values (float32, as ``transform`` stores them) are
        summed in the same order, so the result is the same to the last bit.
        """
        rows, cols = self._pairs(texts, by_row=False)
        n = len(texts)
        data = self._unit_weights(rows, cols, n) * np.float32(weight)
        return _sum_rows(rows, data * coef[cols], n)
