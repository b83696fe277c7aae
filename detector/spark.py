"""Strip boilerplate paragraphs from a text column of a Spark DataFrame.

For corpora too big for one machine, ``clean_column`` adds a cleaned-text column to any
DataFrame, running the detector on the executors through a pandas UDF::

    from detector.spark import clean_column

    df = spark.read.json("s3://bucket/crawl/*.jsonl.gz")
    out = clean_column(df, "text", "clean_text", removed_col="removed")
    out.write.option("compression", "gzip").json("s3://bucket/crawl-clean/")

The same job from the command line, over a directory of JSON lines (gzip is handled by Spark's
reader; the output is gzipped JSON lines, one ``part-*.json.gz`` per partition)::

    spark-submit --master 'local[*]' detector/spark.py \\
        'corpus/*.jsonl.gz' corpus-clean/ --field text --with-removed

Every input field is kept; ``--output-field`` (default ``clean_text``) is added, and
``--with-removed`` / ``--with-scores`` add ``removed_paragraphs`` (texts of the removed
paragraphs) and ``paragraph_scores`` (P(boilerplate) of every paragraph). A null or missing
text gives nulls. Spark writes U+2028/U+2029 unescaped inside strings, so read the output by
splitting on "\\n" (as JSON-lines readers and ``for line in file`` do), not ``str.splitlines()``.

Requirements: ``pip install 'detector[spark]'`` on the driver AND in the Python the executors
run (``PYSPARK_PYTHON``); the executors import ``detector`` to load the model. Only the model's
path string travels with the tasks. Each executor Python process loads the model on first use
and keeps it in a module-level cache for as long as Spark reuses that process
(``spark.python.worker.reuse``, on by default), so a job reads the model once per worker
process, not once per task or batch. ``model_path=None`` (no ``--model``) means the model shipped
inside each executor's installed package; a custom ``--model`` path must be readable by every
executor (a shared file system, or ship it with ``--files`` and pass its local name).
"""

import argparse
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import Column, DataFrame

    from detector.clean import Detector

__all__ = ["clean_column", "main"]

# Names of the fields of the struct the UDF returns, split into the user's columns afterwards.
_TEXT, _SCORES, _REMOVED = "text", "scores", "removed"

_DETECTORS: "dict[tuple[str | None, float | None], Detector]" = {}
_LOCK = threading.Lock()


def _require_spark() -> None:
    """Fail with the install hint rather than a bare ModuleNotFoundError deep in a call."""
    try:
        import pandas  # noqa: F401
        import pyarrow  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"detector.spark needs pyspark, pandas and pyarrow ({exc.name} is missing): "
            "pip install 'detector[spark]'"
        ) from exc


def _get_detector(model_path: str | None, threshold: float | None) -> "Detector":
    """The detector for ``(model_path, threshold)``, loaded at most once per Python process.

    Runs on the executors: caching here, rather than shipping a loaded Detector in the UDF's
    closure, means the ~1 MB model is never pickled per task and is read from disk once per
    (reused) Python worker.
    """
    key = (model_path, threshold)
    det = _DETECTORS.get(key)
    if det is None:
        with _LOCK:
            det = _DETECTORS.get(key)
            if det is None:
                import detector
                from detector.allocator import tune_malloc

                tune_malloc()  # an executor's Python worker only runs this UDF
                det = detector.load(model_path, threshold=threshold)
                _DETECTORS[key] = det
    return det


