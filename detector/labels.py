"""Labelled documents: reading, validating and drafting paragraph-labelled JSONL.

The format is the one of the evaluation data: one JSON document per line,
``{"id", "paragraphs": [{"text", "label": "content|boilerplate|ambiguous", "kind"?}], ...}``
with optional ``lang``, ``site`` (documents of one site stay in one cross-validation fold)
and ``genre``.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["Document", "read_labelled", "check_labels", "LabelError", "BOILERPLATE_KINDS",
           "CONTENT_KINDS", "LABEL_CODES"]

LABEL_CODES = {"boilerplate": 1, "content": 0, "ambiguous": -1}
BOILERPLATE_KINDS = frozenset(["ad_teaser", "ad_marker", "advertorial_label", "affiliate", "disclaimer", "safe_harbor", "press_about", "media_contact", "newsletter", "paywall", "cookie", "share", "comment_widget", "vote_counter", "navigation", "footer", "copyright", "related", "read_more", "author_bio", "byline_date", "image_credit", "tag_list", "app_prompt", "error_message", "ticker_widget", "event_promo", "coupon_deal", "source_list", "login_prompt", "archive_list", "other_boilerplate"])
CONTENT_KINDS = frozenset(["title", "heading", "prose", "quote", "list", "table", "fragment", "short"])
AMBIGUOUS_KINDS = frozenset({"user_comment"})


class LabelError(ValueError):
    """A labelled file is malformed; the message names the file and line."""


@dataclass
class Document:
    """One labelled document: paragraph texts in order and their labels (1, 0, -1)."""

    id: str
    texts: list[str]
    labels: np.ndarray
    kinds: list[str | None] = field(default_factory=list)
    lang: str | None = None
    site: str | None = None
    source: str = ""
    origin: str = ""  # "file:line" it was read from

    @property
    def group(self) -> str:
        """Cross-validation group: the site when known, else the document itself."""
        return f"{self.source}:{self.site}" if self.site else f"{self.source}:{self.id}"


def _files(paths: list[str | Path]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*.jsonl") if q.is_file()))
        elif p.exists():
            out.append(p)
        else:
            raise LabelError(f"{p}: no such file or directory")
    return out


def _parse(record: object, where: str) -> Document:
    if not isinstance(record, dict):
        raise LabelError(f"{where}: a labelled document must be a JSON object")
    paras = record.get("paragraphs")
    if not isinstance(paras, list):
        raise LabelError(f"{where}: 'paragraphs' must be a list")
    texts, labels, kinds = [], [], []
    for i, p in enumerate(paras):
        if not isinstance(p, dict) or not isinstance(p.get("text"), str):
            raise LabelError(f"{where}: paragraph {i} needs a string 'text'")
        label = p.get("label")
        if label not in LABEL_CODES:
            raise LabelError(f"{where}: paragraph {i} has label {label!r}; "
                             f"expected one of {sorted(LABEL_CODES)}")
        texts.append(p["text"])
        labels.append(LABEL_CODES[label])
        kinds.append(p.get("kind") or p.get("part"))
    return Document(id=str(record.get("id", where)), texts=texts,
                    labels=np.asarray(labels, dtype=np.int64), kinds=kinds,
                    lang=record.get("lang"), site=record.get("site"),
                    source=str(record.get("source", "")), origin=where)


def _documents(paths: list[str | Path]) -> Iterator[Document | LabelError]:
    """Each record of the label files, parsed, or the error that names its file and line."""
    for path in _files(paths):
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                where = f"{path}:{n}"
                try:
                    yield _parse(json.loads(line), where)
                except json.JSONDecodeError as exc:
                    yield LabelError(f"{where}: invalid JSON: {exc.msg}")
                except LabelError as exc:
                    yield exc


def read_labelled(paths: list[str | Path]) -> list[Document]:
    """Read labelled JSONL files (directories are searched for ``*.jsonl``)."""
    docs = []
    for item in _documents(paths):
        if isinstance(item, LabelError):
            raise item
        docs.append(item)
    return docs


def check_labels(paths: list[str | Path]) -> tuple[list[str], dict]:
    """Validate label files; return (problems, summary counts).

    Problems: unreadable records, unknown kinds, boilerplate without a kind, duplicate ids;
    content paragraphs of 60+ characters found on two different sites (copy-paste between
    documents leaks across cross-validation folds); paragraphs of 100+ characters labelled both
    ways. Short lines may legitimately repeat with both labels (a headline is content on its own
    page and a ``related`` link on another), the pages of one site share a footer, and stock
    boilerplate ("Your email address will not be published.") recurs across sites.
    """
    problems: list[str] = []
    ids: Counter = Counter()
    seen: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    summary: dict = {"documents": 0, "labels": Counter(), "kinds": Counter(), "langs": Counter()}
    for doc in _documents(paths):
        if isinstance(doc, LabelError):
            problems.append(str(doc))
            continue
        ids[doc.id] += 1
        summary["documents"] += 1
        summary["langs"][doc.lang or "?"] += 1
        for i, (text, lab, kind) in enumerate(zip(doc.texts, doc.labels, doc.kinds)):
            summary["labels"][int(lab)] += 1
            if lab == 1:
                summary["kinds"][kind or "?"] += 1
                if kind not in BOILERPLATE_KINDS:
                    problems.append(f"{doc.origin}: paragraph {i}: boilerplate kind {kind!r} "
                                    f"is not a known kind")
            elif lab == 0 and kind is not None and kind not in CONTENT_KINDS:
                problems.append(f"{doc.origin}: paragraph {i}: unknown content kind {kind!r}")
            elif lab == -1 and kind is not None and kind not in AMBIGUOUS_KINDS:
                problems.append(f"{doc.origin}: paragraph {i}: unknown ambiguous kind {kind!r}")
            if not text.strip():
                problems.append(f"{doc.origin}: paragraph {i}: empty text")
            if len(text) >= 60:
                seen[text].append((doc.id, doc.site or doc.id, int(lab)))
    problems += [f"duplicate document id {i!r} ({c} times)" for i, c in ids.items() if c > 1]
    for text, where in seen.items():
        docs = sorted({d for d, _, _ in where})
        if len(text) >= 100 and len({lab for _, _, lab in where}) > 1:
            problems.append(f"paragraph labelled differently in {docs[:4]}: {text[:60]!r}")
        elif len({site for _, site, lab in where if lab == 0}) > 1:  # prose copied between sites
            problems.append(f"paragraph repeated across sites in {docs[:4]}: {text[:60]!r}")
    return problems, summary
