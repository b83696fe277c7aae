"""detector.batch.clean_parts: what a worker makes of raw records and texts."""

from __future__ import annotations

import gzip
import importlib
import json

import pytest

from detector.batch import Part, Settings, clean_parts


def line(obj) -> bytes:
    return (json.dumps(obj, ensure_ascii=False) + "\n").encode()


@pytest.fixture(scope="module")
def texts(seed_texts) -> list[str]:
    return list(seed_texts.values())


def test_records_are_cleaned_and_encoded_like_the_api(det, texts):
    lines = [(i + 1, line({"id": i, "text": t, "lang": "en"})) for i, t in enumerate(texts)]
    (out,) = clean_parts(det, [Part("c.jsonl", lines=lines)], Settings(report=True))
    results = [det.clean(t) for t in texts]
    assert out.data == b"".join(line({"id": i, "text": r.text, "lang": "en"})
                                for i, r in enumerate(results))
    assert (out.documents, out.paragraphs, out.removed) == (
        len(texts), sum(r.n_paragraphs for r in results), sum(r.n_removed for r in results))
    assert out.bytes_in == sum(len(raw) for _, raw in lines)
    rows = [json.loads(r) for r in out.report.decode().splitlines()]
    assert [r["document"] for r in rows if r["index"] == 0] == [f"c.jsonl#{i}" for i in range(5)]
    assert sum(r["removed"] for r in rows) == out.removed > 0


def test_bad_records_fail_skip_or_pass_through(det, texts):
    lines = [(1, line({"id": 1, "text": texts[0]})), (2, b'{"id": 2}\n'), (3, b"{oops\n"),
             (4, line({"id": 4, "text": texts[1]}))]
    part = Part("c.jsonl", lines=lines)
    (failed,) = clean_parts(det, [part], Settings(on_error="fail"))
    assert failed.error == "c.jsonl:2: record has no field 'text'"
    assert failed.data == b"" and failed.documents == 0
    (skipped,) = clean_parts(det, [part], Settings(on_error="skip"))
    (kept,) = clean_parts(det, [part], Settings(on_error="keep"))
    assert skipped.error is None and skipped.documents == kept.documents == 2
    assert skipped.bad_records == kept.bad_records == [
        "c.jsonl:2: record has no field 'text'", "c.jsonl:3: malformed JSON (Expecting "
        "property name enclosed in double quotes)"]
    good = [line({"id": 1, "text": det.clean(texts[0]).text}),
            line({"id": 4, "text": det.clean(texts[1]).text})]
    assert skipped.data == b"".join(good)
    assert kept.data == b"".join([good[0], b'{"id": 2}\n', b"{oops\n", good[1]])


def test_text_part_keeps_encoding_and_bom(det):
    text = "\ufeffSubscribe to our newsletter for the latest deals!\nAdvertisement\n"
    (out,) = clean_parts(det, [Part("a.txt", text=(text, "utf-16-le"))], Settings())
    assert det.clean(text).text == ""  # both lines go ...
    assert out.data == "\ufeff".encode("utf-16-le")  # ... the byte order mark stays
    assert out.documents == 1 and out.bytes_in == len(text.encode())


def test_gzip_level_makes_one_member_per_part(det, texts):
    parts = [Part("c.jsonl.gz", lines=[(1, line({"text": t}))], gzip_level=lvl)
             for t, lvl in zip(texts, (1, 6, 9))]
    outs = clean_parts(det, parts, Settings())
    plain = [line({"text": det.clean(t).text}) for t in texts[:3]]
    assert [gzip.decompress(o.data) for o in outs] == plain
    assert gzip.decompress(b"".join(o.data for o in outs)) == b"".join(plain)
    # nothing to write (a skipped record) is no member at all, not an empty one
    (empty,) = clean_parts(det, [Part("c.jsonl.gz", lines=[(1, b"[]\n")], gzip_level=6)],
                           Settings(on_error="skip"))
    assert empty.data == b""


def test_parts_share_model_calls_but_not_results(det, texts, monkeypatch):
    """One clean_batch call for a whole batch of parts, sliced into model calls of
    MODEL_BATCH texts; each part gets its own documents back."""
    # (``detector.clean`` the attribute is the function; the module is looked up by name)
    monkeypatch.setattr(importlib.import_module("detector.clean"), "MODEL_BATCH", 3)
    calls = []
    real = det._clean_slice

    def spy(batch, mark):
        calls.append(len(batch))
        return real(batch, mark)

    monkeypatch.setattr(det, "_clean_slice", spy)
    parts = [Part("a.jsonl", lines=[(k + 1, line({"text": t})) for k, t in enumerate(texts)]),
             Part("b.txt", text=(texts[2], "utf-8"))]
    a, b = clean_parts(det, parts, Settings())
    assert calls == [3, 3]
    assert a.data == b"".join(line({"text": det.clean(t).text}) for t in texts)
    assert b.data == det.clean(texts[2]).text.encode()