def _clean_series(texts: "pd.Series", det: "Detector", batch_size: int, with_scores: bool,
                  with_removed: bool) -> "pd.DataFrame":
    """Clean one Arrow batch: non-null texts go through ``clean_batch`` in ``batch_size`` chunks.

    Chunking bounds the memory of one model call however large Spark's Arrow batches are;
    nulls (None, or NaN under pandas' string dtype) are passed through as nulls.
    """
    import pandas as pd

    values = texts.tolist()
    n = len(values)
    cleaned: list[str | None] = [None] * n
    scores: list[list[float] | None] = [None] * n
    removed: list[list[str] | None] = [None] * n
    todo = [i for i, v in enumerate(values) if isinstance(v, str)]
    for lo in range(0, len(todo), batch_size):
        chunk = todo[lo:lo + batch_size]
        for i, res in zip(chunk, det.clean_batch([values[i] for i in chunk])):
            cleaned[i] = res.text
            if with_scores:
                scores[i] = [float(p.score) for p in res.paragraphs]
            if with_removed:
                removed[i] = [p.text for p in res.paragraphs if p.removed]
    columns: dict[str, list[Any]] = {_TEXT: cleaned}
    if with_scores:
        columns[_SCORES] = scores
    if with_removed:
        columns[_REMOVED] = removed
    # object dtype keeps None as None (pandas 3 would infer its "str" dtype, with NaN for nulls).
    return pd.DataFrame({k: pd.Series(v, index=texts.index, dtype=object) for k, v in columns.items()})


def _make_udf(model_path: str | None, threshold: float | None, batch_size: int,
              with_scores: bool, with_removed: bool) -> Any:
    """An iterator-of-Series pandas UDF returning ``struct<text, [scores], [removed]>``.

    The closure holds only a path string, a float, an int and two flags. The iterator form
    looks the detector up once per partition instead of once per Arrow batch.
    """
    import pandas as pd
    from pyspark.sql.functions import pandas_udf
    from pyspark.sql.types import ArrayType, DoubleType, StringType, StructField, StructType

    fields = [StructField(_TEXT, StringType())]
    if with_scores:
        fields.append(StructField(_SCORES, ArrayType(DoubleType(), containsNull=False)))
    if with_removed:
        fields.append(StructField(_REMOVED, ArrayType(StringType(), containsNull=False)))

    # The annotations are real objects (this module avoids `from __future__ import annotations`)
    # because pandas_udf reads them to pick the UDF kind, and pandas is only a local name here.
    def clean_batches(batches: Iterator[pd.Series]) -> Iterator[pd.DataFrame]:
        # Import by module name so the cache used is the one of the importable module
        # `detector.spark` on the executor, even when this closure was pickled by value
        # (e.g. from a driver running this file as __main__).
        from detector.spark import _clean_series, _get_detector

        det = None
        for texts in batches:
            if det is None:
                det = _get_detector(model_path, threshold)
            yield _clean_series(texts, det, batch_size, with_scores, with_removed)

    return pandas_udf(clean_batches, returnType=StructType(fields))  # type: ignore[call-overload]


