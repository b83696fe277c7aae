"""detector.spark against the Python API, on a real local Spark (local[2]).

CI installs the ``spark`` extra, so these run there; without pyspark they are skipped.
"""

import gzip
import json
import os
import sys
from pathlib import Path

import pytest

pytest.importorskip("pyspark")
pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

import detector  # noqa: E402
from detector import spark as dspark  # noqa: E402

SEEDS = Path(__file__).parent.parent / "seeds"

pytestmark = [
    # PySpark warns about pandas >= 3 on every UDF; the noise says nothing about this code.
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]

HAND_MADE = [
    "A short article about rice harvests in the delta.\n\nYields rose for the third year.\n",
    "Subscribe to our newsletter for daily headlines!\r\nClick here to sign up now.\r\n"
    "\r\nThe council approved the budget on Tuesday after a long debate.",
    "Ünïcödé prose — with a line\u2028separator and emoji 🚀 but no final newline",
    "",
    "   \n\n  ",
]


def _corpus() -> list[dict]:
    seeds = sorted(SEEDS.glob("*.txt"))
    assert len(seeds) == 5, f"expected five seed files in {SEEDS}"
    texts = [s.read_text(encoding="utf-8") for s in seeds] + HAND_MADE
    records = [{"id": i, "url": f"https://example.com/{i}", "text": t} for i, t in enumerate(texts)]
    records.insert(3, {"id": len(records), "url": "https://example.com/null", "text": None})
    return records


def _write_jsonl(path: Path, records: list[dict]) -> None:
    data = "".join(json.dumps(r) + "\n" for r in records).encode("utf-8")
    if path.suffix == ".gz":
        data = gzip.compress(data)
    path.write_bytes(data)


