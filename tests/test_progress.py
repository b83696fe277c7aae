"""The progress line: text throughput, and share done / ETA from the bytes read on disk."""

from __future__ import annotations

import gzip
import io
import json
import time

from detector.pipeline import CleanOptions, clean_paths
from detector.progress import Progress


def test_eta_follows_the_bytes_read_on_disk_not_the_text():
    out = io.StringIO()
    bar = Progress(enabled=True, total_bytes=1_000, stream=out)
    bar.start = time.perf_counter() - 10  # 10 s in
    bar.update(4, 3_000_000, disk=250)  # compressed input: 3 MB of text from 250 bytes on disk
    line = out.getvalue().rsplit("\r", 1)[-1]
    assert line.startswith("4 docs  3.0 MB  0.30 MB/s")
    assert " 25%  ETA 0:30" in line
    bar._last = 0.0
    bar.update(1, 1_000_000, disk=1_000)
    assert " 100%  ETA 0:00" in out.getvalue().rsplit("\r", 1)[-1]


def test_no_eta_without_a_size():
    out = io.StringIO()
    bar = Progress(enabled=True, total_bytes=None, stream=out)
    bar.update(1, 100, disk=50)
    assert "ETA" not in out.getvalue() and "%" not in out.getvalue()
    quiet = io.StringIO()
    Progress(enabled=False, total_bytes=10, stream=quiet).update(1, 100, disk=5)
    assert quiet.getvalue() == ""


def test_cleaning_a_jsonl_gz_ends_at_100_percent(det, seed_texts, tmp_path, capsys):
    recs = [{"id": i, "text": t} for i, t in enumerate(seed_texts.values())] * 40
    src = tmp_path / "c.jsonl.gz"
    src.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in recs).encode()))
    clean_paths([str(src)], str(tmp_path / "o.jsonl.gz"), det, CleanOptions(progress=True))
    last = capsys.readouterr().err.rstrip("\n").rsplit("\r", 1)[-1]
    assert last.startswith(f"{len(recs)} docs ")
    assert " 100%  ETA 0:00" in last