def clean_column(
    df: "DataFrame",
    input_col: str = "text",
    output_col: str = "clean_text",
    *,
    scores_col: str | None = None,
    removed_col: str | None = None,
    model_path: "str | os.PathLike[str] | None" = None,
    threshold: float | None = None,
    batch_size: int = 256,
) -> "DataFrame":
    """``df`` plus ``output_col``: ``input_col`` with its boilerplate paragraphs removed.

    ``scores_col`` (array<double>: P(boilerplate) of every paragraph, in order) and
    ``removed_col`` (array<string>: texts of the removed paragraphs) are added when named.
    A null text gives nulls in all of them. Rows keep their order and partitioning (the UDF
    is a narrow, row-wise projection). ``output_col`` may equal ``input_col`` to replace it.

    ``model_path=None`` is the model shipped in the package (resolved on each executor, so
    driver and executors may have the package installed in different places);
    ``threshold=None`` is the model's own threshold. ``batch_size`` is the number of texts per
    model call; Spark's Arrow batch size (``spark.sql.execution.arrow.maxRecordsPerBatch``)
    is separate and only sets how many rows travel to Python at once.
    """
    _require_spark()
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType

    if input_col not in df.columns:
        raise ValueError(f"clean_column: no column {input_col!r} in the DataFrame "
                         f"(columns: {', '.join(df.columns) or 'none'})")
    dtype = df.schema[input_col].dataType
    if not isinstance(dtype, StringType):
        raise TypeError(f"clean_column: column {input_col!r} is {dtype.simpleString()}, "
                        "not string; cast it first")
    outputs = [c for c in (output_col, scores_col, removed_col) if c is not None]
    if len(set(outputs)) != len(outputs):
        raise ValueError(f"clean_column: output column names must differ, got {outputs}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"clean_column: batch_size must be a positive int, not {batch_size!r}")
    path = os.fspath(model_path) if model_path is not None else None
    thr = float(threshold) if threshold is not None else None

    udf = _make_udf(path, thr, batch_size, scores_col is not None, removed_col is not None)
    tmp = "__detector_clean"
    while tmp in df.columns:
        tmp += "_"
    struct = F.col(tmp)
    new: dict[str, Column] = {output_col: struct[_TEXT]}
    if scores_col is not None:
        new[scores_col] = struct[_SCORES]
    if removed_col is not None:
        new[removed_col] = struct[_REMOVED]
    return df.withColumn(tmp, udf(F.col(input_col))).withColumns(new).drop(tmp)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="spark-submit detector/spark.py",
        description="Strip boilerplate paragraphs from a text field of JSON-lines files with Spark; "
                    "writes gzipped JSON lines with every input field plus the cleaned text.",
    )
    p.add_argument("input", help="JSON-lines file, directory or glob (.gz/.bz2 are decompressed)")
    p.add_argument("output", help="output directory (must not exist yet)")
    p.add_argument("--field", default="text", help="field holding the text (default: text)")
    p.add_argument("--output-field", default="clean_text",
                   help="field to write the cleaned text to (default: clean_text)")
    p.add_argument("--model", default=None,
                   help="model file readable by every executor (default: the shipped model)")
    p.add_argument("--threshold", type=float, default=None,
                   help="P(boilerplate) at or above which a paragraph is removed "
                        "(default: the model's own)")
    p.add_argument("--with-removed", action="store_true",
                   help="also write removed_paragraphs: the texts of the removed paragraphs")
    p.add_argument("--with-scores", action="store_true",
                   help="also write paragraph_scores: P(boilerplate) of every paragraph")
    p.add_argument("--batch-size", type=int, default=256, help="texts per model call (default: 256)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry for ``spark-submit``: JSON lines in, gzipped JSON lines out.

    Reuses an active SparkSession (and leaves it running) when called from inside a Spark
    application; otherwise creates one and stops it at the end.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    _require_spark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    spark = active or SparkSession.builder.appName("detector-clean").getOrCreate()
    try:
        df = spark.read.json(args.input)
        if args.field not in df.columns:
            parser.error(f"no field {args.field!r} in {args.input} "
                         f"(fields: {', '.join(df.columns) or 'none'})")
        out = clean_column(
            df, args.field, args.output_field,
            scores_col="paragraph_scores" if args.with_scores else None,
            removed_col="removed_paragraphs" if args.with_removed else None,
            model_path=args.model, threshold=args.threshold, batch_size=args.batch_size,
        )
        # ignoreNullFields=false: a null text still gets its (null) output field, so every
        # output record has the same keys.
        (out.write.option("compression", "gzip").option("ignoreNullFields", "false")
         .json(args.output))
    finally:
        if active is None:
            spark.stop()
    return 0


if __name__ == "__main__":
    # `spark-submit detector/spark.py` runs this file as a script: its own directory (full of
    # detector's modules, e.g. io.py) would head sys.path, and functions defined here would be
    # pickled by value. Put the checkout root there instead and run the importable module.
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.path and os.path.abspath(sys.path[0] or os.curdir) == here:
        sys.path[0] = os.path.dirname(here)
    from detector.spark import main as _main

    raise SystemExit(_main())
