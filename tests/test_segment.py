"""Segmentation: paragraphs and their exact offsets, and rebuilding text from them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detector.clean import paragraph_texts, rebuild
from detector.segment import BLANK_CHARS, normalize_paragraph, segment, segment_arrays, segment_batch

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


def read_seed(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")  # seeds have plain \n line ends


def paragraphs(text: str) -> list[str]:
    return [text[s.start : s.end] for s in segment(text)]


def is_blank(s: str) -> bool:
    return not s.strip(BLANK_CHARS)


def non_blank(s: str) -> str:
    return "".join(c for c in s if c not in BLANK_CHARS)


# --------------------------------------------------------------------------- seed documents


def _seed_labels() -> dict[str, list[str]]:
    out = {}
    with open(ROOT / "labels" / "seeds.jsonl", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            out[rec["id"].removeprefix("seed-")[:3]] = [p["text"] for p in rec["paragraphs"]]
    return out


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_seed_paragraphs_match_labelled_paragraphs(prefix):
    """The labelled paragraphs of each seed are exactly what segment() finds."""
    assert paragraphs(read_seed(prefix)) == _seed_labels()[prefix]


@pytest.mark.parametrize("prefix", ["000", "003"])
def test_one_paragraph_per_line(prefix):
    text = read_seed(prefix)
    lines = [ln for ln in text.split("\n") if ln.strip()]
    assert "\n\n" not in text.strip("\n")
    assert paragraphs(text) == lines


@pytest.mark.parametrize("prefix", ["001", "004"])
def test_blank_line_blocks(prefix):
    text = read_seed(prefix)
    spans = segment(text)
    for a, b in zip(spans, spans[1:]):
        assert is_blank(text[a.end : b.start])
    if prefix == "004":
        # every paragraph of 004 is one blank-line separated block
        assert paragraphs(text) == [b.strip() for b in text.split("\n\n") if b.strip()]
        assert len(spans) == 15


def test_seed_001_bullet_and_widget_lines_are_separate_paragraphs():
    text = read_seed("001")
    spans = segment(text)
    paras = [text[s.start : s.end] for s in spans]
    assert paras[:3] == ["• 2", "• 1", "• Favorite"]
    tail = paras[paras.index("Comment1") :]
    assert tail == ["Comment1", "• Tanat", "·09-02", "Share your opinion about this news…", "Reply",
                    "Report", "Most Discussed", "7x24"]
    i_tanat = paras.index("• Tanat")
    s_tanat, s_date = spans[i_tanat], spans[i_tanat + 1]
    assert text[s_tanat.start] == "•"
    assert text[s_date.start] == "·"
    # the indentation belongs to the line, not to the paragraph
    assert text[s_tanat.line_start : s_tanat.start] == "  "
    assert text[s_date.line_start : s_date.start] == "    "
    assert text[s_tanat.end : s_tanat.line_end] == "\n"
    # the NBSP-only lines after "Report" are separators, not paragraphs
    assert "\n\xa0\n\xa0\n" in text
    assert all(not is_blank(p) and p.strip() == p for p in paras)


# --------------------------------------------------------------------------- separators & line ends


def test_whitespace_only_lines_are_separators():
    text = "One\n \t \nTwo\n\xa0\nThree\n\u3000\u2009\n\ufeff\u200b\nFour"
    assert paragraphs(text) == ["One", "Two", "Three", "Four"]


@pytest.mark.parametrize("nl", ["\n", "\r\n", "\r"])
def test_line_endings(nl):
    text = nl.join(["First line.", "", "Second line.", "Third line.", "", ""])
    spans = segment(text)
    assert [text[s.start : s.end] for s in spans] == ["First line.", "Second line.", "Third line."]
    for s in spans:
        assert text[s.end : s.line_end] == nl
        assert "\r" not in text[s.start : s.end] and "\n" not in text[s.start : s.end]


def test_mixed_line_endings():
    text = "a\r\nb\rc\nd"
    spans = segment(text)
    assert [text[s.start : s.end] for s in spans] == ["a", "b", "c", "d"]
    assert [(s.line_start, s.line_end) for s in spans] == [(0, 3), (3, 5), (5, 7), (7, 8)]


def test_leading_bom_is_not_part_of_first_paragraph():
    text = "\ufeffTitle of the page\nBody text."
    spans = segment(text)
    assert spans[0].start == 1
    assert text[spans[0].start : spans[0].end] == "Title of the page"
    assert paragraphs("\ufeff\n\nHello") == ["Hello"]


def test_empty_and_blank_texts():
    for text in ["", "\n", "\r\n\r\n", " \t\xa0\n\ufeff", "\u2028\u2029"]:
        assert segment(text) == []


def test_unicode_line_separator_is_not_a_line_break():
    # only \r and \n end lines; U+2028 inside a line is ordinary (blank) text
    assert paragraphs("a\u2028b\nc") == ["a\u2028b", "c"]


def test_normalize_paragraph():
    assert normalize_paragraph("  Wrapped line\nand more\r\n text\xa0 ") == "Wrapped line and more text"
    assert normalize_paragraph("\ufeffx") == "x"


# --------------------------------------------------------------------------- hard-wrapped prose

WRAPPED = (
    "The quick brown fox jumps over the lazy dog while the committee decided\n"
    "that the annual budget would be reduced by a considerable margin because\n"
    "revenues had fallen sharply during the second half of the financial year\n"
    "and the board wanted to avoid any further losses in the coming quarters."
)

HEADLINES = (
    "Stocks rally as inflation cools faster than economists had expected\n"
    "Central bank signals pause in rate hikes after a volatile summer season\n"
    "Oil prices slide on weak demand from China and rising US inventories\n"
    "Tech giants report record profits despite regulatory pressure in Europe"
)


def test_hard_wrapped_prose_is_one_paragraph():
    spans = segment(WRAPPED)
    assert len(spans) == 1
    assert (spans[0].start, spans[0].end) == (0, len(WRAPPED))
    assert normalize_paragraph(WRAPPED[spans[0].start : spans[0].end]) == " ".join(WRAPPED.split("\n"))


@pytest.mark.parametrize("nl", ["\r\n", "\r"])
def test_hard_wrapped_prose_with_crlf_or_cr_is_one_paragraph(nl):
    text = WRAPPED.replace("\n", nl) + nl
    spans = segment(text)
    assert len(spans) == 1
    assert text[spans[0].start : spans[0].end] == WRAPPED.replace("\n", nl)
    assert spans[0].line_end == len(text)


def test_indented_hard_wrapped_prose_is_one_paragraph():
    text = "".join("    " + line + "\n" for line in WRAPPED.split("\n"))
    spans = segment(text)
    assert len(spans) == 1
    assert (spans[0].line_start, spans[0].start) == (0, 4)
    assert normalize_paragraph(text[spans[0].start : spans[0].end]) == " ".join(WRAPPED.split("\n"))


def test_headline_list_is_not_merged():
    assert paragraphs(HEADLINES) == HEADLINES.split("\n")


def test_two_wrapped_paragraphs_separated_by_blank_line():
    text = WRAPPED + "\n\n" + WRAPPED + "\n"
    assert paragraphs(text) == [WRAPPED, WRAPPED]


def test_wrapped_paragraph_then_new_sentence_line_is_split():
    # a wrapped paragraph whose last line is short, followed by a new paragraph (no blank line)
    second = "A new paragraph starts here and it is also long enough to be wrapped\nat the same width."
    text = WRAPPED + "\n" + second
    got = paragraphs(text)
    assert got[0] == WRAPPED
    assert got[1:] == [second]


def test_bullet_list_inside_wrapped_width_is_not_merged():
    text = (
        "- the first item of a list is a rather long line of text about markets\n"
        "- the second item of the list is another long line of text about prices\n"
        "- the third item of the list is yet another line of text about profits"
    )
    assert paragraphs(text) == text.split("\n")


# --------------------------------------------------------------------------- properties

_ALPHABET = st.one_of(
    st.sampled_from(list("ab Z.\t\r\n\n\n\xa0\ufeff\ufeff\u2028\u3000-•·。字é")),
    st.characters(codec="utf-8"),
)
TEXTS = st.text(alphabet=_ALPHABET, max_size=300)
WORDY = st.lists(
    st.one_of(
        st.sampled_from(["\n", "\n\n", "\r\n", "\r", " ", "  • ", "\xa0\n", "\ufeff", "\t", "\u2028"]),
        st.text(alphabet=st.sampled_from(list("abcdefghij ABC.,")), min_size=1, max_size=80),
        st.just(WRAPPED),
        st.just(HEADLINES),
    ),
    max_size=25,
).map("".join)
ANY_TEXT = st.one_of(TEXTS, WORDY)
PROPS = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])


def check_spans(text, spans):
    prev_end = 0
    prev_line_end = 0
    for s in spans:
        assert 0 <= s.line_start <= s.start < s.end <= s.line_end <= len(text)
        assert s.line_start >= prev_line_end
        assert s.start >= prev_end
        para = text[s.start : s.end]
        assert not is_blank(para)
        assert para[0] not in BLANK_CHARS and para[-1] not in BLANK_CHARS
        assert is_blank(text[prev_end : s.start])
        # line bounds: start of a line / end of a line (terminator included)
        assert s.line_start == 0 or text[s.line_start - 1] in "\r\n"
        assert is_blank(text[s.line_start : s.start]) and "\n" not in text[s.line_start : s.start]
        assert "\r" not in text[s.line_start : s.start]
        tail = text[s.end : s.line_end]
        assert is_blank(tail)
        assert s.line_end == len(text) or tail.endswith(("\n", "\r"))
        prev_end, prev_line_end = s.end, s.line_end
    assert is_blank(text[prev_end:])


@PROPS
@given(ANY_TEXT)
def test_spans_are_ordered_non_blank_and_cover_all_content(text):
    spans = segment(text)
    check_spans(text, spans)
    # nothing non-blank is lost between paragraphs
    assert "".join(non_blank(text[s.start : s.end]) for s in spans) == non_blank(text)


@PROPS
@given(ANY_TEXT)
def test_rebuild_keeping_everything_is_identity(text):
    spans = segment(text)
    assert rebuild(text, spans, [True] * len(spans)) == text


def _line_start_before(out: str, pos: int) -> bool:
    """True when only blank indentation (no line end) separates ``pos`` from a line start."""
    j = pos
    while j > 0 and out[j - 1] in BLANK_CHARS and out[j - 1] not in "\r\n":
        j -= 1
    return j == 0 or out[j - 1] in "\r\n"


@PROPS
@given(ANY_TEXT, st.data())
def test_rebuild_with_random_keep_mask(text, data):
    spans = segment(text)
    keep = data.draw(st.lists(st.booleans(), min_size=len(spans), max_size=len(spans)))
    out = rebuild(text, spans, keep)
    kept = [text[s.start : s.end] for s, k in zip(spans, keep) if k]
    # the non-blank content of the output is exactly that of the kept paragraphs, in order:
    # so no character of a removed paragraph survives
    assert non_blank(out) == "".join(non_blank(p) for p in kept)
    # each kept paragraph appears verbatim, in order, at the start of a line
    pos = 0
    for para in kept:
        found = out.find(para, pos)
        assert found >= 0
        assert _line_start_before(out, found)
        pos = found + len(para)
    # output is the input with pieces deleted: a subsequence of it
    it = iter(text)
    assert all(c in it for c in out)
    if spans and not any(keep):
        assert out == ""
    elif text.startswith("\ufeff") and spans:
        assert out.startswith("\ufeff")  # a leading BOM survives whatever is removed
    elif spans and not keep[-1] and not text[: spans[-1].line_end].endswith(("\n", "\r")):
        # the last line had no line end and went: no dangling line end is left
        assert not out.endswith(("\n", "\r"))


# --------------------------------------------------------------------------- rebuild examples


def _keep_all_but(text, drop):
    spans = segment(text)
    return rebuild(text, spans, [text[s.start : s.end] not in drop for s in spans])


def test_rebuild_removes_whole_lines_and_blank_run_before():
    text = "A\n\nB\n\nC\n"
    assert _keep_all_but(text, {"B"}) == "A\n\nC\n"
    assert _keep_all_but(text, {"A"}) == "B\n\nC\n"
    assert _keep_all_but(text, {"C"}) == "A\n\nB\n"
    assert _keep_all_but(text, {"A", "B", "C"}) == ""


def test_rebuild_removing_last_line_without_trailing_newline():
    assert _keep_all_but("A\nB", {"B"}) == "A"
    assert _keep_all_but("A\r\n\r\nB", {"B"}) == "A"
    assert _keep_all_but("A\rB", {"B"}) == "A"
    # with a trailing newline, the kept text keeps its own
    assert _keep_all_but("A\nB\n", {"B"}) == "A\n"


def test_rebuild_removes_indented_widget_lines():
    text = "Intro text.\n  • Tanat\n    ·09-02\n    Reply\nOutro text.\n"
    assert _keep_all_but(text, {"• Tanat", "·09-02", "Reply"}) == "Intro text.\nOutro text.\n"


def test_rebuild_keeps_leading_and_trailing_blanks():
    text = "\ufeff\n  Ad\nBody.\n\n\n"
    assert _keep_all_but(text, {"Ad"}) == "\ufeff\nBody.\n\n\n"


def test_rebuild_keeps_bom_when_first_line_is_removed():
    assert _keep_all_but("\ufeffAd\nBody.\n", {"Ad"}) == "\ufeffBody.\n"
    assert _keep_all_but("\ufeff  Ad\r\n\r\nBody.", {"Ad"}) == "\ufeffBody."
    assert _keep_all_but("\ufeffBody.\nAd", {"Ad"}) == "\ufeffBody."
    assert _keep_all_but("\ufeffAd", {"Ad"}) == ""


# --------------------------------------------------------------------------- the array form


@PROPS
@given(ANY_TEXT, st.data())
def test_array_form_gives_the_same_paragraphs_texts_and_rebuild(text, data):
    arrays = segment_arrays(text)
    spans = segment(text)
    assert arrays.to_list() == spans and len(arrays) == len(spans)
    # the single-spaced shortcut never changes what the model sees
    assert paragraph_texts(text, arrays) == [normalize_paragraph(text[s.start:s.end]) for s in spans]
    keep = data.draw(st.lists(st.booleans(), min_size=len(spans), max_size=len(spans)))
    assert rebuild(text, arrays, keep) == rebuild(text, spans, keep)


def test_single_spaced_flag():
    assert segment_arrays("one line\ntwo words here\n").single_spaced
    assert not segment_arrays("double  space\n").single_spaced
    assert not segment_arrays("tab\there\n").single_spaced
    assert not segment_arrays("crlf\r\nline\r\n").single_spaced
    assert not segment_arrays("nbsp\xa0here").single_spaced
    wrapped = segment_arrays(WRAPPED)
    assert wrapped.single_spaced and len(wrapped) == 1 and not wrapped.one_line
    assert segment_arrays("one line\ntwo words here\n").one_line
    assert paragraph_texts(WRAPPED, wrapped) == [" ".join(WRAPPED.split())]


@PROPS
@given(st.lists(ANY_TEXT, max_size=6))
def test_batch_segments_each_text_as_on_its_own(texts):
    batch = segment_batch(texts)
    assert len(batch) == len(texts)
    for text, got in zip(texts, batch):
        alone = segment_arrays(text)
        assert got.to_list() == alone.to_list() == segment(text)
        assert got.single_spaced == alone.single_spaced
        assert got.one_line == alone.one_line
        if got.one_line:  # the flag is a promise: no paragraph runs over a line end
            assert all("\n" not in text[s.start:s.end] and "\r" not in text[s.start:s.end]
                       for s in got.to_list())


def test_batch_edges():
    texts = ["a\r", "\nb", "", "c\n", "d", "  \n\n", "e\r\n"]
    assert [s.to_list() for s in segment_batch(texts)] == [segment(t) for t in texts]
    assert segment_batch([]) == []
