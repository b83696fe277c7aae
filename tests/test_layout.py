"""Layout features: counts of a paragraph's own characters, and document context."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from detector.layout import LAYOUT_NAMES, SELF_NAMES, SHORT_WORDS, layout_features, self_features


def col(x: np.ndarray, name: str) -> np.ndarray:
    return x[:, SELF_NAMES.index(name)] if x.shape[1] == len(SELF_NAMES) else \
        x[:, LAYOUT_NAMES.index(name)]


def test_dates_western_and_cjk():
    x = self_features(["2024年5月3日に発表", "Posted 09-02 at 14:30", "no dates here", "年月日", "１２月"])
    assert np.expm1(col(x, "dates")).round().tolist() == [3, 2, 0, 0, 1]


def test_character_counts_stop_at_paragraph_bounds():
    x = self_features(["ABC", "def", "", "?!?!", "© 2025 (3)"])
    assert col(x, "upper_ratio").tolist() == [1.0, 0.0, 0.0, 0.0, 0.0]
    words = np.rint(np.expm1(col(x, "log_words")))
    short = np.clip(1 - words / SHORT_WORDS, 0, 1) ** 2  # these marks weigh less in long text
    assert (col(x, "question_marks_short") / short).round(9).tolist() == [0, 0, 0, 3, 0]
    assert (col(x, "copyright_short") / short).round(9).tolist() == [0, 0, 0, 0, 1]
    assert (col(x, "paren_count_short") / short).round(9).tolist() == [0, 0, 0, 0, 1]


def test_short_line_marks_fade_in_long_prose():
    middle = "She said the results were... well, surprising, and the team agreed with her."
    long = middle + " The team had expected a modest gain and measured far more than that." * 8
    cited = "The survey is at https://data.example-lab.org/2025 for anyone to check. " * 6
    x = self_features(["Read more here...", middle, long, "www.example.com", cited])
    ellipsis, urls = col(x, "ellipsis_short"), col(x, "urls_short")
    assert ellipsis[0] > ellipsis[1] > 0 == ellipsis[2]
    assert urls[3] > 0.5 > urls[4] == 0


def test_short_words_0_keeps_the_slow_fade_of_older_models():
    long = "In the interview she said the results were... well, surprising. " + \
        "The team had expected a modest gain and measured far more than that. " * 8
    x = self_features(["Read more here...", long], short_words=0)
    words = np.rint(np.expm1(col(x, "log_words")))
    np.testing.assert_allclose(col(x, "ellipsis_short"), 1 / (1 + words / 15))


def test_repeats_count_within_a_document_only():
    texts = ["Reply", "Great post", "Reply", "Reply", "Reply"]
    x = layout_features(texts, [3, 2])
    assert np.expm1(col(x, "log_repeats")).round().tolist() == [1, 0, 1, 1, 1]


def test_wrap_joins_mark_the_lines_of_hard_wrapped_prose():
    texts = [
        "Home | News | Sport",                                                    # menu
        "Nitrate levels at the two northern boreholes rose for the second",       # wrapped
        "year running, reaching a mean of 38 milligrams per litre over the",      # prose:
        "winter months.",                                                         # 1, 2, 1
        "Contact",                                                                # short open
        "us at the town hall",                                                    # not a join
        "The board meets again in the spring, after the laboratory results",      # last line
        "are checked",                                                            # next doc
    ]
    x = layout_features(texts, [7, 1])
    assert col(x, "wrap_joins").tolist() == [0, 1, 2, 1, 0, 0, 0, 0]


_PARA = st.text(alphabet=st.sampled_from(list("aB1 .?-:/©|@#(3)年日٣😀\u3000")), max_size=30)


@settings(deadline=None, max_examples=60)
@given(st.lists(st.lists(_PARA, min_size=1, max_size=5), min_size=1, max_size=5))
def test_features_do_not_depend_on_the_batch(docs):
    texts = [t for d in docs for t in d]
    batch = layout_features(texts, [len(d) for d in docs])
    alone = np.concatenate([layout_features(d, [len(d)]) for d in docs])
    # equal up to rounding: window sums come from the batch's running totals
    np.testing.assert_allclose(batch, alone, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(self_features(texts), batch[:, : len(SELF_NAMES)])
