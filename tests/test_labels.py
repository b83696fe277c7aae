"""Labelled JSONL: reading and validation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from detector.labels import (
    BOILERPLATE_KINDS,
    CONTENT_KINDS,
    LABEL_CODES,
    LabelError,
    check_labels,
    read_labelled,
)

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "labels"

LONG_A = "This paragraph is long enough to be checked for copies across documents."
LONG_B = "Another long paragraph of genuine article prose about the quarterly results."


def doc(id_, paras, **extra):
    return {"id": id_, "lang": "en", "site": f"{id_}.example", **extra,
            "paragraphs": [{"text": t, "label": lab, **({"kind": k} if k else {})} for t, lab, k in paras]}


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records),
                    encoding="utf-8")
    return path


def good_docs():
    return [
        doc("d1", [("A title", "content", "title"), (LONG_A, "content", "prose"), ("Ad", "boilerplate", "ad_marker")]),
        doc("d2", [(LONG_B, "content", None), ("Reply", "boilerplate", "comment_widget"),
                   ("a user comment", "ambiguous", "user_comment")]),
    ]


# --------------------------------------------------------------------------- read_labelled


def test_read_labelled_repo_labels():
    files = sorted(LABELS.glob("*.jsonl"))
    assert len(files) >= 2
    n_lines = sum(1 for f in files for line in f.read_text(encoding="utf-8").splitlines() if line.strip())
    docs = read_labelled([LABELS])
    assert len(docs) == n_lines
    codes = set(LABEL_CODES.values())
    for d in docs:
        assert d.id and isinstance(d.id, str)
        assert d.texts and len(d.texts) == len(d.labels) == len(d.kinds)
        assert d.labels.dtype == np.int64 and set(d.labels.tolist()) <= codes
        assert all(isinstance(t, str) for t in d.texts)
        assert d.group.endswith(d.site if d.site else d.id)
    all_labels = np.concatenate([d.labels for d in docs])
    assert (all_labels == 1).sum() > 100 and (all_labels == 0).sum() > 100
    # the seeds file is part of it, with its site as group
    seeds = [d for d in docs if d.id.startswith("seed-")]
    assert len(seeds) == 5
    assert {d.group for d in seeds} == {f"seeds:seed-00{i}" for i in range(5)}


def test_labels_readme_counts_match_the_files():
    """The counts and file table in labels/README.md describe the files as they are."""
    import re
    from collections import Counter

    readme = (LABELS / "README.md").read_text(encoding="utf-8")
    docs = read_labelled([LABELS])
    lab = Counter(int(v) for d in docs for v in d.labels)
    n = sum(lab.values())
    assert (f"{len(docs)} documents, {n} paragraphs: content {lab[0]}, boilerplate {lab[1]}, "
            f"ambiguous {lab[-1]}.") in readme
    kinds = Counter(k for d in docs for v, k in zip(d.labels, d.kinds) if v == 1)
    for kind, count in kinds.items():
        assert f"| {kind} | {count} |" in readme, kind
    listed = set(re.findall(r"^\| `([^`]+\.jsonl)` \|", readme, flags=re.M))
    assert listed == {f.name for f in LABELS.glob("*.jsonl")}


def test_read_labelled_file_and_directory(tmp_path):
    sub = tmp_path / "nested"
    sub.mkdir()
    write_jsonl(sub / "a.jsonl", good_docs()[:1])
    write_jsonl(tmp_path / "b.jsonl", ["", *good_docs()[1:], "   "])
    (tmp_path / "ignored.txt").write_text("not json", encoding="utf-8")
    docs = read_labelled([tmp_path])
    assert [d.id for d in docs] == ["d2", "d1"]  # sorted paths: b.jsonl < nested/a.jsonl
    d1 = read_labelled([sub / "a.jsonl"])[0]
    assert d1.texts == ["A title", LONG_A, "Ad"]
    assert d1.labels.tolist() == [0, 0, 1]
    assert d1.kinds == ["title", "prose", "ad_marker"]
    assert d1.lang == "en" and d1.site == "d1.example"
    assert read_labelled([tmp_path / "b.jsonl"])[0].labels.tolist() == [0, 1, -1]


def test_read_labelled_errors_name_file_and_line(tmp_path):
    with pytest.raises(LabelError, match="no such file"):
        read_labelled([tmp_path / "missing.jsonl"])
    bad = write_jsonl(tmp_path / "bad.jsonl", [good_docs()[0], "{not json"])
    with pytest.raises(LabelError, match=r"bad\.jsonl:2: invalid JSON"):
        read_labelled([bad])
    wrong = write_jsonl(tmp_path / "wrong.jsonl", [doc("x", [("t", "boiler", None)])])
    with pytest.raises(LabelError, match=r"wrong\.jsonl:1: paragraph 0 has label 'boiler'"):
        read_labelled([wrong])
    for i, rec in enumerate([[1, 2], {"id": "x"}, {"paragraphs": [{"label": "content"}]}]):
        f = write_jsonl(tmp_path / f"shape{i}.jsonl", [rec])
        with pytest.raises(LabelError, match=rf"shape{i}\.jsonl:1"):
            read_labelled([f])


# --------------------------------------------------------------------------- check_labels


def test_check_labels_clean_file_has_no_problems(tmp_path):
    f = write_jsonl(tmp_path / "ok.jsonl", good_docs())
    problems, summary = check_labels([f])
    assert problems == []
    assert summary["documents"] == 2
    assert summary["labels"] == {0: 3, 1: 2, -1: 1}
    assert summary["kinds"] == {"ad_marker": 1, "comment_widget": 1}


def test_check_labels_unknown_kind(tmp_path):
    assert "bogus_kind" not in BOILERPLATE_KINDS | CONTENT_KINDS
    f = write_jsonl(tmp_path / "kinds.jsonl", [
        doc("k1", [("Ad", "boilerplate", "bogus_kind"), ("Real text", "content", "prose")]),
        doc("k2", [("Heading", "content", "poem_stanza"), ("Ad", "boilerplate", None)]),
    ])
    problems, _ = check_labels([f])
    assert any("kinds.jsonl:1" in p and "bogus_kind" in p for p in problems), problems
    assert any("kinds.jsonl:2" in p and "poem_stanza" in p for p in problems), problems
    assert any("kinds.jsonl:2" in p and "paragraph 1" in p and "None" in p for p in problems), problems
    assert len(problems) == 3


def test_check_labels_duplicate_id(tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", good_docs())
    b = write_jsonl(tmp_path / "b.jsonl", [doc("d1", [("Something else", "content", None)])])
    problems, summary = check_labels([a, b])
    assert summary["documents"] == 3
    assert [p for p in problems if "duplicate document id" in p] == ["duplicate document id 'd1' (2 times)"]
    assert len(problems) == 1


def test_check_labels_malformed_json_line(tmp_path):
    f = write_jsonl(tmp_path / "broken.jsonl", [good_docs()[0], '{"id": "x", "paragraphs": [', good_docs()[1]])
    problems, summary = check_labels([f])
    assert len(problems) == 1
    assert f"{f}:2" in problems[0] and "invalid JSON" in problems[0]
    assert summary["documents"] == 2  # the other lines are still checked


def test_check_labels_bad_label_value_names_line(tmp_path):
    f = write_jsonl(tmp_path / "lab.jsonl", [good_docs()[0], doc("z", [("x", "spam", None)])])
    problems, _ = check_labels([f])
    assert len(problems) == 1 and f"{f}:2" in problems[0] and "'spam'" in problems[0]


def test_check_labels_paragraph_repeated_across_documents(tmp_path):
    f = write_jsonl(tmp_path / "rep.jsonl", [
        *good_docs(),
        doc("d3", [(LONG_A, "content", "prose"), ("Ad", "boilerplate", "ad_marker")]),  # "Ad" is short: fine
    ])
    problems, _ = check_labels([f])
    assert len(problems) == 1
    assert "repeated across sites" in problems[0]
    assert "'d1'" in problems[0] and "'d3'" in problems[0] and LONG_A[:30] in problems[0]


def test_check_labels_contradicting_labels(tmp_path):
    prose = LONG_B + " It goes on for a while longer, well past a hundred characters in all."
    f = write_jsonl(tmp_path / "contra.jsonl", [
        doc("d2", [(prose, "content", "prose")]),
        doc("d3", [(prose, "boilerplate", "related")]),
    ])
    problems, _ = check_labels([f])
    assert len(problems) == 1
    assert "labelled differently" in problems[0] and "'d2'" in problems[0] and "'d3'" in problems[0]


def test_check_labels_allows_headline_as_related_link_elsewhere(tmp_path):
    headline = "Three Slow Days in Porto: Tiles, Tascas and One Very Steep Hill Indeed"
    footer = "Your email address will not be published. Required fields are marked *"
    f = write_jsonl(tmp_path / "ok.jsonl", [
        doc("d2", [(headline, "content", "title"), (footer, "boilerplate", "comment_widget")]),
        doc("d3", [(headline, "boilerplate", "related"), (footer, "boilerplate", "comment_widget")]),
    ])
    problems, _ = check_labels([f])
    assert problems == []


def test_check_labels_empty_paragraph(tmp_path):
    f = write_jsonl(tmp_path / "empty.jsonl", [doc("e", [("  ", "content", None), ("x", "content", None)])])
    problems, _ = check_labels([f])
    assert problems == [f"{f}:1: paragraph 0: empty text"]


def test_repo_labels_pass_check_labels():
    problems, summary = check_labels([LABELS])
    assert summary["documents"] > 0
    assert problems == []
