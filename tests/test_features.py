"""Stage-2 context inputs: neighbour margins and window means, per document, batch-independent."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from detector.features import CONTEXT_SCORE_NAMES, Standardizer, context_scores, rows_dot
from detector.layout import LAYOUT_NAMES

_DOCS = st.lists(st.lists(st.floats(-8, 8), max_size=9), min_size=1, max_size=5)


def _inputs(docs: list[list[float]]) -> tuple[np.ndarray, list[int], np.ndarray]:
    margin = np.array([m for d in docs for m in d], dtype=np.float64)
    layout = np.linspace(-1, 1, len(margin) * len(LAYOUT_NAMES)).reshape(len(margin), len(LAYOUT_NAMES))
    return margin, [len(d) for d in docs], layout


@settings(max_examples=300, deadline=None)
@given(_DOCS)
def test_window_means_stay_inside_each_document(docs):
    """Documents shorter than the window (down to empty ones) included."""
    margin, lengths, layout = _inputs(docs)
    z = context_scores(margin, lengths, layout)
    assert z.shape == (len(margin), len(CONTEXT_SCORE_NAMES))
    row = 0
    for doc in docs:
        for pos in range(len(doc)):
            for w, name in ((2, "s1_win2_mean"), (5, "s1_win5_mean")):
                window = doc[max(0, pos - w): pos + w + 1]
                got = z[row, CONTEXT_SCORE_NAMES.index(name)]
                assert abs(got - sum(window) / len(window)) < 1e-12
            row += 1


@settings(max_examples=200, deadline=None)
@given(_DOCS, _DOCS)
def test_context_of_a_document_does_not_depend_on_the_batch(before, docs):
    """Bit for bit: a running sum over the batch would round differently after other documents."""
    margin, lengths, layout = _inputs(docs)
    alone = context_scores(margin, lengths, layout)
    m0, l0, lay0 = _inputs(before)
    batched = context_scores(np.concatenate([m0, margin]), l0 + lengths,
                             np.vstack([lay0, layout]))
    np.testing.assert_array_equal(batched[len(m0):], alone)


def test_rows_dot_is_the_matrix_product_row_by_row():
    x = np.arange(12, dtype=np.float64).reshape(4, 3) / 7
    w = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(rows_dot(x, w), x @ w, rtol=1e-15)
    np.testing.assert_array_equal(rows_dot(x[2:3], w), rows_dot(x, w)[2:3])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.floats(-1e6, 1e6), min_size=3, max_size=3), min_size=1, max_size=20))
def test_standardizer_clips_and_leaves_its_input_alone(rows):
    x = np.array(rows, dtype=np.float64)
    scaler = Standardizer().fit(x)
    before = x.copy()
    z = scaler.transform(x)
    assert np.array_equal(x, before)  # the input is not scaled in place
    assert np.abs(z).max() <= 4.0
    expected = np.clip((x - scaler.mean_) / scaler.scale_, -4.0, 4.0)
    assert np.array_equal(z, expected)
    assert np.all(scaler.scale_ > 0)  # constant columns keep a unit scale