def _check(record_text: str | None, clean: str | None, scores: list | None, removed: list | None,
           det: detector.Detector) -> None:
    if record_text is None:
        assert clean is None and scores is None and removed is None
        return
    res = det.clean(record_text)
    assert clean == res.text
    assert scores == pytest.approx([p.score for p in res.paragraphs], abs=1e-9, rel=0)
    assert removed == [p.text for p in res.removed]


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYSPARK_PYTHON", sys.executable)
        mp.setenv("PYSPARK_DRIVER_PYTHON", sys.executable)
        session = (
            SparkSession.builder.master("local[2]")
            .appName("detector-tests")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.ui.enabled", "false")
            # Small Arrow batches and file splits: several partitions and several batches per
            # partition out of a tiny corpus, so batching and ordering are really exercised.
            .config("spark.sql.execution.arrow.maxRecordsPerBatch", "3")
            .config("spark.sql.files.maxPartitionBytes", str(12 * 1024))
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
        try:
            yield session
        finally:
            session.stop()


@pytest.fixture(scope="module")
def corpus() -> list[dict]:
    return _corpus()


@pytest.fixture(scope="module")
def det() -> detector.Detector:
    return detector.load()


def test_clean_column_matches_python_api(spark, tmp_path, corpus, det):
    src = tmp_path / "corpus.jsonl"
    _write_jsonl(src, corpus)
    df = spark.read.json(str(src))
    assert df.rdd.getNumPartitions() > 1  # the file is split: order must survive partitions

    out = dspark.clean_column(df, "text", "clean_text", scores_col="scores", removed_col="removed",
                              batch_size=2)
    assert out.columns == ["id", "text", "url", "clean_text", "scores", "removed"]
    types = dict(out.dtypes)
    assert types["clean_text"] == "string"
    assert types["scores"] == "array<double>"
    assert types["removed"] == "array<string>"

    rows = out.collect()
    assert [r["id"] for r in rows] == [r["id"] for r in corpus]
    assert sum(r["text"] is None for r in rows) == 1
    for row, rec in zip(rows, corpus):
        assert row["text"] == rec["text"] and row["url"] == rec["url"]
        _check(rec["text"], row["clean_text"], row["scores"], row["removed"], det)
    assert any(row["removed"] for row in rows), "the corpus should make the model remove something"


def test_clean_column_custom_threshold_and_replace_in_place(spark, corpus):
    df = spark.createDataFrame([(r["id"], r["text"]) for r in corpus], "id long, text string")
    path = detector.default_model_path()
    out = dspark.clean_column(df, "text", "text", removed_col="removed", model_path=path,
                              threshold=0.5)
    assert out.columns == ["id", "text", "removed"]
    det = detector.load(path, threshold=0.5)
    by_id = {r["id"]: r for r in out.collect()}
    assert sorted(by_id) == sorted(r["id"] for r in corpus)
    for rec in corpus:
        row = by_id[rec["id"]]
        if rec["text"] is None:
            assert row["text"] is None and row["removed"] is None
            continue
        res = det.clean(rec["text"])
        assert row["text"] == res.text
        assert row["removed"] == [p.text for p in res.removed]


def test_clean_column_rejects_bad_columns(spark):
    df = spark.createDataFrame([(1, "x")], "id long, text string")
    with pytest.raises(ValueError, match="no column 'body'"):
        dspark.clean_column(df, "body")
    with pytest.raises(TypeError, match="not string"):
        dspark.clean_column(df, "id")
    with pytest.raises(ValueError, match="must differ"):
        dspark.clean_column(df, scores_col="clean_text")
    with pytest.raises(ValueError, match="batch_size"):
        dspark.clean_column(df, batch_size=0)


@pytest.mark.parametrize("dtype", ["object", "str"])
def test_clean_series_passes_nulls_through(dtype, det):
    import pandas as pd

    texts = pd.Series(["Prose about rice.\n\nSubscribe now!", None, "", "x"], dtype=dtype,
                      index=[10, 11, 12, 13])
    out = dspark._clean_series(texts, det, 1, True, True)
    assert list(out.columns) == ["text", "scores", "removed"] and list(out.index) == [10, 11, 12, 13]
    assert out["text"][11] is None and out["scores"][11] is None and out["removed"][11] is None
    for i in (10, 12, 13):
        _check(texts[i], out["text"][i], out["scores"][i], out["removed"][i], det)


def test_udf_closure_ships_a_path_not_the_model():
    from pyspark import cloudpickle

    udf = dspark._make_udf(str(detector.default_model_path()), None, 256, True, True)
    shipped = len(cloudpickle.dumps(udf.func))
    assert shipped < 50_000 < detector.default_model_path().stat().st_size


def test_model_loaded_once_per_worker_process(spark, corpus):
    """Every Python worker that ran the cleaning UDF holds one cached detector, reused by
    later tasks of the same process (Spark reuses Python workers across tasks)."""
    import pandas as pd
    from pyspark.sql.functions import pandas_udf

    rows = spark.sparkContext.parallelize([(r["id"], r["text"]) for r in corpus], 4)
    dspark.clean_column(spark.createDataFrame(rows, "id long, text string")).collect()

    @pandas_udf("string")
    def probe(ids: pd.Series) -> pd.Series:
        from detector import spark as mod

        cached = {str(k): id(v) for k, v in mod._DETECTORS.items()}
        return pd.Series([json.dumps([os.getpid(), cached])] * len(ids))

    seen: dict[int, set[str]] = {}
    for (cell,) in spark.range(0, 12, numPartitions=6).select(probe("id")).collect():
        pid, cached = json.loads(cell)
        seen.setdefault(pid, set()).add(json.dumps(cached, sort_keys=True))
    assert all(len(states) == 1 for states in seen.values()), seen
    assert any("(None, None)" in state for states in seen.values() for state in states), seen


def test_main_round_trip_on_gzipped_jsonl(spark, tmp_path, corpus, det):
    in_dir = tmp_path / "in"
    in_dir.mkdir()
    renamed = [{"id": r["id"], "url": r["url"], "body": r["text"]} for r in corpus]
    _write_jsonl(in_dir / "a.jsonl.gz", renamed[:6])
    _write_jsonl(in_dir / "b.jsonl.gz", renamed[6:])
    out_dir = tmp_path / "out"

    rc = dspark.main([str(in_dir / "*.jsonl.gz"), str(out_dir), "--field", "body",
                      "--output-field", "cleaned", "--with-removed", "--with-scores"])
    assert rc == 0
    assert not spark.sparkContext._jsc.sc().isStopped()  # main() must not stop our session

    parts = sorted(out_dir.glob("part-*.json.gz"))
    assert parts, sorted(p.name for p in out_dir.iterdir())
    # Split on "\n" only: Spark writes U+2028 unescaped, which str.splitlines() would split on.
    got = [json.loads(line) for p in parts
           for line in gzip.decompress(p.read_bytes()).decode("utf-8").split("\n") if line]
    assert sorted(r["id"] for r in got) == sorted(r["id"] for r in renamed)
    for rec in got:
        assert set(rec) == {"id", "url", "body", "cleaned", "removed_paragraphs",
                            "paragraph_scores"}
        src = renamed[[r["id"] for r in renamed].index(rec["id"])]
        assert rec["body"] == src["body"] and rec["url"] == src["url"]
        _check(src["body"], rec["cleaned"], rec["paragraph_scores"], rec["removed_paragraphs"],
               det)


def test_main_reports_missing_field(spark, tmp_path, corpus, capsys):
    src = tmp_path / "c.jsonl"
    _write_jsonl(src, corpus[:2])
    with pytest.raises(SystemExit) as exc:
        dspark.main([str(src), str(tmp_path / "out"), "--field", "body"])
    assert exc.value.code == 2
    assert "no field 'body'" in capsys.readouterr().err
