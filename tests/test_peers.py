"""Baseline peers: C4 line rules and jusText."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from detector.peers import PEERS, _align, c4_line_rules, justext_paragraphs

# Five sentences of content, so C4's page rule (at least 5 sentences) lets the page through.
PROSE = [
    "The company reported strong growth.",
    "Revenue rose by twelve percent in the third quarter. Margins improved as well.",
    "Analysts had expected a weaker result!",
    'The chief executive said: "We are confident about next year."',
]
LONG_PROSE = (
    "The company reported strong growth in the third quarter, driven by higher demand for its "
    "products in Europe and Asia, and its managers expect that the trend will continue into the "
    "next year as the new factories that were built in the spring start to produce at full speed."
)


def c4(lines: list[str]) -> dict[str, bool]:
    out = c4_line_rules(lines)
    assert isinstance(out, np.ndarray) and out.dtype == bool and out.shape == (len(lines),)
    return dict(zip(lines, out.tolist()))


def test_c4_keeps_prose_and_drops_short_and_javascript_lines():
    verdict = c4(["Read more", *PROSE, "Please enable JavaScript to view the comments below.",
                  "Home | News | Markets"])
    assert verdict["The company reported strong growth."] is False
    assert verdict["Read more"] is True
    assert verdict["Please enable JavaScript to view the comments below."] is True
    assert verdict["Home | News | Markets"] is True
    assert not any(verdict[p] for p in PROSE)


@pytest.mark.parametrize("line", [
    "Too short.",                                          # fewer than 3 words
    "Read the full story here",                            # no terminal punctuation
    "And the story goes on and on...",                     # ellipsis
    "This website uses cookies to improve your experience.",
    "By using this site you agree to our Terms of Use.",
    "Read our Privacy Policy for details.",
    "Word " + "x" * 1001 + " is far too long.",
])
def test_c4_line_rules_drop(line):
    assert c4([*PROSE, line])[line] is True


@pytest.mark.parametrize("line", [
    'He said the plan "would work."',                      # quote closing a sentence
    "Is this the end of cheap money?",
    "Prices rose again [1].",                              # citation marks are ignored
])
def test_c4_line_rules_keep(line):
    assert c4([*PROSE, line])[line] is False


@pytest.mark.parametrize("line", [
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit.",
    "The function returns {value} when it is done.",
])
def test_c4_page_rules_drop_every_line(line):
    assert c4_line_rules([*PROSE, line]).all()


def test_c4_needs_five_sentences():
    assert c4_line_rules(PROSE[:2]).all()  # 3 sentences: C4 drops the page
    assert not c4_line_rules(PROSE[:2], min_sentences=3).any()
    assert c4_line_rules([]).shape == (0,)


def test_c4_wrapped_paragraph_is_one_line():
    wrapped = "The company reported strong\ngrowth in the quarter."
    assert c4([*PROSE, wrapped])[wrapped] is False


def test_peers_registry():
    assert set(PEERS) == {"c4", "justext"}
    assert PEERS["c4"] is c4_line_rules and PEERS["justext"] is justext_paragraphs


def test_align_is_robust_to_missing_and_changed_paragraphs():
    assert _align(["a", "b"], ["a", "b"]) == [0, 1]
    assert _align(["a", "", "b", "c"], ["a", "b", "c"]) == [0, None, 1, 2]
    assert _align(["a", "x", "c"], ["a", "y", "c"]) == [0, 1, 2]
    assert _align(["a", "b", "c"], ["a", "c"]) == [0, None, 1]


def test_justext_peer():
    pytest.importorskip("justext")
    paragraphs = ["Home | About | Contact", LONG_PROSE, "", "Copyright 2024 Example Media. All rights reserved.",
                  "A & B <b>not a tag</b> " + LONG_PROSE]
    out = justext_paragraphs(paragraphs)
    assert isinstance(out, np.ndarray) and out.dtype == bool and out.shape == (len(paragraphs),)
    assert out[0]  # navigation
    assert not out[1]  # prose
    assert out[2]  # no text: no jusText paragraph
    assert not out[4]  # escaped markup stays text
    assert justext_paragraphs([]).shape == (0,)


def test_justext_peer_unknown_language():
    pytest.importorskip("justext")
    with pytest.raises(ValueError):
        justext_paragraphs(["Some text."], language="Klingon-not-a-language")


def test_justext_missing_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "justext", None)  # makes `import justext` fail
    with pytest.raises(ImportError, match=r"pip install detector\[peers\]"):
        justext_paragraphs(["Some text."])
